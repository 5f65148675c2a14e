"""Command-line helpers shared by the example scripts: output paths checked before any long work, strict JSON,
documented exit codes, matplotlib on demand.

A run that takes minutes must not be lost to a typo in ``--save``: every output path is checked (and probed with
a real temporary file) before training starts, and the summary is printed before anything is written, so even a
write that fails afterwards (disk full) leaves the numbers on screen.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from typing import Any, Callable

# Exit codes (documented in each script's --help).
EXIT_OK = 0
EXIT_ERROR = 1          # a bad path, a missing optional package, an unreadable checkpoint, an unusable backend
EXIT_USAGE = 2          # argparse: bad command-line arguments
EXIT_NOT_CONVERGED = 3  # stopped at --max-steps without reaching the threshold
EXIT_DIVERGED = 4       # the loss became NaN or infinite
EXIT_AUDIT_MISMATCH = 5  # --audit: autograd and finite differences disagree on some row

EXIT_CODES_HELP = (
    "exit codes: 0 success (training converged; --trace printed; --audit: autograd and finite differences agree "
    "on every row); 1 error (unusable output path, missing optional package, unreadable checkpoint, unusable "
    "backend), reported before training starts whenever it can be known then; 2 bad command-line arguments; "
    "3 not converged within --max-steps; 4 diverged (E became NaN or infinite); 5 --audit found autograd and "
    "finite differences disagreeing. A run that ends with 3 or 4 still prints its summary and writes --save/--plot.")

PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "webp", "tif", "tiff", "eps", "ps")
GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "dot", "gv")  # mg.viz.draw's suffixes


def check_graph_path(path: str, flag: str = "--graph") -> str:
    """`check_output_path` for mg.viz.draw: a known suffix, and Graphviz's `dot` program unless the suffix is
    .dot/.gv (DOT text needs no program)."""
    check_output_path(path, flag, GRAPH_FORMATS, require_suffix=True)
    if os.path.splitext(path)[1].lower() not in (".dot", ".gv") and shutil.which("dot") is None:
        raise SystemExit(f"error: {flag} {path!r} needs Graphviz's `dot` program, which is not on PATH. Install "
                         "Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz), or give a "
                         ".dot path to get the DOT text.")
    return path


def check_output_path(path: str, flag: str, suffixes: tuple[str, ...] | None = None,
                      require_suffix: bool = False) -> str:
    """Check that `path` can be written (before any long work); return it, or raise SystemExit naming `flag`.

    The path must not be empty or a directory, its directory must exist and accept a new file (probed with a
    real temporary file, which also catches read-only file systems and root on them), an existing file there
    must be writable, and, when `suffixes` is given, its extension must be one of them (or absent, unless
    `require_suffix`).
    """
    if not path:
        raise SystemExit(f"error: {flag} needs a file path, got an empty string")
    if os.path.isdir(path):
        raise SystemExit(f"error: {flag} {path!r} is a directory; give a file path inside it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent):
        raise SystemExit(f"error: {flag} {path!r}: directory {parent!r} does not exist")
    if not os.path.isdir(parent):
        raise SystemExit(f"error: {flag} {path!r}: {parent!r} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".write-probe-"):
            pass
    except OSError as e:
        raise SystemExit(f"error: {flag} {path!r}: cannot create files in {parent!r} ({e.strerror or e})") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise SystemExit(f"error: {flag} {path!r} exists and is not writable")
    if suffixes is not None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if (ext or require_suffix) and ext not in suffixes:
            what = f"unsupported file type {ext!r}" if ext else "no file extension to tell the format"
            raise SystemExit(f"error: {flag} {path!r}: {what}; use one of {', '.join('.' + s for s in suffixes)}")
    return path


def check_distinct(paths: dict[str, str | None]) -> None:
    """Raise SystemExit when two output flags name the same file (the second write would replace the first)."""
    seen: dict[str, str] = {}
    for flag, path in paths.items():
        if not path:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise SystemExit(f"error: {seen[key]} and {flag} both write {path!r}; give them different paths")
        seen[key] = flag


def plot_format(path: str) -> str:
    """The image format for `path`: its extension, or png when it has none (written at exactly `path`)."""
    return os.path.splitext(path)[1].lower().lstrip(".") or "png"


def json_safe(value: Any) -> tuple[Any, bool]:
    """`value` with every NaN/inf float replaced by None (JSON null), and whether all its floats were finite."""
    finite = True

    def walk(v: Any) -> Any:
        nonlocal finite
        if isinstance(v, float):
            if math.isfinite(v):
                return v
            finite = False
            return None
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        if hasattr(v, "item") and getattr(v, "ndim", None) == 0:  # a NumPy scalar
            return walk(v.item())
        return v

    return walk(value), finite


def dumps(result: dict[str, Any], **kw: Any) -> str:
    """Strict JSON (never NaN/Infinity): non-finite numbers become null and ``"finite": false`` says so."""
    safe, finite = json_safe(result)
    safe["finite"] = finite
    return json.dumps(safe, allow_nan=False, **kw)


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or a clear SystemExit if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("error: --plot needs matplotlib, which is not installed. Install the optional extra: "
                         "pip install -e '.[plot]' (or pip install matplotlib).") from None
    return plt


# ------------------------------------------------------------------------------------------ argparse types
def _number(text: str, kind: type, ok: Callable[[Any], bool], want: str) -> Any:
    """``text`` as ``kind`` (int or float) if ``ok`` says so, else the argparse error naming what was wanted."""
    try:
        v = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if not ok(v):
        raise argparse.ArgumentTypeError(f"must be {want}, got {text}")
    return v


def positive_int(text: str) -> int:
    return _number(text, int, lambda v: v > 0, "> 0")


def non_negative_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, ">= 0")


def non_negative_float(text: str) -> float:
    return _number(text, float, lambda v: v >= 0 and math.isfinite(v), "a finite number >= 0")


SEED_MAX = 2**32 - 1  # numpy.random.RandomState, which seeds the notebook's init, takes [0, 2**32)


def seed(text: str) -> int:
    return _number(text, int, lambda v: 0 <= v <= SEED_MAX, f"in [0, {SEED_MAX}]")


def positive_float(text: str) -> float:
    return _number(text, float, lambda v: v > 0 and math.isfinite(v), "a positive finite number")


def fraction(text: str) -> float:
    return _number(text, float, lambda v: 0.0 <= v < 1.0, "in [0, 1)")


def backend_name(name: str) -> str:
    """``--backend``'s value as a usable backend name, or exit with the reason (e.g. CuPy or a GPU missing)."""
    import minigrad as mg
    try:
        return mg.backend.get_backend(name).name
    except mg.BackendError as e:
        raise SystemExit(f"error: backend {name!r} is not usable here: {e}") from None


# ------------------------------------------------------------------------------------------ the scripts' shape
def bootstrap(script: str) -> None:
    """Called by a script in models/ run as ``python models/x.py``, right after it has put the repository root
    on sys.path to import this module: drop the script's own directory from sys.path, so models/x.py never
    shadows a module x that minigrad or a library imports."""
    here = os.path.dirname(os.path.abspath(script))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def check_outputs(args: argparse.Namespace) -> Any:
    """Every output a run will write (``--save``, ``--plot`` and, where the script has it, ``--graph``),
    checked before training; returns pyplot when --plot is given, else None."""
    graph = getattr(args, "graph", None)
    if args.save is not None:
        check_output_path(args.save, "--save")
    if args.plot is not None:
        check_output_path(args.plot, "--plot", PLOT_FORMATS)
    if graph is not None:
        check_graph_path(graph)
    check_distinct({"--save": args.save, "--plot": args.plot, "--graph": graph})
    return pyplot() if args.plot else None


def load_weights(model: Any, path: str, backend: str) -> None:
    """Load a state dict saved by --save into `model`; any problem becomes one clear SystemExit."""
    import minigrad as mg
    try:
        model.load_state_dict(mg.load(path, backend=backend))  # casts to the model's dtype
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise SystemExit(f"error: cannot load weights from {path!r} into the {type(model).__name__} model: "
                         f"{e}") from None


def write_outputs(args: argparse.Namespace, model: Any, plot: Callable[[str], None] | None,
                  saved: str = "weights saved to", plotted: str = "plot saved to") -> bool:
    """After the summary is printed: write ``--save`` (the model's state dict) and then ``--plot`` (``plot(path)``),
    each failure reported on stderr without losing the other. Returns whether everything requested was written."""
    import minigrad as mg
    ok = True
    if args.save:
        try:
            mg.save(model.state_dict(), args.save)
            if not args.json:
                print(f"{saved} {args.save}")
        except (OSError, ValueError, TypeError) as e:
            print(f"error: --save {args.save!r} failed after training: {e}", file=sys.stderr)
            ok = False
    if args.plot and plot is not None:
        try:
            plot(args.plot)
            if not args.json:
                print(f"{plotted} {args.plot}")
        except (OSError, ValueError) as e:
            print(f"error: --plot {args.plot!r} failed after training: {e}", file=sys.stderr)
            ok = False
    return ok
