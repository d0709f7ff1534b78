/* data_cfg.h: darknet dataset files: the `.data` file (key=value lines, no
 * sections), the `.names` file (one class name a line) and image lists (one
 * image path a line).
 *
 * Relative paths are looked up as darknet does, from the working directory,
 * and, when nothing is there, from the directory of the file that names
 * them (so a dataset directory can be moved or used from elsewhere). */
#ifndef DN_DATA_CFG_H
#define DN_DATA_CFG_H

typedef struct {
    char *path;                /* the .data file */
    int classes;               /* 0 when absent */
    int top;                   /* classifier: report top-k accuracy for k = top (0 when absent) */
    /* resolved paths (see above); NULL when absent. labels: the classifier's
     * label names, one a line (darknet's labels=) */
    char *train, *valid, *names, *backup, *coco_json, *labels;
    char *eval;                /* evaluation type: "coco", "voc" or "imagenet"; NULL when absent */
    char *corrupt;             /* index of corrupted validation sets (corrupt_sets.h), resolved; NULL when absent */
} data_cfg;

/* Reads a .data file. Lines: key=value (spaces around either are trimmed),
 * blank lines, and comments whose first character is '#' or ';'; CRLF and a
 * UTF-8 byte-order mark are fine. Keys: classes, train, valid, names, backup,
 * eval, coco_json, labels, top, corrupt; darknet's results, map, tree, leaves and
 * difficult are accepted with a note. Unknown or repeated keys, empty values
 * and a bad classes= are errors naming file and line. NULL on error. */
data_cfg *data_cfg_read(const char *path);
void data_cfg_free(data_cfg *d);

/* `value` as is when absolute or present relative to the working directory;
 * else `dir_of_file`'s directory joined with it when that exists; else
 * `value` as is (opening it then reports the path the user wrote).
 * malloc'ed; NULL on out-of-memory. */
char *resolve_data_path(const char *value, const char *dir_of_file);

/* One entry per non-blank line, trailing white space and CR removed.
 * read_names: the lines as they are (class names may hold spaces).
 * read_image_list: paths resolved as above relative to the list file.
 * Both: NULL with the path in the message when the file cannot be read or
 * holds no entry; *n receives the count. Free with free_string_list. */
char **read_names(const char *path, int *n);
char **read_image_list(const char *path, int *n);
void free_string_list(char **list, int n);

/* One label per class of a detector, as `detector test` draws them: the
 * names= file's line, or "class K" where it has none. A names= file that
 * cannot be read (or holds no names) is an error; fewer names than classes,
 * or no names= at all, a warning. At least `classes` labels (more when the
 * file has more); NULL on error; *n gets the count (free with free_string_list). */
char **class_labels(const data_cfg *data, int classes, int *n);

#endif
