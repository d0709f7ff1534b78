/* fuzz_coco.c: libFuzzer harness for COCO JSON and evaluation: the input is an
 * instances file, a NUL byte, then a results file. The results are read
 * against the instances when those load (else on their own), then evaluated
 * (COCO's twelve numbers, per-category AP, VOC mAP). Seeds: the instances
 * JSON of a `darknet synth` dataset with results made from its boxes
 * (scripts/fuzz.sh). */
#include <string.h>

#include "coco_eval.h"
#include "coco_json.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    size_t first = sep ? (size_t)(sep - data) : size;
    char gt_path[512], dt_path[512];
    fuzz_write("instances.json", data, first, gt_path);
    fuzz_write("results.json", sep ? sep + 1 : data, sep ? size - first - 1 : 0, dt_path);

    fuzz_begin();
    coco_dataset ds;
    memset(&ds, 0, sizeof ds);
    int have_gt = coco_load_instances(gt_path, &ds) == 0;
    coco_det *dets = NULL;
    int n = 0, unknown = 0;
    fuzz_begin();
    if (coco_load_results(dt_path, have_gt ? &ds : NULL, &dets, &n, &unknown) == 0 && have_gt) {
        fuzz_begin();
        coco_eval_result r;
        memset(&r, 0, sizeof r);
        if (coco_evaluate_dataset(&ds, dets, n, &r) == 0)
            for (int k = 0; k < r.n_cats; ++k) (void)coco_category_ap(&r, k);
        coco_eval_free(&r);
        fuzz_begin();
        voc_eval_result v;
        memset(&v, 0, sizeof v);
        static const int points[3] = {0, 11, 101};
        voc_evaluate(ds.annotations, ds.n_annotations, dets, n, 0.5, points[size % 3], &v);
        voc_eval_free(&v);
    }
    free(dets);
    coco_free_instances(&ds);
    return 0;
}
