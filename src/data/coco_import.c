#include "coco_import.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "coco_json.h"
#include "errors.h"
#include "files.h"
#include "image.h"

/* "path/instances_val2017.json" -> "val2017" */
static void split_name(const char *instances, char *out, size_t n)
{
    const char *base = strrchr(instances, '/');
    base = base ? base + 1 : instances;
    if (!strncmp(base, "instances_", 10)) base += 10;
    snprintf(out, n, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

/* The label text of one image, into a growing buffer. */
typedef struct {
    char *text;
    size_t len, cap;
} text_buf;

static int append(text_buf *b, const char *line)
{
    size_t n = strlen(line);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *t = dn_realloc(b->text, cap, 1);
        if (!t) return -1;
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, line, n + 1);
    b->len += n;
    return 0;
}

static int cmp_gt_image(const void *a, const void *b)
{
    long long x = ((const coco_gt *)a)->image_id, y = ((const coco_gt *)b)->image_id;
    return (x > y) - (x < y);
}

/* Writes the labels of every image; annotations sorted by image id. */
static int write_labels(const coco_dataset *ds, const int *class_ids, const char *label_dir,
                        coco_import_stats *st)
{
    coco_gt *gts = malloc(sizeof *gts * (ds->n_annotations ? ds->n_annotations : 1));
    if (!gts) return dn_error("out of memory");
    memcpy(gts, ds->annotations, sizeof *gts * ds->n_annotations);
    qsort(gts, ds->n_annotations, sizeof *gts, cmp_gt_image);
    text_buf b = {0};
    int status = 0;
    for (int i = 0; i < ds->n_images && !status; ++i) {
        const coco_image *im = &ds->images[i];
        b.len = 0;
        if (append(&b, "")) status = -1;
        coco_gt key = {.image_id = im->id};
        coco_gt *g = bsearch(&key, gts, ds->n_annotations, sizeof *gts, cmp_gt_image);
        while (g && g > gts && g[-1].image_id == im->id) --g;
        for (; g && g < gts + ds->n_annotations && g->image_id == im->id && !status; ++g) {
            if (g->iscrowd) {
                st->crowd_skipped++;
                continue;
            }
            if (g->bbox[2] <= 0 || g->bbox[3] <= 0 || im->width <= 0 || im->height <= 0) {
                st->degenerate_skipped++;
                continue;
            }
            char line[128];
            snprintf(line, sizeof line, "%d %.6f %.6f %.6f %.6f\n",
                     coco_class_index(class_ids, ds->n_categories, g->category_id),
                     (g->bbox[0] + g->bbox[2] / 2) / im->width, (g->bbox[1] + g->bbox[3] / 2) / im->height,
                     g->bbox[2] / im->width, g->bbox[3] / im->height);
            status = append(&b, line);
            st->labels_written++;
        }
        char path[2 * PATH_MAX + 8], stem[PATH_MAX];
        snprintf(stem, sizeof stem, "%s", im->file_name);
        char *dot = strrchr(stem, '.');
        if (dot) *dot = 0;
        if (strchr(stem, '/')) status = dn_error("image file_name '%s' must not contain '/'", im->file_name);
        if (!status && snprintf(path, sizeof path, "%s/%s.txt", label_dir, stem) >= (int)sizeof path)
            status = dn_error("label path too long for %s", im->file_name);
        if (!status) status = write_file_atomic(path, b.text, b.len);
    }
    free(b.text);
    free(gts);
    return status;
}

/* Links images and writes the list of their paths under OUT_DIR. */
static int link_images(const coco_dataset *ds, const char *image_dir, const char *link_dir,
                       const char *list_path)
{
    char abs_images[PATH_MAX];
    if (!realpath(image_dir, abs_images)) return dn_error("image directory %s: %s", image_dir, strerror(errno));
    text_buf b = {0};
    int status = append(&b, "");
    for (int i = 0; i < ds->n_images && !status; ++i) {
        char target[2 * PATH_MAX + 8], link[2 * PATH_MAX + 8];
        snprintf(target, sizeof target, "%s/%s", abs_images, ds->images[i].file_name);
        snprintf(link, sizeof link, "%s/%s", link_dir, ds->images[i].file_name);
        unlink(link); /* a re-import replaces the old link */
        if (symlink(target, link)) status = dn_error("cannot link %s: %s", link, strerror(errno));
        else if (append(&b, link) || append(&b, "\n")) status = -1;
    }
    if (!status) status = write_file_atomic(list_path, b.text, b.len);
    free(b.text);
    return status;
}

static int write_names(const coco_dataset *ds, const int *class_ids, const char *path)
{
    text_buf b = {0};
    int status = append(&b, "");
    for (int k = 0; k < ds->n_categories && !status; ++k)
        for (int c = 0; c < ds->n_categories; ++c)
            if (ds->categories[c].id == class_ids[k])
                status = append(&b, ds->categories[c].name) || append(&b, "\n");
    if (!status) status = write_file_atomic(path, b.text, b.len);
    free(b.text);
    return status;
}

/* coco.data: keeps the lines of keys this import does not set. */
static int write_data_file(const char *path, const char *const *keys, const char *const *values, int n)
{
    text_buf b = {0};
    int status = append(&b, "");
    FILE *old = fopen(path, "r");
    char line[PATH_MAX + 64];
    while (old && !status && fgets(line, sizeof line, old)) {
        int replaced = 0;
        for (int i = 0; i < n; ++i) {
            size_t k = strlen(keys[i]);
            replaced |= !strncmp(line, keys[i], k) && line[k] == '=';
        }
        if (!replaced) status = append(&b, line);
    }
    if (old) fclose(old);
    for (int i = 0; i < n && !status; ++i) {
        snprintf(line, sizeof line, "%s=%s\n", keys[i], values[i]);
        status = append(&b, line);
    }
    if (!status) status = write_file_atomic(path, b.text, b.len);
    free(b.text);
    return status;
}

int coco_import(const char *instances, const char *image_dir, const char *out_dir, coco_import_stats *st)
{
    memset(st, 0, sizeof *st);
    split_name(instances, st->split, sizeof st->split);
    coco_dataset ds;
    if (coco_load_instances(instances, &ds)) return -1;
    int status = -1, *class_ids = malloc(sizeof(int) * (ds.n_categories ? ds.n_categories : 1));
    char root[PATH_MAX], dir[PATH_MAX + 160], path[PATH_MAX + 160], abs_json[PATH_MAX];
    if (!class_ids || (st->classes = coco_class_ids(ds.categories, ds.n_categories, class_ids)) < 0) goto done;
    if (make_dirs(out_dir) || !realpath(out_dir, root) || !realpath(instances, abs_json)) {
        if (!dn_has_error()) dn_error("%s: %s", out_dir, strerror(errno));
        goto done;
    }
    snprintf(dir, sizeof dir, "%s/images/%s", root, st->split);
    snprintf(path, sizeof path, "%s/%s.txt", root, st->split);
    if (make_dirs(dir) || link_images(&ds, image_dir, dir, path)) goto done;
    snprintf(dir, sizeof dir, "%s/labels/%s", root, st->split);
    if (make_dirs(dir) || write_labels(&ds, class_ids, dir, st)) goto done;
    char names[PATH_MAX + 32], classes[16], backup[PATH_MAX + 32];
    snprintf(names, sizeof names, "%s/coco.names", root);
    if (write_names(&ds, class_ids, names)) goto done;
    snprintf(classes, sizeof classes, "%d", st->classes);
    snprintf(backup, sizeof backup, "%s/backup", root);
    int train = strstr(st->split, "train") != NULL;
    const char *keys[] = {"classes", "names", "backup", train ? "train" : "valid", "coco_json"};
    const char *values[] = {classes, names, backup, path, abs_json};
    snprintf(dir, sizeof dir, "%s/coco.data", root);
    if (make_dirs(backup) || write_data_file(dir, keys, values, train ? 4 : 5)) goto done;
    st->images = ds.n_images;
    status = 0;
done:
    free(class_ids);
    coco_free_instances(&ds);
    return status;
}
