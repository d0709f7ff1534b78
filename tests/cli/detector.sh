#!/bin/sh
# darknet detector train/test/valid/map end to end on a tiny synthetic set:
# backups, chart, -map, resume continuing the schedule, Ctrl-C saving, and
# valid's JSON scored by `coco eval` agreeing with `detector map`.
prefix=cli_detector_
. "$(dirname "$0")/lib.sh"

"$DARKNET" synth "$tmp/s" -n 16 -valid 6 -size 64 -classes 3 -seed 3 > /dev/null 2>&1
sed -e 's/^max_batches=.*/max_batches=6/' -e 's/^batch=.*/batch=4/' -e 's/^width=.*/width=64/' -e 's/^height=.*/height=64/' \
    -e 's/^burn_in=.*/burn_in=2/' -e 's/^classes=8/classes=3/' cfg/retinanet_tiny.cfg > "$tmp/tiny.cfg"
# class convs: 9 anchors x 3 classes
sed -i 's/^filters=72$/filters=27/' "$tmp/tiny.cfg"
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
grep -q "interrupted: saving" "$tmp/int.log" && [ $rc = 0 ] && [ "$b/tiny_last.weights" -nt "$b/tiny_final.weights" ]
check ctrl_c_saves $?
w="$b/tiny_final.weights"
"$DARKNET" detector test "$data" "$tmp/tiny.cfg" "$w" "$tmp/s/images/valid/000001.jpg" -thresh 0.01 -out "$tmp/p.png" > /dev/null 2>&1 && [ -s "$tmp/p.png" ]
check test_draws $?
"$DARKNET" detector valid "$data" "$tmp/tiny.cfg" "$w" -out "$tmp/r.json" > /dev/null 2>&1 && \
"$DARKNET" coco eval "$tmp/s/annotations/instances_valid.json" "$tmp/r.json" 2> /dev/null | head -n 1 > "$tmp/a" && \
"$DARKNET" detector map "$data" "$tmp/tiny.cfg" "$w" 2> /dev/null | grep "Average Precision" | head -n 1 > "$tmp/b" && \
[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
check valid_json_agrees_with_map $?
"$DARKNET" detector train "$tmp/missing.data" "$tmp/tiny.cfg" > /dev/null 2> "$tmp/err"
check missing_data_file "$([ $? = 1 ] && grep -q missing.data "$tmp/err"; echo $?)"
"$DARKNET" detector train > /dev/null 2>&1
check usage_error "$([ $? = 2 ]; echo $?)"
