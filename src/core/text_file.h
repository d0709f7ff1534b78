/* text_file.h: reading a whole text file into memory. */
#ifndef DN_TEXT_FILE_H
#define DN_TEXT_FILE_H

/* The whole file, NUL-terminated, malloc'ed; NULL with a message that names
 * `what` (e.g. "cfg file") and the path, also for files holding NUL bytes. */
char *read_text_file(const char *path, const char *what);

#endif
