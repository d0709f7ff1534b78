/* files.h: small file-system helpers for the dataset tools. */
#ifndef DN_FILES_H
#define DN_FILES_H

/* mkdir -p; 0 or -1 with dn_last_error(). */
int make_dirs(const char *path);

#endif
