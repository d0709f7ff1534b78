#!/usr/bin/python3
"""PyTorch's side of the ResNet-18 benchmark: torchvision's resnet18 on the CPU
with 2 threads, timed like `darknet benchmark` (warm-up, then the mean of N runs);
--train-batch 0 skips the training step. Prints: torch forward_ms=F train_ms=T"""
import argparse
import torch
import torchvision

from torch_timing import mean_ms

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--train-batch", type=int, default=8)
parser.add_argument("--iters", type=int, default=10)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)


model = torchvision.models.resnet18(num_classes=1000)
model.eval()
x = torch.rand(args.batch, 3, args.size, args.size)
with torch.no_grad():
    forward_ms = mean_ms(lambda: model(x), args.iters)

model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=0.0005)
xt = torch.rand(args.train_batch, 3, args.size, args.size)
yt = torch.randint(0, 1000, (args.train_batch,))
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss_fn(model(xt), yt).backward()
    opt.step()


train_ms = mean_ms(step, args.iters) if args.train_batch else 0
print(f"torch {torch.__version__} threads={torch.get_num_threads()}")
print(f"torch forward_ms={forward_ms:.3f} train_ms={train_ms:.3f}")
