#!/usr/bin/python3
"""ONNX Runtime's side of the CPU benchmark (scripts/bench_cpu.sh): the
network exported from PyTorch with torch.onnx.export and run by onnxruntime's
CPU provider with --threads intra-op threads, timed like `darknet benchmark`
(two warm-up runs, then the mean of --iters). --model resnet18: torchvision's
ResNet-18 (as scripts/bench_torch_resnet18.py); r18fpn: the R18-FPN RetinaNet
of scripts/bench_torch_retinanet.py, backbone + FPN + heads (the network;
decoding and NMS are not part of the exported graph).
Prints: onnxruntime forward_ms=F"""
import argparse
import os
import tempfile
import time

import onnxruntime
import torch
import torchvision
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

parser = argparse.ArgumentParser()
parser.add_argument("--model", choices=["resnet18", "r18fpn"], default="resnet18")
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--iters", type=int, default=10)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)


class RetinaNetNetwork(torch.nn.Module):
    """RetinaNet without its transform and post-processing: images to head outputs."""

    def __init__(self, model):
        super().__init__()
        self.backbone, self.head = model.backbone, model.head

    def forward(self, x):
        out = self.head(list(self.backbone(x).values()))
        return out["cls_logits"], out["bbox_regression"]


if args.model == "resnet18":
    net = torchvision.models.resnet18(num_classes=1000)
else:
    backbone = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=5,
                                   returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    net = RetinaNetNetwork(RetinaNet(backbone, num_classes=80, min_size=args.size, max_size=args.size))
net.eval()
x = torch.rand(args.batch, 3, args.size, args.size)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.onnx")
    torch.onnx.export(net, x, path, opset_version=13, input_names=["x"])
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
feed = {"x": x.numpy()}
for _ in range(2):
    session.run(None, feed)
start = time.perf_counter()
for _ in range(args.iters):
    session.run(None, feed)
print(f"onnxruntime forward_ms={(time.perf_counter() - start) * 1e3 / args.iters:.3f}")
