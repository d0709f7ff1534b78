#!/bin/sh
# `darknet export onnx` checked against ONNX Runtime and OpenCV: every cfg in
# cfg/ (at small input sizes; distillation cfgs export their student, their
# teachers built from random weights) and a table of small cfgs, one layer
# kind each, get random weights (dump_outputs init), are exported and then
# checked by tests/onnx/check_onnx.py in one Python process:
# onnx.checker.check_model(full_check=True), ONNX Runtime's outputs against
# darknet's on the same random input within 1e-4 relative (the head outputs,
# [yolo]'s decoded boxes, and with -postprocess the same detections after
# NonMaxSuppression), -batch 2 and -dynamic_batch on two images, and OpenCV's
# DNN module on the ResNet and YOLO exports. Skipped when /usr/bin/python3
# lacks onnx and onnxruntime (scripts/install_deps.sh installs them).
#   DARKNET       the binary (lib.sh)
#   DUMP_OUTPUTS  tests/opencv/dump_outputs.c, built (default: beside DARKNET)
prefix=onnx_
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
DUMP=${DUMP_OUTPUTS:-$(dirname "$DARKNET")/dump_outputs}
PY=/usr/bin/python3
if [ ! -x "$DUMP" ]; then
    echo "skip onnx: no $DUMP (make $DUMP)"
    exit 0
fi
if ! "$PY" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
    echo "skip onnx: $PY has no onnx and onnxruntime (scripts/install_deps.sh installs them)"
    exit 0
fi
run export onnx "$root/cfg/shapes_classifier.cfg" none "$tmp/probe.onnx"
if grep -q 'built without ONNX export' "$tmp/err"; then
    echo "skip onnx: $(cat "$tmp/err")"
    exit 0
fi
opencv=opencv
if ! "$PY" -c 'import cv2' 2>/dev/null; then
    echo "skip onnx_opencv: $PY has no cv2 (apt-get install python3-opencv)"
    opencv=""
fi

# sized SRC OUT W H B: SRC with [net] width, height and batch set (one pass a
# step), its teachers as sized copies with random weights under $tmp
sized() {
    awk -v w="$3" -v h="$4" -v b="$5" -v dir="$(dirname "$1")" -v t="$tmp/teacher_" -v list="$2.teachers" '
        /^\[/ { net = ($0 == "[net]") }
        net && /^width=/ { print "width=" w; next }
        net && /^height=/ { print "height=" h; next }
        net && /^batch=/ { print "batch=" b; next }
        net && /^subdivisions=/ { print "subdivisions=1"; next }
        /^teacher=/ { name = substr($0, 9); sub(/.*\//, "", name); print "teacher=" t name
                      print dir "/" substr($0, 9) > list; next }
        /^teacher_weights=/ { print "teacher_weights=" t name ".weights"; next }
        { print }' "$1" >"$2" || return 1
    [ -f "$2.teachers" ] || return 0
    teachers=$(sort -u "$2.teachers")
    rm -f "$2.teachers"
    for teacher in $teachers; do
        base=$tmp/teacher_$(basename "$teacher")
        [ -f "$base.weights" ] && continue
        sized "$teacher" "$base" "$3" "$4" "$5" && "$DUMP" init "$base" "$base.weights" 5 || return 1
    done
}

# case NAME CFG W H B [EXPORT FLAGS...]: darknet's outputs on a random input
# and the export, queued for the checker. Weights: random with spread-out
# biases and batch-norm statistics (dump_outputs init), or with weights=none
# the cfg's random initial ones, drawn alike on both sides (no file: the big
# backbones' hundreds of megabytes are not written and read again)
case_() {
    name=$1 src=$2 d=$tmp/$1
    mkdir -p "$d/ours"
    specs=output
    grep -q '^\[yolo\]' "$src" && specs=detections
    grep -q '^\[retina\]' "$src" && specs="retina detections"
    w=$d/w
    [ "$weights" = none ] && w=none
    if ! sized "$src" "$d/net.cfg" "$3" "$4" "$5" 2>"$d/err" ||
        { [ "$w" != none ] && ! "$DUMP" init "$d/net.cfg" "$w" 11 2>>"$d/err"; } ||
        ! "$DUMP" input "$d/net.cfg" "$d/in" 12 2>>"$d/err" ||
        ! "$DUMP" run "$d/net.cfg" "$w" "$d/in" "$d/ours" $specs 2>>"$d/err"; then
        echo "FAIL onnx_$name: darknet's side failed: $(tail -n 1 "$d/err")"
        return
    fi
    batch=$5
    shift 5
    # export_from: the cfg as it is, sized by the export's own -width and -height
    if ! "$DARKNET" export onnx "${export_from:-$d/net.cfg}" "$w" "$d/m.onnx" "$@" >/dev/null 2>"$d/err"; then
        echo "FAIL onnx_${name}_export: $(tail -n 1 "$d/err")"
        return
    fi
    [ "$w" != none ] && rm -f "$w"   # the checker reads the model only; keeps /tmp small
    echo "$name $d/m.onnx $d/in $d/ours $batch $with" >>"$tmp/jobs"
}

# queue ARGS...: case_ in the background, two at a time (the machine's two cores)
running=0
queue() {
    case_ "$@" &
    running=$((running + 1))
    if [ $running -ge 2 ]; then
        wait
        running=0
    fi
}

# ---- every cfg of the project, small
for cfg in "$root"/cfg/*.cfg; do
    name=$(basename "$cfg" .cfg)
    size=64 with="" weights=random
    case $name in
    shapes_*) size=32 ;;
    retinanet_tiny*) size=128 ;;
    retinanet_*_fpn*) size=128 weights=none ;;
    darknet53 | resnet50) weights=none ;;
    esac
    case $name in resnet18 | yolov3-tiny) with=$opencv ;; esac
    queue "cfg_$name" "$cfg" $size $size 1
done
with="" weights=random
queue cfg_retinanet_tiny_postprocess "$root/cfg/retinanet_tiny.cfg" 128 128 1 -postprocess
queue cfg_retinanet_tiny_batch2 "$root/cfg/retinanet_tiny.cfg" 128 128 2 -batch 2
queue cfg_retinanet_tiny_dynamic "$root/cfg/retinanet_tiny.cfg" 128 128 2 -dynamic_batch -postprocess
queue cfg_context_swin_dynamic "$root/cfg/context_swin.cfg" 64 64 2 -dynamic_batch
queue cfg_context_vit_opset17 "$root/cfg/context_vit.cfg" 64 64 1 -opset 17
with=$opencv
queue cfg_yolov3-tiny_batch2 "$root/cfg/yolov3-tiny.cfg" 64 64 2 -batch 2
export_from=$root/cfg/yolov3-tiny.cfg
queue cfg_yolov3-tiny_resized "$root/cfg/yolov3-tiny.cfg" 96 64 1 -width 96 -height 64
export_from=""

# ---- one layer kind each (the table)
net() { printf '[net]\nbatch=1\nwidth=%s\nheight=%s\nchannels=3\n\n' "$1" "$2"; }
conv() { printf '[convolutional]\nbatch_normalize=%s\nfilters=%s\nsize=%s\nstride=%s\npad=1\nactivation=%s\n%s\n\n' \
    "$4" "$1" "$2" "$3" "$5" "$6"; }
table() { cat >"$tmp/$1.cfg"; with=$2; queue "layer_$1" "$tmp/$1.cfg" 24 20 1; }

{
    net 24 20
    for a in linear relu leaky logistic tanh relu6 swish mish gelu; do conv 8 3 1 1 $a; done
} | table activations ""
{
    net 24 20
    conv 12 3 1 1 leaky 'groups=3'
    conv 12 5 1 0 linear 'groups=12'                          # depthwise, bias
    conv 12 3 1 1 mish 'dilation=2'
    printf '[convolutional]\nfilters=8\nsize_x=5\nsize_y=3\nstride_x=2\nstride_y=1\npad=1\nactivation=leaky\n\n'
    printf '[convolutional]\nfilters=8\nsize=3\nstride=2\npadding=2\nactivation=relu\n\n'
} | table convolutions ""
{
    net 24 20
    conv 8 3 1 1 leaky
    printf '[maxpool]\nsize=2\nstride=1\n\n'
    printf '[maxpool]\nsize=3\nstride=2\n\n'
    printf '[maxpool]\nsize=2\nstride_x=2\nstride_y=1\n\n'
    printf '[maxpool]\nsize=3\nstride=2\npadding=0\n\n'
    printf '[upsample]\nstride=2\nscale=0.5\n\n'
    printf '[avgpool]\n\n'
} | table pooling "$opencv"
{
    net 24 20
    conv 8 3 1 1 leaky                                        # 0: 24x20x8
    conv 16 3 2 1 leaky                                       # 1: 12x10x16
    printf '[shortcut]\nfrom=-2\nactivation=leaky\n\n'        # 2: 24x20 sampled into 12x10, 8 of 16 channels
    printf '[route]\nlayers=-1,1\ngroups=2\ngroup_id=1\n\n'   # 3: 12x10x16
    printf '[upsample]\nstride=2\n\n'                         # 4: 24x20x16
    printf '[shortcut]\nfrom=1\nactivation=swish\n\n'         # 5: 12x10 spread into 24x20
    printf '[route]\nlayers=0,-1\n\n'                         # 6: 24x20x24
    printf '[dropout]\nprobability=0.3\n\n'
    printf '[connected]\noutput=12\nbatch_normalize=1\nactivation=tanh\n\n'
    printf '[softmax]\ngroups=3\ntemperature=2\n\n'
    printf '[cost]\ntype=sse\n'
} | table routing ""
{
    net 16 12
    conv 12 3 2 1 linear
    printf '[layernorm]\n\n'
    printf '[posembed]\n\n'
    printf '[attention]\nheads=3\n\n'
    printf '[attention]\nheads=2\nwindow=4\nshift=2\npos_bias=relative\n\n'
    printf '[attention]\nheads=1\nwindow=5\n\n'               # smaller windows at the edges
} | table transformer ""
{
    net 24 20
    conv 8 3 2 1 leaky
    conv 14 1 1 0 linear                                       # 2 anchors x (2 classes + 5)
    printf '[yolo]\nmask=1,2\nanchors=4,5, 8,9, 14,12\nclasses=2\nnum=3\nscale_x_y=1.1\n\n'
    conv 14 1 1 0 linear                                       # reads the [yolo] layer's own output
    printf '[yolo]\nmask=0,1\nanchors=4,5, 8,9, 14,12\nclasses=2\nnum=3\n'
} | table yolo "$opencv"

# ---- what the exporter refuses: named by cfg line
{
    net 24 20
    printf '[maxpool]\nsize=2\nstride=2\npadding=6\n'
} >"$tmp/refused.cfg"
run export onnx "$tmp/refused.cfg" none "$tmp/refused.onnx"
[ "$rc" = 1 ] && grep -q 'refused.cfg:7: \[maxpool\] (layer 0) cannot be exported' "$tmp/err" && [ ! -e "$tmp/refused.onnx" ]
check refuses_what_it_cannot_express_naming_the_cfg_line $?
run export onnx "$root/cfg/shapes_classifier.cfg" none "$tmp/x.onnx" -batch 2 -dynamic_batch
check batch_and_dynamic_batch_exclude_each_other "$([ "$rc" = 2 ] && echo 0 || echo 1)"
run export onnx "$root/cfg/shapes_classifier.cfg" none "$tmp/x.onnx" -opset 9
[ "$rc" = 1 ] && grep -q 'opset 9 is not supported' "$tmp/err"
check refuses_an_opset_it_does_not_write $?

# ---- the class names from a .data
printf 'circle\nsquare\nhalf moon\n' >"$tmp/three.names"
printf 'classes=3\nnames=%s\n' "$tmp/three.names" >"$tmp/three.data"
run export onnx "$root/cfg/shapes_classifier.cfg" none "$tmp/names.onnx" -data "$tmp/three.data"
[ "$rc" = 0 ] && "$PY" -c 'import onnx, sys
m = {p.key: p.value for p in onnx.load(sys.argv[1]).metadata_props}
sys.exit(m.get("class_names") != "circle\nsquare\nhalf moon" or m.get("input_resize") != "stretch")' "$tmp/names.onnx"
check metadata_names_the_classes_of_the_data_file $?

wait
sort "$tmp/jobs" >"$tmp/jobs.sorted"
"$PY" "$root/tests/onnx/check_onnx.py" "$tmp/jobs.sorted"
