#!/bin/sh
# Downloads COCO 2017 (train and val images, instances annotations) into DIR
# (default ./coco) and imports it as a darknet dataset (DIR/coco.data):
#   scripts/get_coco.sh [DIR]
# Needs internet and about 20 GB of disk; curl or wget.
set -e
DIR=${1:-coco}
DARKNET=${DARKNET:-./darknet}
BASE=http://images.cocodataset.org
mkdir -p "$DIR"
cd "$DIR"
fetch() {
    [ -s "$(basename "$1")" ] && return 0
    if command -v curl > /dev/null; then curl -fL -o "$(basename "$1").part" "$1"
    else wget -O "$(basename "$1").part" "$1"; fi
    mv "$(basename "$1").part" "$(basename "$1")"
}
fetch "$BASE/annotations/annotations_trainval2017.zip"
fetch "$BASE/zips/val2017.zip"
fetch "$BASE/zips/train2017.zip"
for z in annotations_trainval2017.zip val2017.zip train2017.zip; do
    unzip -q -n "$z"
done
cd - > /dev/null
"$DARKNET" coco import "$DIR/annotations/instances_train2017.json" "$DIR/train2017" "$DIR"
"$DARKNET" coco import "$DIR/annotations/instances_val2017.json" "$DIR/val2017" "$DIR"
echo "train with: $DARKNET detector train $DIR/coco.data cfg/retinanet_r50_fpn.cfg -map"
