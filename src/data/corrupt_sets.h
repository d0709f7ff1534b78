/* corrupt_sets.h: corrupted copies of a validation set on disk (ImageNet-C's
 * layout, one directory per corruption and severity) and the index that
 * names them, which a .data file points at with corrupt= so that
 * `classifier valid` reports the accuracy on each.
 *
 * Under OUT/corrupt/: KIND_S/NAME.png (each listed image, corrupted, under
 * its own file name as PNG: the label must be in the file name), the list
 * KIND_S.txt (absolute paths), and index.txt, one set a line:
 *     KIND SEVERITY LIST
 * ('#' starts a comment; LIST relative to the index's directory is fine), so
 * a hand-written index may name other sets too. */
#ifndef DN_CORRUPT_SETS_H
#define DN_CORRUPT_SETS_H

#include <stdint.h>

#include "corrupt.h"

typedef struct {
    const char *list;      /* the clean image list */
    const char *out_dir;   /* OUT (created if needed) */
    unsigned kinds;        /* bit k: corrupt_kind k */
    unsigned severities;   /* bit s - 1: severity s */
    corrupt_table table;
    uint64_t seed;         /* the noise of image i depends on (seed, kind, severity, i) only */
} corrupt_options;

/* Writes the sets asked for, then OUT/corrupt/index.txt naming every set
 * found under OUT/corrupt (earlier runs' too), kinds and severities in order.
 * *index (may be NULL) receives the index's path (malloc'ed). 0 or -1. */
int corrupt_write_sets(const corrupt_options *o, char **index);

typedef struct {
    char *kind;            /* as written (ImageNet-C's names for ours) */
    int severity;
    char *list;            /* resolved path */
} corrupt_set;

/* Reads an index; sets (malloc'ed, n entries) in file order. Errors name
 * file and line. 0 or -1. */
int corrupt_index_read(const char *path, corrupt_set **sets, int *n);
void corrupt_sets_free(corrupt_set *sets, int n);

/* Sets corrupt=INDEX in a .data file (replacing a corrupt= line it had). 0 or -1. */
int corrupt_add_to_data(const char *data_path, const char *index);

#endif
