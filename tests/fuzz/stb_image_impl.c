/* stb_image_impl.c: stb_image's decoders compiled into the fuzz build
 * (instrumented for coverage and the sanitizers). The executable's copy
 * takes precedence over the one in the system's libstb. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
