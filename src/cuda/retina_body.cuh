/* retina_body.cuh: the bodies of [retina]'s training loss, given each anchor's
 * target from the host's matching: target[b * n_anchors + anchor] is the
 * matched gt's class, -1 (negative) or -2 (ignored), anchors level by level,
 * position-major (anchor p * A + a of a level), as the CPU layer orders them.
 * Each image's normaliser is 1 / max(1, its positives). Gradients are
 * subtracted (negative gradients added) into the heads' deltas, as the CPU
 * layer does during forward. */
#ifndef DN_RETINA_BODY_CUH
#define DN_RETINA_BODY_CUH

#include "hd.h"   /* first: its template may not be declared inside extern "C" */

extern "C" {
#include "focal_loss.h"
}

/* norm[b] = 1 / max(1, positives of image b). */
struct retina_norm_body {
    const int *target;
    int n_anchors;
    float *norm;
    DN_HD void operator()(long b) const
    {
        int n_pos = 0;
        for (int i = 0; i < n_anchors; ++i) n_pos += target[b * n_anchors + i] >= 0;
        norm[b] = 1.0f / (n_pos > 1 ? n_pos : 1);
    }
};

/* One (image, anchor a, class k) row of level `level`'s class logits cls
 * (batch x A*K x hw): its focal loss over the non-ignored positions into
 * row_loss[b * rows + (a*K + k) * n_levels + level] (rows = n_levels * A * K,
 * the CPU's row order), its gradients into delta (may be NULL). */
struct retina_focal_body {
    const float *cls;
    float *delta;
    const int *target;
    const float *norm;
    double *row_loss;
    int hw, A, K, level, n_levels, offset, n_anchors;
    float alpha, gamma;
    DN_HD void operator()(long i) const
    {
        int per_image = A * K, ch = (int)(i % per_image), a = ch / K, k = ch % K;
        long b = i / per_image;
        const float *x = cls + (size_t)i * hw;
        float *d = delta ? delta + (size_t)i * hw : 0;
        const int *m = target + b * n_anchors + offset;
        double sum = 0;
        for (int p = 0; p < hw; ++p) {
            int t = m[p * A + a];
            if (t == -2) continue;
            float grad;
            sum += sigmoid_focal_term(x[p], t == k, alpha, gamma, &grad);
            if (d) d[p] -= norm[b] * grad;
        }
        row_loss[b * n_levels * per_image + (long)ch * n_levels + level] = sum;
    }
};

/* One (image, position p, anchor a) of level `level`'s box deltas box (batch
 * x A*4 x hw): L1 or smooth L1 against the encoded target enc (4 floats per
 * anchor, as target) for positives, into box_loss[b * n_anchors + anchor]
 * (0 for the others), its gradients into delta (may be NULL). */
struct retina_box_body {
    const float *box, *enc;
    float *delta;
    const int *target;
    const float *norm;
    double *box_loss;
    int hw, A, offset, n_anchors, smooth_l1;
    float beta;
    DN_HD void operator()(long i) const
    {
        long b = i / ((long)hw * A);
        int pa = (int)(i % ((long)hw * A)), p = pa / A, a = pa % A;
        long n = b * n_anchors + offset + pa;
        box_loss[n] = 0;
        if (target[n] < 0) return;
        size_t at = (size_t)b * A * 4 * hw + (size_t)a * 4 * hw + p;
        float loss = 0, g[4];
        for (int j = 0; j < 4; ++j)
            loss += box_delta_term(box[at + (size_t)j * hw], enc[n * 4 + j], smooth_l1, beta, &g[j]);
        if (delta)
            for (int j = 0; j < 4; ++j) delta[at + (size_t)j * hw] -= norm[b] * g[j];
        box_loss[n] = loss;
    }
};

/* out[0] = the cost, out[1], out[2] = the focal and box parts' means over the
 * batch (the layer's named losses), each image's sums in the CPU's order. */
struct retina_cost_body {
    const double *row_loss, *box_loss;
    const float *norm;
    int batch, rows, n_anchors;
    float *out;
    DN_HD void operator()(long) const
    {
        double focal = 0, boxl = 0;
        for (int b = 0; b < batch; ++b) {
            double f = 0, bx = 0;
            for (int r = 0; r < rows; ++r) f += row_loss[(long)b * rows + r];
            for (int n = 0; n < n_anchors; ++n) bx += box_loss[(long)b * n_anchors + n];
            focal += f * norm[b];
            boxl += bx * norm[b];
        }
        out[0] = (float)(focal + boxl);
        out[1] = (float)(focal / batch);
        out[2] = (float)(boxl / batch);
    }
};

#endif
