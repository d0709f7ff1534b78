/* test_classify.c: classification datasets: the label found in a path
 * (substring labels, ambiguity), lists with unlabelled images, top-k
 * accuracy on hand-made probability rows (ties, NaN), the .data keys
 * labels= and top=, and the loader's classification mode (one-hot truth,
 * plain resize in evaluation). */
#include <sys/stat.h>

#include "classify.h"
#include "data_cfg.h"
#include "data_test_util.h"
#include "image.h"
#include "loader.h"
#include "nms.h"

TEST(classify_label_from_path)
{
    char *labels[] = {"cat", "bobcat", "dog", "hotdog", "", "Owl"};
    enum { N = 6 };
    static const struct {
        const char *path;
        int want;
    } cases[] = {
        {"/data/train/cat_0001.jpg", 0},
        {"/data/train/dog/0001.jpg", 2},
        {"/data/train/bobcat_7.png", 1},           /* cat inside bobcat: the longer name wins */
        {"/data/cat/bobcat_7.png", 1},             /* cat also on its own, still part of bobcat */
        {"/data/hotdog.png", 3},                   /* dog inside hotdog */
        {"/data/cat/dog_1.png", LABEL_AMBIGUOUS},  /* two unrelated names */
        {"/data/cat/hotdog_1.png", LABEL_AMBIGUOUS},
        {"/data/bird_1.png", LABEL_NONE},          /* the empty name never matches */
        {"/data/owl_1.png", LABEL_NONE},           /* case-sensitive, as darknet's strstr */
        {"/data/Owl_1.png", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        int got = label_from_path(cases[i].path, labels, N);
        CHECK_MSG(got == cases[i].want, "%s: got %d, want %d", cases[i].path, got, cases[i].want);
    }
    /* the same name twice in the labels file cannot be told apart */
    char *twice[] = {"cat", "cat"};
    CHECK(label_from_path("/x/cat_1.png", twice, 2) == LABEL_AMBIGUOUS);
    CHECK(label_from_path("/x/cat_1.png", labels, 0) == LABEL_NONE);
}

TEST(classify_top_k_accuracy)
{
    enum { C = 4 };
    const float rows[][C] = {
        {0.1f, 0.6f, 0.2f, 0.1f},   /* target 1: top-1 */
        {0.1f, 0.6f, 0.2f, 0.1f},   /* target 2: second, top-2 only */
        {0.1f, 0.6f, 0.2f, 0.1f},   /* target 3: ties with class 0, which ranks before it: 4th */
        {0.1f, 0.6f, 0.2f, 0.1f},   /* target 0: wins the tie with class 3: 3rd */
        {0.4f, 0.4f, 0.1f, 0.1f},   /* target 1: tie with class 0 for first: 2nd */
        {0.4f, 0.4f, 0.1f, 0.1f},   /* target 0: the tie goes to the lower index: 1st */
        {NAN, 0.1f, 0.2f, 0.7f},    /* target 0 with a NaN score: never right */
        {NAN, 0.1f, 0.2f, 0.7f},    /* target 1: NaN ranks last, so class 1 is 3rd */
    };
    const int target[] = {1, 2, 3, 0, 1, 0, 0, 1};
    const int want_rank[] = {1, 2, 4, 3, 2, 1, 0, 3};   /* 0: in no top-k */
    class_accuracy acc = {.k = 2};
    for (int i = 0; i < 8; ++i) {
        for (int k = 1; k <= C; ++k) {
            int want = want_rank[i] && want_rank[i] <= k;
            CHECK_MSG(in_top_k(rows[i], C, target[i], k) == want, "row %d, k %d", i, k);
        }
        class_accuracy_add(&acc, rows[i], C, target[i]);
    }
    /* top-1: rows 0 and 5; top-2: rows 0, 1, 4, 5 */
    CHECK(acc.images == 8 && acc.top1 == 2 && acc.topk == 4);

    /* predict's order (nms.h top_k) agrees with in_top_k's */
    int idx[C];
    top_k(rows[2], C, C, idx);
    CHECK(idx[0] == 1 && idx[1] == 2 && idx[2] == 0 && idx[3] == 3);
    top_k(rows[6], C, C, idx);
    CHECK(idx[0] == 3 && idx[1] == 2 && idx[2] == 1 && idx[3] == 0);
}

TEST(classify_list_skips_unlabelled_images)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    write_text(join(dir, "list.txt"), "/a/circle_1.png\n/a/bird_2.png\n\n/a/square_3.png\n/a/circle/square_4.png\n"
                                      "/a/cross_5.png\n");
    char *labels[] = {"square", "circle", "triangle", "cross"};
    class_list l;
    capture_begin();
    int rc = class_list_read(join(dir, "list.txt"), labels, 4, &l);
    char *err = capture_end();
    CHECK(rc == 0 && l.n == 3 && l.skipped == 2);
    if (rc == 0 && l.n == 3) {
        CHECK(!strcmp(l.paths[0], "/a/circle_1.png") && l.classes[0] == 1);
        CHECK(!strcmp(l.paths[1], "/a/square_3.png") && l.classes[1] == 0);
        CHECK(!strcmp(l.paths[2], "/a/cross_5.png") && l.classes[2] == 3);
    }
    /* one warning each, naming the image */
    CHECK_MSG(strstr(err, "bird_2.png: no label name") && strstr(err, "square_4.png: several label names"), "%s", err);
    free(err);
    class_list_free(&l);

    write_text(join(dir, "none.txt"), "/a/bird.png\n");
    capture_begin();
    rc = class_list_read(join(dir, "none.txt"), labels, 4, &l);
    err = capture_end();
    CHECK(rc == -1 && strstr(dn_last_error(), "none.txt") && l.paths == NULL);
    free(err);
    dn_clear_error();
    CHECK(class_list_read(join(dir, "missing.txt"), labels, 4, &l) == -1);
    CHECK(strstr(dn_last_error(), "missing.txt") != NULL);
    dn_clear_error();
    remove_tree(dir);
}

TEST(classify_data_file_labels_and_top)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    write_text(join(dir, "labels.txt"), "a\nb\n");
    const char *data = join(dir, "set.data");
    write_text(data, "classes=2\ntrain=t.txt\nlabels=labels.txt\ntop=3\n");
    data_cfg *d = data_cfg_read(data);
    CHECK_MSG(d && d->top == 3 && d->labels && !strcmp(d->labels, join(dir, "labels.txt")), "%s", dn_last_error());
    data_cfg_free(d);
    write_text(data, "top=0\n");
    CHECK(data_cfg_read(data) == NULL && strstr(dn_last_error(), ":1: top=0: expected a positive integer"));
    dn_clear_error();
    remove_tree(dir);
}

/* A w x h image whose left half is black and right half white. */
static void write_half(const char *path, int w, int h)
{
    image *im = make_image(w, h, 3);
    const float white[3] = {1, 1, 1};
    fill_rect(im, w / 2, 0, w - 1, h - 1, white);
    CHECK(save_image(im, path) == 0);
    free_image(im);
}

TEST(classify_loader_one_hot_and_plain_resize)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    char p0[512], p1[512], p2[512];
    snprintf(p0, sizeof p0, "%s", join(dir, "wide.png"));
    snprintf(p1, sizeof p1, "%s", join(dir, "tall.png"));
    snprintf(p2, sizeof p2, "%s", join(dir, "square.png"));
    write_half(p0, 40, 20);
    write_half(p1, 10, 30);
    write_half(p2, 8, 8);
    char *paths[] = {p0, p1, p2};
    int classes[] = {2, 0, 1};
    loader_config c;
    loader_config_default(&c);
    c.paths = paths;
    c.n_paths = 3;
    c.image_classes = classes;
    c.classes = 3;
    c.width = c.height = 8;
    c.batch = 2;
    c.eval = 1;
    loader *L = loader_open(&c);
    CHECK_MSG(L != NULL, "%s", dn_last_error());
    float x[2 * 3 * 64], truth[2 * 3];
    loader_image_info info[2];
    int seen = 0;
    for (int n; L && (n = loader_next(L, x, truth, info)) > 0;) {
        for (int i = 0; i < n; ++i, ++seen) {
            int k = info[i].index;
            for (int j = 0; j < 3; ++j) CHECK_MSG(truth[i * 3 + j] == (j == classes[k]), "image %d class %d", k, j);
            /* plain resize (no letterbox bars): every row is black then white */
            const float *im = x + i * 3 * 64;
            CHECK_MSG(im[0] < 0.05f && im[7] > 0.95f && im[7 * 8] < 0.05f && im[7 * 8 + 7] > 0.95f, "image %d", k);
        }
        if (n == 1) CHECK(truth[3] == 0 && truth[4] == 0 && truth[5] == 0);   /* the short batch's rest */
    }
    CHECK(seen == 3);
    loader_close(L);

    /* a class out of range is refused */
    classes[1] = 3;
    dn_clear_error();
    CHECK(loader_open(&c) == NULL && strstr(dn_last_error(), "class 3, outside 0 .. 2"));
    dn_clear_error();
    remove_tree(dir);
}
