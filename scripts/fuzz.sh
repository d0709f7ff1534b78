#!/bin/sh
# fuzz.sh [HARNESS...]: makes the seed corpora and runs each libFuzzer harness
# (default: every $FUZZ_BUILD/fuzz_*) for $FUZZ_SECONDS seconds (default 60).
# `make fuzz` builds the harnesses and calls this; see README, "Fuzzing".
#
# $FUZZ_BUILD/seeds/H/   seeds, made anew each time: cfgs from cfg/, a `darknet synth`
#                        dataset, weights from fuzz_weights, scripts/fuzz_seeds.py
#                        (and seeds/H.dict, a dictionary, for fuzz_cfg)
# $FUZZ_BUILD/corpus/H/  what the fuzzer found interesting; kept between runs
# $FUZZ_BUILD/crashes/H/ crash-*, leak-* (failures), oom-*, timeout-* (reported)
# $FUZZ_BUILD/logs/H.log the fuzzer's output
# Each harness runs in libFuzzer's fork mode, so that an input that runs out of
# memory (-rss_limit_mb) or time (-timeout) is saved and fuzzing goes on; a crash,
# a leak or a sanitizer report stops it and makes this script fail.
# FUZZ_STRICT=1 treats out-of-memory and timeouts as failures too.
set -eu
B=${FUZZ_BUILD:-build-fuzz}
DARKNET=${DARKNET:-./darknet}
secs=${FUZZ_SECONDS:-60}
strict=${FUZZ_STRICT:-0}
if [ $# -eq 0 ]; then
    set --
    for f in "$B"/fuzz_*; do [ -x "$f" ] && set -- "$@" "$(basename "$f")"; done
fi
[ $# -gt 0 ] || { echo "fuzz.sh: no harnesses in $B (make fuzz-build)" >&2; exit 1; }

# the harnesses' input files (left behind by runs that are killed or crash)
case "$B" in /*) TMPDIR=$B/tmp ;; *) TMPDIR=$(pwd)/$B/tmp ;; esac
export TMPDIR
seeds=$B/seeds
rm -rf "$seeds" "$TMPDIR"
mkdir -p "$TMPDIR"
mkdir -p "$seeds/fuzz_cfg" "$seeds/fuzz_data" "$seeds/fuzz_weights" "$seeds/fuzz_image" "$seeds/fuzz_coco"
# cfg/*.cfg at batch 1 and at most 128 x 128, those that build within a second (the
# largest take seconds: their weights' initialisation under the sanitizers)
for f in cfg/*.cfg; do
    out=$seeds/fuzz_cfg/$(basename "$f")
    sed -E -e 's/^batch=.*/batch=1/' -e 's/^subdivisions=.*/subdivisions=1/' \
        -e 's/^(width|height)=([0-9]{4,}|[2-9][0-9]{2}|1[3-9][0-9])\r?$/\1=128/' "$f" >"$out"
    rc=0
    timeout 1 "$B/fuzz_cfg" "$out" >/dev/null 2>&1 || rc=$?
    [ "$rc" != 124 ] || rm -f "$out"
done
"$DARKNET" synth "$seeds/synth" -n 4 -valid 2 -size 64 >/dev/null
"$DARKNET" synth "$seeds/classify" -classify -n 4 -valid 2 >/dev/null
i=0
for f in "$seeds"/synth/*.txt "$seeds"/synth/*.data "$seeds"/synth/*.names "$seeds"/synth/labels/*/*.txt \
         "$seeds"/classify/*.txt "$seeds"/classify/*.data; do
    i=$((i + 1))
    cp "$f" "$seeds/fuzz_data/$i-$(basename "$f")"
done
for f in $(ls "$seeds"/synth/images/*/*.jpg | head -n 3) $(ls "$seeds"/classify/images/*/*.png | head -n 3); do
    i=$((i + 1))
    cp "$f" "$seeds/fuzz_image/$i-$(basename "$f")"
done
DN_FUZZ_WRITE_SEEDS=$seeds/fuzz_weights "$B/fuzz_weights" >/dev/null 2>&1 ||
    { echo "fuzz.sh: fuzz_weights could not write its seeds" >&2; exit 1; }
python3 scripts/fuzz_seeds.py "$seeds" "$seeds/synth"
# fuzz_cfg's dictionary: the names the cfg code knows (sections, keys, values), each
# section name in brackets, and the harness's own file name (a teacher cfg may name it)
{
    grep -ohE '"[A-Za-z_][A-Za-z0-9_]*"' src/layers/*.c src/distill/*.c src/core/network_build.c src/core/lr_policy.c \
        src/ops/activations.c
    grep -ohE '\.(name|alias) *= *"[a-z_]+"' src/layers/*.c src/distill/*.c | sed -E 's/.*"(.*)"/"[\1]"/'
    printf '"[net]"\n"fuzz.cfg"\n'
} | sort -u >"$seeds/fuzz_cfg.dict"

failed=""
for h in "$@"; do
    mkdir -p "$B/corpus/$h" "$B/crashes/$h" "$B/logs"
    log=$B/logs/$h.log
    echo "fuzz: $h for ${secs}s (log $log)"
    touch "$B/crashes/$h/.start"
    dict=""
    [ ! -f "$seeds/$h.dict" ] || dict=-dict=$seeds/$h.dict
    rc=0
    "$B/$h" $dict -fork=1 -ignore_crashes=0 -ignore_ooms=$((1 - strict)) -ignore_timeouts=$((1 - strict)) \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/crashes/$h/" "$B/corpus/$h" "$seeds/$h" >"$log" 2>&1 || rc=$?
    # fork mode's progress lines: "#EXECS: cov: C ft: F corp: N exec/s E oom/timeout/crash: a/b/c time: Ts ..."
    last=$(grep '^#[0-9]*: cov:' "$log" | tail -n 1 || true)
    echo "fuzz: $h: ${last:-no progress line} (exit $rc)"
    # files this run wrote (fork mode can write a crash of its last job without counting it)
    new() { find "$B/crashes/$h" -newer "$B/crashes/$h/.start" -type f -name "$1" | sort; }
    for f in $(new 'oom-*') $(new 'timeout-*'); do
        echo "fuzz: $h: note: out of memory or time (not a failure): $B/$h $f"
    done
    crashes=$(new 'crash-*'; new 'leak-*')
    if [ "$rc" != 0 ] || [ -n "$crashes" ]; then
        failed="$failed $h"
        grep -E 'ERROR:|runtime error:|SUMMARY:' "$log" | head -n 20 | sed "s/^/fuzz: $h: /"
        for f in $crashes; do echo "fuzz: $h: reproduce: $B/$h $f"; done
    fi
done
rm -rf "$TMPDIR"
if [ -n "$failed" ]; then
    echo "fuzz: FAIL:$failed"
    exit 1
fi
echo "fuzz: ok ($# harnesses, ${secs}s each)"
