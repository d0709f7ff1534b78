#!/bin/sh
# The CPU table of docs/PERFORMANCE.md (issue 13): darknet beside PyTorch (and,
# for the two inference rows, ONNX Runtime) on the same machine in one run, 2
# threads each, alternating per workload for ROUNDS rounds so background load
# hits all of them; prints the medians and the ratios (lower is better).
#   resnet18_fwd   ResNet-18 forward, 256x256, batch 1 (cfg/resnet18.cfg)
#   tiny_train     retinanet_tiny training step, 128x128, batch 16
#   r18fpn_train   R18-FPN RetinaNet training step, 320x320, batch 2
#   cwd_train      R50-FPN -> R18-FPN CWD distillation step, 320x320, batch 2
#   r50fpn_infer   R50-FPN RetinaNet inference, 320x320, batch 2
#   r18fpn_infer   R18-FPN RetinaNet inference, 320x320, batch 1
#   r18fpn_export  R18-FPN at 640x640, batch 1: darknet beside ONNX Runtime running
#                  `darknet export onnx -postprocess` of the same cfg (decoding and NMS on
#                  both sides; issue 14); tiny_export the same for retinanet_tiny at 128x128
# darknet's detector inference includes decoding and NMS, as PyTorch's does;
# ONNX Runtime runs the exported network without them (scripts/bench_onnxruntime.py).
# ROUNDS (3), ITERS (5; ResNet-18 4x), ROWS (a subset, e.g. "resnet18_fwd tiny_train"),
# DARKNET (./darknet), OUT (work files, bench_cpu/).
set -e
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
ITERS=${ITERS:-5}
ROWS=${ROWS:-"resnet18_fwd tiny_train r18fpn_train cwd_train r50fpn_infer r18fpn_infer r18fpn_export tiny_export"}
DARKNET=${DARKNET:-./darknet}
OUT=${OUT:-bench_cpu}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac   # ONNX Runtime runs from scripts/
PY=/usr/bin/python3
DARKNET_DEPS_EXTRA="python3-torch python3-torchvision" scripts/install_deps.sh
$PY -c 'import onnxruntime' 2> /dev/null || $PY -m pip install -q --break-system-packages onnxruntime ||
    echo "no onnxruntime: its column stays empty"
[ -x "$DARKNET" ] || make -s darknet
mkdir -p "$OUT"

at_320() {
    sed -e "s/^batch=.*/batch=$2/" -e 's/^subdivisions=.*/subdivisions=1/' -e 's/^width=.*/width=320/' \
        -e 's/^height=.*/height=320/' -e 's/^max_batches=.*/max_batches=1/' -e 's/^burn_in=.*/burn_in=0/' "$1"
}
at_320 cfg/retinanet_r50_fpn.cfg 2 > "$OUT/r50_320.cfg"
at_320 cfg/retinanet_r18_fpn.cfg 2 > "$OUT/r18_320.cfg"
# The CWD teacher: R50-FPN with synth's 8 classes, so that one `detector train` step on
# `darknet synth` data gives it weights (speed does not depend on their values); it runs only
# up to P7, so its heads' class count does not change the step's work.
at_320 cfg/retinanet_r50_fpn.cfg 2 | sed -e 's/^classes=80/classes=8/' -e 's/^filters=720/filters=72/' \
    > "$OUT/r50_teacher_320.cfg"
at_320 cfg/retinanet_r18_fpn_cwd.cfg 2 | sed -e "s|^teacher=.*|teacher=$OUT/r50_teacher_320.cfg|" \
    -e "s|^teacher_weights=.*|teacher_weights=$OUT/data/backup/r50_teacher_320_final.weights|" \
    > "$OUT/r18_cwd_320.cfg"
if echo "$ROWS" | grep -q cwd_train && [ ! -f "$OUT/data/backup/r50_teacher_320_final.weights" ]; then
    "$DARKNET" synth "$OUT/data" -n 4 -valid 2 -size 320 -seed 1 > /dev/null
    "$DARKNET" detector train "$OUT/data/synth.data" "$OUT/r50_teacher_320.cfg" -clear -dont_show > /dev/null
fi

# The exported models: the cfgs' initial weights (speed does not depend on their values).
for e in "retinanet_r18_fpn 640" "retinanet_tiny 128"; do
    set -- $e
    [ -f "$OUT/$1_$2.onnx" ] || "$DARKNET" export onnx "cfg/$1.cfg" none "$OUT/$1_$2.onnx" -width "$2" -height "$2" \
        -batch 1 -postprocess > /dev/null
done

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -n 1; }
dk() { "$DARKNET" benchmark "$@" -threads 2 2> /dev/null | field "$FIELD"; }
torch() { (cd scripts && $PY "$@" --threads 2 2> /dev/null) | field "$FIELD"; }
ort() { (cd scripts && $PY bench_onnxruntime.py "$@" --threads 2 2> /dev/null) | field forward_ms || true; }

# One measurement of a row: "darknet torch ort" in ms (ort "-" where not run).
measure() {
    case $1 in
    resnet18_fwd) FIELD=forward_ms
        echo "$(dk cfg/resnet18.cfg -batch 1 -iters $((4 * ITERS)))" \
             "$(torch bench_torch_resnet18.py --batch 1 --train-batch 0 --iters $((4 * ITERS)))" \
             "$(ort --model resnet18 --size 256 --batch 1 --iters $((4 * ITERS)))" ;;
    tiny_train) FIELD=train_ms
        echo "$(dk cfg/retinanet_tiny.cfg -batch 16 -train -iters "$ITERS")" \
             "$(torch bench_torch_retinanet.py --depth 0 --size 128 --infer-batch 0 --train-batch 16 --iters "$ITERS")" - ;;
    r18fpn_train) FIELD=train_ms
        echo "$(dk "$OUT/r18_320.cfg" -batch 2 -train -iters "$ITERS")" \
             "$(torch bench_torch_retinanet.py --depth 18 --infer-batch 0 --train-batch 2 --iters "$ITERS")" - ;;
    cwd_train) FIELD=train_ms
        d=$(dk "$OUT/r18_cwd_320.cfg" -batch 2 -train -iters "$ITERS")
        FIELD=distill_ms
        echo "$d $(torch bench_torch_distill.py --batch 2 --distill-only --iters "$ITERS")" - ;;
    r50fpn_infer) FIELD=forward_ms
        echo "$(dk "$OUT/r50_320.cfg" -batch 2 -iters "$ITERS")" \
             "$(torch bench_torch_retinanet.py --depth 50 --infer-batch 2 --train-batch 0 --iters "$ITERS")" - ;;
    r18fpn_infer) FIELD=forward_ms
        echo "$(dk "$OUT/r18_320.cfg" -batch 1 -iters "$ITERS")" \
             "$(torch bench_torch_retinanet.py --depth 18 --infer-batch 1 --train-batch 0 --iters "$ITERS")" \
             "$(ort --model r18fpn --size 320 --batch 1 --iters "$ITERS")" ;;
    r18fpn_export) FIELD=forward_ms
        echo "$(dk cfg/retinanet_r18_fpn.cfg -width 640 -height 640 -batch 1 -iters "$ITERS")" - \
             "$(ort --onnx "$OUT/retinanet_r18_fpn_640.onnx" --iters "$ITERS")" ;;
    tiny_export) FIELD=forward_ms
        echo "$(dk cfg/retinanet_tiny.cfg -width 128 -height 128 -batch 1 -iters $((4 * ITERS)))" - \
             "$(ort --onnx "$OUT/retinanet_tiny_128.onnx" --iters $((4 * ITERS)))" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
    esac
}

log="$OUT/rounds.txt"
: > "$log"
for r in $(seq "$ROUNDS"); do
    for row in $ROWS; do
        m=$(measure "$row")
        echo "round $r $row: darknet/torch/ort ms = $m"
        echo "$row $m" >> "$log"
    done
done

median() { sort -n | awk '$1 != "-" && $1 != "" {v[++n] = $1} END {print n ? v[int((n + 1) / 2)] : "-"}'; }
echo
echo "| workload | darknet ms | PyTorch ms | darknet/PyTorch | ONNX Runtime ms | darknet/ORT |"
echo "|---|---|---|---|---|---|"
for row in $ROWS; do
    d=$(awk -v r="$row" '$1 == r {print $2}' "$log" | median)
    t=$(awk -v r="$row" '$1 == r {print $3}' "$log" | median)
    o=$(awk -v r="$row" '$1 == r {print $4}' "$log" | median)
    awk -v r="$row" -v d="$d" -v t="$t" -v o="$o" 'BEGIN {
        rt = (d + 0 > 0 && t + 0 > 0) ? sprintf("%.2f", d / t) : "-"
        ro = (d + 0 > 0 && o + 0 > 0) ? sprintf("%.2f", d / o) : "-"
        printf "| %s | %s | %s | %s | %s | %s |\n", r, d, t, rt, o, ro }'
done
