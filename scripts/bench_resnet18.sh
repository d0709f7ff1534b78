#!/bin/sh
# ResNet-18 at 256x256 on the CPU, darknet beside PyTorch (torchvision's
# resnet18) in one run: forward at batch 1, training step at batch 8, 2 threads
# each. The two alternate for ROUNDS rounds so background load hits both; the
# medians and their ratio darknet/PyTorch (lower is better) are printed.
set -e
cd "$(dirname "$0")/.."
ITERS=${ITERS:-10}
ROUNDS=${ROUNDS:-3}
DARKNET_DEPS_EXTRA="python3-torch python3-torchvision" scripts/install_deps.sh
[ -x ./darknet ] || make -s darknet
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -n 1; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
log=$(mktemp)
for r in $(seq "$ROUNDS"); do
    f=$(./darknet benchmark cfg/resnet18.cfg -batch 1 -iters "$ITERS" -threads 2 | field forward_ms)
    t=$(./darknet benchmark cfg/resnet18.cfg -batch 8 -iters "$ITERS" -threads 2 -train | field train_ms)
    torch=$(/usr/bin/python3 scripts/bench_torch_resnet18.py --batch 1 --train-batch 8 --iters "$ITERS" | tail -n 1)
    tf=$(echo "$torch" | field forward_ms)
    tt=$(echo "$torch" | field train_ms)
    echo "round $r: darknet forward $f ms, train $t ms | torch forward $tf ms, train $tt ms"
    echo "$f $t $tf $tt" >> "$log"
done
df=$(cut -d' ' -f1 "$log" | median); dt=$(cut -d' ' -f2 "$log" | median)
tf=$(cut -d' ' -f3 "$log" | median); tt=$(cut -d' ' -f4 "$log" | median)
rm -f "$log"
echo "median: darknet forward $df ms, train $dt ms | torch forward $tf ms, train $tt ms"
awk -v a="$df" -v b="$tf" -v c="$dt" -v d="$tt" 'BEGIN {
    printf "ratio forward (batch 1) darknet/torch = %.2f   (target <= 1.0)\n", a / b
    printf "ratio train step (batch 8) darknet/torch = %.2f   (target <= 1.2)\n", c / d }'
