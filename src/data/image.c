/* image.c: creating, copying and freeing images. */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "image.h"

/* Larger images are refused before allocating: 2^28 floats is 1 GiB, far
 * beyond any photo, and a corrupt header must not ask for terabytes. */
#define MAX_IMAGE_FLOATS (1ULL << 28)

image *make_image(int w, int h, int c)
{
    if (w <= 0 || h <= 0 || c <= 0 || (unsigned long long)w * h * c > MAX_IMAGE_FLOATS) {
        dn_error("cannot make a %d x %d x %d image (each side must be positive, at most %llu values)", w, h, c,
                 MAX_IMAGE_FLOATS);
        return NULL;
    }
    image *im = dn_calloc(1, sizeof *im);
    if (!im) return NULL;
    im->w = w;
    im->h = h;
    im->c = c;
    im->data = dn_calloc((size_t)w * h * c, sizeof(float));
    if (!im->data) {
        free(im);
        return NULL;
    }
    return im;
}

image *make_image_fill(int w, int h, int c, float v)
{
    image *im = make_image(w, h, c);
    if (!im) return NULL;
    size_t n = (size_t)w * h * c;
    for (size_t i = 0; i < n; ++i) im->data[i] = v;
    return im;
}

image *copy_image(const image *im)
{
    if (!im) {
        dn_error("copy_image: no image");
        return NULL;
    }
    image *out = make_image(im->w, im->h, im->c);
    if (out) memcpy(out->data, im->data, sizeof(float) * im->w * im->h * im->c);
    return out;
}

void free_image(image *im)
{
    if (!im) return;
    free(im->data);
    free(im);
}
