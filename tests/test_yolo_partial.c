/* A darknet user's first command: train cfg/yolov3.cfg from the
 * darknet53.conv.74 backbone. A file of that layout and size (the first 74
 * layers of cfg/darknet53.cfg, as `darknet partial` writes it) loads into the
 * YOLOv3 cfg (cut to 3 classes and a 64 x 64 input to stay fast), fills the
 * backbone, and a training step runs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

/* cfg text with every line equal to `from` replaced by `to` (malloc'd). */
static char *replace_lines(const char *text, const char *from, const char *to)
{
    char *out = malloc(strlen(text) * 2 + 1), *o = out;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int hit = len == strlen(from) && !strncmp(p, from, len);
        memcpy(o, hit ? to : p, hit ? strlen(to) : len);
        o += hit ? strlen(to) : len;
        if (end) *o++ = '\n';
        p += len + (end != NULL);
    }
    *o = 0;
    return out;
}

TEST(yolov3_trains_from_a_darknet53_conv_74_sized_backbone)
{
    char path[512];
    network *backbone = load_network_frozen("cfg/darknet53.cfg", NULL);
    if (!backbone) backbone = load_network_frozen("../cfg/darknet53.cfg", NULL);
    char *text = repo_cfg_text("yolov3.cfg", path, sizeof path);
    CHECK_MSG(backbone && text, "%s", dn_last_error());
    if (!backbone || !text) return;
    char weights[] = "/tmp/dn_conv74_XXXXXX";
    int fd = mkstemp(weights);
    close(fd);
    CHECK_MSG(save_weights_upto(backbone, weights, 74) == 0, "%s", dn_last_error());
    struct stat st;
    CHECK(stat(weights, &st) == 0 && st.st_size == 162482580LL);   /* darknet53.conv.74's size */
    const char *edits[][2] = {{"classes=80", "classes=3"}, {"filters=255", "filters=24"},
                              {"width=416", "width=64"},   {"height=416", "height=64"}};
    for (int i = 0; i < 4; ++i) {
        char *t = replace_lines(text, edits[i][0], edits[i][1]);
        free(text);
        text = t;
    }
    const char *cfg = temp_file(text);
    network *net = load_network_seeded(cfg, weights, 1, 5);
    unlink(cfg);
    unlink(weights);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (net) {
        /* the backbone's first and 74th layers came from the file */
        for (int li = 0; li < 74; li += 73)
            CHECK(!memcmp(net->layers[li].stored[1], backbone->layers[li].stored[1],
                          sizeof(float) * backbone->layers[li].stored_n[1]));
        float *x = random_input(net, 3), truth[DN_MAX_BOXES * 5] = {0.5f, 0.4f, 0.3f, 0.5f, 2};
        float loss = train_network_step(net, x, truth);
        CHECK_MSG(isfinite(loss) && loss > 0, "loss %g", loss);
        /* burn-in makes the first step tiny: the gradient (kept as momentum) shows it reached the backbone */
        const param *q = &net->layers[0].params[0];
        double moved = 0;
        for (int i = 0; i < q->n; ++i) moved += fabs(q->grad[i]);
        CHECK_MSG(moved > 0, "no gradient reached layer 0");
        free(x);
    }
    free_network(net);
    free_network(backbone);
    free(text);
}
