#!/bin/sh
# The detection pipeline on the built-in synthetic data: make a dataset, train
# cfg/retinanet_tiny.cfg for ITERS iterations (default 300, a few minutes on 2
# cores), print COCO's numbers and VOC mAP on held-out images, draw one.
# The cfg's learning-rate steps (/10 at 75% and 90% of 4000) are scaled to
# ITERS so a short run also ends at a low rate. ITERS=4000 is the full schedule.
set -e
cd "$(dirname "$0")/.."
ITERS=${ITERS:-300}
OUT=${OUT:-demo_detect}
./darknet synth "$OUT/data" -n 400 -valid 80 -size 128 -seed 5
sed -e "s/^max_batches=.*/max_batches=$ITERS/" -e "s/^steps=.*/steps=$((ITERS * 3 / 4)),$((ITERS * 9 / 10))/" \
    cfg/retinanet_tiny.cfg > "$OUT/retinanet_tiny.cfg"
./darknet detector train "$OUT/data/synth.data" "$OUT/retinanet_tiny.cfg" -clear -map -backup_every 100
W="$OUT/data/backup/retinanet_tiny_final.weights"
./darknet detector map "$OUT/data/synth.data" "$OUT/retinanet_tiny.cfg" "$W"
./darknet detector test "$OUT/data/synth.data" "$OUT/retinanet_tiny.cfg" "$W" "$OUT/data/images/valid/000001.jpg" \
    -thresh 0.3 -out "$OUT/predictions.png"
echo "chart: $OUT/data/backup/chart_retinanet_tiny.png, detections: $OUT/predictions.png"
