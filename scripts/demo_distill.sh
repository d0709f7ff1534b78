#!/bin/sh
# `make demo-distill`: channel-wise distillation end to end on synthetic data
# (about 3 minutes on 2 cores). Makes 64 x 64 scenes of 3 classes, trains the
# teacher cfg/synth64_teacher.cfg (1000 iterations), then `distill compare`
# trains cfg/synth64_student_cwd.cfg with and without the teacher (150
# iterations each, same initial weights and batches), prints teacher / student
# / distilled AP and AP50 with the gains, and draws the three effective
# receptive fields of P3 side by side in demo_distill/cmp/erf_compare.png.
set -e
cd "$(dirname "$0")/.."
OUT=demo_distill
./darknet synth "$OUT/data" -n 4000 -valid 200 -size 64 -classes 3 -seed 1
./darknet detector train "$OUT/data/synth.data" cfg/synth64_teacher.cfg -clear -dont_show -seed 1001
./darknet distill compare "$OUT/data/synth.data" cfg/synth64_student_cwd.cfg -seed 1 -out "$OUT/cmp" \
    -erf "$OUT/data/valid.txt" -erf_n 50
