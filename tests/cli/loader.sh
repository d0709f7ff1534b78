#!/bin/sh
# Command-line checks of `darknet benchmark-loader` ($DARKNET) on a small
# synthetic dataset, and its exit codes. One "ok NAME" or "FAIL NAME" line each.
prefix=cli_loader_
. "$(dirname "$0")/lib.sh"

set="$tmp/set"
"$DARKNET" synth "$set" -n 6 -valid 3 -size 64 -classes 3 -seed 2 >/dev/null 2>&1

run benchmark-loader "$set/synth.data" -width 64 -height 48 -batch 4 -iters 2 -threads 2
[ $rc -eq 0 ] && tail -1 "$tmp/out" | grep -q '^benchmark-loader images_per_s=[0-9.]*$' &&
    grep -q '6 images, 64 x 48, batch 4, 2 threads, jitter 0.3 flip 1' "$tmp/out"
check trains $?

run benchmark-loader "$set/synth.data" -width 32 -height 32 -batch 1 -iters 2 -eval
[ $rc -eq 0 ] && grep -q 'valid.txt: 3 images' "$tmp/out" && grep -q '2 images in' "$tmp/out"
check eval $?

printf '[net]\r\nwidth=40\r\nheight=40\r\nhue=.2\r\nletter_box=1\r\n[yolo]\r\njitter=.1\r\n' >"$tmp/net.cfg"
run benchmark-loader "$set/synth.data" -cfg "$tmp/net.cfg" -batch 2 -iters 1
[ $rc -eq 0 ] && grep -q '40 x 40, batch 2, 2 threads, jitter 0.1 flip 1 hue 0.2 saturation 1 exposure 1, letterbox' "$tmp/out"
check cfg_keys $?

# ---- exit codes ----
for bad in "" "-batch 0" "-threads 0" "-iters x" "-bogus 1"; do
    # shellcheck disable=SC2086
    run benchmark-loader "$set/synth.data" $bad
    [ -n "$bad" ] || run benchmark-loader
    [ $rc -eq 2 ] && grep -q 'usage: darknet benchmark-loader' "$tmp/err"
    check "usage_$(echo "${bad:-none}" | tr -c 'a-z0-9\n' '_')" $?
done

run benchmark-loader "$tmp/none.data"
[ $rc -eq 1 ] && grep -q "none.data" "$tmp/err"
check missing_data_file $?

printf 'classes=3\ntrian=%s/train.txt\n' "$set" >"$tmp/typo.data"
run benchmark-loader "$tmp/typo.data"
[ $rc -eq 1 ] && grep -q "typo.data:2: unknown key 'trian'" "$tmp/err"
check data_typo_names_line $?

printf 'classes=3\nvalid=%s/valid.txt\n' "$set" >"$tmp/novalid.data"
run benchmark-loader "$tmp/novalid.data"
[ $rc -eq 1 ] && grep -q "no train= list" "$tmp/err"
check no_train_list $?

printf '[net]\nhue=3\n' >"$tmp/bad.cfg"
run benchmark-loader "$set/synth.data" -cfg "$tmp/bad.cfg"
[ $rc -eq 1 ] && grep -q "bad.cfg:2: \[net\] hue=3" "$tmp/err"
check bad_cfg_value $?

run benchmark-loader -h
[ $rc -eq 0 ] && grep -q 'usage: darknet benchmark-loader' "$tmp/out"
check help $?
