#!/bin/sh
# [kd] from the command line: a teacher (cfg/shapes_teacher.cfg at 16 x 16)
# trained for a few iterations on `synth -classify` shapes, then
# cfg/shapes_classifier_kd.cfg (KD) and its method=nkd variant for a few
# iterations each: the progress line names the kd losses, valid and predict
# read the [kd] layer's probabilities, and a missing teacher is an error naming
# the cfg line and key. No accuracy is checked (too few iterations).
prefix=cli_kd_
. "$(dirname "$0")/lib.sh"

s="$tmp/s"
"$DARKNET" synth "$s" -classify -n 64 -valid 32 -seed 3 > "$tmp/synth.log" 2>&1
data="$s/classify.data"
small() { sed -e 's/^width=.*/width=16/' -e 's/^height=.*/height=16/' -e "s/^max_batches=.*/max_batches=$1/"; }
small 8 < cfg/shapes_teacher.cfg > "$tmp/shapes_teacher.cfg"
"$DARKNET" classifier train "$data" "$tmp/shapes_teacher.cfg" -seed 1 > "$tmp/teacher.log" 2>&1 &&
    [ -s "$s/backup/shapes_teacher_final.weights" ]
check teacher_trains $?

# the student names its teacher relatively: found beside the student's cfg
small 5 < cfg/shapes_classifier_kd.cfg |
    sed "s#^teacher_weights=.*#teacher_weights=$s/backup/shapes_teacher_final.weights#" > "$tmp/kd.cfg"
"$DARKNET" classifier train "$data" "$tmp/kd.cfg" -seed 1 > "$tmp/kd.log" 2>&1
check kd_trains $?
grep -Eq '^5/5: loss [0-9.]+ .*\[ce [0-9.]+, kd [0-9.]+\] lr ' "$tmp/kd.log"
check kd_progress_line $?

sed -e 's/^alpha=.*/alpha=0.5/' -e 's/^temperature=.*/method=nkd\ntemperature=2\ngamma=1.5/' \
    "$tmp/kd.cfg" > "$tmp/nkd.cfg"
"$DARKNET" classifier train "$data" "$tmp/nkd.cfg" -seed 1 > "$tmp/nkd.log" 2>&1 &&
    grep -Eq '^5/5: .*\[ce [0-9.]+, nkd_target [0-9.]+, nkd_nontarget [0-9.]+\]' "$tmp/nkd.log"
check nkd_progress_line $?

w="$s/backup/kd_final.weights"
"$DARKNET" classifier valid "$data" "$tmp/kd.cfg" "$w" > "$tmp/valid.log" 2>&1 &&
    tail -n 1 "$tmp/valid.log" | grep -Eq '^top1=[01]\.[0-9]{4} top2=[01]\.[0-9]{4}$'
check valid_reads_kd_output $?
img=$(head -n 1 "$s/valid.txt")
"$DARKNET" classifier predict "$data" "$tmp/kd.cfg" "$w" "$img" -top 4 > "$tmp/pred.log" 2>&1 &&
    grep -E '^ *[0-9]+\.[0-9]{2}%: ' "$tmp/pred.log" | sed 's/%.*//' |
    awk '{ t += $1; n++ } END { exit !(n == 4 && t > 99.9 && t < 100.1) }'
check predict_probabilities_sum_to_one $?

line=$(grep -n '^teacher_weights=' "$tmp/kd.cfg" | cut -d: -f1)
sed "s#^teacher_weights=.*#teacher_weights=$tmp/none.weights#" "$tmp/kd.cfg" > "$tmp/missing.cfg"
"$DARKNET" classifier train "$data" "$tmp/missing.cfg" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "missing.cfg:$line: \[kd\] teacher_weights=$tmp/none.weights: .*none.weights" "$tmp/err"
check missing_teacher_names_line_and_key $?
