#include "scene_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coco_eval.h"
#include "network.h"
#include "synth_detect.h"
#include "test.h"

int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v ? atoi(v) : def;
}

double env_double(const char *name, double def)
{
    const char *v = getenv(name);
    return v ? atof(v) : def;
}

/* The [net] (batch 16, 64 x 64; lr, burn-in, step, max_batches) and the
 * darknet-style backbone to stride 16 (filters f, 2f, 2f, 4f, 4f: layers 0
 * to 8, C3 = 6 at 8 x 8, C4 = 8 at 4 x 4) of the learning tests' networks. */
#define SCENE_NET_AND_BACKBONE                                                                 \
    "[net]\nbatch=16\nsubdivisions=1\nwidth=64\nheight=64\nchannels=3\n"                       \
    "momentum=0.9\ndecay=0.0005\nlearning_rate=%g\nburn_in=%d\npower=1\npolicy=steps\n"         \
    "steps=%d\nscales=.1\nmax_batches=%d\n"                                                    \
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n" /* 0 */ \
    "[maxpool]\nsize=2\nstride=2\n"                                                /* 1: 32 */ \
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n" /* 2 */ \
    "[maxpool]\nsize=2\nstride=2\n"                                                /* 3: 16 */ \
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n" /* 4 */ \
    "[maxpool]\nsize=2\nstride=2\n"                                                 /* 5: 8 */ \
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n" /* 6 */ \
    "[maxpool]\nsize=2\nstride=2\n"                                                 /* 7: 4 */ \
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n" /* 8 */

/* darknet-style backbone to stride 16 (16w, 32w, 32w, 64w, 64w filters),
 * FPN on P3 (layer 14, 8x8) and P4 (layer 16, 4x4) with 32 channels, one
 * shared 3x3 conv per subnet. Anchors 12 and 24 pixels (x 1, 1.26, 1.59): the
 * scenes' objects are 6 to ~54 pixels at 64 x 64. */
static const char *small_retina_text =
    SCENE_NET_AND_BACKBONE
    "[convolutional]\nfilters=32\nsize=1\nactivation=linear\n"                             /* 9: lat4 */
    "[upsample]\nstride=2\n"                                                               /* 10 */
    "[route]\nlayers=6\n"                                                                  /* 11 */
    "[convolutional]\nfilters=32\nsize=1\nactivation=linear\n"                             /* 12: lat3 */
    "[shortcut]\nfrom=10\nactivation=linear\n"                                             /* 13 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=linear\n"                      /* 14: P3 */
    "[route]\nlayers=9\n"                                                                  /* 15 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=linear\n"                      /* 16: P4 */
    "[route]\nlayers=14\n"                                                                 /* 17 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=relu\ninit_std=0.01\n"         /* 18 */
    "[convolutional]\nfilters=27\nsize=3\npad=1\nactivation=linear\ninit_std=0.01\n"       /* 19: cls P3 */
    "[route]\nlayers=14\n"                                                                 /* 20 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=relu\ninit_std=0.01\n"         /* 21 */
    "[convolutional]\nfilters=36\nsize=3\npad=1\nactivation=linear\ninit_std=0.01\n"       /* 22: box P3 */
    "[route]\nlayers=16\n"                                                                 /* 23 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=relu\nshare=18\n"              /* 24 */
    "[convolutional]\nfilters=27\nsize=3\npad=1\nactivation=linear\nshare=19\n"            /* 25: cls P4 */
    "[route]\nlayers=16\n"                                                                 /* 26 */
    "[convolutional]\nfilters=32\nsize=3\npad=1\nactivation=relu\nshare=21\n"              /* 27 */
    "[convolutional]\nfilters=36\nsize=3\npad=1\nactivation=linear\nshare=22\n"            /* 28: box P4 */
    "[retina]\nclasses=3\ncls=19,25\nbox=22,28\nanchor_sizes=12,24\n";

void small_retina_cfg(char *buf, size_t size, int filters, float lr, int iters)
{
    snprintf(buf, size, small_retina_text, lr, iters / 10, iters * 4 / 5, iters, filters, 2 * filters, 2 * filters,
             4 * filters, 4 * filters);
}

/* yolov3-tiny's layout scaled to 64 x 64 scenes: backbone to stride 16
 * (f, 2f, 2f, 4f, 4f filters), the neck (8f 3x3, 4f 1x1, 8f 3x3) and a
 * [yolo] head at 4 x 4 (layer 13), a route back, upsample, concatenation
 * with the 8 x 8 map and a second head (layer 20). Anchors: `detector
 * calc_anchors` on 300 such scenes (6 clusters, avg IoU 81%). */
static const char *small_yolo_text =
    SCENE_NET_AND_BACKBONE
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n"   /* 9 */
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=1\nactivation=leaky\n"          /* 10 */
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n"   /* 11: neck 1 */
    "[convolutional]\nfilters=24\nsize=1\nactivation=linear\n"                             /* 12 */
    "[yolo]\nmask=3,4,5\nanchors=9,9, 15,15, 25,25, 32,35, 43,36, 43,49\nclasses=3\nnum=6\n"  /* 13 */
    "ignore_thresh=.7\nrandom=0\n"
    "[route]\nlayers=-4\n"                                                                   /* 14 */
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=1\nactivation=leaky\n"          /* 15 */
    "[upsample]\nstride=2\n"                                                                 /* 16 */
    "[route]\nlayers=-1,6\n"                                                                 /* 17 */
    "[convolutional]\nbatch_normalize=1\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n"   /* 18: neck 2 */
    "[convolutional]\nfilters=24\nsize=1\nactivation=linear\n"                             /* 19 */
    "[yolo]\nmask=0,1,2\nanchors=9,9, 15,15, 25,25, 32,35, 43,36, 43,49\nclasses=3\nnum=6\n"  /* 20 */
    "ignore_thresh=.7\nrandom=0\n";

void small_yolo_cfg(char *buf, size_t size, int filters, float lr, int iters)
{
    int f = filters;
    snprintf(buf, size, small_yolo_text, lr, iters / 10, iters * 4 / 5, iters, f, 2 * f, 2 * f, 4 * f, 4 * f, 8 * f,
             4 * f, 8 * f, 2 * f, 4 * f);
}

/* Draws scene `index` into im and its truth (crowd regions left out, as the
 * darknet labels do). Returns the scene's entries in objs. */
static int scene(uint64_t seed, synth_split split, uint64_t index, int size, int classes, image *im, float *truth,
                 synth_object *objs)
{
    int n = synth_detect_scene(seed, split, index, classes, im, objs, SYNTH_MAX_OBJECTS);
    if (truth) {
        memset(truth, 0, sizeof(float) * DN_MAX_BOXES * 5);
        int t = 0;
        for (int i = 0; i < n && t < DN_MAX_BOXES; ++i) {
            if (objs[i].crowd) continue;
            float *b = truth + 5 * t++;
            b[0] = (objs[i].x + objs[i].w * 0.5f) / size;
            b[1] = (objs[i].y + objs[i].h * 0.5f) / size;
            b[2] = (float)objs[i].w / size;
            b[3] = (float)objs[i].h / size;
            b[4] = (float)objs[i].cls;
        }
    }
    return n;
}

static void print_losses(const network *net, int it, float loss)
{
    fprintf(stderr, "    %d: loss %.3f (", it, loss);
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        if (!l->ops->named_losses) continue;
        const char *names[8];
        float v[8];
        int k = l->ops->named_losses(l, names, v, 8);
        if (k > 8) k = 8;
        for (int j = 0; j < k; ++j) fprintf(stderr, " %s %.3f", names[j], v[j]);
    }
    fprintf(stderr, " ) lr %g\n", network_current_lr(net));
}

float train_on_scenes(network *net, uint64_t seed, int size, int classes, int iters, float *first)
{
    int batch = net->batch, in = network_inputs(net);
    float *x = malloc(sizeof(float) * batch * in), *truth = malloc(sizeof(float) * batch * DN_MAX_BOXES * 5);
    image *im = make_image(size, size, 3);
    float avg = 0;
    for (int it = 0; it < iters; ++it) {
        for (int i = 0; i < batch; ++i) {
            synth_object objs[SYNTH_MAX_OBJECTS];
            scene(seed, SYNTH_TRAIN, (uint64_t)it * batch + i, size, classes, im,
                  truth + (size_t)i * DN_MAX_BOXES * 5, objs);
            memcpy(x + (size_t)i * in, im->data, sizeof(float) * in);
        }
        float loss = train_network_step(net, x, truth);
        if (!it && first) *first = loss;
        avg = it ? 0.9f * avg + 0.1f * loss : loss;
        if (getenv("DN_VERBOSE") && it % 10 == 0) print_losses(net, it, loss);
    }
    free_image(im);
    free(x);
    free(truth);
    return avg;
}

/* The scene's ground truth as COCO entries of image `image_id`. */
static int add_gts(const synth_object *objs, int k, long long image_id, coco_gt *gts, int n_gts)
{
    for (int j = 0; j < k; ++j) {
        coco_gt *g = &gts[n_gts++];
        g->id = n_gts;
        g->image_id = image_id;
        g->category_id = objs[j].cls + 1;
        g->bbox[0] = objs[j].x, g->bbox[1] = objs[j].y, g->bbox[2] = objs[j].w, g->bbox[3] = objs[j].h;
        g->area = objs[j].area;
        g->iscrowd = objs[j].crowd;
    }
    return n_gts;
}

static int by_score(const void *a, const void *b)
{
    float x = ((const coco_det *)a)->score, y = ((const coco_det *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The network's detections on the current input as COCO entries: each box
 * with its best class (scored by that class's probability; boxes NMS zeroed
 * are left out), the best 100 (COCO's maxDets). */
static int add_dets(network *net, int size, long long image_id, coco_det *dets, int n_dets)
{
    int nd = 0, m = 0;
    detection *d = get_network_boxes(net, 0, &nd);
    coco_det *all = calloc(nd ? (size_t)nd : 1, sizeof *all);
    for (int j = 0; j < nd; ++j) {
        int cls = 0;
        for (int c = 1; c < d[j].classes; ++c)
            if (d[j].prob[c] > d[j].prob[cls]) cls = c;
        if (!(d[j].prob[cls] > 0)) continue;
        coco_det *o = &all[m++];
        o->image_id = image_id;
        o->category_id = cls + 1;
        o->bbox[0] = (d[j].bbox.x - d[j].bbox.w / 2) * size;
        o->bbox[1] = (d[j].bbox.y - d[j].bbox.h / 2) * size;
        o->bbox[2] = d[j].bbox.w * size;
        o->bbox[3] = d[j].bbox.h * size;
        o->score = d[j].prob[cls];
    }
    free_detections(d, nd);
    qsort(all, (size_t)m, sizeof *all, by_score);
    if (m > 100) m = 100;
    memcpy(dets + n_dets, all, sizeof *all * m);
    free(all);
    return n_dets + m;
}

double scenes_ap50(network *net, uint64_t seed, int size, int classes, int n, double *ap)
{
    int batch = net->batch;
    set_batch_network(net, 1);
    image *im = make_image(size, size, 3);
    coco_gt *gts = calloc((size_t)n * SYNTH_MAX_OBJECTS, sizeof *gts);
    coco_det *dets = calloc((size_t)n * 100, sizeof *dets);
    long long *ids = calloc((size_t)n, sizeof *ids);
    int n_gts = 0, n_dets = 0;
    for (int i = 0; i < n; ++i) {
        synth_object objs[SYNTH_MAX_OBJECTS];
        int k = scene(seed, SYNTH_VALID, (uint64_t)i, size, classes, im, NULL, objs);
        ids[i] = i + 1;
        n_gts = add_gts(objs, k, i + 1, gts, n_gts);
        network_predict(net, im->data);
        n_dets = add_dets(net, size, i + 1, dets, n_dets);
    }
    coco_eval_result r;
    double ap50 = -1;
    if (coco_evaluate(gts, n_gts, dets, n_dets, ids, n, NULL, 0, &r) == 0) {
        ap50 = r.stats[COCO_AP50];
        if (ap) *ap = r.stats[COCO_AP];
        coco_eval_free(&r);
    } else {
        test_fail(__FILE__, __LINE__, "coco_evaluate: %s", dn_last_error());
    }
    free(ids);
    free(dets);
    free(gts);
    free_image(im);
    set_batch_network(net, batch);
    return ap50;
}

int scene_full_run(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return getenv("DN_SLOW_TESTS") && !strcmp(getenv("DN_SLOW_TESTS"), "1");
#else
    return 1;
#endif
}

/* The scenes of the learning tests: 64 x 64, 3 classes. */
enum { SCENE_SIZE = 64, SCENE_CLASSES = 3 };

int learn_scenes(const char *cfg_text, int seed, int iters, int full, scene_learning *r)
{
    const char *path = temp_file(cfg_text);
    network *net = load_network_seeded(path, NULL, 1, (uint64_t)seed);
    unlink(path);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return -1;
    memset(r, 0, sizeof *r);
    r->before = scenes_ap50(net, 100 + seed, SCENE_SIZE, SCENE_CLASSES, full ? 100 : 5, NULL);
    r->last = train_on_scenes(net, seed, SCENE_SIZE, SCENE_CLASSES, iters, &r->first);
    r->ap50 = scenes_ap50(net, 100 + seed, SCENE_SIZE, SCENE_CLASSES, full ? 200 : 10, &r->ap);
    if (getenv("DN_VERBOSE"))
        fprintf(stderr, "    AP50 %.3f (before training %.3f), AP %.3f, loss %.3f -> %.3f\n", r->ap50, r->before,
                r->ap, r->first, r->last);
    free_network(net);
    return 0;
}
