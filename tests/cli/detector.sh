#!/bin/sh
# darknet detector train/test/valid/map end to end on a tiny synthetic set:
# backups, chart, -map, resume continuing the schedule, Ctrl-C saving, and
# valid's JSON scored by `coco eval` agreeing with `detector map`.
prefix=cli_detector_
. "$(dirname "$0")/lib.sh"

tiny_detector "$tmp" 6
data="$tmp/s/synth.data"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" -backup_every 4 -map -map_every 2 -threads 1 > "$tmp/train.log" 2>&1
check train_runs $?
b="$tmp/s/backup"
[ -s "$b/tiny_last.weights" ] && [ -s "$b/tiny_final.weights" ] && [ -s "$b/chart_tiny.png" ]
check backups_and_chart $?
grep -q "^6/6: loss .*focal .*box .* lr .* img/s" "$tmp/train.log"
check progress_line $?
# -map_every on its own schedule, not only at backups (4 and 6): at 2, 4 and 6
[ "$(grep -c "mean average precision" "$tmp/train.log")" = 3 ] &&
    [ "$(grep '^mAP at iteration' "$tmp/train.log" | tr -d '\n')" = "mAP at iteration 2:mAP at iteration 4:mAP at iteration 6:" ]
check map_during_training $?
sed -i 's/^max_batches=.*/max_batches=8/' "$tmp/tiny.cfg"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" "$b/tiny_final.weights" -backup_every 100 -threads 1 > "$tmp/resume.log" 2>&1
grep -q "from iteration 6 to 8" "$tmp/resume.log" && grep -q "^8/8:" "$tmp/resume.log"
check resume_continues_schedule $?
sed -i 's/^max_batches=.*/max_batches=100000/' "$tmp/tiny.cfg"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" -clear -backup_every 100000 -threads 1 > "$tmp/int.log" 2>&1 &
pid=$!
# wait for the first progress line (the handler is set by then), 60 s at most
for i in $(seq 120); do grep -q "^[0-9]*/100000:" "$tmp/int.log" && break; sleep 0.5; done
kill -INT $pid
wait $pid
rc=$?
grep -q "interrupted by SIGINT: saving" "$tmp/int.log" && [ $rc = 0 ] && [ "$b/tiny_last.weights" -nt "$b/tiny_final.weights" ]
check ctrl_c_saves $?
w="$b/tiny_final.weights"
# a 64 x 64 scene is drawn 8x enlarged, so that the labels do not hide the objects
"$DARKNET" detector test "$data" "$tmp/tiny.cfg" "$w" "$tmp/s/images/valid/000001.jpg" -thresh 0.01 -out "$tmp/p.png" > /dev/null 2>&1 &&
    [ "$(png_width "$tmp/p.png")" = 512 ]
check test_draws_small_images_enlarged $?
# names= that cannot be read, or holds no names: an error naming the file
img="$tmp/s/images/valid/000001.jpg"
sed 's#^names=.*#names='"$tmp"'/none.names#' "$data" > "$tmp/nonames.data"
run detector test "$tmp/nonames.data" "$tmp/tiny.cfg" "$w" "$img" -out "$tmp/q.png"
check test_missing_names_is_an_error "$([ $rc = 1 ] && grep -q none.names "$tmp/err" && [ ! -e "$tmp/q.png" ]; echo $?)"
: > "$tmp/none.names"
run detector test "$tmp/nonames.data" "$tmp/tiny.cfg" "$w" "$img" -out "$tmp/q.png"
check test_empty_names_is_an_error "$([ $rc = 1 ] && grep -q "none.names holds no entries" "$tmp/err"; echo $?)"
# fewer names than classes: a warning with the counts; the rest by number
# (a low score_thresh: after 6 iterations every score is about the prior 0.01)
echo circle > "$tmp/none.names"
sed 's/^score_thresh=.*/score_thresh=0.001/' "$tmp/tiny.cfg" > "$tmp/low.cfg"
run detector test "$tmp/nonames.data" "$tmp/low.cfg" "$w" "$img" -thresh 0.001 -out "$tmp/q.png"
[ $rc = 0 ] && grep -q "none.names holds 1 names for the network's 3 classes" "$tmp/err" &&
    grep -q "^class [12]: " "$tmp/out" && ! grep -q "^?" "$tmp/out"
check test_few_names_warns_and_numbers_classes $?
"$DARKNET" detector valid "$data" "$tmp/tiny.cfg" "$w" -out "$tmp/r.json" > /dev/null 2>&1 && \
"$DARKNET" coco eval "$tmp/s/annotations/instances_valid.json" "$tmp/r.json" 2> /dev/null | head -n 1 > "$tmp/a" && \
"$DARKNET" detector map "$data" "$tmp/tiny.cfg" "$w" 2> /dev/null | grep "Average Precision" | head -n 1 > "$tmp/b" && \
[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
check valid_json_agrees_with_map $?
# a plain darknet dataset (no coco_json=) is scored from its labels, and on
# the training split (no crowd regions) exactly as from its COCO JSON
grep -v '^coco_json=' "$data" | sed 's#^valid=.*#valid='"$tmp"'/s/train.txt#' > "$tmp/labels.data"
cp "$tmp/labels.data" "$tmp/json.data"
echo "coco_json=$tmp/s/annotations/instances_train.json" >> "$tmp/json.data"
"$DARKNET" detector map "$tmp/labels.data" "$tmp/tiny.cfg" "$w" > "$tmp/ml" 2>&1
"$DARKNET" detector map "$tmp/json.data" "$tmp/tiny.cfg" "$w" > "$tmp/mj" 2>&1
grep -E "IoU=0.50(:0.95)? .*area= +all|mean average precision" "$tmp/ml" > "$tmp/ml2"
grep -E "IoU=0.50(:0.95)? .*area= +all|mean average precision" "$tmp/mj" > "$tmp/mj2"
[ "$(wc -l < "$tmp/ml2")" -ge 4 ] && ! grep -q -- "-1\.0" "$tmp/ml2" && cmp -s "$tmp/ml2" "$tmp/mj2"
check map_from_labels_equals_map_from_json $?
"$DARKNET" detector train "$tmp/missing.data" "$tmp/tiny.cfg" > /dev/null 2> "$tmp/err"
check missing_data_file "$([ $? = 1 ] && grep -q missing.data "$tmp/err"; echo $?)"
# a .data whose classes= differs from the network's is refused by training
# and evaluation alike, naming both numbers
sed 's/^classes=.*/classes=8/' "$tmp/labels.data" > "$tmp/eight.data"
sed 's/^max_batches=.*/max_batches=1/' "$tmp/tiny.cfg" > "$tmp/one.cfg"
run detector train "$tmp/eight.data" "$tmp/one.cfg"
t=$rc
grep -q "eight.data says classes=8 but .*one.cfg predicts 3" "$tmp/err"
t2=$?
run detector map "$tmp/eight.data" "$tmp/tiny.cfg" "$w"
[ $t = 1 ] && [ $t2 = 0 ] && [ $rc = 1 ] && grep -q "predicts 3 classes but .*eight.data has 8" "$tmp/err"
check classes_mismatch_is_an_error $?
# an evaluation that cannot start says why once, and a directory is not weights
run detector map "$data" "$tmp/tiny.cfg" "$tmp"
[ $rc = 1 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "is a directory, not a file" "$tmp/err"
check eval_error_printed_once $?
"$DARKNET" detector train > /dev/null 2>&1
check usage_error "$([ $? = 2 ]; echo $?)"
