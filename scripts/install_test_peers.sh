#!/bin/sh
# The peers the tests compare against, into /usr/bin/python3, when missing:
#   PyTorch (Debian's python3-torch): the NKD loss and gradient (tests/test_nkd_torch.c);
#   onnx and onnxruntime (pip): the ONNX export checks (tests/cli/onnx.sh);
#   pycocotools (pip): the COCO evaluation's twelve numbers (tests/cli/coco_eval.sh).
# "numpy<2" keeps pip from installing a numpy 2 over Debian's 1.x, which Debian's
# cv2 and torch are built against. Without network access it warns and the
# checks that need a missing peer print a skip line.
PY=/usr/bin/python3
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "installing python3-torch (apt)"
    { $SUDO apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch; } ||
        echo "warning: could not install python3-torch: the PyTorch NKD check will be skipped" >&2
fi
"$PY" -c 'import onnx, onnxruntime, pycocotools' 2>/dev/null && exit 0
echo "installing onnx, onnxruntime and pycocotools for $PY (pip)"
$SUDO "$PY" -m pip install -q --break-system-packages onnx onnxruntime pycocotools "numpy<2" ||
    echo "warning: could not install onnx, onnxruntime, pycocotools: their checks will be skipped" >&2
exit 0
