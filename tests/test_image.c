/* test_image.c: image files (round trips, scaled JPEG decode, bad files),
 * resampling, letterbox geometry, flip, crop, colour jitter and drawing, on
 * small images whose expected values are worked out by hand in comments. */
#include <dirent.h>
#include <stb_image_write.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "test.h"

static char tmp_dir[64];
static void remove_tmp_dir(void) { rmdir(tmp_dir); }   /* the tests unlink their files */

/* A fresh path NAME in a private temporary directory (static buffer per slot). */
static const char *tmp_path(const char *name)
{
    static char paths[4][128];
    static int next;
    const char *dir = tmp_dir;
    if (!tmp_dir[0]) {
        strcpy(tmp_dir, "/tmp/dn_image_XXXXXX");
        if (!mkdtemp(tmp_dir)) return NULL;
        atexit(remove_tmp_dir);
    }
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (!fp) return;
    CHECK(fwrite(data, 1, n, fp) == n);
    fclose(fp);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(*n + 1);
    if (fread(buf, 1, *n, fp) != *n) *n = 0;
    fclose(fp);
    return buf;
}

/* A smooth colour image: JPEG keeps it well. */
static image *gradient(int w, int h)
{
    image *im = make_image(w, h, 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            *image_at(im, x, y, 0) = (float)x / (w - 1);
            *image_at(im, x, y, 1) = (float)y / (h - 1);
            *image_at(im, x, y, 2) = 0.5f + 0.3f * sinf(0.2f * (x + y));
        }
    return im;
}

static double mean_abs_diff(const image *a, const image *b)
{
    size_t n = (size_t)a->w * a->h * a->c;
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += fabs(a->data[i] - b->data[i]);
    return s / n;
}

static int error_names(const char *path) { return strstr(dn_last_error(), path) != NULL; }

/* ---- files ---- */

TEST(image_png_round_trip_is_exact)
{
    /* values k/255 survive 8-bit quantisation exactly */
    image *im = make_image(5, 4, 3);
    for (int i = 0; i < 5 * 4 * 3; ++i) im->data[i] = (float)((i * 37) % 256) / 255;
    const char *path = tmp_path("a.png");
    CHECK(save_image(im, path) == 0);
    image *back = load_image(path);
    CHECK_MSG(back != NULL, "%s", dn_last_error());
    if (back) {
        CHECK(back->w == 5 && back->h == 4 && back->c == 3);
        CHECK_NEAR(mean_abs_diff(im, back), 0, 1e-7);
    }
    free_image(back);
    free_image(im);
    unlink(path);
}

TEST(image_jpeg_round_trip_within_tolerance)
{
    image *im = gradient(64, 48);
    const char *path = tmp_path("a.jpg");
    CHECK(save_image(im, path) == 0);     /* quality 95 */
    int sw = 0, sh = 0;
    image *back = load_image_hint(path, 0, 0, 0, &sw, &sh);
    CHECK_MSG(back != NULL, "%s", dn_last_error());
    if (back) {
        CHECK(back->w == 64 && back->h == 48 && back->c == 3 && sw == 64 && sh == 48);
        CHECK_MSG(mean_abs_diff(im, back) < 0.01, "mean error %g", mean_abs_diff(im, back));
    }
    free_image(back);
    free_image(im);
    unlink(path);
}

TEST(image_jpeg_scaled_decode_sizes)
{
    /* 100 x 75: libjpeg's scaled size is ceil(side / d). */
    image *im = gradient(100, 75);
    const char *path = tmp_path("s.jpg");
    CHECK(save_image(im, path) == 0);
    struct {
        int want_w, want_h, fit, w, h;
    } cases[] = {
        {0, 0, 0, 100, 75},     /* no hint: full size */
        {13, 10, 0, 13, 10},    /* 1/8: ceil(12.5) = 13, ceil(9.375) = 10 */
        {14, 10, 0, 25, 19},    /* 13 < 14, so 1/4: 25, ceil(18.75) = 19 */
        {25, 19, 0, 25, 19},
        {26, 19, 0, 50, 38},    /* 1/2: 50, ceil(37.5) = 38 */
        {51, 10, 0, 100, 75},   /* more than half: full */
        {200, 200, 0, 100, 75}, /* enlarging: full */
        /* fit inside 24 x 100: letterboxed to 24 x 18 (75*24/100), 1/4 gives 25 x 19 */
        {24, 100, 1, 25, 19},
        {24, 100, 0, 100, 75},  /* covering 24 x 100 needs the full height */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        int sw = 0, sh = 0;
        image *s = load_image_hint(path, cases[i].want_w, cases[i].want_h, cases[i].fit, &sw, &sh);
        CHECK_MSG(s && s->w == cases[i].w && s->h == cases[i].h && sw == 100 && sh == 75,
                  "case %zu: got %d x %d (source %d x %d), want %d x %d", i, s ? s->w : -1, s ? s->h : -1, sw, sh,
                  cases[i].w, cases[i].h);
        free_image(s);
    }
    /* the 1/4 decode looks like the full image shrunk (a smooth image) */
    image *quarter = load_image_hint(path, 25, 19, 0, NULL, NULL);
    image *small = resize_image(im, 25, 19);
    if (quarter && small) CHECK_MSG(mean_abs_diff(quarter, small) < 0.03, "%g", mean_abs_diff(quarter, small));
    free_image(quarter);
    free_image(small);
    free_image(im);
    unlink(path);
}

TEST(image_grey_and_rgba_load_as_three_channels)
{
    image *grey = make_image(4, 3, 1), *rgba = make_image(4, 3, 4);
    for (int i = 0; i < 12; ++i) grey->data[i] = (float)(i * 20) / 255;
    for (int i = 0; i < 48; ++i) rgba->data[i] = (float)(i * 5) / 255;
    const char *gp = tmp_path("g.png"), *ap = tmp_path("a.png"), *gj = tmp_path("g.jpg");
    CHECK(save_image(grey, gp) == 0 && save_image(rgba, ap) == 0 && save_image(grey, gj) == 0);
    image *g = load_image(gp), *a = load_image(ap), *j = load_image(gj);
    CHECK(g && a && j);
    if (g && a && j) {
        CHECK(g->c == 3 && a->c == 3 && j->c == 3);
        /* grey replicated into r, g, b */
        for (int i = 0; i < 12; ++i) {
            CHECK_NEAR(g->data[i], grey->data[i], 1e-6);
            CHECK_NEAR(g->data[12 + i], grey->data[i], 1e-6);
            CHECK_NEAR(g->data[24 + i], grey->data[i], 1e-6);
            CHECK_NEAR(j->data[i], j->data[24 + i], 1e-6);   /* grey JPEG: equal channels */
        }
        /* alpha dropped, colour kept */
        for (int i = 0; i < 36; ++i) CHECK_NEAR(a->data[i], rgba->data[i], 1e-6);
    }
    free_image(g), free_image(a), free_image(j), free_image(grey), free_image(rgba);
    unlink(gp), unlink(ap), unlink(gj);
}

TEST(image_bad_files_give_null_with_path)
{
    const char *missing = tmp_path("no_such_file.jpg");
    CHECK(load_image(missing) == NULL && error_names(missing) && strstr(dn_last_error(), "No such file"));
    dn_clear_error();

    char empty[128];   /* tmp_path's slots get reused below */
    snprintf(empty, sizeof empty, "%s", tmp_path("empty.png"));
    write_bytes(empty, "", 0);
    CHECK(load_image(empty) == NULL && error_names(empty) && strstr(dn_last_error(), "empty"));
    dn_clear_error();

    char *dir = strdup(tmp_path("x"));
    *strrchr(dir, '/') = 0;
    CHECK(load_image(dir) == NULL && error_names(dir));
    dn_clear_error();
    free(dir);

    /* random bytes, and random bytes behind a JPEG signature */
    unsigned char junk[3000];
    rng_state r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < sizeof junk; ++i) junk[i] = (unsigned char)rng_u32(&r);
    char rnd[128];
    snprintf(rnd, sizeof rnd, "%s", tmp_path("random.png"));
    write_bytes(rnd, junk, sizeof junk);
    CHECK(load_image(rnd) == NULL && error_names(rnd));
    dn_clear_error();
    junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF;
    write_bytes(rnd, junk, sizeof junk);
    CHECK(load_image(rnd) == NULL && error_names(rnd));
    dn_clear_error();

    /* a JPEG and a PNG cut in half */
    image *im = gradient(48, 32);
    const char *jp = tmp_path("t.jpg"), *pp = tmp_path("t.png");
    CHECK(save_image(im, jp) == 0 && save_image(im, pp) == 0);
    size_t n = 0;
    unsigned char *bytes = read_bytes(jp, &n);
    write_bytes(jp, bytes, n / 2);
    CHECK(load_image(jp) == NULL && error_names(jp) && strstr(dn_last_error(), "truncated"));
    dn_clear_error();
    free(bytes);
    bytes = read_bytes(pp, &n);
    write_bytes(pp, bytes, n / 2);
    CHECK(load_image(pp) == NULL && error_names(pp));
    dn_clear_error();
    free(bytes);
    free_image(im);
    unlink(rnd), unlink(empty), unlink(jp), unlink(pp);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* An 18-byte TGA header (type 2: uncompressed, or 10: RLE; 24 bits a
 * pixel) declaring w x h, then junk up to 65 bytes. */
static void tga_bomb(unsigned char *b, int type, int w, int h)
{
    memset(b, 0x5A, 65);
    memset(b, 0, 18);
    b[2] = (unsigned char)type;
    b[12] = (unsigned char)(w & 255), b[13] = (unsigned char)(w >> 8);
    b[14] = (unsigned char)(h & 255), b[15] = (unsigned char)(h >> 8);
    b[16] = 24;
}

static void put_le(unsigned char *p, unsigned v, int n)
{
    for (int i = 0; i < n; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

/* Refused by name, declared size and reason; NULL check plus message. */
static void expect_bomb(const unsigned char *buf, size_t len, const char *name, const char *size)
{
    dn_clear_error();
    double t0 = seconds_now();
    image *im = decode_image_memory(buf, len, name, 0, 0, 0, NULL, NULL);
    double took = seconds_now() - t0;
    CHECK_MSG(im == NULL, "%s: decoded as %d x %d", name, im ? im->w : 0, im ? im->h : 0);
    const char *e = dn_last_error();
    CHECK_MSG(strstr(e, name) && strstr(e, size) && strstr(e, "declares"), "%s: %s", name, e);
    CHECK_MSG(took < 0.1, "%s: %.3f s to refuse", name, took);
    dn_clear_error();
    free_image(im);
}

/* Image bombs: a header declaring far more pixels than the file can hold is
 * refused before anything is allocated. The probe's 65-byte TGA declared
 * 57616 x 768 (44 M pixels, under the 67 M pixel cap) and decoded to 650 MB
 * of floats in 2.3 s, stb reading zeros past the end of the file. */
TEST(image_header_declaring_more_than_the_file_holds_is_refused)
{
    unsigned char b[65];
    tga_bomb(b, 2, 57616, 768);
    const char *path = tmp_path("bomb.tga");
    write_bytes(path, b, sizeof b);
    dn_clear_error();
    double t0 = seconds_now();
    image *im = load_image(path);
    double took = seconds_now() - t0;
    CHECK_MSG(im == NULL, "decoded as %d x %d", im ? im->w : 0, im ? im->h : 0);
    CHECK_MSG(error_names(path) && strstr(dn_last_error(), "57616 x 768") && strstr(dn_last_error(), "65 bytes"),
              "%s", dn_last_error());
    CHECK_MSG(took < 0.1, "%.3f s to refuse", took);
    dn_clear_error();
    free_image(im);
    unlink(path);
    /* RLE TGA: at most 128 pixels a packet of 2 bytes or more */
    tga_bomb(b, 10, 57616, 768);
    expect_bomb(b, sizeof b, "rle.tga", "57616 x 768");

    /* BMP, 24 bits, 8000 x 4000 in 70 bytes */
    unsigned char bmp[70] = {'B', 'M'};
    put_le(bmp + 2, sizeof bmp, 4), put_le(bmp + 10, 54, 4), put_le(bmp + 14, 40, 4);
    put_le(bmp + 18, 8000, 4), put_le(bmp + 22, 4000, 4), put_le(bmp + 26, 1, 2), put_le(bmp + 28, 24, 2);
    expect_bomb(bmp, sizeof bmp, "bomb.bmp", "8000 x 4000");
    /* PGM */
    static const char pgm[] = "P5\n8000 4000\n255\n0123456789abcdef";
    expect_bomb((const unsigned char *)pgm, sizeof pgm - 1, "bomb.pgm", "8000 x 4000");
    /* PNG: signature and IHDR (8-bit RGB), no image data */
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                        0, 0, 0x1F, 0x40, 0, 0, 0x0F, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    expect_bomb(png, sizeof png, "bomb.png", "8000 x 4000");
    /* GIF: an 8000 x 4000 canvas (stb allocates all of it) around a 1 x 1 frame */
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 0x40, 0x1F, 0xA0, 0x0F, 0x80, 0, 0, 255, 255,
                                        255, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B};
    expect_bomb(gif, sizeof gif, "bomb.gif", "8000 x 4000");
    /* JPEG: a real 16 x 16 one whose frame header now says 8000 x 4000 */
    image *small = gradient(16, 16);
    size_t len = 0;
    unsigned char *jpg = encode_image_jpg(small, 90, &len);
    int patched = 0;
    for (size_t i = 0; jpg && i + 8 < len && !patched; ++i)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = 0x0F, jpg[i + 6] = 0xA0, jpg[i + 7] = 0x1F, jpg[i + 8] = 0x40;
            patched = 1;
        }
    CHECK(patched);
    if (patched) expect_bomb(jpg, len, "bomb.jpg", "8000 x 4000");
    free(jpg);
    free_image(small);
}

static void write_px(const char *path, const char *head, const unsigned char *px, size_t n)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (!fp) return;
    fputs(head, fp);
    CHECK(fwrite(px, 1, n, fp) == n);
    fclose(fp);
}

/* Every format still loads, at its size and colours: 2 x 1 pixels, red and
 * green (grey formats: 0.2 and 0.8), and large images of one colour, whose
 * files are as small as their formats make them. */
TEST(image_every_format_loads)
{
    const unsigned char rgb[6] = {255, 0, 0, 0, 255, 0}, grey[2] = {51, 204};
    const float hdr[6] = {1, 0, 0, 0, 1, 0};
    const char *names[] = {"a.bmp", "a.tga", "rle.tga", "a.ppm", "a.pgm", "a.gif", "a.psd", "a.hdr"};
    enum { N = 8 };
    char paths[N][128];
    for (int i = 0; i < N; ++i) snprintf(paths[i], sizeof paths[i], "%s", tmp_path(names[i]));
    CHECK(stbi_write_bmp(paths[0], 2, 1, 3, rgb));
    stbi_write_tga_with_rle = 0;
    CHECK(stbi_write_tga(paths[1], 2, 1, 3, rgb));
    stbi_write_tga_with_rle = 1;
    CHECK(stbi_write_tga(paths[2], 2, 1, 3, rgb));
    write_px(paths[3], "P6\n2 1\n255\n", rgb, 6);
    write_px(paths[4], "P5\n2 1\n255\n", grey, 2);
    /* GIF89a, 1 x 1, global colours white and black, LZW: clear, 0, end */
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 255, 255, 255,
                                        0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B};
    write_bytes(paths[5], gif, sizeof gif);
    /* PSD: 3 channels, 1 x 2, 8 bits, RGB, no sections, raw planes */
    unsigned char psd[26 + 12 + 2 + 6] = {'8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0, 0, 3,
                                          0, 0, 0, 1, 0, 0, 0, 2, 0, 8, 0, 3};
    const unsigned char planes[6] = {255, 0, 0, 255, 0, 0};
    memcpy(psd + 40, planes, 6);
    write_bytes(paths[6], psd, sizeof psd);
    CHECK(stbi_write_hdr(paths[7], 2, 1, 3, hdr));
    for (int i = 0; i < N; ++i) {
        dn_clear_error();
        image *im = load_image(paths[i]);
        CHECK_MSG(im != NULL, "%s: %s", names[i], dn_last_error());
        if (!im) continue;
        if (i == 5) {
            CHECK(im->w == 1 && im->h == 1 && im->data[0] == 1 && im->data[2] == 1);
        } else if (i == 4) {
            CHECK_NEAR(im->data[0], 0.2, 1e-6);
            CHECK_NEAR(im->data[3], 0.8, 1e-6);   /* green plane, pixel 1 */
        } else {
            CHECK_MSG(im->w == 2 && im->h == 1, "%s: %d x %d", names[i], im->w, im->h);
            /* red then green; HDR through stb's gamma, still 0 and 1 */
            CHECK_MSG(im->data[0] == 1 && im->data[1] == 0 && im->data[2] == 0 && im->data[3] == 1 &&
                          im->data[4] == 0 && im->data[5] == 0,
                      "%s: %g %g / %g %g / %g %g", names[i], im->data[0], im->data[1], im->data[2], im->data[3],
                      im->data[4], im->data[5]);
        }
        free_image(im);
        unlink(paths[i]);
    }

    /* one colour, 2000 x 2000 as PNG (about 8 KB) and JPEG, 1000 x 1000 as
     * RLE TGA and HDR: under the bounds for their formats */
    image *flat = make_image_fill(2000, 2000, 3, 0.4f);
    const char *pp = tmp_path("flat.png"), *jp = tmp_path("flat.jpg");
    CHECK(save_image(flat, pp) == 0 && save_image(flat, jp) == 0);
    free_image(flat);
    unsigned char *px = malloc(1000 * 1000 * 3);
    float *fx = malloc(sizeof(float) * 1000 * 1000 * 3);
    for (int i = 0; i < 1000 * 1000 * 3; ++i) px[i] = 100, fx[i] = 0.5f;
    const char *tp = tmp_path("flat.tga"), *hp = tmp_path("flat.hdr");
    CHECK(stbi_write_tga(tp, 1000, 1000, 3, px) && stbi_write_hdr(hp, 1000, 1000, 3, fx));
    free(px);
    free(fx);
    const char *big[] = {pp, jp, tp, hp};
    for (int i = 0; i < 4; ++i) {
        dn_clear_error();
        image *im = load_image(big[i]);
        CHECK_MSG(im && im->w == (i < 2 ? 2000 : 1000), "%s: %s", big[i], dn_last_error());
        free_image(im);
        unlink(big[i]);
    }
}

/* Every prefix and many single-byte corruptions of a JPEG either decode to
 * the right size or fail with a message; none may crash (run under ASan). */
TEST(image_damaged_jpegs_never_crash)
{
    image *im = gradient(40, 24);
    size_t len;
    unsigned char *good = encode_image_jpg(im, 90, &len);
    CHECK(good != NULL);
    if (!good) return;
    int loaded = 0, refused = 0;
    for (size_t cut = 0; cut < len; cut += 7) {
        image *d = decode_image_memory(good, cut, "cut.jpg", 0, 0, 0, NULL, NULL);
        if (d) ++loaded;
        else refused += strstr(dn_last_error(), "cut.jpg") != NULL;
        dn_clear_error();
        free_image(d);
    }
    CHECK_MSG(loaded == 0, "%d truncated JPEGs loaded", loaded);
    CHECK(refused == (int)((len + 6) / 7));
    rng_state r;
    rng_seed(&r, 3);
    unsigned char *bad = malloc(len);
    for (int t = 0; t < 200; ++t) {
        memcpy(bad, good, len);
        bad[rng_u32(&r) % len] = (unsigned char)rng_u32(&r);
        image *d = decode_image_memory(bad, len, "flip.jpg", 20, 12, 0, NULL, NULL);
        CHECK(d == NULL || (d->w > 0 && d->h > 0 && d->c == 3));   /* a flip may change the size */
        if (!d) CHECK(strstr(dn_last_error(), "flip.jpg") != NULL);
        refused += !d;
        dn_clear_error();
        free_image(d);
    }
    /* most flips damage the data; some land in unused header bytes */
    CHECK_MSG(refused > (int)((len + 6) / 7) + 50, "only %d refused", refused);
    free(bad);
    free(good);
    free_image(im);
}

/* Files fuzzing found that made stb read or allocate far past the file:
 * refused with a message naming the file, before stb sees them. */
TEST(image_inputs_that_trip_stb_are_refused_before_decoding)
{
    /* 16-bit PGM whose data is short: stb over-read its buffer */
    static const unsigned char pgm16[] = "P5\n5 1#F&\0\xf6\xff\xda \n655#F&\0\xc0";
    /* an IDAT chunk declaring ~940 MB in a 64-byte PNG: stb grew towards it */
    unsigned char png[64] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x08\0\0\0\x05\x08\0\0\0\0\x5d\xfa\xf2\x89"
                            "\x38\x00\x00\x00IDATx\x9c\x01\x2d\x4a\x6f";
    image *im = gradient(16, 8);
    size_t n;
    unsigned char *jpg = encode_image_jpg(im, 90, &n);
    /* a JPEG behind fill bytes: stb's own JPEG decoder used unset tables */
    unsigned char *filled = malloc(n + 4);
    memset(filled, 0xFF, 4);
    memcpy(filled + 4, jpg, n);
    struct { const unsigned char *b; size_t n; const char *name, *why; } cases[] = {
        {pgm16, sizeof pgm16 - 1, "a.pgm", "16-bit PNM"},
        {png, sizeof png, "b.png", "declares"},
        {filled, n + 4, "c.jpg", "c.jpg"},
    };
    for (int i = 0; i < 3; ++i) {
        dn_clear_error();
        image *d = decode_image_memory(cases[i].b, cases[i].n, cases[i].name, 0, 0, 0, NULL, NULL);
        CHECK_MSG(d == NULL, "%s decoded", cases[i].name);
        CHECK_MSG(strstr(dn_last_error(), cases[i].name) && strstr(dn_last_error(), cases[i].why), "%s",
                  dn_last_error());
        free_image(d);
    }
    dn_clear_error();
    free(filled);
    free(jpg);
    free_image(im);
}

TEST(image_save_is_atomic_and_checks_names)
{
    image *im = gradient(8, 8);
    const char *path = tmp_path("atomic.png");
    CHECK(save_image(im, path) == 0);
    /* no temporary files left beside it */
    char dir[128];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    int tmp_left = 0;
    while (d && (e = readdir(d))) tmp_left += strstr(e->d_name, ".tmp") != NULL;
    if (d) closedir(d);
    CHECK(tmp_left == 0);
    CHECK(access(path, R_OK) == 0);
    unlink(path);

    CHECK(save_image(im, "/nonexistent_dir_dn/x.png") == -1 && error_names("/nonexistent_dir_dn/x.png"));
    dn_clear_error();
    CHECK(save_image(im, tmp_path("x.gif")) == -1 && strstr(dn_last_error(), ".png"));
    dn_clear_error();
    free_image(im);
}

/* ---- resampling ---- */

static image *row_image(int w, int h, const float *v)
{
    image *im = make_image(w, h, 1);
    memcpy(im->data, v, sizeof(float) * w * h);
    return im;
}

TEST(image_resize_hand_worked)
{
    /* enlarging [0 1] to 4: centres u = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
     * clamped to [0, 1]: values 0, 0.25, 0.75, 1 */
    image *a = row_image(2, 1, (float[]){0, 1});
    image *a4 = resize_image(a, 4, 1);
    float want_a[] = {0, 0.25f, 0.75f, 1};
    for (int i = 0; i < 4; ++i) CHECK_NEAR(a4->data[i], want_a[i], 1e-6);

    /* x2 down averages 2 x 2 blocks: (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5 */
    image *b = row_image(4, 2, (float[]){1, 2, 3, 4, 5, 6, 7, 8});
    image *b2 = resize_image(b, 2, 1);
    CHECK_NEAR(b2->data[0], 3.5, 1e-6);
    CHECK_NEAR(b2->data[1], 5.5, 1e-6);

    /* [0 3 6] to 2 (s = 1.5): out 0 covers [0, 1.5): (1*0 + 0.5*3) / 1.5 = 1,
     * out 1 covers [1.5, 3): (0.5*3 + 1*6) / 1.5 = 5 */
    image *c = row_image(3, 1, (float[]){0, 3, 6});
    image *c2 = resize_image(c, 2, 1);
    CHECK_NEAR(c2->data[0], 1, 1e-6);
    CHECK_NEAR(c2->data[1], 5, 1e-6);

    /* 2 x 2 to 4 x 4 is separable: row 1 of the result is 0.75 * row 0 + 0.25 * row 1
     * of the x-enlarged image: [0 1; 2 3] -> x: [0 .25 .75 1; 2 2.25 2.75 3],
     * y at u = 0.25: 0.75 * 0 + 0.25 * 2 = 0.5 for the first column */
    image *d = row_image(2, 2, (float[]){0, 1, 2, 3});
    image *d4 = resize_image(d, 4, 4);
    CHECK_NEAR(d4->data[0], 0, 1e-6);
    CHECK_NEAR(d4->data[4], 0.5, 1e-6);
    CHECK_NEAR(d4->data[5], 0.75, 1e-6);   /* 0.75 * 0.25 + 0.25 * 2.25 */
    CHECK_NEAR(d4->data[15], 3, 1e-6);

    /* same size copies; a constant stays constant at any size (weights sum to 1) */
    image *e = gradient(7, 5);
    image *same = resize_image(e, 7, 5);
    CHECK_NEAR(mean_abs_diff(e, same), 0, 0);
    image *k = make_image_fill(7, 5, 3, 0.3f);
    image *k2 = resize_image(k, 3, 11);
    for (int i = 0; i < 3 * 11 * 3; ++i) CHECK_NEAR(k2->data[i], 0.3, 1e-6);
    /* x4 down of a 8 x 4 ramp averages 4 x 4 blocks: columns 0..3 mean 1.5, 4..7 mean 5.5 */
    float ramp[32];
    for (int i = 0; i < 32; ++i) ramp[i] = (float)(i % 8);
    image *f = row_image(8, 4, ramp);
    image *f4 = resize_image(f, 2, 1);
    CHECK_NEAR(f4->data[0], 1.5, 1e-6);
    CHECK_NEAR(f4->data[1], 5.5, 1e-6);

    CHECK(resize_image(b, 0, 3) == NULL);
    dn_clear_error();
    image *all[] = {a, a4, b, b2, c, c2, d, d4, e, same, k, k2, f, f4};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) free_image(all[i]);
}

TEST(image_enlarged_by_an_integer_factor_keeps_pixels_crisp)
{
    const float v[6] = {0, 1, 2, 3, 4, 5};   /* 3 x 2, one channel */
    image *im = row_image(3, 2, v);
    image *big = enlarge_image(im, 5);       /* shorter side 2 -> zoom 3 */
    CHECK(big && big->w == 9 && big->h == 6 && big->c == 1);
    for (int y = 0; big && y < 6; ++y)
        for (int x = 0; x < 9; ++x) CHECK(*image_at(big, x, y, 0) == v[(y / 3) * 3 + x / 3]);
    free_image(big);
    big = enlarge_image(im, 1);              /* large enough: a copy */
    CHECK(big && big->w == 3 && big->h == 2 && *image_at(big, 2, 1, 0) == 5);
    free_image(big);
    free_image(im);
}

TEST(image_letterbox_geometry)
{
    /* 200 x 100 into 416 x 416: width limits (416/200 < 416/100), so the image
     * becomes 416 x 100*416/200 = 208, centred at dy = (416 - 208)/2 = 104. */
    image *im = make_image_fill(200, 100, 3, 0.2f);
    letterbox_geom g;
    image *lb = letterbox_image(im, 416, 416, &g);
    CHECK(lb && lb->w == 416 && lb->h == 416 && lb->c == 3);
    CHECK(g.new_w == 416 && g.new_h == 208 && g.dx == 0 && g.dy == 104);
    CHECK_NEAR(g.sx, 2.08, 1e-6);
    CHECK_NEAR(g.sy, 2.08, 1e-6);
    if (lb) {
        CHECK_NEAR(*image_at(lb, 0, 103, 0), 0.5, 0);   /* grey band above */
        CHECK_NEAR(*image_at(lb, 0, 104, 0), 0.2, 1e-6); /* first image row */
        CHECK_NEAR(*image_at(lb, 415, 311, 2), 0.2, 1e-6);
        CHECK_NEAR(*image_at(lb, 415, 312, 2), 0.5, 0);  /* grey band below */
    }
    /* the whole image (0.5, 0.5, 1, 1) covers canvas rows 104..312: (0.5, 0.5, 1, 0.5);
     * a box at image (0.25, 0.75, 0.1, 0.2) lands at x = 0.25, y = (0.75*208 + 104)/416 = 0.625,
     * w = 0.1, h = 0.2*208/416 = 0.1 */
    box c = letterbox_box_to_canvas(&g, (box){0.5f, 0.5f, 1, 1});
    CHECK_NEAR(c.x, 0.5, 1e-6); CHECK_NEAR(c.y, 0.5, 1e-6); CHECK_NEAR(c.w, 1, 1e-6); CHECK_NEAR(c.h, 0.5, 1e-6);
    box d = letterbox_box_to_canvas(&g, (box){0.25f, 0.75f, 0.1f, 0.2f});
    CHECK_NEAR(d.x, 0.25, 1e-6); CHECK_NEAR(d.y, 0.625, 1e-6); CHECK_NEAR(d.w, 0.1, 1e-6); CHECK_NEAR(d.h, 0.1, 1e-6);
    box back = letterbox_box_to_image(&g, d);
    CHECK_NEAR(back.x, 0.25, 1e-6); CHECK_NEAR(back.y, 0.75, 1e-6); CHECK_NEAR(back.w, 0.1, 1e-6);
    CHECK_NEAR(back.h, 0.2, 1e-6);
    free_image(lb);
    free_image(im);

    /* 100 x 200 into 416 x 416: height limits, 208 wide at dx = 104 */
    im = make_image_fill(100, 200, 3, 0.2f);
    lb = letterbox_image(im, 416, 416, &g);
    CHECK(g.new_w == 208 && g.new_h == 416 && g.dx == 104 && g.dy == 0);
    free_image(lb);
    free_image(im);
}

TEST(image_flip_and_crop)
{
    /* [1 2 3; 4 5 6] mirrored: [3 2 1; 6 5 4] */
    image *a = row_image(3, 2, (float[]){1, 2, 3, 4, 5, 6});
    flip_image(a);
    float want[] = {3, 2, 1, 6, 5, 4};
    for (int i = 0; i < 6; ++i) CHECK_NEAR(a->data[i], want[i], 0);
    /* crop x=-1..1, y=1..2 of the flipped image: [0.5 6 5; 0.5 0.5 0.5] */
    image *c = crop_image(a, -1, 1, 3, 2);
    float want_c[] = {0.5f, 6, 5, 0.5f, 0.5f, 0.5f};
    for (int i = 0; i < 6; ++i) CHECK_NEAR(c->data[i], want_c[i], 0);
    free_image(a);
    free_image(c);
}

/* ---- colour ---- */

static void pixel(image *im, float r, float g, float b)
{
    im->data[0] = r, im->data[1] = g, im->data[2] = b;
}

TEST(image_colour_jitter_hand_worked)
{
    image *im = make_image(1, 1, 3);
    /* red (h 0, s 1, v 1) turned by a third of the circle is green */
    pixel(im, 1, 0, 0);
    distort_image(im, 1.0f / 3, 1, 1);
    CHECK_NEAR(im->data[0], 0, 1e-5); CHECK_NEAR(im->data[1], 1, 1e-5); CHECK_NEAR(im->data[2], 0, 1e-5);
    /* half saturation: v = 1, min = v*(1-s) = 0.5 -> (1, 0.5, 0.5) */
    pixel(im, 1, 0, 0);
    distort_image(im, 0, 0.5f, 1);
    CHECK_NEAR(im->data[0], 1, 1e-6); CHECK_NEAR(im->data[1], 0.5, 1e-6); CHECK_NEAR(im->data[2], 0.5, 1e-6);
    /* half exposure halves every channel of (0.8, 0.4, 0.2) */
    pixel(im, 0.8f, 0.4f, 0.2f);
    distort_image(im, 0, 1, 0.5f);
    CHECK_NEAR(im->data[0], 0.4, 1e-6); CHECK_NEAR(im->data[1], 0.2, 1e-6); CHECK_NEAR(im->data[2], 0.1, 1e-6);
    /* double exposure clips: (0.8, 0.4, 0.2) -> (1, 0.8, 0.4) */
    pixel(im, 0.8f, 0.4f, 0.2f);
    distort_image(im, 0, 1, 2);
    CHECK_NEAR(im->data[0], 1, 1e-6); CHECK_NEAR(im->data[1], 0.8, 1e-6); CHECK_NEAR(im->data[2], 0.4, 1e-6);
    /* (1, 0.5, 0): h = (g - b)/delta/6 = 1/12, s = 1, v = 1 */
    float h, s, v;
    rgb_to_hsv(1, 0.5f, 0, &h, &s, &v);
    CHECK_NEAR(h, 1.0 / 12, 1e-6); CHECK_NEAR(s, 1, 1e-6); CHECK_NEAR(v, 1, 1e-6);
    /* round trips */
    rng_state r;
    rng_seed(&r, 5);
    for (int i = 0; i < 100; ++i) {
        float c[3] = {rng_uniform(&r), rng_uniform(&r), rng_uniform(&r)}, o[3];
        rgb_to_hsv(c[0], c[1], c[2], &h, &s, &v);
        hsv_to_rgb(h, s, v, &o[0], &o[1], &o[2]);
        for (int k = 0; k < 3; ++k) CHECK_NEAR(o[k], c[k], 1e-5);
    }
    /* random jitter stays in [0, 1] and identity settings change nothing */
    image *g = gradient(16, 16), *g0 = copy_image(g);
    random_distort_image(g, 0, 1, 1, &r);
    CHECK_NEAR(mean_abs_diff(g, g0), 0, 0);
    random_distort_image(g, 0.1f, 1.5f, 1.5f, &r);
    for (int i = 0; i < 16 * 16 * 3; ++i) CHECK(g->data[i] >= 0 && g->data[i] <= 1);
    free_image(g), free_image(g0), free_image(im);
}

/* ---- drawing ---- */

TEST(image_draw_rect_and_text)
{
    const float white[3] = {1, 1, 1};
    image *im = make_image(10, 8, 3);
    draw_rect(im, 1, 1, 8, 6, 2, white);
    /* a 2-pixel outline of [1,8] x [1,6]: rows 1-2 and 5-6, columns 1-2 and 7-8 */
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 10; ++x) {
            int in = x >= 1 && x <= 8 && y >= 1 && y <= 6;
            int inner = x >= 3 && x <= 6 && y >= 3 && y <= 4;
            CHECK_MSG(*image_at(im, x, y, 1) == (in && !inner ? 1 : 0), "pixel %d,%d", x, y);
        }
    free_image(im);

    /* text lands inside its measured box and is drawn at the requested scale */
    im = make_image(60, 30, 1);
    int tw = text_width("Ab1", 2), th = text_height(2);
    draw_text(im, 5, 4, "Ab1\x01", 2, white);   /* the control byte shows as '?' */
    int inside = 0, outside = 0;
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 60; ++x) {
            if (*image_at(im, x, y, 0) == 0) continue;
            if (x >= 5 && y >= 4 && y < 4 + th) ++inside;
            else ++outside;
        }
    CHECK(tw > 0 && inside > 20 && outside == 0);
    free_image(im);
    im = make_image(1, 1, 3);
    draw_text(im, -50, -50, "clipped", 3, white);   /* entirely outside: nothing drawn, no crash */
    CHECK(im->data[0] == 0);
    free_image(im);
}

TEST(image_draw_detections_clips_and_colours)
{
    image *im = make_image_fill(64, 48, 3, 0.5f);
    box boxes[] = {{0.5f, 0.5f, 0.5f, 0.5f}, {0.0f, 0.0f, 0.4f, 0.4f}, {1.2f, 0.5f, 1, 1}, {NAN, 0.5f, 1, 1},
                   {0.5f, 0.5f, INFINITY, 1}};
    int classes[] = {0, 1, 2, 3, 99};
    float scores[] = {0.9f, 0.5f, 0.25f, 0.1f, 1};
    const char *names[] = {"square", "circle"};
    draw_detections(im, boxes, classes, scores, 5, names, 2);
    /* box 0 spans pixels 16..47 x 12..35: its left edge has class 0's colour */
    float c0[3];
    class_color(0, c0);
    for (int k = 0; k < 3; ++k) CHECK_NEAR(*image_at(im, 16, 30, k), c0[k], 1e-6);
    CHECK_NEAR(*image_at(im, 30, 30, 0), 0.5, 0);   /* inside untouched */
    free_image(im);
}
