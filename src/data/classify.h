/* classify.h: darknet's image-classification datasets: the class of an
 * image is the label name that appears in its path (e.g. the `circle` of
 * images/train/circle_000123.png), and top-k accuracy. */
#ifndef DN_CLASSIFY_H
#define DN_CLASSIFY_H

#include <stdint.h>

#include "darknet.h"

enum { LABEL_NONE = -1, LABEL_AMBIGUOUS = -2 };

/* The label of `path`: darknet marks every label whose name occurs anywhere
 * in the path (strstr, case-sensitive) and complains unless exactly one
 * does. Here a label found in the path is dropped when it is part of another
 * label found there (cat inside bobcat: "bobcat_1.png" is a bobcat, so the
 * longest name wins); if exactly one label is left it is the answer.
 * Returns its index, LABEL_NONE when no label occurs, LABEL_AMBIGUOUS when
 * several unrelated ones do ("cat/dog_1.png"). Empty names never match. */
int label_from_path(const char *path, char *const *labels, int n_labels);

/* An image list with a class per image. */
typedef struct {
    char **paths;
    int *classes;
    int n;
    int skipped;            /* list entries without (or with an ambiguous) label */
} class_list;

/* Reads an image list (read_image_list) and labels each image with
 * label_from_path. Images that match no label, or several, are left out
 * with a warning each (the first 10; the rest are counted in one line).
 * Returns 0, or -1 when the list cannot be read or no image is left. */
int class_list_read(const char *list_path, char *const *labels, int n_labels, class_list *out);
void class_list_free(class_list *l);

/* Whether class `target` is among the top k of p[0..n) in top_k's order
 * (nms.h: a tie counts for the lower index; NaN ranks as -infinity); a NaN
 * score is never among them. */
int in_top_k(const float *p, int n, int target, int k);

/* Running top-1 / top-k counts. */
typedef struct {
    int k;
    int64_t images, top1, topk;
} class_accuracy;

void class_accuracy_add(class_accuracy *a, const float *p, int n, int target);

/* Top-1 and top-k accuracy (out->k = k) of net, whose last layer gives
 * `classes` scores per image, on the images of `list`, loaded by the
 * threaded loader in evaluation mode (plain resize to the network size, or
 * letterbox). Unreadable images are warned about and left out. 0 or -1. */
int classifier_evaluate(network *net, const class_list *list, int classes, int k, int letterbox, int threads,
                        class_accuracy *out);

#endif
