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

    def text(self):
        return "\n".join(self.lines) + "\n"


def net_header(title, batch, subdivisions, size, lr, max_batches, steps, burn_in, decay):
    return f"""# {title}
# Written by scripts/gen_retinanet_cfg.py; edit that and run it again.
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


def resnet_retinanet(depth):
    c = Cfg(net_header(
        "RetinaNet R%d-FPN, torchvision-style (retinanet_resnet50_fpn v1 layout), COCO 80 classes.\n"
        "# 1x schedule as mmdetection/detectron: 16 images per step, lr 0.01, 90k steps,\n"
        "# /10 at 60k and 80k (2/3 and 8/9). Input 640 x 640 (change width/height as you like)." % depth,
        16, 8, 640, 0.01, 90000, (60000, 80000), 500, 0.0001))
    c3, c4, c5 = resnet(c, depth)
    levels = fpn(c, c3, c4, c5, 256, True)
    cls_out, box_out = heads(c, levels, 256, 4, 9, 80)
    retina(c, cls_out, box_out, 80)
    return c.text()


def tiny():
    c = Cfg(net_header(
        "RetinaNet-tiny: darknet-style backbone, FPN P3-P5 (64 channels), 2-conv heads shared by\n"
        "# the levels; 8 classes as `darknet synth` writes them. 128 x 128 input.",
        16, 1, 128, 0.01, 4000, (3000, 3600), 100, 0.0005))
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
    levels = fpn(c, c3, c4, c5, 64, False)
    cls_out, box_out = heads(c, levels, 64, 2, 9, 8)
    # objects of `darknet synth` at 128 x 128 are 6 to ~110 pixels: anchors 16..101
    retina(c, cls_out, box_out, 8, {"anchor_sizes": "16,32,64"})
    return c.text()


def main():
    out = {"retinanet_r18_fpn.cfg": resnet_retinanet(18), "retinanet_r50_fpn.cfg": resnet_retinanet(50),
           "retinanet_r101_fpn.cfg": resnet_retinanet(101), "retinanet_tiny.cfg": tiny()}
    for name, text in out.items():
        path = os.path.join("cfg", name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        print("wrote", path)


if __name__ == "__main__":
    main()
