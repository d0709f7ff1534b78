#!/bin/sh
# The checks of the GPU port that need a GPU, in one run (a few minutes on one
# H200): builds GPU=1 and GPU=1 CUDNN=1, runs the kernel bodies on the CPU, the
# same kernels launched on the GPU against the CPU ops (with and without cuDNN),
# and the device tests once more under compute-sanitizer's memcheck. One line
# per check ("ok NAME" / "FAIL NAME" / "skip NAME (why)"), then "N passed, N failed".
# Usage: scripts/gpu_check.sh [LOG_DIR]   (logs of every step go to LOG_DIR, default /tmp/gpu_check)
cd "$(dirname "$0")/.." || exit 1
logs=${1:-/tmp/gpu_check}
mkdir -p "$logs"
jobs=$(nproc 2>/dev/null || echo 4)
passed=0
failed=0

# step NAME COMMAND...: runs it with its output in LOG_DIR/NAME.log
step() {
    name=$1
    shift
    if "$@" > "$logs/$name.log" 2>&1; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (last lines of $logs/$name.log:)"
        tail -n 15 "$logs/$name.log" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

# unit NAME BINARY: a test binary's own "N passed, N failed" line, then its failures
unit() {
    step "$1" "$2"
    grep -E '^(FAIL|[0-9]+ passed)' "$logs/$1.log" | sed 's/^/    /'
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /'
step build_gpu make -j"$jobs" GPU=1 build-gpu/darknet build-gpu/gpu_tests build-gpu/kernel_tests
step build_gpu_cudnn make -j"$jobs" GPU=1 CUDNN=1 build-gpu-cudnn/darknet build-gpu-cudnn/gpu_tests
unit kernel_bodies_on_the_cpu build-gpu/kernel_tests
unit kernels_on_the_gpu build-gpu/gpu_tests
unit kernels_on_the_gpu_with_cudnn build-gpu-cudnn/gpu_tests
if command -v compute-sanitizer > /dev/null; then
    step kernels_under_memcheck compute-sanitizer --tool memcheck --error-exitcode 1 build-gpu/gpu_tests
else
    echo "skip kernels_under_memcheck (compute-sanitizer is not installed)"
fi
# Not yet here: the layers do not run on the device, so training on the GPU,
# the GPU-against-CPU training curves and the benchmarks beside PyTorch wait
# for that step of the port.
echo "skip network_training_on_the_gpu (the layers do not run on the device yet)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
