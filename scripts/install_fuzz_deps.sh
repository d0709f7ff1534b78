#!/bin/sh
# Installs what `make fuzz` needs beyond scripts/install_deps.sh, when missing:
# clang and the libFuzzer/sanitizer runtime of its version (libclang-rt-N-dev;
# N = 14 on Debian bookworm).
set -e
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
updated=""
install() {
    echo "installing: $*"
    [ -n "$updated" ] || $SUDO apt-get update -qq
    updated=1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
installed clang || install clang
major=$(clang -dumpversion | cut -d. -f1)
installed "libclang-rt-$major-dev" || install "libclang-rt-$major-dev"
