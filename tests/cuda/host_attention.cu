/* The attention bodies, run on the CPU, against ops/attention.c: the layout's
 * gathers against the permutation as the layer applies it, the score rows
 * against attn_window_forward / _backward and the bias table's gradient
 * against attn_bias_grad, over every (image, head, window). */
#include "attention_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "gemm.h"
}

/* A layout, its ints and the device layout reading them on the host. */
struct layout_case {
    attn_layout t;
    std::vector<int> ints;
    attn_layout_gpu d;
    layout_case(int h, int w, int window, int shift) : t()
    {
        CHECK(attn_layout_build(&t, h, w, window, shift) == 0);
        ints.resize(attn_layout_flat_size(&t));
        attn_layout_flatten(&t, ints.data());
        d = attn_layout_gpu_at(&t, ints.data());
    }
    ~layout_case() { attn_layout_free(&t); }
};

static void check_gathers(const layout_case &lc, int batch, int C)
{
    int n = lc.t.n;
    long ld = (long)batch * n, total = C * ld;
    std::vector<float> x = random_vector(total, -1, 1, 90), win(total), want(total), map(total);
    std::vector<float> acc = random_vector(total, -1, 1, 91), want_acc = acc;
    for (int b = 0; b < batch; ++b)   /* as the layer's gather_rows and scatter_add_rows */
        for (int c = 0; c < C; ++c)
            for (int i = 0; i < n; ++i) {
                want[c * ld + b * n + i] = x[((long)b * C + c) * n + lc.t.perm[i]];
                want_acc[((long)b * C + c) * n + lc.t.perm[i]] += want[c * ld + b * n + i];
            }
    host_for_each(total, attn_to_windows_body{x.data(), win.data(), lc.d.perm, C, n, ld});
    check_close(win, want, 0, "attention map -> window order");
    host_for_each(total, attn_to_map_body{win.data(), map.data(), lc.d.inv, C, n, 0, ld});
    check_close(map, x, 0, "attention window -> map order");
    host_for_each(total, attn_to_map_body{win.data(), acc.data(), lc.d.inv, C, n, 1, ld});
    check_close(acc, want_acc, 0, "attention window -> map order, added");
}

/* Random q, k, v (3 C x ld), the heads' output gradient and bias table. */
struct heads_case {
    int batch, heads, dim, C, entries;
    long ld;
    std::vector<float> qkv, dout, table;
    heads_case(const attn_layout *t, int b, int h, int d)
        : batch(b), heads(h), dim(d), C(h * d), entries(attn_bias_entries(t)), ld((long)b * t->n)
    {
        qkv = random_vector(3 * C * ld, -2, 2, 92);
        dout = random_vector(C * ld, -1, 1, 93);
        table = random_vector((size_t)heads * entries, -0.5f, 0.5f, 94);
    }
    /* Item (b, h, win): its head and where its window's q starts; att_off as the layer. */
    attn_head head(const attn_layout *t, int b, int h, int win, long *off, long *att_off) const
    {
        *off = (long)h * dim * ld + (long)b * t->n;
        *att_off = ((long)b * heads + h) * t->pairs + t->pair_off[win];
        return attn_head{t, dim, 1 / sqrtf((float)dim), table.data() + (size_t)h * entries};
    }
};

/* Scores and their gradients by the CPU's gemms, rows by the bodies; with
 * `bias` the table is added and its gradient checked. */
static void check_score_rows(const layout_case &lc, const heads_case &hc, bool bias)
{
    const attn_layout *t = &lc.t;
    long att = hc.batch * hc.heads * (long)t->pairs, plane = hc.C * hc.ld, ld = hc.ld;
    long rows = (long)hc.batch * hc.heads * t->n, tsize = (long)hc.heads * hc.entries;
    std::vector<float> p_ref(att), ds_ref(att), p(att), ds(att), o(plane), dqkv(3 * plane), g_ref(tsize), g(tsize);
    for (int b = 0; b < hc.batch; ++b)
        for (int h = 0; h < hc.heads; ++h)
            for (int win = 0; win < t->windows; ++win) {
                long off, ao;
                attn_head a = hc.head(t, b, h, win, &off, &ao);
                if (!bias) a.bias = NULL;
                const float *q = hc.qkv.data() + off, *k = q + plane, *v = q + 2 * plane, *dout = &hc.dout[off];
                float *dq = &dqkv[off];
                attn_window_forward(&a, win, q, k, v, ld, &p_ref[ao], &o[off]);
                attn_window_backward(&a, win, q, k, v, &p_ref[ao], dout, ld, &ds_ref[ao], dq, dq + plane,
                                     dq + 2 * plane);
                attn_bias_grad(t, win, &ds_ref[ao], &g_ref[(long)h * hc.entries]);
                int s0 = t->start[win], n = t->count[win];
                gemm(1, 0, n, n, hc.dim, a.scale, q + s0, ld, k + s0, ld, 0, &p[ao], n);
                gemm(1, 0, n, n, hc.dim, 1, dout + s0, ld, v + s0, ld, 0, &ds[ao], n);
            }
    const float *table = bias ? hc.table.data() : NULL;
    host_for_each(rows, attn_softmax_body{{lc.d}, table, hc.heads, hc.entries, p.data()});
    check_close(p, p_ref, 0, "attention probabilities");
    host_for_each(rows, attn_softmax_backward_body{{lc.d}, p.data(), ds.data()});
    check_close(ds, ds_ref, 0, "attention score gradients");
    host_for_each(tsize, attn_bias_grad_body{lc.d, ds.data(), g.data(), hc.batch, hc.heads, hc.entries});
    check_close(g, g_ref, 0, "attention bias table gradient");
}

TEST(attention_layout_bodies_gather_into_window_order_and_back_as_the_layer_scatters)
{
    check_gathers(layout_case(5, 7, 3, 1), 3, 2);   /* smaller windows at the edges, shifted */
    check_gathers(layout_case(4, 6, 0, 0), 2, 3);   /* global */
    check_gathers(layout_case(1, 1, 2, 0), 3, 1);
}

TEST(attention_score_row_bodies_equal_the_cpu_windows_with_bias_and_shift_mask)
{
    layout_case shifted(5, 7, 3, 1), plain(4, 4, 2, 0), global(3, 5, 0, 0), one(1, 1, 0, 0);
    check_score_rows(shifted, heads_case(&shifted.t, 2, 2, 3), true);
    check_score_rows(shifted, heads_case(&shifted.t, 1, 3, 2), false);
    check_score_rows(plain, heads_case(&plain.t, 3, 1, 4), true);
    check_score_rows(global, heads_case(&global.t, 2, 2, 2), true);
    check_score_rows(one, heads_case(&one.t, 3, 2, 1), true);
}

TEST(attention_row_sum_body_adds_each_row_in_double)
{
    int rows = 5;
    long ld = 1001;
    std::vector<float> m = random_vector(rows * ld, -1, 1, 95), grad = random_vector(rows, -1, 1, 96), want = grad;
    for (int r = 0; r < rows; ++r) {
        double sum = 0;
        for (long i = 0; i < ld; ++i) sum += m[r * ld + i];
        want[r] += (float)sum;
    }
    host_for_each(rows, attn_row_sums_body{m.data(), grad.data(), ld});
    check_close(grad, want, 0, "attention bias gradient row sums");
}
