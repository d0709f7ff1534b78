/* test_atomic_file.c: saves that leave the old file or the whole new one,
 * and the clean-up of what killed saves left behind. */
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.h"
#include "data_test_util.h"
#include "text_file.h"

/* A process id that is surely gone: a child that has exited and been reaped. */
static long dead_pid(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    return (long)p;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

TEST(atomic_save_replaces_the_file_and_leaves_no_temporary)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    const char *path = join(dir, "a.json");
    CHECK(write_file_atomic(path, "old", 3) == 0);
    atomic_file a;
    CHECK(atomic_file_open(&a, path) == 0);
    fputs("new contents", a.fp);
    /* until the commit, readers see the old file */
    char *text = read_text_file(path, "test");
    CHECK(text && !strcmp(text, "old"));
    free(text);
    CHECK(atomic_file_commit(&a) == 0);
    text = read_text_file(path, "test");
    CHECK(text && !strcmp(text, "new contents"));
    free(text);
    CHECK(atomic_file_open(&a, path) == 0);
    fputs("given up", a.fp);
    atomic_file_abort(&a);
    text = read_text_file(path, "test");
    CHECK(text && !strcmp(text, "new contents"));
    free(text);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) = 1", dir);
    CHECK_MSG(system(cmd) == 0, "a temporary file was left in %s", dir);
    remove_tree(dir);
}

/* Only NAME.{weights,png,jpg,json,txt}.tmp<PID> of a process that is gone
 * is removed: a live process may still be writing, and other files are the
 * user's. */
TEST(first_save_in_a_directory_removes_temporaries_of_dead_processes_only)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    char stale[256], live[256], own[256], other[256], plain[256];
    long gone = dead_pid();
    snprintf(stale, sizeof stale, "%s/model_last.weights.tmp%ld", dir, gone);
    snprintf(live, sizeof live, "%s/model_last.weights.tmp1", dir);   /* init is alive */
    snprintf(own, sizeof own, "%s/chart.png.tmp%ld", dir, (long)getpid());
    snprintf(other, sizeof other, "%s/notes.tmp%ld", dir, gone);
    snprintf(plain, sizeof plain, "%s/model.weights.tmpfile", dir);
    const char *all[] = {stale, live, own, other, plain};
    for (int i = 0; i < 5; ++i) write_text(all[i], "x");
    capture_begin();
    CHECK(write_file_atomic(join(dir, "results.json"), "[]", 2) == 0);
    char *log = capture_end();
    CHECK(!exists(stale) && exists(live) && exists(own) && exists(other) && exists(plain));
    CHECK_MSG(strstr(log, "model_last.weights.tmp") && strstr(log, "stopped during a save"), "log: %s", log);
    free(log);
    remove_tree(dir);
}

TEST(atomic_save_into_a_missing_directory_fails_naming_the_path)
{
    dn_clear_error();
    CHECK(write_file_atomic("/nonexistent_dir_dn/x.weights", "x", 1) != 0);
    CHECK_MSG(strstr(dn_last_error(), "/nonexistent_dir_dn/x.weights"), "%s", dn_last_error());
    dn_clear_error();
}
