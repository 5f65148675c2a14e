"""Workload 4: single ops, forward + backward, minigrad vs PyTorch at one small and one large size.

Small sizes (float64, the notebook's scale) measure per-op overhead; large sizes (float32, the LeNet scale
and above) measure the kernels. Each call: clear the input grads, forward, backward with a fixed upstream
gradient (random, not ones, so the backward does real work).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from bench.device import Device
from bench.harness import Competitor, Config, Table, WorkloadResult, fmt_ratio, fmt_time, time_interleaved, timing_raw


@dataclass
class OpCase:
    op: str
    size: str                          # "small" | "large" | another name for a large variant
    shapes: list[tuple[int, ...]]      # input shapes (all get requires_grad)
    dtype: str
    apply: Callable[[Any, list[Any]], Any]   # (F module, inputs) -> output
    label: str


def _cases(quick: bool) -> list[OpCase]:
    big_batch = 16 if quick else 64
    mm = 256 if quick else 512
    return [
        OpCase("conv2d", "small", [(1, 1, 5, 5), (1, 1, 2, 2)], "float64", lambda F, a: F.conv2d(a[0], a[1]),
               "x 1x1x5x5, w 1x1x2x2"),
        OpCase("conv2d", "large", [(big_batch, 16, 16, 16), (32, 16, 3, 3)], "float32",
               lambda F, a: F.conv2d(a[0], a[1], padding=1), f"x {big_batch}x16x16x16, w 32x16x3x3, pad 1"),
        OpCase("max_pool2d", "small", [(1, 1, 4, 4)], "float64", lambda F, a: F.max_pool2d(a[0], 2), "1x1x4x4, k 2"),
        OpCase("max_pool2d", "large", [(big_batch, 32, 16, 16)], "float32", lambda F, a: F.max_pool2d(a[0], 2),
               f"{big_batch}x32x16x16, k 2"),
        OpCase("conv2d", "grouped", [(big_batch, 16, 16, 16), (32, 4, 3, 3)], "float32",
               lambda F, a: F.conv2d(a[0], a[1], padding=2, dilation=2, groups=4),
               f"x {big_batch}x16x16x16, w 32x4x3x3, pad 2, dilation 2, groups 4"),
        OpCase("conv_transpose2d", "large", [(big_batch, 32, 8, 8), (32, 16, 3, 3)], "float32",
               lambda F, a: F.conv_transpose2d(a[0], a[1], stride=2, padding=1, output_padding=1),
               f"x {big_batch}x32x8x8, w 32x16x3x3, stride 2, pad 1, output_padding 1"),
        OpCase("avg_pool2d", "large", [(big_batch, 32, 16, 16)], "float32", lambda F, a: F.avg_pool2d(a[0], 2),
               f"{big_batch}x32x16x16, k 2"),
        OpCase("gelu", "large", [(1024, 1024)], "float32", lambda F, a: F.gelu(a[0]), "1024x1024"),
        OpCase("matmul", "small", [(8, 8), (8, 8)], "float64", lambda F, a: a[0] @ a[1], "8x8 @ 8x8"),
        OpCase("matmul", "large", [(mm, mm), (mm, mm)], "float32", lambda F, a: a[0] @ a[1], f"{mm}x{mm} @ {mm}x{mm}"),
        OpCase("sigmoid", "small", [(1, 4)], "float64", lambda F, a: F.sigmoid(a[0]), "1x4"),
        OpCase("sigmoid", "large", [(1024, 1024)], "float32", lambda F, a: F.sigmoid(a[0]), "1024x1024"),
    ]


def _inputs(case: OpCase, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Inputs (tie-free for pooling: a permutation) and the upstream gradient, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in case.shapes:
        n = int(np.prod(shape))
        values = rng.permutation(n).astype(case.dtype) / n if case.op == "max_pool2d" else rng.standard_normal(n)
        arrays.append(values.reshape(shape).astype(case.dtype))
    import minigrad as mg
    import minigrad.nn.functional as F

    out_shape = case.apply(F, [mg.tensor(a) for a in arrays]).shape
    return arrays, rng.standard_normal(tuple(out_shape)).astype(case.dtype)


def _minigrad_fn(case: OpCase, arrays: list[np.ndarray], grad: np.ndarray, backend: str) -> Callable[[], None]:
    import minigrad as mg
    import minigrad.nn.functional as F

    xs = [mg.tensor(a, requires_grad=True, backend=backend) for a in arrays]
    g = mg.tensor(grad, backend=backend)

    def run() -> None:
        for x in xs:
            x.grad = None
        case.apply(F, xs).backward(g)
    return run


def _torch_fn(case: OpCase, arrays: list[np.ndarray], grad: np.ndarray, device: str) -> Callable[[], None]:
    import torch
    import torch.nn.functional as F

    xs = [torch.tensor(a, device=device, requires_grad=True) for a in arrays]
    g = torch.tensor(grad, device=device)

    def run() -> None:
        for x in xs:
            x.grad = None
        case.apply(F, xs).backward(g)
    return run


def ops(cfg: Config, dev: Device) -> WorkloadResult:
    res = WorkloadResult("ops")
    if not dev.torch_device:
        res.notes.append(f"ops: {dev.torch_note}; the ops workload compares against PyTorch only, skipped.")
        return res
    rows = []
    thread_counts = (1,) if cfg.threads == 1 else (1, cfg.threads)
    for case in _cases(cfg.quick):
        arrays, grad = _inputs(case)
        for n in thread_counts if case.size != "small" else (1,):
            comps = [Competitor("minigrad", _minigrad_fn(case, arrays, grad, dev.backend), threads=n, sync=dev.mg_sync),
                     Competitor("PyTorch", _torch_fn(case, arrays, grad, dev.torch_device), threads=n,
                                lib="torch", sync=dev.torch_sync)]
            t = time_interleaved(comps, cfg)
            key = f"{case.op}/{case.size}/{n}thr"
            res.raw[key] = {"label": case.label, "dtype": case.dtype, **timing_raw(t)}
            ratio = t["minigrad"].median_s / t["PyTorch"].median_s
            rows.append([case.op, f"{case.size}: {case.label} ({case.dtype})", n, fmt_time(t["minigrad"].median_s),
                         fmt_time(t["PyTorch"].median_s), fmt_ratio(ratio)])
    res.tables.append(Table("ops: forward + backward of one op", ["op", "size", "threads", "minigrad", "PyTorch",
                                                                  "minigrad ÷ PyTorch"], rows))
    return res
