#!/bin/sh
# The reference distillation setting of docs/DISTILLATION.md, step by step; a
# step whose result exists is skipped, so an interrupted run continues.
#   1. 8000 + 500 synthetic 64 x 64 scenes of 3 classes (a seed the demo and
#      tests do not use)
#   2. the teacher cfg/ref64_teacher.cfg, 6000 steps, mAP every 600 (its chart
#      shows whether it is flat over the last fifth)
#   3. the plain student cfg/ref64_student.cfg on the same schedule, mAP every
#      1200 (its curve)
#   4. a loss_weight sweep of CWD (5, 20, 40) at a quarter of the schedule,
#      seed 1, sharing one plain baseline
#   5. `distill compare` of CWD (the student with [cwd] on P3 and P4, tau 1,
#      loss_weight CWD_WEIGHT, default 40: the best of the sweep; the paper's 5
#      gained nothing there) at the schedule fractions LENGTHS (default
#      0.125,0.25,0.5,1) and seeds SEEDS (default 1,2,3)
#   6. the other methods at METHODS_LENGTH of the schedule (default 0.5), same
#      seeds, sharing one plain baseline: spatial ([cwd] norm=spatial, the
#      classic spatial-softmax baseline, same weight), fd ([fd], MSE on P3 and
#      P4, weight 1), logits ([cwd] on the class-head logits of both levels:
#      logit distillation for a detector, same weight and tau: it diverges),
#      logits_t4 (the same at tau 4 and weight 3, the authors' setting for
#      segmentation logits) and cwd_w5 (the paper's weight)
# Results in OUT (default ref_distill): teacher.log and student.log (charts in
# data/backup/), sweep/, cwd/ and methods/ (compare.txt, gain_by_length.png,
# loss logs, ERFs). About 5 hours on 2 cores: 25 min teacher, 8 min student,
# 15 min sweep, 2.5 h CWD, 2 h the other methods.
set -e
cd "$(dirname "$0")/.."
OUT=${OUT:-ref_distill}
LENGTHS=${LENGTHS:-0.125,0.25,0.5,1}
METHODS_LENGTH=${METHODS_LENGTH:-0.5}
SEEDS=${SEEDS:-1,2,3}
CWD_WEIGHT=${CWD_WEIGHT:-40}
D=${DARKNET:-./darknet}
data=$OUT/data/synth.data
teacher=$OUT/data/backup/ref64_teacher_final.weights

[ -s "$data" ] || $D synth "$OUT/data" -n 8000 -valid 500 -size 64 -classes 3 -seed 21
[ -s "$teacher" ] || $D detector train "$data" cfg/ref64_teacher.cfg -clear -map -map_every 600 -seed 2001 \
    > "$OUT/teacher.log"
[ -s "$OUT/data/backup/ref64_student_final.weights" ] ||
    $D detector train "$data" cfg/ref64_student.cfg -clear -map -map_every 1200 -seed 1 > "$OUT/student.log"

# A method: the student cfg with one distillation section per pairing
# "FROM:TEACHER_LAYER" of PAIRS and the keys given, as $OUT/cfgs/NAME.cfg.
method_cfg() {
    cfg=$OUT/cfgs/$1.cfg section=$2 pairs=$3
    shift 3
    cp cfg/ref64_student.cfg "$cfg"
    for pair in $pairs; do
        printf '\n[%s]\nfrom=%s\nteacher=%s\nteacher_weights=%s\nteacher_layer=%s\n' "$section" "${pair%:*}" \
            "$(pwd)/cfg/ref64_teacher.cfg" "$(pwd)/$teacher" "${pair#*:}" >> "$cfg"
        printf '%s\n' "$@" >> "$cfg"
    done
}
mkdir -p "$OUT/cfgs"
fpn="14:14 16:16"        # P3 and P4
logits="19:19 25:25"     # the class convs of P3 and P4
for w in 5 20 40; do method_cfg "cwd_w$w" cwd "$fpn" tau=1 "loss_weight=$w"; done
method_cfg cwd cwd "$fpn" tau=1 "loss_weight=$CWD_WEIGHT"
method_cfg spatial cwd "$fpn" norm=spatial tau=1 "loss_weight=$CWD_WEIGHT"
method_cfg fd fd "$fpn" loss_weight=1
method_cfg logits cwd "$logits" tau=1 "loss_weight=$CWD_WEIGHT"
method_cfg logits_t4 cwd "$logits" tau=4 loss_weight=3

# compare NAME SEEDS ARGS...: distill compare into $OUT/NAME (skipped when done)
compare() {
    out=$OUT/$1 seeds=$2
    shift 2
    mkdir -p "$out"
    [ -s "$out/compare.txt" ] ||
        $D distill compare "$data" "$@" -seeds "$seeds" -out "$out" -erf "$OUT/data/valid.txt" -erf_n 50 \
            > "$out/compare.log"
}
[ -n "$SKIP_SWEEP" ] || compare sweep 1 "$OUT/cfgs/cwd_w5.cfg" "$OUT/cfgs/cwd_w20.cfg" "$OUT/cfgs/cwd_w40.cfg" \
    -lengths 0.25
[ -n "$SKIP_CWD" ] || compare cwd "$SEEDS" "$OUT/cfgs/cwd.cfg" -lengths "$LENGTHS"
[ -n "$SKIP_METHODS" ] || compare methods "$SEEDS" "$OUT/cfgs/spatial.cfg" "$OUT/cfgs/fd.cfg" "$OUT/cfgs/logits.cfg" \
    "$OUT/cfgs/logits_t4.cfg" "$OUT/cfgs/cwd_w5.cfg" -lengths "$METHODS_LENGTH"
