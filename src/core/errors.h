/* errors.h: the per-thread error message and the log. Library code reports a
 * failure with dn_error() and returns an error code; only the CLI exits. */
#ifndef DN_ERRORS_H
#define DN_ERRORS_H

#include "darknet.h"

#if defined(__GNUC__)
#define DN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DN_PRINTF(a, b)
#endif

/* Records the first error since the last dn_clear_error(); later ones are
 * dropped so the root cause is what the user sees. Always returns -1. */
int dn_error(const char *fmt, ...) DN_PRINTF(1, 2);
int dn_has_error(void);

void dn_log(dn_log_level level, const char *fmt, ...) DN_PRINTF(2, 3);
#define dn_warn(...) dn_log(DN_LOG_WARN, __VA_ARGS__)
#define dn_info(...) dn_log(DN_LOG_INFO, __VA_ARGS__)

/* malloc/calloc that record an error (with the size) instead of returning silently. */
void *dn_calloc(size_t n, size_t size);
void *dn_realloc(void *p, size_t n, size_t size);
char *dn_strdup(const char *s);

#endif
