/* distill_erf.c: the ERF panels of `distill compare -erf` (see distill_erf.h). */
#include "distill_erf.h"

#include <limits.h>
#include <stdio.h>

#include "data_cfg.h"
#include "erf.h"

/* One panel: the ERF of `layer` of cfg + weights, saved as DIR/erf_NAME.png. */
static image *erf_panel(const char *out, char **paths, int n, const char *name, const char *cfg,
                        const char *weights, int layer, FILE *txt)
{
    network *net = load_network(cfg, weights, 0);
    image *im = NULL;
    if (!net || set_batch_network(net, 1)) {
        free_network(net);
        return NULL;
    }
    char title[64], path[PATH_MAX + 64];
    snprintf(title, sizeof title, "%s layer %d", name, layer);
    erf_summary s;
    if (!erf_check_layer(net, layer) && (im = erf_picture(net, layer, paths, n, ERF_GRAD_ABS, title, &s, NULL, NULL))) {
        snprintf(path, sizeof path, "%s/erf_%s.png", out, name);
        if (save_image(im, path)) {
            free_image(im);
            im = NULL;
        } else {
            char line[256];
            snprintf(line, sizeof line, "erf %s layer=%d images=%d area20=%.6f area30=%.6f area50=%.6f area99=%.6f\n",
                     name, layer, s.used, s.area[0], s.area[1], s.area[2], s.area[3]);
            fputs(line, stdout);
            fputs(line, txt);
        }
    }
    free_network(net);
    return im;
}

int compare_erfs(const char *out, const char *list, int n_max, const erf_models *m, FILE *txt)
{
    int n = 0, rc = -1;
    char **paths = read_image_list(list, &n);
    if (!paths) return -1;
    int used = n < n_max ? n : n_max;
    printf("ERF of the paired layers over %d images of %s\n", used, list);
    image *im[3] = {erf_panel(out, paths, used, "teacher", m->teacher_cfg, m->teacher_weights, m->teacher_layer, txt),
                    NULL, NULL};
    if (im[0]) im[1] = erf_panel(out, paths, used, "baseline", m->student_cfg, m->baseline_weights, m->student_layer, txt);
    if (im[1])
        im[2] = erf_panel(out, paths, used, "distilled", m->student_cfg, m->distilled_weights, m->student_layer, txt);
    if (im[2]) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/erf_compare.png", out);
        image *strip = images_side_by_side((const image *const *)im, 3, 8);
        if (strip && !save_image(strip, path)) {
            printf("ERF heat maps (teacher | baseline | distilled) in %s\n", path);
            rc = 0;
        }
        free_image(strip);
    }
    for (int i = 0; i < 3; ++i) free_image(im[i]);
    free_string_list(paths, n);
    return rc;
}
