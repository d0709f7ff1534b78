/* distill.h: what the distillation layers ([cwd], [fd], [kd]) share: a student
 * layer paired with a layer of a frozen teacher network, an optional trainable
 * 1x1 adapter (student channels -> teacher channels, stored in the student's
 * weights file) and an optional bilinear resize of the student map to the
 * teacher's size. A distillation layer passes its input through unchanged, so
 * it can sit anywhere after the layer it watches (usually at the end, after the
 * detection loss); its loss gradient goes straight into the student layer's delta.
 *
 * Keys: from= (student layer), teacher= (cfg), teacher_weights=, teacher_layer=
 * (index in the teacher; negative counts from its end, -1 = last layer),
 * adapter=auto|none, resize=0|1. */
#ifndef DN_DISTILL_H
#define DN_DISTILL_H

#include "network.h"
#include "teacher.h"
#ifdef DN_GPU
#include "gpu.h"
#endif

typedef struct {
    int from;                       /* student layer index */
    teacher *t;
    int teacher_layer;
    int sw, sh, sc;                 /* student map, per image */
    int tw, th, tc;                 /* teacher map (and the compared map), per image */
    int adapter, resize;
    float *aw, *ab, *aw_grad, *ab_grad;   /* adapter weights tc x sc and bias tc */
    float *adapted;                 /* batch x tc x sh x sw, with an adapter */
    float *resized;                 /* batch x tc x th x tw, with resize */
    float *grad;                    /* batch x tc x th x tw: negative loss gradient w.r.t. the compared map */
    float *grad_adapted;            /* batch x tc x sh x sw, with adapter and resize */
    int ab_param;                   /* the adapter bias's index in the layer's params (the weights follow) */
#ifdef DN_GPU
    gpu_buffer adapted_gpu, resized_gpu, grad_gpu, grad_adapted_gpu;   /* device twins */
    gpu_buffer work_gpu, cost_gpu;  /* the loss kernels' scratch and their cost values */
#endif
} distill_pair;

/* Training with distillation on: net->train and not switched off
 * (network_set_distillation). Off, a distillation layer adds no loss and no
 * gradient and the teachers are not run. */
int distill_active(const network *net);
/* The pair of a distillation layer (its layer_ops.distiller is set, and it
 * keeps its distill_pair as the first member of its priv), or NULL for other layers. */
distill_pair *distill_layer_pair(const layer *l);
/* The backward and init_weights of a feature distiller ([cwd], [fd]): the
 * input passes through; when active, the pair's gradient goes into the
 * student layer (and its adapter). */
void distill_loss_backward(layer *l, network *net);
void distill_loss_init_weights(layer *l, network *net);

/* Reads the pair's keys, loads (or shares) the teacher and checks the shapes;
 * cfg errors name the key. from_default: the `from` used when the key is
 * absent (0: the key is required). */
int distill_pair_parse(distill_pair *p, layer *l, cfg_section *s, network *net, int from_default);
/* Pass-through output shape; (re)allocates the pair's buffers for the batch. */
int distill_pair_setup(distill_pair *p, layer *l, network *net);
void distill_pair_init_weights(distill_pair *p, network *net);
void distill_pair_free(distill_pair *p);

/* The student's map as compared with the teacher's (after adapter and
 * resize), batch x tc x th x tw; zeroes p->grad for the loss to fill. */
const float *distill_student_map(distill_pair *p, network *net);
const float *distill_teacher_map(const distill_pair *p);
/* Copies the input through (forward) and adds the output delta back (backward). */
void distill_pass_forward(layer *l, network *net);
void distill_pass_backward(layer *l, network *net);
/* Sends p->grad back through resize and adapter into the student layer's
 * delta and the adapter's gradients. */
void distill_student_backward(distill_pair *p, network *net);

#ifdef DN_GPU
/* The same on the device (the layer's params and device twins). setup sizes
 * the twins, `work` doubles of loss scratch and `costs` floats of results. */
int distill_pair_gpu_setup(distill_pair *p, layer *l, network *net, size_t work, size_t costs);
void distill_pair_gpu_free(distill_pair *p, network *net);
const float *distill_student_map_gpu(distill_pair *p, const layer *l, network *net);
const float *distill_teacher_map_gpu(const distill_pair *p);
void distill_pass_forward_gpu(layer *l, network *net);
void distill_pass_backward_gpu(layer *l, network *net);
void distill_student_backward_gpu(distill_pair *p, layer *l, network *net);
void distill_loss_backward_gpu(layer *l, network *net);
/* Pulls the n cost values of the pair's loss kernel into out (0, or -1 with net->gpu_failed set). */
int distill_pull_costs(distill_pair *p, network *net, float *out, int n);
#endif

#endif
