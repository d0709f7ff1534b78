#!/usr/bin/python3
"""ONNX Runtime's side of the CPU benchmark (scripts/bench_cpu.sh): the
network exported from PyTorch with torch.onnx.export and run by onnxruntime's
CPU provider with --threads intra-op threads, timed like `darknet benchmark`
(two warm-up runs, then the mean of --iters). --model resnet18: torchvision's
ResNet-18 (as scripts/bench_torch_resnet18.py); r18fpn: the R18-FPN RetinaNet
of scripts/bench_torch_retinanet.py, backbone + FPN + heads (the network;
decoding and NMS are not part of the exported graph). --onnx FILE: a model
exported by `darknet export onnx` instead (scripts/bench_export.sh), fed
uniform random input of its own input shape.
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
parser.add_argument("--onnx", help="time this model file instead of one exported from PyTorch")
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


def session_of(path):
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def torch_model():
    if args.model == "resnet18":
        return torchvision.models.resnet18(num_classes=1000)
    backbone = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=5,
                                   returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    return RetinaNetNetwork(RetinaNet(backbone, num_classes=80, min_size=args.size, max_size=args.size))


if args.onnx:
    session = session_of(args.onnx)
    shape = session.get_inputs()[0].shape
    x = torch.rand(*[d if isinstance(d, int) else args.batch for d in shape])
    feed = {session.get_inputs()[0].name: x.numpy()}
else:
    net = torch_model().eval()
    x = torch.rand(args.batch, 3, args.size, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        torch.onnx.export(net, x, path, opset_version=13, input_names=["x"])
        session = session_of(path)
    feed = {"x": x.numpy()}
for _ in range(2):
    session.run(None, feed)
start = time.perf_counter()
for _ in range(args.iters):
    session.run(None, feed)
print(f"onnxruntime forward_ms={(time.perf_counter() - start) * 1e3 / args.iters:.3f}")
