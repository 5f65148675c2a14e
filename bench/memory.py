"""Workload 5: peak RSS, and RSS growth over many assignment steps (the graph is freed every step,
so growth should be near zero).

The measurement runs in a fresh subprocess (``python -m bench.memory``) so that the other workloads'
allocations (PyTorch, large op inputs) do not pollute it. RSS is read from /proc/self/status (VmRSS,
VmHWM), with resource.getrusage's ru_maxrss as a cross-check for the peak.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from bench.harness import Config, Table, WorkloadResult, fmt_time

GROWTH_LIMIT_MB = 5.0


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Current resident set size in MB (ru_maxrss as a fallback where /proc is missing)."""
    kb = _status_kb("VmRSS")
    return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def measure(steps: int, backend: str = "numpy", samples: int = 10) -> dict[str, Any]:
    """Run the minigrad assignment step (optim.SGD) ``steps`` times; RSS before, during, after, and peak."""
    from bench.nets import MinigradAssignment, notebook_init

    net = MinigradAssignment(notebook_init(), backend=backend)
    for _ in range(min(1000, max(10, steps // 10))):  # warm-up: caches, allocator pools, lazy imports
        net.step_sgd()
    gc.collect()
    start = rss_mb()
    trace = []
    every = max(1, steps // samples)
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        net.step_sgd()
        if i % every == 0:
            trace.append([i, rss_mb()])
    seconds = time.perf_counter() - t0
    gc.collect()
    end = rss_mb()
    out: dict[str, Any] = {
        "steps": steps, "backend": backend, "rss_start_mb": start, "rss_end_mb": end, "growth_mb": end - start,
        "peak_rss_mb": (_status_kb("VmHWM") or 0) / 1024,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "trace": trace, "seconds": seconds, "gc_objects": len(gc.get_objects()),
    }
    if backend == "cupy":
        import cupy

        out["cupy_pool_used_mb"] = cupy.get_default_memory_pool().used_bytes() / 2**20
    return out


def memory(cfg: Config, dev: Any) -> WorkloadResult:
    res = WorkloadResult("memory")
    steps = cfg.memory_steps
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "bench.memory", "--steps", str(steps), "--backend", dev.backend]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"memory worker failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    res.raw = m
    rows = [["minigrad (optim.SGD)", f"{m['steps']:,}", f"{m['rss_start_mb']:.1f} MB", f"{m['rss_end_mb']:.1f} MB",
             f"{m['growth_mb']:+.2f} MB", f"{m['peak_rss_mb']:.1f} MB", fmt_time(m["seconds"] / m["steps"])]]
    res.tables.append(Table("memory: assignment steps in a fresh process",
                            ["competitor", "steps", "RSS after warm-up", "RSS after", "growth", "peak RSS",
                             "per step"], rows))
    res.add_target(f"RSS growth over {steps:,} steps (target is for 100,000)", m["growth_mb"], GROWTH_LIMIT_MB,
                   unit="MB")
    if "cupy_pool_used_mb" in m:
        res.notes.append(f"memory: CuPy pool in use after the run: {m['cupy_pool_used_mb']:.2f} MB.")
    return res


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="memory worker: RSS over many minigrad assignment steps (prints JSON)")
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    args = p.parse_args(argv)
    print(json.dumps(measure(args.steps, args.backend)))


if __name__ == "__main__":
    main()
