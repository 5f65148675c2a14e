"""Profile a minigrad training step with cProfile; print the top functions by self time (tottime).

    python -m bench.profile_step [--net assignment|lenet] [--steps 20000] [--update sgd|manual] [--top 25]
                                 [--sort tottime|cumtime] [--backend numpy|cupy] [--out step.prof]

For the assignment net per-op Python overhead is the whole cost, so the top of the tottime list is where
to cut; for lenet (batch 256, optim.SGD) it is conv/pool arithmetic (use fewer --steps, e.g. 50).
cProfile inflates the cost of Python calls, so compare timings from ``python -m bench``, not from here.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from bench.nets import MinigradAssignment, MinigradLeNet, lenet_data, lenet_init, notebook_init
from bench.threads import set_threads_for


def profile(steps: int = 20_000, update: str = "manual", backend: str = "numpy", sort: str = "tottime",
            top: int = 25, out: str | None = None, net_name: str = "assignment", threads: int = 1) -> str:
    """Profile ``steps`` training steps after a warm-up; return the pstats report as text."""
    set_threads_for("numpy", threads)  # on a shared 2-core box, 2 BLAS threads make timings erratic
    if net_name == "lenet":
        init, (x, y) = lenet_init(), lenet_data()
        step = MinigradLeNet(init, x, y, backend=backend).step
        update = "sgd"
    else:
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
    buf.write(f"minigrad {net_name} step ({update} update, {backend}, {threads} BLAS thr): {unprofiled * 1e6:.1f} µs/step unprofiled; "
              f"cProfile totals over {steps} steps (divide by {steps} for per-step seconds)\n")
    stats.print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", choices=["assignment", "lenet"], default="assignment")
    p.add_argument("--steps", type=int, default=None, help="profiled steps (default 20000; lenet 50)")
    p.add_argument("--update", choices=["sgd", "manual"], default="manual")
    p.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    p.add_argument("--sort", choices=["tottime", "cumtime", "ncalls"], default="tottime")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--out", default=None, help="also dump raw stats here (for snakeviz / pstats)")
    args = p.parse_args(argv)
    steps = args.steps or (50 if args.net == "lenet" else 20_000)
    print(profile(steps, args.update, args.backend, args.sort, args.top, args.out, args.net, args.threads))


if __name__ == "__main__":
    main()
