/* test_synth.c: the synthetic detection dataset: scenes repeat exactly for a
 * seed, boxes lie inside the image, crowd regions only in the
 * validation split, and the files on disk (JPEGs, labels, lists, .data,
 * COCO JSON) agree with each other. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "synth_detect.h"
#include "test.h"

TEST(synth_scene_is_deterministic)
{
    image *a = make_image(96, 96, 3), *b = make_image(96, 96, 3);
    synth_object oa[SYNTH_MAX_OBJECTS], ob[SYNTH_MAX_OBJECTS];
    int na = synth_detect_scene(3, SYNTH_VALID, 5, 8, a, oa, SYNTH_MAX_OBJECTS);
    int nb = synth_detect_scene(3, SYNTH_VALID, 5, 8, b, ob, SYNTH_MAX_OBJECTS);
    CHECK(na > 0 && na == nb);
    CHECK(memcmp(a->data, b->data, sizeof(float) * 96 * 96 * 3) == 0);
    CHECK(memcmp(oa, ob, sizeof(synth_object) * (na > 0 ? na : 0)) == 0);
    /* another index, split or seed is another scene */
    synth_detect_scene(3, SYNTH_VALID, 6, 8, b, ob, SYNTH_MAX_OBJECTS);
    CHECK(memcmp(a->data, b->data, sizeof(float) * 96 * 96 * 3) != 0);
    synth_detect_scene(3, SYNTH_TRAIN, 5, 8, b, ob, SYNTH_MAX_OBJECTS);
    CHECK(memcmp(a->data, b->data, sizeof(float) * 96 * 96 * 3) != 0);
    synth_detect_scene(4, SYNTH_VALID, 5, 8, b, ob, SYNTH_MAX_OBJECTS);
    CHECK(memcmp(a->data, b->data, sizeof(float) * 96 * 96 * 3) != 0);
    free_image(a);
    free_image(b);
}

TEST(synth_scene_boxes_inside_the_image)
{
    const int S = 96;
    image *im = make_image(S, S, 3);
    int objects = 0, crowds = 0, small = 0, medium = 0, classes_seen = 0;
    for (int split = 0; split < 2; ++split)
        for (int i = 0; i < 40; ++i) {
            synth_object o[SYNTH_MAX_OBJECTS];
            int n = synth_detect_scene(11, (synth_split)split, (uint64_t)i, 5, im, o, SYNTH_MAX_OBJECTS);
            CHECK(n >= 0 && n <= 7);
            for (int k = 0; k < n; ++k) {
                CHECK(o[k].cls >= 0 && o[k].cls < 5);
                CHECK(o[k].x >= 0 && o[k].y >= 0 && o[k].w >= 1 && o[k].h >= 1);
                CHECK(o[k].x + o[k].w <= S && o[k].y + o[k].h <= S);
                /* the area counts visible pixels inside the box, at least 6 */
                CHECK(o[k].area >= 6 && o[k].area <= o[k].w * o[k].h);
                classes_seen |= 1 << o[k].cls;
                if (o[k].crowd) {
                    CHECK(split == SYNTH_VALID);
                    CHECK(k == n - 1);   /* one crowd region per scene, listed last */
                    ++crowds;
                } else {
                    ++objects;
                    small += o[k].area < 32 * 32;
                    medium += o[k].area >= 32 * 32 && o[k].area < 96 * 96;
                }
            }
            for (size_t p = 0; p < (size_t)S * S * 3; ++p) CHECK(im->data[p] >= 0 && im->data[p] <= 1);
        }
    /* 80 scenes of 1-6 objects (3.5 on average, a few hidden ones dropped) */
    CHECK_MSG(objects > 160 && objects <= 480, "%d objects", objects);
    CHECK_MSG(crowds >= 4 && crowds <= 30, "%d crowd regions in 40 validation scenes", crowds);
    CHECK_MSG(small > objects / 5 && medium > objects / 5, "small %d medium %d of %d", small, medium, objects);
    CHECK(classes_seen == 0x1f);
    /* one class: everything is class 0 */
    synth_object o[SYNTH_MAX_OBJECTS];
    int n = synth_detect_scene(1, SYNTH_VALID, 0, 1, im, o, SYNTH_MAX_OBJECTS);
    for (int k = 0; k < n; ++k) CHECK(o[k].cls == 0);
    /* bad arguments */
    image *tall = make_image(96, 64, 3);
    CHECK(synth_detect_scene(1, SYNTH_TRAIN, 0, 9, im, o, SYNTH_MAX_OBJECTS) == -1);
    CHECK(synth_detect_scene(1, SYNTH_TRAIN, 0, 3, tall, o, SYNTH_MAX_OBJECTS) == -1);
    dn_clear_error();
    free_image(tall);
    free_image(im);
}

/* ---- the dataset on disk ---- */

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = fread(buf, 1, (size_t)len, fp);
    buf[got] = 0;
    fclose(fp);
    if (n) *n = got;
    return buf;
}

static int write_set(const char *dir, uint64_t seed)
{
    synth_options o = {.out_dir = dir, .n_train = 6, .n_valid = 5, .size = 64, .classes = 3, .seed = seed};
    synth_summary s;
    int r = synth_write_dataset(&o, &s);
    CHECK_MSG(r == 0, "%s", dn_last_error());
    return r;
}

static void remove_tree(const char *dir)
{
    /* only what write_set creates: fixed names, no shell */
    static const char *const sub[] = {"images/train", "images/valid", "labels/train", "labels/valid"};
    char p[512];
    for (int s = 0; s < 4; ++s) {
        for (int i = 1; i <= 6; ++i) {
            snprintf(p, sizeof p, "%s/%s/%06d.%s", dir, sub[s], i, s < 2 ? "jpg" : "txt");
            unlink(p);
        }
        snprintf(p, sizeof p, "%s/%s", dir, sub[s]);
        rmdir(p);
    }
    static const char *const files[] = {"train.txt", "valid.txt", "synth.names", "synth.data",
                                        "annotations/instances_train.json", "annotations/instances_valid.json"};
    for (int i = 0; i < 6; ++i) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    static const char *const dirs[] = {"images", "labels", "annotations", "backup", ""};
    for (int i = 0; i < 5; ++i) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        rmdir(p);
    }
}

/* Counts the label lines of a split, checking each is "class xc yc w h" inside [0, 1]. */
static int check_labels(const char *list_path, int classes)
{
    char *list = slurp(list_path, NULL);
    CHECK(list != NULL);
    if (!list) return -1;
    int lines = 0;
    for (char *img = strtok(list, "\n"); img; img = strtok(NULL, "\n")) {
        CHECK(img[0] == '/');   /* absolute */
        CHECK(access(img, R_OK) == 0);
        /* labels: the path component "images" becomes "labels", .jpg becomes .txt */
        char lab[512];
        snprintf(lab, sizeof lab, "%s", img);
        char *comp = strstr(lab, "/images/");
        CHECK(comp != NULL);
        if (!comp) break;
        memcpy(comp, "/labels/", 8);
        strcpy(strrchr(lab, '.'), ".txt");
        char *text = slurp(lab, NULL);
        CHECK_MSG(text != NULL, "no label file %s", lab);
        int off = 0, k, used;
        float x, y, w, h;
        while (text && sscanf(text + off, "%d %f %f %f %f%n", &k, &x, &y, &w, &h, &used) == 5) {
            off += used;
            ++lines;
            CHECK(k >= 0 && k < classes);
            CHECK(w > 0 && h > 0 && x - w / 2 >= -1e-6 && x + w / 2 <= 1 + 1e-6 && y - h / 2 >= -1e-6 &&
                  y + h / 2 <= 1 + 1e-6);
        }
        free(text);
    }
    free(list);
    return lines;
}

static int json_count(cJSON *root, const char *key) { return cJSON_GetArraySize(cJSON_GetObjectItem(root, key)); }

TEST(synth_dataset_files_agree)
{
    char a[] = "/tmp/dn_synth_a_XXXXXX", b[] = "/tmp/dn_synth_b_XXXXXX";
    CHECK(mkdtemp(a) && mkdtemp(b));
    if (write_set(a, 9) || write_set(b, 9)) return;
    /* same seed, same bytes */
    char pa[256], pb[256];
    for (int i = 1; i <= 5; ++i) {
        snprintf(pa, sizeof pa, "%s/images/valid/%06d.jpg", a, i);
        snprintf(pb, sizeof pb, "%s/images/valid/%06d.jpg", b, i);
        size_t na = 0, nb = 0;
        char *ja = slurp(pa, &na), *jb = slurp(pb, &nb);
        CHECK(ja && jb && na == nb && na > 100 && memcmp(ja, jb, na) == 0);
        free(ja);
        free(jb);
    }
    snprintf(pa, sizeof pa, "%s/train.txt", a);
    int train_lines = check_labels(pa, 3);
    snprintf(pa, sizeof pa, "%s/valid.txt", a);
    int valid_lines = check_labels(pa, 3);

    /* COCO JSON: images, one annotation per label line (+ crowd regions in valid), 3 categories */
    for (int s = 0; s < 2; ++s) {
        snprintf(pa, sizeof pa, "%s/annotations/instances_%s.json", a, s ? "valid" : "train");
        char *text = slurp(pa, NULL);
        cJSON *root = text ? cJSON_Parse(text) : NULL;
        CHECK_MSG(root != NULL, "%s does not parse", pa);
        if (root) {
            CHECK(json_count(root, "images") == (s ? 5 : 6));
            CHECK(json_count(root, "categories") == 3);
            int crowd = 0, plain = 0, last_id = 0;
            cJSON *ann;
            cJSON_ArrayForEach(ann, cJSON_GetObjectItem(root, "annotations"))
            {
                int id = cJSON_GetObjectItem(ann, "id")->valueint;
                CHECK(id == last_id + 1);
                last_id = id;
                int cat = cJSON_GetObjectItem(ann, "category_id")->valueint;
                CHECK(cat >= 1 && cat <= 3);
                cJSON *bbox = cJSON_GetObjectItem(ann, "bbox");
                CHECK(cJSON_GetArraySize(bbox) == 4);
                double bx = cJSON_GetArrayItem(bbox, 0)->valuedouble, bw = cJSON_GetArrayItem(bbox, 2)->valuedouble;
                CHECK(bx >= 0 && bw > 0 && bx + bw <= 64);
                if (cJSON_GetObjectItem(ann, "iscrowd")->valueint) ++crowd;
                else ++plain;
            }
            CHECK_MSG(plain == (s ? valid_lines : train_lines), "%d annotations, %d label lines", plain,
                      s ? valid_lines : train_lines);
            if (!s) CHECK(crowd == 0);
        }
        cJSON_Delete(root);
        free(text);
    }
    snprintf(pa, sizeof pa, "%s/synth.data", a);
    char *data = slurp(pa, NULL);
    CHECK(data && strstr(data, "classes=3\n") && strstr(data, "train=/") && strstr(data, "valid=/") &&
          strstr(data, "names=/") && strstr(data, "backup=/") && strstr(data, "/annotations/instances_valid.json"));
    free(data);
    snprintf(pa, sizeof pa, "%s/synth.names", a);
    char *names = slurp(pa, NULL);
    CHECK(names && !strcmp(names, "square\ncircle\ntriangle\n"));
    free(names);
    remove_tree(a);
    remove_tree(b);
}

TEST(synth_dataset_refuses_bad_options)
{
    synth_options o = {.out_dir = "/tmp", .n_train = 1, .n_valid = 1, .size = 64, .classes = 9};
    CHECK(synth_write_dataset(&o, NULL) == -1 && strstr(dn_last_error(), "classes"));
    dn_clear_error();
    o.classes = 2;
    o.size = 16;
    CHECK(synth_write_dataset(&o, NULL) == -1 && strstr(dn_last_error(), "size"));
    dn_clear_error();
    /* a directory below a regular file cannot be made */
    const char *file = temp_file("x");
    char dir[128];
    snprintf(dir, sizeof dir, "%s/sub", file);
    o.size = 64;
    o.out_dir = dir;
    CHECK(synth_write_dataset(&o, NULL) == -1 && strstr(dn_last_error(), file));
    dn_clear_error();
    unlink(file);
}

TEST(synth_classify_refuses_distractors_out_of_range_or_without_context)
{
    char dir[] = "/tmp/dn_distractorsXXXXXX";   /* files land here, not in /tmp, if a check is missing */
    char *made = mkdtemp(dir);
    CHECK(made != NULL);
    if (!made) return;
    synth_options o = {.out_dir = dir, .n_train = 1, .n_valid = 1, .size = 64, .context = 1,
                       .distractors = SYNTH_MAX_DISTRACTORS + 1};
    CHECK(synth_write_classify(&o) == -1 && strstr(dn_last_error(), "distractors"));
    dn_clear_error();
    o.distractors = -1;
    CHECK(synth_write_classify(&o) == -1 && strstr(dn_last_error(), "distractors"));
    dn_clear_error();
    o.distractors = 2;
    o.context = 0;
    CHECK(synth_write_classify(&o) == -1 && strstr(dn_last_error(), "distractors"));
    dn_clear_error();
    rmdir(dir);
}
