#!/bin/sh
# Training over several processes (mpirun, a `make MPI=1` binary in
# $DARKNET_MPI): the same model as one process with the whole batch, the
# sharding, evaluation split over the ranks, and the faults of a job: a rank
# whose image list is unreadable, a rank killed with SIGKILL, ranks given
# different cfgs, Ctrl-C on mpirun. Skipped without mpirun or an MPI build.
#
# Equality: a RetinaNet-tiny student with three [cwd] layers (sync_bn=1), 20
# steps of batch 4, -np 1 against -np 2 (and 4 ranks on 2 cores). Weights are
# compared value by value: |a - b| <= 1e-4 * max(|b|, 0.01). The cfg keeps
# learning_rate=0.002 and loss_weight=1 because with the RetinaNet-tiny cfg's
# 0.01 and 5 the run itself is chaotic: two single processes that differ only
# in their gemm (OpenBLAS against OPENBLAS=0) end up 3e-2 to 1 apart after 20
# steps, more than -np 2 and -np 1 do (2e-4 to 0.8, measured); here both stay
# under 1e-4.
prefix=cli_mpi_
if ! command -v mpirun > /dev/null 2>&1; then
    echo "skip mpi: no mpirun (scripts/install_deps.sh installs openmpi-bin)"
    exit 0
fi
if [ ! -x "${DARKNET_MPI:-}" ]; then
    echo "skip mpi: no MPI build in DARKNET_MPI (make test builds one when mpicc is there)"
    exit 0
fi
DARKNET=$DARKNET_MPI
. "$(dirname "$0")/lib.sh"

# mpirun as root (containers, CI) needs both variables; --oversubscribe: the
# ranks may outnumber the cores, which they share (no binding); a rank waiting
# for the others yields its core instead of spinning (3x faster here)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # no ptrace in containers
mpi() { timeout 300 mpirun --oversubscribe --bind-to none -np "$@"; }

# weights_close A B: every value |a - b| <= 3e-4 * max(|b|, 0.01) (after the 20-byte header).
# Not tighter: oneDNN picks its kernels (and so its order of summation) by the number of
# images, so 2 images a rank and 4 in one process round apart, ~1e-4 after 20 steps; a
# gradient summed wrongly over the ranks is off by far more.
weights_close() {
    od -An -v -f -w4 -j 20 "$1" > "$tmp/wa" && od -An -v -f -w4 -j 20 "$2" > "$tmp/wb" &&
        [ "$(wc -l < "$tmp/wa")" = "$(wc -l < "$tmp/wb")" ] && [ -s "$tmp/wa" ] &&
        paste "$tmp/wa" "$tmp/wb" | awk '{ d = $1 - $2; d = d < 0 ? -d : d; s = $2 < 0 ? -$2 : $2
            s = s > 0.01 ? s : 0.01; if (d / s > m) m = d / s }
            END { printf "max relative difference %.3g\n", m; exit !(m <= 3e-4) }' >> "$tmp/diffs"
}
# losses_close LOG_A LOG_B [END]: the progress lines' numbers before END (default " lr": the
# loss, its average and the losses by name) equal to the 4 printed decimals (one unit of the
# last for rounding)
losses_close() {
    grep '^[0-9]*/[0-9]*: loss' "$1" | sed "s/${3:- lr}.*//" | tr -c '0-9.\n' ' ' > "$tmp/la"
    grep '^[0-9]*/[0-9]*: loss' "$2" | sed "s/${3:- lr}.*//" | tr -c '0-9.\n' ' ' > "$tmp/lb"
    [ -s "$tmp/la" ] && [ "$(wc -l < "$tmp/la")" = "$(wc -l < "$tmp/lb")" ] &&
        paste -d '|' "$tmp/la" "$tmp/lb" | awk -F'|' '{ n = split($1, a, " "); split($2, b, " ")
            for (i = 1; i <= n; ++i) { d = a[i] - b[i]; if (d > 1.5e-4 || d < -1.5e-4) bad++ } }
            END { exit bad > 0 }'
}

# the data, a teacher (the student's own initial weights: distillation starts
# from a loss of 0) and the student with [cwd] on the three FPN levels
tiny_detector "$tmp" 20
s="$tmp/s"
sed -e 's/^learning_rate=.*/learning_rate=0/' -e 's/^max_batches=.*/max_batches=1/' "$tmp/tiny.cfg" > "$tmp/teacher.cfg"
"$DARKNET" detector train "$s/synth.data" "$tmp/teacher.cfg" -threads 1 -seed 5 > /dev/null 2>&1
sed -e 's/^\[net\]/[net]\nsync_bn=1/' -e 's/^learning_rate=.*/learning_rate=0.002/' "$tmp/tiny.cfg" > "$tmp/student.cfg"
for l in 20 22 24; do
    printf '\n[cwd]\nfrom=%d\nteacher=teacher.cfg\nteacher_weights=%s\nteacher_layer=%d\nloss_weight=1\n' \
        $l "$s/backup/teacher_final.weights" $l >> "$tmp/student.cfg"
done
# a .data per run, so that each run's backups have their own directory
data_for() { mkdir -p "$tmp/$1" && sed "s|^backup=.*|backup=$tmp/$1|" "$s/synth.data" > "$tmp/$1.data"; }
# train NAME RANKS CFG [ARGS]: NAME's log in $tmp/NAME.log, weights in $tmp/NAME/
train() {
    name=$1 ranks=$2 cfg=$3
    shift 3
    data_for "$name"
    mpi "$ranks" "$DARKNET" detector train "$tmp/$name.data" "$cfg" -threads 1 -seed 5 "$@" > "$tmp/$name.log" 2>&1
}
final() { echo "$tmp/$1/$(basename "$2" .cfg)_final.weights"; }

train one 1 "$tmp/student.cfg" && train two 2 "$tmp/student.cfg" &&
    grep -q "^20/20: .*cwd" "$tmp/two.log" && grep -q "(2 on each of 2 ranks)" "$tmp/two.log" &&
    [ "$(grep -c "^20/20:" "$tmp/two.log")" = 1 ] &&
    losses_close "$tmp/one.log" "$tmp/two.log" && weights_close "$(final one student)" "$(final two student)"
check two_ranks_with_sync_bn_train_the_model_of_one_process $?

sed 's/^subdivisions=.*/subdivisions=2/' "$tmp/student.cfg" > "$tmp/sub2.cfg"
train one_sub2 1 "$tmp/sub2.cfg" && train two_sub2 2 "$tmp/sub2.cfg" &&
    losses_close "$tmp/one_sub2.log" "$tmp/two_sub2.log" &&
    weights_close "$(final one_sub2 sub2)" "$(final two_sub2 sub2)"
check two_ranks_with_subdivisions_train_the_model_of_one_process $?

# 4 ranks on 2 cores (a batch of 4: one image a rank), fewer steps to stay quick
sed 's/^max_batches=.*/max_batches=8/' "$tmp/student.cfg" > "$tmp/short.cfg"
train one_short 1 "$tmp/short.cfg" && train four 4 "$tmp/short.cfg" &&
    losses_close "$tmp/one_short.log" "$tmp/four.log" && weights_close "$(final one_short short)" "$(final four short)"
check four_oversubscribed_ranks_train_the_model_of_one_process $?

# Without sync_bn each rank normalises its own images: 2 ranks train as one
# process whose batch norm sees 2 images a pass, i.e. subdivisions=2 (the same
# loss; only the rolling statistics move another way, and the losses by name
# are those of the whole batch, not of its last pass).
sed '/^sync_bn=1/d' "$tmp/student.cfg" > "$tmp/own_bn.cfg"
train two_own 2 "$tmp/own_bn.cfg" && losses_close "$tmp/one_sub2.log" "$tmp/two_own.log" ' \['

check per_rank_batch_norm_trains_as_one_process_with_subdivisions_times_ranks $?

# classifier train: a shapes classifier (batch norm, sync_bn=1) over 2 ranks as one process
"$DARKNET" synth "$tmp/c" -classify -n 64 -valid 16 -seed 2 > /dev/null 2>&1
sed -e 's/^\[net\]/[net]\nsync_bn=1/' -e 's/^width=.*/width=16/' -e 's/^height=.*/height=16/' -e 's/^batch=.*/batch=8/' \
    -e 's/^max_batches=.*/max_batches=10/' -e 's/^burn_in=.*/burn_in=2/' -e 's/^learning_rate=.*/learning_rate=0.01/' \
    "$(dirname "$0")/../../cfg/shapes_classifier.cfg" > "$tmp/shapes.cfg"
for n in 1 2; do
    mkdir -p "$tmp/c$n" && sed "s|^backup=.*|backup=$tmp/c$n|" "$tmp/c/classify.data" > "$tmp/c$n.data" &&
        mpi $n "$DARKNET" classifier train "$tmp/c$n.data" "$tmp/shapes.cfg" -threads 1 > "$tmp/c$n.log" 2>&1
done
losses_close "$tmp/c1.log" "$tmp/c2.log" && weights_close "$tmp/c1/shapes_final.weights" "$tmp/c2/shapes_final.weights"
check classifier_over_two_ranks_trains_the_model_of_one_process $?

# distill compare over 2 ranks: rank 0 alone writes the report
mpi 2 "$DARKNET" distill compare "$s/synth.data" "$tmp/student.cfg" -iters 2 -out "$tmp/cmp" -threads 1 \
    > "$tmp/cmp.log" 2>&1 && [ "$(grep -c "^table in" "$tmp/cmp.log")" = 1 ] &&
    [ -s "$tmp/cmp/compare.txt" ] && [ -s "$tmp/cmp/distilled_final.weights" ]
check distill_compare_over_two_ranks $?

# The unit tests of data-parallel training (tests/test_dist.c) over 2 ranks, under their names
if [ -x "${RUN_TESTS_MPI:-}" ]; then
    mpi 2 "$RUN_TESTS_MPI" ranks > "$tmp/unit.log" 2>&1
    rc=$?
    sed -n "s/^\(ok   \|FAIL \)/\1${prefix}two_ranks_/p" "$tmp/unit.log"
    [ $rc = 0 ] && grep -q "^[1-9][0-9]* passed, 0 failed" "$tmp/unit.log"
    check unit_tests_pass_over_two_ranks $?
fi

# Evaluation split over the ranks and gathered: the same numbers and results file.
w="$(final one student)"
"$DARKNET" detector map "$s/synth.data" "$tmp/student.cfg" "$w" -threads 1 > "$tmp/map1.txt" 2>&1 &&
    mpi 2 "$DARKNET" detector map "$s/synth.data" "$tmp/student.cfg" "$w" -threads 1 > "$tmp/map2.txt" 2>&1 &&
    grep -q "mean average precision" "$tmp/map2.txt" && cmp -s "$tmp/map1.txt" "$tmp/map2.txt"
check map_over_ranks_prints_the_numbers_of_one_process $?
"$DARKNET" detector valid "$s/synth.data" "$tmp/student.cfg" "$w" -out "$tmp/r1.json" -threads 1 > /dev/null 2>&1 &&
    mpi 3 "$DARKNET" detector valid "$s/synth.data" "$tmp/student.cfg" "$w" -out "$tmp/r3.json" -threads 1 \
        > "$tmp/valid3.txt" 2>&1 && [ -s "$tmp/r1.json" ] && cmp -s "$tmp/r1.json" "$tmp/r3.json" &&
    [ "$(grep -c "detections on 6 images" "$tmp/valid3.txt")" = 1 ]
check valid_over_three_ranks_writes_the_results_of_one_process $?

# Resuming a 2-rank backup with 1 rank continues its schedule from `seen`.
sed 's/^max_batches=.*/max_batches=10/' "$tmp/student.cfg" > "$tmp/res.cfg"
train res 2 "$tmp/res.cfg" && sed -i 's/^max_batches=.*/max_batches=12/' "$tmp/res.cfg" &&
    mpi 1 "$DARKNET" detector train "$tmp/res.data" "$tmp/res.cfg" "$(final res res)" -threads 1 > "$tmp/res1.log" 2>&1 &&
    grep -q "from iteration 10 to 12" "$tmp/res1.log" && grep -q "^12/12:" "$tmp/res1.log"
check resume_with_another_number_of_ranks_continues_the_schedule $?

# Faults. 1. One rank's image list cannot be read (MPMD: its own .data): the
#    job ends soon, the message names the rank and host, the weights are kept.
data_for bad && sed -i "s|^train=.*|train=$tmp/missing.txt|" "$tmp/bad.data" && data_for good &&
    cp "$(final one student)" "$tmp/good/student_last.weights" && cp "$tmp/good/student_last.weights" "$tmp/kept"
timeout 120 mpirun --oversubscribe --bind-to none \
    -np 1 "$DARKNET" detector train "$tmp/good.data" "$tmp/student.cfg" "$tmp/good/student_last.weights" -threads 1 : \
    -np 1 "$DARKNET" detector train "$tmp/bad.data" "$tmp/student.cfg" "$tmp/good/student_last.weights" -threads 1 \
    > "$tmp/bad.log" 2>&1
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q "^rank 1 of 2 on $(hostname).*missing.txt" "$tmp/bad.log" &&
    ! grep -q "^[0-9]*/20:" "$tmp/bad.log" && cmp -s "$tmp/good/student_last.weights" "$tmp/kept"
check unreadable_list_on_one_rank_ends_the_job_naming_rank_and_host $?

# 2. Ranks given different cfgs (here another learning rate) are refused at the start.
sed 's/^learning_rate=.*/learning_rate=0.003/' "$tmp/student.cfg" > "$tmp/other.cfg"
data_for mixed
timeout 120 mpirun --oversubscribe --bind-to none \
    -np 1 "$DARKNET" detector train "$tmp/mixed.data" "$tmp/student.cfg" -threads 1 : \
    -np 1 "$DARKNET" detector train "$tmp/mixed.data" "$tmp/other.cfg" -threads 1 > "$tmp/mixed.log" 2>&1
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q "differs between the ranks: rank 0 on .* and rank 1 on" "$tmp/mixed.log" &&
    ! grep -q "^1/20:" "$tmp/mixed.log"
check different_cfgs_on_the_ranks_are_refused $?

# 3. Rank 1 killed with SIGKILL mid-run: mpirun ends the job, the last backup loads.
sed 's/^max_batches=.*/max_batches=100000/' "$tmp/student.cfg" > "$tmp/long.cfg"
data_for long
mpi 2 "$DARKNET" detector train "$tmp/long.data" "$tmp/long.cfg" -threads 1 -backup_every 2 > "$tmp/long.log" 2>&1 &
job=$!
# processes started under PID, all generations
descendants() { for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
# rank R of the job started as $job: the darknet whose environment says so
rank_pid() {
    for p in $(descendants $job); do
        tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$p"
    done
}
mpirun_pid() { for p in $(descendants $job); do [ "$(cat "/proc/$p/comm" 2> /dev/null)" = mpirun ] && echo "$p"; done; }
for i in $(seq 240); do grep -q "^6/100000:" "$tmp/long.log" 2> /dev/null && break; sleep 0.25; done
victim=$(rank_pid 1)
[ -n "$victim" ] && kill -KILL $victim
wait $job
rc=$?
[ -n "$victim" ] && [ $rc != 0 ] && [ $rc != 124 ] && grep -q "rank 1 .*signal 9" "$tmp/long.log" &&
    "$DARKNET" partial "$tmp/long.cfg" "$tmp/long/long_last.weights" "$tmp/loaded.weights" 1 > /dev/null 2>&1
check killed_rank_ends_the_job_and_the_last_backup_loads $?

# 4. Ctrl-C on mpirun: it sends SIGTERM to the ranks, rank 0 saves _last once,
#    all ranks stop at the same step.
rm -f "$tmp/long/long_last.weights"
mpi 2 "$DARKNET" detector train "$tmp/long.data" "$tmp/long.cfg" -threads 1 -backup_every 100000 > "$tmp/int.log" 2>&1 &
job=$!
for i in $(seq 240); do grep -q "^3/100000:" "$tmp/int.log" 2> /dev/null && break; sleep 0.25; done
kill -INT "$(mpirun_pid)"
wait $job
[ "$(grep -c "interrupted by SIGTERM: saving before leaving" "$tmp/int.log")" = 1 ] &&
    [ "$(grep -c "saved .*long_last.weights" "$tmp/int.log")" = 1 ] &&
    "$DARKNET" partial "$tmp/long.cfg" "$tmp/long/long_last.weights" "$tmp/loaded.weights" 1 > /dev/null 2>&1
check ctrl_c_saves_once_and_every_rank_leaves $?

# A batch that does not split over the ranks is a clear error at the start.
data_for three
mpi 3 "$DARKNET" detector train "$tmp/three.data" "$tmp/student.cfg" -threads 1 > "$tmp/three.log" 2>&1
[ $? != 0 ] && grep -q "batch=4 with subdivisions=1 does not split over 3 ranks" "$tmp/three.log" &&
    ! grep -q "^1/20:" "$tmp/three.log"
check batch_that_does_not_split_is_refused $?

# Commands that do not share work run once, on rank 0.
mpi 2 "$DARKNET" synth "$tmp/once" -n 2 -valid 1 -size 64 > "$tmp/once.log" 2>&1 &&
    [ "$(grep -c "^synth: data file" "$tmp/once.log")" = 1 ] && [ "$(wc -l < "$tmp/once/train.txt")" = 2 ]
check other_commands_run_on_rank_0_only $?
exit 0
