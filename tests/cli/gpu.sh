#!/bin/sh
# The device flags and a training run on the emulated device (a GPU_EMU=1
# build, DARKNET_GPU_EMU): `detector train` with -gpus 0 must leave the
# weights that -nogpu leaves, and say which GPU it ran on.
prefix=cli_gpu_
. "$(dirname "$0")/lib.sh"

run benchmark "$(dirname "$0")/../../cfg/resnet18.cfg" -iters 1 -gpus 0
[ "$rc" != 0 ] && grep -q "rebuild with make GPU=1" "$tmp/err"
check a_cpu_build_asked_for_a_gpu_says_how_to_get_one $?
run benchmark "$(dirname "$0")/../../cfg/resnet18.cfg" -iters 1 -gpus 0,1
[ "$rc" != 0 ] && grep -q "one GPU index per process" "$tmp/err"
check several_gpus_in_one_process_are_refused_with_the_way_to_use_them $?

EMU=${DARKNET_GPU_EMU:-}
if [ -z "$EMU" ] || [ ! -x "$EMU" ]; then
    echo "skip ${prefix}training_on_the_emulated_gpu (no GPU_EMU=1 build: nvcc is not installed)"
    exit 0
fi
tiny_detector "$tmp" 6
data="$tmp/s/synth.data"
"$EMU" detector train "$data" "$tmp/tiny.cfg" -clear -dont_show > "$tmp/gpu.log" 2>&1 &&
    mv "$tmp/s/backup/tiny_final.weights" "$tmp/gpu.weights" &&
    "$EMU" detector train "$data" "$tmp/tiny.cfg" -clear -dont_show -nogpu > "$tmp/cpu.log" 2>&1
check detector_train_runs_on_the_gpu_and_with_nogpu $?
grep -q "on GPU 0" "$tmp/gpu.log" && grep -q "MiB of device memory" "$tmp/gpu.log" && ! grep -q "on GPU" "$tmp/cpu.log"
check training_says_its_gpu_and_device_memory $?
# every weight within 1e-3 of the CPU's (relative, or absolute below 1)
od -An -v -f "$tmp/gpu.weights" | tr -s ' ' '\n' | sed '/^$/d' > "$tmp/g.txt"
od -An -v -f "$tmp/s/backup/tiny_final.weights" | tr -s ' ' '\n' | sed '/^$/d' > "$tmp/c.txt"
paste "$tmp/g.txt" "$tmp/c.txt" | awk 'NR > 5 { d = $1 - $2; m = $2 < 0 ? -$2 : $2; if (m < 1) m = 1
    if ((d < 0 ? -d : d) > 1e-3 * m) bad++ } END { exit !(NR > 1000 && bad == 0) }'
check six_steps_on_the_gpu_leave_the_weights_of_six_on_the_cpu $?
