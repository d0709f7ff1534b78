/* detector_eval.c: a detector over a validation list, scored against COCO
 * JSON or darknet labels (see detector_eval.h). */
#include "detector_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco_json.h"
#include "detect_image.h"
#include "dist.h"
#include "errors.h"
#include "labels.h"
#include "loader.h"

/* Ground truth and the ids results must carry: from COCO's JSON, or made
 * from darknet labels (image id = list index, category id = class). */
typedef struct {
    coco_dataset ds;
    int from_json;
    int n_classes;
    int *class_ids;        /* class -> category id */
    long long *image_ids;  /* list index -> image id */
    coco_gt *gts;          /* label-made ground truth (when !from_json) */
    int n_gts;
} eval_truth;

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int ids_from_json(eval_truth *t, const data_cfg *data, char **paths, int n)
{
    if (coco_load_instances(data->coco_json, &t->ds)) return -1;
    t->from_json = 1;
    t->n_classes = t->ds.n_categories;
    t->class_ids = malloc(sizeof(int) * (t->ds.n_categories + 1));
    if (!t->class_ids || coco_class_ids(t->ds.categories, t->ds.n_categories, t->class_ids) < 0) return -1;
    if (data->classes && data->classes != t->ds.n_categories)
        return dn_error("%s has %d categories but %s says classes=%d", data->coco_json, t->ds.n_categories,
                        data->path, data->classes);
    for (int i = 0; i < n; ++i) {
        t->image_ids[i] = -1;
        for (int k = 0; k < t->ds.n_images; ++k)
            if (!strcmp(t->ds.images[k].file_name, base_name(paths[i]))) t->image_ids[i] = t->ds.images[k].id;
        if (t->image_ids[i] < 0)
            return dn_error("%s: no image named %s (from %s)", data->coco_json, base_name(paths[i]), data->valid);
    }
    return 0;
}

/* Without JSON: image id = list index, category id = class. */
static int identity_ids(eval_truth *t, const data_cfg *data, int n)
{
    if (data->classes < 1) return dn_error("%s names neither classes= nor coco_json=", data->path);
    t->n_classes = data->classes;
    t->class_ids = malloc(sizeof(int) * (t->n_classes + 1));
    if (!t->class_ids) return dn_error("out of memory");
    for (int k = 0; k < t->n_classes; ++k) t->class_ids[k] = k;
    for (int i = 0; i < n; ++i) t->image_ids[i] = i;
    return 0;
}

static int add_label_boxes(eval_truth *t, const box_label *labels, int m, int i, int w, int h)
{
    coco_gt *g = m ? realloc(t->gts, sizeof *g * (t->n_gts + m)) : t->gts;
    if (m && !g) return dn_error("out of memory");
    t->gts = g;
    for (int j = 0; j < m; ++j) {
        box b = labels[j].b;
        coco_gt *x = &t->gts[t->n_gts++];
        memset(x, 0, sizeof *x);
        x->id = t->n_gts;
        x->image_id = i;
        x->category_id = labels[j].id;
        x->bbox[0] = (b.x - b.w / 2) * w;
        x->bbox[1] = (b.y - b.h / 2) * h;
        x->bbox[2] = b.w * w;
        x->bbox[3] = b.h * h;
        x->area = x->bbox[2] * x->bbox[3];
    }
    return 0;
}

/* darknet labels in pixels of each image (sizes from the loader). An image
 * without a label file has no objects; when no image has one, the labels
 * are surely elsewhere and the score would mean nothing. */
static int truth_from_labels(eval_truth *t, const data_cfg *data, char **paths, int n, const int *w, const int *h)
{
    int found_any = 0;
    char first_missing[4096] = "";
    for (int i = 0; i < n; ++i) {
        char path[4096];
        box_label *labels = NULL;
        int found = find_label_file(paths[i], path, sizeof path);
        if (found < 0) return -1;
        if (!found && !first_missing[0]) snprintf(first_missing, sizeof first_missing, "%s", path);
        found_any |= found;
        int m = found ? read_labels(path, data->classes, &labels, NULL, 1) : 0;
        int bad = m < 0 || add_label_boxes(t, labels, m, i, w[i], h[i]);
        free(labels);
        if (bad) return -1;
    }
    if (n && !found_any)
        return dn_error("%s: no label file for any of the %d images of %s (the first would be %s)", data->path, n,
                        data->valid, first_missing);
    return 0;
}

/* Adds image i's detections in pixels, with the list index as image id and
 * the class as category id. */
static int collect(detector_eval *e, network *net, const loader_image_info *info, float thresh, int n_classes)
{
    image_detection *d = NULL;
    int n = network_image_detections(net, &info->geom, thresh, n_classes, &d);
    if (n > e->cap_dets - e->n_dets) {
        int cap = e->cap_dets ? e->cap_dets : 1024;
        while (cap < e->n_dets + n) cap *= 2;
        coco_det *grown = dn_realloc(e->dets, (size_t)cap, sizeof *grown);
        if (grown) e->dets = grown, e->cap_dets = cap;
        else n = -1;
    }
    for (int i = 0; i < n; ++i) {
        coco_det *x = &e->dets[e->n_dets++];
        float px[4];
        image_detection_pixels(&d[i], info->src_w, info->src_h, px);
        x->image_id = info->index;
        x->category_id = d[i].class_id;
        for (int j = 0; j < 4; ++j) x->bbox[j] = px[j];
        x->score = d[i].score;
    }
    free(d);
    return n < 0 ? -1 : 0;
}

static loader *open_eval_loader(network *net, const data_cfg *data, char **paths, int n, int threads)
{
    loader_config lc;
    loader_config_default(&lc);
    lc.paths = paths;
    lc.n_paths = n;
    lc.classes = data->classes;
    lc.width = network_width(net);
    lc.height = network_height(net);
    lc.batch = 1;
    lc.eval = 1;
    lc.letterbox = 1;
    lc.threads = threads;
    return loader_open(&lc);
}

/* Runs the network over the listed images first .. end-1: their detections
 * (image ids are list indices) and sizes. */
static int detect_range(network *net, const data_cfg *data, char **paths, int first, int end,
                        const detector_eval_options *o, int *w, int *h, detector_eval *out)
{
    if (set_batch_network(net, 1)) return -1;
    if (first == end) return 0;
    float *x = malloc(sizeof(float) * network_inputs(net));
    loader *L = x ? open_eval_loader(net, data, paths + first, end - first, o->threads) : NULL;
    int status = L ? 0 : -1, got;
    if (!x) dn_error("out of memory");
    loader_image_info info;
    while (!status && (got = loader_next(L, x, NULL, &info)) != 0) {
        if (got < 0) status = -1;
        if (got < 0) break;
        info.index += first;
        w[info.index] = info.src_w;
        h[info.index] = info.src_h;
        network_predict(net, x);
        if (info.loaded && collect(out, net, &info, o->thresh, network_classes(net))) status = -1;
        out->images++;
    }
    loader_close(L);
    free(x);
    return status;
}

/* Rank r of a job of `ranks` evaluates the images [n * r / ranks, n * (r + 1) / ranks). */
static int range_start(int n, int r, int ranks) { return (int)((int64_t)n * r / ranks); }

/* Every rank's image count, sizes and detections, in list order, on every rank. */
static int gather_ranks(int n, int *w, int *h, detector_eval *out)
{
    int ranks = dist_size(), r = dist_rank(), first = range_start(n, r, ranks), end = range_start(n, r + 1, ranks);
    size_t m = (size_t)(end - first);
    int *mine = dn_calloc(1 + 2 * m, sizeof(int)), *all = NULL;
    void *dets = NULL;
    size_t bytes = 0, det_bytes = 0;
    int rc = -1;
    if (mine) {
        mine[0] = out->images;
        memcpy(mine + 1, w + first, m * sizeof(int));
        memcpy(mine + 1 + m, h + first, m * sizeof(int));
        rc = dist_allgather_blocks(mine, (1 + 2 * m) * sizeof(int), (void **)&all, &bytes) ||
             dist_allgather_blocks(out->dets, out->n_dets * sizeof(coco_det), &dets, &det_bytes);
    }
    const int *p = all;
    out->images = 0;
    for (int k = 0; !rc && k < ranks; ++k) {
        int a = range_start(n, k, ranks), len = range_start(n, k + 1, ranks) - a;
        out->images += p[0];
        memcpy(w + a, p + 1, len * sizeof(int));
        memcpy(h + a, p + 1 + len, len * sizeof(int));
        p += 1 + 2 * len;
    }
    free(mine);
    free(all);
    free(out->dets);
    out->dets = dets;
    out->n_dets = out->cap_dets = (int)(det_bytes / sizeof(coco_det));
    return rc ? -1 : 0;
}

/* Runs the network over every listed image: detections and image sizes.
 * Under mpirun each rank takes its own part of the list and all gather the
 * results, which are then those of one process. */
static int detect_all(network *net, const data_cfg *data, char **paths, int n, const detector_eval_options *o,
                      int *w, int *h, detector_eval *out)
{
    int ranks = dist_size(), r = dist_rank();
    int status = detect_range(net, data, paths, range_start(n, r, ranks), range_start(n, r + 1, ranks), o, w, h, out);
    if (ranks == 1) return status;
    if (dist_any(status))   /* each rank knows, so none waits for a failed one */
        return status ? -1 : dn_error("another rank could not evaluate its part of %s (see its message)", data->valid);
    return gather_ranks(n, w, h, out);
}

static void free_truth(eval_truth *t)
{
    free(t->image_ids);
    free(t->class_ids);
    free(t->gts);
    if (t->from_json) coco_free_instances(&t->ds);
}

/* COCO and VOC numbers of out->dets against t; then the detections get the
 * original image and category ids. */
static int score(eval_truth *t, int n, const detector_eval_options *o, detector_eval *out)
{
    for (int j = 0; j < out->n_dets; ++j) {
        coco_det *d = &out->dets[j];
        if (d->image_id < 0 || d->image_id >= n || d->category_id < 0 || d->category_id >= t->n_classes)
            return dn_error("detection %d: image %lld or class %d outside the list", j, d->image_id, d->category_id);
        d->image_id = t->image_ids[d->image_id];
        d->category_id = t->class_ids[d->category_id];
    }
    const coco_gt *gts = t->from_json ? t->ds.annotations : t->gts;
    int n_gts = t->from_json ? t->ds.n_annotations : t->n_gts;
    if (coco_evaluate(gts, n_gts, out->dets, out->n_dets, t->image_ids, n, t->class_ids, t->n_classes, &out->coco))
        return -1;
    out->have_coco = 1;
    voc_eval_result v;
    if (voc_evaluate(gts, n_gts, out->dets, out->n_dets, o->iou_thresh, o->points, &v)) return -1;
    out->voc_map = v.map;
    voc_eval_free(&v);
    return 0;
}

static int same_classes(const network *net, const eval_truth *t, const data_cfg *data)
{
    int k = network_classes(net);
    if (k == t->n_classes) return 0;
    if (!k) return dn_error("the network has no detection layer ([retina] or [yolo])");
    return dn_error("the network predicts %d classes but %s has %d", k,
                    t->from_json ? data->coco_json : data->path, t->n_classes);
}

/* The ids (and COCO's ground truth) before any detection, so that a bad
 * coco_json= fails before a long run; the labels need the image sizes. */
static int open_truth(eval_truth *t, const data_cfg *data, char **paths, int n)
{
    memset(t, 0, sizeof *t);
    if (!(t->image_ids = calloc(n + 1, sizeof(long long)))) return dn_error("out of memory");
    return data->coco_json ? ids_from_json(t, data, paths, n) : identity_ids(t, data, n);
}

static int finish(eval_truth *t, const data_cfg *data, char **paths, int n, const int *w, const int *h,
                  const detector_eval_options *o, detector_eval *out)
{
    if (!t->from_json && truth_from_labels(t, data, paths, n, w, h)) return -1;
    return score(t, n, o, out);
}

int detector_score(const data_cfg *data, char **paths, int n, const int *w, const int *h,
                   const detector_eval_options *o, detector_eval *out)
{
    eval_truth t;
    int status = open_truth(&t, data, paths, n) || finish(&t, data, paths, n, w, h, o, out) ? -1 : 0;
    free_truth(&t);
    return status;
}

int detector_evaluate(network *net, const data_cfg *data, const detector_eval_options *o, detector_eval *out)
{
    memset(out, 0, sizeof *out);
    out->voc_map = -1;
    if (!data->valid) return dn_error("%s names no valid= list", data->path);
    int n = 0, status = -1;
    char **paths = read_image_list(data->valid, &n);
    if (!paths) return -1;
    int *w = calloc(n, sizeof(int)), *h = calloc(n, sizeof(int));
    eval_truth t = {0};
    if (!w || !h) dn_error("out of memory");
    else if (!open_truth(&t, data, paths, n) && !same_classes(net, &t, data) &&
             !detect_all(net, data, paths, n, o, w, h, out))
        status = finish(&t, data, paths, n, w, h, o, out);
    free_truth(&t);
    free(w);
    free(h);
    free_string_list(paths, n);
    if (status) detector_eval_free(out);
    return status;
}

void detector_eval_free(detector_eval *e)
{
    free(e->dets);
    if (e->have_coco) coco_eval_free(&e->coco);
    memset(e, 0, sizeof *e);
    e->voc_map = -1;
}
