#!/bin/sh
# Command-line checks of the `darknet` binary ($DARKNET): exit codes, usage
# messages, cfg errors naming file:line, `partial` output sizes and the
# benchmark summary line. Prints one "ok NAME" or "FAIL NAME" line per check.
prefix=cli_
. "$(dirname "$0")/lib.sh"

# ---- usage and exit codes ----
run
[ $rc -ne 0 ] && grep -q '^usage: darknet' "$tmp/err"
check no_args_usage_nonzero $?

run -h
[ $rc -eq 0 ] && grep -q '^usage: darknet' "$tmp/out"
check help_exits_zero $?

run benchmark -h
[ $rc -eq 0 ] && grep -q 'usage: darknet benchmark' "$tmp/out"
check benchmark_help $?

cat >"$tmp/tiny.cfg" <<'CFG'
[net]
batch=2
width=8
height=8
channels=3

[convolutional]
filters=4
size=3
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=2
size=1
activation=linear
CFG

run benchmark "$tmp/tiny.cfg" -bogus
[ $rc -ne 0 ] && grep -q 'usage: darknet benchmark' "$tmp/err" && grep -q -- '-bogus' "$tmp/err"
check benchmark_wrong_flag $?

run benchmark "$tmp/tiny.cfg" -bogus 3
[ $rc -ne 0 ] && grep -q 'usage: darknet benchmark' "$tmp/err"
check benchmark_wrong_flag_with_value $?

run benchmark "$tmp/tiny.cfg" -iters notanumber
[ $rc -ne 0 ] && grep -q 'usage: darknet benchmark' "$tmp/err"
check benchmark_bad_flag_value $?

run nosuchcommand
[ $rc -ne 0 ] && grep -q 'nosuchcommand' "$tmp/err"
check unknown_command $?

# ---- a broken cfg names file and line ----
printf '[net]\nbatch=2\nwidth=8\nheight=8\n\n[convolutional]\nfilters=4\nsize=3\nactivaton=leaky\n' >"$tmp/bad.cfg"
run benchmark "$tmp/bad.cfg" -iters 1
[ $rc -ne 0 ] && grep -q "bad.cfg:9" "$tmp/err" && grep -q 'activaton' "$tmp/err"
check broken_cfg_names_file_line $?

run benchmark "$tmp/nonexistent.cfg"
[ $rc -ne 0 ] && grep -q 'nonexistent.cfg' "$tmp/err"
check missing_cfg $?

# ---- partial: the first N layers' weights ----
# tiny.cfg stores conv 4x3x3x3 + 4 biases (112 floats), maxpool nothing,
# conv-bn 2x4 + 4x2 (16 floats); header 20 bytes.
full=$((20 + 4 * 112 + 4 * 16))
weights() { # FILE FLOATS: header 0.2.0, seen 0, then zero floats
    { head -c 4 /dev/zero; printf '\002\000\000\000'; head -c 12 /dev/zero; head -c $(($2 * 4)) /dev/zero; } >"$1"
}
weights "$tmp/full.weights" 128
size() { if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo none; fi; }
[ "$(size "$tmp/full.weights")" = $full ]
check weights_file_written $?

for n in 1 2 3; do
    rm -f "$tmp/part.weights"
    run partial "$tmp/tiny.cfg" "$tmp/full.weights" "$tmp/part.weights" $n
    case $n in 1|2) want=$((20 + 448));; 3) want=$full;; esac
    [ $rc -eq 0 ] && [ -f "$tmp/part.weights" ] && [ "$(size "$tmp/part.weights")" = $want ]
    check partial_$n $?
done
# the partial file loads into the full cfg (darknet's .conv.N use)
run partial "$tmp/tiny.cfg" "$tmp/full.weights" "$tmp/part1.weights" 1
run partial "$tmp/tiny.cfg" "$tmp/part1.weights" "$tmp/again.weights" 1
[ $rc -eq 0 ] && [ "$(size "$tmp/again.weights")" = $((20 + 448)) ]
check partial_of_partial $?
! ls "$tmp" | grep -q '\.tmp'
check partial_leaves_no_temporary $?

weights "$tmp/short.weights" 100
run partial "$tmp/tiny.cfg" "$tmp/short.weights" "$tmp/x.weights" 3
[ $rc -ne 0 ] && grep -q 'short.weights' "$tmp/err" && [ ! -f "$tmp/x.weights" ] &&
    grep -q " $((20 + 400)) bytes" "$tmp/err" && grep -q " $full bytes" "$tmp/err"
check partial_truncated_input $?

run partial "$tmp/tiny.cfg" "$tmp/full.weights" "$tmp/x.weights" abc
[ $rc -ne 0 ] && [ ! -f "$tmp/x.weights" ]
check partial_bad_count $?

run partial "$tmp/tiny.cfg" "$tmp/full.weights" "$tmp/no/such/dir/x.weights" 1
[ $rc -ne 0 ] && grep -q 'x.weights' "$tmp/err"
check partial_unwritable_output $?

# ---- benchmark summary line ----
run benchmark "$tmp/tiny.cfg" -iters 2 -train
last=$(tail -n 1 "$tmp/out")
num='[0-9]+(\.[0-9]+)?'
[ $rc -eq 0 ] && echo "$last" | grep -Eq "^benchmark forward_ms=$num train_ms=$num gflops=$num\$" &&
    echo "$last" | awk '{ split($3, t, "="); split($2, f, "="); exit !(t[2] > 0 && f[2] > 0) }'
check benchmark_train_summary $?

run benchmark "$tmp/tiny.cfg" -iters 1 -batch 3 -width 16 -height 12
[ $rc -eq 0 ] && tail -n 1 "$tmp/out" | grep -q 'train_ms=0.000' && grep -q '16 x 12 x 3, batch 3' "$tmp/out"
check benchmark_resized_inference_only $?

# a detector's training steps get synthetic scenes' boxes as truth: none
# rejected, and positives (box loss > 0), as in real training
run benchmark "$(dirname "$0")/../../cfg/retinanet_tiny.cfg" -train -iters 1 -batch 2 -width 64 -height 64 -threads 1
[ $rc -eq 0 ] && ! grep -q 'skipped' "$tmp/err" &&
    awk -F'box ' '/^losses per image of the last step: focal / { ok = $2 > 0 } END { exit !ok }' "$tmp/out"
check benchmark_detector_truth_has_positives $?
exit 0
