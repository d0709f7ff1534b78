/* atomic_file.c: saves through a temporary file and a rename (see atomic_file.h). */
#include "atomic_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, size, ".");
    else if (slash == path) snprintf(dir, size, "/");
    else snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* NAME.EXT.tmp<PID> for an extension this project saves and a process that
 * is gone: what a killed save leaves. Other files are never touched. */
static long stale_temp_pid(const char *name)
{
    static const char *const ext[] = {".weights", ".png", ".jpg", ".json", ".txt"};
    const char *t = strrchr(name, '.');
    if (!t || strncmp(t, ".tmp", 4) || !isdigit((unsigned char)t[4])) return 0;
    char *end;
    long pid = strtol(t + 4, &end, 10);
    if (*end || pid <= 0 || pid == (long)getpid()) return 0;
    int known = 0;
    for (size_t i = 0; i < sizeof ext / sizeof *ext; ++i) {
        size_t n = strlen(ext[i]);
        known |= (size_t)(t - name) > n && !strncmp(t - n, ext[i], n);
    }
    /* EPERM means the process exists (under another user) */
    return known && kill((pid_t)pid, 0) && errno == ESRCH ? pid : 0;
}

static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        long pid = stale_temp_pid(e->d_name);
        char full[PATH_MAX];
        if (!pid || snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full) continue;
        if (!unlink(full)) dn_warn("removed %s, left by process %ld that stopped during a save", full, pid);
    }
    closedir(d);
}

/* Stale temporary files come from processes that ended before this one, so
 * one look per directory is enough (and keeps writing a dataset of many
 * files linear). */
static void clean_directory_once(const char *path)
{
    enum { REMEMBERED = 64 };
    static char seen[REMEMBERED][PATH_MAX];
    static int n_seen;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    pthread_mutex_lock(&lock);
    int known = 0;
    for (int i = 0; i < n_seen && !known; ++i) known = !strcmp(seen[i], dir);
    if (!known) {
        remove_stale_temps(dir);
        if (n_seen < REMEMBERED) snprintf(seen[n_seen++], PATH_MAX, "%s", dir);
    }
    pthread_mutex_unlock(&lock);
}

static void release(atomic_file *a)
{
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->fp = NULL;
}

int atomic_file_open(atomic_file *a, const char *path)
{
    size_t n = strlen(path) + 32;
    a->fp = NULL;
    a->path = dn_strdup(path);
    a->tmp = dn_calloc(n, 1);
    if (!a->path || !a->tmp) {
        release(a);
        return -1;
    }
    clean_directory_once(path);
    snprintf(a->tmp, n, "%s.tmp%ld", path, (long)getpid());
    if (!(a->fp = fopen(a->tmp, "wb"))) {
        dn_error("cannot write %s: %s", a->tmp, strerror(errno));
        release(a);
        return -1;
    }
    return 0;
}

/* The rename is only durable once the directory entry is on disk. Some file
 * systems refuse fsync on a directory; the data itself is synced already. */
static void sync_directory(const char *path)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

int atomic_file_commit(atomic_file *a)
{
    int err = ferror(a->fp) ? EIO : 0;
    if (fflush(a->fp) && !err) err = errno;
    if (!err && fsync(fileno(a->fp))) err = errno;
    if (fclose(a->fp) && !err) err = errno;
    if (!err && rename(a->tmp, a->path)) err = errno;
    if (err) {
        unlink(a->tmp);
        dn_error("cannot save %s: %s", a->path, strerror(err));
    } else {
        sync_directory(a->path);
    }
    release(a);
    return err ? -1 : 0;
}

void atomic_file_abort(atomic_file *a)
{
    if (a->fp) fclose(a->fp);
    if (a->tmp) unlink(a->tmp);
    release(a);
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
    atomic_file a;
    if (atomic_file_open(&a, path)) return -1;
    if (len && fwrite(data, 1, len, a.fp) != len) {
        int err = errno;
        atomic_file_abort(&a);
        return dn_error("cannot write %s: %s", path, strerror(err ? err : EIO));
    }
    return atomic_file_commit(&a);
}
