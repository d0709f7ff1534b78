#!/bin/sh
# The robustness sets from the command line: `synth -classify -context`
# (labels left, right, above, below; 64 x 64 by default), `-corrupt` writing
# ImageNet-C-style corrupted copies of the validation images with their index
# and the .data's corrupt= line, `classifier valid` reporting top-1 on each
# (the clean top1= line stays last), -distractors, and the flag errors. No accuracy is
# checked (a 3-iteration classifier).
prefix=cli_corrupt_
. "$(dirname "$0")/lib.sh"

s="$tmp/s"
run synth "$s" -classify -context -n 12 -valid 5 -seed 2 -corrupt contrast,jpeg_compression -severity 1,5
[ $rc -eq 0 ] && grep -q 'of 64 x 64, 4 classes (context' "$tmp/out" &&
    [ "$(cat "$s/labels.txt" | tr '\n' ' ')" = "left right above below " ] &&
    head -n 1 "$s/valid.txt" | grep -Eq '/images/valid/(left|right|above|below)_000001\.png$'
check context_set $?

idx="$s/corrupt/index.txt"
[ "$(grep -vc '^#' "$idx")" = 4 ] && grep -q "^contrast 1 /.*/corrupt/contrast_1\.txt$" "$idx" &&
    grep -q "^jpeg_compression 5 /" "$idx" && [ "$(wc -l < "$s/corrupt/contrast_5.txt")" = 5 ] &&
    [ "$(ls "$s/corrupt/jpeg_compression_1" | wc -l | tr -d ' ')" = 5 ] &&
    grep -qx "corrupt=$(cd "$s" && pwd)/corrupt/index.txt" "$s/classify.data" && grep -q "tiny parameters" "$tmp/out"
check sets_index_and_data_key $?

# another run adds its sets to the index (and the .data still has one corrupt= line)
run synth "$s" -classify -context -n 12 -valid 5 -seed 2 -corrupt gaussian_noise -severity 3 -corrupt_table cifar
[ $rc -eq 0 ] && [ "$(grep -vc '^#' "$idx")" = 5 ] && grep -q '^gaussian_noise 3 ' "$idx" &&
    [ "$(grep -c '^corrupt=' "$s/classify.data")" = 1 ]
check later_runs_add_sets $?

sed -e 's/^max_batches=.*/max_batches=3/' -e 's/^batch=.*/batch=4/' -e 's/^burn_in=.*/burn_in=1/' \
    cfg/context_student.cfg > "$tmp/student.cfg"
"$DARKNET" classifier train "$s/classify.data" "$tmp/student.cfg" -seed 1 > "$tmp/train.log" 2>&1
check student_trains $?
run classifier valid "$s/classify.data" "$tmp/student.cfg" "$s/backup/student_final.weights"
[ $rc -eq 0 ] && grep -Eq '^  contrast +1: [0-9.]+ 5: [0-9.]+ +mean [0-9.]+$' "$tmp/out" &&
    grep -Eq '^  gaussian_noise +3: [0-9.]+ +mean' "$tmp/out" && grep -Eq '^corrupt mean_top1=[0-9.]+ over 5 sets$' "$tmp/out" &&
    tail -n 1 "$tmp/out" | grep -Eq '^top1=[0-9.]+ top2=[0-9.]+$'
check valid_reports_each_set $?

run synth "$tmp/x" -classify -corrupt snow
[ $rc -eq 2 ] && grep -q 'snow' "$tmp/err"
check unknown_corruption_is_a_usage_error $?
run synth "$tmp/x" -classify -corrupt contrast -severity 6
[ $rc -eq 2 ] && grep -q 'severity' "$tmp/err"
check bad_severity_is_a_usage_error $?
run synth "$tmp/x" -corrupt contrast
[ $rc -eq 2 ]
check corrupt_needs_classify $?
# the harder context variant: distractors only with -context, 0-8 of them
run synth "$tmp/d" -classify -context -distractors 2 -n 4 -valid 2 -seed 2
[ $rc -eq 0 ] && [ "$(wc -l < "$tmp/d/train.txt")" = 4 ] && [ "$(ls "$tmp/d/images/valid" | wc -l | tr -d ' ')" = 2 ]
check distractors_set $?
run synth "$tmp/x" -classify -distractors 2
rc1=$rc
run synth "$tmp/x" -classify -context -distractors 9
[ $rc1 -eq 2 ] && [ $rc -eq 2 ]
check distractors_need_context_and_at_most_8 $?
printf 'contrast 1 %s/nothing.txt\n' "$tmp" > "$s/corrupt/index.txt"
run classifier valid "$s/classify.data" "$tmp/student.cfg" "$s/backup/student_final.weights"
[ $rc -eq 1 ] && grep -q 'nothing.txt' "$tmp/err"
check missing_set_is_an_error $?
