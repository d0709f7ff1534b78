/* coco.c: `darknet coco SUBCOMMAND`: tools for COCO's JSON files.
 * `coco import` makes a darknet dataset of an instances file; `coco eval INSTANCES RESULTS` prints the twelve COCO box numbers exactly as
 * pycocotools' COCOeval.summarize() does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "coco_eval.h"
#include "coco_import.h"
#include "coco_json.h"
#include "commands.h"
#include "darknet.h"

const char usage_coco[] =
    "coco import INSTANCES.json IMAGE_DIR OUT_DIR\n"
    "      make a darknet dataset of a COCO instances file: labels (crowd regions left to\n"
    "      the JSON), image links and list, coco.names and coco.data (80 classes from ids 1..90)\n"
    "  coco eval INSTANCES.json RESULTS.json [-classes] [-voc] [-points N] [-iou_thresh T]\n"
    "      COCO box AP/AR of a results file, as pycocotools' COCOeval prints them;\n"
    "      -classes adds each category's AP; -voc adds darknet-style mAP at -iou_thresh\n"
    "      (default 0.5) with -points 0 (area under the curve, default), 11 (VOC2007) or 101\n";

static int print_voc(const coco_dataset *ds, const coco_det *dets, int n, double iou, int points, int classes)
{
    voc_eval_result v;
    if (voc_evaluate(ds->annotations, ds->n_annotations, dets, n, iou, points, &v)) return -1;
    if (classes)
        for (int k = 0; k < v.n_classes; ++k) {
            const char *name = "?";
            for (int c = 0; c < ds->n_categories; ++c)
                if (ds->categories[c].id == v.class_ids[k]) name = ds->categories[c].name;
            if (v.ap[k] >= 0)
                printf(" class %d (%s): AP@%.2f = %.4f, %d ground truths\n", v.class_ids[k], name, iou, v.ap[k],
                       v.n_gt[k]);
        }
    printf(" IoU threshold = %g %%, ", iou * 100);
    if (points) printf("used %d Recall-points\n", points);
    else printf("used Area-Under-Curve for each unique Recall\n");
    printf(" mean average precision (mAP@%.2f) = %f, or %.2f %% (over %d classes with ground truth)\n", iou,
           v.map, v.map * 100, v.n_with_gt);
    voc_eval_free(&v);
    return 0;
}

static int coco_eval_main(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int classes = arg_flag(&a, "-classes"), voc = arg_flag(&a, "-voc");
    int points = arg_int(&a, "-points", 0);
    const char *iou_text = arg_str(&a, "-iou_thresh", "0.5");
    const char *inst = arg_pos(&a, 0), *res = arg_pos(&a, 1), *extra = arg_pos(&a, 2);
    if (args_check(&a) || !inst || !res || extra) return usage_error("coco");
    char *end;
    double iou = strtod(iou_text, &end);
    if (*end || end == iou_text || !(iou >= 0 && iou < 1)) {
        fprintf(stderr, "darknet coco eval: -iou_thresh must be a number in [0, 1), got '%s'\n", iou_text);
        return usage_error("coco");
    }
    if (points != 0 && (points < 2 || points > 100000)) {
        fprintf(stderr, "darknet coco eval: -points must be 0, 11, 101 or another count >= 2, got %d\n", points);
        return usage_error("coco");
    }

    coco_dataset ds;
    coco_det *dets = NULL;
    int n = 0, unknown = 0, rc = 1;
    if (coco_load_instances(inst, &ds)) {
        fprintf(stderr, "darknet coco eval: %s\n", dn_last_error());
        return 1;
    }
    coco_eval_result r = {0};
    if (coco_load_results(res, &ds, &dets, &n, &unknown)) goto done;
    if (unknown)
        fprintf(stderr, "darknet coco eval: note: %d of %d detections in %s have a category_id that %s does not "
                        "list; they are left out, as pycocotools does\n", unknown, n, res, inst);
    fprintf(stderr, "evaluating %d detections on %d images, %d categories, %d annotations\n", n, ds.n_images,
            ds.n_categories, ds.n_annotations);
    if (coco_evaluate_dataset(&ds, dets, n, &r)) goto done;
    coco_print_stats(stdout, r.stats);
    if (classes)
        for (int k = 0; k < r.n_cats; ++k) {
            const char *name = "?";
            for (int c = 0; c < ds.n_categories; ++c)
                if (ds.categories[c].id == r.cat_ids[k]) name = ds.categories[c].name;
            double ap = coco_category_ap(&r, k);
            if (ap >= 0) printf(" category %d (%s): AP@[.50:.95] = %.3f\n", r.cat_ids[k], name, ap);
            else printf(" category %d (%s): no ground truth\n", r.cat_ids[k], name);
        }
    if (voc && print_voc(&ds, dets, n, iou, points, classes)) goto done;
    rc = 0;
done:
    if (rc) fprintf(stderr, "darknet coco eval: %s\n", dn_last_error());
    coco_eval_free(&r);
    free(dets);
    coco_free_instances(&ds);
    return rc;
}

static int coco_import_main(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    const char *instances = arg_pos(&a, 0), *image_dir = arg_pos(&a, 1), *out_dir = arg_pos(&a, 2);
    if (args_check(&a) || !out_dir) return usage_error("coco");
    coco_import_stats st;
    if (coco_import(instances, image_dir, out_dir, &st)) {
        fprintf(stderr, "darknet coco import: %s\n", dn_last_error());
        return 1;
    }
    printf("%s: %d images, %d boxes in %d classes; %d crowd regions kept for evaluation only, "
           "%d empty boxes skipped\n", st.split, st.images, st.labels_written, st.classes, st.crowd_skipped,
           st.degenerate_skipped);
    printf("wrote %s/coco.data\n", out_dir);
    return 0;
}

int run_coco(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"eval", coco_eval_main},
        {"import", coco_import_main},
    };
    return run_subcommand("coco", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}
