/* image_io.c: decoding and encoding image files.
 *
 * JPEG goes through libjpeg-turbo's TurboJPEG API, which can decode straight
 * to 1/2, 1/4 or 1/8 size (the inverse DCT at reduced size: far less work
 * than decoding in full and shrinking). Every other format goes through
 * stb_image. Files are recognised by their first bytes, not their names.
 * Writing uses stb_image_write into memory, then a temporary file and a
 * rename, so a crash or a full disk never leaves a half-written image. */
#include <errno.h>
#include <stb_image.h>
#include <stb_image_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "atomic_file.h"
#include "errors.h"
#include "image.h"

/* Refused before decoding: far beyond any photo, and a corrupt header must
 * not make us allocate gigabytes. */
#define MAX_PIXELS (1LL << 26)
#define MAX_FILE_BYTES (1LL << 30)

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        dn_error("cannot open image %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    unsigned char *buf = NULL;
    if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
        dn_error("cannot read image %s: not a regular file", path);
    } else if (st.st_size == 0) {
        dn_error("cannot read image %s: the file is empty", path);
    } else if (st.st_size > MAX_FILE_BYTES) {
        dn_error("cannot read image %s: %lld bytes is too large", path, (long long)st.st_size);
    } else if ((buf = dn_calloc((size_t)st.st_size, 1))) {
        *len = fread(buf, 1, (size_t)st.st_size, fp);
        if (*len != (size_t)st.st_size) {
            dn_error("cannot read image %s: %s", path, ferror(fp) ? strerror(errno) : "file shrank while reading");
            free(buf);
            buf = NULL;
        }
    }
    fclose(fp);
    return buf;
}

image *image_from_bytes(const unsigned char *px, int w, int h, int n)
{
    image *im = make_image(w, h, 3);
    if (!im) return NULL;
    size_t plane = (size_t)w * h;
    for (size_t i = 0; i < plane; ++i)
        for (int k = 0; k < 3; ++k) im->data[k * plane + i] = px[i * n + (n >= 3 ? k : 0)] * (1.0f / 255);
    return im;
}

/* The letterbox size of w x h inside bw x bh, as letterbox_image computes it. */
static void fit_size(int w, int h, int bw, int bh, int *fw, int *fh)
{
    if ((long long)bw * h < (long long)bh * w) {
        *fw = bw;
        *fh = (int)((long long)h * bw / w);
    } else {
        *fh = bh;
        *fw = (int)((long long)w * bh / h);
    }
}

/* The coarsest of 1/8, 1/4, 1/2 that keeps the decoded size large enough
 * (see load_image_hint); 1 when none does or no size was asked for. */
static int jpeg_denominator(int w, int h, int want_w, int want_h, int fit_inside)
{
    if (want_w <= 0 || want_h <= 0) return 1;
    int need_w = want_w, need_h = want_h;
    if (fit_inside) fit_size(w, h, want_w, want_h, &need_w, &need_h);
    for (int d = 8; d >= 2; d /= 2) {
        tjscalingfactor f = {1, d};
        if (TJSCALED(w, f) >= need_w && TJSCALED(h, f) >= need_h) return d;
    }
    return 1;
}

/* Whether an end-of-image marker follows the last start-of-scan marker.
 * Entropy-coded data stuffs every 0xFF with 0x00, so neither marker can
 * occur inside it; a file cut short lacks the final EOI. */
static int jpeg_complete(const unsigned char *buf, size_t len)
{
    size_t last_sos = 0;
    for (size_t i = 0; i + 1 < len; ++i)
        if (buf[i] == 0xFF && buf[i + 1] == 0xDA) last_sos = i;
    for (size_t i = last_sos; i + 1 < len; ++i)
        if (buf[i] == 0xFF && buf[i + 1] == 0xD9) return 1;
    return 0;
}

/* ---- declared size against file size ----
 *
 * A corrupt header can declare an image far larger than its file: stb reads
 * zeros past the end, so a 65-byte TGA declaring 57616 x 768 decoded to
 * 650 MB. Before decoding, the declared pixels are checked against the most
 * a file of this format and length can hold: 1 byte (or bit) a pixel for
 * uncompressed formats, and the largest expansion of the format's coding
 * for compressed ones. Real files stay far below these bounds (a one-colour
 * 2000 x 2000 PNG from stb: about 50 pixels a byte). */
typedef struct {
    const char *format;
    double per_byte;   /* most pixels a byte of the file can hold; 0: no bound */
    const char *why;
} size_bound;

static int starts(const unsigned char *b, size_t len, const char *magic, size_t n)
{
    return len >= n && !memcmp(b, magic, n);
}

/* Whether a JPEG is arithmetic-coded: its frame header is SOF9-11 or
 * SOF13-15. Walks the marker segments up to the first scan. */
static int jpeg_arithmetic(const unsigned char *b, size_t len)
{
    for (size_t i = 2; i + 4 <= len && b[i] == 0xFF;) {
        int m = b[i + 1];
        if (m == 0xFF) { /* fill byte */
            ++i;
            continue;
        }
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return m >= 0xC9;
        if (m == 0xDA) break;
        i += 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
    }
    return 0;
}

/* The formats stbi_info tries, in its order; TGA, which has no magic
 * number, is what is left. */
static size_bound bound_of(const unsigned char *b, size_t len)
{
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return jpeg_arithmetic(b, len)
                   ? (size_bound){"JPEG", 0, "arithmetic coding has no useful bound"}
                   : (size_bound){"JPEG", 512, "Huffman coding takes at least 1 bit per 8 x 8 block"};
    if (starts(b, len, "\x89PNG", 4))
        return (size_bound){"PNG", 8 * 1032.0, "deflate expands at most 1032:1, and a pixel takes 1 bit or more"};
    if (starts(b, len, "GIF8", 4))
        return (size_bound){"GIF", 4096 / 1.5, "a 12-bit LZW code stands for at most 4096 pixels; "
                                               "the whole canvas counts"};
    if (starts(b, len, "BM", 2))
        return (size_bound){"BMP", 8, "uncompressed (stb reads no RLE BMP), 1 bit a pixel or more"};
    if (starts(b, len, "8BPS", 4)) return (size_bound){"PSD", 64, "PackBits: 2 bytes for at most 128 pixels"};
    if (starts(b, len, "\x53\x80\xF6\x34", 4))
        return (size_bound){"PIC", 16384, "a run: 4 bytes for at most 65535 pixels"};
    if (len >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6'))
        return (size_bound){"PNM", 1, "uncompressed, 1 byte a pixel or more"};
    if (starts(b, len, "#?RADIANCE", 10) || starts(b, len, "#?RGBE", 6))
        return (size_bound){"HDR", 32, "a run: 8 bytes for at most 127 pixels"};
    if (len >= 3 && (b[2] & 8)) return (size_bound){"TGA", 64, "RLE: 2 bytes for at most 128 pixels"};
    return (size_bound){"TGA", 1, "uncompressed, 1 byte a pixel or more"};
}

/* 0 when a file of len bytes can hold the w x h its header declares; else
 * an error naming the file, the size and the reason. */
static int check_declared_size(const unsigned char *buf, size_t len, const char *name, int w, int h)
{
    size_bound b = bound_of(buf, len);
    double pixels = (double)w * h;
    if (w <= 0 || h <= 0 || pixels > MAX_PIXELS)
        return dn_error("%s: the %s header declares %d x %d pixels, beyond the %lld pixels allowed", name, b.format, w,
                        h, MAX_PIXELS);
    if (b.per_byte > 0 && pixels > b.per_byte * (double)len)
        return dn_error("%s: the %s header declares %d x %d pixels, more than a file of %zu bytes can hold (%s): "
                        "a corrupt or truncated file",
                        name, b.format, w, h, len, b.why);
    return 0;
}

static image *decode_jpeg(const unsigned char *buf, size_t len, const char *name, int want_w, int want_h,
                          int fit_inside, int *src_w, int *src_h)
{
    tjhandle tj = tjInitDecompress();
    if (!tj) {
        dn_error("%s: cannot start the JPEG decoder: %s", name, tjGetErrorStr2(NULL));
        return NULL;
    }
    image *im = NULL;
    unsigned char *px = NULL;
    int w, h, subsamp, colorspace;
    if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &subsamp, &colorspace)) {
        dn_error("%s: corrupt JPEG header: %s", name, tjGetErrorStr2(tj));
        goto done;
    }
    if (check_declared_size(buf, len, name, w, h)) goto done;
    if (src_w) *src_w = w;
    if (src_h) *src_h = h;
    tjscalingfactor f = {1, jpeg_denominator(w, h, want_w, want_h, fit_inside)};
    int sw = TJSCALED(w, f), sh = TJSCALED(h, f);
    /* libjpeg converts grey and YCbCr to RGB itself, but not CMYK (Adobe's
     * inverted CMYK, as Photoshop writes it): take those as they are. */
    int cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    int n = cmyk ? 4 : 3;
    px = dn_calloc((size_t)sw * sh, n);
    if (!px) goto done;
    /* Refuse on warnings too: they mean damaged data that libjpeg patched
     * over (grey blocks, garbled rows), and a bit flip in the entropy data
     * looks no different from the harmless "extraneous bytes" kind. */
    if (tjDecompress2(tj, buf, (unsigned long)len, px, sw, 0, sh, cmyk ? TJPF_CMYK : TJPF_RGB, 0)) {
        dn_error("%s: corrupt or truncated JPEG: %s", name,
                 jpeg_complete(buf, len) ? tjGetErrorStr2(tj) : "the file ends before the image does");
        goto done;
    }
    if (cmyk) /* inverted CMYK: r = c * k, as Adobe's files store it */
        for (size_t i = 0; i < (size_t)sw * sh; ++i)
            for (int k = 0; k < 3; ++k) px[i * 4 + k] = (unsigned char)((px[i * 4 + k] * px[i * 4 + 3] + 127) / 255);
    im = image_from_bytes(px, sw, sh, n);
done:
    free(px);
    tjDestroy(tj);
    return im;
}

/* Each PNG chunk must fit in the file: stb grows its buffer towards a
 * chunk's declared length (up to 2 GB for a 114-byte file) before it finds
 * the data missing. */
static int check_png_chunks(const unsigned char *b, size_t len, const char *name)
{
    for (size_t at = 8; at + 8 <= len;) {
        size_t n = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 | b[at + 3];
        if (n > len - at - 8)
            return dn_error("%s: a PNG chunk (%.4s) declares %zu bytes but the file has %zu left: corrupt or truncated",
                            name, (const char *)b + at + 4, n, len - at - 8);
        if (!memcmp(b + at + 4, "IEND", 4)) break;
        at += 12 + n;
    }
    return 0;
}

/* What stb must not see: structures that make it allocate or read far
 * beyond the file (its 16-bit PNM reader over-reads on short files). */
static int check_stb_input(const unsigned char *buf, size_t len, const char *name, int w, int h)
{
    if (check_declared_size(buf, len, name, w, h)) return -1;
    const char *format = bound_of(buf, len).format;
    if (!strcmp(format, "PNG")) return check_png_chunks(buf, len, name);
    if (!strcmp(format, "PNM") && stbi_is_16_bit_from_memory(buf, (int)len))
        return dn_error("%s: 16-bit PNM images are not supported (convert to 8 bits or PNG)", name);
    return 0;
}

static image *decode_stb(const unsigned char *buf, size_t len, const char *name, int *src_w, int *src_h)
{
    int w, h, n;
    if (len > (size_t)0x7fffffff || !stbi_info_from_memory(buf, (int)len, &w, &h, &n)) {
        dn_error("%s: not a JPEG, PNG, BMP, TGA, GIF, PSD or PNM image, or a corrupt one (%s)", name,
                 len > (size_t)0x7fffffff ? "too large" : stbi_failure_reason());
        return NULL;
    }
    if (check_stb_input(buf, len, name, w, h)) return NULL;
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &n, 3);
    if (!px) {
        dn_error("%s: corrupt or truncated image: %s", name, stbi_failure_reason());
        return NULL;
    }
    if (src_w) *src_w = w;
    if (src_h) *src_h = h;
    image *im = image_from_bytes(px, w, h, 3);
    stbi_image_free(px);
    return im;
}

image *decode_image_memory(const unsigned char *buf, size_t len, const char *name, int want_w, int want_h,
                           int fit_inside, int *src_w, int *src_h)
{
    /* every JPEG goes to libjpeg-turbo, also one with fill bytes before its
     * start marker: stb's own JPEG decoder reads tables it never set there */
    if (len >= 1 && buf[0] == 0xFF)
        return decode_jpeg(buf, len, name, want_w, want_h, fit_inside, src_w, src_h);
    return decode_stb(buf, len, name, src_w, src_h);
}

image *load_image_hint(const char *path, int want_w, int want_h, int fit_inside, int *src_w, int *src_h)
{
    if (!path) {
        dn_error("load_image: no path");
        return NULL;
    }
    size_t len = 0;
    unsigned char *buf = read_file(path, &len);
    if (!buf) return NULL;
    image *im = decode_image_memory(buf, len, path, want_w, want_h, fit_inside, src_w, src_h);
    free(buf);
    return im;
}

image *load_image(const char *path) { return load_image_hint(path, 0, 0, 0, NULL, NULL); }

/* ---- writing ---- */

/* HWC bytes, rounded and clamped; NULL for channel counts no format holds. */
static unsigned char *to_bytes(const image *im, const char *name)
{
    if (!im || !im->data || im->w <= 0 || im->h <= 0 || (im->c != 1 && im->c != 3 && im->c != 4)) {
        dn_error("cannot save %s: an image with %d channels (1, 3 or 4 needed)", name, im ? im->c : 0);
        return NULL;
    }
    size_t plane = (size_t)im->w * im->h;
    unsigned char *px = dn_calloc(plane, im->c);
    if (!px) return NULL;
    for (int k = 0; k < im->c; ++k)
        for (size_t i = 0; i < plane; ++i) {
            float v = im->data[k * plane + i] * 255 + 0.5f;
            px[i * im->c + k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
        }
    return px;
}

typedef struct {
    unsigned char *p;
    size_t n, cap;
    int failed;
} membuf;

static void membuf_write(void *ctx, void *data, int size)
{
    membuf *m = ctx;
    if (m->failed || size <= 0) return;
    if (m->n + (size_t)size > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        while (cap < m->n + (size_t)size) cap *= 2;
        unsigned char *p = dn_realloc(m->p, cap, 1);
        if (!p) {
            m->failed = 1;
            return;
        }
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->n, data, (size_t)size);
    m->n += (size_t)size;
}

static unsigned char *encode(const image *im, int png, int quality, size_t *len, const char *name)
{
    unsigned char *px = to_bytes(im, name);
    if (!px) return NULL;
    membuf m = {0};
    int ok = png ? stbi_write_png_to_func(membuf_write, &m, im->w, im->h, im->c, px, im->w * im->c)
                 : stbi_write_jpg_to_func(membuf_write, &m, im->w, im->h, im->c, px, quality);
    free(px);
    if (!ok || m.failed) {
        if (!m.failed) dn_error("cannot save %s: the %s encoder failed on %d x %d", name, png ? "PNG" : "JPEG", im->w, im->h);
        free(m.p);
        return NULL;
    }
    *len = m.n;
    return m.p;
}

unsigned char *encode_image_jpg(const image *im, int quality, size_t *len)
{
    return encode(im, 0, quality < 1 ? 1 : quality > 100 ? 100 : quality, len, "image");
}

static int save(const image *im, const char *path, int png, int quality)
{
    size_t len;
    unsigned char *buf = encode(im, png, quality, &len, path);
    if (!buf) return -1;
    int r = write_file_atomic(path, buf, len);
    free(buf);
    return r;
}

int save_image_png(const image *im, const char *path) { return save(im, path, 1, 0); }
int save_image_jpg(const image *im, const char *path, int quality)
{
    return save(im, path, 0, quality < 1 ? 1 : quality > 100 ? 100 : quality);
}

int save_image(const image *im, const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && !strcasecmp(dot, ".png")) return save_image_png(im, path);
    if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))) return save_image_jpg(im, path, 95);
    return dn_error("cannot save %s: the name must end in .png, .jpg or .jpeg", path ? path : "(null)");
}
