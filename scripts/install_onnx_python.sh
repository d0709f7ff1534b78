#!/bin/sh
# The Python side of the ONNX export checks (tests/cli/onnx.sh): onnx and
# onnxruntime from the Python package index into /usr/bin/python3, beside
# Debian's numpy and OpenCV (python3-numpy, python3-opencv, which
# install_deps.sh installs). "numpy<2" keeps pip from installing a numpy 2
# over Debian's 1.x, which Debian's cv2 and torch are built against.
# Without network access it warns and the checks skip.
PY=/usr/bin/python3
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
"$PY" -c 'import onnx, onnxruntime' 2>/dev/null && exit 0
echo "installing onnx and onnxruntime for $PY (pip)"
$SUDO "$PY" -m pip install -q --break-system-packages onnx onnxruntime "numpy<2" ||
    echo "warning: could not install onnx and onnxruntime: the ONNX export checks will be skipped" >&2
exit 0
