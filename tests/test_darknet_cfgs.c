/* The darknet-format cfgs in cfg/ must lay out their parameters exactly as
 * darknet's own files do, so that users' published weights load: the weights
 * file size our loader expects is compared with the sizes of the public files.
 * Run from the repository root (the cfgs are read from cfg/). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

/* random_init=0 leaves the weights at zero: enough when only the layout matters */
static network *load_cfg(const char *name, int random_init)
{
    char path[256];
    snprintf(path, sizeof path, "cfg/%s", name);
    if (access(path, R_OK)) snprintf(path, sizeof path, "../cfg/%s", name);
    /* inference-only: no gradient buffers for 62M parameters */
    network *net = random_init ? load_network_frozen(path, NULL) : build_network(path, 0, DN_DEFAULT_SEED);
    CHECK_MSG(net != NULL, "%s: %s (run the tests from the repository root)", name, dn_last_error());
    return net;
}

/* Bytes of a version 0.2 weights file (20-byte header) holding layers [0, n_layers). */
static long long weights_bytes(const network *net, int n_layers)
{
    long long floats = 0;
    for (int i = 0; i < n_layers; ++i)
        for (int t = 0; t < net->layers[i].n_stored; ++t) floats += net->layers[i].stored_n[t];
    return 20 + 4 * floats;
}

TEST(darknet_cfgs_match_public_weights_files)
{
    /* exact sizes of the public files; the full darknet53.weights and
     * resnet50.weights are published only rounded (pjreddie.com/darknet/imagenet:
     * "159 MB" and "87 MB", in MiB), so for those only the rounding is checked */
    static const struct {
        const char *cfg;
        int layers;          /* layer count of darknet's own cfg */
        int mib;             /* published size, rounded */
        int prefix;          /* layers in the exactly known file (0: none) */
        long long bytes;     /* its size */
        const char *file;
    } known[] = {
        {"yolov3.cfg", 107, 237, 107, 248007048LL, "yolov3.weights"},
        {"yolov3-tiny.cfg", 24, 34, 24, 35434956LL, "yolov3-tiny.weights"},
        /* darknet partial cfg/darknet53.cfg darknet53.weights darknet53.conv.74 74 */
        {"darknet53.cfg", 78, 159, 74, 162482580LL, "darknet53.conv.74"},
        {"resnet50.cfg", 69, 87, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; ++i) {
        network *net = load_cfg(known[i].cfg, 0);
        if (!net) continue;
        CHECK_MSG(net->n == known[i].layers, "%s: %d layers, darknet's has %d", known[i].cfg, net->n,
                  known[i].layers);
        if (known[i].prefix) {
            long long got = weights_bytes(net, known[i].prefix);
            CHECK_MSG(got == known[i].bytes, "%s expects %lld bytes for %s, which has %lld", known[i].cfg, got,
                      known[i].file, known[i].bytes);
        }
        long long bytes = weights_bytes(net, net->n);
        int mib = (int)((bytes + (1 << 19)) >> 20);
        CHECK_MSG(mib == known[i].mib, "%s: %lld bytes = %d MiB, published %d MB", known[i].cfg, bytes, mib,
                  known[i].mib);
        free_network(net);
    }
}

TEST(yolov3_tiny_forward_416_gives_both_scales)
{
    network *net = load_cfg("yolov3-tiny.cfg", 1);
    if (!net) return;
    CHECK(net->w == 416 && net->h == 416 && net->batch == 1);
    float *x = random_input(net, 1);
    for (int i = 0; i < net->inputs; ++i) x[i] = 0.5f + 0.5f * x[i]; /* images are in [0,1] */
    network_predict(net, x);
    static const struct {
        int index, w, h, c;
    } yolo[] = {{16, 13, 13, 255}, {23, 26, 26, 255}};
    for (int k = 0; k < 2; ++k) {
        layer *l = network_layer(net, yolo[k].index);
        CHECK(l && !strcmp(layer_type_name(l), "yolo"));
        if (!l) continue;
        int w, h, c;
        layer_shape(l, &w, &h, &c);
        CHECK_MSG(w == yolo[k].w && h == yolo[k].h && c == yolo[k].c, "layer %d is %dx%dx%d", yolo[k].index, w, h,
                  c);
        int finite = 1;
        for (int i = 0; i < l->outputs; ++i) finite &= isfinite(l->output[i]);
        CHECK_MSG(finite, "layer %d output is not finite", yolo[k].index);
    }
    /* threshold 0: every anchor of both scales is a box */
    int n = 0;
    detection *d = get_network_boxes(net, 0, &n);
    CHECK_MSG(n == 3 * (13 * 13 + 26 * 26), "%d boxes", n);
    free_detections(d, n);
    free(x);
    free_network(net);
}
