/* synth_dataset.c: writes the synthetic detection dataset to disk: JPEGs,
 * darknet labels and lists, the .data and .names files and COCO instances
 * JSON (see synth_detect.h for the layout); and the classification set of
 * the shapes stream (synth_write_classify in darknet.h). Images are generated on the
 * thread pool; each depends only on (seed, split, index), so the files are
 * the same for any number of threads. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "errors.h"
#include "files.h"
#include "image.h"
#include "synth_detect.h"
#include "threadpool.h"

static const char *const split_names[2] = {"train", "valid"};

typedef struct {
    const synth_options *o;
    const char *root;             /* absolute output directory */
    synth_split split;
    synth_object *objs;           /* SYNTH_MAX_OBJECTS per image */
    int *counts;
    pthread_mutex_t lock;
    int failed;
    char err[1024];
} job;

static void fail(job *j)
{
    pthread_mutex_lock(&j->lock);
    if (!j->failed) snprintf(j->err, sizeof j->err, "%s", dn_last_error());
    j->failed = 1;
    pthread_mutex_unlock(&j->lock);
}

static int write_label(const char *path, const synth_object *objs, int n, int size)
{
    char buf[SYNTH_MAX_OBJECTS * 64 + 1];
    size_t len = 0;
    for (int i = 0; i < n; ++i) {
        const synth_object *b = &objs[i];
        if (b->crowd) continue;   /* darknet labels cannot say "crowd": COCO JSON only */
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%d %.6f %.6f %.6f %.6f\n", b->cls,
                                (b->x + b->w * 0.5) / size, (b->y + b->h * 0.5) / size, (double)b->w / size,
                                (double)b->h / size);
    }
    return write_file_atomic(path, buf, len);
}

static void make_images(void *ctx, int start, int end)
{
    job *j = ctx;
    const synth_options *o = j->o;
    image *im = make_image(o->size, o->size, 3);
    if (!im) {
        fail(j);
        return;
    }
    char path[PATH_MAX];
    const char *split = split_names[j->split];
    for (int i = start; i < end && !j->failed; ++i) {
        synth_object *objs = j->objs + (size_t)i * SYNTH_MAX_OBJECTS;
        int n = synth_detect_scene(o->seed, j->split, (uint64_t)i, o->classes, im, objs, SYNTH_MAX_OBJECTS);
        size_t len = 0;
        unsigned char *jpg = n < 0 ? NULL : encode_image_jpg(im, o->quality, &len);
        int bad = !jpg;
        if (!bad) {
            snprintf(path, sizeof path, "%s/images/%s/%06d.jpg", j->root, split, i + 1);
            bad = write_file_atomic(path, jpg, len);
        }
        if (!bad) {
            snprintf(path, sizeof path, "%s/labels/%s/%06d.txt", j->root, split, i + 1);
            bad = write_label(path, objs, n, o->size);
        }
        free(jpg);
        j->counts[i] = n < 0 ? 0 : n;
        if (bad) fail(j);
    }
    free_image(im);
}

/* ---- COCO JSON ---- */

static cJSON *number_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; ++i) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* COCO's uncompressed RLE of a box: run lengths over the column-major mask,
 * starting with a run of zeros. Crowd regions carry RLE, objects polygons. */
static cJSON *box_rle(const synth_object *b, int W, int H)
{
    cJSON *counts = cJSON_CreateArray();
    cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)b->x * H + b->y));
    for (int c = 0; c < b->w; ++c) {
        cJSON_AddItemToArray(counts, cJSON_CreateNumber(b->h));
        if (c + 1 < b->w) cJSON_AddItemToArray(counts, cJSON_CreateNumber(H - b->h));
    }
    cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)W * H - ((double)(b->x + b->w - 1) * H + b->y + b->h)));
    cJSON *rle = cJSON_CreateObject();
    cJSON_AddItemToObject(rle, "counts", counts);
    double size[2] = {H, W};
    cJSON_AddItemToObject(rle, "size", number_array(size, 2));
    return rle;
}

static char *coco_json(const job *j, int n_images)
{
    const synth_options *o = j->o;
    cJSON *root = cJSON_CreateObject();
    cJSON *info = cJSON_AddObjectToObject(root, "info");
    char desc[160];
    snprintf(desc, sizeof desc, "darknet synth %s split: seed %llu, %d x %d, %d classes", split_names[j->split],
             (unsigned long long)o->seed, o->size, o->size, o->classes);
    cJSON_AddStringToObject(info, "description", desc);
    cJSON_AddStringToObject(info, "version", "1.0");
    cJSON_AddArrayToObject(root, "licenses");
    cJSON *images = cJSON_AddArrayToObject(root, "images");
    cJSON *anns = cJSON_AddArrayToObject(root, "annotations");
    int ann_id = 0;
    for (int i = 0; i < n_images; ++i) {
        char name[32];
        snprintf(name, sizeof name, "%06d.jpg", i + 1);
        cJSON *im = cJSON_CreateObject();
        cJSON_AddNumberToObject(im, "id", i + 1);
        cJSON_AddNumberToObject(im, "width", o->size);
        cJSON_AddNumberToObject(im, "height", o->size);
        cJSON_AddStringToObject(im, "file_name", name);
        cJSON_AddItemToArray(images, im);
        const synth_object *objs = j->objs + (size_t)i * SYNTH_MAX_OBJECTS;
        for (int k = 0; k < j->counts[i]; ++k) {
            const synth_object *b = &objs[k];
            cJSON *a = cJSON_CreateObject();
            cJSON_AddNumberToObject(a, "id", ++ann_id);
            cJSON_AddNumberToObject(a, "image_id", i + 1);
            cJSON_AddNumberToObject(a, "category_id", b->cls + 1);
            double bbox[4] = {b->x, b->y, b->w, b->h};
            cJSON_AddItemToObject(a, "bbox", number_array(bbox, 4));
            cJSON_AddNumberToObject(a, "area", b->area);
            cJSON_AddNumberToObject(a, "iscrowd", b->crowd);
            if (b->crowd) {
                cJSON_AddItemToObject(a, "segmentation", box_rle(b, o->size, o->size));
            } else {
                double x1 = b->x + b->w, y1 = b->y + b->h;
                double poly[8] = {b->x, b->y, x1, b->y, x1, y1, b->x, y1};
                cJSON *seg = cJSON_CreateArray();
                cJSON_AddItemToArray(seg, number_array(poly, 8));
                cJSON_AddItemToObject(a, "segmentation", seg);
            }
            cJSON_AddItemToArray(anns, a);
        }
    }
    cJSON *cats = cJSON_AddArrayToObject(root, "categories");
    for (int k = 0; k < o->classes; ++k) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "id", k + 1);
        cJSON_AddStringToObject(c, "name", synth_detect_names[k]);
        cJSON_AddStringToObject(c, "supercategory", "shape");
        cJSON_AddItemToArray(cats, c);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) dn_error("out of memory writing COCO JSON for %d images", n_images);
    return text;
}

/* ---- text files ---- */

typedef struct {
    char *p;
    size_t n, cap;
} strbuf;

static int sb_printf(strbuf *b, const char *fmt, ...) DN_PRINTF(2, 3);
static int sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return -1;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *p = dn_realloc(b->p, cap, 1);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
    return 0;
}

static int write_sb(const char *root, const char *name, strbuf *b)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, name);
    int r = b->p ? write_file_atomic(path, b->p, b->n) : write_file_atomic(path, "", 0);
    free(b->p);
    memset(b, 0, sizeof *b);
    return r;
}

static int write_lists(const char *root, const synth_options *o)
{
    strbuf b = {0};
    int bad = 0;
    for (int s = 0; s < 2 && !bad; ++s) {
        int n = s ? o->n_valid : o->n_train;
        for (int i = 0; i < n && !bad; ++i) bad = sb_printf(&b, "%s/images/%s/%06d.jpg\n", root, split_names[s], i + 1);
        char name[32];
        snprintf(name, sizeof name, "%s.txt", split_names[s]);
        bad = bad || write_sb(root, name, &b);
    }
    for (int k = 0; k < o->classes && !bad; ++k) bad = sb_printf(&b, "%s\n", synth_detect_names[k]);
    bad = bad || write_sb(root, "synth.names", &b);
    bad = bad || sb_printf(&b,
                           "classes=%d\ntrain=%s/train.txt\nvalid=%s/valid.txt\nnames=%s/synth.names\n"
                           "backup=%s/backup\ncoco_json=%s/annotations/instances_valid.json\n",
                           o->classes, root, root, root, root, root);
    bad = bad || write_sb(root, "synth.data", &b);
    free(b.p);
    return bad ? -1 : 0;
}

static int check_options(const synth_options *o)
{
    if (!o || !o->out_dir || !*o->out_dir) return dn_error("synth: no output directory");
    if (strpbrk(o->out_dir, "\n\r")) return dn_error("synth: the output directory name has a line break");
    if (o->n_train < 1 || o->n_valid < 1) return dn_error("synth: need at least 1 training and 1 validation image");
    if (o->n_train > 9999999 || o->n_valid > 9999999) return dn_error("synth: at most 9999999 images per split");
    if (o->size < SYNTH_MIN_SIZE || o->size > SYNTH_MAX_SIZE)
        return dn_error("synth: size %d outside %d..%d", o->size, SYNTH_MIN_SIZE, SYNTH_MAX_SIZE);
    if (o->classes < 1 || o->classes > SYNTH_DETECT_CLASSES)
        return dn_error("synth: classes %d outside 1..%d", o->classes, SYNTH_DETECT_CLASSES);
    if (o->quality < 0 || o->quality > 100) return dn_error("synth: JPEG quality %d outside 1..100", o->quality);
    if (o->distractors < 0 || o->distractors > SYNTH_MAX_DISTRACTORS || (o->distractors && !o->context))
        return dn_error("synth: %d distractors (0..%d, context images only)", o->distractors, SYNTH_MAX_DISTRACTORS);
    return 0;
}

/* ---- the classification set (synth_write_classify) ---- */

/* The held-out split draws from another stream of the shapes generator, so
 * it does not change with the number of training images. */
static uint64_t classify_seed(const job *j) { return j->o->seed + (j->split ? 1000003 : 0); }

_Static_assert((int)SYNTH_CONTEXT_CLASSES == (int)SYNTH_SHAPE_CLASSES, "the classify files assume one class count");

/* The stream's label names. */
static const char *const *classify_names(const synth_options *o)
{
    return o->context ? synth_context_names : synth_shape_names;
}

static void make_shape_images(void *ctx, int start, int end)
{
    job *j = ctx;
    int size = j->o->size;
    image *im = make_image(size, size, 3);
    if (!im) fail(j);
    char path[PATH_MAX];
    for (int i = start; i < end && im && !j->failed; ++i) {
        int cls = j->o->context ? synth_context_image_distractors(classify_seed(j), (uint64_t)i, j->o->distractors,
                                                                  size, size, 3, im->data)
                                : synth_shape_image(classify_seed(j), (uint64_t)i, size, size, 3, im->data);
        j->counts[i] = cls;
        snprintf(path, sizeof path, "%s/images/%s/%s_%06d.png", j->root, split_names[j->split],
                 classify_names(j->o)[cls], i + 1);
        if (save_image(im, path)) fail(j);
    }
    free_image(im);
}

static int write_classify_files(const char *root, const synth_options *o, int *const classes[2])
{
    strbuf b = {0};
    int bad = 0;
    for (int s = 0; s < 2 && !bad; ++s) {
        int n = s ? o->n_valid : o->n_train;
        for (int i = 0; i < n && !bad; ++i)
            bad = sb_printf(&b, "%s/images/%s/%s_%06d.png\n", root, split_names[s], classify_names(o)[classes[s][i]],
                            i + 1);
        bad = bad || write_sb(root, s ? "valid.txt" : "train.txt", &b);
    }
    for (int k = 0; k < SYNTH_SHAPE_CLASSES && !bad; ++k) bad = sb_printf(&b, "%s\n", classify_names(o)[k]);
    bad = bad || write_sb(root, "labels.txt", &b);
    bad = bad || sb_printf(&b, "classes=%d\ntrain=%s/train.txt\nvalid=%s/valid.txt\nlabels=%s/labels.txt\n"
                               "backup=%s/backup\ntop=2\n",
                           SYNTH_SHAPE_CLASSES, root, root, root, root);
    bad = bad || write_sb(root, "classify.data", &b);
    free(b.p);
    return bad ? -1 : 0;
}

int synth_write_classify(const synth_options *opts)
{
    char root[PATH_MAX], dir[PATH_MAX + 64];
    synth_options checked = *opts;   /* classes and quality do not apply */
    checked.classes = SYNTH_SHAPE_CLASSES;
    checked.quality = 0;
    const synth_options *o = &checked;
    if (check_options(o) || make_dirs(o->out_dir)) return -1;
    if (!realpath(o->out_dir, root)) return dn_error("cannot resolve %s: %s", o->out_dir, strerror(errno));
    if (strlen(root) > PATH_MAX - 64) return dn_error("path too long: %s", root);
    int *classes[2] = {NULL, NULL}, failed = 0;
    for (int s = 0; s < 2 && !failed; ++s) {
        snprintf(dir, sizeof dir, "%s/images/%s", root, split_names[s]);
        job j = {.o = o, .root = root, .split = (synth_split)s, .lock = PTHREAD_MUTEX_INITIALIZER};
        j.counts = classes[s] = dn_calloc(s ? o->n_valid : o->n_train, sizeof(int));
        if (!j.counts || make_dirs(dir)) {
            failed = 1;
            break;
        }
        parallel_for(s ? o->n_valid : o->n_train, 16, make_shape_images, &j);
        pthread_mutex_destroy(&j.lock);
        if (j.failed) failed = dn_error("%s", j.err);
    }
    snprintf(dir, sizeof dir, "%s/backup", root);
    if (!failed) failed = make_dirs(dir) || write_classify_files(root, o, classes);
    free(classes[0]);
    free(classes[1]);
    return failed ? -1 : 0;
}

int synth_write_dataset(const synth_options *opts, synth_summary *summary)
{
    if (check_options(opts)) return -1;
    synth_options o = *opts;
    if (!o.quality) o.quality = 92;
    char root[PATH_MAX], dir[PATH_MAX + 64];
    if (make_dirs(o.out_dir)) return -1;
    if (!realpath(o.out_dir, root)) return dn_error("cannot resolve %s: %s", o.out_dir, strerror(errno));
    if (strlen(root) > PATH_MAX - 64) return dn_error("path too long: %s", root);
    static const char *const subdirs[] = {"images/train", "images/valid", "labels/train", "labels/valid",
                                          "annotations", "backup"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; ++i) {
        snprintf(dir, sizeof dir, "%s/%s", root, subdirs[i]);
        if (make_dirs(dir)) return -1;
    }
    if (summary) memset(summary, 0, sizeof *summary);
    for (int s = 0; s < 2; ++s) {
        int n = s ? o.n_valid : o.n_train;
        job j = {.o = &o, .root = root, .split = (synth_split)s, .lock = PTHREAD_MUTEX_INITIALIZER};
        j.objs = dn_calloc((size_t)n * SYNTH_MAX_OBJECTS, sizeof(synth_object));
        j.counts = dn_calloc((size_t)n, sizeof(int));
        if (!j.objs || !j.counts) {
            free(j.objs);
            free(j.counts);
            return -1;
        }
        parallel_for(n, 4, make_images, &j);
        char *text = j.failed ? NULL : coco_json(&j, n);
        if (text) {
            snprintf(dir, sizeof dir, "%s/annotations/instances_%s.json", root, split_names[s]);
            if (write_file_atomic(dir, text, strlen(text))) j.failed = -1;
        }
        if (summary && text)
            for (int i = 0; i < n; ++i)
                for (int k = 0; k < j.counts[i]; ++k) {
                    if (j.objs[(size_t)i * SYNTH_MAX_OBJECTS + k].crowd) ++summary->crowds;
                    else ++summary->objects;
                }
        cJSON_free(text);
        free(j.objs);
        free(j.counts);
        pthread_mutex_destroy(&j.lock);
        if (j.failed > 0) return dn_error("%s", j.err);
        if (j.failed || !text) return -1;
    }
    return write_lists(root, &o);
}
