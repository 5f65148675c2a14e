"""Train the assignment notebook's tiny CNN with minigrad: the command line.

    python models/assignment_cnn.py                 # gradient descent (lr 0.01) until E < 1e-4, then a summary
    python models/assignment_cnn.py --trace         # first forward + backward in the notebook's terms
    python models/assignment_cnn.py --audit         # the notebook's backward numbers vs autograd vs finite diff.

The pieces live in the ``models`` package: ``models.notebook`` (the notebook's data and printed values),
``models.assignment_net`` (the network, ``build``), ``models.training`` (the loop, through ``mg.jit`` unless
``--no-jit``), ``models.audit`` (``--trace``, ``--audit``), ``models.numpy_reference`` (the hand-written NumPy
step the tests and the benchmark compare against). Run with ``--help`` for every flag and the exit codes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `import models...` (and the repo's minigrad) importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from models import cli
    cli.bootstrap(__file__)

import minigrad as mg  # noqa: E402
from models import cli  # noqa: E402
from models.assignment_net import VARIANTS, build  # noqa: E402
from models.audit import audit, draw_graph, format_audit, trace  # noqa: E402
from models.notebook import TARGETS  # noqa: E402
from models.training import train  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Train the assignment notebook's CNN with minigrad (plain gradient descent until E < threshold).",
        epilog=cli.EXIT_CODES_HELP, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"], help="array backend")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="floating-point type")
    p.add_argument("--variant", default="notebook", choices=sorted(VARIANTS),
                   help="notebook: the hand-worked network; pytorch: the notebook's SimpleCNNPyTorch")
    p.add_argument("--lr", type=cli.positive_float, default=0.01, help="learning rate")
    p.add_argument("--threshold", type=cli.positive_float, default=1e-4, help="stop when E < threshold")
    p.add_argument("--max-steps", type=cli.non_negative_int, default=1_000_000, help="give up after this many updates")
    p.add_argument("--seed", type=cli.seed, default=0,
                   help="notebook: RandomState(seed).randn init; pytorch: mg.manual_seed(seed)")
    p.add_argument("--jit", action=argparse.BooleanOptionalAction, default=True,
                   help="run the training step through mg.jit (capture once, then replay); --no-jit runs it "
                        "eagerly. Same numbers either way; --trace and --audit always run eagerly")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of text (strict JSON: NaN/inf are null and "
                        "\"finite\": false says so)")
    p.add_argument("--save", metavar="PATH", help="save the trained weights (mg.save, .npz)")
    p.add_argument("--load", metavar="PATH", help="start from weights saved with --save")
    p.add_argument("--plot", metavar="PATH", help="save the loss curve as an image, PNG unless the extension says "
                                                  "otherwise (needs matplotlib: the [plot] extra)")
    p.add_argument("--graph", metavar="PATH",
                   help="draw the autograd graph of E at the starting weights (values and gradients) with mg.viz, "
                        "before training: .svg/.png/.pdf need Graphviz's dot program, .dot writes the DOT text")
    p.add_argument("--trace", action="store_true",
                   help="print the first forward and backward pass in the notebook's terms, then exit")
    p.add_argument("--audit", action="store_true",
                   help="check the notebook's first backward pass against autograd and finite differences, then exit")
    args = p.parse_args(argv)
    if (args.trace or args.audit) and args.variant != "notebook":
        p.error("--trace and --audit describe the notebook's hand-worked network: use --variant notebook")
    if args.audit and (args.seed != 0 or args.load):
        p.error("--audit compares against the notebook's printed numbers, which belong to seed 0: drop --seed/--load")
    if args.trace and args.audit:
        p.error("choose one of --trace and --audit")
    return args


def save_plot(plt: Any, history: list[float], threshold: float, path: str, title: str, ylabel: str = "E") -> None:
    """Loss per update step (log scale) with the threshold line, written to exactly `path`."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(range(len(history)), history, lw=1)
    ax.axhline(threshold, color="grey", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    ax.set_xlabel("update step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120, format=cli.plot_format(path))
    finally:
        plt.close(fig)


def _summary(result: dict[str, Any], args: argparse.Namespace, backend: str) -> str:
    status = (f"converged after {result['steps']:,} steps" if result["converged"] else
              f"diverged (E is not finite) after {result['steps']:,} steps" if result["diverged"] else
              f"NOT converged after {result['steps']:,} steps (--max-steps)")
    o1, o2 = result["outputs"]
    return (f"{status}: E = {result['loss']:.6e} (threshold {args.threshold:g})\n"
            f"O1 = {o1:.10f}, O2 = {o2:.10f} (targets {TARGETS[0]:g}, {TARGETS[1]:g})\n"
            f"wall time {result['seconds']:.2f} s, {result['steps_per_second']:,.0f} steps/s, "
            f"backend {backend}, dtype {args.dtype}, variant {args.variant}, jit {'on' if result['jit'] else 'off'}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``cli.EXIT_CODES_HELP``)."""
    args = parse_args(argv)
    backend = cli.backend_name(args.backend)
    dtype = {"float64": mg.float64, "float32": mg.float32}[args.dtype]

    if args.audit:
        if dtype != mg.float64:
            print("note: --audit always runs in float64 (finite differences need it)", file=sys.stderr)
        result = audit(backend)
        print(cli.dumps(result, indent=1) if args.json else format_audit(result))
        return cli.EXIT_OK if result["fd_agrees"] else cli.EXIT_AUDIT_MISMATCH

    plt = cli.check_outputs(args)  # fail before training, not after
    model, x, target = build(args.variant, args.seed, dtype, backend)
    if args.load:
        cli.load_weights(model, args.load, backend)

    if args.graph:
        try:
            draw_graph(model, x, target, args.graph)
        except (OSError, RuntimeError, ValueError) as e:
            raise SystemExit(f"error: --graph {args.graph!r} failed: {e}") from None
        print(f"graph of E written to {args.graph}", file=sys.stderr if args.json else sys.stdout)

    if args.trace:
        # The notebook's printed values belong to seed 0 and float64 arithmetic.
        print(trace(model, x, target, args.lr, compare=(args.seed == 0 and not args.load and dtype == mg.float64)))
        return cli.EXIT_OK

    result = train(model, x, target, lr=args.lr, threshold=args.threshold, max_steps=args.max_steps,
                   progress=not (args.quiet or args.json), record=bool(args.plot), jit=args.jit)
    history = result.pop("history")
    result.update(variant=args.variant, backend=backend, dtype=args.dtype, lr=args.lr, threshold=args.threshold,
                  seed=args.seed, max_steps=args.max_steps)
    # The summary first: a write that still fails (disk full) must not lose the run's numbers.
    print(cli.dumps(result) if args.json else _summary(result, args, backend), flush=True)
    ylabel = "E (sum of squared errors)" if args.variant == "notebook" else "loss (mean squared error)"
    title = f"{args.variant} variant, {backend} {args.dtype}, lr {args.lr:g}: {result['steps']:,} steps"
    if not cli.write_outputs(args, model, lambda path: save_plot(plt, history, args.threshold, path, title, ylabel),
                             saved="weights saved to", plotted="loss curve saved to"):
        return cli.EXIT_ERROR
    if result["diverged"]:
        return cli.EXIT_DIVERGED
    return cli.EXIT_OK if result["converged"] else cli.EXIT_NOT_CONVERGED


if __name__ == "__main__":
    sys.exit(main())
