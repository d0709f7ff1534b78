/* test_api.c: the bindings' C API (include/darknet_api.h) against the
 * library functions it is a door to, so that the sanitizer builds cover the
 * code python/darknet.py runs. */
#include <stdlib.h>
#include <string.h>

#include "darknet_api.h"
#include "data_cfg.h"
#include "detect_image.h"
#include "image.h"
#include "test.h"

/* A classifier: batch 4 in 2 passes, so a train step needs a multiple of 2. */
static const char *classifier_cfg =
    "[net]\nbatch=4\nsubdivisions=2\nwidth=8\nheight=6\nchannels=3\nlearning_rate=1\nmomentum=0.9\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[avgpool]\n"
    "[convolutional]\nfilters=3\nsize=1\nstride=1\nactivation=linear\n"
    "[softmax]\n";

/* A detector whose random weights find boxes: [yolo] keeps objectness > thresh. */
static const char *detector_cfg =
    "[net]\nbatch=1\nwidth=32\nheight=24\nchannels=3\n"
    "[convolutional]\nfilters=14\nsize=3\nstride=4\npad=1\nactivation=linear\n"
    "[yolo]\nmask=0,1\nanchors=8,12, 16,8, 24,20\nclasses=2\nnum=3\n";

/* A temporary file holding text; its path into dst (remove() it after). */
static void temp_text(char *dst, size_t size, const char *text) { snprintf(dst, size, "%s", temp_file(text)); }

TEST(api_predict_and_layer_outputs_equal_the_library_s_forward)
{
    char cfg[512];
    temp_text(cfg, sizeof cfg, classifier_cfg);
    network *api = dn_net_load(cfg, NULL, 0, -1), *ref = load_network_frozen(cfg, NULL);
    CHECK_MSG(api && ref, "%s", dn_last_error());
    if (!api || !ref) goto done;
    int shape[4], in[3];
    const char *type = NULL;
    CHECK(dn_net_input_shape(api, in) == 0 && in[0] == 3 && in[1] == 6 && in[2] == 8);
    CHECK(dn_net_outputs(api) == 3 && dn_net_layers(api) == 4 && dn_net_classes(api) == 0);
    float x[3 * 3 * 6 * 8], y[3 * 3];
    random_fill(x, 3 * 3 * 6 * 8, 0, 1, 7);
    CHECK(dn_net_predict(api, x, 3, y) == 0);
    CHECK(set_batch_network(ref, 3) == 0);
    CHECK(max_rel_diff(y, network_predict(ref, x), 9, NULL) == 0);
    CHECK(dn_layer_info(api, 0, shape, &type) == 0 && !strcmp(type, "convolutional"));
    CHECK(shape[0] == 3 && shape[1] == 4 && shape[2] == 6 && shape[3] == 8);
    float conv[3 * 4 * 6 * 8];
    CHECK(dn_layer_output(api, 0, conv) == 0);
    CHECK(max_rel_diff(conv, layer_output(network_layer(ref, 0)), 3 * 4 * 6 * 8, NULL) == 0);
    CHECK(dn_layer_info(api, 4, shape, &type) == -1 && strstr(dn_last_error(), "no layer 4"));
    CHECK(dn_net_predict(api, x, 0, y) == -1);
done:
    dn_net_free(api);
    free_network(ref);
    remove(cfg);
}

TEST(api_load_failures_name_the_cause_and_the_next_call_starts_clean)
{
    CHECK(!dn_net_load("/nonexistent/missing.cfg", NULL, 1, -1));
    CHECK_MSG(strstr(dn_last_error(), "/nonexistent/missing.cfg"), "message: %s", dn_last_error());
    char cfg[512];
    temp_text(cfg, sizeof cfg, "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2\nsize=1\nwrong=1\n");
    CHECK(!dn_net_load(cfg, NULL, 0, -1));
    CHECK_MSG(strstr(dn_last_error(), cfg) && strstr(dn_last_error(), "wrong"), "message: %s", dn_last_error());
    remove(cfg);
    temp_text(cfg, sizeof cfg, classifier_cfg);
    network *net = dn_net_load(cfg, NULL, 0, -1);
    CHECK(net && dn_last_error()[0] == 0);
    dn_net_free(net);
    /* a device this build or machine does not have: refused, not the host instead */
    CHECK(!dn_net_load(cfg, NULL, 0, dn_gpu_count()) && strstr(dn_last_error(), "GPU"));
    remove(cfg);
}

/* An image whose values are whole bytes, so the file and the pixels agree. */
static network *detector(void)
{
    char cfg[512];
    temp_text(cfg, sizeof cfg, detector_cfg);
    network *net = dn_net_load(cfg, NULL, 0, -1);
    CHECK_MSG(net, "%s", dn_last_error());
    remove(cfg);
    return net;
}

static image *byte_image(int w, int h, unsigned char *px)
{
    for (int i = 0; i < w * h * 3; ++i) px[i] = (unsigned char)((i * 37 + i / 7) % 251);
    return image_from_bytes(px, w, h, 3);
}

TEST(api_detect_on_a_file_and_on_its_pixels_equals_detect_image_in_pixels)
{
    network *net = detector();
    if (!net) return;
    enum { W = 40, H = 20 };
    unsigned char px[W * H * 3];
    image *im = byte_image(W, H, px);
    char base[512], path[520];
    temp_text(base, sizeof base, "");
    snprintf(path, sizeof path, "%s.png", base);
    CHECK(im && save_image(im, path) == 0);
    dn_detection *a = NULL, *b = NULL;
    image_detection *ref = NULL;
    int size[2], na = dn_net_detect_file(net, path, 0.3f, &a, size);
    int nb = dn_net_detect_pixels(net, px, W, H, 3, 0.3f, &b);
    int nr = im ? detect_image(net, im, 0.3f, &ref) : -1;
    CHECK_MSG(na > 0 && na == nb && na == nr, "%d %d %d detections", na, nb, nr);
    CHECK(size[0] == W && size[1] == H);
    for (int i = 0; i < na && i < nb && i < nr; ++i) {
        CHECK(!memcmp(&a[i], &b[i], sizeof *a));
        box r = ref[i].bbox;
        CHECK(a[i].class_id == ref[i].class_id && a[i].score == ref[i].score);
        CHECK(a[i].x == (r.x - r.w / 2) * W && a[i].w == r.w * W && a[i].y == (r.y - r.h / 2) * H);
    }
    dn_free(b);
    CHECK(dn_net_detect_pixels(net, px, W, H, 5, 0.3f, &b) == -1 && strstr(dn_last_error(), "5 channels"));
    CHECK(dn_net_detect_file(net, "/nonexistent/x.jpg", 0.3f, &b, NULL) == -1 && !b);
    dn_free(a);
    dn_free(ref);
    free_image(im);
    remove(path);
    remove(base);
    dn_net_free(net);
}

TEST(api_grey_pixels_detect_as_the_grey_replicated_to_rgb)
{
    network *net = detector();
    if (!net) return;
    enum { W = 24, H = 30 };
    unsigned char grey[W * H], rgb[W * H * 3];
    for (int i = 0; i < W * H; ++i) grey[i] = rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (unsigned char)(i * 13);
    dn_detection *a = NULL, *b = NULL;
    int na = dn_net_detect_pixels(net, grey, W, H, 1, 0.3f, &a), nb = dn_net_detect_pixels(net, rgb, W, H, 3, 0.3f, &b);
    CHECK(na > 0 && na == nb && !memcmp(a, b, sizeof *a * (size_t)na));
    dn_free(a);
    dn_free(b);
    dn_net_free(net);
}

/* One-hot truths of classes 0, 1, 2, 0 for 4 images. */
static void one_hot(float *t)
{
    memset(t, 0, sizeof(float) * 12);
    for (int i = 0; i < 4; ++i) t[3 * i + i % 3] = 1;
}

TEST(api_train_steps_lower_the_loss_and_save_then_load_predicts_the_same)
{
    char cfg[512], weights[512];
    temp_text(cfg, sizeof cfg, classifier_cfg);
    temp_text(weights, sizeof weights, "");
    network *net = dn_net_load(cfg, NULL, 1, -1), *frozen = dn_net_load(cfg, NULL, 0, -1);
    if (!net || !frozen) goto done;
    float x[4 * 3 * 6 * 8], t[12], first = 0, loss = 0;
    random_fill(x, 4 * 3 * 6 * 8, 0, 1, 3);
    one_hot(t);
    CHECK(dn_net_truths(net) == 3);
    for (int i = 0; i < 20; ++i) {
        loss = dn_net_train_step(net, x, t, 4);
        if (!i) first = loss;
    }
    CHECK_MSG(loss < 0.5f * first, "loss %g after 20 steps, first %g", loss, first);
    CHECK(isnan(dn_net_train_step(net, x, t, 3)) && strstr(dn_last_error(), "subdivisions=2"));
    CHECK(isnan(dn_net_train_step(frozen, x, t, 4)) && strstr(dn_last_error(), "inference only"));
    float a[4 * 3], b[4 * 3];
    CHECK(dn_net_save(net, weights) == 0);
    network *again = dn_net_load(cfg, weights, 1, -1), *folded = dn_net_load(cfg, weights, 0, -1);
    CHECK(again && dn_net_predict(net, x, 4, a) == 0 && dn_net_predict(again, x, 4, b) == 0);
    CHECK(max_rel_diff(a, b, 12, NULL) == 0);
    /* inference-only networks fold batch norm into the weights: rounding only */
    CHECK(folded && dn_net_predict(folded, x, 4, b) == 0);
    CHECK_MSG(max_rel_diff(a, b, 12, NULL) < 1e-5, "%g", max_rel_diff(a, b, 12, NULL));
    CHECK(dn_net_save(net, "/nonexistent/dir/w.weights") == -1 && strstr(dn_last_error(), "/nonexistent/dir"));
    dn_net_free(again);
    dn_net_free(folded);
done:
    remove(cfg);
    remove(weights);
    dn_net_free(net);
    dn_net_free(frozen);
}

TEST(api_class_labels_are_the_names_then_class_numbers)
{
    char names[512], text[1024], data[512];
    temp_text(names, sizeof names, "red\nblue\n");
    snprintf(text, sizeof text, "classes=3\nnames=%s\n", names);
    temp_text(data, sizeof data, text);
    int n = 0;
    char **labels = dn_class_labels(data, 3, &n);
    remove(names);
    remove(data);
    CHECK(labels && n == 3 && !strcmp(labels[0], "red") && !strcmp(labels[1], "blue") &&
          !strcmp(labels[2], "class 2"));
    dn_free_labels(labels, n);
    CHECK(!dn_class_labels("/nonexistent/x.data", 3, &n) && strstr(dn_last_error(), "/nonexistent/x.data"));
    CHECK(dn_api_version() == DN_API_VERSION);
}
