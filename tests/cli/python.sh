#!/bin/sh
# The Python module python/darknet.py (ctypes over libdarknet.so) against the
# darknet command: predict and layer outputs equal dump_outputs' forward, bad
# paths raise DarknetError with the library's message, detect on a JPEG with
# EXIF orientation and on a grey PNG prints what `detector test` prints,
# train_step lowers the loss, save/reload, and the COCO results of
# python/examples/detect_folder.py score as `detector valid`'s. The checks are
# tests/python/test_darknet.py; with DARKNET_GPU_EMU, also the module on the
# emulated device against the host. Environment: DARKNET, DARKNET_LIB (default
# beside DARKNET, else build/), DUMP_OUTPUTS (default beside DARKNET),
# DARKNET_GPU_EMU, PYTHON (default /usr/bin/python3, with Debian's python3-numpy).
prefix=cli_python_
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
lib=${DARKNET_LIB:-$(dirname "$DARKNET")/libdarknet.so}
[ -n "$DARKNET_LIB" ] || [ -f "$lib" ] || lib=build/libdarknet.so
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "skip cli_python ($PY has no numpy: scripts/install_deps.sh installs python3-numpy)"
    exit 0
fi
if [ ! -f "$lib" ]; then
    echo "FAIL cli_python: $lib is not built (make $lib)"
    exit 0
fi
# a sanitizer build's library needs its runtime loaded first: the C side of
# the module runs under the sanitizers in tests/test_api.c instead
if ldd "$lib" | grep -q 'libasan\|libubsan'; then
    echo "skip cli_python (the sanitizer build's $lib cannot be loaded by python; tests/test_api.c covers its C API)"
    exit 0
fi
tiny_detector "$tmp" 2
# $1: the library, then the script's arguments
run_py() {
    lib_=$1
    shift
    PYTHONDONTWRITEBYTECODE=1 DARKNET="$DARKNET" DARKNET_LIB="$lib_" \
        DUMP_OUTPUTS="${DUMP_OUTPUTS:-$(dirname "$DARKNET")/dump_outputs}" \
        "$PY" "$(dirname "$0")/../python/test_darknet.py" "$tmp" "$@" >"$tmp/py.out" 2>"$tmp/py.err"
    rc=$?
    cat "$tmp/py.out"
    # an exception or a crash ends the checks without a FAIL line of their own
    if [ $rc != 0 ] && ! grep -q '^FAIL' "$tmp/py.out"; then
        echo "FAIL cli_python_script $* (exit $rc)"
        tail -n 15 "$tmp/py.err" | sed 's/^/    /'
    fi
}
run_py "$lib"
# the device path on the emulated device (make test builds it where nvcc is installed)
emu_lib=$(dirname "${DARKNET_GPU_EMU:-/nonexistent/darknet}")/libdarknet.so
if [ -f "$emu_lib" ]; then
    run_py "$emu_lib" --device
else
    echo "skip cli_python_gpu_emu (no GPU_EMU=1 library at $emu_lib: make test builds it where nvcc is installed)"
fi
exit 0
