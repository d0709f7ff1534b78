#!/bin/sh
# `make demo-distill`: channel-wise distillation end to end on synthetic data,
# compared as the CWD paper compares: a teacher clearly better than the
# student, and the plain and the distilled student on the same schedule from
# the same initial weights and batches.
#   1. 8000 + 500 synthetic 64 x 64 scenes of 3 classes
#   2. the teacher cfg/ref64_teacher.cfg for its whole schedule (6000 steps,
#      about 25 minutes on 2 cores), once: later runs reuse its weights and
#      say so
#   3. `distill compare` of cfg/ref64_student_cwd.cfg (a student of a quarter
#      of the teacher's width, [cwd] on P3 and P4) on its schedule scaled to
#      ITERS steps (default 1500, a quarter of the 6000 it converges in: about
#      6 minutes), with the receptive fields of P3 side by side, then the
#      detections of both students on one validation scene
# The converged comparison (6000 steps, three seeds, against spatial, feature
# and logit distillation) is docs/DISTILLATION.md (scripts/distill_reference.sh).
set -e
cd "$(dirname "$0")/.."
OUT=demo_distill
ITERS=${ITERS:-1500}
data=$OUT/data/synth.data
teacher=$OUT/data/backup/ref64_teacher_final.weights
[ -s "$data" ] || ./darknet synth "$OUT/data" -n 8000 -valid 500 -size 64 -classes 3 -seed 1
if [ -s "$teacher" ]; then
    echo "reusing the teacher an earlier run trained: $teacher (delete it to train it again)"
else
    echo "training the teacher cfg/ref64_teacher.cfg for its whole schedule (6000 steps, once)"
    ./darknet detector train "$data" cfg/ref64_teacher.cfg -clear -dont_show -seed 1001
fi
./darknet distill compare "$data" cfg/ref64_student_cwd.cfg -iters "$ITERS" -seed 1 -out "$OUT/cmp" \
    -erf "$OUT/data/valid.txt" -erf_n 50
scene=$(sed -n 3p "$OUT/data/valid.txt")
for s in baseline distilled; do
    ./darknet detector test "$data" cfg/ref64_student_cwd.cfg "$OUT/cmp/${s}_final.weights" "$scene" -thresh 0.3 \
        -out "$OUT/${s}_predictions.png" > /dev/null
done
echo "compared: the plain and the distilled student, $ITERS of their 6000-step schedule (lr steps scaled),"
echo "one seed, against a teacher trained the whole 6000. Receptive fields: $OUT/cmp/erf_compare.png;"
echo "detections: $OUT/baseline_predictions.png, $OUT/distilled_predictions.png. The converged"
echo "comparison over three seeds and other distillers: docs/DISTILLATION.md."
