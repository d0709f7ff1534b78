#!/bin/sh
# The distillation benchmark of docs/PERFORMANCE.md: a CWD step of the R18-FPN
# student with a frozen R50-FPN teacher (cfg/retinanet_r18_fpn_cwd.cfg) at
# 320 x 320, batch 2, 2 threads, beside the plain R18 step, the teacher's
# plain inference and PyTorch's same step (scripts/bench_torch_distill.py).
# The teacher's weights come from one `detector train` step (speed does not
# depend on them). Work files go to OUT (default bench_distill/).
set -e
cd "$(dirname "$0")/.."
OUT=${OUT:-bench_distill}
ROUNDS=${ROUNDS:-2}
mkdir -p "$OUT"
at_320() {
    sed -e 's/^batch=.*/batch=2/' -e 's/^subdivisions=.*/subdivisions=1/' -e 's/^width=.*/width=320/' \
        -e 's/^height=.*/height=320/' -e 's/^max_batches=.*/max_batches=1/' -e 's/^burn_in=.*/burn_in=0/' "$1"
}
at_320 cfg/retinanet_r50_fpn.cfg > "$OUT/r50_320.cfg"
at_320 cfg/retinanet_r18_fpn.cfg > "$OUT/r18_320.cfg"
at_320 cfg/retinanet_r18_fpn_cwd.cfg | sed -e "s|^teacher=.*|teacher=$OUT/r50_320.cfg|" \
    -e "s|^teacher_weights=.*|teacher_weights=$OUT/data/backup/r50_320_final.weights|" > "$OUT/r18_cwd_320.cfg"
if [ ! -f "$OUT/data/backup/r50_320_final.weights" ]; then
    ./darknet synth "$OUT/data" -n 4 -valid 2 -size 320 -seed 1 > /dev/null
    ./darknet detector train "$OUT/data/synth.data" "$OUT/r50_320.cfg" -clear -dont_show > /dev/null
fi
for round in $(seq "$ROUNDS"); do
    echo "round $round"
    ./darknet benchmark "$OUT/r18_cwd_320.cfg" -iters 3 -threads 2 -train | tail -n 1 | sed 's/^/  r18 + cwd: /'
    ./darknet benchmark "$OUT/r18_320.cfg" -iters 3 -threads 2 -train | tail -n 1 | sed 's/^/  r18: /'
    ./darknet benchmark "$OUT/r50_320.cfg" -iters 3 -threads 2 | tail -n 1 | sed 's/^/  r50 inference: /'
    /usr/bin/python3 scripts/bench_torch_distill.py --iters 3 | sed 's/^/  /'
done
