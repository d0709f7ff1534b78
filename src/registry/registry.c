/* registry.c: the one table from cfg section name to layer functions.
 * It lists the layer types of every folder (src/layers/, and src/distill/ whose
 * layers need teachers), so it sits above them all, at the top of the library;
 * core declares find_layer_ops (layer.h) and calls it, which the link resolves
 * without core including anything from above. Adding a layer type is one new
 * file in its folder plus one line here. */
#include <string.h>

#include "layer.h"

extern const layer_ops convolutional_ops;
extern const layer_ops maxpool_ops, avgpool_ops, upsample_ops, route_ops, shortcut_ops;
extern const layer_ops connected_ops, softmax_ops, dropout_ops, cost_ops, layernorm_ops;
extern const layer_ops yolo_ops;
extern const layer_ops retina_ops;
extern const layer_ops attention_ops, posembed_ops;
extern const layer_ops cwd_ops, kd_ops, fd_ops;   /* src/distill/ */

static const layer_ops *const registry[] = {
    &convolutional_ops,
    &maxpool_ops, &avgpool_ops, &upsample_ops, &route_ops, &shortcut_ops,
    &connected_ops, &softmax_ops, &dropout_ops, &cost_ops, &layernorm_ops,
    &yolo_ops,
    &retina_ops,
    &cwd_ops, &kd_ops, &fd_ops,
    &attention_ops, &posembed_ops,
};

enum { N_TYPES = sizeof registry / sizeof registry[0] };

const layer_ops *find_layer_ops(const char *name)
{
    for (int i = 0; i < N_TYPES; ++i) {
        const layer_ops *t = registry[i];
        if ((!strcmp(name, t->name) || (t->alias && !strcmp(name, t->alias)))) return t;
    }
    return NULL;
}

void registered_layer_names(char *buf, size_t size)
{
    buf[0] = 0;
    for (int i = 0; i < N_TYPES; ++i) {
        if (buf[0]) strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, registry[i]->name, size - strlen(buf) - 1);
    }
}
