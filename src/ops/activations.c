#include "activations.h"

#include <math.h>
#include <string.h>

#include "activation_math.h"

#include "threadpool.h"

const char *const activation_names[] = {"linear", "relu", "leaky", "logistic", "tanh",
                                        "relu6", "swish", "mish", "gelu", NULL};

int activation_from_name(const char *name)
{
    if (!strcmp(name, "silu")) return ACT_SWISH;
    for (int i = 0; activation_names[i]; ++i)
        if (!strcmp(name, activation_names[i])) return i;
    return -1;
}

static void activate_range(float *x, size_t n, activation a)
{
    /* one switch per range, so each loop is a plain inlined formula */
    switch (a) {
    case ACT_LINEAR: return;
    case ACT_RELU:
        for (size_t i = 0; i < n; ++i) x[i] = act_relu(x[i]);
        return;
    case ACT_LEAKY:
        for (size_t i = 0; i < n; ++i) x[i] = act_leaky(x[i]);
        return;
    case ACT_LOGISTIC:
        for (size_t i = 0; i < n; ++i) x[i] = act_logistic(x[i]);
        return;
    case ACT_TANH:
        for (size_t i = 0; i < n; ++i) x[i] = tanhf(x[i]);
        return;
    case ACT_RELU6:
        for (size_t i = 0; i < n; ++i) x[i] = act_relu6(x[i]);
        return;
    case ACT_SWISH:
        for (size_t i = 0; i < n; ++i) x[i] = act_swish(x[i]);
        return;
    case ACT_MISH:
        for (size_t i = 0; i < n; ++i) x[i] = act_mish(x[i]);
        return;
    case ACT_GELU:
        for (size_t i = 0; i < n; ++i) x[i] = act_gelu(x[i]);
        return;
    }
}

int activation_needs_input(activation a) { return act_needs_input(a); }

static void gradient_range(const float *in, const float *out, size_t n, activation a, float *delta)
{
    if (activation_needs_input(a))
        for (size_t i = 0; i < n; ++i) delta[i] *= act_grad_from_input(in[i], a);
    else
        for (size_t i = 0; i < n; ++i) delta[i] *= act_grad_from_output(out[i], a);
}

/* Big arrays are split over the thread pool in blocks of BLOCK values. Each
 * value depends on nothing else and goes through the same code, so the result
 * is bitwise the serial one. The exp/erf kinds cost 10-30 ns a value (GELU's
 * erff was ~30% of a ConvNeXt training step): from 2 blocks on the work
 * outweighs waking the pool; the cheap ones are memory-bound and are split
 * only from 32 blocks (128K values) on. */
enum { BLOCK = 4096 };

typedef struct {
    float *x;                 /* activate: in place; gradient: delta */
    const float *in, *out;    /* gradient only */
    size_t n;
    activation a;
    int gradient;
} act_job;

static void act_blocks(void *ctx, int b0, int b1)
{
    const act_job *j = ctx;
    size_t lo = (size_t)b0 * BLOCK, hi = (size_t)b1 * BLOCK < j->n ? (size_t)b1 * BLOCK : j->n;
    if (j->gradient)
        gradient_range(j->in ? j->in + lo : NULL, j->out ? j->out + lo : NULL, hi - lo, j->a, j->x + lo);
    else
        activate_range(j->x + lo, hi - lo, j->a);
}

static void run_blocks(act_job *j)
{
    int cheap = j->a == ACT_RELU || j->a == ACT_LEAKY || j->a == ACT_RELU6;
    size_t blocks = (j->n + BLOCK - 1) / BLOCK;   /* an int for arrays below 8 TB */
    parallel_for((int)blocks, cheap ? 16 : 1, act_blocks, j); /* inline below 2 grains */
}

void activate_array(float *x, size_t n, activation a)
{
    if (a == ACT_LINEAR) return;
    act_job j = {x, NULL, NULL, n, a, 0};
    run_blocks(&j);
}

void gradient_array(const float *in, const float *out, size_t n, activation a, float *delta)
{
    if (a == ACT_LINEAR) return;
    act_job j = {delta, in, out, n, a, 1};
    run_blocks(&j);
}

typedef struct {
    float *x;
    const float *bias;
    int channels, spatial;
    activation a;
} bias_act_job;

/* Each row (image, channel) in L1-sized pieces: the bias is added and the
 * activation applied while the piece is in cache, one pass over memory. */
static void bias_act_rows(void *ctx, int r0, int r1)
{
    const bias_act_job *j = ctx;
    enum { PIECE = 1024 };
    for (int r = r0; r < r1; ++r) {
        float *row = j->x + (size_t)r * j->spatial, b = j->bias[r % j->channels];
        for (int p = 0; p < j->spatial; p += PIECE) {
            int n = j->spatial - p < PIECE ? j->spatial - p : PIECE;
            for (int i = 0; i < n; ++i) row[p + i] += b;
            activate_range(row + p, (size_t)n, j->a);
        }
    }
}

void bias_activate(float *x, const float *bias, int batch, int channels, int spatial, activation a)
{
    bias_act_job j = {x, bias, channels, spatial, a};
    /* rows of at least ~BLOCK values per task, as activate_array's blocks */
    int grain = spatial >= BLOCK ? 1 : (BLOCK + spatial - 1) / spatial;
    parallel_for(batch * channels, grain, bias_act_rows, &j);
}
