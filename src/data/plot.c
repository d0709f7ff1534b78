/* plot.c: line plots with error bars (see plot.h). */
#include "plot.h"

#include <math.h>
#include <stdio.h>

#include "darknet.h"
#include "image.h"

enum { W = 900, H = 540, LEFT = 80, RIGHT = 40, TOP = 50, BOTTOM = 60, TICKS = 5 };

typedef struct {
    double x_min, x_max, x_step, y_max, y_step;
} plot_range;

/* A round step (1, 2 or 5 times a power of ten) giving about TICKS ticks over span. */
static double nice_step(double span)
{
    double raw = span / TICKS, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Axes on round ticks: x over the data, y from 0 to above the highest point
 * (or error bar) with at least 5% headroom. */
static plot_range range_of(const plot_data *p)
{
    double x_min = 1e300, x_max = -1e300, top = 0;
    for (int s = 0; s < p->n_series; ++s)
        for (int i = 0; i < p->series[s].n; ++i) {
            const plot_series *e = &p->series[s];
            double t = e->y[i] + (e->err ? e->err[i] : 0);
            if (e->x[i] < x_min) x_min = e->x[i];
            if (e->x[i] > x_max) x_max = e->x[i];
            if (t > top) top = t;
        }
    if (x_max <= x_min) x_max = x_min + 1;   /* one point: still an axis */
    plot_range r;
    r.x_step = nice_step(x_max - x_min);
    r.x_min = floor(x_min / r.x_step) * r.x_step;
    r.x_max = ceil(x_max / r.x_step) * r.x_step;
    r.y_step = nice_step(top > 0 ? top : 1);
    r.y_max = (floor(1.05 * (top > 0 ? top : 1) / r.y_step) + 1) * r.y_step;
    return r;
}

static int px(const plot_range *r, double x) { return LEFT + (int)((W - LEFT - RIGHT) * (x - r->x_min) / (r->x_max - r->x_min)); }
static int py(const plot_range *r, double y) { return H - BOTTOM - (int)((H - TOP - BOTTOM) * y / r->y_max); }

static void draw_axes(image *im, const plot_range *r, const plot_data *p)
{
    const float grey[3] = {0.85f, 0.85f, 0.85f}, black[3] = {0, 0, 0};
    char label[32];
    for (double y = 0; y <= r->y_max + r->y_step / 2; y += r->y_step) {
        draw_line(im, LEFT, py(r, y), W - RIGHT, py(r, y), 1, grey);
        snprintf(label, sizeof label, "%.4g", y);
        draw_text(im, LEFT - 8 - text_width(label, 2), py(r, y) - text_height(2) / 2, label, 2, black);
    }
    for (double x = r->x_min; x <= r->x_max + r->x_step / 2; x += r->x_step) {
        draw_line(im, px(r, x), TOP, px(r, x), H - BOTTOM, 1, grey);
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
}

/* How much of p's lines (points and 8 samples along each segment) falls in
 * the pixel rectangle [x0, x1] x [y0, y1] or within 8 pixels of it. */
static int line_samples_in(const plot_range *r, const plot_data *p, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int s = 0; s < p->n_series; ++s) {
        const plot_series *e = &p->series[s];
        for (int i = 0; i < e->n; ++i)
            for (int k = i ? 1 : 8; k <= 8; ++k) {
                double f = k / 8.0, x = i ? e->x[i - 1] + f * (e->x[i] - e->x[i - 1]) : e->x[i],
                       y = i ? e->y[i - 1] + f * (e->y[i] - e->y[i - 1]) : e->y[i];
                int X = px(r, x), Y = py(r, y);
                n += X >= x0 - 8 && X <= x1 + 8 && Y >= y0 - 8 && Y <= y1 + 8;
            }
    }
    return n;
}

/* The legend on white, as wide as the longest name, in the right-hand corner
 * (top or bottom) that hides less of the lines. */
static void draw_legend(image *im, const plot_range *r, const plot_data *p)
{
    const float white[3] = {1, 1, 1}, grey[3] = {0.6f, 0.6f, 0.6f};
    int row = text_height(2) + 8, w = 0, h = p->n_series * row + 8;
    for (int s = 0; s < p->n_series; ++s) {
        int t = text_width(p->series[s].name ? p->series[s].name : "", 2);
        if (t > w) w = t;
    }
    int x1 = W - RIGHT - 6, x0 = x1 - w - 36, y0 = TOP + 6;
    if (line_samples_in(r, p, x0, H - BOTTOM - 6 - h, x1, H - BOTTOM - 6) < line_samples_in(r, p, x0, y0, x1, y0 + h))
        y0 = H - BOTTOM - 6 - h;
    fill_rect(im, x0, y0, x1, y0 + h, white);
    draw_rect(im, x0, y0, x1, y0 + h, 1, grey);
    for (int s = 0; s < p->n_series; ++s) {
        float rgb[3];
        class_color(s, rgb);
        int ly = y0 + 6 + s * row;
        fill_rect(im, x0 + 8, ly + 2, x0 + 24, ly + text_height(2) - 2, rgb);
        draw_text(im, x0 + 32, ly, p->series[s].name ? p->series[s].name : "", 2, rgb);
    }
}

int save_plot(const char *path, const plot_data *p)
{
    image *im = make_image_fill(W, H, 3, 1.0f);
    if (!im) return -1;
    plot_range r = range_of(p);
    draw_axes(im, &r, p);
    for (int s = 0; s < p->n_series; ++s) draw_series(im, &r, &p->series[s], s);
    draw_legend(im, &r, p);
    int status = save_image(im, path);
    free_image(im);
    return status;
}
