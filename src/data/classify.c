/* classify.c: labels from image paths and top-k accuracy (see classify.h). */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_cfg.h"
#include "errors.h"
#include "loader.h"

enum { SHOWN_WARNINGS = 10 };

int label_from_path(const char *path, char *const *labels, int n_labels)
{
    int found = LABEL_NONE;
    for (int i = 0; i < n_labels; ++i) {
        if (!labels[i][0] || !strstr(path, labels[i])) continue;
        /* dropped when a longer label found in the path contains it */
        int covered = 0;
        for (int j = 0; j < n_labels && !covered; ++j)
            covered = j != i && strlen(labels[j]) > strlen(labels[i]) && strstr(labels[j], labels[i]) &&
                      strstr(path, labels[j]);
        if (covered) continue;
        if (found != LABEL_NONE) return LABEL_AMBIGUOUS;
        found = i;
    }
    return found;
}

void class_list_free(class_list *l)
{
    if (!l) return;
    free_string_list(l->paths, l->n + l->skipped);
    free(l->classes);
    memset(l, 0, sizeof *l);
}

int class_list_read(const char *list_path, char *const *labels, int n_labels, class_list *out)
{
    memset(out, 0, sizeof *out);
    int n = 0;
    char **paths = read_image_list(list_path, &n);
    if (!paths) return -1;
    int *classes = dn_calloc(n, sizeof(int));
    if (!classes) {
        free_string_list(paths, n);
        return -1;
    }
    /* labelled paths move to the front; the rest stay behind them to be freed */
    int kept = 0;
    for (int i = 0; i < n; ++i) {
        int c = label_from_path(paths[i], labels, n_labels);
        if (c < 0) {
            if (++out->skipped <= SHOWN_WARNINGS)
                dn_warn("warning: %s: %s; skipped", paths[i],
                        c == LABEL_NONE ? "no label name occurs in the path" : "several label names occur in the path");
            continue;
        }
        char *p = paths[kept];
        paths[kept] = paths[i];
        paths[i] = p;
        classes[kept++] = c;
    }
    if (out->skipped > SHOWN_WARNINGS)
        dn_warn("warning: %d more images of %s without a single label skipped", out->skipped - SHOWN_WARNINGS,
                list_path);
    out->paths = paths;
    out->classes = classes;
    out->n = kept;
    if (!kept) {
        class_list_free(out);
        return dn_error("no image of %s has a label name in its path (%d labels, e.g. '%s')", list_path, n_labels,
                        n_labels ? labels[0] : "");
    }
    return 0;
}

/* Whether entry a ranks before entry b in top_k's order (nms.c): higher
 * first, equal values by index, NaN as -infinity. */
static float key(float v) { return v == v ? v : -INFINITY; }
static int before(const float *p, int a, int b) { return key(p[a]) > key(p[b]) || (key(p[a]) == key(p[b]) && a < b); }

int in_top_k(const float *p, int n, int target, int k)
{
    if (p[target] != p[target]) return 0;   /* a NaN score is never right */
    int ahead = 0;
    for (int i = 0; i < n; ++i) ahead += i != target && before(p, i, target);
    return ahead < k;
}

void class_accuracy_add(class_accuracy *a, const float *p, int n, int target)
{
    a->images++;
    a->top1 += in_top_k(p, n, target, 1);
    a->topk += in_top_k(p, n, target, a->k);
}

int classifier_evaluate(network *net, const class_list *list, int classes, int k, int letterbox, int threads,
                        class_accuracy *out)
{
    *out = (class_accuracy){.k = k};
    if (network_outputs(net) != classes)
        return dn_error("the network gives %d outputs per image, not one per class (%d)", network_outputs(net),
                        classes);
    loader_config lc;
    loader_config_default(&lc);
    lc.paths = list->paths;
    lc.n_paths = list->n;
    lc.image_classes = list->classes;
    lc.classes = classes;
    lc.width = network_width(net);
    lc.height = network_height(net);
    lc.batch = network_batch(net);
    lc.threads = threads;
    lc.eval = 1;
    lc.letterbox = letterbox;
    loader *L = loader_open(&lc);
    float *x = dn_calloc((size_t)lc.batch * network_inputs(net), sizeof(float));
    loader_image_info *info = dn_calloc(lc.batch, sizeof *info);
    int got = -1;
    while (L && x && info && (got = loader_next(L, x, NULL, info)) > 0) {
        const float *p = network_predict(net, x);
        for (int i = 0; i < got; ++i)
            if (info[i].loaded) class_accuracy_add(out, p + (size_t)i * classes, classes, list->classes[info[i].index]);
    }
    loader_close(L);
    free(x);
    free(info);
    return got == 0 ? 0 : -1;
}
