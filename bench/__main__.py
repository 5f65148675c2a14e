"""``python -m bench``: run the workloads, print a Markdown table, write a JSON with the raw numbers.

Thread env vars are set before NumPy or torch is imported (they only count at import); BLAS and torch
threads are then also set per row at run time (see bench/threads.py).
"""
from __future__ import annotations

import argparse
import os
import sys

from bench import WORKLOADS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all)")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds per competitor (default 7, --quick 3)")
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"],
                   help="minigrad backend; cupy runs against PyTorch CUDA when present")
    p.add_argument("--threads", type=int, default=None,
                   help="thread count of the multi-thread rows, for BLAS and torch alike (default: all cores); "
                        "1-thread rows are always measured")
    p.add_argument("--json", default="bench-results.json", metavar="PATH", help="where to write the raw numbers (default bench-results.json; '' to skip)")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats, smaller sizes, training capped at 2,000 steps, memory over 5,000 steps")
    p.add_argument("--max-train-steps", type=int, default=None,
                   help="cap for assignment-train (default: 1,000,000, i.e. to convergence; --quick: 2,000)")
    p.add_argument("--memory-steps", type=int, default=None, help="steps for memory (default 100,000; --quick 5,000)")
    args = p.parse_args(argv)
    wanted = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in WORKLOADS]
    if unknown or not wanted:
        p.error(f"unknown workload(s) {unknown}; choose from {','.join(WORKLOADS)}")
    args.workloads = wanted
    for name in ("repeats", "threads", "max_train_steps", "memory_steps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be a positive integer")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads_n = args.threads or cores
    if args.threads and "numpy" not in sys.modules:
        from bench.threads import set_env_threads

        set_env_threads(args.threads)

    from bench.run import run_all
    from bench.harness import Config

    cfg = Config(repeats=args.repeats or (3 if args.quick else 7), backend=args.backend, threads=threads_n,
                 quick=args.quick,
                 max_train_steps=args.max_train_steps or (2_000 if args.quick else 1_000_000),
                 memory_steps=args.memory_steps or (5_000 if args.quick else 100_000))
    if args.quick:
        cfg.target_block_s, cfg.warmup_s = 0.02, 0.05
    return run_all(cfg, args.workloads, args.json)


if __name__ == "__main__":
    sys.exit(main())
