/* fuzz_util.h: what the libFuzzer harnesses share (header only; see README,
 * "Fuzzing"). Most of the library reads files, so an input is written to a
 * file in a directory of this process's own, made on first use and removed
 * at exit; the log is kept to errors so that the fuzzer's output stays
 * readable. Each run starts with dn_clear_error(): the library keeps only the
 * first error until it is cleared. */
#ifndef DN_FUZZ_UTIL_H
#define DN_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "darknet.h"

#define FUZZ_UNUSED __attribute__((unused))

static char fuzz_dir[256];

FUZZ_UNUSED static void fuzz_remove_dir(void)
{
    DIR *d = opendir(fuzz_dir);
    char path[512];
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name) < (int)sizeof path)
            unlink(path);
    if (d) closedir(d);
    rmdir(fuzz_dir);
}

/* Starts a run: log errors only, no pending error. */
FUZZ_UNUSED static void fuzz_begin(void)
{
    dn_set_log_level(DN_LOG_ERROR);
    dn_clear_error();
}

/* The path of `name` in the process's directory, in out[512]. */
FUZZ_UNUSED static const char *fuzz_path(const char *name, char *out)
{
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/dn_fuzz_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_remove_dir);
    }
    snprintf(out, 512, "%s/%s", fuzz_dir, name);
    return out;
}

/* Writes size bytes to fuzz_path(name); returns the path (in out[512]). */
FUZZ_UNUSED static const char *fuzz_write(const char *name, const uint8_t *data, size_t size, char *out)
{
    FILE *fp = fopen(fuzz_path(name, out), "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp)) {
        perror("fuzz: cannot write the input file");
        abort();
    }
    return out;
}

#endif
