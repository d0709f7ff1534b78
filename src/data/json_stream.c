/* json_stream.c: see json_stream.h. cJSON parses each value; this file only
 * steps over the punctuation of the top-level object and its arrays. */
#include "json_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"

char *json_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dn_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* sized from the file when it has one, so that a big file is not copied while growing */
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : 1 << 16, n = 0;
    char *buf = dn_calloc(cap + 1, 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || feof(f)) break;
        int c = fgetc(f);      /* full: at the end, or did the file grow? */
        if (c == EOF) break;
        char *bigger = cap > ((size_t)-1 >> 2) ? NULL : dn_realloc(buf, cap * 2 + 1, 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            dn_error("%s: file too large to read", path);
            break;
        }
        buf = bigger;
        buf[n++] = (char)c;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        dn_error("%s: read error: %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

int json_error_at(const char *path, const char *text, const char *at, const char *what)
{
    int line = 1, col = 1;
    for (const char *p = text; p < at; ++p) {
        if (*p == '\n') ++line, col = 1;
        else ++col;
    }
    return dn_error("%s: %s at line %d, column %d", path, what, line, col);
}

typedef struct {
    const char *path, *text, *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) ++c->p;
}

static int syntax_error(const cursor *c, const char *at)
{
    return json_error_at(c->path, c->text, at, "not valid JSON");
}

/* Skips white space, then the character `ch` if it is there (1), else 0. */
static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        ++c->p;
        return 1;
    }
    return 0;
}

/* The next value, parsed by cJSON; NULL after recording a syntax error. */
static cJSON *next_value(cursor *c)
{
    skip_space(c);
    const char *stop = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(c->p, (size_t)(c->end - c->p), &stop, 0);
    if (!v) {
        syntax_error(c, stop && stop >= c->p ? stop : c->p);
        return NULL;
    }
    c->p = stop;
    return v;
}

/* fn's first error, put aside (dn_error keeps the first message) so that a
 * syntax error found later can be reported instead. */
typedef struct {
    int failed;
    char message[1024];
} fn_failure;

static void call(json_member_fn fn, void *ctx, int key, int index, const cJSON *v, fn_failure *f)
{
    if (f->failed || !fn(ctx, key, index, v)) return;
    f->failed = 1;
    snprintf(f->message, sizeof f->message, "%s", dn_last_error());
    dn_clear_error();
}

/* The elements of the array at c->p (after its '['), each to fn. */
static int walk_array(cursor *c, int key, json_member_fn fn, void *ctx, fn_failure *f)
{
    if (take(c, ']')) return 0;
    for (int i = 0;; ++i) {
        cJSON *v = next_value(c);
        if (!v) return -1;
        call(fn, ctx, key, i, v, f);
        cJSON_Delete(v);
        if (take(c, ']')) return 0;
        if (!take(c, ',')) return syntax_error(c, c->p);
    }
}

int json_walk_object(const char *path, const char *text, size_t len, const char *const *keys, int n_keys,
                     int *found, json_member_fn fn, void *ctx)
{
    cursor c = {path, text, text, text + len};
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) c.p += 3;
    for (int k = 0; k < n_keys; ++k) found[k] = 0;
    fn_failure f = {0, ""};
    if (!take(&c, '{')) return syntax_error(&c, c.p);
    if (!take(&c, '}'))
        for (;;) {
            skip_space(&c);
            const char *name_at = c.p;
            cJSON *name = next_value(&c);
            if (!name) return -1;
            int key = -1;
            for (int k = 0; k < n_keys && cJSON_IsString(name); ++k)
                if (!strcmp(name->valuestring, keys[k])) key = k;
            int is_string = cJSON_IsString(name);
            cJSON_Delete(name);
            if (!is_string) return syntax_error(&c, name_at);
            if (!take(&c, ':')) return syntax_error(&c, c.p);
            if (key >= 0 && found[key]) key = -1;   /* a repeated name: the first counts */
            if (key >= 0) found[key] = 1;
            if (key >= 0 && take(&c, '[')) {
                if (walk_array(&c, key, fn, ctx, &f)) return -1;
            } else {
                cJSON *v = next_value(&c);
                if (!v) return -1;
                if (key >= 0) call(fn, ctx, key, -1, v, &f);
                cJSON_Delete(v);
            }
            if (take(&c, '}')) break;
            if (!take(&c, ',')) return syntax_error(&c, c.p);
        }
    skip_space(&c);
    if (c.p < c.end) return json_error_at(path, text, c.p, "unexpected text after the JSON value");
    return f.failed ? dn_error("%s", f.message) : 0;
}
