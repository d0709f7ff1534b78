/* data_cfg.c: .data files, .names files and image lists (see data_cfg.h). */
#include "data_cfg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "text_file.h"


/* Splits text into lines in place: returns the next line (without CR/LF)
 * and advances *p; NULL at the end. */
static char *next_line(char **p)
{
    if (!*p) return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = 0;
        *p = nl + 1;
    } else {
        *p = NULL;
        if (!*line) return NULL;
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r') line[--n] = 0;
    return line;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) ++s;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static char *skip_bom(char *s) { return strncmp(s, "\xEF\xBB\xBF", 3) ? s : s + 3; }

char *resolve_data_path(const char *value, const char *dir_of_file)
{
    if (value[0] == '/' || access(value, F_OK) == 0 || !dir_of_file) return dn_strdup(value);
    const char *slash = strrchr(dir_of_file, '/');
    if (!slash) return dn_strdup(value);   /* the file is in the working directory */
    size_t dir_len = (size_t)(slash - dir_of_file) + 1, n = dir_len + strlen(value) + 1;
    char *joined = dn_calloc(n, 1);
    if (!joined) return NULL;
    memcpy(joined, dir_of_file, dir_len);
    strcpy(joined + dir_len, value);
    if (access(joined, F_OK) == 0) return joined;
    free(joined);
    return dn_strdup(value);
}

void data_cfg_free(data_cfg *d)
{
    if (!d) return;
    free(d->path);
    free(d->train);
    free(d->valid);
    free(d->names);
    free(d->backup);
    free(d->coco_json);
    free(d->eval);
    free(d->labels);
    free(d->corrupt);
    free(d);
}

/* darknet keys this project does not use */
static const char *const data_ignored[] = {"results", "map", "tree", "leaves", "difficult", NULL};

/* Applies one key=value line; `seen` records the line of each known key. */
static int set_key(data_cfg *d, const char *key, const char *val, int line, int *seen)
{
    static const char *const keys[] = {"classes", "top",  "train",     "valid",  "names",   "backup",
                                       "eval",    "coco_json", "labels", "corrupt", NULL};
    char **slots[] = {NULL,     NULL,    &d->train,     &d->valid,  &d->names,
                      &d->backup, &d->eval, &d->coco_json, &d->labels, &d->corrupt};
    for (int i = 0; data_ignored[i]; ++i)
        if (!strcmp(key, data_ignored[i])) {
            dn_info("note: %s:%d: %s is a darknet .data key this project does not use; ignored", d->path, line, key);
            return 0;
        }
    int k = 0;
    while (keys[k] && strcmp(keys[k], key)) ++k;
    if (!keys[k]) return dn_error("%s:%d: unknown key '%s'", d->path, line, key);
    if (seen[k]) return dn_error("%s:%d: key '%s' repeats the one on line %d", d->path, line, key, seen[k]);
    seen[k] = line;
    if (!*val) return dn_error("%s:%d: %s has no value", d->path, line, key);
    if (k <= 1) {   /* classes, top */
        char *end;
        errno = 0;
        long c = strtol(val, &end, 10);
        if (*end || errno || c < 1 || c > INT_MAX)
            return dn_error("%s:%d: %s=%s: expected a positive integer", d->path, line, key, val);
        *(k ? &d->top : &d->classes) = (int)c;
        return 0;
    }
    if (!strcmp(key, "eval")) {
        if (strcmp(val, "coco") && strcmp(val, "voc") && strcmp(val, "imagenet"))
            return dn_error("%s:%d: eval=%s: expected coco, voc or imagenet", d->path, line, val);
        *slots[k] = dn_strdup(val);
    } else {
        *slots[k] = resolve_data_path(val, d->path);
    }
    return *slots[k] ? 0 : -1;
}

data_cfg *data_cfg_read(const char *path)
{
    char *text = read_text_file(path, "data file");
    data_cfg *d = text ? dn_calloc(1, sizeof *d) : NULL;
    if (!d || !(d->path = dn_strdup(path))) goto fail;
    int seen[10] = {0}, lineno = 0;
    char *p = skip_bom(text), *line;
    while ((line = next_line(&p))) {
        ++lineno;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        char *eq = strchr(s, '=');
        if (!eq || eq == s) {
            dn_error("%s:%d: expected key=value, found '%s'", path, lineno, s);
            goto fail;
        }
        *eq = 0;
        if (set_key(d, trim(s), trim(eq + 1), lineno, seen)) goto fail;
    }
    free(text);
    return d;
fail:
    free(text);
    data_cfg_free(d);
    return NULL;
}

void free_string_list(char **list, int n)
{
    if (!list) return;
    for (int i = 0; i < n; ++i) free(list[i]);
    free(list);
}

static char **read_lines(const char *path, const char *what, int resolve, int *n)
{
    *n = 0;
    char *text = read_text_file(path, what);
    if (!text) return NULL;
    char **list = NULL, *p = skip_bom(text), *line;
    int count = 0, cap = 0;
    while ((line = next_line(&p))) {
        size_t len = strlen(line);
        while (len && isspace((unsigned char)line[len - 1])) line[--len] = 0;
        if (!len) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 256;
            char **bigger = dn_realloc(list, cap, sizeof *list);
            if (!bigger) goto fail;
            list = bigger;
        }
        if (!(list[count] = resolve ? resolve_data_path(line, path) : dn_strdup(line))) goto fail;
        ++count;
    }
    free(text);
    if (!count) {
        free(list);
        dn_error("%s %s holds no entries", what, path);
        return NULL;
    }
    *n = count;
    return list;
fail:
    free(text);
    free_string_list(list, count);
    return NULL;
}

char **read_names(const char *path, int *n) { return read_lines(path, "names file", 0, n); }
char **read_image_list(const char *path, int *n) { return read_lines(path, "image list", 1, n); }

char **class_labels(const data_cfg *data, int classes, int *n)
{
    int n_names = 0;
    char **names = NULL;
    *n = 0;
    if (data->names && !(names = read_names(data->names, &n_names))) return NULL;
    if (!data->names)
        dn_warn("%s names no names= file: detections are labelled by class number", data->path);
    else if (n_names < classes)
        dn_warn("%s holds %d names for the network's %d classes: the others are labelled by class number",
                data->names, n_names, classes);
    int count = n_names > classes ? n_names : classes, made = 0;
    char **labels = dn_calloc(count ? (size_t)count : 1, sizeof *labels);
    for (; labels && made < count; ++made) {
        char num[32];
        snprintf(num, sizeof num, "class %d", made);
        if (!(labels[made] = dn_strdup(made < n_names ? names[made] : num))) break;
    }
    free_string_list(names, n_names);
    if (made < count) {
        free_string_list(labels, made);
        return NULL;
    }
    *n = count;
    return labels;
}
