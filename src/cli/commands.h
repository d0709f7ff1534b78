/* commands.h: the darknet command families. Each takes the arguments after
 * its own name and returns the process exit code. */
#ifndef DN_COMMANDS_H
#define DN_COMMANDS_H

typedef struct {
    const char *name;
    const char *usage;        /* printed for -h and on a wrong argument */
    int (*run)(int argc, char **argv);
} command;

int run_benchmark(int argc, char **argv);
int run_benchmark_loader(int argc, char **argv);
int run_classifier(int argc, char **argv);
int run_coco(int argc, char **argv);
int run_detector(int argc, char **argv);
int run_distill(int argc, char **argv);
int run_erf(int argc, char **argv);
int run_export(int argc, char **argv);
int run_partial(int argc, char **argv);
int run_shapes(int argc, char **argv);
int run_synth(int argc, char **argv);

extern const char usage_benchmark[];
extern const char usage_benchmark_loader[];
extern const char usage_classifier[];
extern const char usage_coco[];
extern const char usage_detector[];
extern const char usage_distill[];
extern const char usage_erf[];
extern const char usage_export[];
extern const char usage_partial[];
extern const char usage_shapes[];
extern const char usage_synth[];

/* Prints the usage of `name` to stderr; returns 2 (exit code for a usage error). */
int usage_error(const char *name);

#endif
