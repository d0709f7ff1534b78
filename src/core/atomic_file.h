/* atomic_file.h: files that hold either their last good version or the whole
 * new one, whatever happens during a save (kill -9, power loss, full disk).
 *
 * A save writes PATH.tmp<PID> beside the target, flushes it to disk, renames
 * it over PATH and syncs the directory. A failure removes the temporary file
 * and leaves PATH as it was. The first save of a process into a directory
 * also removes the temporary files there of saves whose process no longer
 * exists (killed in the middle of one), with a note in the log. */
#ifndef DN_ATOMIC_FILE_H
#define DN_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *fp;     /* write the contents here */
    char *path;   /* the target */
    char *tmp;    /* PATH.tmp<PID> */
} atomic_file;

/* Opens the temporary file of `path` for writing. 0, or -1 with the error. */
int atomic_file_open(atomic_file *a, const char *path);
/* Finishes the save: flush, fsync, rename, directory sync. A write error
 * seen on the stream fails it too. Always releases `a`. 0, or -1 with the
 * error (PATH untouched). */
int atomic_file_commit(atomic_file *a);
/* Gives the save up: PATH untouched, the temporary file removed. */
void atomic_file_abort(atomic_file *a);

/* The whole save of len bytes in one call. 0 or -1. */
int write_file_atomic(const char *path, const void *data, size_t len);

#endif
