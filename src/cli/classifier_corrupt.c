/* classifier_corrupt.c: a classifier's accuracy on the corrupted validation
 * sets a .data names with corrupt= (corrupt_sets.h; `darknet synth -corrupt`
 * writes them): each set, the mean per corruption and over all sets, as the
 * robustness tables of ImageNet-C and "Are Large Kernels Better Teachers". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_cmds.h"
#include "corrupt_sets.h"
#include "errors.h"

void corrupt_results_free(corrupt_result *r, int n)
{
    for (int i = 0; i < n; ++i) free(r[i].kind);
    free(r);
}

int classifier_corrupt_accuracy(const data_cfg *d, network *net, const char *cfg, int threads, corrupt_result **out,
                                int *n)
{
    *out = NULL, *n = 0;
    if (!d->corrupt) return dn_error("%s names no corrupt= index of corrupted validation sets", d->path);
    corrupt_set *sets;
    int n_sets, rc = corrupt_index_read(d->corrupt, &sets, &n_sets);
    corrupt_result *r = rc ? NULL : dn_calloc((size_t)n_sets, sizeof *r);
    for (int i = 0; r && i < n_sets && !rc; ++i) {
        data_cfg one = *d;   /* the same labels and top=, this set's list */
        one.valid = sets[i].list;
        int skipped;
        r[i].severity = sets[i].severity;
        if (!(r[i].kind = dn_strdup(sets[i].kind)) ||
            classifier_valid_accuracy(&one, net, cfg, threads, &r[i].acc, &skipped))
            rc = -1;
    }
    if (!rc && r) *out = r, *n = n_sets;
    else corrupt_results_free(r, r ? n_sets : 0), rc = -1;
    corrupt_sets_free(sets, n_sets);
    return rc;
}

static double top1(const class_accuracy *a) { return a->images ? (double)a->top1 / a->images : 0; }

double corrupt_mean_top1(const corrupt_result *r, int n)
{
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += top1(&r[i].acc);
    return n ? sum / n : 0;
}

/* One line per corruption (in first-seen order): top-1 by severity and their mean. */
void corrupt_results_print(const corrupt_result *r, int n)
{
    for (int i = 0; i < n; ++i) {
        int first = 1, count = 0;
        for (int j = 0; j < i && first; ++j) first = strcmp(r[j].kind, r[i].kind) != 0;
        if (!first) continue;
        double sum = 0;
        printf("  %-18s", r[i].kind);
        for (int j = i; j < n; ++j)
            if (!strcmp(r[j].kind, r[i].kind)) {
                printf(" %d: %.4f", r[j].severity, top1(&r[j].acc));
                sum += top1(&r[j].acc), ++count;
            }
        printf("   mean %.4f\n", sum / count);
    }
}
