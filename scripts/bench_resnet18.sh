#!/bin/sh
# ResNet-18 at 256x256 on the CPU, darknet beside PyTorch in one run:
# forward at batch 1, training step at batch 8, 2 threads each.
# Prints both times and the ratios darknet/PyTorch (lower is better).
set -e
cd "$(dirname "$0")/.."
ITERS=${ITERS:-10}
DARKNET_DEPS_EXTRA="python3-torch python3-torchvision" scripts/install_deps.sh
[ -x ./darknet ] || make -s darknet
fwd=$(./darknet benchmark cfg/resnet18.cfg -batch 1 -iters "$ITERS" -threads 2 | tail -n 1)
trn=$(./darknet benchmark cfg/resnet18.cfg -batch 8 -iters "$ITERS" -threads 2 -train | tail -n 1)
torch_fwd=$(/usr/bin/python3 scripts/bench_torch_resnet18.py --batch 1 --train-batch 8 --iters "$ITERS" | tail -n 1)
echo "darknet batch 1: $fwd"
echo "darknet batch 8: $trn"
echo "$torch_fwd"
d_f=$(echo "$fwd" | sed 's/.*forward_ms=\([0-9.]*\).*/\1/')
d_t=$(echo "$trn" | sed 's/.*train_ms=\([0-9.]*\).*/\1/')
t_f=$(echo "$torch_fwd" | sed 's/.*forward_ms=\([0-9.]*\).*/\1/')
t_t=$(echo "$torch_fwd" | sed 's/.*train_ms=\([0-9.]*\).*/\1/')
awk -v a="$d_f" -v b="$t_f" -v c="$d_t" -v d="$t_t" 'BEGIN {
    printf "ratio forward (batch 1) darknet/torch = %.2f   (target <= 1.0)\n", a / b
    printf "ratio train step (batch 8) darknet/torch = %.2f   (target <= 1.2)\n", c / d }'
