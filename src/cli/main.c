/* main.c: the `darknet` command: dispatches to a command family. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "darknet.h"
#include "dist.h"
#include "ranks.h"

static const command commands[] = {
    {"benchmark", usage_benchmark, run_benchmark},
    {"benchmark-loader", usage_benchmark_loader, run_benchmark_loader},
    {"classifier", usage_classifier, run_classifier},
    {"coco", usage_coco, run_coco},
    {"detector", usage_detector, run_detector},
    {"distill", usage_distill, run_distill},
    {"erf", usage_erf, run_erf},
    {"export", usage_export, run_export},
    {"partial", usage_partial, run_partial},
    {"shapes", usage_shapes, run_shapes},
    {"synth", usage_synth, run_synth},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_overview(FILE *out)
{
    fprintf(out, "usage: darknet COMMAND [ARGS]   (darknet COMMAND -h for one command)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; ++i) fprintf(out, "  %s", commands[i].usage);
}

int usage_error(const char *name)
{
    if (dist_rank()) return 2;   /* every rank has the same arguments: one says it */
    for (int i = 0; i < N_COMMANDS; ++i)
        if (!strcmp(commands[i].name, name)) fprintf(stderr, "usage: darknet %s", commands[i].usage);
    return 2;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; ++i)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "help")) return 1;
    return 0;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        print_overview(stdout);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; ++i) {
        if (strcmp(argv[1], commands[i].name)) continue;
        if (wants_help(argc - 2, argv + 2)) {
            printf("usage: darknet %s", commands[i].usage);
            return 0;
        }
        return commands[i].run(argc - 2, argv + 2);
    }
    fprintf(stderr, "darknet: unknown command '%s'\n", argv[1]);
    print_overview(stderr);
    return 2;
}

/* darknet's device flags, for every command: -gpus N picks GPU N, -nogpu
 * keeps networks on the CPU; a GPU build uses GPU 0 when there is one. They
 * are taken out of argv so that commands never see them. 0, or -1 on a bad value. */
static int take_device_flags(int *argc, char **argv)
{
    int device = dn_gpu_count() > 0 ? 0 : -1, out = 1;
    for (int i = 1; i < *argc; ++i) {
        if (!strcmp(argv[i], "-nogpu")) {
            device = -2;
            continue;
        }
        if (strcmp(argv[i], "-gpus") || i + 1 >= *argc) {
            argv[out++] = argv[i];
            continue;
        }
        char *end;
        long d = strtol(argv[++i], &end, 10);
        if (*end || d < 0 || d > 64) {
            fprintf(stderr, "darknet: -gpus %s: one GPU index per process (several GPUs: mpirun, one rank each)\n",
                    argv[i]);
            return -1;
        }
        if (device != -2) device = (int)d;
    }
    *argc = out;
    argv[out] = NULL;
    dn_set_gpu(device < 0 ? -1 : device);
    return 0;
}

int main(int argc, char **argv)
{
    /* a file-size limit then fails the write (EFBIG, reported like a full
     * disk, the last good file kept) instead of killing the process */
    signal(SIGXFSZ, SIG_IGN);
    /* under mpirun: one rank of the job; alone: a job of one */
    if (ranks_begin(&argc, &argv)) return 1;
    if (take_device_flags(&argc, argv)) return ranks_end(2);
    return ranks_end(ranks_run_here(argc, argv) ? run_command(argc, argv) : 0);
}
