/* labels.h: darknet label files: where an image's labels are and what they say.
 *
 * A label file holds one object a line, "class x_centre y_centre width
 * height", the box normalised to [0,1] by the image size. */
#ifndef DN_LABELS_H
#define DN_LABELS_H

#include <stddef.h>

#include "darknet.h"

/* Writes the label path of `image_path` into out (size bytes): the last
 * directory component named exactly "images" (or VOC's "JPEGImages") becomes
 * "labels" (never a part of a longer name, never the file name), and the
 * file's extension becomes .txt (added when it has none). Without such a
 * component it is the .txt beside the image. Returns 0, or -1 when the path
 * does not fit. */
int label_path(const char *image_path, char *out, size_t size);
/* The .txt beside the image (the extension replaced). 0 or -1 as above. */
int label_path_beside(const char *image_path, char *out, size_t size);
/* The label file that exists: label_path(), else the one beside the image.
 * Returns 1 with its path in out, 0 when neither exists (out holds
 * label_path()'s answer), -1 when a path does not fit. */
int find_label_file(const char *image_path, char *out, size_t size);

typedef struct {
    box b;      /* centre and size, normalised, clipped to [0,1] */
    int id;     /* class */
} box_label;

/* Centres may lie this far outside [0,1] (rounding in label writers). */
#define LABEL_CENTRE_TOLERANCE 1e-3f

enum { LABELS_MISSING = 1, LABELS_BAD_LINES = 2 };

/* Reads a label file. Lines with the wrong number of fields, a field that is
 * not a number (the class: not an integer), a class outside [0, classes)
 * (classes <= 0: no upper bound), width or height <= 0, a centre outside
 * [0,1] beyond LABEL_CENTRE_TOLERANCE, or a NUL byte anywhere in them are
 * skipped (the lines after them still count); with warn=1 one warning
 * per file names the file, the first bad line and the count. Boxes partly
 * outside the image are clipped to it. Blank lines are fine. A missing or
 * unreadable file is an image without objects (LABELS_MISSING in *flags).
 * Returns the number of boxes in *out (malloc'ed, NULL when 0); never fails
 * but for out-of-memory (-1). flags may be NULL. */
int read_labels(const char *path, int classes, box_label **out, unsigned *flags, int warn);

#endif
