#!/usr/bin/python3
"""Writes the RetinaNet cfgs in cfg/ (run from the repository root):

  cfg/retinanet_r18_fpn.cfg, cfg/retinanet_r50_fpn.cfg, cfg/retinanet_r101_fpn.cfg
      torchvision-style ResNets (ReLU, 7x7/2 stem, 3x3/2 max-pool, stride on the
      3x3 conv of a bottleneck, projection shortcuts as [route] back to the block
      input + 1x1 [convolutional] with batch norm + [shortcut] from the main
      branch), FPN on C3-C5 with 256 channels (1x1 laterals, nearest x2
      upsampling and add, 3x3 outputs), P6 by a 3x3/2 conv on P5 (torchvision's
      retinanet_resnet50_fpn v1; the paper and mmdetection take C5), P7 by a
      3x3/2 conv on ReLU(P6); heads of 4 x (3x3 conv 256 + ReLU) shared by the
      five levels (share=), N(0, 0.01) initialisation, 9 anchors, 80 classes.
  cfg/retinanet_tiny.cfg
      a small darknet-style backbone (batch norm, leaky) at 128 x 128, FPN P3-P5
      with 64 channels, heads of 2 convs shared by the levels, 8 classes as
      `darknet synth` writes; trains in minutes on a laptop CPU.
  cfg/retinanet_convnext_fpn.cfg, cfg/retinanet_slak_fpn.cfg
      large-kernel ConvNet backbones (issue 4's distillation teachers) with the
      R*-FPN neck, heads and [retina] keys above. ConvNeXt-T: 4x4/4 patchify
      stem + [layernorm]; blocks of 7x7 depthwise conv -> [layernorm] -> 1x1
      conv to 4x channels with GELU -> 1x1 conv back -> [shortcut] to the block
      input; [layernorm] + 2x2/2 conv between stages; widths 96-768, depths
      3-3-9-3; each of C3-C5 through its own [layernorm] as ConvNeXt's detection
      backbone does. SLaK-T: the same with the depthwise conv replaced by the
      sum of k x 5, 5 x k and 5 x 5 depthwise convs (each with batch norm),
      k = 51, 49, 47, 13 by stage, width x 1.3 (VITA-Group/SLaK models/SLaK.py).
  cfg/retinanet_convnext_tiny.cfg, cfg/retinanet_slak_tiny.cfg
      small versions with retinanet_tiny's input, classes, FPN (P3-P5, 64
      channels), heads and anchors, so that their FPN levels pair with
      retinanet_tiny's for [cwd] without adapters.

  cfg/retinanet_r18_fpn_cwd.cfg, cfg/retinanet_tiny_cwd.cfg
      distillation examples: the student cfg with one [cwd] layer per FPN level
      paired with the teacher's level (retinanet_r50_fpn -> r18 on P3-P7,
      loss_weight 10 each; retinanet_convnext_tiny -> retinanet_tiny on P3-P5).

Each cfg names its FPN output layers in a `# fpn_outputs=P3,P4,...` line.
Layer references are absolute indices (a comment before each section gives its
index), so the files read the same from top to bottom.
"""
import os


class Cfg:
    def __init__(self, header):
        self.lines = header.rstrip("\n").split("\n")
        self.n = 0

    def add(self, section, comment=None, **keys):
        self.lines.append("")
        self.lines.append("# %d%s" % (self.n, ": " + comment if comment else ""))
        self.lines.append("[%s]" % section)
        for k, v in keys.items():
            self.lines.append("%s=%s" % (k, v))
        self.n += 1
        return self.n - 1

    def conv(self, filters, size, stride=1, bn=1, act="relu", comment=None, **extra):
        keys = dict(filters=filters, size=size, stride=stride, pad=1)
        if bn:
            keys["batch_normalize"] = 1
        keys["activation"] = act
        keys.update(extra)
        return self.add("convolutional", comment, **keys)

    def note(self, line):
        """Adds a comment line to the header, before [net]."""
        self.lines.insert(self.lines.index("[net]"), "# " + line)

    def text(self):
        return "\n".join(self.lines) + "\n"


def net_header(title, batch, subdivisions, size, lr, max_batches, steps, burn_in, decay,
               script="gen_retinanet_cfg.py"):
    return f"""# {title}
# Written by scripts/{script}; edit that and run it again.
[net]
batch={batch}
subdivisions={subdivisions}
width={size}
height={size}
channels=3
momentum=0.9
decay={decay}
learning_rate={lr}
# linear warm-up (power=1) over burn_in steps, then /10 at each step
burn_in={burn_in}
power=1
policy=steps
steps={steps[0]},{steps[1]}
scales=.1,.1
max_batches={max_batches}
"""


def resnet(c, depth):
    """Adds a torchvision ResNet; returns the indices of C3, C4, C5."""
    blocks = {18: [2, 2, 2, 2], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[depth]
    bottleneck = depth >= 50
    c.conv(64, 7, 2, comment="stem")
    last = c.add("maxpool", "3x3/2 max-pool, 1 pixel each side", size=3, stride=2, padding=2)
    outs = []
    in_ch = 64
    for stage, count in enumerate(blocks):
        planes = 64 * 2 ** stage
        out_ch = planes * 4 if bottleneck else planes
        for b in range(count):
            stride = 2 if (b == 0 and stage > 0) else 1
            block_in = last
            name = "layer%d.%d" % (stage + 1, b)
            if bottleneck:
                c.conv(planes, 1, comment=name)
                c.conv(planes, 3, stride)
                main = c.conv(out_ch, 1, act="linear")
            else:
                c.conv(planes, 3, stride, comment=name)
                main = c.conv(planes, 3, act="linear")
            if stride != 1 or in_ch != out_ch:
                c.add("route", "projection shortcut of " + name, layers=block_in)
                c.conv(out_ch, 1, stride, act="linear")
                last = c.add("shortcut", None, **{"from": main, "activation": "relu"})
            else:
                last = c.add("shortcut", None, **{"from": block_in, "activation": "relu"})
            in_ch = out_ch
        if stage >= 1:
            outs.append(last)
    return outs


def dw_convnext(c, dim, stage, comment):
    """ConvNeXt's token mixer: one 7x7 depthwise conv with a bias."""
    return c.conv(dim, 7, bn=0, act="linear", groups=dim, comment=comment)


def slak_mixer(kernels, small=5):
    """SLaK's token mixer: BN(k x small) + BN(small x k) + BN(small x small)
    depthwise convs on the block input, k = kernels[stage]; the sum is built
    with [route] back to the input and [shortcut]s (pad=1: same padding)."""
    def mixer(c, dim, stage, comment):
        block_in = c.n - 1
        k = kernels[stage]
        dw = dict(filters=dim, stride=1, pad=1, groups=dim, batch_normalize=1, activation="linear")
        tall = c.add("convolutional", "%s: depthwise %d tall x %d wide" % (comment, k, small),
                     size_x=small, size_y=k, **dw)
        c.add("route", None, layers=block_in)
        c.add("convolutional", "depthwise %d tall x %d wide" % (small, k),
              size_x=k, size_y=small, **dw)
        both = c.add("shortcut", None, **{"from": tall, "activation": "linear"})
        c.add("route", None, layers=block_in)
        c.add("convolutional", "depthwise %dx%d" % (small, small), size=small, **dw)
        return c.add("shortcut", "sum of the three branches",
                     **{"from": both, "activation": "linear"})
    return mixer


def convnext(c, widths, depths, mixer, stage_norms=True, norm="ln"):
    """Adds a ConvNeXt-style backbone; returns the indices of C3, C4, C5 (each
    stage output through its own [layernorm], as ConvNeXt's detection backbone),
    or with stage_norms=False every stage's last block (a classifier's stages).
    norm="bn": batch norm on the stem, the downsampling convs and the mixer (which
    must then normalise its output) instead of the [layernorm]s after them.
    No layer scale, no stochastic depth (DropPath), no final norm or classifier."""
    bn = norm == "bn"
    c.conv(widths[0], 4, 4, bn=bn, act="linear", pad=0, comment="stem: 4x4/4 patchify conv")
    if not bn:
        c.add("layernorm", None)
    outs = []
    for stage, (dim, depth) in enumerate(zip(widths, depths)):
        if stage > 0:
            if not bn:
                c.add("layernorm", "downsampling to stage %d" % (stage + 1))
            c.conv(dim, 2, 2, bn=bn, act="linear", pad=0,
                   comment="downsampling to stage %d" % (stage + 1) if bn else None)
        for b in range(depth):
            block_in = c.n - 1
            mixer(c, dim, stage, "stage %d block %d" % (stage + 1, b))
            if not bn:
                c.add("layernorm", None)
            c.conv(4 * dim, 1, bn=0, act="gelu")
            c.conv(dim, 1, bn=0, act="linear")
            last = c.add("shortcut", None, **{"from": block_in, "activation": "linear"})
        if not stage_norms:
            outs.append(last)
        elif stage >= 1:
            outs.append(c.add("layernorm", "C%d output norm" % (stage + 2)))
            if stage < 3:
                c.add("route", None, layers=last)
    return outs


def fpn(c, c3, c4, c5, ch, extra_levels, lateral_act="linear"):
    """FPN over C3..C5 (the last layer added must be C5); returns the level outputs."""
    lat5 = c.conv(ch, 1, bn=0, act=lateral_act, comment="FPN lateral C5")
    up5 = c.add("upsample", None, stride=2)
    c.add("route", None, layers=c4)
    c.conv(ch, 1, bn=0, act=lateral_act, comment="lateral C4")
    m4 = c.add("shortcut", "C4 + upsampled", **{"from": up5, "activation": "linear"})
    up4 = c.add("upsample", None, stride=2)
    c.add("route", None, layers=c3)
    c.conv(ch, 1, bn=0, act=lateral_act, comment="lateral C3")
    m3 = c.add("shortcut", "C3 + upsampled", **{"from": up4, "activation": "linear"})
    p3 = c.conv(ch, 3, bn=0, act="linear", comment="P3")
    c.add("route", None, layers=m4)
    p4 = c.conv(ch, 3, bn=0, act="linear", comment="P4")
    c.add("route", None, layers=lat5)
    p5 = c.conv(ch, 3, bn=0, act="linear", comment="P5")
    levels = [p3, p4, p5]
    if extra_levels:
        p6 = c.conv(ch, 3, 2, bn=0, act="linear", comment="P6 = 3x3/2 conv on P5")
        # ReLU(P6) without an activation layer: relu(P6 + P6) / 2, exact (also its gradient)
        c.add("shortcut", "relu(2 P6)", **{"from": p6, "activation": "relu"})
        c.add("upsample", "x 0.5: relu(P6)", stride=1, scale=0.5)
        p7 = c.conv(ch, 3, 2, bn=0, act="linear", comment="P7 = 3x3/2 conv on ReLU(P6)")
        levels += [p6, p7]
    return levels


def heads(c, levels, ch, convs, A, K, act="relu", std=0.01):
    """Class and box subnets, the first level's convs shared by the others."""
    cls_out, box_out = [], []
    owners = {}
    for li, p in enumerate(levels):
        for kind, outs, filters in (("class", cls_out, A * K), ("box", box_out, A * 4)):
            c.add("route", "%s subnet of level %d" % (kind, li), layers=p)
            for j in range(convs + 1):
                last = j == convs
                keys = dict(filters=filters if last else ch, size=3, stride=1, pad=1,
                            activation="linear" if last else act)
                key = (kind, j)
                if key in owners:
                    keys["share"] = owners[key]
                else:
                    keys["init_std"] = std
                idx = c.add("convolutional", None, **keys)
                owners.setdefault(key, idx)
            outs.append(idx)
    return cls_out, box_out


def retina(c, cls_out, box_out, K, extra=None):
    keys = dict(classes=K, cls=",".join(map(str, cls_out)), box=",".join(map(str, box_out)))
    keys.update(extra or {})
    keys.update(alpha=0.25, gamma=2, box_loss="l1", pos_iou=0.5, neg_iou=0.4, prior=0.01,
                score_thresh=0.05, topk=1000, nms=0.5, max_dets=100)
    c.add("retina", "focal loss, box loss and detections over the levels", **keys)


FULL_SCHEDULE = ("# 1x schedule as mmdetection/detectron: 16 images per step, lr 0.01, 90k steps,\n"
                 "# /10 at 60k and 80k (2/3 and 8/9). Input 640 x 640 (change width/height as you like).")


def full_header(title):
    return net_header(title + "\n" + FULL_SCHEDULE, 16, 8, 640, 0.01, 90000, (60000, 80000), 500,
                      0.0001)


def tiny_header(title):
    return net_header(title, 16, 1, 128, 0.01, 4000, (3000, 3600), 100, 0.0005)


def full_retinanet(c, c3, c4, c5):
    """FPN P3-P7 with 256 channels, 4-conv heads, 80 COCO classes."""
    levels = fpn(c, c3, c4, c5, 256, True)
    c.note("fpn_outputs=%s (P3-P7 layer indices, e.g. for [cwd])" % ",".join(map(str, levels)))
    cls_out, box_out = heads(c, levels, 256, 4, 9, 80)
    retina(c, cls_out, box_out, 80)
    return c.text()


def tiny_retinanet(c, c3, c4, c5):
    """retinanet_tiny's neck and heads: FPN P3-P5 with 64 channels, 2-conv heads, 8 classes."""
    levels = fpn(c, c3, c4, c5, 64, False)
    c.note("fpn_outputs=%s (P3-P5 layer indices, e.g. for [cwd])" % ",".join(map(str, levels)))
    cls_out, box_out = heads(c, levels, 64, 2, 9, 8)
    # objects of `darknet synth` at 128 x 128 are 6 to ~110 pixels: anchors 16..101
    retina(c, cls_out, box_out, 8, {"anchor_sizes": "16,32,64"})
    return c.text()


def resnet_retinanet(depth):
    c = Cfg(full_header("RetinaNet R%d-FPN, torchvision-style (retinanet_resnet50_fpn v1 layout), "
                        "COCO 80 classes." % depth))
    return full_retinanet(c, *resnet(c, depth))


def tiny():
    c = Cfg(tiny_header(
        "RetinaNet-tiny: darknet-style backbone, FPN P3-P5 (64 channels), 2-conv heads shared by\n"
        "# the levels; 8 classes as `darknet synth` writes them. 128 x 128 input."))
    c.conv(16, 3, act="leaky")
    c.add("maxpool", None, size=2, stride=2)
    c.conv(32, 3, act="leaky")
    c.add("maxpool", None, size=2, stride=2)
    c.conv(64, 3, act="leaky")
    c.add("maxpool", None, size=2, stride=2)
    c3 = c.conv(128, 3, act="leaky", comment="C3, stride 8")
    c.add("maxpool", None, size=2, stride=2)
    c4 = c.conv(256, 3, act="leaky", comment="C4, stride 16")
    c.add("maxpool", None, size=2, stride=2)
    c5 = c.conv(256, 3, act="leaky", comment="C5, stride 32")
    return tiny_retinanet(c, c3, c4, c5)


def comment(text):
    """Comment lines for the header (the title line gets its '# ' from net_header)."""
    return text.strip("\n").replace("\n", "\n# ")


def csv(values):
    return ",".join(map(str, values))


LEFT_OUT = """Left out: layer scale, stochastic depth (DropPath), and ImageNet pretraining; weights
start from He initialisation (ConvNeXt draws N(0, 0.02)), and training is darknet's SGD
(ConvNeXt and SLaK train with AdamW)."""
CONVNEXT = """4x4/4 stem + [layernorm]; blocks of 7x7 depthwise -> [layernorm] -> 1x1 conv 4x with
GELU -> 1x1 conv back -> [shortcut]; [layernorm] + 2x2/2 conv between stages; C3-C5 each
through a [layernorm] (ConvNeXt's detection backbone)."""
SLAK = """ConvNeXt's macro design with each 7x7 depthwise conv replaced by the sum of three depthwise
convs on the block input, k x 5, 5 x k (height x width) and 5 x 5, each with batch norm
(SLaK's Decom=True path, its decomposed k x k kernel). Width factor 1.3 as SLaK-T.
Sparsity is left out (this is the dense model)."""
PAIRS = """Neck, heads, anchors, input (128) and classes (8) as retinanet_tiny.cfg, so that their
FPN levels pair for [cwd] without adapters."""

CONVNEXT_T = ([96, 192, 384, 768], [3, 3, 9, 3])
TINY_WIDTHS, TINY_DEPTHS = [32, 64, 128, 256], [1, 1, 3, 1]   # ConvNeXt-T / 3
SLAK_KERNELS = [51, 49, 47, 13]   # SLaK-T by stage, small kernel 5 (models/SLaK.py, main.py)


def slak_width(w):
    return int(w * 1.3)   # SLaK-T's width factor, rounded down as models/SLaK.py does


def tiny_slak_kernels(maps=(32, 16, 8, 4), slak_maps=(56, 28, 14, 7)):
    """SLaK-T's kernel / feature-map ratio at 224 x 224 carried to 128 x 128
    (stage maps 32..4), rounded to odd and capped at 2 * map - 1, beyond which
    a kernel reaches no further from any position."""
    out = []
    for k, m, sm in zip(SLAK_KERNELS, maps, slak_maps):
        x = k * m / sm
        out.append(min(2 * m - 1, 2 * int(x / 2) + 1))
    return out


def convnext_retinanet(tiny_version):
    if tiny_version:
        c = Cfg(tiny_header(comment(
            "RetinaNet with a small ConvNeXt-style backbone.\n" + CONVNEXT +
            "\nWidths %s, depths %s (ConvNeXt-T / 3).\n" % (csv(TINY_WIDTHS), csv(TINY_DEPTHS)) +
            PAIRS + "\n" + LEFT_OUT)))
        return tiny_retinanet(c, *convnext(c, TINY_WIDTHS, TINY_DEPTHS, dw_convnext))
    c = Cfg(full_header(comment(
        "RetinaNet with a ConvNeXt-T backbone.\n" + CONVNEXT +
        "\nWidths %s, depths %s. " % tuple(map(csv, CONVNEXT_T)) +
        "FPN, heads and [retina] as retinanet_r50_fpn.cfg.\n" + LEFT_OUT)))
    return full_retinanet(c, *convnext(c, *CONVNEXT_T, dw_convnext))


def slak_retinanet(tiny_version):
    if tiny_version:
        widths, kernels = [slak_width(w) for w in TINY_WIDTHS], tiny_slak_kernels()
        c = Cfg(tiny_header(comment(
            "RetinaNet with a small SLaK-style backbone (after VITA-Group/SLaK models/SLaK.py).\n" +
            SLAK +
            "\nWidths %s, depths %s, kernels %s by stage: SLaK-T's %s\n"
            "on 224 x 224 scaled to the stage maps of 128 x 128, capped at 2 x map - 1.\n"
            % (csv(widths), csv(TINY_DEPTHS), csv(kernels), csv(SLAK_KERNELS)) +
            PAIRS + "\n" + LEFT_OUT)))
        return tiny_retinanet(c, *convnext(c, widths, TINY_DEPTHS, slak_mixer(kernels)))
    widths = [slak_width(w) for w in CONVNEXT_T[0]]
    c = Cfg(full_header(comment(
        "RetinaNet with a SLaK-T backbone (after VITA-Group/SLaK models/SLaK.py).\n" + SLAK +
        "\nWidths %s, depths %s, kernels %s by stage.\n"
        % (csv(widths), csv(CONVNEXT_T[1]), csv(SLAK_KERNELS)) +
        "FPN, heads and [retina] as retinanet_r50_fpn.cfg.\n" + LEFT_OUT)))
    return full_retinanet(c, *convnext(c, widths, CONVNEXT_T[1], slak_mixer(SLAK_KERNELS)))


def fpn_outputs(text):
    line = next(l for l in text.split("\n") if l.startswith("# fpn_outputs="))
    return [int(v) for v in line.split("=")[1].split(" ")[0].split(",")]


def with_cwd(student, teacher_name, teacher, loss_weight, tau=1):
    """The student cfg plus one [cwd] per FPN level, paired with the teacher's."""
    weights = "backup/" + teacher_name.replace(".cfg", "_final.weights")
    s_levels, t_levels = fpn_outputs(student), fpn_outputs(teacher)
    lines = [student.rstrip("\n"), "",
             "# Channel-wise distillation from %s (train it first; its weights are read from" % teacher_name,
             "# %s, relative to where darknet runs). One [cwd] per FPN level; they pass" % weights,
             "# their input through, so they can follow [retina]. Delete them to train the student alone."]
    for i, (sl, tl) in enumerate(zip(s_levels, t_levels)):
        lines += ["", "# P%d" % (3 + i), "[cwd]", "from=%d" % sl, "teacher=%s" % teacher_name,
                  "teacher_weights=%s" % weights, "teacher_layer=%d" % tl, "tau=%g" % tau,
                  "loss_weight=%g" % loss_weight]
    return "\n".join(lines) + "\n"


def main():
    out = {"retinanet_r18_fpn.cfg": resnet_retinanet(18), "retinanet_r50_fpn.cfg": resnet_retinanet(50),
           "retinanet_r101_fpn.cfg": resnet_retinanet(101), "retinanet_tiny.cfg": tiny(),
           "retinanet_convnext_fpn.cfg": convnext_retinanet(False),
           "retinanet_slak_fpn.cfg": slak_retinanet(False),
           "retinanet_convnext_tiny.cfg": convnext_retinanet(True),
           "retinanet_slak_tiny.cfg": slak_retinanet(True)}
    out["retinanet_r18_fpn_cwd.cfg"] = with_cwd(out["retinanet_r18_fpn.cfg"], "retinanet_r50_fpn.cfg",
                                                 out["retinanet_r50_fpn.cfg"], 10)
    out["retinanet_tiny_cwd.cfg"] = with_cwd(out["retinanet_tiny.cfg"], "retinanet_convnext_tiny.cfg",
                                             out["retinanet_convnext_tiny.cfg"], 10)
    write_cfgs(out)


def write_cfgs(out):
    """Writes each {name: text} to cfg/name (through a temporary file)."""
    for name, text in out.items():
        path = os.path.join("cfg", name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        print("wrote", path)


if __name__ == "__main__":
    main()
