/* test_loader.c: the threaded batch loader: hand-worked boxes without
 * augmentation and after letterbox, boxes that follow the pixels through
 * jitter/flip/letterbox/colour jitter, determinism across thread counts,
 * corrupt and missing images, the evaluation mode, shutdown while busy, the
 * [net] keys, and a synthetic dataset. */
#include <sys/stat.h>

#include "data_test_util.h"
#include "image.h"
#include "loader.h"

typedef struct {
    const char *name;
    int w, h, x0, y0, x1, y1, cls;   /* white rectangle [x0,x1) x [y0,y1) on black */
} scene;

static const scene scenes[] = {
    {"a", 64, 48, 10, 8, 30, 40, 1},
    {"b", 40, 80, 20, 50, 36, 75, 0},
    {"c", 100, 60, 0, 20, 25, 45, 2},
    {"d", 50, 50, 30, 0, 50, 15, 1},
};
enum { N_SCENES = 4 };

/* Writes dir/images/NAME.png and dir/labels/NAME.txt for each scene
 * (label_for = 0 leaves scene c without a label file); paths[] receives
 * the image paths (static). */
static void write_scenes(const char *dir, char paths[][512], int skip_label)
{
    mkdir(join(dir, "images"), 0755);
    mkdir(join(dir, "labels"), 0755);
    for (int i = 0; i < N_SCENES; ++i) {
        const scene *s = &scenes[i];
        image *im = make_image(s->w, s->h, 3);
        const float white[3] = {1, 1, 1};
        fill_rect(im, s->x0, s->y0, s->x1 - 1, s->y1 - 1, white);
        char name[64];
        snprintf(name, sizeof name, "images/%s.png", s->name);
        snprintf(paths[i], 512, "%s", join(dir, name));
        CHECK(save_image(im, paths[i]) == 0);
        free_image(im);
        if (i == skip_label) continue;
        char label[128];
        snprintf(name, sizeof name, "labels/%s.txt", s->name);
        snprintf(label, sizeof label, "%d %.6f %.6f %.6f %.6f\n", s->cls, (s->x0 + s->x1) / 2.0 / s->w,
                 (s->y0 + s->y1) / 2.0 / s->h, (double)(s->x1 - s->x0) / s->w, (double)(s->y1 - s->y0) / s->h);
        write_text(join(dir, name), label);
    }
}

static loader_config config(char paths[][512], char **ptrs, int n, int w, int h, int batch)
{
    loader_config c;
    loader_config_default(&c);
    for (int i = 0; i < n; ++i) ptrs[i] = paths[i];
    c.paths = ptrs;
    c.n_paths = n;
    c.classes = 3;
    c.width = w;
    c.height = h;
    c.batch = batch;
    c.seed = 7;
    return c;
}

TEST(loader_boxes_without_augmentation_and_letterboxed)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);

    /* plain resize, no augmentation: the truth is the label. Scene a:
     * x [10,30) of 64 -> centre 0.3125, width 0.3125; y [8,40) of 48 ->
     * centre 0.5, height 2/3. */
    loader_config c = config(paths, ptrs, 1, 32, 32, 2);
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    float *im = calloc(2 * 3 * 32 * 32, sizeof(float)), *truth = calloc(2 * DN_MAX_BOXES * 5, sizeof(float));
    loader_image_info info[2];
    if (L) {
        CHECK(loader_next(L, im, truth, info) == 2);
        for (int k = 0; k < 2; ++k) {
            const float *t = truth + k * DN_MAX_BOXES * 5;
            CHECK_NEAR(t[0], 0.3125, 1e-5);
            CHECK_NEAR(t[1], 0.5, 1e-5);
            CHECK_NEAR(t[2], 0.3125, 1e-5);
            CHECK_NEAR(t[3], 2.0 / 3, 1e-5);
            CHECK(t[4] == 1);
            CHECK(t[5] == 0 && t[7] == 0);   /* the second box is unused */
            CHECK(info[k].index == 0 && info[k].src_w == 64 && info[k].src_h == 48);
        }
    }
    loader_close(L);

    /* eval: letterbox 64x48 into 32x32: new 32x24 at dy = 4. y centre
     * (0.5*24 + 4)/32 = 0.5, height (2/3)*24/32 = 0.5; x as before. */
    c.eval = 1;
    c.flip = 1, c.jitter = 0.3f, c.hue = 0.2f;   /* ignored in eval */
    L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    if (L) {
        CHECK(loader_next(L, im, truth, info) == 1);
        CHECK_NEAR(truth[0], 0.3125, 1e-5);
        CHECK_NEAR(truth[1], 0.5, 1e-5);
        CHECK_NEAR(truth[2], 0.3125, 1e-5);
        CHECK_NEAR(truth[3], 0.5, 1e-5);
        CHECK(info[0].index == 0 && info[0].loaded == 1);
        CHECK(info[0].geom.new_w == 32 && info[0].geom.new_h == 24 && info[0].geom.dy == 4);
        CHECK(info[1].index == -1);
        /* grey bars above and below, black background, white box */
        CHECK_NEAR(im[0], 0.5, 1e-6);
        CHECK_NEAR(im[5 * 32 + 1], 0, 1e-6);
        CHECK_NEAR(im[16 * 32 + 10], 1, 1e-6);
        CHECK(im[3 * 32 * 32] == 0);   /* the second image of the short batch is zeroed */
        CHECK(loader_next(L, im, truth, info) == 0);
        CHECK(loader_next(L, im, truth, info) == 0);
    }
    loader_close(L);
    free(im);
    free(truth);
    remove_tree(dir);
}

/* The box in the truth covers the white pixels (channel 0 > 0.7: white stays
 * above 1/1.1, black and the 0.5 grey padding below 0.55) within 1.5 px. */
static void check_box_covers_white(const float *img, const float *t, int W, int H, int which)
{
    int minx = W, maxx = -1, miny = H, maxy = -1, count = 0;
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
            if (img[y * W + x] > 0.7f) {
                ++count;
                if (x < minx) minx = x;
                if (x > maxx) maxx = x;
                if (y < miny) miny = y;
                if (y > maxy) maxy = y;
            }
    if (t[2] == 0) {   /* dropped or cut away: at most a sliver left */
        CHECK_MSG(count <= 2 * (W > H ? W : H), "image %d: %d white pixels but no box", which, count);
        return;
    }
    float x0 = (t[0] - t[2] / 2) * W, x1 = (t[0] + t[2] / 2) * W;
    float y0 = (t[1] - t[3] / 2) * H, y1 = (t[1] + t[3] / 2) * H;
    if (x1 - x0 < 2.5f || y1 - y0 < 2.5f) return;   /* too thin to survive resampling above 0.7 */
    CHECK_MSG(count > 0 && fabsf(minx - x0) <= 1.5f && fabsf(maxx + 1 - x1) <= 1.5f && fabsf(miny - y0) <= 1.5f &&
                  fabsf(maxy + 1 - y1) <= 1.5f,
              "image %d: white pixels x [%d,%d) y [%d,%d), box x [%.2f,%.2f) y [%.2f,%.2f)", which, minx, maxx + 1,
              miny, maxy + 1, x0, x1, y0, y1);
}

TEST(loader_boxes_follow_the_pixels)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    enum { W = 48, H = 40, B = 4, BATCHES = 5 };
    float *im = calloc(B * 3 * W * H, sizeof(float)), *truth = calloc(B * DN_MAX_BOXES * 5, sizeof(float));
    for (int lb = 0; lb < 2; ++lb) {
        loader_config c = config(paths, ptrs, N_SCENES, W, H, B);
        c.jitter = 0.3f, c.flip = 1, c.hue = 0.1f, c.saturation = 1.5f, c.exposure = 1.1f, c.letterbox = lb;
        loader *L = loader_open(&c);
        CHECK_MSG(L != NULL, "%s", dn_last_error());
        int boxes = 0, flipped_or_cut = 0;
        for (int b = 0; L && b < BATCHES; ++b) {
            loader_image_info info[B];
            CHECK(loader_next(L, im, truth, info) == B);
            for (int k = 0; k < B; ++k) {
                const float *t = truth + k * DN_MAX_BOXES * 5;
                check_box_covers_white(im + k * 3 * W * H, t, W, H, b * B + k);
                CHECK(t[5 + 2] == 0);   /* one object per scene */
                if (t[2] > 0) {
                    ++boxes;
                    CHECK(t[4] == scenes[info[k].index].cls);
                }
                /* scene a's box lies left of centre; on the right it was flipped */
                if (info[k].index == 0 && t[0] > 0.5f) ++flipped_or_cut;
            }
        }
        CHECK(boxes > BATCHES * B / 2);
        CHECK(flipped_or_cut > 0);
        loader_close(L);
    }
    free(im);
    free(truth);
    remove_tree(dir);
}

TEST(loader_flip_only_mirrors_the_box)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    /* scene a at its own size with flip=1 only: x centre 20/64 = 0.3125 or
     * mirrored 44/64 = 0.6875; the image is the original or its mirror */
    loader_config c = config(paths, ptrs, 1, 64, 48, 8);
    c.flip = 1;
    loader *L = loader_open(&c);
    float *im = calloc(8 * 3 * 64 * 48, sizeof(float)), *truth = calloc(8 * DN_MAX_BOXES * 5, sizeof(float));
    int plain = 0, mirrored = 0;
    for (int b = 0; L && b < 2; ++b) {
        CHECK(loader_next(L, im, truth, NULL) == 8);
        for (int k = 0; k < 8; ++k) {
            float x = truth[k * DN_MAX_BOXES * 5], *img = im + k * 3 * 64 * 48;
            if (fabsf(x - 0.3125f) < 1e-5f) {
                ++plain;
                CHECK(img[20 * 64 + 10] == 1 && img[20 * 64 + 9] == 0);    /* left edge at x = 10 */
            } else if (fabsf(x - 0.6875f) < 1e-5f) {
                ++mirrored;
                CHECK(img[20 * 64 + 53] == 1 && img[20 * 64 + 54] == 0);   /* mirrored: right edge 63 - 10 */
            } else {
                CHECK_MSG(0, "x centre %g", x);
            }
        }
    }
    CHECK(plain > 0 && mirrored > 0 && plain + mirrored == 16);
    loader_close(L);
    free(im);
    free(truth);
    remove_tree(dir);
}

/* Three batches of a jittered, flipped, colour-jittered run. */
static void run_batches(loader_config c, int threads, int ahead, float *im, float *truth, int *index)
{
    c.threads = threads;
    c.ahead = ahead;
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    size_t per = (size_t)c.batch * 3 * c.width * c.height;
    for (int b = 0; L && b < 3; ++b) {
        loader_image_info info[6];
        CHECK(loader_next(L, im + b * per, truth + (size_t)b * c.batch * DN_MAX_BOXES * 5, info) == c.batch);
        for (int k = 0; k < c.batch; ++k) index[b * c.batch + k] = info[k].index;
    }
    loader_close(L);
}

TEST(loader_same_seed_same_batches_for_any_thread_count)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    enum { W = 40, H = 32, B = 6 };
    loader_config c = config(paths, ptrs, N_SCENES, W, H, B);
    c.jitter = 0.25f, c.flip = 1, c.hue = 0.1f, c.saturation = 1.5f, c.exposure = 1.5f, c.letterbox = 1;
    size_t ni = 3 * B * 3 * W * H, nt = 3 * B * DN_MAX_BOXES * 5;
    float *im1 = calloc(ni, 4), *im3 = calloc(ni, 4), *t1 = calloc(nt, 4), *t3 = calloc(nt, 4);
    int idx1[3 * B], idx3[3 * B];
    run_batches(c, 1, 1, im1, t1, idx1);
    run_batches(c, 3, 2, im3, t3, idx3);
    CHECK(!memcmp(im1, im3, ni * 4));
    CHECK(!memcmp(t1, t3, nt * 4));
    CHECK(!memcmp(idx1, idx3, sizeof idx1));
    /* each epoch of 4 visits every image once: batches of 6 hold
     * epochs [0..3] and [4..7] in the first 8 slots */
    int seen[N_SCENES] = {0};
    for (int k = 0; k < 4; ++k) seen[idx1[k]]++;
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1);
    /* another seed: other batches */
    c.seed = 8;
    run_batches(c, 2, 2, im3, t3, idx3);
    CHECK(memcmp(im1, im3, ni * 4) != 0);
    free(im1);
    free(im3);
    free(t1);
    free(t3);
    remove_tree(dir);
}

/* n_batches batches of loader c (its share, with shards) into im, truth, index. */
static void load_batches(loader_config c, int n_batches, float *im, float *truth, int *index)
{
    int per_call = c.shards > 1 ? c.batch / c.shards : c.batch;
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    size_t per = (size_t)per_call * 3 * c.width * c.height, tper = (size_t)per_call * DN_MAX_BOXES * 5;
    loader_image_info info[16];
    for (int b = 0; L && b < n_batches; ++b) {
        CHECK(loader_next(L, im + b * per, truth + b * tper, info) == per_call);
        for (int k = 0; k < per_call; ++k) index[b * per_call + k] = info[k].index;
    }
    loader_close(L);
}

TEST(sharded_loaders_together_deliver_the_batches_of_one_loader)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    /* a batch of 8 in 2 passes (subdivisions) over 2 ranks: each loads 2 of each pass */
    enum { W = 24, H = 20, B = 8, PASSES = 2, SHARDS = 2, BATCHES = 3, PART = B / PASSES / SHARDS };
    loader_config c = config(paths, ptrs, N_SCENES, W, H, B);
    c.jitter = 0.25f, c.flip = 1, c.hue = 0.1f, c.saturation = 1.5f, c.exposure = 1.5f;
    size_t img = 3 * W * H, box = DN_MAX_BOXES * 5;
    float *im = calloc(BATCHES * B * img, 4), *t = calloc(BATCHES * B * box, 4);
    float *ims = calloc(BATCHES * B / SHARDS * img, 4), *ts = calloc(BATCHES * B / SHARDS * box, 4);
    int idx[BATCHES * B], idxs[BATCHES * B / SHARDS];
    load_batches(c, BATCHES, im, t, idx);
    c.shards = SHARDS, c.shard_groups = PASSES;
    for (c.shard = 0; c.shard < SHARDS; ++c.shard) {
        load_batches(c, BATCHES, ims, ts, idxs);
        for (int b = 0; b < BATCHES; ++b)
            for (int p = 0; p < PASSES; ++p)
                for (int j = 0; j < PART; ++j) {
                    int whole = b * B + p * (B / PASSES) + c.shard * PART + j, mine = (b * PASSES + p) * PART + j;
                    CHECK(idxs[mine] == idx[whole]);
                    CHECK(!memcmp(ims + mine * img, im + whole * img, img * 4));
                    CHECK(!memcmp(ts + mine * box, t + whole * box, box * 4));
                }
    }
    c.shard = 0, c.batch = 6;   /* 6 does not split into 2 passes of 2 shards */
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "cannot be cut"));
    free(im), free(t), free(ims), free(ts);
    remove_tree(dir);
}

TEST(every_image_of_an_epoch_is_loaded_once_across_shards)
{
    char dir[64], paths[N_SCENES][512];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    /* a list of 12 entries (each scene three times), batches of 6 over 3 ranks: two
     * batches are one epoch, and together the ranks load each entry once */
    enum { N = 12, B = 6, SHARDS = 3 };
    char *list[N];
    for (int i = 0; i < N; ++i) list[i] = paths[i % N_SCENES];
    loader_config c = config(paths, list, 0, 16, 16, B);
    c.paths = list, c.n_paths = N, c.jitter = 0.2f, c.flip = 1;
    c.shards = SHARDS, c.shard_groups = 1;
    int count[N] = {0}, idx[N / SHARDS];
    float *im = calloc(N * 3 * 16 * 16, 4), *t = calloc(N * DN_MAX_BOXES * 5, 4);
    for (c.shard = 0; c.shard < SHARDS; ++c.shard) {
        load_batches(c, N / B, im, t, idx);
        for (int k = 0; k < N / SHARDS; ++k)
            if (idx[k] >= 0 && idx[k] < N) count[idx[k]]++;
    }
    for (int i = 0; i < N; ++i) CHECK_MSG(count[i] == 1, "list entry %d loaded %d times", i, count[i]);
    free(im), free(t);
    remove_tree(dir);
}

TEST(loader_skips_corrupt_and_missing_images)
{
    char dir[64], paths[7][512], *ptrs[7];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, 2);   /* scene c has no label file */
    /* 4: JPEG magic then junk; 5: missing; 6: a real JPEG cut in half */
    snprintf(paths[4], 512, "%s", join(dir, "images/junk.jpg"));
    write_text(paths[4], "\xFF\xD8\xFF\xE0 this is not a JPEG at all");
    snprintf(paths[5], 512, "%s", join(dir, "images/missing.png"));
    snprintf(paths[6], 512, "%s", join(dir, "images/cut.jpg"));
    image *g = make_image_fill(64, 64, 3, 0.3f);
    size_t len = 0;
    unsigned char *jpg = encode_image_jpg(g, 90, &len);
    FILE *fp = fopen(paths[6], "wb");
    if (fp && jpg) fwrite(jpg, 1, len / 2, fp);
    if (fp) fclose(fp);
    free(jpg);
    free_image(g);

    loader_config c = config(paths, ptrs, 7, 32, 32, 7);
    c.jitter = 0.2f, c.flip = 1;
    float *im = calloc(7 * 3 * 32 * 32, sizeof(float)), *truth = calloc(7 * DN_MAX_BOXES * 5, sizeof(float));
    loader_image_info info[7];
    capture_begin();
    loader *L = loader_open(&c);
    /* two epochs: every bad entry is met at least once */
    for (int b = 0; L && b < 2; ++b) {
        CHECK(loader_next(L, im, truth, info) == 7);
        for (int k = 0; k < 7; ++k) CHECK_MSG(info[k].index < 4 && info[k].loaded, "entry %d", info[k].index);
    }
    loader_stats st = loader_get_stats(L);
    loader_close(L);
    char *err = capture_end();
    CHECK(L != NULL);
    CHECK(st.bad_images == 3 && st.missing_labels == 1 && st.bad_label_files == 0 && st.images == 14);
    /* one warning per bad image, each naming its file */
    CHECK_MSG(count_in(err, "warning: skipping image") == 3, "stderr: %s", err);
    for (int i = 4; i < 7; ++i) CHECK_MSG(count_in(err, paths[i]) == 1, "%s in: %s", paths[i], err);
    free(err);

    /* eval: in order, bad entries grey and flagged, the batch of 7 whole */
    c.eval = 1;
    c.batch = 4;
    capture_begin();
    L = loader_open(&c);
    int n1 = L ? loader_next(L, im, truth, info) : -1;
    for (int k = 0; k < n1; ++k) CHECK(info[k].index == k && info[k].loaded == 1);
    int n2 = L ? loader_next(L, im, truth, info) : -1;
    CHECK(n1 == 4 && n2 == 3);
    for (int k = 0; k < n2; ++k) CHECK(info[k].index == 4 + k && info[k].loaded == 0);
    CHECK_NEAR(im[100], 0.5, 1e-6);
    CHECK(truth[2] == 0);
    CHECK(L && loader_next(L, im, truth, info) == 0);
    loader_close(L);
    err = capture_end();
    CHECK_MSG(count_in(err, "warning: skipping image") == 3, "stderr: %s", err);
    free(err);

    /* nothing loadable: an error, not a hang */
    c.eval = 0;
    c.paths = ptrs + 4;
    c.n_paths = 3;
    capture_begin();
    L = loader_open(&c);
    dn_clear_error();
    CHECK(L && loader_next(L, im, truth, info) == -1);
    CHECK_MSG(strstr(dn_last_error(), "none of the 3 images") != NULL, "%s", dn_last_error());
    dn_clear_error();
    loader_close(L);
    free(capture_end());
    free(im);
    free(truth);
    remove_tree(dir);
}

/* A label file with more boxes than a truth slot holds (DN_MAX_BOXES): the
 * first DN_MAX_BOXES are kept and the file is named once, not at every load
 * of the image (here six loads over six epochs). */
TEST(loader_warns_once_per_file_with_more_than_max_boxes)
{
    char dir[64], paths[1][512], *ptrs[1];
    if (make_temp_dir(dir)) return;
    mkdir(join(dir, "images"), 0755);
    mkdir(join(dir, "labels"), 0755);
    snprintf(paths[0], 512, "%s", join(dir, "images/many.png"));
    image *im0 = make_image_fill(64, 64, 3, 0.3f);
    CHECK(save_image(im0, paths[0]) == 0);
    free_image(im0);
    /* 130 boxes of 0.08 x 0.05 on a 10-column grid: each at least 1.6 px at 32 x 32 */
    enum { N = 130 };
    char *text = calloc(N, 64), *p = text;
    for (int i = 0; i < N; ++i)
        p += sprintf(p, "%d %.3f %.3f 0.08 0.05\n", i % 3, 0.05 + (i % 10) * 0.1, 0.05 + (i / 10) * 0.07);
    char label[512];
    snprintf(label, sizeof label, "%s", join(dir, "labels/many.txt"));
    write_text(label, text);
    free(text);

    loader_config c = config(paths, ptrs, 1, 32, 32, 2);
    float *im = calloc(2 * 3 * 32 * 32, sizeof(float)), *truth = calloc(2 * DN_MAX_BOXES * 5, sizeof(float));
    capture_begin();
    loader *L = loader_open(&c);
    for (int b = 0; L && b < 3; ++b) CHECK(loader_next(L, im, truth, NULL) == 2);
    loader_close(L);
    char *err = capture_end();
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    /* every slot filled, in file order: the last kept box is line 100 */
    int filled = 0;
    for (int k = 0; k < DN_MAX_BOXES; ++k) filled += truth[k * 5 + 2] > 0;
    CHECK_MSG(filled == DN_MAX_BOXES, "%d boxes in the truth", filled);
    CHECK_NEAR(truth[99 * 5 + 0], 0.95, 1e-3);
    CHECK_NEAR(truth[99 * 5 + 1], 0.68, 1e-3);
    CHECK_MSG(count_in(err, "warning:") == 1 && count_in(err, label) == 1 && strstr(err, "130 boxes") &&
                  strstr(err, "first 100"),
              "stderr: %s", err);
    free(err);
    free(im);
    free(truth);
    remove_tree(dir);
}

TEST(loader_close_while_workers_are_busy)
{
    char dir[64], paths[N_SCENES][512], *ptrs[N_SCENES];
    if (make_temp_dir(dir)) return;
    write_scenes(dir, paths, -1);
    loader_config c = config(paths, ptrs, N_SCENES, 256, 256, 8);
    c.jitter = 0.3f, c.hue = 0.1f, c.saturation = 1.5f, c.exposure = 1.5f, c.threads = 3;
    /* closed at once, and after one batch with the next ones in progress */
    loader_close(loader_open(&c));
    loader *L = loader_open(&c);
    float *im = calloc(8 * 3 * 256 * 256, sizeof(float));
    CHECK(L && loader_next(L, im, NULL, NULL) == 8);
    loader_close(L);
    free(im);
    remove_tree(dir);
}

TEST(loader_bad_config_and_list)
{
    loader_config c;
    loader_config_default(&c);
    dn_clear_error();
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "no image list"));
    dn_clear_error();
    c.list = "/nonexistent/dn/train.txt";
    c.width = c.height = 32;
    c.batch = 0;
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "batch 0"));
    dn_clear_error();
    c.batch = 2;
    c.jitter = 1.5f;
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "jitter"));
    dn_clear_error();
    c.jitter = 0;
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "/nonexistent/dn/train.txt"));
    dn_clear_error();
    loader_close(NULL);
}

TEST(loader_config_from_cfg_reads_net_keys)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    const char *cfg = join(dir, "net.cfg");
    write_text(cfg, "[net]\r\nwidth=64\r\nheight=48\r\nflip=0\r\nhue=.1\r\nsaturation=1.5\r\nexposure = 1.4\r\n"
                    "letter_box=1\r\nbatch=8\r\n[convolutional]\r\nfilters=4\r\n[yolo]\r\njitter=.3\r\n");
    loader_config c;
    loader_config_default(&c);
    c.flip = 1;
    CHECK_MSG(loader_config_from_cfg(&c, cfg) == 0, "%s", dn_last_error());
    CHECK(c.width == 64 && c.height == 48 && c.flip == 0 && c.letterbox == 1);
    CHECK_NEAR(c.hue, 0.1, 1e-6);
    CHECK_NEAR(c.saturation, 1.5, 1e-6);
    CHECK_NEAR(c.exposure, 1.4, 1e-6);
    CHECK_NEAR(c.jitter, 0.3, 1e-6);   /* from [yolo] */
    /* [net]'s jitter wins; absent keys keep the defaults */
    write_text(cfg, "[net]\njitter=0.1\n[yolo]\njitter=.3\n");
    loader_config_default(&c);
    CHECK(loader_config_from_cfg(&c, cfg) == 0);
    CHECK_NEAR(c.jitter, 0.1, 1e-6);
    CHECK(c.flip == 0 && c.saturation == 1 && c.width == 0);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[net]\nhue=2\n", ":2: [net] hue=2: must be between 0 and 0.5"},
        {"[net]\nflip=yes\n", ":2: [net] flip=yes: expected an integer"},
        {"[net]\nchannels=1\n", ":2: [net] channels=1: the data loader makes 3-channel"},
        {"[net]\n[yolo]\njitter=-1\n", ":3: [yolo] jitter=-1"},
        {"[convolutional]\nfilters=1\n", "the first section must be [net]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        write_text(cfg, bad[i].text);
        dn_clear_error();
        loader_config_default(&c);
        CHECK_MSG(loader_config_from_cfg(&c, cfg) == -1 && strstr(dn_last_error(), bad[i].want), "case %zu: %s", i,
                  dn_last_error());
        CHECK(c.hue == 0 && c.flip == 0);   /* untouched on error */
    }
    dn_clear_error();
    remove_tree(dir);
}

TEST(loader_reads_a_synth_dataset)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    synth_options o = {.out_dir = dir, .n_train = 4, .n_valid = 1, .size = 64, .classes = 4, .seed = 3};
    synth_summary sum;
    CHECK_MSG(synth_write_dataset(&o, &sum) == 0, "%s", dn_last_error());
    loader_config c;
    loader_config_default(&c);
    c.list = join(dir, "train.txt");
    c.classes = 4, c.width = 48, c.height = 48, c.batch = 4;
    c.jitter = 0.2f, c.flip = 1;
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    float *im = calloc(4 * 3 * 48 * 48, sizeof(float)), *truth = calloc(4 * DN_MAX_BOXES * 5, sizeof(float));
    int boxes = 0;
    for (int b = 0; L && b < 2; ++b) {
        CHECK(loader_next(L, im, truth, NULL) == 4);
        for (int i = 0; i < 4 * DN_MAX_BOXES; ++i) {
            const float *t = truth + i * 5;
            if (t[2] == 0) continue;
            ++boxes;
            CHECK(t[0] >= 0 && t[0] <= 1 && t[1] >= 0 && t[1] <= 1 && t[2] <= 1 && t[3] > 0 && t[3] <= 1);
            CHECK(t[4] >= 0 && t[4] < 4 && t[4] == (int)t[4]);
        }
    }
    loader_stats st = loader_get_stats(L);
    CHECK(boxes > 0 && st.missing_labels == 0 && st.bad_images == 0 && st.bad_label_files == 0);
    loader_close(L);
    free(im);
    free(truth);
    remove_tree(dir);
}
