#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

void args_init(args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->argc = argc < 256 ? argc : 256;
    a->argv = argv;
}

static int find(args *a, const char *name)
{
    for (int i = 0; i < a->argc; ++i)
        if (!strcmp(a->argv[i], name)) {
            a->used[i] = 1;
            return i;
        }
    return -1;
}

int arg_flag(args *a, const char *name) { return find(a, name) >= 0; }

static const char *value(args *a, const char *name)
{
    int i = find(a, name);
    if (i < 0) return NULL;
    if (i + 1 >= a->argc) {
        fprintf(stderr, "darknet: %s needs a value\n", name);
        a->bad = 1;
        return NULL;
    }
    a->used[i + 1] = 1;
    return a->argv[i + 1];
}

int arg_int(args *a, const char *name, int def)
{
    const char *v = value(a, name);
    if (!v) return def;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*end || end == v || errno) {
        fprintf(stderr, "darknet: %s expects an integer, got '%s'\n", name, v);
        a->bad = 1;
        return def;
    }
    return (int)x;
}

float arg_float(args *a, const char *name, float def)
{
    const char *v = value(a, name);
    if (!v) return def;
    char *end;
    float x = strtof(v, &end);
    if (*end || end == v) {
        fprintf(stderr, "darknet: %s expects a number, got '%s'\n", name, v);
        a->bad = 1;
        return def;
    }
    return x;
}

int arg_numbers(args *a, const char *name, double *out, int max)
{
    const char *v = value(a, name);
    int n = 0;
    for (const char *p = v; p && *p && n <= max;) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || (*end && *end != ',') || n == max) {
            fprintf(stderr, "darknet: %s expects up to %d numbers separated by commas, got '%s'\n", name, max, v);
            a->bad = 1;
            return 0;
        }
        out[n++] = x;
        p = *end ? end + 1 : end;
    }
    return n;
}

const char *arg_str(args *a, const char *name, const char *def)
{
    const char *v = value(a, name);
    return v ? v : def;
}

const char *arg_pos(args *a, int n)
{
    for (int i = 0; i < a->argc; ++i) {
        if (a->used[i] == 1 || (a->argv[i][0] == '-' && a->argv[i][1])) continue;
        if (n-- == 0) {
            a->used[i] = 2;
            return a->argv[i];
        }
    }
    return NULL;
}

int args_check(args *a)
{
    if (a->bad) return -1;
    for (int i = 0; i < a->argc; ++i)
        if (!a->used[i]) {
            fprintf(stderr, "darknet: unexpected argument '%s'\n", a->argv[i]);
            return -1;
        }
    return 0;
}

int run_subcommand(const char *family, const subcommand *subs, int n, int argc, char **argv)
{
    if (argc < 1) return usage_error(family);
    for (int i = 0; i < n; ++i)
        if (!strcmp(argv[0], subs[i].name)) return subs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "darknet %s: unknown subcommand '%s'\n", family, argv[0]);
    return usage_error(family);
}
