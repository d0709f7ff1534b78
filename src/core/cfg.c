#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hash.h"
#include "text_file.h"

/* Removes all white space: darknet cfgs are written with and without spaces
 * around '=' and inside lists, and values never contain spaces. */
static void strip_spaces(char *s)
{
    char *w = s;
    for (char *r = s; *r; ++r)
        if (!isspace((unsigned char)*r)) *w++ = *r;
    *w = 0;
}

static int add_section(cfg_file *f, const char *name, int line)
{
    cfg_section *s = dn_realloc(f->sections, f->n_sections + 1, sizeof *s);
    if (!s) return -1;
    f->sections = s;
    s = &f->sections[f->n_sections++];
    memset(s, 0, sizeof *s);
    s->owner = f;
    s->file = f->path;
    s->line = line;
    s->name = dn_strdup(name);
    return s->name ? 0 : -1;
}

static int add_option(cfg_file *f, char *text, int line)
{
    char *eq = strchr(text, '=');
    if (!eq || eq == text)
        return dn_error("%s:%d: expected key=value, found '%s'", f->path, line, text);
    if (f->n_sections == 0)
        return dn_error("%s:%d: option '%s' before the first [section]", f->path, line, text);
    *eq = 0;
    cfg_section *s = &f->sections[f->n_sections - 1];
    for (int i = 0; i < s->n_opts; ++i)
        if (!strcmp(s->opts[i].key, text))
            return dn_error("%s:%d: key '%s' repeats the one on line %d", f->path, line, text,
                            s->opts[i].line);
    cfg_option *o = dn_realloc(s->opts, s->n_opts + 1, sizeof *o);
    if (!o) return -1;
    s->opts = o;
    o = &s->opts[s->n_opts++];
    o->key = dn_strdup(text);
    o->val = dn_strdup(eq + 1);
    o->line = line;
    o->used = 0;
    return (o->key && o->val) ? 0 : -1;
}

static int parse_line(cfg_file *f, char *line, int lineno)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *semi = strchr(line, ';');
    if (semi) *semi = 0;
    strip_spaces(line);
    if (!*line) return 0;
    if (*line == '[') {
        size_t n = strlen(line);
        if (line[n - 1] != ']' || n < 3)
            return dn_error("%s:%d: malformed section header '%s'", f->path, lineno, line);
        line[n - 1] = 0;
        return add_section(f, line + 1, lineno);
    }
    return add_option(f, line, lineno);
}

cfg_file *cfg_parse_text(const char *text, const char *path)
{
    cfg_file *f = dn_calloc(1, sizeof *f);
    char *copy = dn_strdup(text);
    if (!f || !copy || !(f->path = dn_strdup(path))) goto fail;
    char *p = copy;
    if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* UTF-8 byte order mark */
    int lineno = 0;
    while (p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        ++lineno;
        if (parse_line(f, p, lineno)) goto fail;
        p = nl ? nl + 1 : NULL;
    }
    free(copy);
    if (f->n_sections == 0) {
        dn_error("%s: no sections found", path);
        cfg_free(f);
        return NULL;
    }
    return f;
fail:
    free(copy);
    cfg_free(f);
    return NULL;
}

cfg_file *cfg_read(const char *path)
{
    char *text = read_text_file(path, "cfg file");
    if (!text) return NULL;
    cfg_file *f = cfg_parse_text(text, path);
    free(text);
    return f;
}

void cfg_free(cfg_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n_sections; ++i) {
        cfg_section *s = &f->sections[i];
        for (int j = 0; j < s->n_opts; ++j) {
            free(s->opts[j].key);
            free(s->opts[j].val);
        }
        free(s->opts);
        free(s->name);
    }
    for (int i = 0; i < f->n_noted; ++i) free(f->noted[i]);
    free(f->noted);
    free(f->sections);
    free(f->path);
    free(f);
}

static cfg_option *find(cfg_section *s, const char *key)
{
    for (int i = 0; i < s->n_opts; ++i)
        if (!strcmp(s->opts[i].key, key)) {
            s->opts[i].used = 1;
            return &s->opts[i];
        }
    return NULL;
}

int cfg_fail(cfg_section *s, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->failed = 1;
    cfg_option *o = key ? find(s, key) : NULL;
    if (o) return dn_error("%s:%d: [%s] %s=%s: %s", s->file, o->line, s->name, key, o->val, msg);
    if (key) return dn_error("%s:%d: [%s] %s: %s", s->file, s->line, s->name, key, msg);
    return dn_error("%s:%d: [%s]: %s", s->file, s->line, s->name, msg);
}

int cfg_failed(const cfg_section *s) { return s->failed; }

int cfg_has(cfg_section *s, const char *key)
{
    for (int i = 0; i < s->n_opts; ++i)
        if (!strcmp(s->opts[i].key, key)) return 1;
    return 0;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno) return -1;
    *out = x;
    return 0;
}

static int parse_float(const char *v, float *out)
{
    char *end;
    errno = 0;
    float x = strtof(v, &end);
    if (end == v || *end || errno || !isfinite(x)) return -1;
    *out = x;
    return 0;
}

int cfg_int(cfg_section *s, const char *key, int def)
{
    return cfg_int_range(s, key, def, INT_MIN, INT_MAX);
}

int cfg_int_range(cfg_section *s, const char *key, int def, int lo, int hi)
{
    cfg_option *o = find(s, key);
    if (!o) return def;
    long x;
    if (parse_long(o->val, &x)) {
        cfg_fail(s, key, "expected an integer");
        return def;
    }
    if (x < lo || x > hi) {
        if (hi == INT_MAX && x < lo) cfg_fail(s, key, "must be at least %d", lo);
        else cfg_fail(s, key, "must be between %d and %d", lo, hi);
        return def;
    }
    return (int)x;
}

float cfg_float(cfg_section *s, const char *key, float def)
{
    return cfg_float_range(s, key, def, -INFINITY, INFINITY);
}

float cfg_float_range(cfg_section *s, const char *key, float def, float lo, float hi)
{
    cfg_option *o = find(s, key);
    if (!o) return def;
    float x;
    if (parse_float(o->val, &x)) {
        cfg_fail(s, key, "expected a number");
        return def;
    }
    if (x < lo || x > hi) {
        cfg_fail(s, key, "must be between %g and %g", lo, hi);
        return def;
    }
    return x;
}

const char *cfg_str(cfg_section *s, const char *key, const char *def)
{
    cfg_option *o = find(s, key);
    return o ? o->val : def;
}

int cfg_enum(cfg_section *s, const char *key, const char *const *choices, int def)
{
    cfg_option *o = find(s, key);
    if (!o) return def;
    char list[256] = "";
    for (int i = 0; choices[i]; ++i) {
        if (!strcmp(o->val, choices[i])) return i;
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    cfg_fail(s, key, "expected one of: %s", list);
    return def;
}

/* Parses a comma-separated list into n elements of `size` bytes using `one`. */
static int parse_list(cfg_section *s, const char *key, void **out, size_t size,
                      int (*one)(const char *, void *), const char *what)
{
    *out = NULL;
    cfg_option *o = find(s, key);
    if (!o) return 0;
    int n = 1;
    for (const char *p = o->val; *p; ++p) n += *p == ',';
    char *copy = dn_strdup(o->val);
    char *items = dn_calloc(n, size);
    if (!copy || !items) {
        free(copy);
        free(items);
        s->failed = 1;
        return -1;
    }
    char *tok = copy;
    for (int i = 0; i < n; ++i) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = 0;
        if (one(tok, items + i * size)) {
            cfg_fail(s, key, "item %d ('%s') is not %s", i + 1, tok, what);
            free(copy);
            free(items);
            return -1;
        }
        tok = comma ? comma + 1 : tok;
    }
    free(copy);
    *out = items;
    return n;
}

static int one_int(const char *v, void *out)
{
    long x;
    if (parse_long(v, &x) || x < INT_MIN || x > INT_MAX) return -1;
    *(int *)out = (int)x;
    return 0;
}

static int one_float(const char *v, void *out) { return parse_float(v, out); }

int cfg_int_list(cfg_section *s, const char *key, int **out)
{
    return parse_list(s, key, (void **)out, sizeof(int), one_int, "an integer");
}

int cfg_float_list(cfg_section *s, const char *key, float **out)
{
    return parse_list(s, key, (void **)out, sizeof(float), one_float, "a number");
}

static int note_once(cfg_file *f, const char *section, const char *key)
{
    char name[256];
    snprintf(name, sizeof name, "%s.%s", section, key);
    for (int i = 0; i < f->n_noted; ++i)
        if (!strcmp(f->noted[i], name)) return 0;
    char **noted = dn_realloc(f->noted, f->n_noted + 1, sizeof *noted);
    if (!noted) return 0;
    f->noted = noted;
    if (!(f->noted[f->n_noted] = dn_strdup(name))) return 0;
    f->n_noted++;
    return 1;
}

static int listed(const char *const *list, const char *key)
{
    for (int j = 0; list && list[j]; ++j)
        if (!strcmp(list[j], key)) return 1;
    return 0;
}

int cfg_check_unused(cfg_section *s, const char *const *ignored, const char *const *also_ignored)
{
    for (int i = 0; i < s->n_opts; ++i) {
        cfg_option *o = &s->opts[i];
        if (o->used) continue;
        if (!listed(ignored, o->key) && !listed(also_ignored, o->key))
            return dn_error("%s:%d: [%s] unknown key '%s'", s->file, o->line, s->name, o->key);
        o->used = 1;
        if (note_once(s->owner, s->name, o->key))
            dn_info("note: %s:%d: [%s] %s is a darknet key this project does not use; ignored",
                    s->file, o->line, s->name, o->key);
    }
    return 0;
}

uint64_t cfg_hash(const cfg_file *f)
{
    uint64_t h = 0;
    for (int i = 0; i < f->n_sections; ++i) {
        const cfg_section *s = &f->sections[i];
        h = hash_bytes(s->name, strlen(s->name) + 1, h);
        for (int k = 0; k < s->n_opts; ++k) {
            h = hash_bytes(s->opts[k].key, strlen(s->opts[k].key) + 1, h);
            h = hash_bytes(s->opts[k].val, strlen(s->opts[k].val) + 1, h);
        }
    }
    return h;
}
