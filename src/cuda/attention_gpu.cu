/* attention_gpu.cu: launches of the attention bodies (attention_body.cuh). */
#include "attention_body.cuh"
#include "gpu_launch.cuh"

void attn_to_windows_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int C, const float *src, float *dst)
{
    long ld = (long)batch * t->n;
    gpu_for_each(g, C * ld, attn_to_windows_body{src, dst, t->perm, C, t->n, ld});
}

void attn_to_map_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int C, int add, const float *src,
                     float *dst)
{
    long ld = (long)batch * t->n;
    gpu_for_each(g, C * ld, attn_to_map_body{src, dst, t->inv, C, t->n, add, ld});
}

void attn_softmax_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, const float *table, int entries,
                      float *att)
{
    gpu_for_each(g, (long)batch * heads * t->n, attn_softmax_body{{*t}, table, heads, entries, att});
}

void attn_softmax_backward_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, const float *att,
                               float *ds)
{
    gpu_for_each(g, (long)batch * heads * t->n, attn_softmax_backward_body{{*t}, att, ds});
}

void attn_bias_grad_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, int entries, const float *ds,
                        float *table_grad)
{
    gpu_for_each(g, (long)heads * entries, attn_bias_grad_body{*t, ds, table_grad, batch, heads, entries});
}

void attn_row_sums_gpu(gpu_ctx *g, int rows, long ld, const float *m, float *grad)
{
    gpu_for_each(g, rows, attn_row_sums_body{m, grad, ld});
}
