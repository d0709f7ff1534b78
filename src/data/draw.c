/* draw.c: rectangles, text and labelled detection boxes on images.
 *
 * Text uses stb_easy_font, which describes each string as axis-aligned quads
 * (made for 3D APIs); we fill those quads ourselves, each font pixel as a
 * scale x scale block. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

static void put(image *im, int x, int y, const float rgb[3])
{
    if (im->c == 1) {
        *image_at(im, x, y, 0) = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
        return;
    }
    for (int k = 0; k < im->c && k < 3; ++k) *image_at(im, x, y, k) = rgb[k];
}

void fill_rect(image *im, int x0, int y0, int x1, int y1, const float rgb[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > im->w - 1) x1 = im->w - 1;
    if (y1 > im->h - 1) y1 = im->h - 1;
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) put(im, x, y, rgb);
}

void draw_line(image *im, int x0, int y0, int x1, int y1, int thickness, const float rgb[3])
{
    /* Bresenham, each point drawn as a thickness x thickness block */
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy, half = thickness / 2;
    for (;;) {
        fill_rect(im, x0 - half, y0 - half, x0 - half + thickness - 1, y0 - half + thickness - 1, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

void draw_rect(image *im, int x0, int y0, int x1, int y1, int thickness, const float rgb[3])
{
    if (x1 < x0 || y1 < y0) return;
    int t = thickness < 1 ? 1 : thickness;
    fill_rect(im, x0, y0, x1, y0 + t - 1, rgb);  /* top */
    fill_rect(im, x0, y1 - t + 1, x1, y1, rgb);  /* bottom */
    fill_rect(im, x0, y0, x0 + t - 1, y1, rgb);  /* left */
    fill_rect(im, x1 - t + 1, y0, x1, y1, rgb);  /* right */
}

/* stb_easy_font indexes a table by character: keep to printable ASCII. */
static void printable(const char *text, char *buf, size_t size)
{
    size_t n = 0;
    for (; text && *text && n + 1 < size; ++text) buf[n++] = (*text >= 32 && *text < 127) ? *text : '?';
    buf[n] = 0;
}

int text_width(const char *text, int scale)
{
    char buf[256];
    printable(text, buf, sizeof buf);
    return stb_easy_font_width(buf) * (scale < 1 ? 1 : scale);
}

/* Capitals span rows 0..6 of a line, descenders reach row 8 (ascii 'g'). */
int text_height(int scale) { return 9 * (scale < 1 ? 1 : scale); }

void draw_text(image *im, int x, int y, const char *text, int scale, const float rgb[3])
{
    char buf[256];
    printable(text, buf, sizeof buf);
    if (scale < 1) scale = 1;
    /* ~270 bytes of vertex data per character, says stb_easy_font; 16 bytes a vertex */
    static _Thread_local float quads[256 * 300 / 4];
    int n = stb_easy_font_print(0, 0, buf, NULL, quads, sizeof quads);
    for (int q = 0; q < n; ++q) {
        const float *v = quads + q * 16;   /* 4 vertices of x, y, z, colour */
        float qx0 = v[0], qy0 = v[1], qx1 = v[0], qy1 = v[1];
        for (int j = 1; j < 4; ++j) {
            qx0 = fminf(qx0, v[j * 4]);
            qx1 = fmaxf(qx1, v[j * 4]);
            qy0 = fminf(qy0, v[j * 4 + 1]);
            qy1 = fmaxf(qy1, v[j * 4 + 1]);
        }
        fill_rect(im, x + (int)qx0 * scale, y + (int)qy0 * scale, x + (int)qx1 * scale - 1, y + (int)qy1 * scale - 1,
                  rgb);
    }
}

void class_color(int k, float rgb[3])
{
    /* golden-ratio steps around the hue circle keep neighbours apart */
    float h = (float)fmod(0.02 + k * 0.6180339887, 1.0);
    hsv_to_rgb(h, 0.85f, 0.95f, &rgb[0], &rgb[1], &rgb[2]);
}

void draw_detections(image *im, const box *boxes, const int *classes, const float *scores, int n,
                     const char *const *names, int n_names)
{
    if (!im || !boxes || !classes) return;
    int side = im->w < im->h ? im->w : im->h;
    int thick = side / 200 + 1, scale = side / 300 + 1;
    for (int i = 0; i < n; ++i) {
        box b = boxes[i];
        if (!(b.w > 0 && b.h > 0 && b.w < 1e4f && b.h < 1e4f && fabsf(b.x) < 1e4f && fabsf(b.y) < 1e4f)) continue;
        int x0 = (int)lroundf((b.x - b.w / 2) * im->w), x1 = (int)lroundf((b.x + b.w / 2) * im->w) - 1;
        int y0 = (int)lroundf((b.y - b.h / 2) * im->h), y1 = (int)lroundf((b.y + b.h / 2) * im->h) - 1;
        float rgb[3], ink[3];
        class_color(classes[i], rgb);
        draw_rect(im, x0, y0, x1, y1, thick, rgb);

        char label[128];
        int k = classes[i];
        int len = names && k >= 0 && k < n_names && names[k] ? snprintf(label, sizeof label, "%s", names[k])
                                                              : snprintf(label, sizeof label, "%d", k);
        if (scores && len > 0 && (size_t)len < sizeof label)
            snprintf(label + len, sizeof label - len, " %.2f", scores[i]);
        /* label above the box, or inside its top when the box touches the top edge */
        int pad = scale, tw = text_width(label, scale) + 2 * pad, th = text_height(scale) + 2 * pad;
        int lx = x0 < 0 ? 0 : x0, ly = y0 - th >= 0 ? y0 - th : (y0 < 0 ? 0 : y0);
        if (lx + tw > im->w) lx = im->w - tw > 0 ? im->w - tw : 0;
        fill_rect(im, lx, ly, lx + tw - 1, ly + th - 1, rgb);
        float luma = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
        ink[0] = ink[1] = ink[2] = luma > 0.5f ? 0.0f : 1.0f;
        draw_text(im, lx + pad, ly + pad, label, scale, ink);
    }
}
