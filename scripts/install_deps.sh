#!/bin/sh
# Installs the Debian packages the build and tests need, when any is missing.
# Set DARKNET_DEPS_EXTRA to add more (the benchmark adds PyTorch).
set -e
# openmpi-bin, libopenmpi-dev: `make MPI=1` and the tests of training over several processes;
# python3-numpy: the Python module (python/darknet.py) and its tests, with /usr/bin/python3;
# libonnx-dev (ONNX's schema, onnx.proto), protobuf-c-compiler, libprotobuf-c-dev: `darknet export onnx`;
# python3-opencv, python3-pip: its checks (onnx and onnxruntime: scripts/install_test_peers.sh);
# libdnnl-dev: oneDNN's convolutions (DNNL=1, the default once it is installed)
need="build-essential pkg-config libopenblas-dev libstb-dev libturbojpeg0-dev libcjson-dev libopencv-dev
      openmpi-bin libopenmpi-dev python3-numpy libonnx-dev protobuf-c-compiler libprotobuf-c-dev
      python3-opencv python3-pip libdnnl-dev $DARKNET_DEPS_EXTRA"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
