#!/bin/sh
# Cross-check with OpenCV's own darknet reader (cv::dnn::readNetFromDarknet):
# weights this project saves for a darknet-resnet-style cfg and a
# yolov3-tiny-style cfg must load there and give the same layer outputs as our
# forward pass on the same random input, within 1e-4 relative (see
# tests/opencv/dump_outputs.c for the measure). Skipped when OpenCV is not
# installed. Prints one "ok", "FAIL" or "skip" line per check.
#   OPENCV_CHECK  tests/opencv/opencv_check.cpp, built (default build/opencv_check)
#   DUMP_OUTPUTS  tests/opencv/dump_outputs.c, built (default: beside OPENCV_CHECK)
OPENCV_CHECK=${OPENCV_CHECK:-build/opencv_check}
DUMP=${DUMP_OUTPUTS:-$(dirname "$OPENCV_CHECK")/dump_outputs}
TOL=1e-4
if [ ! -x "$OPENCV_CHECK" ]; then
    echo "skip opencv_crosscheck: no $OPENCV_CHECK (OpenCV's DNN module, libopencv-dev, is not installed)"
    exit 0
fi
if [ ! -x "$DUMP" ]; then
    echo "FAIL opencv_crosscheck: OpenCV is here but $DUMP is not built (make $DUMP)"
    exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# conv(filters, size, stride, batch_normalize, activation)
conv() {
    printf '[convolutional]\nbatch_normalize=%s\nfilters=%s\nsize=%s\nstride=%s\npad=1\nactivation=%s\n\n' \
        "$4" "$1" "$2" "$3" "$5"
}

# check NAME CFG SEED OUR_SPECS -- OPENCV_SPECS: runs both sides and compares
# our OUT/_N.bin with OpenCV's #N (same darknet layer), and our boxes with the
# x, y, w, h, objectness columns of OpenCV's yolo outputs.
check() {
    name=$1 cfg=$2 seed=$3
    shift 3
    ours="" theirs=""
    while [ "$1" != "--" ]; do ours="$ours $1"; shift; done
    shift
    theirs="$*"
    d="$tmp/$name"
    mkdir -p "$d/ours" "$d/cv"
    if ! "$DUMP" init "$cfg" "$d/w.weights" "$seed" 2>"$d/err" ||
        ! "$DUMP" input "$cfg" "$d/in.bin" "$((seed + 1))" 2>>"$d/err" ||
        ! "$DUMP" run "$cfg" "$d/w.weights" "$d/in.bin" "$d/ours" $ours 2>>"$d/err"; then
        echo "FAIL opencv_${name}: our side failed: $(tail -n 1 "$d/err")"
        return
    fi
    # shellcheck disable=SC2086
    if ! "$OPENCV_CHECK" "$cfg" "$d/w.weights" "$d/in.bin" "$d/cv" $theirs 2>"$d/cverr"; then
        if grep -q 'eltwise' "$d/cverr"; then
            echo "skip opencv_${name}: OpenCV refuses it ($(grep -m1 'Assertion' "$d/cverr" | sed 's/.*error: //'))"
        else
            echo "FAIL opencv_${name}: OpenCV could not run it: $(tail -n 1 "$d/cverr")"
        fi
        return
    fi
    for spec in $ours; do
        if [ "$spec" = boxes ]; then
            # OpenCV's yolo outputs in the order given (ours: layer order)
            : >"$d/cv/boxes.bin"
            for t in $theirs; do
                case $t in *:5) cat "$d/cv/$(echo "$t" | tr '#:' '__').bin" >>"$d/cv/boxes.bin" ;; esac
            done
            "$DUMP" compare "$d/ours/boxes.bin" "$d/cv/boxes.bin" "$TOL" "opencv_${name}_yolo_boxes"
        else
            "$DUMP" compare "$d/ours/_$spec.bin" "$d/cv/_$spec.bin" "$TOL" "opencv_${name}_layer$spec"
        fi
    done
}

net() { printf '[net]\nbatch=%s\nwidth=%s\nheight=%s\nchannels=3\n\n' "$1" "$2" "$2"; }

# ---- darknet-resnet style: conv+BN+leaky, 2x2 max-pool, shortcuts of the same
# shape and with more channels than their source, global average pool,
# connected, softmax; two images
{
    net 2 32
    conv 16 3 1 1 leaky                                  # 0: 32x32x16
    printf '[maxpool]\nsize=2\nstride=2\n\n'             # 1: 16x16x16
    conv 16 3 1 1 leaky                                  # 2
    conv 16 3 1 1 linear                                 # 3
    printf '[shortcut]\nfrom=-3\nactivation=leaky\n\n'   # 4: same shape
    conv 32 3 2 1 leaky                                  # 5: 8x8x32
    conv 32 3 1 1 linear                                 # 6
    printf '[shortcut]\nfrom=-2\nactivation=leaky\n\n'   # 7: same shape
    conv 64 1 1 1 leaky                                  # 8: 8x8x64
    printf '[shortcut]\nfrom=-2\nactivation=linear\n\n'  # 9: 32 channels added into 64
    printf '[avgpool]\n\n'                               # 10: 1x1x64
    printf '[connected]\noutput=10\nactivation=linear\n\n' # 11
    printf '[softmax]\ngroups=1\n'                       # 12
} >"$tmp/resnet.cfg"
check resnet "$tmp/resnet.cfg" 11 0 1 4 5 7 9 10 11 12 -- '#0' '#1' '#4' '#5' '#7' '#9' '#10' '#11' '#12'

# ---- darknet's different-size shortcut (its ResNet cfgs add a 16x16x16 map
# into an 8x8x32 one). OpenCV's Eltwise asserts equal sizes; skipped if it still does.
{
    net 1 32
    conv 16 3 2 1 leaky                                  # 0: 16x16x16
    conv 32 3 2 1 leaky                                  # 1: 8x8x32
    conv 32 3 1 1 linear                                 # 2
    printf '[shortcut]\nfrom=-3\nactivation=leaky\n'     # 3: layer 0 sampled with stride 2
} >"$tmp/strided.cfg"
check shortcut_different_size "$tmp/strided.cfg" 21 3 -- '#3'

# ---- yolov3-tiny style: max-pool size 2 stride 1, route, upsample, two [yolo]
{
    net 1 64
    conv 8 3 1 1 leaky                                   # 0: 64x64x8
    printf '[maxpool]\nsize=2\nstride=2\n\n'             # 1: 32x32
    conv 16 3 1 1 leaky                                  # 2
    printf '[maxpool]\nsize=2\nstride=2\n\n'             # 3: 16x16
    conv 32 3 1 1 leaky                                  # 4
    printf '[maxpool]\nsize=2\nstride=1\n\n'             # 5: stays 16x16
    conv 64 3 1 1 leaky                                  # 6
    conv 32 1 1 1 leaky                                  # 7
    conv 21 1 1 0 linear                                 # 8: 3 * (2 + 5)
    printf '[yolo]\nmask=3,4,5\nanchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319\nclasses=2\nnum=6\n\n' # 9
    printf '[route]\nlayers=-3\n\n'                      # 10: layer 7
    conv 16 1 1 1 leaky                                  # 11
    printf '[upsample]\nstride=2\n\n'                    # 12: 32x32
    printf '[route]\nlayers=-1, 2\n\n'                   # 13: 32x32x(16+16)
    conv 32 3 1 1 leaky                                  # 14
    conv 21 1 1 0 linear                                 # 15
    printf '[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319\nclasses=2\nnum=6\n' # 16
} >"$tmp/tiny.cfg"
check yolo_tiny "$tmp/tiny.cfg" 31 5 8 10 12 13 15 boxes -- '#5' '#8' '#10' '#12' '#13' '#15' yolo_9:5 yolo_16:5

# ---- the project's own cfg/yolov3-tiny.cfg at 416x416, as users run it
root=$(dirname "$0")/../..
check cfg_yolov3_tiny "$root/cfg/yolov3-tiny.cfg" 41 11 15 19 22 boxes -- '#11' '#15' '#19' '#22' yolo_16:5 yolo_23:5
