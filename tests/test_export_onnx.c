/* The ONNX exporter (src/export/) at the level of the file: the model it
 * writes, read back with protoc-c's parser of ONNX's schema, holds the layers'
 * folded weights, the shapes and the metadata; what it cannot express is
 * refused with the cfg line. ONNX Runtime and OpenCV run the exports in
 * tests/cli/onnx.sh. Built only where protobuf-c and libonnx-dev are (DN_ONNX). */
#ifdef DN_ONNX
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <onnx.pb-c.h>

#include "batchnorm.h"
#include "export_onnx.h"
#include "layer_desc.h"
#include "network.h"
#include "test.h"

static const char *const small_cfg = "[net]\nbatch=1\nwidth=8\nheight=6\nchannels=3\n\n"
                                     "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\n"
                                     "activation=leaky\n\n"
                                     "[maxpool]\nsize=2\nstride=2\n\n"
                                     "[connected]\noutput=5\nactivation=linear\n";

static Onnx__ModelProto *read_model(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return onnx__model_proto__unpack(NULL, n, buf);
}

static const Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; ++i)
        if (!strcmp(g->initializer[i]->name, name)) return g->initializer[i];
    return NULL;
}

static const char *meta(const Onnx__ModelProto *m, const char *key)
{
    for (size_t i = 0; i < m->n_metadata_props; ++i)
        if (!strcmp(m->metadata_props[i]->key, key)) return m->metadata_props[i]->value;
    return "";
}

/* the Conv's weights: the layer's with batch norm folded in */
static void check_conv_weights(const Onnx__GraphProto *g, const char *cfg)
{
    network *net = load_network_frozen(cfg, NULL);
    conv_desc d;
    CHECK(net && !convolutional_describe(&net->layers[0], &d) && d.bn);
    if (!net || !d.bn) return;
    float w[4 * 3 * 9], b[4];
    memcpy(w, d.weights, sizeof w);
    memcpy(b, d.biases, sizeof b);
    bn_fold(d.bn, w, 27, b);
    const Onnx__NodeProto *conv = g->node[0];
    CHECK(!strcmp(conv->op_type, "Conv") && conv->n_input == 3);
    const Onnx__TensorProto *tw = conv->n_input == 3 ? initializer(g, conv->input[1]) : NULL;
    const Onnx__TensorProto *tb = conv->n_input == 3 ? initializer(g, conv->input[2]) : NULL;
    CHECK(tw && tw->n_dims == 4 && tw->dims[0] == 4 && tw->dims[1] == 3 && tw->dims[3] == 3);
    CHECK(tw && tw->raw_data.len == sizeof w && !memcmp(tw->raw_data.data, w, sizeof w));
    CHECK(tb && tb->raw_data.len == sizeof b && !memcmp(tb->raw_data.data, b, sizeof b));
    free_network(net);
}

TEST(onnx_export_reads_back_with_folded_weights_shapes_and_metadata)
{
    const char *cfg = temp_file(small_cfg);
    char out[64];
    snprintf(out, sizeof out, "%s.onnx", cfg);
    onnx_export_options o = {.cfg = cfg, .out = out, .batch = 2, .opset = 13};
    CHECK_MSG(export_onnx(&o) == 0, "%s", dn_last_error());
    Onnx__ModelProto *m = read_model(out);
    CHECK(m && m->graph && m->n_opset_import == 1 && m->opset_import[0]->version == 13);
    if (!m || !m->graph || !m->graph->n_input || !m->graph->n_node) return;
    const Onnx__GraphProto *g = m->graph;
    const Onnx__TensorShapeProto *in = g->input[0]->type->tensor_type->shape;
    CHECK(!strcmp(g->input[0]->name, "input") && in->n_dim == 4 && in->dim[0]->dim_value == 2 &&
          in->dim[2]->dim_value == 6 && in->dim[3]->dim_value == 8);
    CHECK(g->n_output == 1 && !strcmp(g->output[0]->name, "output"));
    check_conv_weights(g, cfg);
    CHECK(!strcmp(meta(m, "input_width"), "8") && !strcmp(meta(m, "input_resize"), "stretch"));
    CHECK(strlen(meta(m, "darknet_cfg_hash")) == 16);
    onnx__model_proto__free_unpacked(m, NULL);
    unlink(out);
    unlink(cfg);
}

TEST(onnx_export_refuses_a_maxpool_window_outside_the_map_naming_the_cfg_line)
{
    const char *cfg = temp_file("[net]\nwidth=8\nheight=8\nchannels=3\n\n[maxpool]\nsize=2\nstride=2\npadding=5\n");
    char out[64];
    snprintf(out, sizeof out, "%s.onnx", cfg);
    onnx_export_options o = {.cfg = cfg, .out = out, .batch = 1, .opset = 13};
    CHECK(export_onnx(&o) == -1);
    CHECK_MSG(strstr(dn_last_error(), ":6: [maxpool] (layer 0) cannot be exported") != NULL, "%s", dn_last_error());
    CHECK(access(out, F_OK) != 0);
    unlink(cfg);
}
#endif
