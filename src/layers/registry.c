/* registry.c: the one table from cfg section name to layer functions.
 * Adding a layer type is one new file in src/layers/ plus one line here. */
#include <string.h>

#include "layer.h"

/* TEMPORARY while the layer files land in parallel: weak references let the
 * table name types whose file is not written yet (they are skipped). */
#define LAYER(x) extern const layer_ops x __attribute__((weak));
LAYER(convolutional_ops)
LAYER(maxpool_ops)
LAYER(avgpool_ops)
LAYER(route_ops)
LAYER(shortcut_ops)
LAYER(upsample_ops)
LAYER(connected_ops)
LAYER(softmax_ops)
LAYER(dropout_ops)
LAYER(cost_ops)
LAYER(layernorm_ops)
LAYER(yolo_ops)
#undef LAYER

static const layer_ops *const registry[] = {
    &convolutional_ops, &maxpool_ops, &avgpool_ops, &route_ops,   &shortcut_ops, &upsample_ops,
    &connected_ops,     &softmax_ops, &dropout_ops, &cost_ops,    &layernorm_ops, &yolo_ops,
};

enum { N_TYPES = sizeof registry / sizeof registry[0] };

const layer_ops *find_layer_ops(const char *name)
{
    for (int i = 0; i < N_TYPES; ++i) {
        const layer_ops *t = registry[i];
        if (t && (!strcmp(name, t->name) || (t->alias && !strcmp(name, t->alias)))) return t;
    }
    return NULL;
}

void registered_layer_names(char *buf, size_t size)
{
    buf[0] = 0;
    for (int i = 0; i < N_TYPES; ++i) {
        if (!registry[i]) continue;
        if (buf[0]) strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, registry[i]->name, size - strlen(buf) - 1);
    }
}
