/* plot.c: line plots with error bars (see plot.h). */
#include "plot.h"

#include <stdio.h>

#include "darknet.h"
#include "image.h"

enum { W = 900, H = 540, LEFT = 80, RIGHT = 40, TOP = 50, BOTTOM = 60, TICKS = 5 };

typedef struct {
    double x_min, x_max, y_max;
} plot_range;

static plot_range range_of(const plot_data *p)
{
    plot_range r = {1e300, -1e300, 0};
    for (int s = 0; s < p->n_series; ++s)
        for (int i = 0; i < p->series[s].n; ++i) {
            const plot_series *e = &p->series[s];
            double top = e->y[i] + (e->err ? e->err[i] : 0);
            if (e->x[i] < r.x_min) r.x_min = e->x[i];
            if (e->x[i] > r.x_max) r.x_max = e->x[i];
            if (top > r.y_max) r.y_max = top;
        }
    if (r.x_max <= r.x_min) r.x_max = r.x_min + 1;   /* one point: still an axis */
    r.y_max = r.y_max > 0 ? r.y_max * 1.15 : 1;
    return r;
}

static int px(const plot_range *r, double x) { return LEFT + (int)((W - LEFT - RIGHT) * (x - r->x_min) / (r->x_max - r->x_min)); }
static int py(const plot_range *r, double y) { return H - BOTTOM - (int)((H - TOP - BOTTOM) * y / r->y_max); }

static void draw_axes(image *im, const plot_range *r, const plot_data *p)
{
    const float grey[3] = {0.85f, 0.85f, 0.85f}, black[3] = {0, 0, 0};
    char label[32];
    for (int i = 0; i <= TICKS; ++i) {
        double x = r->x_min + (r->x_max - r->x_min) * i / TICKS, y = r->y_max * i / TICKS;
        draw_line(im, LEFT, py(r, y), W - RIGHT, py(r, y), 1, grey);
        draw_line(im, px(r, x), TOP, px(r, x), H - BOTTOM, 1, grey);
        snprintf(label, sizeof label, "%.3g", y);
        draw_text(im, LEFT - 8 - text_width(label, 2), py(r, y) - text_height(2) / 2, label, 2, black);
        snprintf(label, sizeof label, "%.4g", x);
        draw_text(im, px(r, x) - text_width(label, 2) / 2, H - BOTTOM + 8, label, 2, black);
    }
    draw_rect(im, LEFT, TOP, W - RIGHT, H - BOTTOM, 2, black);
    draw_text(im, LEFT, 14, p->title ? p->title : "", 2, black);
    draw_text(im, (W - text_width(p->x_label, 2)) / 2, H - 24, p->x_label ? p->x_label : "", 2, black);
    draw_text(im, 8, TOP - 32, p->y_label ? p->y_label : "", 2, black);
}

static void draw_series(image *im, const plot_range *r, const plot_series *e, int k)
{
    float rgb[3];
    class_color(k, rgb);
    for (int i = 0; i < e->n; ++i) {
        int x = px(r, e->x[i]), y = py(r, e->y[i]);
        if (i) draw_line(im, px(r, e->x[i - 1]), py(r, e->y[i - 1]), x, y, 2, rgb);
        fill_rect(im, x - 4, y - 4, x + 4, y + 4, rgb);
        if (e->err && e->err[i] > 0) {
            int lo = py(r, e->y[i] - e->err[i]), hi = py(r, e->y[i] + e->err[i]);
            draw_line(im, x, lo, x, hi, 2, rgb);
            draw_line(im, x - 6, lo, x + 6, lo, 2, rgb);
            draw_line(im, x - 6, hi, x + 6, hi, 2, rgb);
        }
    }
    int lx = W - RIGHT - 200, ly = TOP + 12 + k * (text_height(2) + 8);
    fill_rect(im, lx, ly + 2, lx + 16, ly + text_height(2) - 2, rgb);
    draw_text(im, lx + 24, ly, e->name ? e->name : "", 2, rgb);
}

int save_plot(const char *path, const plot_data *p)
{
    image *im = make_image_fill(W, H, 3, 1.0f);
    if (!im) return -1;
    plot_range r = range_of(p);
    draw_axes(im, &r, p);
    for (int s = 0; s < p->n_series; ++s) draw_series(im, &r, &p->series[s], s);
    int status = save_image(im, path);
    free_image(im);
    return status;
}
