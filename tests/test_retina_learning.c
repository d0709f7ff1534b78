/* A small RetinaNet learns: trained in-process on synthetic detection scenes
 * (synth_detect_scene), it must find objects in held-out scenes (the
 * validation split) with a COCO AP50, computed in memory by coco_evaluate,
 * far above what an untrained one gets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coco_eval.h"
#include "network.h"
#include "synth_detect.h"
#include "test.h"

enum { S = 64, CLASSES = 3, BATCH = 16 };

/* darknet-style backbone to stride 16, FPN on P3 (8x8) and P4 (4x4) with 32
 * channels, one shared 3x3 conv per subnet. Anchors 12 and 24 pixels (x 1,
 * 1.26, 1.59): the scenes' objects are 6 to ~54 pixels at 64 x 64. */
static const char *cfg_text =
    "[net]\nbatch=16\nsubdivisions=1\nwidth=64\nheight=64\nchannels=3\n"
    "momentum=0.9\ndecay=0.0005\nlearning_rate=%g\nburn_in=%d\npower=1\npolicy=steps\n"
    "steps=%d\nscales=.1\nmax_batches=%d\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\npad=1\nactivation=leaky\n"   /* 0 */
    "[maxpool]\nsize=2\nstride=2\n"                                                        /* 1: 32 */
    "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\npad=1\nactivation=leaky\n"   /* 2 */
    "[maxpool]\nsize=2\nstride=2\n"                                                        /* 3: 16 */
    "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\npad=1\nactivation=leaky\n"   /* 4 */
    "[maxpool]\nsize=2\nstride=2\n"                                                        /* 5: 8 */
    "[convolutional]\nbatch_normalize=1\nfilters=64\nsize=3\npad=1\nactivation=leaky\n"   /* 6: C3 */
    "[maxpool]\nsize=2\nstride=2\n"                                                        /* 7: 4 */
    "[convolutional]\nbatch_normalize=1\nfilters=64\nsize=3\npad=1\nactivation=leaky\n"   /* 8: C4 */
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

/* Draws scene `index` into x and its truth (crowd regions left out, as the
 * darknet labels do). Returns the scene's entries in objs. */
static int scene(uint64_t seed, synth_split split, uint64_t index, image *im, float *truth, synth_object *objs)
{
    int n = synth_detect_scene(seed, split, index, CLASSES, im, objs, SYNTH_MAX_OBJECTS);
    if (truth) {
        memset(truth, 0, sizeof(float) * DN_MAX_BOXES * 5);
        int t = 0;
        for (int i = 0; i < n && t < DN_MAX_BOXES; ++i) {
            if (objs[i].crowd) continue;
            float *b = truth + 5 * t++;
            b[0] = (objs[i].x + objs[i].w * 0.5f) / S;
            b[1] = (objs[i].y + objs[i].h * 0.5f) / S;
            b[2] = (float)objs[i].w / S;
            b[3] = (float)objs[i].h / S;
            b[4] = (float)objs[i].cls;
        }
    }
    return n;
}

/* COCO AP50 on n validation scenes (image ids 1..n). */
static double held_out_ap50(network *net, uint64_t seed, int n, double *ap)
{
    set_batch_network(net, 1);
    image *im = make_image(S, S, 3);
    coco_gt *gts = calloc((size_t)n * SYNTH_MAX_OBJECTS, sizeof *gts);
    coco_det *dets = calloc((size_t)n * 100, sizeof *dets);
    long long *ids = calloc((size_t)n, sizeof *ids);
    int n_gts = 0, n_dets = 0;
    for (int i = 0; i < n; ++i) {
        synth_object objs[SYNTH_MAX_OBJECTS];
        int k = scene(seed, SYNTH_VALID, (uint64_t)i, im, NULL, objs);
        ids[i] = i + 1;
        for (int j = 0; j < k; ++j) {
            coco_gt *g = &gts[n_gts++];
            g->id = n_gts;
            g->image_id = i + 1;
            g->category_id = objs[j].cls + 1;
            g->bbox[0] = objs[j].x, g->bbox[1] = objs[j].y, g->bbox[2] = objs[j].w, g->bbox[3] = objs[j].h;
            g->area = objs[j].area;
            g->iscrowd = objs[j].crowd;
        }
        network_predict(net, im->data);
        int nd = 0;
        detection *d = get_network_boxes(net, 0, &nd);
        for (int j = 0; j < nd && j < 100; ++j) {
            int cls = 0;
            for (int c = 1; c < d[j].classes; ++c)
                if (d[j].prob[c] > d[j].prob[cls]) cls = c;
            coco_det *o = &dets[n_dets++];
            o->image_id = i + 1;
            o->category_id = cls + 1;
            o->bbox[0] = (d[j].bbox.x - d[j].bbox.w / 2) * S;
            o->bbox[1] = (d[j].bbox.y - d[j].bbox.h / 2) * S;
            o->bbox[2] = d[j].bbox.w * S;
            o->bbox[3] = d[j].bbox.h * S;
            o->score = d[j].objectness;
        }
        free_detections(d, nd);
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
    set_batch_network(net, BATCH);
    return ap50;
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v ? atoi(v) : def;
}

/* 300 steps of 16 images (~27 s on 2 cores). Held-out AP50 (200 validation
 * scenes, crowd regions as ignore areas) seen with seeds 1, 2, 3: 0.160,
 * 0.127, 0.159; untrained 0.000. lr 0.05 diverges (NaN by step 90), 0.03
 * gives 0.143 (seed 1). Under AddressSanitizer (several times slower) only
 * 10 steps run, checking that the loss stays finite, unless DN_SLOW_TESTS=1.
 * DN_RL_ITERS, DN_RL_SEED, DN_RL_LR and DN_VERBOSE=1 are for experiments. */
TEST(retina_learns_synthetic_scenes)
{
    int full = 1;
#if defined(__SANITIZE_ADDRESS__)
    full = getenv("DN_SLOW_TESTS") && !strcmp(getenv("DN_SLOW_TESTS"), "1");
#endif
    int iters = env_int("DN_RL_ITERS", full ? 300 : 10), seed = env_int("DN_RL_SEED", 1);
    float lr = getenv("DN_RL_LR") ? (float)atof(getenv("DN_RL_LR")) : 0.02f;
    char text[8192];
    snprintf(text, sizeof text, cfg_text, lr, iters / 10, iters * 4 / 5, iters);
    const char *path = temp_file(text);
    network *net = load_network_seeded(path, NULL, 1, (uint64_t)seed);
    unlink(path);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return;
    int in = network_inputs(net);
    CHECK(network_truths(net) == DN_MAX_BOXES * 5);
    float *x = malloc(sizeof(float) * BATCH * in), *truth = malloc(sizeof(float) * BATCH * DN_MAX_BOXES * 5);
    image *im = make_image(S, S, 3);
    double before = held_out_ap50(net, 100 + seed, full ? 100 : 5, NULL);
    float first = 0, last = 0;
    for (int it = 0; it < iters; ++it) {
        for (int i = 0; i < BATCH; ++i) {
            synth_object objs[SYNTH_MAX_OBJECTS];
            scene(seed, SYNTH_TRAIN, (uint64_t)it * BATCH + i, im, truth + (size_t)i * DN_MAX_BOXES * 5, objs);
            memcpy(x + (size_t)i * in, im->data, sizeof(float) * in);
        }
        float loss = train_network_step(net, x, truth);
        if (!it) first = loss;
        last = 0.9f * last + 0.1f * loss;
        if (getenv("DN_VERBOSE") && it % 10 == 0) {
            const layer *r = &net->layers[net->n - 1];
            const char *names[2];
            float v[2];
            r->ops->named_losses(r, names, v, 2);
            fprintf(stderr, "    %d: loss %.3f (%s %.3f, %s %.3f) lr %g\n", it, loss, names[0], v[0], names[1], v[1],
                    network_current_lr(net));
        }
    }
    double ap = 0, ap50 = held_out_ap50(net, 100 + seed, full ? 200 : 10, &ap);
    if (getenv("DN_VERBOSE"))
        fprintf(stderr, "    AP50 %.3f (before training %.3f), AP %.3f, loss %.3f -> %.3f\n", ap50, before, ap,
                first, last);
    CHECK_MSG(isfinite(last), "loss %.3f -> %.3f", first, last);
    if (full)
        CHECK_MSG(ap50 >= 0.08, "held-out AP50 %.3f (untrained %.3f), loss %.3f -> %.3f", ap50, before, first,
                  last);
    free_image(im);
    free(x);
    free(truth);
    free_network(net);
}
