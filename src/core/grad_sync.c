/* grad_sync.c: gradient buckets summed over the ranks (see grad_sync.h). */
#include "grad_sync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dist.h"
#include "errors.h"

typedef struct {
    param **params;          /* in backward order */
    int n_params;
    int lowest_layer;        /* its gradients are final once this layer is done */
    size_t floats;
    float *buf;              /* the packed gradients, or the one tensor's own buffer */
    int owns_buf;
    dist_request *req;       /* while the sum runs */
    int started;
} bucket;

struct grad_sync {
    bucket *buckets;
    int n_buckets;
    int *bucket_of_layer;    /* the bucket a layer completes (its lowest layer), else -1 */
    int n_layers;
    int overlap;
    grad_sync_stats stats;
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int add_param(bucket *b, param *p)
{
    param **grown = dn_realloc(b->params, (size_t)b->n_params + 1, sizeof *grown);
    if (!grown) return -1;
    b->params = grown;
    b->params[b->n_params++] = p;
    b->floats += (size_t)p->n;
    return 0;
}

/* Layers from the last down to the first, a bucket closed once it holds
 * bucket_floats: each bucket is a run of consecutive layers. */
static int make_buckets(grad_sync *g, const network *net, size_t bucket_floats)
{
    bucket *cur = NULL;
    for (int i = net->n - 1; i >= 0; --i) {
        layer *l = &net->layers[i];
        for (int p = 0; p < l->n_params; ++p) {
            if (!cur) {
                bucket *grown = dn_realloc(g->buckets, (size_t)g->n_buckets + 1, sizeof *grown);
                if (!grown) return -1;
                g->buckets = grown;
                cur = &g->buckets[g->n_buckets++];
                memset(cur, 0, sizeof *cur);
            }
            if (add_param(cur, &l->params[p])) return -1;
            cur->lowest_layer = i;
        }
        if (cur && cur->floats >= bucket_floats) cur = NULL;
    }
    return 0;
}

/* Buffers (a bucket of one tensor sums in place) and the layer -> bucket map. */
static int finish_buckets(grad_sync *g)
{
    for (int b = 0; b < g->n_buckets; ++b) {
        bucket *k = &g->buckets[b];
        g->stats.floats += k->floats;
        g->bucket_of_layer[k->lowest_layer] = b;
        k->owns_buf = k->n_params > 1;
        k->buf = k->owns_buf ? dn_calloc(k->floats, sizeof(float)) : k->params[0]->grad;
        if (!k->buf) return -1;
    }
    g->stats.buckets = g->n_buckets;
    return 0;
}

grad_sync *grad_sync_create(const network *net, size_t bucket_bytes, int overlap)
{
    grad_sync *g = dn_calloc(1, sizeof *g);
    if (!g) return NULL;
    g->overlap = g->stats.overlap = overlap;
    g->n_layers = net->n;
    size_t floats = bucket_bytes / sizeof(float);
    if (!(g->bucket_of_layer = dn_calloc(net->n, sizeof(int))) || make_buckets(g, net, floats ? floats : 1)) {
        grad_sync_free(g);
        return NULL;
    }
    for (int i = 0; i < net->n; ++i) g->bucket_of_layer[i] = -1;
    if (finish_buckets(g)) {
        grad_sync_free(g);
        return NULL;
    }
    return g;
}

void grad_sync_free(grad_sync *g)
{
    if (!g) return;
    for (int b = 0; b < g->n_buckets; ++b) {
        bucket *k = &g->buckets[b];
        if (k->req) dist_wait(k->req);
        if (k->owns_buf) free(k->buf);
        free(k->params);
    }
    free(g->buckets);
    free(g->bucket_of_layer);
    free(g);
}

static int start_bucket(bucket *k)
{
    if (k->owns_buf) {
        float *dst = k->buf;
        for (int p = 0; p < k->n_params; ++p) {
            memcpy(dst, k->params[p]->grad, sizeof(float) * k->params[p]->n);
            dst += k->params[p]->n;
        }
    }
    k->started = 1;
    return (k->req = dist_sum_floats_start(k->buf, k->floats)) ? 0 : -1;
}

/* MPI moves a non-blocking sum on only inside its calls: a test of each
 * running sum after every layer keeps them going during backward. */
static int progress(grad_sync *g)
{
    for (int b = 0; b < g->n_buckets; ++b)
        if (g->buckets[b].req && dist_test(g->buckets[b].req) < 0) return -1;
    return 0;
}

int grad_sync_layer_done(grad_sync *g, int i)
{
    if (!g->overlap || i < 0 || i >= g->n_layers) return 0;
    double t0 = now_ms();
    int b = g->bucket_of_layer[i], rc = 0;
    if (b >= 0 && !g->buckets[b].started) rc = start_bucket(&g->buckets[b]);
    if (!rc) rc = progress(g);
    g->stats.hooks_ms += now_ms() - t0;
    return rc;
}

static int wait_bucket(bucket *k)
{
    int rc = dist_wait(k->req);
    k->req = NULL;
    k->started = 0;
    if (rc || !k->owns_buf) return rc;
    const float *src = k->buf;
    for (int p = 0; p < k->n_params; ++p) {
        memcpy(k->params[p]->grad, src, sizeof(float) * k->params[p]->n);
        src += k->params[p]->n;
    }
    return 0;
}

int grad_sync_finish(grad_sync *g)
{
    double t0 = now_ms();
    int rc = 0;
    for (int b = 0; b < g->n_buckets && !rc; ++b)
        if (!g->buckets[b].started) rc = start_bucket(&g->buckets[b]);
    /* every bucket is waited for, also after a failure, so none stays in flight */
    for (int b = 0; b < g->n_buckets; ++b)
        if (g->buckets[b].started && wait_bucket(&g->buckets[b])) rc = -1;
    g->stats.exposed_ms += now_ms() - t0;
    g->stats.steps++;
    return rc;
}

grad_sync_stats grad_sync_get_stats(const grad_sync *g)
{
    grad_sync_stats none = {0};
    return g ? g->stats : none;
}
