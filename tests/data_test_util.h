/* data_test_util.h: helpers for the dataset tests (test_labels.c,
 * test_loader.c): a private temporary directory, small files, and stderr
 * captured to check warnings. */
#ifndef DN_DATA_TEST_UTIL_H
#define DN_DATA_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A new empty directory under /tmp (the path in `dir`, 64 bytes). */
static inline int make_temp_dir(char *dir)
{
    strcpy(dir, "/tmp/dn_data_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static inline void remove_tree(const char *dir)
{
    if (dir[0]) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name, in one of 8 static buffers. */
static inline const char *join(const char *dir, const char *name)
{
    static char bufs[8][512];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
    return p;
}

static inline void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    CHECK_MSG(fp != NULL, "cannot write %s", path);
    if (!fp) return;
    fputs(text, fp);
    fclose(fp);
}

/* stderr to a temporary file between capture_begin and capture_end, which
 * returns what was written (malloc'ed). */
static int saved_stderr = -1;
static char capture_path[64];

static inline void capture_begin(void)
{
    fflush(stderr);
    strcpy(capture_path, "/tmp/dn_stderr_XXXXXX");
    int fd = mkstemp(capture_path);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

static inline char *capture_end(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    FILE *fp = fopen(capture_path, "rb");
    char *text = calloc(1 << 16, 1);
    if (fp) {
        size_t n = fread(text, 1, (1 << 16) - 1, fp);
        text[n] = 0;
        fclose(fp);
    }
    unlink(capture_path);
    return text;
}

/* Occurrences of `needle` in `text`. */
static inline int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) ++n;
    return n;
}

#endif
