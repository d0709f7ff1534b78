#!/bin/sh
# darknet coco import: a dataset made by `darknet synth` (which writes both
# darknet labels and COCO JSON) imported back from its JSON must give the same
# labels, the links and lists, and a coco.data with train, valid and coco_json.
prefix=cli_coco_import_
. "$(dirname "$0")/lib.sh"

"$DARKNET" synth "$tmp/s" -n 12 -valid 6 -size 96 -seed 4 > /dev/null 2>&1
"$DARKNET" coco import "$tmp/s/annotations/instances_train.json" "$tmp/s/images/train" "$tmp/c" > /dev/null 2>&1
r1=$?
"$DARKNET" coco import "$tmp/s/annotations/instances_valid.json" "$tmp/s/images/valid" "$tmp/c" > "$tmp/out" 2>&1
r2=$?
check runs "$([ $r1 = 0 ] && [ $r2 = 0 ]; echo $?)"
# the same boxes, to the digit, as synth wrote (crowd regions are JSON-only in both)
diff -r "$tmp/s/labels/train" "$tmp/c/labels/train" > /dev/null && diff -r "$tmp/s/labels/valid" "$tmp/c/labels/valid" > /dev/null
check labels_match_synth $?
grep -q '^train=' "$tmp/c/coco.data" && grep -q '^valid=' "$tmp/c/coco.data" && grep -q '^coco_json=.*instances_valid.json' "$tmp/c/coco.data" && grep -q '^classes=8$' "$tmp/c/coco.data"
check data_file_has_both_splits $?
[ "$(wc -l < "$tmp/c/coco.names")" = 8 ] && [ "$(wc -l < "$tmp/c/valid.txt")" = 6 ] && [ -r "$(head -n 1 "$tmp/c/valid.txt")" ]
check names_and_list $?
grep -q "crowd" "$tmp/out"
check reports_crowd_regions $?
echo '{"images": [' > "$tmp/bad.json"
"$DARKNET" coco import "$tmp/bad.json" "$tmp/s/images/valid" "$tmp/c2" > /dev/null 2> "$tmp/err"
check bad_json_fails "$([ $? = 1 ] && grep -q bad.json "$tmp/err"; echo $?)"
"$DARKNET" coco import only_one_arg > /dev/null 2>&1
check usage_error "$([ $? = 2 ]; echo $?)"
