#!/usr/bin/python3
"""NKD loss and its gradient in PyTorch, for tests/test_nkd_torch.c.

The formula is the NKD authors' (Yang et al., "From Knowledge Distillation to
Self-Knowledge Distillation: A Unified Approach with Normalized Loss and
Customized Soft Labels", ICCV 2023; their NKDLoss in yzd-v/cls_KD,
mmcls/models/dis_losses/nkd.py), written here from the paper's definition:

  L_NKD = -mean_n( P_t[n, y_n] * log p_s[n, y_n] )
          - gamma * T^2 * mean_n sum_{j != y_n} q_t[n, j] * log q_s[n, j]

p = softmax over all classes at temperature 1 (the teacher's P_t is a
constant), q = softmax over the non-target classes only, at temperature T.
The student's total loss is (1 - alpha) * CE + alpha * L_NKD, as our [kd]
layer weighs them (the authors' distiller adds L_NKD to the plain CE).

Input (argv[1], JSON): a list of cases {"T", "gamma", "alpha", "s": [[...]],
"t": [[...]], "label": [...]}. Prints a JSON list of {"loss": L, "grad": dL/ds},
one per case, in double precision (one run: importing torch takes seconds).
"""
import json
import sys

import torch
import torch.nn.functional as F


def nkd_loss(s, t, label, temp, gamma):
    n, k = s.shape
    idx = label.view(-1, 1)
    log_p_target = F.log_softmax(s, dim=1).gather(1, idx)
    p_teacher_target = F.softmax(t, dim=1).gather(1, idx).detach()
    target_term = -(p_teacher_target * log_p_target).mean()
    others = torch.ones(n, k, dtype=torch.bool).scatter(1, idx, False)
    s_others = s[others].view(n, k - 1) / temp
    t_others = t.detach()[others].view(n, k - 1) / temp
    cross = (F.softmax(t_others, dim=1) * F.log_softmax(s_others, dim=1)).sum(dim=1).mean()
    return target_term - gamma * temp ** 2 * cross


def loss_and_grad(case):
    s = torch.tensor(case["s"], dtype=torch.float64, requires_grad=True)
    t = torch.tensor(case["t"], dtype=torch.float64)
    label = torch.tensor(case["label"], dtype=torch.int64)
    alpha = case["alpha"]
    loss = (1 - alpha) * F.cross_entropy(s, label) + alpha * nkd_loss(s, t, label, case["T"], case["gamma"])
    loss.backward()
    return {"loss": loss.item(), "grad": s.grad.tolist()}


def main():
    print(json.dumps([loss_and_grad(case) for case in json.load(open(sys.argv[1]))]))


if __name__ == "__main__":
    main()
