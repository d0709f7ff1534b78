/* test_dist.c: several ranks training one model (src/core/dist.h,
 * data_parallel.c, grad_sync.c, synchronised batch norm). Every test's name
 * holds "ranks": `mpirun -np 2 build-mpi/run_tests ranks` runs them over two
 * processes (a `make MPI=1` build); in a one-process run they check the
 * single-rank path, where the same code must give the single-process result.
 * The references are computed on every rank alone, on the whole batch. */
#include <stdlib.h>
#include <string.h>

#include "batchnorm.h"
#include "dist.h"
#include "grad_sync.h"
#include "network.h"
#include "test.h"

TEST(sums_over_ranks_add_every_ranks_values)
{
    int n = dist_size(), r = dist_rank();
    float f[5];
    double d[3];
    for (int i = 0; i < 5; ++i) f[i] = (float)(r + 1) + i;
    for (int i = 0; i < 3; ++i) d[i] = (r + 1) * 0.5 + i;
    CHECK(dist_sum_floats(f, 5) == 0 && dist_sum_doubles(d, 3) == 0);
    for (int i = 0; i < 5; ++i) CHECK_NEAR(f[i], n * (n + 1) / 2.0 + n * i, 1e-6);
    for (int i = 0; i < 3; ++i) CHECK_NEAR(d[i], n * (n + 1) / 4.0 + n * i, 1e-12);
    float g[4] = {1, 2, 3, (float)r};
    dist_request *q = dist_sum_floats_start(g, 4);
    CHECK(q != NULL && dist_test(q) >= 0 && dist_wait(q) == 0);
    CHECK_NEAR(g[2], 3.0 * n, 1e-6);
    CHECK_NEAR(g[3], n * (n - 1) / 2.0, 1e-6);
    CHECK(dist_any(r == n - 1) == 1 && dist_any(0) == 0);
}

TEST(gathered_blocks_of_ranks_come_in_rank_order)
{
    int n = dist_size(), r = dist_rank();
    unsigned char mine[8];
    memset(mine, r, sizeof mine);
    void *all = NULL;
    size_t total = 0;
    CHECK(dist_allgather_blocks(mine, (size_t)r + 1, &all, &total) == 0);   /* rank r sends r + 1 bytes */
    CHECK(total == (size_t)n * (n + 1) / 2);
    const unsigned char *p = all;
    for (int k = 0; all && k < n; ++k)
        for (int i = 0; i <= k; ++i) CHECK(*p++ == k);
    free(all);
}

/* ---- batch norm ---- */

enum { BN_C = 3, BN_S = 5, BN_PER_RANK = 2 };

typedef struct {
    bn_tensors t;
    float scales[BN_C], biases[BN_C], rm[BN_C], rv[BN_C], mean[BN_C], var[BN_C];
    float scale_grad[BN_C], bias_grad[BN_C];
    double sums[2 * BN_C + 1];
    float *x_norm;
} bn_fixture;

static void bn_fixture_init(bn_fixture *f, int batch)
{
    memset(f, 0, sizeof *f);
    f->t = (bn_tensors){batch, BN_C, BN_S, f->scales, f->biases, f->rm, f->rv, f->mean, f->var, NULL, f->sums};
    random_fill(f->scales, BN_C, 0.5f, 1.5f, 11);
    random_fill(f->biases, BN_C, -0.5f, 0.5f, 12);
    for (int c = 0; c < BN_C; ++c) f->rv[c] = 1;
    f->x_norm = malloc(sizeof(float) * batch * BN_C * BN_S);
    f->t.x_norm = f->x_norm;
}

TEST(batch_norm_synchronised_over_ranks_equals_one_batch_norm_of_the_whole_batch)
{
    int n = dist_size(), r = dist_rank(), whole = n * BN_PER_RANK, per_image = BN_C * BN_S;
    size_t all = (size_t)whole * per_image, mine = (size_t)BN_PER_RANK * per_image;
    float *x = malloc(sizeof(float) * all), *d = malloc(sizeof(float) * all);
    float *xs = malloc(sizeof(float) * mine), *ds = malloc(sizeof(float) * mine);
    random_fill(x, (int)all, -2, 3, 21);
    random_fill(d, (int)all, -1, 1, 22);
    memcpy(xs, x + r * mine, sizeof(float) * mine);
    memcpy(ds, d + r * mine, sizeof(float) * mine);
    bn_fixture ref, sh;
    bn_fixture_init(&ref, whole);
    bn_fixture_init(&sh, BN_PER_RANK);
    bn_forward(&ref.t, x, 1, 0.1f);
    CHECK(bn_forward_sync(&sh.t, xs, 1, 0.1f, dist_sum_doubles) == 0);
    CHECK(max_rel_diff(xs, x + r * mine, (int)mine, NULL) < 1e-5);
    CHECK(max_rel_diff(sh.mean, ref.mean, BN_C, NULL) < 1e-6 && max_rel_diff(sh.var, ref.var, BN_C, NULL) < 1e-6);
    CHECK(max_rel_diff(sh.rm, ref.rm, BN_C, NULL) < 1e-6 && max_rel_diff(sh.rv, ref.rv, BN_C, NULL) < 1e-6);
    bn_backward(&ref.t, d, 1, ref.scale_grad, ref.bias_grad);
    CHECK(bn_backward_sync(&sh.t, ds, 1, sh.scale_grad, sh.bias_grad, dist_sum_doubles) == 0);
    CHECK(max_rel_diff(ds, d + r * mine, (int)mine, NULL) < 1e-5);
    /* each rank keeps its share of the parameter gradients; the shares add up */
    CHECK(dist_sum_floats(sh.scale_grad, BN_C) == 0 && dist_sum_floats(sh.bias_grad, BN_C) == 0);
    CHECK(max_rel_diff(sh.scale_grad, ref.scale_grad, BN_C, NULL) < 1e-5);
    CHECK(max_rel_diff(sh.bias_grad, ref.bias_grad, BN_C, NULL) < 1e-5);
    free(ref.x_norm);
    free(sh.x_norm);
    free(x);
    free(d);
    free(xs);
    free(ds);
}

/* ---- training ---- */

static char *training_cfg(int subdivisions, int sync_bn)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "[net]\nbatch=%d\nsubdivisions=%d\nwidth=6\nheight=5\nchannels=2\nmomentum=0.9\ndecay=0.01\n"
             "learning_rate=0.002\nsync_bn=%d\n"
             "[convolutional]\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n"
             "[convolutional]\nfilters=3\nsize=1\nbatch_normalize=1\nactivation=linear\n"
             "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
             "[cost]\ntype=sse\n",
             4 * dist_size(), subdivisions, sync_bn);
    return text;
}

/* This rank's images of a step: in each pass, its part (see loader.h). */
static void take_share(const float *all, float *mine, int per_image, int batch, int subdivisions)
{
    int n = dist_size(), per_pass = batch / subdivisions, part = per_pass / n;
    for (int p = 0; p < subdivisions; ++p)
        memcpy(mine + (size_t)p * part * per_image,
               all + ((size_t)p * per_pass + (size_t)dist_rank() * part) * per_image, sizeof(float) * part * per_image);
}

/* The largest relative difference between two networks' weights-file tensors. */
static double weights_diff(const network *a, const network *b)
{
    double worst = 0;
    for (int i = 0; i < a->n; ++i)
        for (int t = 0; t < a->layers[i].n_stored; ++t) {
            double d = max_rel_diff(a->layers[i].stored[t], b->layers[i].stored[t], a->layers[i].stored_n[t], NULL);
            if (d > worst) worst = d;
        }
    return worst;
}

/* Three steps of the whole batch in one network and of this rank's share
 * in a data-parallel one. */
static void check_training_equal(int subdivisions)
{
    const char *cfg = training_cfg(subdivisions, 1);
    network *ref = build_net(cfg), *dp = build_net(cfg);
    if (!ref || !dp || network_set_data_parallel(dp)) {
        CHECK_MSG(0, "%s", dn_last_error());
        free_network(ref);
        free_network(dp);
        return;
    }
    int batch = 4 * dist_size(), in = ref->inputs, out = ref->truths;
    float *x = malloc(sizeof(float) * batch * in), *t = malloc(sizeof(float) * batch * out);
    float *xs = malloc(sizeof(float) * batch * in), *ts = malloc(sizeof(float) * batch * out);
    for (int step = 0; step < 3; ++step) {
        random_fill(x, batch * in, -1, 1, 100 + step);
        random_fill(t, batch * out, -1, 1, 200 + step);
        take_share(x, xs, in, batch, subdivisions);
        take_share(t, ts, out, batch, subdivisions);
        float a = train_network_step(ref, x, t), b = train_network_step(dp, xs, ts);
        CHECK_NEAR(b, a, 1e-5 * fabs(a));
    }
    CHECK_MSG(weights_diff(dp, ref) < 1e-6, "weights differ by %g", weights_diff(dp, ref));
    CHECK(dp->seen == ref->seen && dp->iteration == 3);
    free(x), free(t), free(xs), free(ts);
    free_network(ref);
    free_network(dp);
}

TEST(training_over_ranks_equals_one_process_with_the_whole_batch)
{
    check_training_equal(1);
    check_training_equal(2);
}

TEST(training_over_ranks_equals_one_process_with_small_buckets_or_without_overlap)
{
    setenv("DARKNET_BUCKET_MB", "0.00001", 1);   /* a bucket per layer */
    check_training_equal(2);
    setenv("DARKNET_OVERLAP", "0", 1);
    check_training_equal(1);
    unsetenv("DARKNET_BUCKET_MB");
    unsetenv("DARKNET_OVERLAP");
}

TEST(ranks_with_per_rank_batch_norm_still_hold_one_model)
{
    network *net = build_net(training_cfg(1, 0));
    if (!net || network_set_data_parallel(net)) {
        CHECK_MSG(0, "%s", dn_last_error());
        free_network(net);
        return;
    }
    int in = net->inputs * net->batch, out = net->truths * net->batch;
    float *x = malloc(sizeof(float) * in), *t = malloc(sizeof(float) * out);
    random_fill(x, in, -1, 1, 300 + dist_rank());   /* other images on each rank */
    random_fill(t, out, -1, 1, 400);
    for (int step = 0; step < 2; ++step) {
        float loss = train_network_step(net, x, t);
        CHECK(loss == loss);
    }
    CHECK_MSG(network_check_replicas(net) == 0, "%s", dn_last_error());
    free(x), free(t);
    free_network(net);
}

TEST(gradient_buckets_sum_every_parameter_over_the_ranks_once)
{
    network *net = build_net(training_cfg(1, 1));
    if (!net) return;
    size_t params = 0;
    int layers_with_params = 0;
    for (int i = 0; i < net->n; ++i) {
        layers_with_params += net->layers[i].n_params > 0;
        for (int p = 0; p < net->layers[i].n_params; ++p) params += (size_t)net->layers[i].params[p].n;
    }
    for (int b = 0; b < 2; ++b) {
        grad_sync *g = grad_sync_create(net, b ? 1 : 1 << 20, b);   /* one bucket per layer, or one in all */
        grad_sync_stats s = grad_sync_get_stats(g);
        CHECK(g && s.floats == params && s.buckets == (b ? layers_with_params : 1));
        for (int i = 0; i < net->n; ++i)
            for (int p = 0; p < net->layers[i].n_params; ++p)
                for (int k = 0; k < net->layers[i].params[p].n; ++k)
                    net->layers[i].params[p].grad[k] = (float)(dist_rank() + 1) * (i + 1) + k;
        for (int i = net->n - 1; i >= 0; --i) CHECK(grad_sync_layer_done(g, i) == 0);
        CHECK(grad_sync_finish(g) == 0);
        int n = dist_size();
        for (int i = 0; i < net->n; ++i)
            for (int p = 0; p < net->layers[i].n_params; ++p)
                for (int k = 0; k < net->layers[i].params[p].n; ++k)
                    CHECK_NEAR(net->layers[i].params[p].grad[k], n * (n + 1) / 2.0 * (i + 1) + (double)n * k, 1e-3);
        grad_sync_free(g);
    }
    free_network(net);
}

TEST(ranks_with_different_weights_are_refused_naming_the_rank)
{
    if (dist_size() == 1) return;   /* nothing to compare */
    const char *path = temp_file(training_cfg(1, 1));
    network *net = parse_network_cfg_mode(path, 1, 1 + (uint64_t)dist_rank());   /* a -seed per rank */
    if (!net) {
        CHECK_MSG(0, "%s", dn_last_error());
        return;
    }
    dn_clear_error();
    CHECK(network_set_data_parallel(net) == -1);
    CHECK_MSG(strstr(dn_last_error(), "weights") && strstr(dn_last_error(), "rank 1 on"), "%s", dn_last_error());
    free_network(net);
    remove(path);
}

TEST(a_batch_that_does_not_split_over_the_ranks_is_refused)
{
    if (dist_size() == 1) return;
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", training_cfg(1, 1));
    char *b = strstr(cfg, "batch=");
    snprintf(b, sizeof cfg - (size_t)(b - cfg), "batch=%d\nsubdivisions=1\nwidth=6\nheight=5\nchannels=2\n"
             "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n[cost]\ntype=sse\n", dist_size() + 1);
    network *net = build_net(cfg);
    if (!net) return;
    dn_clear_error();
    CHECK(network_set_data_parallel(net) == -1 && strstr(dn_last_error(), "multiple of"));
    free_network(net);
}

TEST(ranks_compare_what_a_cfg_says_not_its_comments_or_spacing)
{
    const char *a = "[net]\nbatch=2\nwidth=4\nheight=4\n[convolutional]\nfilters=2\nsize=1\n";
    const char *b = "# the same network\r\n[net]\r\nbatch = 2\nwidth=4   ; note\n\nheight=4\n[convolutional]\nfilters=2\nsize=1\n";
    const char *c = "[net]\nbatch=2\nwidth=4\nheight=4\n[convolutional]\nfilters=3\nsize=1\n";
    network *na = build_net(a), *nb = build_net(b), *nc = build_net(c);
    CHECK(na && nb && nc && na->cfg_hash == nb->cfg_hash && na->cfg_hash != nc->cfg_hash);
    free_network(na);
    free_network(nb);
    free_network(nc);
}
