/* spatial_body.cuh: the bodies of [maxpool], [avgpool], [upsample],
 * [shortcut], [route] and [dropout] (src/layers). Backward passes that the CPU
 * writes as scatters are gathers here, one thread per INPUT value adding its
 * contributions in the CPU's order: no atomics, the same sums bit for bit. */
#ifndef DN_SPATIAL_BODY_CUH
#define DN_SPATIAL_BODY_CUH

#include "activation_math.h"
#include "spatial_gpu.h"   /* maxpool_shape */

/* darknet's maxpool geometry: the window of output x starts at
 * x*stride_x - padding/2; taps outside the image are skipped. */

/* One output value; argmax (may be NULL) gets the winner's position in its
 * input plane, -1 for a window wholly in the padding (output 0). Ties keep the
 * first tap in row-major order, as the CPU. */
struct maxpool_forward_body {
    maxpool_shape s;
    const float *in;
    float *out;
    int *argmax;
    DN_HD void operator()(long i) const
    {
        long plane = i / ((long)s.out_w * s.out_h);
        int x = (int)(i % s.out_w), y = (int)(i / s.out_w % s.out_h), off = -(s.padding / 2);
        int y0 = y * s.stride_y + off, y1 = y0 + s.size, x0 = x * s.stride_x + off, x1 = x0 + s.size;
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 > s.h ? s.h : y1;
        x0 = x0 < 0 ? 0 : x0;
        x1 = x1 > s.w ? s.w : x1;
        if (y0 >= y1 || x0 >= x1) {
            out[i] = 0;
            if (argmax) argmax[i] = -1;
            return;
        }
        const float *p = in + plane * s.w * s.h;
        int where = y0 * s.w + x0;
        float best = p[where];
        for (int iy = y0; iy < y1; ++iy)
            for (int ix = x0; ix < x1; ++ix)
                if (p[iy * s.w + ix] > best) {
                    best = p[iy * s.w + ix];
                    where = iy * s.w + ix;
                }
        out[i] = best;
        if (argmax) argmax[i] = where;
    }
};

/* The outputs [*lo, *hi] whose window (before clamping) covers input
 * coordinate v: o*stride + off <= v < o*stride + off + size. */
DN_HD void pool_outputs_covering(int v, int off, int size, int stride, int n_out, int *lo, int *hi)
{
    int first = v - off - size + 1, last = v - off;   /* last >= 0 as off <= 0 */
    *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    *hi = last / stride < n_out - 1 ? last / stride : n_out - 1;
}

/* One input value: in_delta += the deltas of the outputs it won, in output order. */
struct maxpool_backward_body {
    maxpool_shape s;
    const int *argmax;
    const float *delta;
    float *in_delta;
    DN_HD void operator()(long i) const
    {
        long plane = i / ((long)s.w * s.h);
        int pos = (int)(i % ((long)s.w * s.h)), off = -(s.padding / 2);
        int ylo, yhi, xlo, xhi;
        pool_outputs_covering(pos / s.w, off, s.size, s.stride_y, s.out_h, &ylo, &yhi);
        pool_outputs_covering(pos % s.w, off, s.size, s.stride_x, s.out_w, &xlo, &xhi);
        long base = plane * s.out_w * s.out_h;
        float acc = in_delta[i];
        for (int y = ylo; y <= yhi; ++y)
            for (int x = xlo; x <= xhi; ++x)
                if (argmax[base + y * s.out_w + x] == pos) acc += delta[base + y * s.out_w + x];
        in_delta[i] = acc;
    }
};

/* Global average: one thread per plane (batch*c), summed in double as the CPU. */
struct avgpool_forward_body {
    int plane;
    const float *in;
    float *out;
    DN_HD void operator()(long p) const
    {
        const float *x = in + p * plane;
        double sum = 0;
        for (int i = 0; i < plane; ++i) sum += x[i];
        out[p] = (float)(sum / plane);
    }
};

/* One input value: in_delta += delta of its plane / plane size. */
struct avgpool_backward_body {
    int plane;
    const float *delta;
    float *in_delta;
    DN_HD void operator()(long i) const { in_delta[i] += delta[i / plane] / plane; }
};

/* Nearest-neighbour upsampling by `stride`, times `scale`: planes of w x h
 * values to planes of (w*stride) x (h*stride). */
struct upsample_map {
    int w, h, stride;
    float scale;
    /* The input value that output value o (of all planes) repeats. */
    DN_HD long source_of(long o) const
    {
        int ow = w * stride, oh = h * stride;
        long plane = o / ((long)ow * oh);
        int x = (int)(o % ow), y = (int)(o / ow % oh);
        return plane * w * h + (long)(y / stride) * w + x / stride;
    }
    /* The first output value of input value i's stride x stride block. */
    DN_HD long block_of(long i) const
    {
        long plane = i / ((long)w * h);
        int x = (int)(i % w), y = (int)(i / w % h);
        return (plane * h * stride + (long)y * stride) * w * stride + (long)x * stride;
    }
};

/* One output value. */
struct upsample_forward_body {
    upsample_map m;
    const float *in;
    float *out;
    DN_HD void operator()(long i) const { out[i] = m.scale * in[m.source_of(i)]; }
};

/* One input value: in_delta += scale * the deltas of its stride x stride block,
 * row by row as the CPU adds them. */
struct upsample_backward_body {
    upsample_map m;
    const float *delta;
    float *in_delta;
    DN_HD void operator()(long i) const
    {
        const float *d = delta + m.block_of(i);
        int ow = m.w * m.stride;
        float acc = in_delta[i];
        for (int dy = 0; dy < m.stride; ++dy)
            for (int dx = 0; dx < m.stride; ++dx) acc += m.scale * d[dy * ow + dx];
        in_delta[i] = acc;
    }
};

/* [shortcut]'s index mapping between its own map (w, h, c) and the `from`
 * map (w1, h1, c1), as shortcut.c sets it up: out[k][j*sample][i*sample] +=
 * from[k][j*stride][i*stride] for k, j, i below the smaller shape. */
struct shortcut_map {
    int w, h, c, w1, h1, c1;
    int stride_x, stride_y, sample_x, sample_y, min_w, min_h, min_c;
};

DN_HD int shortcut_at_least_1(int a) { return a < 1 ? 1 : a; }
DN_HD int shortcut_min(int a, int b) { return a < b ? a : b; }

DN_HD shortcut_map shortcut_map_of(int w, int h, int c, int w1, int h1, int c1)
{
    shortcut_map m = {w, h, c, w1, h1, c1,
                      shortcut_at_least_1(w1 / w), shortcut_at_least_1(h1 / h),
                      shortcut_at_least_1(w / w1), shortcut_at_least_1(h / h1),
                      shortcut_min(w1, w), shortcut_min(h1, h), shortcut_min(c1, c)};
    return m;
}

/* The position in one image of `from` paired with position o of one output
 * image, or -1 when o has no partner. */
DN_HD long shortcut_from_of(const shortcut_map &m, long o)
{
    int k = (int)(o / ((long)m.w * m.h)), y = (int)(o / m.w % m.h), x = (int)(o % m.w);
    if (k >= m.min_c || y % m.sample_y || x % m.sample_x) return -1;
    int j = y / m.sample_y, i = x / m.sample_x;
    if (j >= m.min_h || i >= m.min_w) return -1;
    return ((long)k * m.h1 + j * m.stride_y) * m.w1 + (long)i * m.stride_x;
}

/* The output position paired with position f of one `from` image, or -1. */
DN_HD long shortcut_out_of(const shortcut_map &m, long f)
{
    int k = (int)(f / ((long)m.w1 * m.h1)), y = (int)(f / m.w1 % m.h1), x = (int)(f % m.w1);
    if (k >= m.min_c || y % m.stride_y || x % m.stride_x) return -1;
    int j = y / m.stride_y, i = x / m.stride_x;
    if (j >= m.min_h || i >= m.min_w) return -1;
    return ((long)k * m.h + j * m.sample_y) * m.w + (long)i * m.sample_x;
}

/* One output value: activation(input + the paired `from` value); pre_act (may
 * be NULL) keeps the sum for gradients that need the input. */
struct shortcut_forward_body {
    shortcut_map m;
    const float *in, *from;
    float *pre_act, *out;
    activation a;
    DN_HD void operator()(long i) const
    {
        long outputs = (long)m.w * m.h * m.c, b = i / outputs;
        long f = shortcut_from_of(m, i % outputs);
        float v = in[i];
        if (f >= 0) v += from[b * m.w1 * m.h1 * m.c1 + f];
        if (pre_act) pre_act[i] = v;
        out[i] = activate_one(v, a);
    }
};

/* One `from` value: from_delta += the delta (after the activation gradient)
 * of its paired output value. */
struct shortcut_from_delta_body {
    shortcut_map m;
    const float *delta;
    float *from_delta;
    DN_HD void operator()(long i) const
    {
        long from_outputs = (long)m.w1 * m.h1 * m.c1, b = i / from_outputs;
        long o = shortcut_out_of(m, i % from_outputs);
        if (o >= 0) from_delta[i] += delta[b * m.w * m.h * m.c + o];
    }
};

/* [route]: one source's slice [src_off, src_off + part) of each image of
 * src (src_outputs per image) at [dst_off, dst_off + part) of each image of
 * dst (dst_outputs per image). One value of batch*part each. */
struct route_slice {
    long src_outputs, src_off, dst_outputs, dst_off, part;
    DN_HD long src_at(long i) const { return i / part * src_outputs + src_off + i % part; }
    DN_HD long dst_at(long i) const { return i / part * dst_outputs + dst_off + i % part; }
};

struct route_forward_body {
    route_slice r;
    const float *src;
    float *dst;
    DN_HD void operator()(long i) const { dst[r.dst_at(i)] = src[r.src_at(i)]; }
};

/* backward: the source's delta += its slice of the route's delta */
struct route_backward_body {
    route_slice r;
    const float *dst_delta;
    float *src_delta;
    DN_HD void operator()(long i) const { src_delta[r.src_at(i)] += dst_delta[r.dst_at(i)]; }
};

/* [dropout] with a mask drawn on the host from the network's rng (0 or
 * 1/(1-p) per value, as dropout.c draws it): out = in * mask. */
struct dropout_forward_body {
    const float *in, *mask;
    float *out;
    DN_HD void operator()(long i) const { out[i] = in[i] * mask[i]; }
};

struct dropout_backward_body {
    const float *mask, *delta;
    float *in_delta;
    DN_HD void operator()(long i) const { in_delta[i] += mask[i] * delta[i]; }
};

#endif
