/* corrupt_sets.c: corrupted copies of an image list on disk and their index
 * (see corrupt_sets.h). Images are corrupted on the thread pool; each depends
 * only on (seed, kind, severity, index), so the files are the same for any
 * number of threads. */
#include "corrupt_sets.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "data_cfg.h"
#include "errors.h"
#include "files.h"
#include "image.h"
#include "text_file.h"
#include "threadpool.h"

typedef struct {
    const corrupt_options *o;
    char **paths;                /* the clean images */
    char **written;              /* per image: its corrupted copy */
    const char *dir;             /* OUT/corrupt/KIND_S */
    corrupt_kind kind;
    int severity;
    atomic_int failed;
} set_job;

/* dir/NAME.png for the image path's file name NAME.EXT */
static char *copy_path(const char *dir, const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *dot = strrchr(base, '.');
    int stem = dot ? (int)(dot - base) : (int)strlen(base);
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s/%.*s.png", dir, stem, base) >= (int)sizeof buf) {
        dn_error("path too long under %s", dir);
        return NULL;
    }
    return dn_strdup(buf);
}

static void corrupt_images(void *ctx, int start, int end)
{
    set_job *j = ctx;
    for (int i = start; i < end && !atomic_load(&j->failed); ++i) {
        uint64_t seed = j->o->seed ^ ((uint64_t)j->kind << 56) ^ ((uint64_t)j->severity << 48) ^ (uint64_t)i;
        image *im = load_image(j->paths[i]);
        int bad = !im || !(j->written[i] = copy_path(j->dir, j->paths[i])) ||
                  corrupt_image(im, j->kind, j->severity, j->o->table, seed) || save_image_png(im, j->written[i]);
        free_image(im);
        if (bad) atomic_store(&j->failed, 1);
    }
}

static int write_list(const char *path, char **entries, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; ++i) len += strlen(entries[i]) + 1;
    char *text = dn_calloc(len + 1, 1), *p = text;
    if (!text) return -1;
    for (int i = 0; i < n; ++i) p += sprintf(p, "%s\n", entries[i]);
    int r = write_file_atomic(path, text, len);
    free(text);
    return r;
}

/* One corruption at one severity: the images and their list. */
static int write_set(const corrupt_options *o, const char *root, char **paths, int n, corrupt_kind kind, int severity)
{
    char dir[PATH_MAX], list[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/%s_%d", root, corrupt_kind_names[kind], severity) >= (int)sizeof dir - 4 ||
        snprintf(list, sizeof list, "%s.txt", dir) >= (int)sizeof list)
        return dn_error("path too long under %s", root);
    set_job j = {.o = o, .paths = paths, .dir = dir, .kind = kind, .severity = severity};
    if (make_dirs(dir) || !(j.written = dn_calloc((size_t)n, sizeof(char *)))) return -1;
    atomic_init(&j.failed, 0);
    parallel_for(n, 4, corrupt_images, &j);
    int rc = atomic_load(&j.failed) ? -1 : write_list(list, j.written, n);
    for (int i = 0; i < n; ++i) free(j.written[i]);
    free(j.written);
    return rc;
}

/* index.txt: every KIND_S.txt under root, in kind and severity order. */
static int write_index(const char *root, char **index)
{
    char path[PATH_MAX], list[PATH_MAX + 64];
    size_t cap = 64 + (size_t)CORRUPT_KINDS * CORRUPT_SEVERITIES * (PATH_MAX + 32), len = 0;
    char *text = dn_calloc(cap, 1);
    if (!text) return -1;
    len += (size_t)snprintf(text, cap, "# KIND SEVERITY LIST (darknet synth -corrupt)\n");
    for (int k = 0; k < CORRUPT_KINDS; ++k)
        for (int s = 1; s <= CORRUPT_SEVERITIES; ++s) {
            snprintf(list, sizeof list, "%s/%s_%d.txt", root, corrupt_kind_names[k], s);
            if (access(list, R_OK) == 0)
                len += (size_t)snprintf(text + len, cap - len, "%s %d %s\n", corrupt_kind_names[k], s, list);
        }
    int r = snprintf(path, sizeof path, "%s/index.txt", root) >= (int)sizeof path ? dn_error("path too long: %s", root)
                                                                                    : write_file_atomic(path, text, len);
    free(text);
    if (!r && index && !(*index = dn_strdup(path))) r = -1;
    return r;
}

int corrupt_write_sets(const corrupt_options *o, char **index)
{
    char root[PATH_MAX];
    if (index) *index = NULL;
    if (snprintf(root, sizeof root, "%s/corrupt", o->out_dir) >= (int)sizeof root - 64)
        return dn_error("path too long: %s", o->out_dir);
    int n = 0, rc = 0;
    char **paths = read_image_list(o->list, &n);
    if (!paths || make_dirs(root)) rc = -1;
    for (int k = 0; k < CORRUPT_KINDS && !rc; ++k)
        for (int s = 1; s <= CORRUPT_SEVERITIES && !rc; ++s)
            if ((o->kinds >> k & 1) && (o->severities >> (s - 1) & 1)) rc = write_set(o, root, paths, n, k, s);
    if (paths) free_string_list(paths, n);
    return rc ? -1 : write_index(root, index);
}

/* ---- reading an index ---- */

void corrupt_sets_free(corrupt_set *sets, int n)
{
    for (int i = 0; i < n; ++i) {
        free(sets[i].kind);
        free(sets[i].list);
    }
    free(sets);
}

/* "KIND SEVERITY LIST" into set; 0, or -1 with the line named. */
static int parse_line(const char *path, int lineno, char *line, corrupt_set *set)
{
    char *save = NULL, *kind = strtok_r(line, " \t", &save), *sev = strtok_r(NULL, " \t", &save);
    char *list = strtok_r(NULL, "", &save);
    while (list && isspace((unsigned char)*list)) ++list;
    char *end = NULL;
    long s = sev ? strtol(sev, &end, 10) : 0;
    if (!kind || !sev || *end || s < 1 || s > 1000 || !list || !*list)
        return dn_error("%s:%d: expected KIND SEVERITY LIST (severity a positive integer)", path, lineno);
    size_t n = strlen(list);
    while (n && isspace((unsigned char)list[n - 1])) list[--n] = 0;
    set->severity = (int)s;
    set->kind = dn_strdup(kind);
    set->list = resolve_data_path(list, path);
    return set->kind && set->list ? 0 : -1;
}

/* The next line of text (CR/LF removed) from *p, advancing it; NULL at the end. */
static char *next_line(char **p)
{
    char *line = *p, *nl = line ? strchr(line, '\n') : NULL;
    if (!line || (!nl && !*line)) return NULL;
    *p = nl ? nl + 1 : NULL;
    if (nl) *nl = 0;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r') line[len - 1] = 0;
    return line;
}

int corrupt_index_read(const char *path, corrupt_set **sets, int *n)
{
    *sets = NULL, *n = 0;
    char *text = read_text_file(path, "corruption index"), *p = text, *line;
    if (!text) return -1;
    int lineno = 0, rc = 0;
    while (!rc && (line = next_line(&p))) {
        ++lineno;
        while (isspace((unsigned char)*line)) ++line;
        if (!*line || *line == '#') continue;
        corrupt_set *grown = dn_realloc(*sets, (size_t)*n + 1, sizeof **sets);
        if (!grown) rc = -1;
        else if (!(rc = parse_line(path, lineno, line, memset(&(*sets = grown)[*n], 0, sizeof **sets)))) ++*n;
    }
    free(text);
    if (!rc && !*n) rc = dn_error("%s names no corrupted set", path);
    if (rc) corrupt_sets_free(*sets, *n), *sets = NULL, *n = 0;
    return rc;
}

/* ---- the .data key ---- */

int corrupt_add_to_data(const char *data_path, const char *index)
{
    char *text = read_text_file(data_path, "data file"), *p = text, *line;
    size_t cap = text ? strlen(text) + strlen(index) + 16 : 0, len = 0;
    char *out = text ? dn_calloc(cap, 1) : NULL;
    int r = -1;
    if (out) {
        while ((line = next_line(&p))) {
            const char *s = line;
            while (isspace((unsigned char)*s)) ++s;
            if (strcspn(s, " \t=") == 7 && !strncmp(s, "corrupt", 7)) continue;   /* replaced below */
            len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
        }
        len += (size_t)snprintf(out + len, cap - len, "corrupt=%s\n", index);
        r = write_file_atomic(data_path, out, len);
    }
    free(out);
    free(text);
    return r;
}
