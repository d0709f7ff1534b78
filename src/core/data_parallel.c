/* data_parallel.c: one network trained by all ranks of a job together. The
 * cfg's batch stays the batch of a step; each rank runs its share of every
 * pass, the gradients are summed over the ranks (grad_sync.c) and every rank
 * makes the same update, so all hold the same weights after each step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "companion.h"
#include "dist.h"
#include "dist_agree.h"
#include "errors.h"
#include "grad_sync.h"
#include "network.h"

enum { DEFAULT_BUCKET_MB = 4, MAX_STEP_LOSSES = 16 };

/* DARKNET_BUCKET_MB (default 4) and DARKNET_OVERLAP=0 (sums only after
 * backward), for measuring what the overlap saves. */
static size_t bucket_bytes(void)
{
    const char *s = getenv("DARKNET_BUCKET_MB");
    double mb = s ? atof(s) : DEFAULT_BUCKET_MB;
    return (size_t)((mb > 0 ? mb : DEFAULT_BUCKET_MB) * (1 << 20));
}

static int overlap_wanted(void)
{
    const char *s = getenv("DARKNET_OVERLAP");
    return !s || atoi(s) != 0;
}

uint64_t network_values_hash(const network *net, uint64_t h)
{
    h = hash_bytes(&net->seen, sizeof net->seen, h);
    for (int i = 0; i < net->n; ++i)
        for (int t = 0; t < net->layers[i].n_stored; ++t)
            h = hash_bytes(net->layers[i].stored[t], sizeof(float) * net->layers[i].stored_n[t], h);
    return h;
}

/* What the cfgs say (the network's and its companions', e.g. teachers) and the
 * weights (the same), so that a rank given another cfg, weights file or seed is caught
 * before it trains. */
static int check_same_model(const network *net)
{
    uint64_t cfg = net->cfg_hash, weights = network_values_hash(net, 0);
    companions_hash(net, &cfg, &weights);
    char what[600];
    snprintf(what, sizeof what, "the cfg %s (or a companion's, such as a teacher)", net->cfg_path);
    if (dist_check_same(cfg, what)) return -1;
    snprintf(what, sizeof what, "the weights of %s (the weights file, -seed, or a companion's, such as a teacher)",
             net->cfg_path);
    return dist_check_same(weights, what);
}

int network_check_replicas(const network *net)
{
    char what[600];
    snprintf(what, sizeof what, "the weights of %s after iteration %d", net->cfg_path, net->iteration);
    return dist_check_same(network_values_hash(net, 0), what);
}

static int is_param(const layer *l, const float *t)
{
    for (int p = 0; p < l->n_params; ++p)
        if (l->params[p].val == t) return 1;
    return 0;
}

/* Floats of the stored tensors nobody trains (batch-norm rolling statistics). */
static size_t buffer_floats(const network *net)
{
    size_t n = 0;
    for (int i = 0; i < net->n; ++i)
        for (int t = 0; t < net->layers[i].n_stored; ++t)
            if (!is_param(&net->layers[i], net->layers[i].stored[t])) n += (size_t)net->layers[i].stored_n[t];
    return n;
}

/* A dropout mask of its own per rank (rank 0 keeps the single-process stream). */
static void split_random_stream(network *net, int rank)
{
    if (!rank) return;
    uint64_t s = (uint64_t)rng_u32(&net->rng) << 32 | rng_u32(&net->rng);
    rng_seed(&net->rng, s ^ (0x9e3779b97f4a7c15ULL * (uint64_t)rank));
}

static int split_batch(network *net, int ranks)
{
    int global = net->batch * net->subdivisions;
    if (global % (ranks * net->subdivisions))
        return dn_error("%s: batch=%d with subdivisions=%d does not split over %d ranks: batch must be a multiple of "
                        "subdivisions x ranks = %d", net->cfg_path, global, net->subdivisions, ranks,
                        net->subdivisions * ranks);
    return set_batch_network(net, global / (ranks * net->subdivisions));
}

int network_set_data_parallel(network *net)
{
    int ranks = dist_size();
    if (ranks == 1 || net->replicas > 1) return 0;
    if (!net->trainable)
        return dn_error("%s was built for inference only: nothing to train in parallel", net->cfg_path);
    if (net->gpu)
        return dn_error("training on GPUs over several processes is not written yet: run one process, or "
                        "add -nogpu");
    if (check_same_model(net) || split_batch(net, ranks)) return -1;
    net->buffer_floats = buffer_floats(net);
    size_t scratch = 1 + (size_t)net->n + MAX_STEP_LOSSES;
    if (scratch < net->buffer_floats) scratch = net->buffer_floats;
    if (!(net->buffer_sums = dn_calloc(scratch, sizeof(float))) ||
        !(net->grad_sync = grad_sync_create(net, bucket_bytes(), overlap_wanted())))
        return -1;
    split_random_stream(net, dist_rank());
    net->replicas = ranks;
    net->rank = dist_rank();
    return 0;
}

int network_replicas(const network *net) { return net->replicas; }

void data_parallel_free(network *net)
{
    grad_sync_free(net->grad_sync);
    net->grad_sync = NULL;
    free(net->buffer_sums);
    net->buffer_sums = NULL;
}

/* The loss per image, each layer's and the named ones: every rank's are
 * means over the same number of images, so their mean is the whole batch's. */
static int average_losses(network *net, float *loss)
{
    float *v = net->buffer_sums;
    const char *names[MAX_STEP_LOSSES];
    int k = network_losses_local(net, names, v + 1 + net->n, MAX_STEP_LOSSES);
    v[0] = *loss;
    for (int i = 0; i < net->n; ++i) v[1 + i] = net->layers[i].step_loss;
    size_t n = 1 + (size_t)net->n + (size_t)k;
    if (dist_sum_floats(v, n)) return -1;
    for (size_t i = 0; i < n; ++i) v[i] /= (float)net->replicas;
    *loss = v[0];
    for (int i = 0; i < net->n; ++i) net->layers[i].step_loss = v[1 + i];
    for (int j = 0; j < k; ++j) {
        net->step_names[j] = names[j];
        net->step_values[j] = v[1 + net->n + j];
    }
    net->n_step_losses = k;
    return 0;
}

/* Copies the untrained stored tensors into (to_scratch) or out of the scratch. */
static void move_buffers(network *net, int to_scratch)
{
    float *s = net->buffer_sums;
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored; ++t) {
            if (is_param(l, l->stored[t])) continue;
            size_t bytes = sizeof(float) * l->stored_n[t];
            memcpy(to_scratch ? s : l->stored[t], to_scratch ? l->stored[t] : s, bytes);
            s += l->stored_n[t];
        }
    }
}

/* Per-rank batch norm moves each rank's rolling statistics its own way: their
 * mean keeps one model on every rank (what rank 0 saves is what all hold). */
static int average_buffers(network *net)
{
    if (!net->buffer_floats) return 0;
    move_buffers(net, 1);
    if (dist_sum_floats(net->buffer_sums, net->buffer_floats)) return -1;
    for (size_t i = 0; i < net->buffer_floats; ++i) net->buffer_sums[i] /= (float)net->replicas;
    move_buffers(net, 0);
    return 0;
}

int data_parallel_finish_step(network *net, float *loss)
{
    if (grad_sync_finish(net->grad_sync) || average_losses(net, loss)) return -1;
    return net->sync_bn ? 0 : average_buffers(net);
}

dn_allreduce_stats network_allreduce_stats(const network *net)
{
    grad_sync_stats g = grad_sync_get_stats(net->grad_sync);
    dn_allreduce_stats s = {net->replicas, g.buckets, g.overlap, g.floats * sizeof(float) / 1e6, g.steps, 0, 0};
    if (g.steps) {
        s.exposed_ms = g.exposed_ms / g.steps;
        s.hooks_ms = g.hooks_ms / g.steps;
    }
    return s;
}
