#!/bin/sh
# Runs the unit tests, then the command-line and cross-reader checks, and
# prints one total "N passed, N failed" line.
# Usage: tests/run_all.sh BUILD/run_tests   (DARKNET, OPENCV_CHECK, KERNEL_TESTS, GPU_TESTS from the environment)
unit="$1"
dir=$(dirname "$0")
out=$(mktemp)
"$unit" | tee "$out"
# the kernel bodies of the GPU port, run on the CPU (built where nvcc is installed)
if [ -n "$KERNEL_TESTS" ] && [ -x "$KERNEL_TESTS" ]; then
    "$KERNEL_TESTS" | grep -v ' passed, ' | tee -a "$out"
else
    echo "skip kernel_tests (nvcc is not installed: the GPU kernels' bodies were not checked)" | tee -a "$out"
fi
# the device path (launchers, device buffers, copies) on the emulated device (GPU_EMU=1)
if [ -n "$GPU_TESTS" ] && [ -x "$GPU_TESTS" ]; then
    "$GPU_TESTS" | grep -v ' passed, ' | tee -a "$out"
else
    echo "skip gpu_tests on the emulated device (nvcc is not installed)" | tee -a "$out"
fi
for script in "$dir"/cli/*.sh; do
    [ -f "$script" ] || continue
    [ "$(basename "$script")" = lib.sh ] && continue   # sourced by the others
    sh "$script" | tee -a "$out"
done
passed=$(grep -c '^ok ' "$out")
failed=$(grep -c '^FAIL ' "$out")
skipped=$(grep -c '^skip ' "$out")
rm -f "$out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
