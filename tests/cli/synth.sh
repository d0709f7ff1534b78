#!/bin/sh
# Command-line checks of `darknet synth` ($DARKNET): the files it writes for
# a small dataset and its exit codes. One "ok NAME" or "FAIL NAME" line each.
prefix=cli_synth_
. "$(dirname "$0")/lib.sh"
count() { ls "$1" 2>/dev/null | wc -l | tr -d ' '; }

out="$tmp/set"
run synth "$out" -n 6 -valid 3 -size 64 -classes 4 -seed 5
[ $rc -eq 0 ] && grep -q '6 training and 3 validation images' "$tmp/out"
check runs $?

[ "$(count "$out/images/train")" = 6 ] && [ "$(count "$out/images/valid")" = 3 ] &&
    [ "$(count "$out/labels/train")" = 6 ] && [ "$(count "$out/labels/valid")" = 3 ] &&
    [ -f "$out/images/train/000001.jpg" ] && [ -f "$out/labels/valid/000003.txt" ]
check image_and_label_files $?

[ "$(wc -l <"$out/train.txt")" -eq 6 ] && [ "$(wc -l <"$out/valid.txt")" -eq 3 ] &&
    head -1 "$out/train.txt" | grep -q '^/.*/images/train/000001\.jpg$'
check lists_hold_absolute_paths $?

[ "$(wc -l <"$out/synth.names")" -eq 4 ] && head -1 "$out/synth.names" | grep -qx square &&
    grep -qx 'classes=4' "$out/synth.data" && grep -q '^train=/.*/train\.txt$' "$out/synth.data" &&
    grep -q '^valid=/.*/valid\.txt$' "$out/synth.data" && grep -q '^names=/.*/synth\.names$' "$out/synth.data" &&
    grep -q '^backup=/' "$out/synth.data" &&
    grep -q '^coco_json=/.*/annotations/instances_valid\.json$' "$out/synth.data" && [ -d "$out/backup" ]
check data_and_names $?

[ -s "$out/annotations/instances_train.json" ] && [ -s "$out/annotations/instances_valid.json" ] &&
    grep -q '"categories"' "$out/annotations/instances_valid.json" &&
    ! grep -q '"iscrowd":1' "$out/annotations/instances_train.json"
check coco_json $?

# every label line: class in 0..3 and four numbers in [0, 1]
awk 'NF != 5 || $1 !~ /^[0-3]$/ || $2 < 0 || $2 > 1 || $3 < 0 || $3 > 1 || $4 <= 0 || $4 > 1 || $5 <= 0 || $5 > 1 { bad = 1 }
     END { exit bad }' "$out"/labels/train/*.txt "$out"/labels/valid/*.txt
check labels_normalised $?

# same seed again: same bytes
run synth "$tmp/again" -n 6 -valid 3 -size 64 -classes 4 -seed 5
cmp -s "$out/images/train/000004.jpg" "$tmp/again/images/train/000004.jpg" &&
    cmp -s "$out/labels/valid/000002.txt" "$tmp/again/labels/valid/000002.txt"
check deterministic $?

# ---- exit codes ----
run synth
[ $rc -eq 2 ] && grep -q 'usage: darknet synth' "$tmp/err"
check no_dir_is_usage_error $?
for bad in "-n 0" "-valid 0" "-classes 9" "-classes 0" "-size 16" "-size 5000" "-n many" "-bogus 1"; do
    # shellcheck disable=SC2086
    run synth "$tmp/bad" $bad
    [ $rc -eq 2 ] && grep -q 'usage: darknet synth' "$tmp/err" && [ ! -e "$tmp/bad" ]
    check "bad_args_$(echo "$bad" | tr -c 'a-z0-9\n' '_')" $?
done
run synth "$tmp/one" "$tmp/two"
[ $rc -eq 2 ]
check two_dirs_is_usage_error $?

: >"$tmp/plainfile"
run synth "$tmp/plainfile/sub" -n 1 -valid 1
[ $rc -eq 1 ] && grep -q "plainfile" "$tmp/err"
check unwritable_dir_fails $?

run synth -h
[ $rc -eq 0 ] && grep -q 'usage: darknet synth' "$tmp/out"
check help $?
