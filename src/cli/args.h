/* args.h: darknet-style command-line flags (-name value, -flag) and positionals.
 * Every flag a command reads is marked; args_check() then rejects the rest. */
#ifndef DN_ARGS_H
#define DN_ARGS_H

typedef struct {
    int argc;
    char **argv;
    unsigned char used[256];
    int bad;                  /* a flag had a missing or malformed value */
} args;

void args_init(args *a, int argc, char **argv);
int arg_flag(args *a, const char *name);
int arg_int(args *a, const char *name, int def);
float arg_float(args *a, const char *name, float def);
const char *arg_str(args *a, const char *name, const char *def);
/* A list of numbers "0.25,0.5,1" into out (at most max); returns how many
 * (0 when the flag is absent; a malformed list marks the args bad). */
int arg_numbers(args *a, const char *name, double *out, int max);
/* The i-th argument that is not a flag or a flag's value (NULL if absent).
 * Call after reading every flag. */
const char *arg_pos(args *a, int i);
/* 0 if every argument was understood; else prints what was not and returns -1. */
int args_check(args *a);

/* A command family's subcommands (`darknet detector train ...`). */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommand;
/* Runs the subcommand named by argv[0] with the arguments after it; a
 * missing or unknown name prints the family's usage and returns 2. */
int run_subcommand(const char *family, const subcommand *subs, int n, int argc, char **argv);

#endif
