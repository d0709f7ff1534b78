/* api_network.c: loading, running, training and saving for bindings
 * (darknet_api.h). Only argument checks and copies: the work is the
 * library's load_network, network_predict and train_network_step. */
#include <math.h>
#include <string.h>

#include "darknet_api.h"
#include "errors.h"
#include "gpu.h"
#include "network.h"

int dn_api_version(void) { return DN_API_VERSION; }

network *dn_net_load(const char *cfg, const char *weights, int train, int gpu)
{
    dn_clear_error();
    if (!cfg) {
        dn_error("dn_net_load: no cfg path");
        return NULL;
    }
    network *net = train ? load_network(cfg, weights, 0) : load_network_frozen(cfg, weights);
    if (net && gpu >= 0 && network_gpu(net) != gpu && network_use_gpu(net, gpu)) {
        free_network(net);
        return NULL;
    }
    return net;
}

void dn_net_free(network *net) { free_network(net); }

int dn_net_input_shape(const network *net, int shape[3])
{
    shape[0] = net->c;
    shape[1] = net->h;
    shape[2] = net->w;
    return 0;
}

int dn_net_outputs(const network *net) { return network_outputs(net); }
int dn_net_truths(const network *net) { return network_truths(net); }
int dn_net_classes(const network *net) { return network_classes(net); }
int dn_net_layers(const network *net) { return network_n_layers(net); }

/* Sets the images per forward pass, when it differs. */
static int use_batch(network *net, int n)
{
    if (n < 1) return dn_error("a batch of %d images", n);
    return n == net->batch ? 0 : set_batch_network(net, n);
}

int dn_net_predict(network *net, const float *input, int n, float *output)
{
    dn_clear_error();
    if (use_batch(net, n)) return -1;
    const float *y = network_predict(net, (float *)input);
    if (!y || dn_has_error()) return -1;
    memcpy(output, y, sizeof(float) * (size_t)n * network_outputs(net));
    return 0;
}

int dn_layer_info(network *net, int i, int shape[4], const char **type)
{
    dn_clear_error();
    const layer *l = network_layer(net, i);
    if (!l) return dn_error("no layer %d: the network has layers 0 to %d", i, net->n - 1);
    shape[0] = net->batch;
    layer_shape(l, &shape[3], &shape[2], &shape[1]);
    *type = layer_type_name(l);
    return 0;
}

int dn_layer_output(network *net, int i, float *out)
{
    dn_clear_error();
    const layer *l = network_layer(net, i);
    if (!l) return dn_error("no layer %d: the network has layers 0 to %d", i, net->n - 1);
    size_t n = (size_t)net->batch * l->outputs;
#ifdef DN_GPU
    /* on a GPU only the last layer's output comes back after a forward */
    if (net->gpu && l->output_gpu && gpu_pull(net->gpu, l->output, l->output_gpu, n)) return -1;
#endif
    memcpy(out, l->output, sizeof(float) * n);
    return 0;
}

float dn_net_train_step(network *net, const float *images, const float *truths, int n)
{
    dn_clear_error();
    if (network_check_trainable(net)) return NAN;
    if (n < 1 || n % net->subdivisions) {
        dn_error("a training step of %d images: the batch must be a multiple of subdivisions=%d", n,
                 net->subdivisions);
        return NAN;
    }
    if (use_batch(net, n / net->subdivisions)) return NAN;
    return train_network_step(net, images, truths);
}

int dn_net_save(const network *net, const char *path)
{
    dn_clear_error();
    return save_weights(net, path);
}
