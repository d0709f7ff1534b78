/* text_file.c: reading a whole text file (cfg files, .data files, lists). */
#include "text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

char *read_text_file(const char *path, const char *what)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        dn_error("cannot open %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = dn_calloc(cap, 1);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, fp);
        if (len < cap - 1) break;
        char *bigger = dn_realloc(buf, cap * 2, 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(fp);
    fclose(fp);
    if (buf && err) {
        dn_error("cannot read %s %s", what, path);
        free(buf);
        return NULL;
    }
    if (buf && memchr(buf, 0, len)) {
        dn_error("%s: not a text file (contains NUL bytes)", path);
        free(buf);
        return NULL;
    }
    if (buf) buf[len] = 0;
    return buf;
}
