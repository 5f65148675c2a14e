"""Workload 3: one SGD step of a small LeNet-like conv net on a batch of 256 1x8x8 float32 images.

Here the cost is arithmetic in conv (im2col + matmul) and pooling, not per-op overhead, so the BLAS and
the thread count matter: minigrad and PyTorch are compared at the same thread count, 1 and default.
"""
from __future__ import annotations

from typing import Callable

from bench.device import Device
from bench.harness import Competitor, Config, Table, WorkloadResult, fmt_ratio, fmt_time, time_interleaved, timing_raw
from bench.nets import MinigradLeNet, TorchLeNet, _lenet_forward, lenet_data, lenet_init

FIRST_LOSS_RTOL = 1e-4  # float32, different summation orders


def first_losses(backend: str = "numpy", torch_device: str | None = "cpu", batch: int = 256) -> tuple[float, float | None]:
    """Loss of the first step for minigrad and PyTorch from the same init and data."""
    init, (x, y) = lenet_init(), lenet_data(batch)
    mg_loss = MinigradLeNet(init, x, y, backend=backend).step()
    t_loss = TorchLeNet(init, x, y, device=torch_device).step() if torch_device else None
    return mg_loss, t_loss


def jit_lenet_step(model: MinigradLeNet) -> Callable[[], float]:
    """The same SGD step through mg.jit (recorded once, replayed); the loss is read on the host each step."""
    import minigrad as mg

    def step():
        model.opt.zero_grad()
        out = _lenet_forward(model.F, lambda t: t.flatten(1), model.x, model.p)
        loss = model.F.mse_loss(out, model.y)
        loss.backward()
        model.opt.step()
        return loss
    run = mg.jit(step)
    return lambda: run().item()


def lenet_step(cfg: Config, dev: Device, batch: int = 256) -> WorkloadResult:
    res = WorkloadResult("lenet-step")
    mg_loss, t_loss = first_losses(dev.backend, dev.torch_device, batch)
    res.raw["first_loss"] = {"minigrad": mg_loss, "torch": t_loss}
    if t_loss is not None:
        agree = abs(mg_loss - t_loss) <= FIRST_LOSS_RTOL * abs(t_loss)
        res.raw["first_loss"]["agree"] = agree
        if not agree:
            raise AssertionError(f"lenet-step: first losses differ: minigrad {mg_loss!r}, PyTorch {t_loss!r}")
        res.notes.append(f"lenet-step: first losses agree (minigrad {mg_loss:.7f}, PyTorch {t_loss:.7f}).")
    else:
        res.notes.append(f"lenet-step: {dev.torch_note}")
    init, (x, y) = lenet_init(), lenet_data(batch)
    thread_counts = (1,) if cfg.threads == 1 else (1, cfg.threads)
    comps = []
    for n in thread_counts:
        comps.append(Competitor(f"minigrad ({n} thr)", MinigradLeNet(init, x, y, backend=dev.backend).step,
                                threads=n, sync=dev.mg_sync))
        comps.append(Competitor(f"minigrad mg.jit ({n} thr)",
                                jit_lenet_step(MinigradLeNet(init, x, y, backend=dev.backend)),
                                threads=n, sync=dev.mg_sync))
        if dev.torch_device:
            comps.append(Competitor(f"PyTorch ({n} thr)", TorchLeNet(init, x, y, device=dev.torch_device).step,
                                    threads=n, lib="torch", sync=dev.torch_sync))
    timings = time_interleaved(comps, cfg)
    res.raw["timings"] = timing_raw(timings)
    rows = []
    for n in thread_counts:
        mg = timings[f"minigrad ({n} thr)"].median_s
        tt = timings.get(f"PyTorch ({n} thr)")
        ratio = mg / tt.median_s if tt else None
        jitted = timings[f"minigrad mg.jit ({n} thr)"].median_s
        rows.append([n, fmt_time(mg), fmt_time(jitted), fmt_time(tt.median_s if tt else None), fmt_ratio(ratio),
                     fmt_ratio(jitted / mg)])
        res.add_target(f"minigrad ÷ PyTorch, {n} thr", ratio, 2.0)
        res.add_target(f"minigrad mg.jit ÷ minigrad eager, {n} thr", jitted / mg, 1.0)
    res.tables.append(Table(f"lenet-step: conv-pool-conv-pool-fc-fc SGD step, batch {batch} of 1x8x8 float32",
                            ["threads", "minigrad", "minigrad mg.jit", "PyTorch", "minigrad ÷ PyTorch",
                             "jit ÷ eager"], rows))
    return res
