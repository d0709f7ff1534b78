#!/usr/bin/python3
"""Writes the classifier cfgs of the teacher study ("Are Large Kernels Better
Teachers than Transformers for ConvNets?", ICML 2023) in cfg/ (run from the
repository root). All take the 64 x 64 images of `darknet synth -classify
-context` (4 classes: where a small marker lies as seen from a shape 19-27
pixels away, so the receptive field matters) and end in a 4-way [softmax]
(so [kd] reads the layer before it); the teachers have about the same number
of parameters (0.67-0.72M), as the paper's (22-30M) do.

  context_student.cfg   the student: a small 3x3 ResNet (basic blocks, batch
                        norm, ReLU; 3x3/2 conv + 2x2/2 max-pool stem, stages of
                        16, 32, 64 at strides 4, 8, 16): 78K parameters
  context_resnet.cfg    a 3x3 ResNet teacher: the same design, widths 32-128,
                        two blocks per stage
  context_convnext.cfg  ConvNeXt-style: 4x4/4 stem, blocks of 7x7 depthwise ->
                        1x1 4x with GELU -> 1x1 -> [shortcut], widths 24-192,
                        depths 1, 1, 3, 1; batch norm where ConvNeXt has
                        LayerNorm (stem, depthwise, downsampling; see NORM)
  context_slak.cfg      SLaK-style: ConvNeXt's design with each 7x7 replaced by
                        k x 5 + 5 x k + 5 x 5 depthwise convs with batch norm;
                        SLaK-T's kernel / map ratios at 64 x 64 (15, 15, 7, 3 by
                        stage); width x 1.0, dense (SLaK-T is x 1.3 wide but 40%
                        sparse: its 30M parameters match ConvNeXt-T's 28M)
  context_vit.cfg       ViT-style: convolutional stem (3x3/2 convs of 24, 48, 96
                        with batch norm and ReLU, 1x1 conv; see CONV_STEM) to
                        8 x 8 tokens, learned [posembed], 5 blocks of
                        norm -> [attention] (3 heads, global) -> [shortcut] ->
                        norm -> MLP 4x with GELU -> [shortcut], width 96,
                        average-pooled tokens; batch norm as the norm (see
                        TOKEN_NORM)
  context_swin.cfg      Swin-style: convolutional stem (18, 36) to 16 x 16
                        tokens, stages of 2 blocks with 4 x 4 windows (the
                        second shifted by 2) and relative position bias, norm
                        + 2x2/2 conv merging patches, widths 36, 72, 144

Each cfg names its stage outputs (for multi-layer [fd]) in a
`# stage_outputs=a,b,...` line. Left out: layer scale, stochastic depth, the
class token (tokens are average-pooled), AdamW's decoupled decay and cosine
schedule (the teachers train with darknet's Adam, the ResNets with SGD), mixup
and the other augmentations. Added: batch norm on the teachers' stems, since the
[0, 1] images are not centred, and the Transformers' convolutional stem (CONV_STEM).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_retinanet_cfg as g  # noqa: E402  (the Cfg writer and the ConvNeXt/SLaK pieces)

SIZE, CLASSES = 64, 4
SCHEDULE = dict(batch=32, subdivisions=1, max_batches=3000, steps=(2000, 2600), burn_in=100, decay=0.0005)

CONVNEXT_WIDTHS, CONVNEXT_DEPTHS = [24, 48, 96, 192], [1, 1, 3, 1]
RESNET_STUDENT, RESNET_TEACHER = ([16, 32, 64], [1, 1, 1]), ([32, 64, 128], [2, 2, 2])
VIT = dict(dim=96, depth=5, heads=3, stem=[24, 48, 96])
SWIN = dict(widths=[36, 72, 144], depths=[2, 2, 2], heads=[1, 2, 4], window=4, stem=[18, 36])


CONVNEXT = """4x4/4 stem; blocks of 7x7 depthwise -> 1x1 conv 4x with GELU -> 1x1 conv back ->
[shortcut]; 2x2/2 conv between stages; average pool, [layernorm], classifier. Batch norm
on the stem, the depthwise and the downsampling convs where ConvNeXt has LayerNorm (see
NORM)."""
SLAK = """ConvNeXt's design with each 7x7 depthwise conv replaced by the sum of three depthwise
convs on the block input, k x 5, 5 x k (height x width) and 5 x 5, each with batch norm
(SLaK's decomposed kernel). Width x 1.0, dense: SLaK-T is x 1.3 wide but 40% sparse, so its
30M parameters match ConvNeXt-T's 28M; a dense x 1.0 model matches likewise."""


def header(title, lr, adam=False):
    """[net]; adam=True: darknet's Adam (the teachers) instead of SGD with momentum."""
    s = SCHEDULE
    text = g.net_header(g.comment(title), s["batch"], s["subdivisions"], SIZE, lr, s["max_batches"], s["steps"],
                        s["burn_in"], s["decay"], script="gen_classifier_cfg.py")
    if adam:
        rate = "learning_rate=%s\n" % lr
        text = text.replace(rate, rate + "# Adam (B1 0.9, B2 0.999): SGD left these teachers near chance\nadam=1\n")
    return text


def head(c, token_dim=None):
    """Global average pool and the 4-way classifier; ViT and Swin normalise the
    tokens (of token_dim channels) before pooling, ConvNeXt the pooled vector."""
    if token_dim:
        token_norm(c, token_dim, "final norm")
        c.add("avgpool", None)
    else:
        c.add("avgpool", None)
        c.add("layernorm", "final norm")
    c.add("connected", "classifier: the logits [kd] reads", output=CLASSES, activation="linear")
    c.add("softmax", None)


def stages_note(c, outs):
    c.note("stage_outputs=%s (last layer of each stage, e.g. for [fd])" % g.csv(outs))


def resnet(title, widths, depths, lr):
    """Basic blocks (3x3 -> 3x3, batch norm, ReLU); the first block of a stage
    after the first halves the map, with a 1x1/2 projection shortcut."""
    c = g.Cfg(header(title, lr))
    c.conv(widths[0], 3, 2, comment="stem: 3x3/2 conv and 2x2/2 max-pool (stride 4, as ResNet's)")
    last = c.add("maxpool", None, size=2, stride=2)
    outs = []
    for stage, (w, n) in enumerate(zip(widths, depths)):
        for b in range(n):
            stride = 2 if stage > 0 and b == 0 else 1
            block_in = last
            c.conv(w, 3, stride, comment="stage %d block %d" % (stage + 1, b))
            main = c.conv(w, 3, act="linear")
            if stride != 1:
                c.add("route", "projection shortcut", layers=block_in)
                c.conv(w, 1, stride, act="linear")
                last = c.add("shortcut", None, **{"from": main, "activation": "relu"})
            else:
                last = c.add("shortcut", None, **{"from": block_in, "activation": "relu"})
        outs.append(last)
    stages_note(c, outs)
    c.add("avgpool", None)
    c.add("connected", "classifier: the logits [kd] reads", output=CLASSES, activation="linear")
    c.add("softmax", None)
    return c.text()


def dw_bn(c, dim, stage, comment):
    """ConvNeXt-BN's token mixer: the 7x7 depthwise conv with batch norm."""
    return c.conv(dim, 7, bn=1, act="linear", groups=dim, comment=comment)


def convnext_like(title, mixer, widths, lr):
    c = g.Cfg(header(title, lr, adam=True))
    outs = g.convnext(c, widths, CONVNEXT_DEPTHS, mixer, stage_norms=False, norm="bn")
    stages_note(c, outs)
    head(c)
    return c.text()


# NORM: with ConvNeXt's channel LayerNorm the conv teachers stayed at chance on the context
# task (ConvNeXt: 26% after 400 steps with Adam, also with a batch-normalised stem; the
# PyTorch twin scripts/torch_context_twin.py alike); with batch norm in its place the twin
# reached 94% (docs/DISTILLATION.md, "The teachers' recipe").
# CONV_STEM: with a strided-conv patch embedding (batch-normalised: the [0, 1] images are not
# centred) the Transformers stayed near chance on `-context` for 1000 steps; ViT on `darknet
# shapes` was at 31.7% after 300 steps, with this stem 46.4%. Xiao et al. ("Early Convolutions
# Help Transformers See Better", NeurIPS 2021) replace ViT's patchify stem by 3x3/2 convs with
# batch norm and ReLU and a 1x1 conv, and drop one block to stay at the same cost; so here.
CONV_STEM = "convolutional stem (ViT_C): 3x3/2 convs, batch norm, ReLU"


def conv_stem(c, widths, dim):
    """The Transformers' patch embedding: 3x3/2 convs with batch norm and ReLU, then a
    1x1 conv to the token width (see CONV_STEM)."""
    for i, w in enumerate(widths):
        c.conv(w, 3, 2, bn=1, act="relu", comment=CONV_STEM if i == 0 else None)
    c.conv(dim, 1, bn=0, act="linear", comment="to the token width")


# TOKEN_NORM: with [layernorm] (over the channels of each token, as ViT and Swin have it) the
# Transformers did not learn even plain shapes: ViT 46% after 300 steps of `darknet shapes`.
# The culprit, by ablation (the ViT with its attention removed, Adam 0.003, 300 steps): with
# [layernorm] 24.6% (eps 0.1 as well), with no norm 84.4%, with batch norm 96.0%; batch norm
# in the blocks but [layernorm] at the end 48.8%, the reverse 43.8%. With batch norm the whole
# ViT reached 91.6% (docs/DISTILLATION.md). So, as the conv teachers (NORM), the Transformers
# normalise by batch norm, written as a per-channel (groups = channels) 1x1 conv with
# batch_normalize=1: its weights a per-channel scale on top of batch norm's own.
def token_norm(c, dim, comment=None):
    return c.conv(dim, 1, bn=1, act="linear", groups=dim, pad=0, comment=comment)


def transformer_block(c, dim, heads, comment, **attention):
    """norm -> [attention] -> [shortcut] -> norm -> MLP -> [shortcut] (TOKEN_NORM)."""
    block_in = c.n - 1
    token_norm(c, dim, comment)
    c.add("attention", None, heads=heads, **attention)
    mid = c.add("shortcut", None, **{"from": block_in, "activation": "linear"})
    token_norm(c, dim)
    c.conv(4 * dim, 1, bn=0, act="gelu", comment="MLP")
    c.conv(dim, 1, bn=0, act="linear")
    return c.add("shortcut", None, **{"from": mid, "activation": "linear"})


def vit(lr):
    v = VIT
    side = SIZE >> len(v["stem"])
    c = g.Cfg(header("ViT-style classifier for `darknet synth -classify -context` (64 x 64, 4 classes):\n"
                     "convolutional stem (%s) to %d tokens, learned position embedding, %d blocks of\n"
                     "global multi-head attention (%d heads) and a 4x GELU MLP, width %d; tokens average-pooled."
                     % (g.csv(v["stem"]), side * side, v["depth"], v["heads"], v["dim"]), lr, adam=True))
    conv_stem(c, v["stem"], v["dim"])
    c.add("posembed", "learned position embedding")
    outs = [transformer_block(c, v["dim"], v["heads"], "block %d" % b) for b in range(v["depth"])]
    stages_note(c, outs[(len(outs) + 1) % 2::2])   # every second block, ending with the last
    head(c, v["dim"])
    return c.text()


def swin(lr):
    s = SWIN
    c = g.Cfg(header("Swin-style classifier for `darknet synth -classify -context` (64 x 64, 4 classes):\n"
                     "convolutional stem (%s) + norm, stages of %s blocks (widths %s, heads %s) with\n"
                     "%d x %d windows, every second block shifted by %d, relative position bias; patch\n"
                     "merging by norm + 2x2/2 conv; tokens average-pooled; batch norm as the norm."
                     % (g.csv(s["stem"]), g.csv(s["depths"]), g.csv(s["widths"]),
                        g.csv(s["heads"]), s["window"], s["window"], s["window"] // 2), lr, adam=True))
    conv_stem(c, s["stem"], s["widths"][0])
    token_norm(c, s["widths"][0])
    outs = []
    for stage, (dim, depth, heads) in enumerate(zip(s["widths"], s["depths"], s["heads"])):
        if stage > 0:
            token_norm(c, s["widths"][stage - 1], "patch merging to stage %d" % (stage + 1))
            c.conv(dim, 2, 2, bn=0, act="linear", pad=0)
        for b in range(depth):
            keys = dict(window=s["window"], pos_bias="relative")
            if b % 2:
                keys["shift"] = s["window"] // 2
            last = transformer_block(c, dim, heads, "stage %d block %d" % (stage + 1, b), **keys)
        outs.append(last)
    stages_note(c, outs)
    head(c, s["widths"][-1])
    return c.text()


def main():
    # SGD at 0.05 trains the batch-norm ResNets. The layer-norm teachers train with Adam
    # (SGD at 0.01-0.05 left ConvNeXt at 25-28% on `darknet shapes` 64 x 64 after 300-400
    # steps); with the batch-normalised stem, Adam at 0.003 beat 0.001 for ConvNeXt in the
    # PyTorch twin (scripts/torch_context_twin.py; docs/DISTILLATION.md, "Teachers' recipe")
    lr_conv, lr_ln, lr_transformer = 0.05, 0.003, 0.001
    student, teacher = RESNET_STUDENT, RESNET_TEACHER
    out = {
        "context_student.cfg": resnet(
            "Student of the teacher study: a small 3x3 ResNet for `darknet synth -classify -context`\n"
            "(64 x 64, 4 classes). Basic blocks (3x3 -> 3x3, batch norm, ReLU), widths %s, blocks %s."
            % (g.csv(student[0]), g.csv(student[1])), *student, lr_conv),
        "context_resnet.cfg": resnet(
            "3x3 ResNet teacher for `darknet synth -classify -context` (64 x 64, 4 classes): the\n"
            "student's design, widths %s, blocks %s." % (g.csv(teacher[0]), g.csv(teacher[1])), *teacher, lr_conv),
        "context_convnext.cfg": convnext_like(
            "ConvNeXt-style classifier for `darknet synth -classify -context` (64 x 64, 4 classes).\n" +
            CONVNEXT + "\nWidths %s, depths %s." % (g.csv(CONVNEXT_WIDTHS), g.csv(CONVNEXT_DEPTHS)),
            dw_bn, CONVNEXT_WIDTHS, lr_ln),
        "context_slak.cfg": convnext_like(
            "SLaK-style classifier for `darknet synth -classify -context` (64 x 64, 4 classes).\n" + SLAK +
            "\nWidths %s, depths %s, kernels %s by stage (SLaK-T's kernel / map ratios at 64 x 64)."
            % (g.csv(CONVNEXT_WIDTHS), g.csv(CONVNEXT_DEPTHS), g.csv(slak_kernels())),
            g.slak_mixer(slak_kernels()), CONVNEXT_WIDTHS, lr_ln),
        "context_vit.cfg": vit(lr_transformer),
        "context_swin.cfg": swin(lr_transformer),
    }
    g.write_cfgs(out)


def slak_kernels():
    return g.tiny_slak_kernels(maps=(16, 8, 4, 2))


if __name__ == "__main__":
    main()
