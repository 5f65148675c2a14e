"""Profile the minigrad assignment step with cProfile; print the top functions by self time (tottime).

    python -m bench.profile_step [--steps 20000] [--update sgd|manual] [--top 25] [--sort tottime|cumtime]
                                 [--backend numpy|cupy] [--out step.prof]

Per-op Python overhead is the whole cost of this step, so the top of the tottime list is where to cut.
cProfile inflates the cost of Python calls, so compare timings from ``python -m bench``, not from here.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from bench.nets import MinigradAssignment, notebook_init


def profile(steps: int = 20_000, update: str = "manual", backend: str = "numpy", sort: str = "tottime",
            top: int = 25, out: str | None = None) -> str:
    """Profile ``steps`` training steps after a warm-up; return the pstats report as text."""
    net = MinigradAssignment(notebook_init(), backend=backend)
    step = net.step_sgd if update == "sgd" else net.step_manual
    for _ in range(min(1000, steps)):
        step()
    t0 = time.perf_counter()
    for _ in range(min(2000, steps)):
        step()
    unprofiled = (time.perf_counter() - t0) / min(2000, steps)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    if out:
        prof.dump_stats(out)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort)
    buf.write(f"minigrad assignment step ({update} update, {backend}): {unprofiled * 1e6:.1f} µs/step unprofiled; "
              f"cProfile totals over {steps} steps (divide by {steps} for per-step seconds)\n")
    stats.print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--update", choices=["sgd", "manual"], default="manual")
    p.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    p.add_argument("--sort", choices=["tottime", "cumtime", "ncalls"], default="tottime")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", default=None, help="also dump raw stats here (for snakeviz / pstats)")
    args = p.parse_args(argv)
    print(profile(args.steps, args.update, args.backend, args.sort, args.top, args.out))


if __name__ == "__main__":
    main()
