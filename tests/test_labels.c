/* test_labels.c: label paths, label file parsing (bad lines, clipping), the
 * .data file, .names files and image lists. Expected values by hand in
 * comments. */
#include <sys/stat.h>

#include "data_cfg.h"
#include "data_test_util.h"
#include "labels.h"

static void expect_label_path(const char *image, const char *want)
{
    char out[256];
    CHECK_MSG(label_path(image, out, sizeof out) == 0 && !strcmp(out, want), "label_path(%s) = %s, want %s", image,
              out, want);
}

TEST(labels_path_rule)
{
    expect_label_path("/d/images/train/a.jpg", "/d/labels/train/a.txt");
    /* only the last "images" component changes */
    expect_label_path("/d/images/x/images/b.png", "/d/images/x/labels/b.txt");
    /* "images" inside names is left alone */
    expect_label_path("/d/myimages/images_a.jpg", "/d/myimages/images_a.txt");
    expect_label_path("/d/images/img.images.jpg", "/d/labels/img.images.txt");
    expect_label_path("/d/images.old/a.jpg", "/d/images.old/a.txt");
    /* the file name itself is never replaced */
    expect_label_path("/d/images", "/d/images.txt");
    /* relative, no extension, hidden file, VOC layout */
    expect_label_path("images/a", "labels/a.txt");
    expect_label_path("/d/images/.hidden", "/d/labels/.hidden.txt");
    expect_label_path("/v/VOC2007/JPEGImages/000005.jpg", "/v/VOC2007/labels/000005.txt");
    expect_label_path("a.jpeg", "a.txt");
    expect_label_path("/d.x/images/a", "/d.x/labels/a.txt");

    char small[8];
    CHECK(label_path("/d/images/train/a.jpg", small, sizeof small) == -1);
    CHECK(strstr(dn_last_error(), "too long") != NULL);
    dn_clear_error();
}

TEST(labels_find_file_falls_back_beside_image)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    mkdir(join(dir, "images"), 0755);
    mkdir(join(dir, "labels"), 0755);
    char image[512], found[512];
    snprintf(image, sizeof image, "%s", join(dir, "images/a.png"));
    /* neither exists: 0 and the primary path */
    CHECK(find_label_file(image, found, sizeof found) == 0);
    CHECK(!strcmp(found, join(dir, "labels/a.txt")));
    /* only the one beside the image */
    write_text(join(dir, "images/a.txt"), "0 0.5 0.5 0.1 0.1\n");
    CHECK(find_label_file(image, found, sizeof found) == 1);
    CHECK(!strcmp(found, join(dir, "images/a.txt")));
    /* the labels/ one wins when both exist */
    write_text(join(dir, "labels/a.txt"), "0 0.5 0.5 0.1 0.1\n");
    CHECK(find_label_file(image, found, sizeof found) == 1);
    CHECK(!strcmp(found, join(dir, "labels/a.txt")));
    remove_tree(dir);
}

TEST(labels_parse_skips_bad_lines_with_one_warning)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    const char *path = join(dir, "l.txt");
    write_text(path,
               "0 0.5 0.5 0.2 0.4\r\n"        /* 1: good */
               "\r\n"                          /* 2: blank: fine */
               "1 0.5 0.5 0.2\n"               /* 3: four fields: first bad line */
               "x 0.5 0.5 0.2 0.2\n"           /* 4: class not a number */
               "1.5 0.5 0.5 0.2 0.2\n"         /* 5: class not an integer */
               "1 0.5 abc 0.2 0.2\n"           /* 6: not a number */
               "3 0.5 0.5 0.2 0.2\n"           /* 7: class >= 3 */
               "-1 0.5 0.5 0.2 0.2\n"          /* 8: negative class */
               "1 0.5 0.5 0 0.2\n"             /* 9: w = 0 */
               "1 0.5 0.5 0.2 -0.1\n"          /* 10: h < 0 */
               "1 1.01 0.5 0.2 0.2\n"          /* 11: centre outside */
               "1 0.5 nan 0.2 0.2\n"           /* 12: not finite */
               "2 0.95 0.5 0.2 0.2\n"          /* 13: clipped right */
               "  1\t0.0 0.0 0.4 0.2  \n"      /* 14: clipped to the corner; tabs and spaces */
               "2 1.0005 0.5 0.1 0.1\n"        /* 15: centre within the tolerance */
               "1 0.5 0.5 0.2 0.2 7");         /* 16: six fields, no final newline */
    box_label *b = NULL;
    unsigned flags = 0;
    capture_begin();
    int n = read_labels(path, 3, &b, &flags, 1);
    char *err = capture_end();
    CHECK(n == 4);
    CHECK(flags == LABELS_BAD_LINES);
    /* one warning naming the file, the first bad line and the count 11 */
    CHECK_MSG(count_in(err, "warning:") == 1, "stderr: %s", err);
    char want[600];
    snprintf(want, sizeof want, "%s:3:", path);
    CHECK_MSG(strstr(err, want) && strstr(err, "11 bad lines"), "stderr: %s", err);
    free(err);
    if (n == 4) {
        CHECK(b[0].id == 0);
        CHECK_NEAR(b[0].b.x, 0.5, 1e-6);
        CHECK_NEAR(b[0].b.h, 0.4, 1e-6);
        /* x in [0.85, 1.05] clipped to [0.85, 1]: centre 0.925, width 0.15 */
        CHECK(b[1].id == 2);
        CHECK_NEAR(b[1].b.x, 0.925, 1e-6);
        CHECK_NEAR(b[1].b.w, 0.15, 1e-6);
        CHECK_NEAR(b[1].b.y, 0.5, 1e-6);
        CHECK_NEAR(b[1].b.h, 0.2, 1e-6);
        /* x in [-0.2, 0.2] -> [0, 0.2], y in [-0.1, 0.1] -> [0, 0.1] */
        CHECK(b[2].id == 1);
        CHECK_NEAR(b[2].b.x, 0.1, 1e-6);
        CHECK_NEAR(b[2].b.w, 0.2, 1e-6);
        CHECK_NEAR(b[2].b.y, 0.05, 1e-6);
        CHECK_NEAR(b[2].b.h, 0.1, 1e-6);
        /* x in [0.9505, 1.0505] -> [0.9505, 1]: centre 0.97525, width 0.0495 */
        CHECK_NEAR(b[3].b.x, 0.97525, 1e-5);
        CHECK_NEAR(b[3].b.w, 0.0495, 1e-5);
    }
    free(b);

    /* warn=0: same boxes, silent */
    capture_begin();
    n = read_labels(path, 3, &b, &flags, 0);
    err = capture_end();
    CHECK(n == 4 && err[0] == 0);
    free(err);
    free(b);
    /* classes <= 0: any class >= 0 is fine (line 7 is kept) */
    n = read_labels(path, 0, &b, NULL, 0);
    CHECK(n == 5);
    free(b);
    remove_tree(dir);
}

/* A NUL byte (a binary or damaged file) makes its line a bad line; the
 * lines after it still count (read as a C string they were all dropped). */
TEST(labels_nul_byte_is_a_bad_line_and_later_lines_still_count)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    const char *path = join(dir, "nul.txt");
    static const char text[] = "0 0.5 0.5 0.2 0.2\n"    /* 1: good */
                               "1 0.5\0 0.5 0.2 0.2\n"  /* 2: NUL inside */
                               "2 0.5 0.5 0.2 0.2\n"     /* 3: good */
                               "\0\n"                    /* 4: a lone NUL */
                               "1 0.25 0.5 0.2 0.2";     /* 5: good, no final newline */
    FILE *fp = fopen(path, "wb");
    CHECK(fp && fwrite(text, 1, sizeof text - 1, fp) == sizeof text - 1);
    if (fp) fclose(fp);
    box_label *b = NULL;
    unsigned flags = 0;
    capture_begin();
    int n = read_labels(path, 3, &b, &flags, 1);
    char *err = capture_end();
    CHECK_MSG(n == 3, "%d boxes", n);
    CHECK(flags == LABELS_BAD_LINES);
    if (n == 3) CHECK(b[0].id == 0 && b[1].id == 2 && b[2].id == 1 && fabsf(b[2].b.x - 0.25f) < 1e-6f);
    char want[600];
    snprintf(want, sizeof want, "%s:2: ", path);
    CHECK_MSG(count_in(err, "warning:") == 1 && strstr(err, want) && strstr(err, "NUL") &&
                  strstr(err, "2 bad lines"),
              "stderr: %s", err);
    free(err);
    free(b);
    remove_tree(dir);
}

TEST(labels_missing_or_empty_file)
{
    box_label *b = (box_label *)1;
    unsigned flags = 0;
    capture_begin();
    int n = read_labels("/nonexistent/dn/labels/x.txt", 3, &b, &flags, 1);
    char *err = capture_end();
    CHECK(n == 0 && b == NULL && flags == LABELS_MISSING);
    CHECK_MSG(err[0] == 0, "a missing label file is not a warning: %s", err);
    free(err);
    char dir[64];
    if (make_temp_dir(dir)) return;
    write_text(join(dir, "empty.txt"), "\n\n");
    n = read_labels(join(dir, "empty.txt"), 3, &b, &flags, 1);
    CHECK(n == 0 && flags == 0);
    /* a directory where the file should be: warned, no objects */
    capture_begin();
    n = read_labels(dir, 3, &b, &flags, 1);
    err = capture_end();
    CHECK(n == 0 && flags == LABELS_MISSING && strstr(err, dir));
    free(err);
    remove_tree(dir);
}

TEST(labels_data_file)
{
    char dir[64], cwd[512];
    if (make_temp_dir(dir) || !getcwd(cwd, sizeof cwd)) return;
    mkdir(join(dir, "sub"), 0755);
    write_text(join(dir, "sub/x.names"), "a\nb\n");
    const char *data = join(dir, "sub/set.data");
    /* BOM, CRLF, spaces around '=', comments, a relative path found only
     * beside the .data file, an absolute one, a darknet key we ignore */
    char text[1024];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBF# comment\r\nclasses = 2\r\n  names=x.names  \r\n\r\ntrain=%s/t.txt\r\n; another\r\n"
             "results=res\r\neval=coco\r\ncoco_json=missing/instances.json\r\nbackup = backup dir/\r\n",
             dir);
    write_text(data, text);
    data_cfg *d = data_cfg_read(data);
    CHECK_MSG(d != NULL, "%s", dn_last_error());
    if (d) {
        CHECK(d->classes == 2);
        CHECK_MSG(d->names && !strcmp(d->names, join(dir, "sub/x.names")), "names=%s", d->names);
        CHECK(d->train && !strcmp(d->train, join(dir, "t.txt")));
        CHECK(d->valid == NULL);
        CHECK(d->eval && !strcmp(d->eval, "coco"));
        /* found nowhere: kept as written (relative to the working directory) */
        CHECK(d->coco_json && !strcmp(d->coco_json, "missing/instances.json"));
        CHECK(d->backup && !strcmp(d->backup, "backup dir/"));
    }
    data_cfg_free(d);

    /* the working directory comes first */
    mkdir(join(dir, "sub/here"), 0755);
    write_text(join(dir, "sub/here/x.names"), "c\n");
    if (chdir(join(dir, "sub/here")) == 0) {
        d = data_cfg_read(data);
        CHECK(d && d->names && !strcmp(d->names, "x.names"));
        data_cfg_free(d);
        CHECK(chdir(cwd) == 0);
    }

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"classes=2\nbogus=1\n", ":2: unknown key 'bogus'"},
        {"classes=2\nnames=a\nnames=b\n", ":3: key 'names' repeats the one on line 2"},
        {"classes=two\n", ":1: classes=two: expected a positive integer"},
        {"classes=0\n", ":1: classes=0"},
        {"classes=2 # eighty\n", ":1: classes=2 # eighty"},
        {"names=\n", ":1: names has no value"},
        {"eval=kitti\n", ":1: eval=kitti: expected coco, voc or imagenet"},
        {"\n\njust text\n", ":3: expected key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        write_text(data, bad[i].text);
        dn_clear_error();
        d = data_cfg_read(data);
        char want[600];
        snprintf(want, sizeof want, "%s%s", data, bad[i].want);
        CHECK_MSG(!d && strstr(dn_last_error(), want), "case %zu: %s", i, dn_last_error());
        data_cfg_free(d);
    }
    dn_clear_error();
    CHECK(data_cfg_read(join(dir, "none.data")) == NULL);
    CHECK(strstr(dn_last_error(), "none.data") != NULL);
    dn_clear_error();
    remove_tree(dir);
}

TEST(labels_names_and_image_lists)
{
    char dir[64], cwd[512];
    if (make_temp_dir(dir) || !getcwd(cwd, sizeof cwd)) return;
    write_text(join(dir, "a.names"), "person\r\ntraffic light \r\n\r\ndog");
    int n = 0;
    char **names = read_names(join(dir, "a.names"), &n);
    CHECK(n == 3 && names);
    if (n == 3) {
        CHECK(!strcmp(names[0], "person"));
        CHECK(!strcmp(names[1], "traffic light"));
        CHECK(!strcmp(names[2], "dog"));
    }
    free_string_list(names, n);

    /* relative entries: beside the list when not in the working directory */
    mkdir(join(dir, "images"), 0755);
    write_text(join(dir, "images/1.jpg"), "x");
    char text[512];
    snprintf(text, sizeof text, "\xEF\xBB\xBFimages/1.jpg\r\n\r\n   \r\n/abs/2.jpg \r\nimages/missing.jpg");
    write_text(join(dir, "list.txt"), text);
    char **list = read_image_list(join(dir, "list.txt"), &n);
    CHECK(n == 3 && list);
    if (n == 3) {
        CHECK_MSG(!strcmp(list[0], join(dir, "images/1.jpg")), "%s", list[0]);
        CHECK(!strcmp(list[1], "/abs/2.jpg"));
        CHECK(!strcmp(list[2], "images/missing.jpg"));
    }
    free_string_list(list, n);

    write_text(join(dir, "empty.txt"), "\r\n\n  \n");
    CHECK(read_image_list(join(dir, "empty.txt"), &n) == NULL && n == 0);
    CHECK(strstr(dn_last_error(), "holds no entries") != NULL);
    dn_clear_error();
    CHECK(read_names(join(dir, "nope.names"), &n) == NULL);
    CHECK(strstr(dn_last_error(), "nope.names") != NULL);
    dn_clear_error();
    remove_tree(dir);
}
