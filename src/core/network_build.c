/* network_build.c: turns a cfg file into a network: the [net] section, then
 * one layer per section through the registry. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "companion.h"
#include "errors.h"
#include "network.h"

/* [net] keys of pjreddie's and AlexeyAB's darknet that this project does not
 * act on (data augmentation and optimiser variants handled elsewhere or not at all). */
static const char *const net_ignored[] = {
    "angle", "aspect", "mixup", "cutmix", "blur", "gaussian_noise", "max_crop", "min_crop", "resize", "track",
    "augment_speed", "sequential_subdivisions", "try_fix_nan",
    "max_chart_loss", "time_steps", "notruth", "label_smooth_eps",
    "mosaic_bound", "contrastive", "unsupervised", "attention", "adversarial_lr",
    "show_receptive_field", "dynamic_minibatch", "loss_scale", "equidistant_point",
    "rgb2gray", "optimized_memory", "workspace_size_limit_MB", "center", "max_epochs",
    "clip", "num_boxes", "rescore", "max_ratio", "min_ratio", "sgdr_cycle", "sgdr_mult",
    "seq_scales", "ema_alpha", "use_cuda_graph", "weights_reject_freq", "resize_step",
    "badlabels_rejection_percentage", "num_sigmas_reject_badlabels", "contrastive_jit_flip",
    "contrastive_color", NULL};

/* Keys AlexeyAB's darknet reads in every layer section (training tricks and
 * loading controls this project does not act on). */
static const char *const layer_ignored[] = {"stopbackward", "onlyforward", "dontload", "dontloadscales",
                                            "learning_rate", "train_only_bn", "dont_update", "stream",
                                            "wait_stream", "burnin_update", NULL};

/* [net] keys the data loader reads from the same file (loader_config_from_cfg). */
static const char *const net_loader_keys[] = {"jitter", "flip", "hue", "saturation", "exposure", "letter_box",
                                              "random", "mosaic", NULL};

static int parse_net_section(network *net, cfg_section *s)
{
    if (strcmp(s->name, "net") && strcmp(s->name, "network"))
        return dn_error("%s:%d: the first section must be [net], found [%s]", s->file, s->line,
                        s->name);
    int batch = cfg_int_range(s, "batch", 1, 1, 1 << 20);
    net->subdivisions = cfg_int_range(s, "subdivisions", 1, 1, 1 << 20);
    if (!cfg_failed(s) && batch % net->subdivisions)
        cfg_fail(s, "subdivisions", "batch=%d is not divisible by subdivisions=%d", batch,
                 net->subdivisions);
    net->batch = batch / net->subdivisions;
    int inputs = cfg_int_range(s, "inputs", 0, 0, INT_MAX);
    net->w = cfg_int_range(s, "width", inputs ? 1 : 0, 1, 1 << 16);
    net->h = cfg_int_range(s, "height", inputs ? 1 : 0, 1, 1 << 16);
    net->c = cfg_int_range(s, "channels", inputs ? inputs : 3, 1, 1 << 16);
    if (!net->w || !net->h) cfg_fail(s, net->w ? "height" : "width", "is required");
    net->momentum = cfg_float_range(s, "momentum", 0.9f, 0, 1);
    net->decay = cfg_float_range(s, "decay", 0.0001f, 0, 1);
    /* darknet's Adam and its defaults (pjreddie's parse_net_options) */
    net->adam = cfg_int_range(s, "adam", 0, 0, 1);
    net->adam_b1 = cfg_float_range(s, "B1", 0.9f, 0, 0.999999f);
    net->adam_b2 = cfg_float_range(s, "B2", 0.999f, 0, 0.999999f);
    net->adam_eps = cfg_float_range(s, "eps", 1e-7f, 1e-12f, 1);
    /* batch-norm statistics over all ranks' images (data-parallel training) */
    net->sync_bn = cfg_int_range(s, "sync_bn", 0, 0, 1);
    if (lr_schedule_parse(&net->lr, s)) return -1;
    for (int i = 0; net_loader_keys[i]; ++i) cfg_str(s, net_loader_keys[i], NULL); /* used, not ignored */
    if (cfg_failed(s) || cfg_check_unused(s, net_ignored, NULL)) return -1;
    /* sizes are ints throughout; refuse what would overflow them */
    if ((int64_t)net->w * net->h * net->c * net->batch > INT_MAX)
        return cfg_fail(s, NULL, "an input batch of %d x %d x %d x %d values is too large", net->batch,
                        net->c, net->h, net->w);
    net->inputs = net->w * net->h * net->c;
    return 0;
}

/* Prefixes the pending error with the section's file and line unless it names the file. */
static int section_error(const cfg_section *s)
{
    if (strstr(dn_last_error(), s->file)) return -1;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", dn_last_error());
    dn_clear_error();
    return dn_error("%s:%d: [%s]: %s", s->file, s->line, s->name, msg[0] ? msg : "failed");
}

static int parse_layer(network *net, int i, cfg_section *s)
{
    layer *l = &net->layers[i];
    l->index = i;
    l->cfg_line = s->line;
    l->ops = find_layer_ops(s->name);
    if (!strcmp(s->name, "net") || !strcmp(s->name, "network"))
        return dn_error("%s:%d: [%s] must be the first section and appear only once", s->file, s->line,
                        s->name);
    if (!l->ops) {
        char known[1024];
        registered_layer_names(known, sizeof known);
        return dn_error("%s:%d: unknown section [%s] (known: net, %s)", s->file, s->line, s->name,
                        known);
    }
    l->batch = net->batch;
    l->w = i ? net->layers[i - 1].out_w : net->w;
    l->h = i ? net->layers[i - 1].out_h : net->h;
    l->c = i ? net->layers[i - 1].out_c : net->c;
    l->inputs = l->w * l->h * l->c;
    /* name the section when parse or setup fails without saying where
     * (out of memory, a shape it cannot handle) */
    if (l->ops->parse(l, s, net) || cfg_failed(s)) return section_error(s);
    if (cfg_check_unused(s, l->ops->ignored_keys, layer_ignored)) return -1;
    if (network_setup_layers(net, i)) return section_error(s);
    return 0;
}

network *build_network(const char *cfg_path, int trainable, uint64_t seed)
{
    cfg_file *f = cfg_read(cfg_path);
    if (!f) return NULL;
    network *net = dn_calloc(1, sizeof *net);
    if (!net) goto fail;
    net->trainable = trainable;
    net->replicas = 1;
    net->cfg_path = dn_strdup(cfg_path);
    rng_seed(&net->rng, seed);
    net->cfg_hash = cfg_hash(f);
    if (parse_net_section(net, &f->sections[0])) goto fail;
    if (f->n_sections < 2) {
        dn_error("%s: no layers after [net]", cfg_path);
        goto fail;
    }
    net->layers = dn_calloc(f->n_sections - 1, sizeof(layer));
    if (!net->layers) goto fail;
    for (int i = 0; i < f->n_sections - 1; ++i) {
        net->n = i + 1; /* so a failure frees what was built */
        if (parse_layer(net, i, &f->sections[i + 1])) goto fail;
    }
    for (int i = 0; i < net->n; ++i)
        if (net->layers[i].truths > net->truths) net->truths = net->layers[i].truths;
    cfg_free(f);
    return net;
fail:
    cfg_free(f);
    free_network(net);
    return NULL;
}

/* Draws the initial random parameters of layers first..n-1, in order. */
void network_weights_changed(network *net)
{
    for (int i = 0; i < net->n; ++i)
        if (net->layers[i].ops->weights_changed) net->layers[i].ops->weights_changed(&net->layers[i], net);
}

/* The layers from `first` on get their initial values; then the network's
 * weights are final, loaded or drawn. */
static void init_layers(network *net, int first)
{
    for (int i = first; i < net->n; ++i)
        if (net->layers[i].ops->init_weights) net->layers[i].ops->init_weights(&net->layers[i], net);
    network_weights_changed(net);
}

network *parse_network_cfg_mode(const char *cfg_path, int trainable, uint64_t seed)
{
    network *net = build_network(cfg_path, trainable, seed);
    if (net) init_layers(net, 0);
    return net;
}

/* The public entry points start with a clean error, so a failure shows its own
 * message rather than one the caller already handled. The internal ones do not:
 * a layer's parse may build a companion network (a teacher) while its own cfg
 * error is pending. */
network *parse_network_cfg(const char *cfg_path)
{
    dn_clear_error();
    return parse_network_cfg_mode(cfg_path, 1, DN_DEFAULT_SEED);
}

/* The process's choice (darknet's gpu_index): set once by the command line. */
static int load_device = -1;
void dn_set_gpu(int device) { load_device = device; }
int dn_get_gpu(void) { return load_device; }

static network *load_on_host(const char *cfg, const char *weights, int clear, int trainable, uint64_t seed)
{
    network *net = build_network(cfg, trainable, seed);
    if (!net) return NULL;
    /* only layers the weights file does not fill need random values */
    int held = 0;
    if (weights && *weights && load_weights_held(net, weights, -1, &held)) {
        free_network(net);
        return NULL;
    }
    init_layers(net, held);
    if (clear) network_reset_schedule(net);
    return net;
}

static network *load_mode(const char *cfg, const char *weights, int clear, int trainable, uint64_t seed)
{
    network *net = load_on_host(cfg, weights, clear, trainable, seed);
    if (net && load_device >= 0 && network_use_gpu(net, load_device)) {
        free_network(net);
        return NULL;
    }
    return net;
}

network *load_network(const char *cfg, const char *weights, int clear)
{
    dn_clear_error();
    return load_mode(cfg, weights, clear, 1, DN_DEFAULT_SEED);
}

network *load_network_seeded(const char *cfg, const char *weights, int clear, uint64_t seed)
{
    dn_clear_error();
    return load_mode(cfg, weights, clear, 1, seed);
}

network *load_network_frozen(const char *cfg, const char *weights)
{
    return load_mode(cfg, weights, 0, 0, DN_DEFAULT_SEED);
}

static void free_layer(layer *l)
{
    if (l->ops && l->ops->free_priv) l->ops->free_priv(l);
    for (int i = 0; i < l->n_owned; ++i) free(l->owned[i]);
    free(l->output);
    free(l->delta);
}

void free_network(network *net)
{
    if (!net) return;
    data_parallel_free(net);
    if (net->gpu) network_gpu_free(net);
    for (int i = 0; i < net->n; ++i) free_layer(&net->layers[i]);
    free(net->layers);
    companions_free(net);
    free(net->workspace);
    free(net->cfg_path);
    lr_schedule_free(&net->lr);
    free(net);
}

network *load_network_frozen_on_host(const char *cfg, const char *weights)
{
    return load_on_host(cfg, weights, 0, 0, DN_DEFAULT_SEED);
}
