#!/bin/sh
# darknet classifier train/valid/predict end to end on `synth -classify`
# shapes: the files synth writes, training with backups and a chart, held-out
# accuracy well above chance, predict's lines, and the errors.
# Learning: shapes_classifier.cfg at 16 x 16 for 200 iterations (about 2 s)
# gave top1 0.67, 0.78, 0.84, 0.78, 0.68 on 200 held-out images for seeds
# 1-5 (chance 0.25); the check asks for more than 0.5.
prefix=cli_classifier_
. "$(dirname "$0")/lib.sh"

s="$tmp/s"
"$DARKNET" synth "$s" -classify -n 500 -valid 200 -seed 1 > "$tmp/synth.log" 2>&1
[ $? = 0 ] && [ "$(wc -l < "$s/train.txt")" = 500 ] && [ "$(wc -l < "$s/valid.txt")" = 200 ] &&
    head -n 1 "$s/train.txt" | grep -Eq '^/.*/images/train/(square|circle|triangle|cross)_000001\.png$' &&
    [ -s "$(head -n 1 "$s/valid.txt")" ] && [ "$(cat "$s/labels.txt" | tr '\n' ' ')" = "square circle triangle cross " ] &&
    grep -qx 'classes=4' "$s/classify.data" && grep -q '^labels=/.*/labels\.txt$' "$s/classify.data" &&
    grep -qx 'top=2' "$s/classify.data" && [ -d "$s/backup" ]
check synth_classify_files $?

sed -e 's/^width=.*/width=16/' -e 's/^height=.*/height=16/' -e 's/^max_batches=.*/max_batches=200/' \
    -e 's/^steps=.*/steps=100,166/' cfg/shapes_classifier.cfg > "$tmp/shapes16.cfg"
data="$s/classify.data"
"$DARKNET" classifier train "$data" "$tmp/shapes16.cfg" -seed 1 -dont_show > "$tmp/train.log" 2>&1
check train_runs $?
grep -q "^500 images of 4 classes" "$tmp/train.log" && grep -q "^200/200: loss .*\[softmax .*\] lr .* img/s" "$tmp/train.log"
check progress_line $?
b="$s/backup"
[ -s "$b/shapes16_last.weights" ] && [ -s "$b/shapes16_final.weights" ] && [ -s "$b/chart_shapes16.png" ]
check backups_and_chart $?

w="$b/shapes16_final.weights"
"$DARKNET" classifier valid "$data" "$tmp/shapes16.cfg" "$w" > "$tmp/valid.log" 2> "$tmp/err"
rc=$?
last=$(tail -n 1 "$tmp/valid.log")
echo "$last" | grep -Eq '^top1=[01]\.[0-9]{4} top2=[01]\.[0-9]{4}$' && [ $rc = 0 ]
check valid_line $?
echo "$last" | awk '{ split($1, a, "="); split($2, b, "="); exit !(a[2] > 0.5 && b[2] >= a[2]) }'
check valid_top1_above_chance "$?"
[ "$(grep -c . "$tmp/err")" = 0 ] && grep -q "^200 images of" "$tmp/valid.log"
check valid_counts_images $?

img=$(head -n 1 "$s/valid.txt")
"$DARKNET" classifier predict "$data" "$tmp/shapes16.cfg" "$w" "$img" -top 4 > "$tmp/pred.log" 2>&1
[ $? = 0 ] && [ "$(grep -E '^ *[0-9]+\.[0-9]{2}%: (square|circle|triangle|cross)$' "$tmp/pred.log" |
    sed 's/.*: //' | sort -u | wc -l)" = 4 ]
check predict_lists_every_label $?
"$DARKNET" classifier predict "$data" "$tmp/shapes16.cfg" "$w" "$img" > "$tmp/pred2.log" 2>&1
[ "$(grep -c '%: ' "$tmp/pred2.log")" = 2 ]
check predict_top_from_data $?

# ---- errors ----
sed 's#^labels=.*#labels=/nonexistent/dir/labels.txt#' "$data" > "$tmp/nolabels.data"
"$DARKNET" classifier valid "$tmp/nolabels.data" "$tmp/shapes16.cfg" "$w" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "/nonexistent/dir/labels.txt" "$tmp/err"
check missing_labels_file $?
"$DARKNET" classifier train "$tmp/nolabels.data" "$tmp/shapes16.cfg" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "/nonexistent/dir/labels.txt" "$tmp/err"
check train_missing_labels_file $?
printf 'square\ncircle\ntriangle\n' > "$tmp/three.txt"
sed -e "s#^labels=.*#labels=$tmp/three.txt#" -e '/^classes=/d' "$data" > "$tmp/three.data"
"$DARKNET" classifier valid "$tmp/three.data" "$tmp/shapes16.cfg" "$w" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "4 outputs per image, not one per label" "$tmp/err"
check labels_must_match_outputs $?
"$DARKNET" classifier predict "$data" "$tmp/shapes16.cfg" "$w" "$tmp/none.png" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "none.png" "$tmp/err"
check predict_missing_image $?
"$DARKNET" classifier valid "$data" "$tmp/shapes16.cfg" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "usage: darknet classifier" "$tmp/err"
check usage_error $?
"$DARKNET" classifier bogus > /dev/null 2>&1
check unknown_subcommand "$([ $? = 2 ]; echo $?)"
"$DARKNET" synth "$tmp/bad" -classify -classes 3 > /dev/null 2>&1
check synth_classify_has_no_classes_flag "$([ $? = 2 ] && [ ! -e "$tmp/bad" ]; echo $?)"
