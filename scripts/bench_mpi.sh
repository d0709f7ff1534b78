#!/bin/sh
# Data-parallel training on one machine (docs/PERFORMANCE.md, "Several processes"):
# the RetinaNet R18-FPN training step at 320 x 320, batch 2, as one process with
# 2 threads against 2 ranks with 1 thread each (one image each), the latter with
# the gradient sums overlapping backward and without (DARKNET_OVERLAP=0). The
# three alternate for ROUNDS rounds; each prints the step time and, with 2 ranks,
# the megabytes summed per step and the milliseconds the sums took after and
# during backward. Usage: DARKNET=build-mpi/darknet scripts/bench_mpi.sh
set -e
DARKNET=${DARKNET:-build-mpi/darknet}
ROUNDS=${ROUNDS:-2}
ITERS=${ITERS:-3}
CFG=${CFG:-cfg/retinanet_r18_fpn.cfg}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the shipped cfg allocates for batch 16 at 640 first: a batch-2, 320 copy
sed -e 's/^batch=.*/batch=2/' -e 's/^subdivisions=.*/subdivisions=1/' -e 's/^width=.*/width=320/' \
    -e 's/^height=.*/height=320/' "$CFG" > "$tmp/bench_320.cfg"
# run LABEL THREADS [LAUNCHER...]: one benchmark, its step time and allreduce line
run() {
    label=$1 threads=$2
    shift 2
    "$@" "$DARKNET" benchmark "$tmp/bench_320.cfg" -batch 2 -iters "$ITERS" -train -threads "$threads" \
        > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    printf '%-32s %s\n' "$label" "$(grep -E '^train step' "$tmp/out")"
    grep '^allreduce' "$tmp/out" | sed 's/^/    /' || true
}
mpi2="mpirun --oversubscribe --bind-to none -x DARKNET_OVERLAP -np 2"
for r in $(seq "$ROUNDS"); do
    echo "round $r"
    run "1 process, 2 threads" 2
    DARKNET_OVERLAP=1 run "2 ranks x 1 thread, overlap" 1 $mpi2
    DARKNET_OVERLAP=0 run "2 ranks x 1 thread, no overlap" 1 $mpi2
done
