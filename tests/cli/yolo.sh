#!/bin/sh
# YOLO as a darknet user runs it: `detector train` on a cfg cut from
# cfg/yolov3-tiny.cfg prints darknet's losses by name, `detector map` and
# `detector test` measure and draw the result, `detector calc_anchors` writes
# the anchors line, random=1 and mosaic=1 train YOLO and RetinaNet networks,
# CWD distils a YOLO student, and a [yolo] key that cannot be acted on is
# refused by line.
prefix=cli_yolo_
. "$(dirname "$0")/lib.sh"

"$DARKNET" synth "$tmp/s" -n 16 -valid 6 -size 64 -classes 3 -seed 3 > /dev/null 2>&1
data="$tmp/s/synth.data"
abs=$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")
sed -e 's/^classes=80/classes=3/' -e 's/^filters=255/filters=24/' -e 's/^max_batches.*/max_batches=3/' \
    -e 's/^batch=.*/batch=4/' -e 's/^width=.*/width=64/' -e 's/^height=.*/height=64/' -e 's/^burn_in=.*/burn_in=1/' \
    "$(dirname "$0")/../../cfg/yolov3-tiny.cfg" > "$tmp/y.cfg"

run detector train "$data" "$tmp/y.cfg" -threads 1
[ $rc = 0 ] && grep -q "^3/3: loss .*\[iou [0-9.]*, class [0-9.]*, obj [0-9.]*, noobj [0-9.]*, count [0-9.]*\]" "$tmp/out" &&
    [ -s "$tmp/s/backup/y_final.weights" ]
check train_prints_darknet_losses_by_name $?

run detector map "$data" "$tmp/y.cfg" "$tmp/s/backup/y_final.weights"
[ $rc = 0 ] && grep -q "mean average precision (mAP@0.50" "$tmp/out"
check map_measures_a_yolo_network $?

run detector test "$data" "$tmp/y.cfg" "$tmp/s/backup/y_final.weights" "$(head -1 "$tmp/s/valid.txt")" \
    -thresh 0.1 -out "$tmp/p.png"
[ $rc = 0 ] && [ -s "$tmp/p.png" ]
check test_draws_yolo_detections $?

(cd "$tmp" && "$abs" detector calc_anchors "$data" -num_of_clusters 6 -width 64 -height 64 > out 2> err)
[ $? = 0 ] && grep -q "avg IoU = [0-9.]* %" "$tmp/out" &&
    grep -Eq "^anchors = ([0-9]+,[0-9]+, ){5}[0-9]+,[0-9]+$" "$tmp/anchors.txt"
check calc_anchors_writes_six_pairs $?

# random=1 (in [yolo], as darknet's cfgs) and mosaic=1: a 96 x 96 network
# trains at 96 and 128 (0.7x..1.4x in steps of 32), resizing every 10 iterations
sed -e 's/^width=64/width=96/' -e 's/^height=64/height=96/' -e 's/^max_batches=3/max_batches=12/' \
    -e 's/^random=.*/random=1/' -e 's/^hue=.1/hue=.1\nmosaic=1/' "$tmp/y.cfg" > "$tmp/r.cfg"
run detector train "$data" "$tmp/r.cfg" -threads 1
[ $rc = 0 ] && [ "$(grep -c "^resized to" "$tmp/out")" -ge 2 ] && grep -q "^resized to 128 x 128" "$tmp/out" &&
    grep -q "^12/12: loss [0-9.]* " "$tmp/out"
check random_resizes_and_keeps_training $?

# the same for a RetinaNet: random=1 and mosaic=1 in [net]
sed -e 's/^max_batches=.*/max_batches=12/' -e 's/^batch=.*/batch=2/' -e 's/^width=.*/width=96/' \
    -e 's/^height=.*/height=96\nrandom=1\nmosaic=1/' -e 's/^classes=8/classes=3/' -e 's/^filters=72$/filters=27/' \
    "$(dirname "$0")/../../cfg/retinanet_tiny.cfg" > "$tmp/rt.cfg"
run detector train "$data" "$tmp/rt.cfg" -threads 1
[ $rc = 0 ] && [ "$(grep -c "^resized to" "$tmp/out")" -ge 2 ] && grep -q "^12/12: loss .*\[focal" "$tmp/out"
check random_and_mosaic_train_a_retinanet $?

# CWD on a YOLO student's two neck outputs (cfg/yolov3-tiny_cwd.cfg), with its
# twice-as-wide teacher (cfg/yolov3-tiny_2x.cfg) trained first; both cut down
small="-e s/^classes=8/classes=3/ -e s/^filters=39/filters=24/ -e s/^max_batches=.*/max_batches=2/ \
    -e s/^batch=16/batch=2/ -e s/^width=128/width=64/ -e s/^height=128/height=64/"
sed $small "$(dirname "$0")/../../cfg/yolov3-tiny_2x.cfg" > "$tmp/t2x.cfg"
sed $small -e "s|^teacher=.*|teacher=$tmp/t2x.cfg|" -e "s|^teacher_weights=.*|teacher_weights=$tmp/s/backup/t2x_final.weights|" \
    "$(dirname "$0")/../../cfg/yolov3-tiny_cwd.cfg" > "$tmp/cwd.cfg"
"$DARKNET" detector train "$data" "$tmp/t2x.cfg" > /dev/null 2>&1
run detector train "$data" "$tmp/cwd.cfg"
[ $rc = 0 ] && grep -q "^2/2: loss .*noobj [0-9.]*, count [0-9.]*, cwd [0-9.]*\]" "$tmp/out"
check cwd_distills_a_yolo_student $?

sed "s/^ignore_thresh=.7/ignore_thresh=.7\\nfocal_loss=1/" "$tmp/y.cfg" > "$tmp/bad.cfg"
line=$(grep -n "^focal_loss=1" "$tmp/bad.cfg" | head -1 | cut -d: -f1)
run detector train "$data" "$tmp/bad.cfg"
[ $rc != 0 ] && [ -n "$line" ] && grep -q "bad.cfg:$line: .*focal_loss" "$tmp/err"
check unsupported_key_is_refused_by_line $?
exit 0
