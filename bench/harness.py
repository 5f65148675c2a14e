"""Timing, results and output shared by every workload.

Timing rule: every competitor is warmed up, then timed in rounds; each round runs every competitor once
(a block of ``inner`` calls), in an order rotated from round to round, so that machine noise (the box is
shared) hits all competitors alike. A competitor's number is the median over rounds of the per-call time.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bench import threads

SETTLE_S = 0.005


@dataclass
class Config:
    """What the command line chose; workloads read their sizes from here."""

    repeats: int = 7
    backend: str = "numpy"
    threads: int = 2  # the "default threads" rows; 1-thread rows are always measured too
    quick: bool = False
    max_train_steps: int = 1_000_000
    memory_steps: int = 100_000
    target_block_s: float = 0.05  # each timed block runs about this long (inner calls are calibrated)
    warmup_s: float = 0.2


@dataclass
class Competitor:
    """One contestant: ``fn()`` is one unit of work (e.g. one training step).

    ``threads`` is set for ``lib``'s pool untimed before each block, then ``setup`` runs (untimed);
    ``sync`` runs inside the timed region after the block (device synchronisation on GPUs).
    """

    name: str
    fn: Callable[[], Any]
    threads: int | None = None
    lib: str = "numpy"  # whose thread pool fn uses: "numpy" (BLAS; minigrad, hand-written) or "torch"
    setup: Callable[[], None] | None = None
    sync: Callable[[], None] | None = None


@dataclass
class Timing:
    name: str
    median_s: float
    min_s: float
    samples_s: list[float]
    inner: int
    threads: int | None


def _prepare(c: Competitor) -> None:
    if c.threads is not None:
        threads.set_threads_for(c.lib, c.threads)
    if c.setup is not None:
        c.setup()
    # Untimed pause: lets the previous competitor's spinning pool workers go idle before we time.
    time.sleep(SETTLE_S)


def _block(c: Competitor, inner: int) -> float:
    """Seconds per call of ``inner`` back-to-back calls."""
    fn, sync = c.fn, c.sync
    if sync is not None:
        sync()
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    if sync is not None:
        sync()
    return (time.perf_counter() - t0) / inner


def time_interleaved(competitors: list[Competitor], cfg: Config) -> dict[str, Timing]:
    """Median per-call time of each competitor, measured round-robin (see module docstring)."""
    inner: dict[str, int] = {}
    for c in competitors:  # warm-up, and calibrate the block size from it
        _prepare(c)
        calls, t0 = 0, time.perf_counter()
        while True:
            c.fn()
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= cfg.warmup_s or calls >= 10_000:
                break
        if c.sync is not None:
            c.sync()
        per_call = max(elapsed / calls, 1e-7)
        inner[c.name] = max(1, min(100_000, round(cfg.target_block_s / per_call)))
    samples: dict[str, list[float]] = {c.name: [] for c in competitors}
    n = len(competitors)
    for r in range(cfg.repeats):
        for k in range(n):
            c = competitors[(r + k) % n]
            _prepare(c)
            samples[c.name].append(_block(c, inner[c.name]))
    return {
        c.name: Timing(c.name, statistics.median(samples[c.name]), min(samples[c.name]), samples[c.name],
                       inner[c.name], c.threads)
        for c in competitors
    }


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class WorkloadResult:
    """What a workload hands back: tables for the terminal, raw numbers for the JSON, notes, target checks."""

    name: str
    tables: list[Table] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)

    def add_target(self, what: str, value: float | None, limit: float, unit: str = "x") -> None:
        ok = None if value is None else value <= limit
        self.targets.append({"workload": self.name, "what": what, "value": value, "limit": limit, "unit": unit,
                             "met": ok})


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def markdown_table(t: Table) -> str:
    lines = [f"#### {t.title}", "", "| " + " | ".join(t.headers) + " |", "|" + "|".join("---" for _ in t.headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines)


def markdown_report(results: list[WorkloadResult], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    th = meta["threads"]
    out = [f"### minigrad bench — {m['cpu']} ({m['logical_cores']} logical cores), backend {meta['backend']}",
           "",
           f"python {meta['versions']['python']}, numpy {meta['versions']['numpy']}, "
           f"torch {meta['versions']['torch']}, cupy {meta['versions']['cupy']}; "
           f"BLAS threads set per row ({th['blas_method']}), default-thread rows use {meta['default_threads']}; "
           f"medians of {meta['repeats']} interleaved repeats; ratio = minigrad time / competitor time "
           "(below 1 means minigrad is faster); 1-min load average at start/end "
           f"{m.get('loadavg_start', (float('nan'),))[0]:.2f}/{m.get('loadavg_end', (float('nan'),))[0]:.2f}.",
           ""]
    load = max(m.get("loadavg_start", (0,))[0], m.get("loadavg_end", (0,))[0])
    if load > 1.5:  # this run itself accounts for about 1; more means other processes shared the cores
        out += [f"**Warning:** the load average reached {load:.2f} on {m['logical_cores']} cores: other processes "
                "were running, so multi-thread rows (whose threads wait on each other) are unreliable; rerun on an "
                "idle machine for them.", ""]
    for r in results:
        for t in r.tables:
            out += [markdown_table(t), ""]
        for note in r.notes:
            out.append(f"- {note}")
        if r.notes:
            out.append("")
    targets = [t for r in results for t in r.targets]
    if targets:
        out += ["#### Targets (issues 4, 7, 8)", "", "| workload | ratio | value | target | met |", "|---|---|---|---|---|"]
        for t in targets:
            val = "-" if t["value"] is None else (f"{t['value']:.2f}x" if t["unit"] == "x" else f"{t['value']:.2f} {t['unit']}")
            lim = f"≤ {t['limit']}x" if t["unit"] == "x" else f"< {t['limit']} {t['unit']}"
            met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
            out.append(f"| {t['workload']} | {t['what']} | {val} | {lim} | {met} |")
        out.append("")
    return "\n".join(out)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(mod: str) -> str | None:
    try:
        module = __import__(mod)
    except Exception:  # noqa: BLE001 - a broken optional install is reported as missing
        return None
    return getattr(module, "__version__", "unknown")


def metadata(cfg: Config, initial_threads: dict[str, Any] | None = None) -> dict[str, Any]:
    """Machine, library versions and thread settings for the JSON (and the table header).

    ``initial_threads`` is the thread report taken before any workload ran (rows then set their own
    counts, recorded with each timing as ``threads``).
    """
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    meta: dict[str, Any] = {
        "machine": {"cpu": _cpu_model(), "logical_cores": os.cpu_count(), "usable_cores": affinity,
                    "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "numpy": _version("numpy"), "torch": _version("torch"),
                     "cupy": _version("cupy"), "minigrad": _version("minigrad")},
        "threads": initial_threads or threads.thread_report(),
        "threads_note": "each row sets its own library's pool (BLAS for minigrad/hand-written, torch intra-op "
                        "for PyTorch) to its 'threads' and the other pool to 1",
        "default_threads": cfg.threads,
        "repeats": cfg.repeats,
        "backend": cfg.backend,
        "quick": cfg.quick,
        "argv": sys.argv,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if cfg.backend == "cupy":
        try:
            import cupy

            props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
            name = props["name"]
            meta["machine"]["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        except Exception as e:  # noqa: BLE001
            meta["machine"]["gpu"] = f"unavailable ({e})"
    return meta


def write_json(path: str, results: list[WorkloadResult], meta: dict[str, Any]) -> None:
    payload = {"meta": meta,
               "workloads": {r.name: {"raw": r.raw, "notes": r.notes, "targets": r.targets,
                                      "tables": [t.__dict__ for t in r.tables]} for r in results}}
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, default=str)


def timing_raw(timings: dict[str, Timing]) -> dict[str, Any]:
    return {k: v.__dict__ for k, v in timings.items()}
