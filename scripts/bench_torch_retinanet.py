#!/usr/bin/python3
"""PyTorch's side of the RetinaNet benchmark: torchvision's RetinaNet on a
ResNet FPN backbone (--depth, default 18) with P6/P7 (80 classes) on the CPU
(2 threads) or --device cuda, timed like `darknet benchmark`: inference at
--infer-batch (default 1, with decoding and NMS) and a training step at
--train-batch (default 2). Prints: torch forward_ms=F train_ms=T"""
import argparse
import torch
from torchvision.models.detection import RetinaNet
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


backbone = resnet_fpn_backbone(backbone_name="resnet%d" % args.depth, weights=None, trainable_layers=5,
                               returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
# fixed input size: no resizing inside the model, like darknet's fixed cfg size
model = RetinaNet(backbone, num_classes=80, min_size=args.size, max_size=args.size).to(dev)
model.eval()
x = [torch.rand(3, args.size, args.size, device=dev) for _ in range(args.infer_batch)]
with torch.no_grad():
    forward_ms = mean_ms(lambda: model(x), args.iters, dev)

model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0001)
xt = [torch.rand(3, args.size, args.size, device=dev) for _ in range(args.train_batch)]
targets = [{"boxes": torch.tensor([[30.0, 40.0, 150.0, 200.0], [100.0, 100.0, 160.0, 140.0]], device=dev),
            "labels": torch.tensor([1, 5], device=dev)} for _ in range(args.train_batch)]


def step():
    opt.zero_grad()
    losses = model(xt, targets)
    sum(losses.values()).backward()
    opt.step()


train_ms = mean_ms(step, args.iters, dev)
print(f"torch forward_ms={forward_ms:.3f} train_ms={train_ms:.3f}")
