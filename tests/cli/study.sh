#!/bin/sh
# `darknet distill study` end to end on a tiny setting: two teachers (a ResNet
# and a ViT) of the context classification set, kd and fd, two seeds, a few
# iterations: the teachers trained once and reused, the cfgs it writes, the
# table's arithmetic (gain = distilled - plain, effective = gain / teacher),
# the ERF areas, convergence and corruption columns, and Markdown = CSV.
prefix=cli_study_
. "$(dirname "$0")/lib.sh"
cfg="$(dirname "$0")/../../cfg"

"$DARKNET" synth "$tmp/c" -classify -context -n 64 -valid 16 -seed 3 -corrupt gaussian_noise -severity 1,3 \
    > /dev/null 2>&1
# study METHODS
study() {
    "$DARKNET" distill study "$tmp/c/classify.data" "$cfg/context_student.cfg" \
        -teachers "$cfg/context_resnet.cfg,$cfg/context_vit.cfg" -methods "$1" -iters 4 -teacher_iters 4 \
        -seeds 1,2 -eval_every 2 -erf_n 4 -threads 1 -out "$tmp/st"
}
study kd,fd > "$tmp/log" 2>&1
check runs $?
for f in study.md study.csv compare.txt curves.png erf_context_resnet.png erf_context_vit.png \
    teachers/context_vit_final.weights cfgs/context_vit_kd.cfg cfgs/context_resnet_fd.cfg; do
    [ -s "$tmp/st/$f" ] || { echo "missing $f"; false; } || break
done
check files_written $?
# kd takes the place of the student's [softmax]; fd adds one [fd] per paired stage before it
# (a [softmax] is a loss only as the last layer: after it the fd students lost their cross-entropy)
! grep -q '^\[softmax\]' "$tmp/st/cfgs/context_vit_kd.cfg" && grep -q '^method=kd$' "$tmp/st/cfgs/context_vit_kd.cfg" &&
    [ "$(grep -c '^\[fd\]' "$tmp/st/cfgs/context_resnet_fd.cfg")" = 3 ] &&
    [ "$(grep '^\[' "$tmp/st/cfgs/context_resnet_fd.cfg" | tail -n 1)" = "[softmax]" ] &&
    grep '^2/4: .*\[fd ' "$tmp/log" | grep -q 'softmax [0-9.]*[1-9]'
check method_cfgs $?
# the CSV: a header, the plain student, 2 teachers x 2 methods; the arithmetic
awk -F, 'NR == 2 { plain = $5; pc = $11 }
    NR > 2 { rows++; g = $5 - plain; if ($7 - g > 0.011 || g - $7 > 0.011) bad = 1
             e = $7 / $2; tol = 0.011 / $2 + 0.0001; if ($9 - e > tol || e - $9 > tol) bad = 2
             if (!($3 > 0 && $3 <= 100)) bad = 3
             if ($10 !~ /^([0-9]+|-)\/([0-9]+|-)$/) bad = 4
             if ($11 == "") bad = 5 }
    END { exit bad ? bad : !(rows == 4 && pc != "") }' "$tmp/st/study.csv"
check table_arithmetic $?
[ "$(grep -c '^| ' "$tmp/st/study.md")" = 7 ] &&
    [ "$(sed -n 's/^| \([^|]*\) | \([^|]*\) |.*/\1,\2/p' "$tmp/st/study.md" | sed 3,7!d)" = \
      "$(cut -d, -f1,2 "$tmp/st/study.csv" | sed 2,6!d)" ]
check markdown_matches_csv $?
# a second study takes the trained teachers
study nkd > "$tmp/log2" 2>&1 && grep -q "teacher .*context_vit.cfg: reusing" "$tmp/log2" &&
    ! grep -q "^== context_vit:" "$tmp/log2"
check teachers_reused $?
"$DARKNET" distill study "$tmp/c/classify.data" "$cfg/context_student.cfg" -methods mse > /dev/null 2>&1
check bad_method_is_usage_error "$([ $? = 2 ]; echo $?)"
exit 0
