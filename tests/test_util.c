/* test_util.c: helpers shared by the tests. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "network.h"
#include "test.h"

const char *temp_file(const char *text)
{
    static char paths[8][64];
    static int next;
    char *path = paths[next++ % 8];
    strcpy(path, "/tmp/dn_test_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) path[0] = 0;
    close(fd);
    return path;
}

network *net_from_text(const char *cfg_text)
{
    const char *path = temp_file(cfg_text);
    network *net = parse_network_cfg(path);
    unlink(path);
    return net;
}

network *build_net(const char *cfg_text)
{
    network *net = net_from_text(cfg_text);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    return net;
}

float *random_input(const network *net, unsigned seed)
{
    float *x = malloc(sizeof(float) * net->batch * net->inputs);
    random_fill(x, net->batch * net->inputs, -1, 1, seed);
    return x;
}

void random_fill(float *x, int n, float lo, float hi, unsigned seed)
{
    rng_state r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; ++i) x[i] = rng_range(&r, lo, hi);
}

double max_rel_diff(const float *a, const float *b, int n, int *where)
{
    double worst = 0;
    for (int i = 0; i < n; ++i) {
        double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs(b[i]));
        if (d > worst || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            if (where) *where = i;
        }
    }
    return worst;
}

/* L = sum r . output of the last layer, in training mode (batch statistics)
 * or inference mode (train = 0: rolling statistics, no dropout). */
static double probe_loss(network *net, const float *x, const float *r, int train)
{
    net->train = train;
    forward_network(net, x);
    layer *last = &net->layers[net->n - 1];
    double loss = dot_double(r, last->output, (size_t)last->batch * last->outputs);
    for (int i = 0; i < net->n; ++i) loss += net->layers[i].cost;
    return loss;
}

double grad_check(network *net, float *x, double eps) { return grad_check_mode(net, x, eps, 1); }

double grad_check_mode(network *net, float *x, double eps, int train)
{
    layer *last = &net->layers[net->n - 1];
    int n_out = last->batch * last->outputs, n_in = net->batch * net->inputs;
    float *r = calloc(n_out, sizeof *r), *dx = calloc(n_in, sizeof *dx);
    random_fill(r, n_out, -1, 1, 99);
    /* analytic: delta is the negative gradient of L */
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p)
            memset(net->layers[i].params[p].grad, 0, net->layers[i].params[p].n * sizeof(float));
    net->input_grad = dx;
    probe_loss(net, x, r, train);
    for (int i = 0; i < n_out; ++i) last->delta[i] -= r[i];
    backward_network(net, x);
    net->input_grad = NULL;

    double worst = 0;
    /* every input */
    for (int i = 0; i < n_in; ++i) {
        float keep = x[i];
        x[i] = keep + eps;
        double up = probe_loss(net, x, r, train);
        x[i] = keep - eps;
        double down = probe_loss(net, x, r, train);
        x[i] = keep;
        double num = (up - down) / (2 * eps), ana = -dx[i];
        double err = fabs(num - ana) / fmax(1.0, fabs(num));
        if (err > worst) {
            if (err > 1e-2 && worst <= 1e-2)
                fprintf(stderr, "    input %d: numeric %.6g analytic %.6g\n", i, num, ana);
            worst = err;
        }
    }
    /* every parameter (a sample of large tensors) */
    for (int li = 0; li < net->n; ++li) {
        layer *l = &net->layers[li];
        for (int p = 0; p < l->n_params; ++p) {
            param *q = &l->params[p];
            int step = q->n > 64 ? q->n / 64 : 1;
            for (int i = 0; i < q->n; i += step) {
                float keep = q->val[i];
                q->val[i] = keep + eps;
                double up = probe_loss(net, x, r, train);
                q->val[i] = keep - eps;
                double down = probe_loss(net, x, r, train);
                q->val[i] = keep;
                double num = (up - down) / (2 * eps), ana = -q->grad[i];
                double err = fabs(num - ana) / fmax(1.0, fabs(num));
                if (err > worst) {
                    if (err > 1e-2 && worst <= 1e-2)
                        fprintf(stderr, "    layer %d param %d[%d]: numeric %.6g analytic %.6g\n", li, p,
                                i, num, ana);
                    worst = err;
                }
            }
        }
    }
    free(r);
    free(dx);
    return worst;
}

char *repo_cfg_text(const char *name, char *path, size_t path_size)
{
    snprintf(path, path_size, "cfg/%s", name);
    if (access(path, R_OK)) snprintf(path, path_size, "../cfg/%s", name);
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s (run the tests from the repository root)", name);
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!text) return NULL;
    text[got] = 0;
    return text;
}

int cfg_comment_indices(const char *text, const char *key, int *idx, int max)
{
    char line[64];
    snprintf(line, sizeof line, "\n# %s=", key);
    const char *p = strstr(text, line);
    if (!p) return 0;
    p += strlen(line);
    int n = 0;
    for (char *end; n < max; p = end + 1) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        idx[n++] = (int)v;
        if (*end != ',') break;
    }
    return n;
}
