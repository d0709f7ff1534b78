/* The loader's multi-scale batches (random=1) and mosaic (mosaic=1): sizes
 * that change every ten batches within 0.7x .. 1.4x in steps of 32, the
 * same for a seed; mosaic boxes cut to their window, tiny cuts dropped,
 * every box inside the image, the same for any thread count. */
#include "data_test_util.h"
#include "loader.h"
#include "mosaic.h"

TEST(mosaic_cuts_boxes_to_their_window_and_drops_tiny_cuts)
{
    /* 100 x 100 image; window 50 x 40 at (20, 20) pasted at (10, 60) */
    float truth[DN_MAX_BOXES * 5] = {
        0.30f, 0.30f, 0.10f, 0.10f, 1,   /* 25..35 x 25..35: inside, kept whole */
        0.70f, 0.40f, 0.20f, 0.20f, 2,   /* x 60..80: 10 of 20 stay (x 60..70) */
        0.205f, 0.40f, 0.05f, 0.10f, 0,  /* x 18..23: 3 px stay but 60% of 5: kept */
        0.19f, 0.40f, 0.04f, 0.10f, 0,   /* x 17..21: 1 px stays: dropped */
        0.40f, 0.675f, 0.10f, 0.15f, 1,  /* y 60..75: 0 px inside y 20..60: dropped */
        0.40f, 0.52f, 0.10f, 0.40f, 2,   /* y 32..72: 28 of 40 stay: kept */
        0.30f, 0.20f, 0.10f, 0.10f, 1,   /* y 15..25: 5 of 10 stay: kept */
        0.30f, 0.21f, 0.10f, 0.20f, 1,   /* y 11..31: 11 of 20 stay: kept */
        0.50f, 0.575f, 0.10f, 0.20f, 0,  /* y 47.5..67.5: 12.5 of 20 stay: kept */
        0.50f, 0.55f, 0.10f, 0.42f, 0,   /* y 34..76: 26 of 42 stay: kept */
        0.30f, 0.615f, 0.10f, 0.10f, 2,  /* y 56.5..66.5: 3.5 of 10, 35%: kept */
        0.30f, 0.625f, 0.10f, 0.14f, 2,  /* y 55.5..69.5: 4.5 of 14 = 32%: kept */
        0.30f, 0.67f, 0.10f, 0.30f, 2,   /* y 52..82: 8 of 30 = 27%: kept */
        0.30f, 0.73f, 0.10f, 0.50f, 2,   /* y 48..98: 12 of 50 = 24%: dropped */
    };
    float out[DN_MAX_BOXES * 5] = {0};
    mosaic_rect from = {20, 20, 50, 40};
    int kept = mosaic_boxes(truth, 100, 100, from, 10, 60, 2, 0.25f, out, 0);
    CHECK_MSG(kept == 11, "kept %d boxes", kept);
    /* the first moved by (-10, +40) */
    CHECK_NEAR(out[0], 0.20, 1e-5);
    CHECK_NEAR(out[1], 0.70, 1e-5);
    CHECK_NEAR(out[2], 0.10, 1e-5);
    /* the second cut to x 60..70, moved to 50..60 */
    CHECK_NEAR(out[5], 0.55, 1e-5);
    CHECK_NEAR(out[7], 0.10, 1e-5);
    CHECK(out[9] == 2);
    for (int i = 0; i < kept; ++i) {   /* inside the pasted window, at least 2 px */
        const float *o = out + 5 * i;
        CHECK((o[0] - o[2] / 2) * 100 >= 10 - 1e-3 && (o[0] + o[2] / 2) * 100 <= 60 + 1e-3);
        CHECK((o[1] - o[3] / 2) * 100 >= 60 - 1e-3 && (o[1] + o[3] / 2) * 100 <= 100 + 1e-3);
        CHECK(o[2] * 100 >= 2 - 1e-3 && o[3] * 100 >= 2 - 1e-3);
    }
}

/* A synthetic set of n 64 x 64 scenes in dir; the loader config for it. */
static loader_config synth_config(char *dir, int n, int size)
{
    loader_config c;
    loader_config_default(&c);
    if (make_temp_dir(dir)) return c;
    synth_options o = {.out_dir = dir, .n_train = n, .n_valid = 1, .size = 64, .classes = 3, .seed = 5};
    synth_summary sum;
    CHECK_MSG(synth_write_dataset(&o, &sum) == 0, "%s", dn_last_error());
    c.list = join(dir, "train.txt");
    c.classes = 3, c.width = c.height = size, c.seed = 11;
    c.jitter = 0.2f, c.flip = 1;
    return c;
}

/* Runs n batches; the boxes of all, and the images' checksum, into *sum. */
static int mosaic_batches(loader_config c, int n, double *sum, int *boxes)
{
    *sum = 0, *boxes = 0;
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    if (!L) return -1;
    size_t pix = (size_t)c.batch * 3 * c.width * c.height;
    float *im = malloc(pix * sizeof(float)), *truth = malloc(sizeof(float) * c.batch * DN_MAX_BOXES * 5);
    int bad = 0;
    for (int b = 0; b < n; ++b) {
        CHECK(loader_next(L, im, truth, NULL) == c.batch);
        for (size_t i = 0; i < pix; ++i) *sum += im[i] * (double)(i % 97 + 1);
        for (int i = 0; i < c.batch * DN_MAX_BOXES; ++i) {
            const float *t = truth + 5 * i;
            if (t[2] == 0) continue;
            ++*boxes;
            bad += t[0] - t[2] / 2 < -1e-5f || t[0] + t[2] / 2 > 1 + 1e-5f || t[1] - t[3] / 2 < -1e-5f ||
                   t[1] + t[3] / 2 > 1 + 1e-5f || t[2] * c.width < MOSAIC_MIN_PIXELS - 1e-3f ||
                   t[3] * c.height < MOSAIC_MIN_PIXELS - 1e-3f;
        }
    }
    loader_close(L);
    free(im);
    free(truth);
    return bad;
}

TEST(mosaic_loader_keeps_every_box_inside_and_repeats_for_any_thread_count)
{
    char dir[64] = "";
    loader_config c = synth_config(dir, 12, 80);
    c.mosaic = 1, c.batch = 4, c.threads = 1;
    double sum1, sum2;
    int boxes1, boxes2;
    int bad = mosaic_batches(c, 6, &sum1, &boxes1);
    CHECK_MSG(bad == 0 && boxes1 > 24, "%d of %d boxes outside the image or under the minimum", bad, boxes1);
    c.threads = 3;
    mosaic_batches(c, 6, &sum2, &boxes2);
    CHECK(sum1 == sum2 && boxes1 == boxes2);
    c.mosaic = 0;   /* mosaic does change the batches */
    mosaic_batches(c, 6, &sum2, &boxes2);
    CHECK(sum1 != sum2);
    remove_tree(dir);
}

TEST(multi_scale_loader_changes_size_every_ten_batches_in_steps_of_32)
{
    char dir[64] = "";
    loader_config c = synth_config(dir, 4, 160);
    c.random = 1, c.batch = 1;
    loader *L = loader_open(&c), *again = loader_open(&c);
    CHECK_MSG(L && again, "%s", dn_last_error());
    int mw, mh;
    if (L) loader_max_size(L, &mw, &mh);
    CHECK(L && mw == 224 && mh == 224);   /* 1.4 x 160 = 224 */
    float *im = malloc(sizeof(float) * 3 * 224 * 224), truth[DN_MAX_BOXES * 5];
    int sizes = 0, last = 0;
    for (int b = 0; L && again && b < 80; ++b) {
        int w, h, w2, h2;
        loader_next_size(L, &w, &h);
        loader_next_size(again, &w2, &h2);
        CHECK(w == h && w == w2 && h == h2 && w % 32 == 0 && w >= 112 && w <= 224);
        if (b % 10) CHECK_MSG(w == last, "batch %d: %d after %d within ten batches", b, w, last);
        else sizes |= 1 << (w / 32);
        last = w;
        CHECK(loader_next(L, im, truth, NULL) == 1 && loader_next(again, im, truth, NULL) == 1);
        int boxes = 0;
        for (int i = 0; i < DN_MAX_BOXES && truth[5 * i + 2] > 0; ++i) ++boxes;
        CHECK(boxes > 0);
    }
    CHECK_MSG(__builtin_popcount(sizes) >= 2, "sizes seen (bit k: 32k): %#x", sizes);
    loader_close(L);
    loader_close(again);
    free(im);
    remove_tree(dir);
}
