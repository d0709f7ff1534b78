/* test_main.c: runs the registered tests; prints "N passed, N failed".
 * Under mpirun (a `make MPI=1` build) every rank runs them; a test fails when
 * it fails on any rank, and rank 0 prints the results. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "test.h"

enum { MAX_TESTS = 512 };
static struct {
    const char *name;
    test_fn fn;
} tests[MAX_TESTS];
static int n_tests, current_failures;

void register_test(const char *name, test_fn fn)
{
    if (n_tests < MAX_TESTS) {
        tests[n_tests].name = name;
        tests[n_tests++].fn = fn;
    }
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    if (current_failures++ >= 5) return; /* the first few say enough */
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "    %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int main(int argc, char **argv)
{
    if (dist_init(&argc, &argv)) return 1;
    if (dist_rank() && !freopen("/dev/null", "w", stdout)) return 1;
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    dn_set_log_level(DN_LOG_WARN);
    for (int i = 0; i < n_tests; ++i) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        current_failures = 0;
        dn_clear_error();
        tests[i].fn();
        if (dist_any(current_failures)) {
            printf("FAIL %s\n", tests[i].name);
            ++failed;
        } else {
            printf("ok   %s\n", tests[i].name);
            ++passed;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    dist_leave(0);   /* every rank ran every test: they leave together */
    return failed ? 1 : 0;
}
