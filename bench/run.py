"""Run the chosen workloads in order and report them (table on stdout, raw numbers in JSON)."""
from __future__ import annotations

import os
import sys
import time
from typing import Callable

from bench import WORKLOADS
from bench.device import Device, resolve
from bench.harness import Config, WorkloadResult, markdown_report, metadata, write_json
from bench.threads import thread_report


def _registry() -> dict[str, Callable[[Config, Device], WorkloadResult]]:
    from bench.assignment import assignment_step, assignment_train
    from bench.lenet import lenet_step
    from bench.memory import memory
    from bench.ops import ops

    registry = {"assignment-step": assignment_step, "assignment-train": assignment_train, "lenet-step": lenet_step,
                "ops": ops, "memory": memory}
    assert tuple(registry) == WORKLOADS, "bench.WORKLOADS and the registry list the same workloads in one order"
    return registry


def run_workloads(cfg: Config, names: list[str], log: Callable[[str], None] | None = None,
                  dev: Device | None = None) -> list[WorkloadResult]:
    """The results of the named workloads; raises RuntimeError when the backend is unusable."""
    dev = dev or resolve(cfg.backend)
    registry = _registry()
    results = []
    for name in names:
        if log:
            log(f"[bench] {name} ...")
        t0 = time.perf_counter()
        results.append(registry[name](cfg, dev))
        if log:
            log(f"[bench] {name} done in {time.perf_counter() - t0:.1f} s")
    return results


def run_all(cfg: Config, names: list[str], json_path: str | None) -> int:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        dev = resolve(cfg.backend)
    except RuntimeError as e:  # only --backend cupy without CuPy or a GPU gets here
        print(f"bench: --backend {cfg.backend} skipped: {e}", file=sys.stderr)
        return 0
    initial_threads = thread_report()
    load_start = os.getloadavg()  # the machine may be shared: other processes skew multi-thread rows most
    results = run_workloads(cfg, names, log, dev)
    meta = metadata(cfg, initial_threads)
    meta["machine"]["loadavg_start"], meta["machine"]["loadavg_end"] = load_start, os.getloadavg()
    print(markdown_report(results, meta))
    if json_path:
        write_json(json_path, results, meta)
        log(f"[bench] raw numbers written to {json_path}")
    return 0

