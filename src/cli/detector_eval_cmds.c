/* detector_eval_cmds.c: `detector valid` (a COCO results JSON with the
 * original image and category ids) and `detector map` (COCO's twelve numbers
 * and VOC mAP), both through detector_evaluate(). */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "coco_json.h"
#include "commands.h"
#include "detector_cmds.h"
#include "detector_eval.h"
#include "dist.h"

typedef struct {
    data_cfg *data;
    network *net;
    detector_eval_options o;
    const char *out;
} eval_job;

/* Parses DATA CFG WEIGHTS and the evaluation flags. Returns 0, 1 (failure,
 * the message in dn_last_error() for the caller to print) or 2 (usage). */
static int open_job(int argc, char **argv, eval_job *j)
{
    args a;
    args_init(&a, argc, argv);
    j->o.thresh = arg_float(&a, "-thresh", 0.005f);
    j->o.iou_thresh = arg_float(&a, "-iou_thresh", 0.5f);
    j->o.points = arg_int(&a, "-points", 0);
    j->o.threads = arg_int(&a, "-threads", 2);
    j->out = arg_str(&a, "-out", "results.json");
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2);
    if (args_check(&a) || !weights || (j->o.points != 0 && j->o.points < 2)) return 2;
    return !(j->data = data_cfg_read(data)) || !(j->net = load_network_frozen(cfg, weights));
}

static void close_job(eval_job *j)
{
    free_network(j->net);
    data_cfg_free(j->data);
}

int detector_valid(int argc, char **argv)
{
    eval_job j = {0};
    int rc = open_job(argc, argv, &j);
    if (rc == 2) return usage_error("detector");
    detector_eval e = {0};
    if (!rc && detector_evaluate(j.net, j.data, &j.o, &e)) rc = 1;
    /* under mpirun every rank has all the results: rank 0 writes them */
    if (!rc && !dist_rank() && coco_save_results(j.out, e.dets, e.n_dets)) rc = 1;
    if (rc) fprintf(stderr, "darknet detector valid: %s\n", dn_last_error());
    else printf("%d detections on %d images written to %s\n", e.n_dets, e.images, j.out);
    detector_eval_free(&e);
    close_job(&j);
    return rc;
}

void print_detector_eval(const detector_eval *e, const detector_eval_options *o)
{
    printf("%d images, %d detections\n", e->images, e->n_dets);
    coco_print_stats(stdout, e->coco.stats);
    printf(" mean average precision (mAP@%.2f, %s) = %.4f\n", o->iou_thresh,
           o->points ? (o->points == 11 ? "11 points" : "101 points") : "area under curve", e->voc_map);
}

int detector_map(int argc, char **argv)
{
    eval_job j = {0};
    int rc = open_job(argc, argv, &j);
    if (rc == 2) return usage_error("detector");
    detector_eval e = {0};
    if (!rc && detector_evaluate(j.net, j.data, &j.o, &e)) rc = 1;
    if (rc) fprintf(stderr, "darknet detector map: %s\n", dn_last_error());
    else {
        print_detector_eval(&e, &j.o);
        detector_eval_free(&e);
    }
    close_job(&j);
    return rc;
}
