/* ranks.c: the output and the commands of each rank (see ranks.h). */
#include "ranks.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "dist.h"

/* Commands that split their work over the ranks (every rank must run them). */
static const char *const shared_commands[][2] = {
    {"detector", "train"}, {"detector", "map"}, {"detector", "valid"}, {"classifier", "train"},
    {"distill", "compare"}, {"benchmark", NULL},
};

static int stderr_copy = -1;   /* the real stderr while lines go through the prefixer */
static int pipe_in = -1;
static pthread_t prefixer;

/* Copies what is written to stderr to the real stderr, each line after the
 * prefix (in one write with it, so that mpirun keeps them together). */
static void *prefix_lines(void *arg)
{
    const char *prefix = arg;
    size_t plen = strlen(prefix);
    char in[4096], out[4096 + 512];
    int at_line_start = 1;
    ssize_t n;
    while ((n = read(pipe_in, in, sizeof in)) > 0) {
        for (char *p = in, *end = in + n; p < end;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = (size_t)((nl ? nl + 1 : end) - p), at = 0;
            if (at_line_start) memcpy(out, prefix, at = plen);
            memcpy(out + at, p, len);
            if (write(stderr_copy, out, at + len) < 0) return NULL;
            at_line_start = nl != NULL;
            p += len;
        }
    }
    return NULL;
}

static int start_prefixer(void)
{
    static char prefix[500];
    snprintf(prefix, sizeof prefix, "%s: ", dist_where());
    int fds[2];
    if (pipe(fds)) return -1;
    stderr_copy = dup(STDERR_FILENO);
    if (stderr_copy < 0 || dup2(fds[1], STDERR_FILENO) < 0) return -1;
    close(fds[1]);
    pipe_in = fds[0];
    if (pthread_create(&prefixer, NULL, prefix_lines, prefix)) {
        dup2(stderr_copy, STDERR_FILENO);
        return -1;
    }
    return 0;
}

/* Puts the real stderr back; the prefixer sees the end of its pipe, writes
 * what is left and stops. */
static void stop_prefixer(void)
{
    if (stderr_copy < 0) return;
    fflush(stderr);
    dup2(stderr_copy, STDERR_FILENO);
    pthread_join(prefixer, NULL);
    close(pipe_in);
    close(stderr_copy);
    stderr_copy = pipe_in = -1;
}

int ranks_begin(int *argc, char ***argv)
{
    if (dist_init(argc, argv)) {
        fprintf(stderr, "darknet: %s\n", dn_last_error());
        return -1;
    }
    if (dist_rank() == 0) return 0;
    dn_set_log_level(DN_LOG_WARN);
    if (!freopen("/dev/null", "w", stdout) || start_prefixer())
        fprintf(stderr, "darknet: %s: could not set up this rank's output\n", dist_where());
    return 0;
}

int ranks_run_here(int argc, char **argv)
{
    if (dist_rank() == 0) return 1;
    for (size_t i = 0; i < sizeof shared_commands / sizeof shared_commands[0]; ++i) {
        const char *cmd = shared_commands[i][0], *sub = shared_commands[i][1];
        if (argc > 1 && !strcmp(argv[1], cmd) && (!sub || (argc > 2 && !strcmp(argv[2], sub)))) return 1;
    }
    return 0;
}

int ranks_end(int rc)
{
    fflush(stdout);
    stop_prefixer();
    /* the other ranks wait in a collective for this failed one: end them all */
    if (dist_leave(rc)) {
        dist_end_job(rc ? rc : 1);
        return rc ? rc : 1;
    }
    return rc;
}
