#!/bin/sh
# `darknet distill compare` ($DARKNET) end to end on tiny synthetic data: a
# RetinaNet-tiny teacher trained a few iterations with `detector train`, a
# student of the same cfg with one [cwd] per FPN level, and a [kd] classifier
# student of a `synth -classify` teacher (whose accuracies are not all zero, so
# the gains' arithmetic is checked on real numbers). The summary's numbers,
# the files and loss logs, the warning for a teacher no better than the plain
# student, the baseline training exactly as the cfg without [cwd] layers does
# (same losses), several lengths and seeds, ERF pictures, and usage errors.
prefix=cli_distill_
. "$(dirname "$0")/lib.sh"
# width of a PNG: big-endian bytes 16..19
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'; }
# "ROW a b" of a table file -> "a b"
# The summary of one metric: under "METRIC by method and schedule length", rows
# "ITERS SEEDS METHOD TEACHER ST +- SD DI +- SD GAIN +- SD EFF LEAD". Checks the
# arithmetic: gain = distilled - student, eff = gain / teacher, lead = teacher - student.
summary_ok() {
    awk -v m="$2" 'function num(x) { return x ~ /^[-+]?[0-9]+\.[0-9]+$/ }
        $0 ~ "^" m " by method and schedule length" { on = 1; next }
        on && $1 == "iterations" { next }
        on && $1 ~ /^[0-9]+$/ {
            rows++; t = $4
            if (NF != 15 || !num(t) || !num($5) || !num($8) || !num($11) || !num($15)) bad = 1
            d = $8 - $5; if ($11 - d > 0.011 || d - $11 > 0.011) bad = 2
            l = t - $5; if ($15 - l > 0.011 || l - $15 > 0.011) bad = 3
            if (t == 0) { if ($14 != "n/a") bad = 4 }
            else { r = $11 / t; tol = 0.011 / t + 0.0001; if ($14 - r > tol || r - $14 > tol) bad = 5 }
            next }
        on { on = 0 }
        END { exit bad ? bad : rows == 0 }' "$1"
}

s="$tmp/s"
"$DARKNET" synth "$s" -n 16 -valid 6 -size 64 -classes 3 -seed 3 > /dev/null 2>&1
sed -e 's/^max_batches=.*/max_batches=6/' -e 's/^batch=.*/batch=4/' -e 's/^width=.*/width=64/' \
    -e 's/^height=.*/height=64/' -e 's/^burn_in=.*/burn_in=2/' -e 's/^classes=8/classes=3/' \
    -e 's/^filters=72$/filters=27/' cfg/retinanet_tiny.cfg > "$tmp/teacher.cfg"
"$DARKNET" detector train "$s/synth.data" "$tmp/teacher.cfg" -threads 1 > "$tmp/teacher.log" 2>&1 &&
    [ -s "$s/backup/teacher_final.weights" ]
check teacher_trains $?

# the student: the same cfg plus one [cwd] per FPN level (# fpn_outputs=20,22,24)
cp "$tmp/teacher.cfg" "$tmp/student.cfg"
for l in 20 22 24; do
    printf '\n[cwd]\nfrom=%d\nteacher=teacher.cfg\nteacher_weights=%s\nteacher_layer=%d\nloss_weight=5\n' \
        $l "$s/backup/teacher_final.weights" $l >> "$tmp/student.cfg"
done
out="$tmp/cmp"
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -out "$out" -erf "$s/valid.txt" -threads 1 \
    > "$tmp/cmp.log" 2> "$tmp/cmp.err"
check compare_runs $?
for f in compare.txt baseline_final.weights distilled_final.weights chart_baseline.png chart_distilled.png \
    baseline_losses.csv distilled_losses.csv erf_teacher.png erf_baseline.png erf_distilled.png erf_compare.png; do
    [ -s "$out/$f" ] || { echo "missing $out/$f"; false; } || break
done
check files_written $?
summary_ok "$out/compare.txt" AP && summary_ok "$out/compare.txt" AP50
check detector_table $?
sed -n '/^distill compare on/,/^(direct_gain/p' "$tmp/cmp.log" > "$tmp/printed"
sed -n '/^distill compare on/,/^(direct_gain/p' "$out/compare.txt" | cmp -s - "$tmp/printed" && [ -s "$tmp/printed" ]
check table_printed_and_written $?
# a teacher that is not better than the plain student (here all score 0) is called out
grep -q '^WARNING: student at 6 iterations: the plain student (AP50 0.00) reaches the teacher' "$out/compare.txt"
check teacher_not_better_is_warned $?
# every iteration's losses by name: the header names them, one row per iteration
[ "$(head -n 1 "$out/distilled_losses.csv")" = "iteration,lr,loss,focal,box,cwd" ] &&
    [ "$(wc -l < "$out/distilled_losses.csv")" = 7 ]
check losses_logged_by_name $?
# the cfg's whole schedule (6 iterations): the baseline trains exactly as the teacher did
losses() { sed -n 's#^\([1-6]\)/[0-9]*: loss \([0-9.]*\) .*#\1 \2#p' "$1"; }
sed -n '/^== baseline/,/^== distilled/p' "$tmp/cmp.log" > "$tmp/base.log"
sed -n '/^== distilled/,$p' "$tmp/cmp.log" > "$tmp/dist.log"
[ "$(losses "$tmp/base.log")" = "$(losses "$tmp/teacher.log")" ] && [ "$(losses "$tmp/base.log" | wc -l)" = 6 ] &&
    ! grep -q 'cwd' "$tmp/base.log" && grep -q '^6/6: .*, cwd [0-9.]*\]' "$tmp/dist.log"
check baseline_is_student_without_distillation $?
! cmp -s "$out/baseline_final.weights" "$out/distilled_final.weights" &&
    [ "$(wc -c < "$out/baseline_final.weights")" = "$(wc -c < "$out/distilled_final.weights")" ]
check distilled_differs_same_layout $?
# 64 x 64 input enlarged x4: three 256-wide panels 8 apart; one erf line per model
[ "$(png_width "$out/erf_compare.png")" = $((3 * 256 + 2 * 8)) ] &&
    [ "$(grep -c '^erf \(teacher\|baseline\|distilled\) layer=20 images=6 area20=' "$out/compare.txt")" = 3 ]
check erf_side_by_side $?

# several methods of one student: one plain baseline per run, a distilled student
# and a summary row per method; a cfg that is another student is refused
cp "$tmp/teacher.cfg" "$tmp/student_fd.cfg"
for l in 20 22; do
    printf '\n[fd]\nfrom=%d\nteacher=teacher.cfg\nteacher_weights=%s\nteacher_layer=%d\n' \
        $l "$s/backup/teacher_final.weights" $l >> "$tmp/student_fd.cfg"
done
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" "$tmp/student_fd.cfg" -iters 3 -out "$tmp/two" \
    -threads 1 > "$tmp/two.log" 2>&1 && [ "$(grep -c '^== baseline' "$tmp/two.log")" = 1 ] &&
    [ -s "$tmp/two/distilled_student_final.weights" ] && [ -s "$tmp/two/distilled_student_fd_final.weights" ] &&
    [ "$(awk '/^AP by method/ { on = 1 } on && $1 == 3 { print $3 } /^$/ { on = 0 }' "$tmp/two/compare.txt" | tr '\n' ' ')" = "student student_fd " ] &&
    summary_ok "$tmp/two/compare.txt" AP
check methods_share_one_baseline $?
sed 's/^filters=32$/filters=24/' "$tmp/student_fd.cfg" > "$tmp/other.cfg"
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" "$tmp/other.cfg" -iters 3 -out "$tmp/none2" \
    > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q 'other.cfg is not the same student as' "$tmp/err" && [ ! -e "$tmp/none2/baseline_final.weights" ]
check other_student_refused $?

# ---- a classifier: [kd] from a shapes teacher ----
c="$tmp/c"
"$DARKNET" synth "$c" -classify -n 64 -valid 32 -seed 3 > /dev/null 2>&1
small() { sed -e 's/^width=.*/width=16/' -e 's/^height=.*/height=16/' -e "s/^max_batches=.*/max_batches=$1/"; }
small 20 < cfg/shapes_teacher.cfg > "$tmp/shapes_teacher.cfg"
"$DARKNET" classifier train "$c/classify.data" "$tmp/shapes_teacher.cfg" -seed 1 > "$tmp/ct.log" 2>&1
small 20 < cfg/shapes_classifier_kd.cfg |
    sed "s#^teacher_weights=.*#teacher_weights=$c/backup/shapes_teacher_final.weights#" > "$tmp/kd.cfg"
"$DARKNET" distill compare "$c/classify.data" "$tmp/kd.cfg" -iters 6 -out "$tmp/kd" > "$tmp/kd.log" 2>&1 &&
    summary_ok "$tmp/kd/compare.txt" top1 && summary_ok "$tmp/kd/compare.txt" top2 &&
    ! grep -q '^teacher: top1 0.00, top2 0.00' "$tmp/kd/compare.txt"
check classifier_table $?
# two schedule lengths (the schedule scaled, not cut) and two seeds: four pairs, a
# summary row per length over both seeds, and the chart
"$DARKNET" distill compare "$c/classify.data" "$tmp/kd.cfg" -iters 6 -lengths 0.5,1 -seeds 1,2 -out "$tmp/kd2" \
    > "$tmp/kd2.log" 2>&1 && [ "$(grep -c '^run done:' "$tmp/kd2.log")" = 4 ] &&
    grep -q '^3/3: ' "$tmp/kd2.log" && [ -s "$tmp/kd2/gain_by_length.png" ] && [ -s "$tmp/kd2/distilled_3_s2_final.weights" ] &&
    [ "$(awk '/^top1 by method and schedule length/ { on = 1; next } on && $1 ~ /^[0-9]+$/ { print $1, $2 } on && $1 !~ /^[0-9]+$/ && $1 != "iterations" { on = 0 }' "$tmp/kd2/compare.txt" | tr '\n' ' ')" = "3 2 6 2 " ] &&
    summary_ok "$tmp/kd2/compare.txt" top1
check lengths_and_seeds $?
# evaluations during training: when the distilled student first reached the
# plain student's final top-1 (an iteration or "-" per seed), and the curves
"$DARKNET" distill compare "$c/classify.data" "$tmp/kd.cfg" -iters 6 -eval_every 3 -out "$tmp/kd3" > "$tmp/kd3.log" 2>&1 &&
    [ "$(grep -c '^evaluated at iteration [36]: ' "$tmp/kd3.log")" = 4 ] && [ -s "$tmp/kd3/curves.png" ] &&
    grep -A1 '^convergence:' "$tmp/kd3/compare.txt" | grep -Eq '^ +6 kd +([36]|-)$'
check evaluations_during_training $?
# the spread is the sample sd: for two seeds |a - b| / sqrt(2), from the run lines
awk '$1 == 6 && $2 == "its" && $5 == "top1" { v[++n] = $7 }
     /^top1 by method and schedule length/ { on = 1 } /^$/ { on = 0 } on && $1 == 6 { sd = $7 }
     END { d = v[1] - v[2]; want = sqrt(d * d / 2); exit !(n == 2 && sd - want < 0.006 && want - sd < 0.006) }' \
    "$tmp/kd2/compare.txt"
check spread_is_sample_sd_over_seeds $?

# ---- errors ----
"$DARKNET" distill compare "$s/synth.data" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q 'usage: darknet distill' "$tmp/err"
check missing_cfg_is_usage_error $?
"$DARKNET" distill > /dev/null 2>&1
check missing_subcommand_is_usage_error "$([ $? = 2 ]; echo $?)"
"$DARKNET" distill compare "$s/synth.data" "$tmp/teacher.cfg" -out "$tmp/none" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q 'teacher.cfg has no distillation layer' "$tmp/err" && [ ! -e "$tmp/none/baseline_final.weights" ]
check cfg_without_distillation_refused $?
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -lengths 0.5,0 -out "$tmp/none" > /dev/null 2>&1
l=$?
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -seeds 1,x -out "$tmp/none" > /dev/null 2>&1
m=$?
[ $l = 2 ] && [ $m = 2 ] && [ ! -e "$tmp/none" ]
check bad_lengths_or_seeds_are_usage_errors $?
"$DARKNET" distill compare -h > "$tmp/help" 2>&1
[ $? = 0 ] && grep -q 'usage: darknet distill compare DATA STUDENT_CFG' "$tmp/help"
check help $?
