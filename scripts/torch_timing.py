"""Timing shared by the PyTorch benchmark scripts, done as `darknet benchmark`
does it: two warm-up runs, then the mean of `iters` runs in milliseconds. On a
GPU the device is waited for before the clock is read, as darknet's passes end
with a copy back or a synchronisation."""
import time

import torch


def mean_ms(fn, iters, device="cpu"):
    def wait():
        if str(device).startswith("cuda"):
            torch.cuda.synchronize()
    for _ in range(2):
        fn()
    wait()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    wait()
    return (time.perf_counter() - start) * 1e3 / iters
