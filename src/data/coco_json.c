/* coco_json.c: reads COCO instances and results JSON with cJSON and writes
 * results JSON. Every error names the file and the element (for example
 * "annotations[12]: \"bbox\" must be an array of 4 numbers"). */
#include "coco_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "errors.h"
#include "json_stream.h"

/* ---- reading and parsing ------------------------------------------------- */

/* Parses a whole file; errors give the line and column where parsing stopped. */
static cJSON *parse_json_file(const char *path)
{
    size_t len;
    char *buf = json_read_file(path, &len);
    if (!buf) return NULL;
    const char *text = buf;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3; /* UTF-8 byte-order mark */
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", text[start])) ++start;
    if (start == len) {
        dn_error("%s: empty file, expected JSON", path);
        free(buf);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    const char *rest = end ? end : text;
    if (root)
        while (rest < text + len && strchr(" \t\r\n", *rest)) ++rest;
    if (!root || rest < text + len) {
        json_error_at(path, text, rest < text + len ? rest : text + len,
                      root ? "unexpected text after the JSON value" : "not valid JSON");
        cJSON_Delete(root);
        root = NULL;
    }
    free(buf);
    return root;
}

static const char *json_type_name(const cJSON *x)
{
    if (cJSON_IsNumber(x)) return "a number";
    if (cJSON_IsString(x)) return "a string";
    if (cJSON_IsArray(x)) return "an array";
    if (cJSON_IsObject(x)) return "an object";
    if (cJSON_IsBool(x)) return "a boolean";
    if (cJSON_IsNull(x)) return "null";
    return "something else";
}

/* ---- typed fields: 0 ok, 1 absent and optional, -1 error ---------------- */

typedef struct {
    const char *path;
    const char *array; /* e.g. "annotations" */
    int index;
} where;

static int field_error(const where *w, const char *key, const char *what, const cJSON *found)
{
    if (found)
        return dn_error("%s: %s[%d]: \"%s\" must be %s, found %s", w->path, w->array, w->index, key, what,
                        json_type_name(found));
    return dn_error("%s: %s[%d]: missing \"%s\" (%s)", w->path, w->array, w->index, key, what);
}

static int get_int(const cJSON *obj, const char *key, long long lo, long long hi, int required, const where *w,
                   long long *out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!x && !required) return 1;
    if (!x || !cJSON_IsNumber(x)) return field_error(w, key, "an integer", x);
    double v = x->valuedouble;
    if (!(v == floor(v)) || v < (double)lo || v > (double)hi || fabs(v) > 9007199254740992.0)
        return dn_error("%s: %s[%d]: \"%s\" must be an integer in [%lld, %lld], found %.17g", w->path, w->array,
                        w->index, key, lo, hi, v);
    *out = (long long)v;
    return 0;
}

static int get_number(const cJSON *obj, const char *key, int required, const where *w, double *out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!x && !required) return 1;
    if (!x || !cJSON_IsNumber(x)) return field_error(w, key, "a number", x);
    if (!isfinite(x->valuedouble))
        return dn_error("%s: %s[%d]: \"%s\" is not a finite number", w->path, w->array, w->index, key);
    *out = x->valuedouble;
    return 0;
}

static int get_string(const cJSON *obj, const char *key, const where *w, char **out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!x || !cJSON_IsString(x)) return field_error(w, key, "a string", x);
    *out = dn_strdup(x->valuestring);
    return *out ? 0 : -1;
}

/* [x, y, w, h]: four finite numbers, w and h >= 0 */
static int get_bbox(const cJSON *obj, const where *w, double b[4])
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, "bbox");
    if (!x || !cJSON_IsArray(x) || cJSON_GetArraySize(x) != 4)
        return x && cJSON_IsArray(x)
                   ? dn_error("%s: %s[%d]: \"bbox\" must be [x, y, width, height], found %d numbers", w->path,
                              w->array, w->index, cJSON_GetArraySize(x))
                   : field_error(w, "bbox", "an array [x, y, width, height]", x);
    for (int j = 0; j < 4; ++j) {
        const cJSON *v = cJSON_GetArrayItem(x, j);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return dn_error("%s: %s[%d]: \"bbox\" element %d must be a finite number, found %s", w->path, w->array,
                            w->index, j, cJSON_IsNumber(v) ? "an infinite one" : json_type_name(v));
        b[j] = v->valuedouble;
    }
    if (b[2] < 0 || b[3] < 0)
        return dn_error("%s: %s[%d]: \"bbox\" width and height must be >= 0, found %g x %g", w->path, w->array,
                        w->index, b[2], b[3]);
    return 0;
}

static int cmp_ll(const void *pa, const void *pb)
{
    long long a = *(const long long *)pa, b = *(const long long *)pb;
    return (a > b) - (a < b);
}

static int cmp_int(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

static int has_ll(const long long *v, int n, long long x)
{
    return n > 0 && bsearch(&x, v, (size_t)n, sizeof *v, cmp_ll) != NULL;
}

/* ---- instances ------------------------------------------------------------ */

/* The file is walked element by element (json_stream.h): a whole cJSON tree of
 * COCO's train2017 annotations, segmentation polygons and all, would take some
 * 5 GB. */
enum { KEY_IMAGES, KEY_ANNOTATIONS, KEY_CATEGORIES };
static const char *const instance_keys[] = {"images", "annotations", "categories"};

typedef struct {
    const char *path;
    coco_dataset *ds;
    int cap[3];    /* allocated entries, per key */
} instances_reader;

/* Makes room in *arr (items of `size` bytes) for item n. */
static int grow(void *arr, int n, int *cap, size_t size)
{
    if (n < *cap) return 0;
    if (*cap > INT_MAX / 2) return dn_error("more than %d entries", *cap);
    int c = *cap ? *cap * 2 : 256;
    void *p = dn_realloc(*(void **)arr, (size_t)c, size);
    if (!p) return -1;
    *(void **)arr = p;
    *cap = c;
    return 0;
}

static int read_image(const cJSON *x, const where *w, coco_image *im)
{
    long long id, width, height;
    if (get_int(x, "id", LLONG_MIN, LLONG_MAX, 1, w, &id) || get_int(x, "width", 1, INT_MAX, 1, w, &width) ||
        get_int(x, "height", 1, INT_MAX, 1, w, &height) || get_string(x, "file_name", w, &im->file_name))
        return -1;
    im->id = id, im->width = (int)width, im->height = (int)height;
    return 0;
}

static int read_category(const cJSON *x, const where *w, coco_category *c)
{
    long long id;
    if (get_int(x, "id", INT_MIN, INT_MAX, 1, w, &id) || get_string(x, "name", w, &c->name)) return -1;
    c->id = (int)id;
    return 0;
}

/* The fields only: whether its image and category exist is checked once all are read. */
static int read_annotation(const cJSON *x, const where *w, coco_gt *g)
{
    long long id, image_id, cat, crowd = 0;
    if (get_int(x, "id", LLONG_MIN, LLONG_MAX, 1, w, &id) ||
        get_int(x, "image_id", LLONG_MIN, LLONG_MAX, 1, w, &image_id) ||
        get_int(x, "category_id", INT_MIN, INT_MAX, 1, w, &cat) || get_bbox(x, w, g->bbox))
        return -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, "iscrowd");
    if (cJSON_IsBool(c)) crowd = cJSON_IsTrue(c);
    else if (c && get_int(x, "iscrowd", 0, 1, 1, w, &crowd)) return -1;
    int r = get_number(x, "area", 0, w, &g->area);
    if (r < 0) return -1;
    if (r == 1) g->area = g->bbox[2] * g->bbox[3];
    g->id = id, g->image_id = image_id, g->category_id = (int)cat, g->iscrowd = (int)crowd;
    return 0;
}

/* json_member_fn: one element of "images", "annotations" or "categories". */
static int read_instance_member(void *ctx, int key, int index, const cJSON *x)
{
    instances_reader *r = ctx;
    coco_dataset *ds = r->ds;
    const char *name = instance_keys[key];
    if (index < 0) return dn_error("%s: \"%s\" must be an array, found %s", r->path, name, json_type_name(x));
    if (!cJSON_IsObject(x))
        return dn_error("%s: %s[%d] must be an object, found %s", r->path, name, index, json_type_name(x));
    where w = {r->path, name, index};
    switch (key) {
    case KEY_IMAGES:
        if (grow(&ds->images, ds->n_images, &r->cap[key], sizeof *ds->images) ||
            read_image(x, &w, &ds->images[ds->n_images]))
            return -1;
        ds->n_images++;
        return 0;
    case KEY_ANNOTATIONS:
        if (grow(&ds->annotations, ds->n_annotations, &r->cap[key], sizeof *ds->annotations) ||
            read_annotation(x, &w, &ds->annotations[ds->n_annotations]))
            return -1;
        ds->n_annotations++;
        return 0;
    default:
        if (grow(&ds->categories, ds->n_categories, &r->cap[key], sizeof *ds->categories) ||
            read_category(x, &w, &ds->categories[ds->n_categories]))
            return -1;
        ds->n_categories++;
        return 0;
    }
}

static long long *sorted_image_ids(const coco_dataset *ds)
{
    long long *ids = dn_calloc(ds->n_images ? (size_t)ds->n_images : 1, sizeof *ids);
    if (!ids) return NULL;
    for (int j = 0; j < ds->n_images; ++j) ids[j] = ds->images[j].id;
    qsort(ids, (size_t)ds->n_images, sizeof *ids, cmp_ll);
    return ids;
}

static int *sorted_category_ids(const coco_dataset *ds)
{
    int *ids = dn_calloc(ds->n_categories ? (size_t)ds->n_categories : 1, sizeof *ids);
    if (!ids) return NULL;
    for (int j = 0; j < ds->n_categories; ++j) ids[j] = ds->categories[j].id;
    qsort(ids, (size_t)ds->n_categories, sizeof *ids, cmp_int);
    return ids;
}

/* Reads the arrays; a file that is not an object is parsed whole to say what it is. */
static int read_instances(const char *path, coco_dataset *ds)
{
    size_t len;
    char *text = json_read_file(path, &len);
    if (!text) return -1;
    const char *p = text + (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0);
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') ++p;
    if (*p != '{') {
        free(text);
        cJSON *root = parse_json_file(path);   /* reports an empty or broken file */
        if (root)
            dn_error("%s: a COCO instances file is a JSON object with \"images\", \"annotations\" and "
                     "\"categories\", found %s", path, json_type_name(root));
        cJSON_Delete(root);
        return -1;
    }
    instances_reader r = {path, ds, {0}};
    int found[3], rc = json_walk_object(path, text, len, instance_keys, 3, found, read_instance_member, &r);
    free(text);
    for (int k = 0; k < 3 && !rc; ++k)
        if (!found[k]) rc = dn_error("%s: no \"%s\" array (not a COCO instances file?)", path, instance_keys[k]);
    /* never NULL, even when empty */
    if (!rc && (grow(&ds->images, 0, &r.cap[KEY_IMAGES], sizeof *ds->images) ||
                grow(&ds->annotations, 0, &r.cap[KEY_ANNOTATIONS], sizeof *ds->annotations) ||
                grow(&ds->categories, 0, &r.cap[KEY_CATEGORIES], sizeof *ds->categories)))
        rc = -1;
    return rc;
}

int coco_load_instances(const char *path, coco_dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    long long *image_ids = NULL, *ann_ids = NULL;
    int *cat_ids = NULL, rc = -1;
    if (read_instances(path, ds)) goto done;
    if (!(image_ids = sorted_image_ids(ds)) || !(cat_ids = sorted_category_ids(ds))) goto done;
    for (int j = 1; j < ds->n_images; ++j)
        if (image_ids[j] == image_ids[j - 1]) {
            dn_error("%s: image id %lld appears more than once in \"images\"", path, image_ids[j]);
            goto done;
        }
    for (int j = 1; j < ds->n_categories; ++j)
        if (cat_ids[j] == cat_ids[j - 1]) {
            dn_error("%s: category id %d appears more than once in \"categories\"", path, cat_ids[j]);
            goto done;
        }
    for (int j = 0; j < ds->n_annotations; ++j) {
        const coco_gt *g = &ds->annotations[j];
        if (!has_ll(image_ids, ds->n_images, g->image_id)) {
            dn_error("%s: annotations[%d] (id %lld): image_id %lld is not in \"images\"", path, j, g->id,
                     g->image_id);
            goto done;
        }
        if (!ds->n_categories ||
            !bsearch(&g->category_id, cat_ids, (size_t)ds->n_categories, sizeof(int), cmp_int)) {
            dn_error("%s: annotations[%d] (id %lld): category_id %d is not in \"categories\"", path, j, g->id,
                     g->category_id);
            goto done;
        }
    }
    /* pycocotools indexes annotations by id and would keep only the last of
     * duplicates; here each is evaluated, so say so */
    if (!(ann_ids = dn_calloc(ds->n_annotations ? (size_t)ds->n_annotations : 1, sizeof *ann_ids))) goto done;
    for (int j = 0; j < ds->n_annotations; ++j) ann_ids[j] = ds->annotations[j].id;
    qsort(ann_ids, (size_t)ds->n_annotations, sizeof *ann_ids, cmp_ll);
    if (ds->n_annotations && has_ll(ann_ids, ds->n_annotations, 0))
        dn_warn("%s: an annotation has id 0; pycocotools stores the matched gt's id as the match and so counts a "
                "detection matched to it as a false positive; here it is a true positive", path);
    for (int j = 1; j < ds->n_annotations; ++j)
        if (ann_ids[j] == ann_ids[j - 1]) {
            dn_warn("%s: annotation id %lld appears more than once (pycocotools would evaluate only the last, "
                    "twice; here each counts once)", path, ann_ids[j]);
            break;
        }
    rc = 0;
done:
    if (rc) coco_free_instances(ds);
    free(image_ids), free(cat_ids), free(ann_ids);
    return rc;
}

void coco_free_instances(coco_dataset *ds)
{
    if (!ds) return;
    for (int j = 0; j < ds->n_images; ++j) free(ds->images[j].file_name);
    for (int j = 0; j < ds->n_categories; ++j) free(ds->categories[j].name);
    free(ds->images), free(ds->annotations), free(ds->categories);
    memset(ds, 0, sizeof *ds);
}

/* ---- results -------------------------------------------------------------- */

int coco_load_results(const char *path, const coco_dataset *ds, coco_det **dets_out, int *n_out, int *n_unknown_cat)
{
    *dets_out = NULL, *n_out = 0;
    if (n_unknown_cat) *n_unknown_cat = 0;
    cJSON *root = parse_json_file(path);
    if (!root) return -1;
    long long *image_ids = NULL;
    int *cat_ids = NULL, rc = -1, n = 0, unknown = 0;
    coco_det *dets = NULL;
    if (!cJSON_IsArray(root)) {
        dn_error("%s: a results file is a JSON array of {\"image_id\", \"category_id\", \"bbox\", \"score\"}, "
                 "found %s", path, json_type_name(root));
        goto done;
    }
    if (ds && (!(image_ids = sorted_image_ids(ds)) || !(cat_ids = sorted_category_ids(ds)))) goto done;
    int size = cJSON_GetArraySize(root);
    if (!(dets = dn_calloc(size ? (size_t)size : 1, sizeof *dets))) goto done;
    const cJSON *x;
    cJSON_ArrayForEach(x, root)
    {
        where w = {path, "results", n};
        if (!cJSON_IsObject(x)) {
            dn_error("%s: results[%d] must be an object, found %s", path, n, json_type_name(x));
            goto done;
        }
        coco_det *d = &dets[n];
        long long image_id, cat;
        if (get_int(x, "image_id", LLONG_MIN, LLONG_MAX, 1, &w, &image_id) ||
            get_int(x, "category_id", INT_MIN, INT_MAX, 1, &w, &cat) || get_bbox(x, &w, d->bbox) ||
            get_number(x, "score", 1, &w, &d->score))
            goto done;
        d->image_id = image_id, d->category_id = (int)cat;
        if (ds && !has_ll(image_ids, ds->n_images, image_id)) {
            dn_error("%s: results[%d]: image_id %lld is not an image of the instances file", path, n, image_id);
            goto done;
        }
        if (ds && (!ds->n_categories ||
                   !bsearch(&d->category_id, cat_ids, (size_t)ds->n_categories, sizeof(int), cmp_int)))
            ++unknown;
        ++n;
    }
    rc = 0;
done:
    if (rc) {
        free(dets);
    } else {
        *dets_out = dets, *n_out = n;
        if (n_unknown_cat) *n_unknown_cat = unknown;
    }
    free(image_ids), free(cat_ids);
    cJSON_Delete(root);
    return rc;
}

/* shortest of %.15g..%.17g that reads back exactly */
static void format_double(char *buf, size_t size, double v)
{
    for (int p = 15; p <= 17; ++p) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

int coco_save_results(const char *path, const coco_det *dets, int n)
{
    for (int j = 0; j < n; ++j) {
        const coco_det *d = &dets[j];
        if (!isfinite(d->bbox[0]) || !isfinite(d->bbox[1]) || !isfinite(d->bbox[2]) || !isfinite(d->bbox[3]) ||
            !isfinite(d->score))
            return dn_error("%s: detection %d (image %lld) has a bbox or score that is not a finite number", path, j,
                            d->image_id);
    }
    atomic_file a;
    if (atomic_file_open(&a, path)) return -1;
    fputs("[", a.fp);
    for (int j = 0; j < n; ++j) {
        const coco_det *d = &dets[j];
        char v[5][32];
        for (int q = 0; q < 4; ++q) format_double(v[q], sizeof v[q], d->bbox[q]);
        format_double(v[4], sizeof v[4], d->score);
        fprintf(a.fp, "%s\n{\"image_id\": %lld, \"category_id\": %d, \"bbox\": [%s, %s, %s, %s], \"score\": %s}",
                j ? "," : "", d->image_id, d->category_id, v[0], v[1], v[2], v[3], v[4]);
    }
    fputs("\n]\n", a.fp);
    return atomic_file_commit(&a);
}

/* ---- contiguous class indices -------------------------------------------- */

int coco_class_ids(const coco_category *cats, int n, int *ids)
{
    for (int j = 0; j < n; ++j) ids[j] = cats[j].id;
    qsort(ids, (size_t)n, sizeof *ids, cmp_int);
    for (int j = 1; j < n; ++j)
        if (ids[j] == ids[j - 1]) return dn_error("category id %d appears more than once", ids[j]);
    return n;
}

int coco_class_index(const int *ids, int n, int category_id)
{
    const int *p = n > 0 ? bsearch(&category_id, ids, (size_t)n, sizeof *ids, cmp_int) : NULL;
    return p ? (int)(p - ids) : -1;
}
