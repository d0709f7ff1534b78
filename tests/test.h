/* test.h: a minimal test harness. TEST(name) { ... } registers a test;
 * CHECK* record a failure and go on. run_tests [substring] runs them. */
#ifndef DN_TEST_H
#define DN_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "darknet.h"

typedef void (*test_fn)(void);
void register_test(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                        \
    static void name(void);                                                               \
    __attribute__((constructor)) static void register_##name(void) { register_test(#name, name); } \
    static void name(void)

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
    } while (0)

#define CHECK_MSG(cond, ...)                                    \
    do {                                                        \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                  \
    do {                                                                                       \
        double a_ = (a), b_ = (b);                                                             \
        if (!(fabs(a_ - b_) <= (tol)))                                                         \
            test_fail(__FILE__, __LINE__, "%s = %.9g, %s = %.9g, differ by more than %g", #a, a_, #b, \
                      b_, (double)(tol));                                                      \
    } while (0)

/* ---- helpers (test_util.c) ---- */

/* Writes text to a new temporary file; returns its path (static buffer per call slot). */
const char *temp_file(const char *text);
/* Builds a network from cfg text (NULL on error; message in dn_last_error()). */
network *net_from_text(const char *cfg_text);
/* net_from_text that records a test failure (with the message) when it fails. */
network *build_net(const char *cfg_text);
/* batch * inputs floats in [-1, 1]; free() it. */
float *random_input(const network *net, unsigned seed);
void random_fill(float *x, int n, float lo, float hi, unsigned seed);
/* Largest |a-b| / max(1, |b|) over n values, reporting the index. */
double max_rel_diff(const float *a, const float *b, int n, int *where);

/* cfg/NAME's text (malloc'd; NULL, with a test failure, when it cannot be
 * read); path receives where it was found (run from the root or tests/). */
char *repo_cfg_text(const char *name, char *path, size_t path_size);
/* The integers of a cfg's "# KEY=a,b,c" comment line (the generators name
 * fpn_outputs= and stage_outputs= so); returns how many (0: no such line). */
int cfg_comment_indices(const char *text, const char *key, int *idx, int max);

/* Gradient check of a whole network on input x: the probe loss is
 * L = sum_i r_i * output_i of the last layer, r fixed random. Compares the
 * analytic input gradient and every parameter gradient with central finite
 * differences (in double over float evaluations). Returns the worst relative
 * error; prints the first mismatch. */
double grad_check(network *net, float *x, double eps);
/* The same with net->train = train for every forward (0: inference mode, e.g.
 * batch norm with its rolling statistics as constants). */
double grad_check_mode(network *net, float *x, double eps, int train);

#endif
