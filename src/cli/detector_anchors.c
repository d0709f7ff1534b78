/* detector_anchors.c: `detector calc_anchors DATA -num_of_clusters N -width W
 * -height H`: darknet's command (AlexeyAB): the train= list's truth boxes in
 * pixels of a W x H network input, clustered by 1 - IoU (anchor_kmeans.h);
 * the anchors= line is printed and written to -out (anchors.txt), with the
 * mean IoU of each box with its best anchor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor_kmeans.h"
#include "args.h"
#include "atomic_file.h"
#include "commands.h"
#include "data_cfg.h"
#include "detector_cmds.h"
#include "errors.h"
#include "labels.h"

/* Every truth box of the list as w, h in pixels of a width x height input; NULL on error. */
static float *truth_shapes(const data_cfg *data, int width, int height, int *n_out)
{
    int n_images = 0, n = 0, cap = 1024;
    char **paths = read_image_list(data->train, &n_images);
    float *wh = paths ? malloc(sizeof(float) * 2 * cap) : NULL;
    for (int i = 0; wh && i < n_images; ++i) {
        char path[4096];
        box_label *labels = NULL;
        int m = find_label_file(paths[i], path, sizeof path) == 1 ? read_labels(path, data->classes, &labels, NULL, 1) : 0;
        if (m > 0 && n + m > cap) {
            while (n + m > cap) cap *= 2;
            float *grown = realloc(wh, sizeof(float) * 2 * cap);
            if (!grown) free(wh);
            wh = grown;
        }
        for (int j = 0; wh && j < m; ++j, ++n) wh[2 * n] = labels[j].b.w * width, wh[2 * n + 1] = labels[j].b.h * height;
        free(labels);
    }
    if (paths && !wh) dn_error("out of memory for the boxes of %s", data->train);
    free_string_list(paths, n_images);
    *n_out = n;
    return wh;
}

static int write_anchors(const char *path, const char *line)
{
    atomic_file f;
    if (atomic_file_open(&f, path)) return -1;
    fputs(line, f.fp);
    return atomic_file_commit(&f);
}

int detector_calc_anchors(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int k = arg_int(&a, "-num_of_clusters", 9), width = arg_int(&a, "-width", 416), height = arg_int(&a, "-height", 416);
    uint64_t seed = (uint64_t)arg_int(&a, "-seed", 1);
    const char *out = arg_str(&a, "-out", "anchors.txt"), *data_path = arg_pos(&a, 0);
    (void)arg_flag(&a, "-show");   /* darknet's: no window is ever opened here */
    if (args_check(&a) || !data_path || arg_pos(&a, 1) || k < 1 || k > 1000 || width < 1 || height < 1)
        return usage_error("detector");
    data_cfg *data = data_cfg_read(data_path);
    int n = 0, rc = 1;
    float *wh = NULL, *centres = malloc(sizeof(float) * 2 * k);
    if (data && !data->train) dn_error("%s names no train= list", data_path);
    else if (data && centres) wh = truth_shapes(data, width, height, &n);
    double iou = wh ? anchor_kmeans(wh, n, k, seed, centres) : -1;
    if (iou >= 0) {
        char line[32768];
        size_t len = (size_t)snprintf(line, sizeof line, "anchors = ");
        for (int c = 0; c < k; ++c)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%.0f,%.0f", c ? ", " : "", centres[2 * c],
                                    centres[2 * c + 1]);
        snprintf(line + len, sizeof line - len, "\n");
        printf("%d boxes of %s in %d clusters for a %d x %d input: avg IoU = %.2f %%\n%s", n, data->train, k, width,
               height, 100 * iou, line);
        if (!write_anchors(out, line)) {
            printf("written to %s\n", out);
            rc = 0;
        }
    }
    if (rc) fprintf(stderr, "darknet detector calc_anchors: %s\n", dn_last_error());
    free(wh);
    free(centres);
    data_cfg_free(data);
    return rc;
}
