#!/bin/sh
# `darknet distill compare` ($DARKNET) end to end on tiny synthetic data: a
# RetinaNet-tiny teacher trained a few iterations with `detector train`, a
# student of the same cfg with one [cwd] per FPN level, and a [kd] classifier
# student of a `synth -classify` teacher (whose accuracies are not all zero, so
# the gains' arithmetic is checked on real numbers). The table's rows and
# numbers, the files, the baseline training exactly as the cfg without [cwd]
# layers does (same losses), ERF pictures, and usage errors.
prefix=cli_distill_
. "$(dirname "$0")/lib.sh"
# width of a PNG: big-endian bytes 16..19
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'; }
# "ROW a b" of a table file -> "a b"
row() { awk -v r="$1" '$1 == r { print $2, $3 }' "$2"; }
# the table's numbers: three rows of two, gains consistent with them (to rounding)
table_ok() {
    awk 'function num(x) { return x ~ /^-?[0-9]+\.[0-9]+$/ }
        $1 == "teacher" || $1 == "student" || $1 == "distilled" {
            if (NF != 3 || !num($2) || !num($3)) bad = 1; v[$1, 1] = $2; v[$1, 2] = $3; rows++ }
        $1 == "direct_gain" { if (NF != 3 || !num($2) || !num($3)) bad = 1; g[1] = $2; g[2] = $3; dg = 1 }
        $1 == "effective_gain" { if (NF != 3) bad = 1; e[1] = $2; e[2] = $3; eg = 1 }
        END {
            if (bad || rows != 3 || !dg || !eg) exit 1
            for (m = 1; m <= 2; ++m) {
                d = v["distilled", m] - v["student", m]
                if (g[m] - d > 0.011 || d - g[m] > 0.011) exit 2
                t = v["teacher", m]
                if (t == 0) { if (e[m] != "n/a") exit 3; continue }
                if (!num(e[m])) exit 4
                r = g[m] / t; tol = 0.011 / t + 0.0001
                if (e[m] - r > tol || r - e[m] > tol) exit 5
            }
        }' "$1"
}

# ---- a detector: RetinaNet-tiny at 64 x 64 with three classes ----
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
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -iters 4 -out "$out" -erf "$s/valid.txt" -threads 1 \
    > "$tmp/cmp.log" 2> "$tmp/cmp.err"
check compare_runs $?
for f in compare.txt baseline_final.weights distilled_final.weights chart_baseline.png chart_distilled.png \
    erf_teacher.png erf_baseline.png erf_distilled.png erf_compare.png; do
    [ -s "$out/$f" ] || { echo "missing $out/$f"; false; } || break
done
check files_written $?
grep -q '^model  *AP  *AP50$' "$out/compare.txt" && table_ok "$out/compare.txt"
check detector_table $?
# the table printed is the one written
grep -A6 '^model ' "$tmp/cmp.log" > "$tmp/printed"
grep -A6 '^model ' "$out/compare.txt" | cmp -s - "$tmp/printed"
check table_printed_and_written $?
# the baseline trains as the cfg without [cwd] layers: the teacher's first 4 losses (same seed, data, schedule)
losses() { sed -n 's#^\([1-4]\)/[0-9]*: loss \([0-9.]*\) .*#\1 \2#p' "$1"; }
sed -n '/^== baseline/,/^== distilled/p' "$tmp/cmp.log" > "$tmp/base.log"
sed -n '/^== distilled/,$p' "$tmp/cmp.log" > "$tmp/dist.log"
[ "$(losses "$tmp/base.log")" = "$(losses "$tmp/teacher.log")" ] && [ "$(losses "$tmp/base.log" | wc -l)" = 4 ] &&
    ! grep -q 'cwd' "$tmp/base.log" && grep -q '^4/4: .*, cwd [0-9.]*\]' "$tmp/dist.log"
check baseline_is_student_without_distillation $?
! cmp -s "$out/baseline_final.weights" "$out/distilled_final.weights" &&
    [ "$(wc -c < "$out/baseline_final.weights")" = "$(wc -c < "$out/distilled_final.weights")" ]
check distilled_differs_same_layout $?
# 64 x 64 input enlarged x4: three 256-wide panels 8 apart; one erf line per model
[ "$(png_width "$out/erf_compare.png")" = $((3 * 256 + 2 * 8)) ] &&
    [ "$(grep -c '^erf \(teacher\|baseline\|distilled\) layer=20 images=6 area20=' "$out/compare.txt")" = 3 ]
check erf_side_by_side $?

# ---- a classifier: [kd] from a shapes teacher ----
c="$tmp/c"
"$DARKNET" synth "$c" -classify -n 64 -valid 32 -seed 3 > /dev/null 2>&1
small() { sed -e 's/^width=.*/width=16/' -e 's/^height=.*/height=16/' -e "s/^max_batches=.*/max_batches=$1/"; }
small 20 < cfg/shapes_teacher.cfg > "$tmp/shapes_teacher.cfg"
"$DARKNET" classifier train "$c/classify.data" "$tmp/shapes_teacher.cfg" -seed 1 > "$tmp/ct.log" 2>&1
small 20 < cfg/shapes_classifier_kd.cfg |
    sed "s#^teacher_weights=.*#teacher_weights=$c/backup/shapes_teacher_final.weights#" > "$tmp/kd.cfg"
"$DARKNET" distill compare "$c/classify.data" "$tmp/kd.cfg" -iters 6 -out "$tmp/kd" > "$tmp/kd.log" 2>&1 &&
    grep -q '^model  *top1  *top2$' "$tmp/kd/compare.txt" && table_ok "$tmp/kd/compare.txt" &&
    [ "$(row teacher "$tmp/kd/compare.txt")" != "0.00 0.00" ]
check classifier_table $?

# ---- errors ----
"$DARKNET" distill compare "$s/synth.data" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q 'usage: darknet distill' "$tmp/err"
check missing_cfg_is_usage_error $?
"$DARKNET" distill > /dev/null 2>&1
check missing_subcommand_is_usage_error "$([ $? = 2 ]; echo $?)"
"$DARKNET" distill compare "$s/synth.data" "$tmp/teacher.cfg" -out "$tmp/none" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q 'teacher.cfg has no distillation layer' "$tmp/err" && [ ! -e "$tmp/none/baseline_final.weights" ]
check cfg_without_distillation_refused $?
"$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -iters 7 -out "$tmp/none" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q 'max_batches=6' "$tmp/err"
check iters_beyond_max_batches_refused $?
"$DARKNET" distill compare -h > "$tmp/help" 2>&1
[ $? = 0 ] && grep -q 'usage: darknet distill compare DATA STUDENT_CFG' "$tmp/help"
check help $?
