#include "chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"
#include "image.h"

enum { W = 900, H = 540, LEFT = 70, RIGHT = 70, TOP = 50, BOTTOM = 50 };

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Top of the loss axis: the 98th percentile with headroom, so the spikes of
 * the first iterations do not flatten the rest of the curve. */
static float loss_axis_top(const float *loss, int n)
{
    float *sorted = malloc(sizeof(float) * n);
    if (!sorted) return 1;
    int k = 0;
    for (int i = 0; i < n; ++i)
        if (loss[i] == loss[i]) sorted[k++] = loss[i];
    float top = 1;
    if (k) {
        qsort(sorted, k, sizeof(float), cmp_float);
        top = sorted[(k - 1) * 98 / 100] * 1.2f;
    }
    free(sorted);
    return top > 0 ? top : 1;
}

static void draw_axes(image *im, float loss_top, int max_iter, int with_map)
{
    const float grey[3] = {0.85f, 0.85f, 0.85f}, black[3] = {0, 0, 0}, red[3] = {0.8f, 0.1f, 0.1f};
    int x0 = LEFT, x1 = W - RIGHT, y0 = TOP, y1 = H - BOTTOM;
    char label[32];
    for (int i = 0; i <= 5; ++i) {
        int y = y1 - (y1 - y0) * i / 5, x = x0 + (x1 - x0) * i / 5;
        draw_line(im, x0, y, x1, y, 1, grey);
        draw_line(im, x, y0, x, y1, 1, grey);
        snprintf(label, sizeof label, "%.3g", loss_top * i / 5);
        draw_text(im, x0 - 8 - text_width(label, 2), y - text_height(2) / 2, label, 2, black);
        snprintf(label, sizeof label, "%d", max_iter * i / 5);
        draw_text(im, x - text_width(label, 2) / 2, y1 + 8, label, 2, black);
        if (with_map) {
            snprintf(label, sizeof label, "%d%%", 20 * i);
            draw_text(im, x1 + 8, y - text_height(2) / 2, label, 2, red);
        }
    }
    draw_rect(im, x0, y0, x1, y1, 2, black);
    draw_text(im, x0, H - 20, "iteration", 2, black);
}

int save_chart(const char *path, const chart_data *d)
{
    image *im = make_image_fill(W, H, 3, 1.0f);
    if (!im) return -1;
    int max_iter = d->max_iter > d->n_loss ? d->max_iter : d->n_loss;
    if (max_iter < 1) max_iter = 1;
    float top = loss_axis_top(d->loss, d->n_loss);
    draw_axes(im, top, max_iter, d->n_map > 0);
    const float blue[3] = {0.1f, 0.3f, 0.9f}, red[3] = {0.8f, 0.1f, 0.1f}, black[3] = {0, 0, 0};
    int x0 = LEFT, x1 = W - RIGHT, y0 = TOP, y1 = H - BOTTOM, px = -1, py = -1;
    for (int i = 0; i < d->n_loss; ++i) {
        if (d->loss[i] != d->loss[i]) continue; /* NaN: leave a gap */
        float v = d->loss[i] > top ? top : d->loss[i];
        int x = x0 + (int)((long)(x1 - x0) * (i + 1) / max_iter), y = y1 - (int)((y1 - y0) * v / top);
        if (px >= 0) draw_line(im, px, py, x, y, 2, blue);
        px = x;
        py = y;
    }
    for (int i = 0; i < d->n_map; ++i) {
        int x = x0 + (int)((long)(x1 - x0) * d->map_iter[i] / max_iter), y = y1 - (int)((y1 - y0) * d->map[i]);
        fill_rect(im, x - 4, y - 4, x + 4, y + 4, red);
        char label[16];
        snprintf(label, sizeof label, "%.1f%%", 100 * d->map[i]);
        draw_text(im, x - text_width(label, 2) / 2, y - 12 - text_height(2), label, 2, red);
    }
    char title[160];
    if (d->n_loss > 0)
        snprintf(title, sizeof title, "%s  loss %.4f at iteration %d", d->title ? d->title : "",
                 d->loss[d->n_loss - 1], d->n_loss);
    else
        snprintf(title, sizeof title, "%s", d->title ? d->title : "");
    draw_text(im, LEFT, 14, title, 2, black);
    const char *metric = d->metric ? d->metric : "mAP";
    if (d->n_map) draw_text(im, W - RIGHT - text_width(metric, 2), 14, metric, 2, red);
    int status = save_image(im, path);
    free_image(im);
    return status;
}
