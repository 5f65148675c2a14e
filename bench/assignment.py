"""Workloads 1 and 2: one training step of the notebook network, and the full training run.

Every competitor starts from the notebook's init (np.random.seed(0)), float64, batch 1, lr 0.01.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from bench.device import Device
from bench.harness import Competitor, Config, Table, WorkloadResult, fmt_ratio, fmt_time, time_interleaved, timing_raw
from bench.nets import (NOTEBOOK_INPUT, NOTEBOOK_TARGETS, TRAIN_LR, TRAIN_THRESHOLD, MinigradAssignment,
                        TorchAssignment, notebook_init)
from bench.threads import set_threads_for
from models.numpy_reference import NumpyStep

GRAD_TOL = 1e-12


def check_gradients(backend: str = "numpy", tol: float = GRAD_TOL) -> float:
    """Assert the hand-written step's gradients equal minigrad's (max abs difference <= tol); return it.

    Run before any timing, so a fast but wrong competitor is never reported.
    """
    init = notebook_init()
    _, hand = NumpyStep(init, NOTEBOOK_INPUT, NOTEBOOK_TARGETS, 0.0).loss_and_grads()
    auto = MinigradAssignment(init, backend=backend).grads()
    worst = 0.0
    for name, g in hand.items():
        if auto[name].shape != g.shape:
            raise AssertionError(f"gradient of {name}: minigrad shape {auto[name].shape}, hand-written {g.shape}")
        worst = max(worst, float(np.max(np.abs(auto[name] - g))))
    if not worst <= tol:
        raise AssertionError(f"hand-written NumPy and minigrad gradients differ by {worst:.3g} (> {tol:g}):\n"
                             f"hand-written {hand}\nminigrad {auto}")
    return worst


def jit_step(model: MinigradAssignment) -> Callable[[], float]:
    """The optim.SGD step of `model` through mg.jit: recorded once, then replayed; E read on the host each step."""
    mg, F = model.mg, model.F

    def step():
        model.opt.zero_grad()
        loss = model.loss()
        loss.backward()
        model.opt.step()
        return loss
    run = mg.jit(step)
    return lambda: run().item()


def torch_graph_step(model: TorchAssignment) -> Callable[[], float]:
    """PyTorch's own capture of the same step into a CUDA graph (torch.cuda.CUDAGraph, whole-step capture as in
    PyTorch's docs: warm-up on a side stream, then zero_grad/forward/backward/SGD step captured once)."""
    torch = model.torch
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            model.step_sgd()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    model.opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        loss = model.loss()
        loss.backward()
        model.opt.step()

    def step() -> float:
        graph.replay()
        return loss.item()
    return step


def _step_competitors(dev: Device, *, torch_threads: tuple[int, ...]) -> list[Competitor]:
    """Fresh models from the notebook init, one per competitor (each owns its weights)."""
    init = notebook_init()
    xp = dev.xp
    hand = NumpyStep(init, xp.asarray(NOTEBOOK_INPUT), xp.asarray(NOTEBOOK_TARGETS), TRAIN_LR, xp=xp)
    mg_sgd = MinigradAssignment(init, backend=dev.backend)
    mg_manual = MinigradAssignment(init, backend=dev.backend)
    hand_name = "hand-written NumPy" if dev.backend == "numpy" else "hand-written CuPy"
    comps = [
        Competitor("minigrad (optim.SGD)", mg_sgd.step_sgd, threads=1, sync=dev.mg_sync),
        Competitor("minigrad (manual update)", mg_manual.step_manual, threads=1, sync=dev.mg_sync),
        Competitor(hand_name, hand.step, threads=1, sync=dev.mg_sync),
        Competitor("minigrad (mg.jit, optim.SGD)", jit_step(MinigradAssignment(init, backend=dev.backend)),
                   threads=1, sync=dev.mg_sync),
    ]
    if dev.torch_device:
        for n in torch_threads:
            t_manual = TorchAssignment(init, device=dev.torch_device)
            t_sgd = TorchAssignment(init, device=dev.torch_device)
            comps.append(Competitor(f"PyTorch (manual update, {n} thr)", t_manual.step_manual, threads=n,
                                    lib="torch", sync=dev.torch_sync))
            comps.append(Competitor(f"PyTorch (optim.SGD, {n} thr)", t_sgd.step_sgd, threads=n, lib="torch",
                                    sync=dev.torch_sync))
        if dev.torch_device == "cuda":
            comps.append(Competitor("PyTorch (CUDA graph, optim.SGD)",
                                    torch_graph_step(TorchAssignment(init, device="cuda")), threads=1, lib="torch",
                                    sync=dev.torch_sync))
    return comps


def assignment_step(cfg: Config, dev: Device) -> WorkloadResult:
    res = WorkloadResult("assignment-step")
    worst = check_gradients(dev.backend)
    res.notes.append(f"assignment-step: hand-written step's gradients match minigrad's (max abs diff {worst:.1e}).")
    thread_counts = (1,) if cfg.threads == 1 else (1, cfg.threads)
    comps = _step_competitors(dev, torch_threads=thread_counts)
    timings = time_interleaved(comps, cfg)
    res.raw = {"timings": timing_raw(timings), "grad_max_abs_diff": worst}
    sgd, manual = timings["minigrad (optim.SGD)"].median_s, timings["minigrad (manual update)"].median_s
    rows = [[name, t.threads, fmt_time(t.median_s), fmt_time(t.min_s), fmt_ratio(sgd / t.median_s),
             fmt_ratio(manual / t.median_s)] for name, t in timings.items()]
    res.tables.append(Table("assignment-step: one training step of the notebook network (float64, batch 1)",
                            ["competitor", "threads", "median", "min", "minigrad SGD ÷ this", "minigrad manual ÷ this"],
                            rows))
    hand_name = comps[2].name
    jitted = timings["minigrad (mg.jit, optim.SGD)"].median_s
    res.add_target(f"minigrad (manual) ÷ {hand_name}", manual / timings[hand_name].median_s, 1.5)
    res.add_target(f"minigrad mg.jit ÷ {hand_name}", jitted / timings[hand_name].median_s, 1.0)
    res.add_target("minigrad mg.jit ÷ minigrad eager (optim.SGD)", jitted / sgd, 0.4)
    if "PyTorch (CUDA graph, optim.SGD)" in timings:
        res.add_target("minigrad mg.jit ÷ PyTorch (CUDA graph)",
                       jitted / timings["PyTorch (CUDA graph, optim.SGD)"].median_s, 1.5)
        res.add_target("minigrad mg.jit ÷ PyTorch eager (optim.SGD, 1 thr)",
                       jitted / timings["PyTorch (optim.SGD, 1 thr)"].median_s, 1.0)
    torch_ref = "PyTorch (manual update, 1 thr)"
    if torch_ref in timings:
        res.add_target(f"minigrad (manual) ÷ {torch_ref}", manual / timings[torch_ref].median_s, 0.5)
    else:
        res.notes.append(f"assignment-step: {dev.torch_note}")
        res.add_target(f"minigrad (manual) ÷ {torch_ref}", None, 0.5)
    return res


def train_to_threshold(step: Callable[[], float], max_steps: int, threshold: float = TRAIN_THRESHOLD,
                       chunk: int | None = None) -> Any:
    """Generator that trains in chunks and yields after each; returns (steps, E, converged) via StopIteration.

    ``step()`` returns E measured before its update, so the count is the number of updates applied
    before the forward pass whose E is below the threshold (the notebook's convention).
    """
    n, E = 0, step()
    while E >= threshold and n < max_steps:
        stop = max_steps if chunk is None else min(max_steps, n + chunk)
        while E >= threshold and n < stop:
            n += 1
            E = step()
        yield n
    return n, E, E < threshold


def assignment_train(cfg: Config, dev: Device) -> WorkloadResult:
    """Each competitor trains from the same init; chunks are interleaved round-robin so noise hits all alike."""
    res = WorkloadResult("assignment-train")
    comps = _step_competitors(dev, torch_threads=(1,))
    chunk = 5_000
    state: dict[str, dict[str, Any]] = {}
    runs = {c.name: train_to_threshold(c.fn, cfg.max_train_steps, chunk=chunk) for c in comps}
    for c in comps:
        state[c.name] = {"seconds": 0.0, "done": False}
    active = list(comps)
    while active:
        for c in list(active):
            s = state[c.name]
            if c.threads is not None:
                set_threads_for(c.lib, c.threads)
            t0 = time.perf_counter()
            try:
                next(runs[c.name])
            except StopIteration as stop:
                s["steps"], s["loss"], s["converged"] = stop.value
                active.remove(c)
            if c.sync is not None:
                c.sync()
            s["seconds"] += time.perf_counter() - t0
    res.raw = state
    mg_time = state["minigrad (manual update)"]["seconds"]
    res.add_target("minigrad mg.jit ÷ minigrad eager (optim.SGD), whole run",
                   state["minigrad (mg.jit, optim.SGD)"]["seconds"] / state["minigrad (optim.SGD)"]["seconds"], 0.5)
    rows = []
    for c in comps:
        s = state[c.name]
        per_step = s["seconds"] / max(1, s["steps"] + 1)  # steps updates plus the final checking forward
        rows.append([c.name, s["steps"], "yes" if s["converged"] else "no", f"{s['loss']:.6e}", fmt_time(s["seconds"]),
                     fmt_time(per_step), fmt_ratio(mg_time / s["seconds"])])
    res.tables.append(Table(f"assignment-train: gradient descent to E < {TRAIN_THRESHOLD:g} (lr {TRAIN_LR}, "
                            f"max {cfg.max_train_steps:,} steps)",
                            ["competitor", "steps", "converged", "final E", "wall time", "per step",
                             "minigrad manual ÷ this"], rows))
    steps = {state[c.name]["steps"] for c in comps}
    res.raw["steps_identical"] = len(steps) == 1
    if len(steps) == 1:
        res.notes.append(f"assignment-train: every competitor took the same number of steps ({steps.pop():,}).")
    else:
        res.notes.append("assignment-train: **STEP COUNTS DIFFER between competitors**: "
                         + ", ".join(f"{c.name}: {state[c.name]['steps']:,}" for c in comps))
    if not all(state[c.name]["converged"] for c in comps):
        res.notes.append(f"assignment-train: capped at {cfg.max_train_steps:,} steps before convergence "
                         "(use --max-train-steps, or drop --quick, for the full run).")
    if dev.torch_note:
        res.notes.append(f"assignment-train: {dev.torch_note}")
    return res
