/* erf_render.c: ERF heat-map pictures and side-by-side strips (see erf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erf.h"
#include "errors.h"
#include "image.h"

/* viridis at 0, 1/8, ..., 1 (sRGB bytes); linear in between */
static const unsigned char stops[9][3] = {
    {68, 1, 84},    {72, 40, 120},  {62, 73, 137},  {49, 104, 142}, {38, 130, 142},
    {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {253, 231, 37},
};

void erf_colormap(float v, float rgb[3])
{
    v = v != v ? 0 : v < 0 ? 0 : v > 1 ? 1 : v; /* NaN shows as 0 */
    float x = v * 8;
    int i = (int)x;
    if (i > 7) i = 7;
    float f = x - i;
    for (int k = 0; k < 3; ++k) rgb[k] = ((1 - f) * stops[i][k] + f * stops[i + 1][k]) / 255.0f;
}

static const float white[3] = {1, 1, 1}, black[3] = {0, 0, 0};

image *erf_render(const float *map, int w, int h, const char *title, const char *caption)
{
    if (w < 1 || h < 1) {
        dn_error("erf_render: bad size %d x %d", w, h);
        return NULL;
    }
    int shorter = w < h ? w : h, zoom = (256 + shorter - 1) / shorter;
    if (zoom < 1) zoom = 1;
    int W = w * zoom, H = h * zoom;
    int scale = W >= 512 ? 2 : 1, pad = 3 * scale, band = text_height(scale) + 2 * pad;
    int top = title && *title ? band : 0, bottom = caption && *caption ? band : 0;
    image *im = make_image_fill(W, H + top + bottom, 3, 1.0f);
    if (!im) return NULL;
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            float rgb[3];
            erf_colormap(map[(size_t)(y / zoom) * w + x / zoom], rgb);
            for (int k = 0; k < 3; ++k) *image_at(im, x, top + y, k) = rgb[k];
        }
    if (top) draw_text(im, pad, pad, title, scale, black);
    if (bottom) draw_text(im, pad, top + H + pad, caption, scale, black);
    return im;
}

image *images_side_by_side(const image *const *images, int n, int gap)
{
    if (n < 1 || gap < 0) {
        dn_error("images_side_by_side: %d images, gap %d", n, gap);
        return NULL;
    }
    int W = gap * (n - 1), H = 0;
    for (int i = 0; i < n; ++i) {
        W += images[i]->w;
        if (images[i]->h > H) H = images[i]->h;
    }
    image *out = make_image_fill(W, H, 3, white[0]);
    if (!out) return NULL;
    for (int i = 0, x0 = 0; i < n; x0 += images[i]->w + gap, ++i) {
        const image *im = images[i];
        for (int k = 0; k < 3; ++k) {
            int from = im->c == 1 ? 0 : k < im->c ? k : im->c - 1;
            for (int y = 0; y < im->h; ++y)
                memcpy(image_at(out, x0, y, k), image_at(im, 0, y, from), sizeof(float) * im->w);
        }
    }
    return out;
}

image *erf_picture(network *net, int target, char *const *paths, int n, erf_grad mode, const char *title,
                   erf_summary *s, erf_progress_fn progress, void *ctx)
{
    int w = network_width(net), h = network_height(net);
    float *map = dn_calloc((size_t)w * h, sizeof(float));
    image *im = NULL;
    if (!map) return NULL;
    if (erf_from_files(net, target, paths, n, mode, map, &s->used, progress, ctx)) goto done;
    erf_log_scale(map, w * h);
    if (erf_area_fractions(map, w * h, erf_levels, ERF_N_LEVELS, s->area)) goto done;
    char caption[128];
    snprintf(caption, sizeof caption, "50%% of the total in %.2f%% of the area", 100 * s->area[2]);
    im = erf_render(map, w, h, title, caption);
done:
    free(map);
    return im;
}

image *erf_append_to_file(const image *panel, const char *path)
{
    image *before = load_image(path);
    if (!before) return NULL;
    const image *parts[2] = {before, panel};
    image *both = images_side_by_side(parts, 2, 8);
    free_image(before);
    return both;
}
