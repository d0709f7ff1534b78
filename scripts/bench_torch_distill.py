#!/usr/bin/python3
"""PyTorch's side of the distillation benchmark: one CWD training step of a
torchvision RetinaNet R18-FPN student (P3-P7, 80 classes) with a frozen R50-FPN
teacher run under no_grad in eval mode on the same images, KL of the
per-channel spatial softmax (tau 1, weight 10 per level) on the five FPN
outputs added to the detection loss; 320x320, batch 2, CPU, 2 threads (or
--size, --batch, --device cuda), timed like `darknet benchmark`. Also times the teacher's FPN forward alone and its
plain inference (batch 2), unless --distill-only (they print 0). Prints:
torch distill_ms=D student_ms=S teacher_fpn_ms=F teacher_infer_ms=I"""
import argparse
import torch
import torch.nn.functional as F
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

from torch_timing import mean_ms

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=320)
parser.add_argument("--iters", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--device", default="cpu")
parser.add_argument("--distill-only", action="store_true")
args = parser.parse_args()
dev = torch.device(args.device)
torch.set_num_threads(args.threads)


def retinanet(depth):
    backbone = resnet_fpn_backbone(backbone_name="resnet%d" % depth, weights=None, trainable_layers=5,
                                   returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    return RetinaNet(backbone, num_classes=80, min_size=args.size, max_size=args.size).to(dev)


def cwd_loss(student_maps, teacher_maps, tau=1.0, weight=10.0):
    loss = 0
    for s, t in zip(student_maps, teacher_maps):
        n, c, h, w = s.shape
        log_ps = F.log_softmax(s.reshape(n * c, h * w) / tau, dim=1)
        log_pt = F.log_softmax(t.reshape(n * c, h * w) / tau, dim=1)
        loss = loss + weight * tau * tau * (log_pt.exp() * (log_pt - log_ps)).sum() / (n * c)
    return loss


teacher, student = retinanet(50), retinanet(18)
teacher.eval()
for p in teacher.parameters():
    p.requires_grad_(False)
student.train()
captured = {}
student.backbone.register_forward_hook(lambda m, i, out: captured.__setitem__("fpn", list(out.values())))
opt = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0001)
xt = [torch.rand(3, args.size, args.size, device=dev) for _ in range(args.batch)]
targets = [{"boxes": torch.tensor([[30.0, 40.0, 150.0, 200.0], [100.0, 100.0, 160.0, 140.0]], device=dev),
            "labels": torch.tensor([1, 5], device=dev)} for _ in range(args.batch)]
batch = student.transform(xt)[0].tensors   # the normalised images both networks see


def teacher_fpn():
    with torch.no_grad():
        return list(teacher.backbone(batch).values())


def step(distill):
    opt.zero_grad()
    losses = student(xt, targets)
    loss = sum(losses.values())
    if distill:
        loss = loss + cwd_loss(captured["fpn"], teacher_fpn())
    loss.backward()
    opt.step()


distill_ms = mean_ms(lambda: step(True), args.iters, dev)
student_ms = teacher_fpn_ms = teacher_infer_ms = 0
if not args.distill_only:
    student_ms = mean_ms(lambda: step(False), args.iters, dev)
    teacher_fpn_ms = mean_ms(teacher_fpn, args.iters, dev)
    with torch.no_grad():
        teacher_infer_ms = mean_ms(lambda: teacher(xt), args.iters, dev)
print(f"torch distill_ms={distill_ms:.3f} student_ms={student_ms:.3f} "
      f"teacher_fpn_ms={teacher_fpn_ms:.3f} teacher_infer_ms={teacher_infer_ms:.3f}")
