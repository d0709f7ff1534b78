#!/bin/sh
# Installs the Debian packages the build and tests need, when any is missing.
# Set DARKNET_DEPS_EXTRA to add more (the benchmark adds PyTorch).
set -e
# openmpi-bin, libopenmpi-dev: `make MPI=1` and the tests of training over several processes;
# python3-numpy: the Python module (python/darknet.py) and its tests, with /usr/bin/python3
need="build-essential pkg-config libopenblas-dev libstb-dev libturbojpeg0-dev libcjson-dev libopencv-dev
      openmpi-bin libopenmpi-dev python3-numpy $DARKNET_DEPS_EXTRA"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
