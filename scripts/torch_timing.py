"""Timing shared by the PyTorch benchmark scripts, done as `darknet benchmark`
does it: two warm-up runs, then the mean of `iters` runs in milliseconds."""
import time


def mean_ms(fn, iters):
    for _ in range(2):
        fn()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) * 1e3 / iters
