#!/bin/sh
# darknet beside PyTorch on one GPU, in one run (the GPU issue's three
# workloads): RetinaNet-R50-FPN training step at batch 16, the R50 -> R18 CWD
# distillation step, and R18-FPN inference at batch 1, all at SIZE (640).
# Prints each median (of ROUNDS) and the ratio darknet/PyTorch (lower is
# better). Needs a GPU=1 build (DARKNET, default build-gpu/darknet) and Python
# with torch, torchvision and CUDA (PYTHON, default python3).
set -e
cd "$(dirname "$0")/.."
DARKNET=${DARKNET:-build-gpu/darknet}
PYTHON=${PYTHON:-python3}
SIZE=${SIZE:-640}
BATCH=${BATCH:-16}
ROUNDS=${ROUNDS:-3}
ITERS=${ITERS:-5}
OUT=${OUT:-/tmp/bench_gpu}
mkdir -p "$OUT"
at_size() {   # CFG BATCH: the cfg at SIZE with that batch, one step, no burn-in
    sed -e "s/^batch=.*/batch=$2/" -e 's/^subdivisions=.*/subdivisions=1/' -e "s/^width=.*/width=$SIZE/" \
        -e "s/^height=.*/height=$SIZE/" -e 's/^max_batches=.*/max_batches=1/' -e 's/^burn_in=.*/burn_in=0/' "$1"
}
at_size cfg/retinanet_r50_fpn.cfg "$BATCH" > "$OUT/r50.cfg"
at_size cfg/retinanet_r18_fpn.cfg 1 > "$OUT/r18.cfg"
at_size cfg/retinanet_r18_fpn_cwd.cfg "$BATCH" | sed -e "s|^teacher=.*|teacher=$OUT/r50.cfg|" \
    -e "s|^teacher_weights=.*|teacher_weights=$OUT/data/backup/r50_final.weights|" > "$OUT/r18_cwd.cfg"
# the teacher's weights file: one training step of the R50 on synthetic scenes
if [ ! -f "$OUT/data/backup/r50_final.weights" ]; then
    "$DARKNET" synth "$OUT/data" -n "$BATCH" -valid 2 -size "$SIZE" -seed 1 > /dev/null
    "$DARKNET" detector train "$OUT/data/synth.data" "$OUT/r50.cfg" -clear -dont_show > /dev/null
fi
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -n 1; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
log="$OUT/times"
: > "$log"
for r in $(seq "$ROUNDS"); do
    train=$("$DARKNET" benchmark "$OUT/r50.cfg" -train -iters "$ITERS" | field train_ms)
    distill=$("$DARKNET" benchmark "$OUT/r18_cwd.cfg" -train -iters "$ITERS" | field train_ms)
    infer=$("$DARKNET" benchmark "$OUT/r18.cfg" -iters "$ITERS" | field forward_ms)
    t_train=$("$PYTHON" scripts/bench_torch_retinanet.py --device cuda --depth 50 --size "$SIZE" \
        --train-batch "$BATCH" --iters "$ITERS" | field train_ms)
    t_infer=$("$PYTHON" scripts/bench_torch_retinanet.py --device cuda --depth 18 --size "$SIZE" \
        --train-batch 1 --iters "$ITERS" | field forward_ms)
    t_distill=$("$PYTHON" scripts/bench_torch_distill.py --device cuda --size "$SIZE" --batch "$BATCH" \
        --iters "$ITERS" | field distill_ms)
    echo "round $r: darknet train $train distill $distill infer $infer | torch train $t_train distill $t_distill infer $t_infer ms"
    echo "$train $distill $infer $t_train $t_distill $t_infer" >> "$log"
done
col() { cut -d' ' -f"$1" "$log" | median; }
awk -v a="$(col 1)" -v b="$(col 2)" -v c="$(col 3)" -v d="$(col 4)" -v e="$(col 5)" -v f="$(col 6)" \
    -v s="$SIZE" -v n="$BATCH" 'BEGIN {
    printf "R50-FPN training step, batch %d at %d: darknet %.1f ms, torch %.1f ms, ratio %.2f\n", n, s, a, d, a / d
    printf "R50 -> R18 CWD step, batch %d at %d: darknet %.1f ms, torch %.1f ms, ratio %.2f\n", n, s, b, e, b / e
    printf "R18-FPN inference, batch 1 at %d: darknet %.1f ms, torch %.1f ms, ratio %.2f\n", s, c, f, c / f }'
