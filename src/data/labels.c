/* labels.c: label file paths and parsing (see labels.h). */
#include "labels.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"

/* Length of the file name's stem: up to its last '.', unless that dot
 * starts the name (".hidden" has no extension). */
static size_t stem_end(const char *path, size_t name_start)
{
    const char *dot = strrchr(path + name_start, '.');
    return dot && dot > path + name_start ? (size_t)(dot - path) : strlen(path);
}

static size_t name_start(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* out = path[0, a) + mid + path[b, stem) + ".txt" */
static int build(const char *path, size_t a, const char *mid, size_t b, char *out, size_t size)
{
    size_t stem = stem_end(path, name_start(path));
    int n = snprintf(out, size, "%.*s%s%.*s.txt", (int)a, path, mid, (int)(stem - b), path + b);
    if (n < 0 || (size_t)n >= size) {
        if (size) out[0] = 0;
        return dn_error("label path for %s is too long", path);
    }
    return 0;
}

int label_path_beside(const char *image_path, char *out, size_t size)
{
    return build(image_path, 0, "", 0, out, size);
}

int label_path(const char *image_path, char *out, size_t size)
{
    size_t name = name_start(image_path), found = SIZE_MAX, found_len = 0;
    /* directory components only: [start, slash) for each slash before the name */
    for (size_t start = 0; start < name;) {
        const char *slash = strchr(image_path + start, '/');
        size_t len = (size_t)(slash - image_path) - start;
        if ((len == 6 && !strncmp(image_path + start, "images", 6)) ||
            (len == 10 && !strncmp(image_path + start, "JPEGImages", 10))) {
            found = start;
            found_len = len;
        }
        start += len + 1;
    }
    if (found == SIZE_MAX) return label_path_beside(image_path, out, size);
    return build(image_path, found, "labels", found + found_len, out, size);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int find_label_file(const char *image_path, char *out, size_t size)
{
    if (label_path(image_path, out, size)) return -1;
    if (is_file(out)) return 1;
    char *beside = dn_calloc(size, 1);
    if (!beside) return -1;
    int r = label_path_beside(image_path, beside, size);
    if (r == 0 && strcmp(beside, out) && is_file(beside)) {
        strcpy(out, beside);
        r = 1;
    }
    free(beside);
    return r;
}

/* ---- parsing ---- */

/* The whole file (NUL-terminated, its length in *len: it may hold NUL
 * bytes of its own), or NULL when it cannot be read. Label files are small;
 * a huge one is refused rather than read. */
static char *slurp(const char *path, size_t *len, const char **why)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *why = errno == ENOENT ? NULL : strerror(errno);
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) *why = "not a regular file";
    else if (st.st_size > (64 << 20)) *why = "larger than 64 MiB";
    else if ((buf = malloc((size_t)st.st_size + 1))) {
        size_t n = fread(buf, 1, (size_t)st.st_size, fp);
        buf[n] = 0;
        *len = n;
    } else *why = "out of memory";
    fclose(fp);
    return buf;
}

static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end || errno || x < INT_MIN || x > INT_MAX) return -1;
    *v = (int)x;
    return 0;
}

static int parse_num(const char *s, float *v)
{
    char *end;
    errno = 0;
    float x = strtof(s, &end);
    if (end == s || *end || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

/* Parses one non-blank line; NULL and the box, or the reason it is bad. */
static const char *parse_line(char *line, int classes, box_label *out)
{
    char *tok[6], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\v\f", &save); t && n < 6; t = strtok_r(NULL, " \t\r\v\f", &save))
        tok[n++] = t;
    if (n != 5) return "expected 5 fields: class x y w h";
    int id;
    float v[4];
    if (parse_int(tok[0], &id)) return "the class is not an integer";
    for (int i = 0; i < 4; ++i)
        if (parse_num(tok[i + 1], &v[i])) return "a coordinate is not a number";
    if (id < 0 || (classes > 0 && id >= classes)) return "class out of range";
    if (v[2] <= 0 || v[3] <= 0) return "width or height <= 0";
    const float t = LABEL_CENTRE_TOLERANCE;
    if (v[0] < -t || v[0] > 1 + t || v[1] < -t || v[1] > 1 + t) return "centre outside the image";
    float x0 = fmaxf(0, v[0] - v[2] / 2), x1 = fminf(1, v[0] + v[2] / 2);
    float y0 = fmaxf(0, v[1] - v[3] / 2), y1 = fminf(1, v[1] + v[3] / 2);
    if (x1 <= x0 || y1 <= y0) return "box outside the image";
    out->id = id;
    out->b = (box){(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0};
    return NULL;
}

int read_labels(const char *path, int classes, box_label **out, unsigned *flags, int warn)
{
    unsigned f = 0;
    *out = NULL;
    const char *why = NULL;
    size_t len = 0;
    char *text = slurp(path, &len, &why);
    if (!text) {
        if (warn && why) dn_warn("cannot read label file %s: %s; the image counts as having no objects", path, why);
        if (flags) *flags = LABELS_MISSING;
        return 0;
    }
    box_label *boxes = NULL;
    int n = 0, cap = 0, lineno = 0, bad = 0, first_bad = 0, fail = 0;
    const char *first_why = NULL;
    for (char *p = text, *end = text + len; p < end && !fail;) {
        char *line = p, *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl) *nl = 0;
        p = nl ? nl + 1 : end;
        ++lineno;
        /* a NUL byte (binary data, a damaged file) would end the line early
         * and hide the rest of it: the whole line is bad */
        int has_nul = memchr(line, 0, (size_t)(p - line) - (nl != NULL)) != NULL;
        const char *s = line;
        while (isspace((unsigned char)*s)) ++s;
        if (!*s && !has_nul) continue;
        box_label b;
        const char *reason = has_nul ? "a NUL byte (binary data?)" : parse_line(line, classes, &b);
        if (reason) {
            if (!bad++) {
                first_bad = lineno;
                first_why = reason;
            }
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            box_label *bigger = dn_realloc(boxes, cap, sizeof *boxes);
            if (!bigger) {
                fail = 1;
                break;
            }
            boxes = bigger;
        }
        boxes[n++] = b;
    }
    free(text);
    if (fail) {
        free(boxes);
        return -1;
    }
    if (bad) {
        f |= LABELS_BAD_LINES;
        if (warn)
            dn_warn("%s:%d: %s; %d bad line%s skipped in this file", path, first_bad, first_why, bad,
                    bad == 1 ? "" : "s");
    }
    if (flags) *flags = f;
    *out = boxes;
    return n;
}
