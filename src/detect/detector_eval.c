#include "detector_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco_json.h"
#include "errors.h"
#include "labels.h"
#include "loader.h"

/* Ground truth and the ids results must carry: from COCO's JSON, or made
 * from darknet labels (image id = list index, category id = class). */
typedef struct {
    coco_dataset ds;
    int from_json;
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

static int truth_from_json(eval_truth *t, const data_cfg *data, char **paths, int n)
{
    if (coco_load_instances(data->coco_json, &t->ds)) return -1;
    t->from_json = 1;
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
static int identity_ids(eval_truth *t, int classes, int n)
{
    t->class_ids = malloc(sizeof(int) * (classes + 1));
    if (!t->class_ids) return dn_error("out of memory");
    for (int k = 0; k < classes; ++k) t->class_ids[k] = k;
    for (int i = 0; i < n; ++i) t->image_ids[i] = i;
    return 0;
}

/* darknet labels in pixels of each image (sizes from the loader). */
static int truth_from_labels(eval_truth *t, const data_cfg *data, char **paths, int n, const int *w, const int *h)
{
    for (int i = 0; i < n; ++i) {
        char path[4096];
        box_label *labels = NULL;
        int m = find_label_file(paths[i], path, sizeof path) ? 0 : read_labels(path, data->classes, &labels, NULL, 1);
        if (m < 0) return -1;
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
            x->bbox[0] = (b.x - b.w / 2) * w[i];
            x->bbox[1] = (b.y - b.h / 2) * h[i];
            x->bbox[2] = b.w * w[i];
            x->bbox[3] = b.h * h[i];
            x->area = x->bbox[2] * x->bbox[3];
        }
        free(labels);
    }
    return 0;
}

/* Adds image i's detections (boxes relative to the letterboxed input) in pixels. */
static int collect(detector_eval *e, network *net, const loader_image_info *info, float thresh,
                   const int *class_ids, int n_classes, long long image_id)
{
    int n = 0;
    detection *d = get_network_boxes(net, thresh, &n);
    if (!d && n) return -1;
    for (int i = 0; i < n; ++i) {
        box b = letterbox_box_to_image(&info->geom, d[i].bbox);
        for (int k = 0; k < d[i].classes && k < n_classes; ++k) {
            if (d[i].prob[k] <= thresh) continue;
            if (e->n_dets == e->cap_dets) {
                int cap = e->cap_dets ? 2 * e->cap_dets : 1024;
                coco_det *grown = realloc(e->dets, sizeof *grown * cap);
                if (!grown) {
                    free_detections(d, n);
                    return dn_error("out of memory");
                }
                e->dets = grown;
                e->cap_dets = cap;
            }
            coco_det *x = &e->dets[e->n_dets++];
            x->image_id = image_id;
            x->category_id = class_ids[k];
            x->bbox[0] = (b.x - b.w / 2) * info->src_w;
            x->bbox[1] = (b.y - b.h / 2) * info->src_h;
            x->bbox[2] = b.w * info->src_w;
            x->bbox[3] = b.h * info->src_h;
            x->score = d[i].prob[k];
        }
    }
    free_detections(d, n);
    return 0;
}

int detector_evaluate(network *net, const data_cfg *data, const detector_eval_options *o, detector_eval *out)
{
    memset(out, 0, sizeof *out);
    out->voc_map = -1;
    if (!data->valid) return dn_error("%s names no valid= list", data->path);
    int n = 0, status = -1;
    char **paths = read_image_list(data->valid, &n);
    if (!paths) return -1;
    eval_truth t = {0};
    int *w = calloc(n, sizeof(int)), *h = calloc(n, sizeof(int));
    t.image_ids = calloc(n, sizeof(long long));
    set_batch_network(net, 1);
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
    lc.threads = o->threads;
    loader *L = NULL;
    float *x = malloc(sizeof(float) * network_inputs(net));
    if (!w || !h || !t.image_ids || !x) {
        dn_error("out of memory");
        goto done;
    }
    if (data->coco_json ? truth_from_json(&t, data, paths, n) : identity_ids(&t, data->classes, n)) goto done;
    int n_classes = t.from_json ? t.ds.n_categories : data->classes;
    if (!(L = loader_open(&lc))) goto done;
    loader_image_info info;
    for (int got; (got = loader_next(L, x, NULL, &info)) != 0;) {
        if (got < 0) goto done;
        int i = info.index;
        w[i] = info.src_w;
        h[i] = info.src_h;
        network_predict(net, x);
        if (info.loaded && collect(out, net, &info, o->thresh, t.class_ids, n_classes, t.image_ids[i])) goto done;
        out->images++;
    }
    if (!t.from_json && truth_from_labels(&t, data, paths, n, w, h)) goto done;
    const coco_gt *gts = t.from_json ? t.ds.annotations : t.gts;
    int n_gts = t.from_json ? t.ds.n_annotations : t.n_gts;
    if (coco_evaluate(gts, n_gts, out->dets, out->n_dets, t.image_ids, n, t.class_ids, n_classes, &out->coco)) goto done;
    out->have_coco = 1;
    voc_eval_result v;
    if (voc_evaluate(gts, n_gts, out->dets, out->n_dets, o->iou_thresh, o->points, &v)) goto done;
    out->voc_map = v.map;
    voc_eval_free(&v);
    status = 0;
done:
    loader_close(L);
    free(x);
    free(w);
    free(h);
    free(t.image_ids);
    free(t.class_ids);
    free(t.gts);
    if (t.from_json) coco_free_instances(&t.ds);
    free_string_list(paths, n);
    return status;
}

void detector_eval_free(detector_eval *e)
{
    free(e->dets);
    if (e->have_coco) coco_eval_free(&e->coco);
    memset(e, 0, sizeof *e);
}
