/* test_detector_eval.c: scoring a detector's output against darknet labels
 * and against COCO JSON gives the same numbers for the same images. */
#include <stdlib.h>
#include <string.h>

#include "data_cfg.h"
#include "data_test_util.h"
#include "detector_eval.h"
#include "labels.h"
#include "rng.h"

enum { SCENES = 24, SIDE = 96 };

/* Detections made from the truth: each box kept with probability 0.8,
 * shifted and scaled by fractions of its size (never exact IoU thresholds),
 * a random score; plus a false positive per image. Ids are list index and
 * class, as detector_score() takes them. */
static coco_det *noisy_detections(char **paths, int n, int *count)
{
    coco_det *d = calloc((size_t)n * 20, sizeof *d);
    rng_state r;
    rng_seed(&r, 7);
    int k = 0;
    for (int i = 0; i < n; ++i) {
        char path[512];
        box_label *labels = NULL;
        int m = find_label_file(paths[i], path, sizeof path) == 1 ? read_labels(path, 0, &labels, NULL, 0) : 0;
        for (int j = 0; j < m && k < n * 20 - 1; ++j) {
            if (rng_uniform(&r) < 0.2f) continue;
            box b = labels[j].b;
            float w = b.w * SIDE * (0.8f + 0.4f * rng_uniform(&r)), h = b.h * SIDE * (0.8f + 0.4f * rng_uniform(&r));
            float x = (b.x * SIDE - w / 2) + (rng_uniform(&r) - 0.5f) * 0.3f * w;
            float y = (b.y * SIDE - h / 2) + (rng_uniform(&r) - 0.5f) * 0.3f * h;
            d[k++] = (coco_det){i, labels[j].id, {x, y, w, h}, rng_uniform(&r)};
        }
        d[k++] = (coco_det){i, i % 3, {10.3f, 20.7f, 15.1f, 12.9f}, rng_uniform(&r)};
        free(labels);
    }
    *count = k;
    return d;
}

static int score_with(const data_cfg *data, char **paths, int n, const coco_det *dets, int n_dets,
                      detector_eval *e)
{
    int w[SCENES], h[SCENES];
    for (int i = 0; i < n; ++i) w[i] = h[i] = SIDE;
    memset(e, 0, sizeof *e);
    e->dets = malloc(sizeof *dets * n_dets);
    memcpy(e->dets, dets, sizeof *dets * n_dets);
    e->n_dets = e->cap_dets = n_dets;
    detector_eval_options o = {0.005f, 0.5, 0, 1};
    int rc = detector_score(data, paths, n, w, h, &o, e);
    CHECK_MSG(rc == 0, "%s", dn_last_error());
    return rc;
}

/* The training split has no crowd regions, so labels and JSON hold the same
 * objects; only the area ranges differ (COCO's area is the visible mask's,
 * labels know only the box), so AP small/medium/large are left out. */
TEST(map_on_darknet_labels_equals_map_on_coco_json_for_the_same_images)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    synth_options so = {dir, SCENES, 2, SIDE, 3, 5, 0, 0, 0};
    CHECK(synth_write_dataset(&so, NULL) == 0);
    data_cfg *data = data_cfg_read(join(dir, "synth.data"));
    int n = 0;
    char **paths = data ? read_image_list(data->train, &n) : NULL;
    CHECK(paths && n == SCENES);
    if (!paths) goto done;
    free(data->coco_json);
    data->coco_json = strdup(join(dir, "annotations/instances_train.json"));
    int n_dets;
    coco_det *dets = noisy_detections(paths, n, &n_dets);
    detector_eval json, labels;
    if (!score_with(data, paths, n, dets, n_dets, &json)) {
        free(data->coco_json);
        data->coco_json = NULL;
        if (!score_with(data, paths, n, dets, n_dets, &labels)) {
            CHECK_MSG(json.coco.stats[1] > 0.3 && json.coco.stats[1] < 0.95, "AP50 %g", json.coco.stats[1]);
            const int same[] = {0, 1, 2, 6, 7, 8};
            for (int s = 0; s < 6; ++s) CHECK_NEAR(labels.coco.stats[same[s]], json.coco.stats[same[s]], 1e-12);
            CHECK_NEAR(labels.voc_map, json.voc_map, 1e-12);
            detector_eval_free(&labels);
        }
        detector_eval_free(&json);
    }
    free(dets);
done:
    free_string_list(paths, n);
    data_cfg_free(data);
    remove_tree(dir);
}

/* Labels that are all somewhere else (a typo in the layout) must not score
 * as a dataset without objects. */
TEST(map_without_any_label_file_is_an_error_naming_the_expected_path)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    synth_options so = {dir, 3, 1, 64, 2, 5, 0, 0, 0};
    CHECK(synth_write_dataset(&so, NULL) == 0);
    data_cfg *data = data_cfg_read(join(dir, "synth.data"));
    int n = 0;
    char **paths = data ? read_image_list(data->train, &n) : NULL;
    if (paths) {
        free(data->coco_json);
        data->coco_json = NULL;
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -r %s/labels", dir);
        CHECK(system(cmd) == 0);
        detector_eval e = {0};
        int w[3] = {64, 64, 64};
        detector_eval_options o = {0.005f, 0.5, 0, 1};
        dn_clear_error();
        CHECK(detector_score(data, paths, n, w, w, &o, &e) != 0);
        CHECK_MSG(strstr(dn_last_error(), "no label file") && strstr(dn_last_error(), "labels/train/000001.txt"),
                  "%s", dn_last_error());
        dn_clear_error();
    }
    free_string_list(paths, n);
    data_cfg_free(data);
    remove_tree(dir);
}
