#!/bin/sh
# Command-line checks of `darknet erf` ($DARKNET) on a tiny cfg and a few
# synthetic images: the picture, the last line, -append, skipped images and
# exit codes. One "ok NAME" or "FAIL NAME" line each.
prefix=cli_erf_
. "$(dirname "$0")/lib.sh"

"$DARKNET" synth "$tmp/s" -n 4 -valid 2 -size 64 -seed 3 >/dev/null 2>&1
cat >"$tmp/tiny.cfg" <<EOF
[net]
batch=2
width=32
height=32
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky
[maxpool]
size=2
stride=2
[convolutional]
filters=4
size=3
stride=1
pad=1
activation=relu
[avgpool]
[softmax]
EOF
list="$tmp/s/train.txt"

# default layer: the last conv (2), before global pooling
run erf "$tmp/tiny.cfg" none "$list" -out "$tmp/a.png"
last=$(tail -1 "$tmp/out")
[ $rc -eq 0 ] && [ -s "$tmp/a.png" ] && [ "$(od -An -c -j1 -N3 "$tmp/a.png" | tr -d ' ')" = PNG ] &&
    grep -q '4 of 4 images used' "$tmp/out"
check runs_and_writes_png $?
echo "$last" | awk '$1 == "erf" && $2 == "layer=2" && NF == 6 {
        for (i = 3; i <= 6; ++i) { split($i, kv, "="); v[i] = kv[2] + 0; if (kv[2] !~ /^[0-9.]+$/) bad = 1 }
        if (bad || v[3] <= 0 || v[3] > v[4] || v[4] > v[5] || v[5] > v[6] || v[6] > 1) exit 1; ok = 1 }
    END { exit !ok }'
check last_line_parses $?
# 32 x 32 input, enlarged x8 to 256
[ "$(png_width "$tmp/a.png")" = 256 ]
check picture_size $?

run erf "$tmp/tiny.cfg" none "$list" -layer 0 -n 2 -title "teacher" -append "$tmp/a.png" -out "$tmp/both.png"
[ $rc -eq 0 ] && tail -1 "$tmp/out" | grep -q '^erf layer=0 area20=' && grep -q '2 of 2 images used' "$tmp/out" &&
    [ "$(png_width "$tmp/both.png")" = $((256 + 8 + 256)) ]
check layer_n_title_append $?

# an unreadable entry is skipped with a warning
cp "$list" "$tmp/list.txt"
echo "$tmp/missing.jpg" >>"$tmp/list.txt"
run erf "$tmp/tiny.cfg" none "$tmp/list.txt" -out "$tmp/c.png" -relu
[ $rc -eq 0 ] && grep -q '4 of 5 images used' "$tmp/out" && grep -q 'missing.jpg' "$tmp/err"
check skips_bad_image $?

# ---- errors ----
run erf "$tmp/tiny.cfg" none "$list" -layer 99 -out "$tmp/d.png"
[ $rc -eq 1 ] && grep -q 'layer 99' "$tmp/err" && [ ! -e "$tmp/d.png" ]
check bad_layer_named $?
run erf "$tmp/tiny.cfg" none "$list" -layer 4 -out "$tmp/d.png"
[ $rc -eq 1 ] && grep -q 'layer 4 (\[softmax\]) is a loss layer' "$tmp/err"
check loss_layer_refused $?
echo "$tmp/missing.jpg" >"$tmp/bad.txt"
run erf "$tmp/tiny.cfg" none "$tmp/bad.txt" -out "$tmp/d.png"
[ $rc -eq 1 ] && grep -q 'none of the 1 images' "$tmp/err"
check no_usable_image $?
run erf "$tmp/tiny.cfg" none
[ $rc -eq 2 ] && grep -q 'usage: darknet erf' "$tmp/err"
check missing_list_is_usage_error $?
run erf "$tmp/tiny.cfg" none "$list" -n 0
[ $rc -eq 2 ]
check bad_n_is_usage_error $?
run erf -h
[ $rc -eq 0 ] && grep -q 'usage: darknet erf' "$tmp/out"
check help $?
