/* fuzz_image.c: libFuzzer harness for image decoding from memory
 * (decode_image_memory): JPEG through libjpeg-turbo, once in full and once
 * with a size hint (its scaled decode); PNG, BMP, TGA, GIF, PSD and PNM
 * through stb_image, which the fuzz build compiles itself (stb_image_impl.c)
 * so that the fuzzer sees its branches. Seeds: `darknet synth` JPEGs and
 * PNGs, and scripts/fuzz_seeds.py's small PNG/BMP/TGA/GIF/PPM files. */
#include "fuzz_util.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_begin();
    int w = -1, h = -1;
    image *im = decode_image_memory(data, size, "fuzz", 0, 0, 0, &w, &h);
    if (im && (im->c != 3 || im->w != w || im->h != h)) abort();
    free_image(im);
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
        fuzz_begin();
        im = decode_image_memory(data, size, "fuzz", 16, 16, size & 1, &w, &h);
        if (im && (im->w > w || im->h > h)) abort();
        free_image(im);
    }
    return 0;
}
