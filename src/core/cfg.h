/* cfg.h: darknet cfg files as sections of key=value options.
 *
 * Every accessor marks its key as used; cfg_check_unused() then turns any key
 * no layer read into an error naming file, line and key, so a misspelt key is
 * never silently replaced by a default. Accessors record the first bad value
 * as an error (see errors.h) and return the default; parsers check
 * cfg_failed() once at the end instead of after every call. */
#ifndef DN_CFG_H
#define DN_CFG_H

#include <stdint.h>

typedef struct {
    char *key, *val;
    int line;
    int used;
} cfg_option;

typedef struct cfg_file cfg_file;

typedef struct {
    cfg_file *owner;
    const char *file;   /* owned by the cfg_file */
    char *name;         /* section name without brackets */
    int line;
    cfg_option *opts;
    int n_opts;
    int failed;         /* a value of this section was rejected */
} cfg_section;

struct cfg_file {
    char *path;
    cfg_section *sections;
    int n_sections;
    char **noted;       /* "section.key" already noted as ignored */
    int n_noted;
};

/* Reads a cfg file (CRLF, BOM, comments and blank lines tolerated).
 * NULL on error, with file and line in the message. */
cfg_file *cfg_read(const char *path);
/* Same, from text in memory; `path` only names it in messages. */
cfg_file *cfg_parse_text(const char *text, const char *path);
void cfg_free(cfg_file *f);
/* A hash of what the file says (section names, keys, values; not comments,
 * blank lines or spacing): two cfgs with the same hash build the same network. */
uint64_t cfg_hash(const cfg_file *f);

int cfg_has(cfg_section *s, const char *key);
int cfg_int(cfg_section *s, const char *key, int def);
/* Integer that must lie in [lo, hi]. */
int cfg_int_range(cfg_section *s, const char *key, int def, int lo, int hi);
float cfg_float(cfg_section *s, const char *key, float def);
float cfg_float_range(cfg_section *s, const char *key, float def, float lo, float hi);
const char *cfg_str(cfg_section *s, const char *key, const char *def);
/* Index of the value in `choices` (NULL-terminated); def if absent. */
int cfg_enum(cfg_section *s, const char *key, const char *const *choices, int def);
/* Comma-separated lists; return the count (0 if absent, -1 on a bad value);
 * *out is malloc'ed (NULL when absent). */
int cfg_int_list(cfg_section *s, const char *key, int **out);
int cfg_float_list(cfg_section *s, const char *key, float **out);

/* Records an error for this section's key (or the section if key is NULL). */
int cfg_fail(cfg_section *s, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int cfg_failed(const cfg_section *s);

/* Unused keys: those in `ignored` or `also_ignored` (NULL-terminated lists of
 * darknet keys this project does not act on; either may be NULL) get one note
 * each; any other is an error. Returns 0 or -1. */
int cfg_check_unused(cfg_section *s, const char *const *ignored, const char *const *also_ignored);

#endif
