#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[1024];
static dn_log_level log_level = DN_LOG_INFO;

const char *dn_last_error(void) { return last_error; }
void dn_clear_error(void) { last_error[0] = 0; }
int dn_has_error(void) { return last_error[0] != 0; }

int dn_error(const char *fmt, ...)
{
    if (last_error[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return -1;
}

void dn_set_log_level(dn_log_level level) { log_level = level; }

void dn_log(dn_log_level level, const char *fmt, ...)
{
    static const char *prefix[] = {"error: ", "warning: ", "", "debug: "};
    if (level > log_level) return;
    va_list ap;
    va_start(ap, fmt);
    fputs(prefix[level], stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void *dn_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) n = size = 1;
    void *p = calloc(n, size);
    if (!p) dn_error("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *dn_realloc(void *p, size_t n, size_t size)
{
    if (n == 0 || size == 0) n = size = 1;
    if (size > (size_t)-1 / n) {
        dn_error("allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    void *q = realloc(p, n * size);
    if (!q) dn_error("out of memory allocating %zu x %zu bytes", n, size);
    return q;
}

char *dn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = dn_calloc(n, 1);
    if (p) memcpy(p, s, n);
    return p;
}
