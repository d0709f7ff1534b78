#!/usr/bin/python3
"""PyTorch's side of the RetinaNet benchmark: torchvision's RetinaNet on a
ResNet FPN backbone (--depth, default 18) with P6/P7 (80 classes) on the CPU
(2 threads) or --device cuda, timed like `darknet benchmark`: inference at
--infer-batch (default 1, with decoding and NMS) and a training step at
--train-batch (default 2); a batch of 0 skips that part. --depth 0: the twin of
cfg/retinanet_tiny.cfg instead (darknet-style backbone, P3-P5 FPN with 64
channels, 2-conv heads shared by the levels, 9 anchors of 16/32/64 pixels,
8 classes; --size 128). Prints: torch forward_ms=F train_ms=T"""
import argparse
from collections import OrderedDict

import torch
from torch import nn
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

from torch_timing import mean_ms

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=320)
parser.add_argument("--iters", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--depth", type=int, default=18)
parser.add_argument("--infer-batch", type=int, default=1)
parser.add_argument("--train-batch", type=int, default=2)
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
dev = torch.device(args.device)
torch.set_num_threads(args.threads)




def conv(cin, cout, size, act):
    layers = [nn.Conv2d(cin, cout, size, padding=size // 2, bias=act != "bn")]
    if act == "bn":
        layers += [nn.BatchNorm2d(cout), nn.LeakyReLU(0.1)]
    return nn.Sequential(*layers)


class TinyBackbone(nn.Module):
    """cfg/retinanet_tiny.cfg's layers 0-24: five 3x3 conv-bn-leaky + 2x2 max-pool
    stages, a sixth conv, then the FPN (1x1 laterals added to the upsampled level
    above, 3x3 smoothing) giving P3 (stride 8), P4, P5."""

    def __init__(self):
        super().__init__()
        widths = [3, 16, 32, 64, 128, 256]
        self.stages = nn.ModuleList(conv(widths[i], widths[i + 1], 3, "bn") for i in range(5))
        self.top = conv(256, 256, 3, "bn")
        self.lateral = nn.ModuleList(conv(c, 64, 1, "linear") for c in (256, 256, 128))
        self.smooth = nn.ModuleList(conv(64, 64, 3, "linear") for _ in range(3))
        self.out_channels = 64

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
            x = nn.functional.max_pool2d(x, 2)
        p = self.lateral[0](self.top(x))
        levels = [p]
        for lateral, f in zip(self.lateral[1:], (feats[4], feats[3])):
            p = lateral(f) + nn.functional.interpolate(p, scale_factor=2.0)
            levels.append(p)
        outs = [s(p) for s, p in zip(self.smooth, levels)]
        return OrderedDict((str(i), o) for i, o in enumerate(reversed(outs)))


def tiny_retinanet():
    sizes = tuple(tuple(s * 2 ** (i / 3) for i in range(3)) for s in (16, 32, 64))
    anchors = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * 3)
    head = RetinaNetHead(64, 9, 8)
    for tower in (head.classification_head, head.regression_head):   # 2 convs, as the cfg
        tower.conv = nn.Sequential(*list(tower.conv.children())[:2])
    return RetinaNet(TinyBackbone(), num_classes=8, anchor_generator=anchors, head=head,
                     min_size=args.size, max_size=args.size)


if args.depth:
    backbone = resnet_fpn_backbone(backbone_name="resnet%d" % args.depth, weights=None, trainable_layers=5,
                                   returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    # fixed input size: no resizing inside the model, like darknet's fixed cfg size
    model = RetinaNet(backbone, num_classes=80, min_size=args.size, max_size=args.size).to(dev)
else:
    model = tiny_retinanet().to(dev)
model.eval()
forward_ms = 0
x = [torch.rand(3, args.size, args.size, device=dev) for _ in range(args.infer_batch)]
if args.infer_batch:
    with torch.no_grad():
        forward_ms = mean_ms(lambda: model(x), args.iters, dev)

model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0001)
xt = [torch.rand(3, args.size, args.size, device=dev) for _ in range(args.train_batch)]
box_scale = min(1.0, args.size / 320)   # the same boxes, shrunk to fit smaller images
targets = [{"boxes": box_scale * torch.tensor([[30.0, 40.0, 150.0, 200.0], [100.0, 100.0, 160.0, 140.0]], device=dev),
            "labels": torch.tensor([1, 5], device=dev)} for _ in range(args.train_batch)]


def step():
    opt.zero_grad()
    losses = model(xt, targets)
    sum(losses.values()).backward()
    opt.step()


train_ms = mean_ms(step, args.iters, dev) if args.train_batch else 0
print(f"torch forward_ms={forward_ms:.3f} train_ms={train_ms:.3f}")
