#!/bin/sh
# The checks of the GPU port that need a GPU, in one run (a few minutes on one
# H200): builds GPU=1 and GPU=1 CUDNN=1, runs the kernel bodies on the CPU, the
# kernels and whole networks on the GPU against the CPU (with and without
# cuDNN), the device tests under compute-sanitizer's memcheck, RetinaNet and a
# CWD student trained on GPU and CPU side by side, and last the benchmarks
# beside PyTorch (scripts/bench_gpu.sh). One line
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
# Training on the GPU against the CPU from the same initial weights and
# batches (benchmark -train: seeded input and synthetic boxes): the losses per
# image of one step agree to 1e-3, after 50 steps they stay within 5%.
dn=${DARKNET:-build-gpu/darknet}   # DARKNET=build-gpu-emu/darknet tries the script without a GPU
compare_losses() {   # CFG STEPS TOL
    g=$($dn benchmark "$1" -train -iters "$2" -batch 4 | sed -n 's/^losses per image of the last step: //p')
    c=$($dn benchmark "$1" -train -iters "$2" -batch 4 -nogpu | sed -n 's/^losses per image of the last step: //p')
    echo "GPU: $g | CPU: $c"
    awk -v g="$g" -v c="$c" -v tol="$3" 'BEGIN {
        n = split(g, a, /[ ,]+/); split(c, b, /[ ,]+/); bad = n < 2
        for (i = 2; i <= n; i += 2) { d = a[i] - b[i]; m = b[i] < 0 ? -b[i] : b[i]
            if ((d < 0 ? -d : d) > tol * (m > 1 ? m : 1)) bad = 1 }
        exit bad }'
}
# the CWD student's teacher: one step of training on synthetic scenes
cwd_cfg=$logs/ref64_student_cwd.cfg
teacher=$logs/data/backup/ref64_teacher_final.weights
step make_teacher_weights sh -c "$dn synth $logs/data -n 16 -valid 2 -size 64 -seed 1 &&
    sed 's/^max_batches=.*/max_batches=1/' cfg/ref64_teacher.cfg > $logs/ref64_teacher.cfg &&
    $dn detector train $logs/data/synth.data $logs/ref64_teacher.cfg -clear -dont_show"
sed -e "s|^teacher=.*|teacher=$PWD/cfg/ref64_teacher.cfg|" -e "s|^teacher_weights=.*|teacher_weights=$teacher|" \
    cfg/ref64_student_cwd.cfg > "$cwd_cfg"
step retinanet_tiny_first_step_agrees_with_the_cpu compare_losses cfg/retinanet_tiny.cfg 1 1e-3
step retinanet_tiny_50_steps_stay_close_to_the_cpu compare_losses cfg/retinanet_tiny.cfg 48 5e-2
step cwd_student_first_step_agrees_with_the_cpu compare_losses "$cwd_cfg" 1 1e-3
step cwd_student_50_steps_stay_close_to_the_cpu compare_losses "$cwd_cfg" 48 5e-2
if command -v compute-sanitizer > /dev/null; then
    step training_under_memcheck compute-sanitizer --tool memcheck --error-exitcode 1 \
        $dn benchmark cfg/retinanet_tiny.cfg -train -iters 1 -batch 2
fi
# speed beside PyTorch on the same GPU (not pass/fail: the ratios are printed)
if python3 -c 'import torch, torchvision; assert torch.cuda.is_available()' 2> /dev/null; then
    scripts/bench_gpu.sh 2>&1 | tee "$logs/bench.log" | tail -n 3
else
    echo "skip benchmarks_beside_pytorch (no torch with CUDA and torchvision)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
