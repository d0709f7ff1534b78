/* test_corrupt.c: the ImageNet-C corruptions on small hand-worked images
 * (contrast, the defocus kernels, reflect-101 borders, noise statistics,
 * JPEG), the corrupted sets on disk with their index and .data key, and the
 * context stream of `synth -classify -context` (its labels recovered from the
 * pixels, with and without distractors). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corrupt_sets.h"
#include "data_cfg.h"
#include "image.h"
#include "test.h"

static image *image_of(int w, int h, int c, const float *v)
{
    image *im = make_image_fill(w, h, c, 0);
    if (im) memcpy(im->data, v, sizeof(float) * w * h * c);
    return im;
}

TEST(contrast_hand_worked)
{
    /* one channel [0.2, 0.6]: mean 0.4, (x - 0.4) * 0.4 + 0.4 = [0.32, 0.48] (ImageNet-C severity 1) */
    image *im = image_of(2, 1, 1, (float[]){0.2f, 0.6f});
    CHECK(corrupt_image(im, CORRUPT_CONTRAST, 1, CORRUPT_IMAGENET, 0) == 0);
    CHECK_NEAR(im->data[0], 0.32, 1e-6);
    CHECK_NEAR(im->data[1], 0.48, 1e-6);
    free_image(im);
    /* per channel: [0, 1] -> mean 0.5, c 0.15 (CIFAR-10-C severity 5): [0.425, 0.575]; flat channels stay */
    im = image_of(2, 1, 3, (float[]){0, 1, 1, 1, 0.2f, 0.2f});
    CHECK(corrupt_image(im, CORRUPT_CONTRAST, 5, CORRUPT_CIFAR, 0) == 0);
    const float want[6] = {0.425f, 0.575f, 1, 1, 0.2f, 0.2f};
    for (int i = 0; i < 6; ++i) CHECK_NEAR(im->data[i], want[i], 1e-6);
    free_image(im);
}

/* Kernel entry at (dy, dx) from the centre. */
static float k_at(const float *k, int side, int dy, int dx) { return k[(side / 2 + dy) * side + side / 2 + dx]; }

TEST(defocus_kernels_hand_worked)
{
    float k[21 * 21];
    int side;
    /* Tiny ImageNet-C severity 1: radius 0.5 keeps only the centre of -8..8, then the 3x3 Gaussian
     * of sd 0.6: a = exp(-1 / 0.72) = 0.249352, weights [a, 1, a] / (1 + 2a) = [0.166379, 0.667243] */
    corrupt_defocus_kernel(0.5f, 0.6f, k, &side);
    CHECK(side == 17);
    CHECK_NEAR(k_at(k, side, 0, 0), 0.445213, 1e-5);
    CHECK_NEAR(k_at(k, side, 0, 1), 0.111015, 1e-5);
    CHECK_NEAR(k_at(k, side, -1, 1), 0.027682, 1e-5);
    CHECK_NEAR(k_at(k, side, 0, 2), 0, 1e-9);
    /* ImageNet-C severity 1: radius 3 covers 7 + 2 * 5 + 2 * 5 + 2 = 29 pixels; sd 0.1 blurs nothing */
    corrupt_defocus_kernel(3, 0.1f, k, &side);
    CHECK(side == 17);
    CHECK_NEAR(k_at(k, side, 0, 0), 1 / 29.0, 1e-6);
    CHECK_NEAR(k_at(k, side, 0, 3), 1 / 29.0, 1e-6);
    CHECK_NEAR(k_at(k, side, 2, -2), 1 / 29.0, 1e-6);
    CHECK_NEAR(k_at(k, side, 1, 3), 0, 1e-9);
    /* ImageNet-C severity 5: radius 10 gets its own support -10..10 and a 5x5 blur. The disk reaches
     * the support's border, where the blur's reflect-101 border (cv2.GaussianBlur's default) adds
     * mass that ImageNet-C never renormalises: the kernel sums to 1.010786 (by a plain re-computation
     * of the same formula), so severities 4 and 5 also brighten by about 1% */
    corrupt_defocus_kernel(10, 0.5f, k, &side);
    CHECK(side == 21);
    double sum = 0;
    for (int i = 0; i < side * side; ++i) sum += k[i];
    CHECK_NEAR(sum, 1.010786, 1e-5);
}

TEST(defocus_blur_spreads_a_point_and_keeps_a_flat_image)
{
    /* CIFAR-10-C severity 4: radius 1 (centre and its 4 neighbours, 1/5 each), sd 0.2 (exp(-12.5): none) */
    float v[25] = {0};
    v[12] = 1;
    image *im = image_of(5, 5, 1, v);
    CHECK(corrupt_image(im, CORRUPT_BLUR, 4, CORRUPT_CIFAR, 0) == 0);
    CHECK_NEAR(im->data[12], 0.2, 1e-5);
    CHECK_NEAR(im->data[7], 0.2, 1e-5);
    CHECK_NEAR(im->data[13], 0.2, 1e-5);
    CHECK_NEAR(im->data[6], 0, 1e-5);
    free_image(im);
    image *flat = make_image_fill(6, 4, 3, 0.3f);   /* borders reflect: a flat image stays flat */
    CHECK(corrupt_image(flat, CORRUPT_BLUR, 3, CORRUPT_IMAGENET, 0) == 0);   /* radius 6: kernel sum 1 */
    double worst = 0;
    for (int i = 0; i < 6 * 4 * 3; ++i) worst = fmax(worst, fabs(flat->data[i] - 0.3));
    CHECK_MSG(worst < 1e-6, "flat image changed by %g", worst);
    free_image(flat);
}

TEST(filter_borders_reflect_without_repeating_the_edge)
{
    /* a kernel that reads the left neighbour: out(x) = in(x - 1); at x = 0, in(-1) is in(1) under
     * OpenCV's BORDER_REFLECT_101 (cv2.filter2D's default), so [.1 .2 .3 .4] -> [.2 .1 .2 .3] */
    float k[9] = {0, 0, 0, 1, 0, 0, 0, 0, 0};
    image *im = image_of(4, 1, 1, (float[]){0.1f, 0.2f, 0.3f, 0.4f});
    corrupt_filter(im, k, 3);
    const float want[4] = {0.2f, 0.1f, 0.2f, 0.3f};
    for (int i = 0; i < 4; ++i) CHECK_NEAR(im->data[i], want[i], 1e-6);
    free_image(im);
}

TEST(gaussian_noise_has_the_tables_sd_and_clips)
{
    /* ImageNet-C severity 3: sd 0.18 on a flat 0.5 image (no value reaches the clip often) */
    image *im = make_image_fill(64, 64, 3, 0.5f), *again = make_image_fill(64, 64, 3, 0.5f);
    CHECK(corrupt_image(im, CORRUPT_NOISE, 3, CORRUPT_IMAGENET, 7) == 0);
    corrupt_image(again, CORRUPT_NOISE, 3, CORRUPT_IMAGENET, 7);
    int n = 64 * 64 * 3;
    double mean = 0, var = 0;
    for (int i = 0; i < n; ++i) mean += im->data[i];
    mean /= n;
    for (int i = 0; i < n; ++i) var += (im->data[i] - mean) * (im->data[i] - mean);
    CHECK_NEAR(mean, 0.5, 0.01);
    CHECK_NEAR(sqrt(var / n), 0.18, 0.18 * 0.05);
    CHECK(memcmp(im->data, again->data, sizeof(float) * n) == 0);   /* the seed repeats it */
    /* severity 5: sd 0.38; P(|z| > 0.5 / 0.38) = 0.188 of the values land on 0 or 1 */
    image *five = make_image_fill(64, 64, 3, 0.5f);
    corrupt_image(five, CORRUPT_NOISE, 5, CORRUPT_IMAGENET, 8);
    int clipped = 0;
    for (int i = 0; i < n; ++i) clipped += five->data[i] == 0 || five->data[i] == 1;
    CHECK_MSG(fabs((double)clipped / n - 0.188) < 0.015, "clipped share %g", (double)clipped / n);
    free_image(im), free_image(again), free_image(five);
}

TEST(jpeg_keeps_flat_grey_and_loses_more_detail_at_lower_quality)
{
    image *flat = make_image_fill(16, 16, 3, 0.5f);
    CHECK(corrupt_jpeg(flat, 7) == 0);   /* a flat block is all DC: it survives any quality */
    for (int i = 0; i < 16 * 16 * 3; ++i) CHECK_NEAR(flat->data[i], 0.5, 2.0 / 255);
    free_image(flat);
    double err[2];
    for (int q = 0; q < 2; ++q) {
        image *im = make_image_fill(16, 16, 3, 0);
        for (int i = 0; i < 16 * 16 * 3; ++i) im->data[i] = ((i % 16) + (i / 16)) % 2 ? 0.8f : 0.2f;   /* checkerboard */
        CHECK(corrupt_image(im, CORRUPT_JPEG, q ? 5 : 1, CORRUPT_CIFAR, 0) == 0);   /* quality 80, then 40 */
        err[q] = 0;
        for (int i = 0; i < 16 * 16 * 3; ++i)
            err[q] += fabs(im->data[i] - (((i % 16) + (i / 16)) % 2 ? 0.8 : 0.2));
        free_image(im);
    }
    CHECK_MSG(err[1] > err[0] && err[0] > 0, "error at quality 80 %g, at 40 %g", err[0], err[1]);
}

/* ---- sets on disk ---- */

static int make_temp_dir(char dir[64])
{
    strcpy(dir, "/tmp/dn_corrupt_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    while (f && (ch = fgetc(f)) != EOF) n += ch == '\n';
    if (f) fclose(f);
    return n;
}

TEST(corrupted_sets_are_written_indexed_and_named_in_the_data_file)
{
    char dir[64], path[256], *index = NULL;
    if (make_temp_dir(dir)) return;
    synth_options so = {.out_dir = dir, .n_train = 2, .n_valid = 3, .size = 32, .seed = 4, .context = 1};
    CHECK(synth_write_classify(&so) == 0);
    snprintf(path, sizeof path, "%s/valid.txt", dir);
    corrupt_options o = {path, dir, 1u << CORRUPT_CONTRAST | 1u << CORRUPT_JPEG, 1u | 1u << 4, CORRUPT_CIFAR, 9};
    CHECK(corrupt_write_sets(&o, &index) == 0);
    corrupt_set *sets = NULL;
    int n = 0;
    CHECK(index && corrupt_index_read(index, &sets, &n) == 0);
    CHECK(n == 4);
    const char *kinds[4] = {"contrast", "contrast", "jpeg_compression", "jpeg_compression"};
    for (int i = 0; i < n && i < 4; ++i) {
        CHECK(!strcmp(sets[i].kind, kinds[i]) && sets[i].severity == (i % 2 ? 5 : 1));
        CHECK(count_lines(sets[i].list) == 3);
    }
    /* the copies keep the file names, so the label in them */
    char line[512] = "", want[160];
    FILE *f = n ? fopen(sets[0].list, "r") : NULL;
    if (f && fgets(line, sizeof line, f)) line[strcspn(line, "\n")] = 0;
    if (f) fclose(f);
    snprintf(want, sizeof want, "%s/corrupt/contrast_1/", dir);
    CHECK_MSG(!strncmp(line, want, strlen(want)) && strstr(line, "_000001.png") && access(line, R_OK) == 0, "%s",
              line);
    corrupt_sets_free(sets, n);
    snprintf(path, sizeof path, "%s/classify.data", dir);
    CHECK(corrupt_add_to_data(path, "old") == 0 && corrupt_add_to_data(path, index) == 0);   /* replaced, not added */
    data_cfg *d = data_cfg_read(path);
    CHECK_MSG(d && d->corrupt && !strcmp(d->corrupt, index), "%s", dn_last_error());
    data_cfg_free(d);
    free(index);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(corruption_index_errors_name_file_and_line)
{
    const char *path = temp_file("# comment\ngaussian_noise 1 a.txt\n\ncontrast x b.txt\n");
    corrupt_set *sets;
    int n;
    dn_clear_error();
    CHECK(corrupt_index_read(path, &sets, &n) == -1 && n == 0);
    char where[96];
    snprintf(where, sizeof where, "%s:4", path);
    CHECK_MSG(strstr(dn_last_error(), where) != NULL, "message: %s", dn_last_error());
    unlink(path);
}

/* ---- the context stream ---- */

/* Pixels at least 0.2 from the background (the per-channel median) in some channel. */
static void foreground(const float *im, int w, int h, unsigned char *fg)
{
    float bg[3];
    float *v = malloc(sizeof(float) * w * h);
    for (int k = 0; k < 3; ++k) {
        memcpy(v, im + (size_t)k * w * h, sizeof(float) * w * h);
        for (int i = 0; i <= w * h / 2; ++i)   /* partial selection sort up to the median */
            for (int j = i + 1; j < w * h; ++j)
                if (v[j] < v[i]) {
                    float t = v[i];
                    v[i] = v[j], v[j] = t;
                }
        bg[k] = v[w * h / 2];
    }
    free(v);
    for (int i = 0; i < w * h; ++i) {
        fg[i] = 0;
        for (int k = 0; k < 3; ++k) fg[i] |= fabsf(im[(size_t)k * w * h + i] - bg[k]) > 0.2f;
    }
}

typedef struct {
    int size;
    double x, y, colour[3];   /* sums over the pixels until components() divides them */
} component;

/* Flood fill of component `id` from pixel p, adding up its pixels into *c. */
static void fill(unsigned char *fg, int *stack, const float *im, int w, int h, int p, unsigned char id, component *c)
{
    int top = 0;
    stack[top++] = p;
    fg[p] = id;
    while (top) {
        int q = stack[--top], x = q % w, y = q / w;
        ++c->size, c->x += x, c->y += y;
        for (int k = 0; k < 3; ++k) c->colour[k] += im[(size_t)k * w * h + q];
        const int nb[4] = {x > 0 ? q - 1 : -1, x < w - 1 ? q + 1 : -1, y > 0 ? q - w : -1, y < h - 1 ? q + w : -1};
        for (int i = 0; i < 4; ++i)
            if (nb[i] >= 0 && fg[nb[i]] == 1) fg[nb[i]] = id, stack[top++] = nb[i];
    }
}

/* The blobs off the background: centroid and mean colour of each; returns how many (the first max kept). */
static int components(const float *im, int w, int h, component *out, int max)
{
    unsigned char *fg = malloc((size_t)w * h);
    int *stack = malloc(sizeof(int) * w * h), n = 0;
    foreground(im, w, h, fg);
    for (int p = 0; p < w * h; ++p)
        if (fg[p] == 1) {
            component c = {0};
            fill(fg, stack, im, w, h, p, (unsigned char)(2 + (n < max ? n : max)), &c);
            if (n < max) {
                c.x /= c.size, c.y /= c.size;
                for (int k = 0; k < 3; ++k) c.colour[k] /= c.size;
                out[n] = c;
            }
            ++n;
        }
    free(fg), free(stack);
    return n;
}

/* The direction (left, right, above, below) of b as seen from a. */
static int direction(const component *a, const component *b)
{
    double dx = b->x - a->x, dy = b->y - a->y;
    if (fabs(dx) > fabs(dy)) return dx < 0 ? 0 : 1;
    return dy < 0 ? 2 : 3;
}

/* The class read off the pixels: the smaller blob's direction from the larger; -1 unless two blobs. */
static int read_direction(const float *im, int w, int h)
{
    component c[2];
    if (components(im, w, h, c, 2) != 2) return -1;
    int big = c[0].size < c[1].size;
    return direction(&c[big], &c[!big]);
}

TEST(context_images_are_labelled_by_the_markers_direction)
{
    static const int sizes[2] = {64, 40};
    for (int s = 0; s < 2; ++s) {
        int w = sizes[s], counts[4] = {0}, wrong = 0;
        float *im = malloc(sizeof(float) * w * w * 3);
        for (int i = 0; i < 60; ++i) {
            int cls = synth_context_image(3, (uint64_t)i, w, w, 3, im);
            CHECK(cls >= 0 && cls < SYNTH_CONTEXT_CLASSES);
            if (cls < 0 || cls >= 4) continue;
            ++counts[cls];
            int seen = read_direction(im, w, w);
            if (seen != cls && wrong++ < 3) test_fail(__FILE__, __LINE__, "%d x %d image %d: class %s, pixels say %d", w, w, i,
                                                  synth_context_names[cls], seen);
        }
        for (int k = 0; k < 4; ++k) CHECK_MSG(counts[k] >= 6, "%d x %d: class %d drawn %d times of 60", w, w, k, counts[k]);
        free(im);
    }
}

/* The largest blob (the shape) and the index of the one other blob of its colour, or -1. */
static int same_colour_disc(const component *c, int n, int *shape)
{
    *shape = 0;
    for (int i = 1; i < n; ++i)
        if (c[i].size > c[*shape].size) *shape = i;
    int match = -1;
    for (int i = 0; i < n; ++i) {
        double far = 0;
        for (int k = 0; k < 3; ++k) far = fmax(far, fabs(c[i].colour[k] - c[*shape].colour[k]));
        if (i != *shape && far < 0.1) match = match < 0 ? i : -2;   /* -2: more than one */
    }
    return match < 0 ? -1 : match;
}

TEST(context_distractors_leave_one_disc_of_the_shapes_colour_in_the_labelled_direction)
{
    enum { W = 64, K = 3 };
    float *im = malloc(sizeof(float) * W * W * 3), *plain = malloc(sizeof(float) * W * W * 3);
    int wrong = 0, whole = 0;
    for (int i = 0; i < 60; ++i) {
        /* no distractors: the plain context stream, image for image */
        int a = synth_context_image(5, (uint64_t)i, W, W, 3, plain);
        int b = synth_context_image_distractors(5, (uint64_t)i, 0, W, W, 3, im);
        CHECK(a == b && !memcmp(im, plain, sizeof(float) * W * W * 3));
        int cls = synth_context_image_distractors(5, (uint64_t)i, K, W, W, 3, im);
        component c[2 + K + 1];
        int n = components(im, W, W, c, 2 + K + 1), shape, marker = -1;
        if (n != 2 + K) continue;   /* a distractor touching another blob: too rare to matter */
        ++whole;
        marker = same_colour_disc(c, n, &shape);
        if ((marker < 0 || direction(&c[shape], &c[marker]) != cls) && wrong++ < 3)
            test_fail(__FILE__, __LINE__, "image %d: class %s, marker blob %d of %d", i, synth_context_names[cls],
                      marker, n);
    }
    CHECK_MSG(whole >= 50, "only %d of 60 images show %d separate blobs", whole, 2 + K);
    free(im), free(plain);
}
