/* json_stream.h: reading big JSON files (COCO's instances_train2017.json is
 * 450 MB) without a whole cJSON tree, which takes some 11 bytes of memory per
 * byte of file: the members of the top-level object are walked in file order
 * and the elements of its arrays parsed one at a time, each freed once the
 * caller has converted it. Errors name the file, line and column. */
#ifndef DN_JSON_STREAM_H
#define DN_JSON_STREAM_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The whole file, NUL-terminated (len without the NUL); NULL with
 * dn_last_error() when it cannot be read. free() it. */
char *json_read_file(const char *path, size_t *len);

/* Records "PATH: WHAT at line L, column C" for position `at` of text; returns -1. */
int json_error_at(const char *path, const char *text, const char *at, const char *what);

/* Called for a member named keys[key]: with its array's elements one by one
 * (index 0, 1, ...), or once with index -1 and the value when it is not an
 * array. Returns 0, or -1 with dn_last_error(). */
typedef int (*json_member_fn)(void *ctx, int key, int index, const cJSON *value);

/* Walks the JSON object text[0..len) (a byte-order mark and white space
 * around it allowed): calls fn for the first member of each name in
 * keys[0..n_keys) (found[k] = 1 for those present) and drops every other
 * member. After fn fails the walk goes on without calling it, so that a
 * syntax error anywhere in the file is the one reported. Returns 0, or -1
 * with dn_last_error(): fn's error, or a syntax error with its line and
 * column. Text that does not start with '{' is a syntax error here: callers
 * that want to name what they found instead check first. */
int json_walk_object(const char *path, const char *text, size_t len, const char *const *keys, int n_keys,
                     int *found, json_member_fn fn, void *ctx);

#endif
