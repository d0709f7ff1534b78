#!/bin/sh
# Training under faults, as a user's run meets them: a backup that cannot be
# written, SIGTERM, kill -9 in the middle of a save, a full disk, and a run
# that diverges without a NaN. The last good weights must survive each.
prefix=cli_faults_
. "$(dirname "$0")/lib.sh"

tiny_detector "$tmp" 12
data="$tmp/s/synth.data"
b="$tmp/s/backup"
no_temp_files() { ! ls "$b" | grep -q '\.tmp'; }
# the iteration a run started from ("training ... from iteration N to M")
start_of() { sed -n 's/^training .* from iteration \([0-9]*\) to.*/\1/p' "$1"; }

# 1. The 10th-iteration backup fails (a directory holds its name): reported,
#    training goes on, and the final weights are written.
mkdir "$b/tiny_10.weights"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" -backup_every 1 -threads 1 > "$tmp/f.log" 2> "$tmp/f.err"
[ $? = 0 ] && [ -s "$b/tiny_final.weights" ] && grep -q "tiny_10.weights" "$tmp/f.err" &&
    grep -q "1 of the backups failed" "$tmp/f.err" && grep -q "^12/12:" "$tmp/f.log" && no_temp_files
check failed_backup_does_not_stop_the_final_save $?
rmdir "$b/tiny_10.weights"

# 2. SIGTERM (timeouts, docker stop, batch schedulers) saves like Ctrl-C.
sed -i 's/^max_batches=.*/max_batches=100000/' "$tmp/tiny.cfg"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" "$b/tiny_final.weights" -backup_every 100000 -threads 1 \
    > "$tmp/t.log" 2>&1 &
pid=$!
for i in $(seq 120); do grep -q "^[0-9]*/100000:" "$tmp/t.log" && break; sleep 0.5; done
kill -TERM $pid
{ wait $pid; } 2> /dev/null
rc=$?
grep -q "interrupted by SIGTERM: saving" "$tmp/t.log" && [ $rc = 0 ] && [ "$b/tiny_last.weights" -nt "$b/tiny_final.weights" ]
check sigterm_saves $?

# 3. kill -9 halfway through a save: its temporary file is a FIFO that we
#    read a little of, so the save is stuck mid-write when the kill comes.
cp "$b/tiny_last.weights" "$tmp/good.weights"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" "$b/tiny_last.weights" -backup_every 1 -threads 1 \
    > "$tmp/k.log" 2>&1 &
pid=$!
mkfifo "$b/tiny_last.weights.tmp$pid"
exec 3< "$b/tiny_last.weights.tmp$pid"
head -c 4096 <&3 > /dev/null
kill -9 $pid
{ wait $pid; } 2> /dev/null
exec 3<&-
[ -p "$b/tiny_last.weights.tmp$pid" ] && cmp -s "$b/tiny_last.weights" "$tmp/good.weights"
check kill_during_save_keeps_last_good_file $?
from=$(start_of "$tmp/k.log")
sed -i "s/^max_batches=.*/max_batches=$((from + 2))/" "$tmp/tiny.cfg"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" "$b/tiny_last.weights" -backup_every 1 -threads 1 \
    > "$tmp/r.log" 2> "$tmp/r.err"
[ $? = 0 ] && [ "$(start_of "$tmp/r.log")" = "$from" ] && grep -q "^$((from + 2))/$((from + 2)):" "$tmp/r.log" &&
    grep -q "removed .*tiny_last.weights.tmp$pid, left by process $pid" "$tmp/r.err" && no_temp_files
check resume_after_kill_removes_the_stale_temporary_file $?

# 4. A full disk (here a file-size limit: writes fail with EFBIG): every save
#    fails, the run says so and exits 1, the last good file is intact.
cp "$b/tiny_final.weights" "$tmp/good.weights"
sed -i "s/^max_batches=.*/max_batches=$((from + 4))/" "$tmp/tiny.cfg"
(ulimit -f 16 && exec "$DARKNET" detector train "$data" "$tmp/tiny.cfg" "$b/tiny_final.weights" -backup_every 1 \
    -threads 1) > /dev/null 2> "$tmp/d.err"
[ $? = 1 ] && cmp -s "$b/tiny_final.weights" "$tmp/good.weights" && grep -q "File too large" "$tmp/d.err" &&
    no_temp_files
check full_disk_keeps_last_good_file $?

# 7. lr 3 makes the loss jump ~5000x at iteration 4 (then 1e19) and come back to a flat,
#    high loss, with no NaN to stop the run: said once, naming the iteration. The
#    failed-backup run above (lr as the cfg says) did not warn.
sed 's/^learning_rate=.*/learning_rate=3/' "$tmp/tiny.cfg" > "$tmp/hot.cfg"
"$DARKNET" detector train "$data" "$tmp/hot.cfg" -clear -threads 1 > /dev/null 2> "$tmp/hot.err"
[ $? = 0 ] && [ "$(grep -c "warning: the loss jumped" "$tmp/hot.err")" = 1 ] &&
    grep -q "jumped to .* at iteration [0-9]*, over 100 times its recent mean" "$tmp/hot.err" &&
    ! grep -q "loss jumped" "$tmp/f.err"
check diverging_loss_is_reported_once $?
exit 0
