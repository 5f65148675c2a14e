"""Pictures of the autograd graph: `to_dot` (Graphviz DOT text) and `draw` (SVG/PNG/PDF through `dot`).

    loss = model(x).sum()
    print(mg.viz.to_dot(loss, params=dict(model.named_parameters())))
    mg.viz.draw(loss, "graph.svg", show_values=True)    # needs Graphviz's `dot` program

One box per tensor (its name when `params` names it, shape, dtype, and optionally its values and
gradient), one ellipse per op, arrows in the direction data flows: inputs -> op -> output. Python numbers
an op took (the 2 in `x * 2`) appear as small plain nodes. Parameters and other leaves that require grad
are blue, the tensors drawn from are green, and data that needs no gradient is white.

The picture is built from the graph that `backward()` walks, and `backward()` frees it: draw before calling
`backward()`, or call `backward(retain_graph=True)` first (which is also how to see gradients with
`show_grads=True`). Only tensors built in grad mode from something that requires grad have a graph.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Mapping, Sequence

import numpy

from .backend import backend_of
from .tensor import Tensor

__all__ = ["to_dot", "draw"]

# Output formats `draw` hands to `dot -T...`, by file suffix.
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".gif": "gif", ".ps": "ps"}
_TEXT = {".dot", ".gv"}
_FREED = ("the graph of this tensor was freed by backward(): call to_dot/draw before backward(), or call "
          "backward(retain_graph=True) to keep the graph")


def _escape(text: str) -> str:
    """A DOT double-quoted string body: backslashes and quotes escaped, newlines as centred line breaks."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _array_text(array: Any) -> str:
    host = numpy.asarray(backend_of(array).to_host(array))
    if host.ndim == 0:
        return numpy.format_float_positional(host.item(), precision=6, trim="-") if host.dtype.kind == "f" \
            else str(host.item())
    text = numpy.array2string(host, precision=4, threshold=12, edgeitems=2, max_line_width=60, separator=", ")
    return "\n".join(line for line in text.split("\n") if line.strip())  # no blank lines between blocks


def _tensor_label(t: Tensor, name: str | None, show_values: bool, show_grads: bool) -> str:
    lines = [name] if name else []
    where = "" if t.backend == "numpy" else f" {t.backend}"
    lines.append(f"{tuple(t.shape)} {t.dtype}{where}")
    if show_values:
        lines.append("data " + _array_text(t._data))
    # intermediate tensors keep no .grad (unless retain_grad()): only say "None" where one was expected
    if show_grads and (t.grad is not None or (t.requires_grad and t.grad_fn is None)):
        lines.append("grad " + ("None" if t.grad is None else _array_text(t.grad._data)))
    return "\n".join(lines)


def _roots(tensor: Tensor | Sequence[Tensor]) -> list[Tensor]:
    roots = [tensor] if isinstance(tensor, Tensor) else list(tensor)
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(f"to_dot expects a Tensor or a sequence of Tensors, got {type(tensor).__name__}")
    return roots


def to_dot(tensor: Tensor | Sequence[Tensor], show_values: bool = False, show_grads: bool = False,
           params: Mapping[str, Tensor] | None = None, rankdir: str = "TB") -> str:
    """Graphviz DOT text of the graph that produced `tensor` (or each of a sequence of tensors).

    Args:
        tensor: the output(s) to draw from, e.g. a loss; its graph must still exist (see the module notes).
        show_values: add each tensor's values (large arrays abbreviated).
        show_grads: add `.grad` where there is one, and "grad None" on leaves that require grad but have none.
        params: names for tensors, e.g. `dict(model.named_parameters())`; unnamed tensors show shape only.
        rankdir: Graphviz layout direction, "TB" (top to bottom) or "LR" (left to right).
    Returns:
        The text of a `digraph`; render it with `dot -Tsvg` or `draw`.
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be one of 'TB', 'LR', 'BT', 'RL', got {rankdir!r}")
    names = {id(t): n for n, t in (params or {}).items()}
    roots = _roots(tensor)
    root_ids = {id(t) for t in roots}

    ids: dict[int, str] = {}  # id(object) -> DOT node id; `keep` holds the objects so ids stay unique
    keep: list[Any] = []
    lines: list[str] = []
    edges: list[str] = []

    def node_id(obj: Any, prefix: str) -> tuple[str, bool]:
        key = id(obj)
        if key in ids:
            return ids[key], False
        ids[key] = f"{prefix}{len(ids)}"
        keep.append(obj)
        return ids[key], True

    def add_tensor(t: Tensor) -> str:
        nid, new = node_id(t, "t")
        if new:
            if id(t) in root_ids:
                fill = "darkolivegreen1"
            elif t.requires_grad and t.grad_fn is None:
                fill = "lightblue"
            else:
                fill = "white"
            label = _escape(_tensor_label(t, names.get(id(t)), show_values, show_grads))
            lines.append(f'  {nid} [label="{label}", shape=box, style=filled, fillcolor={fill}];')
            stack.append(t)
        return nid

    stack: list[Tensor] = []
    for t in roots:
        add_tensor(t)
    while stack:
        t = stack.pop()
        node = t.grad_fn
        if node is None:
            continue
        op, new = node_id(node, "op")
        edges.append(f"  {op} -> {ids[id(t)]};")
        if not new:
            continue
        if getattr(node, "inputs", None) is None:
            raise RuntimeError(_FREED)
        lines.append(f'  {op} [label="{_escape(type(node).__name__)}", shape=ellipse, style=filled, '
                     f"fillcolor=lightgrey];")
        for i, a in enumerate(node.inputs):
            if isinstance(a, Tensor):
                edges.append(f"  {add_tensor(a)} -> {op};")
            elif isinstance(a, (int, float, bool, numpy.generic)):
                const = f"{op}c{i}"
                lines.append(f'  {const} [label="{_escape(str(a))}", shape=plaintext];')
                edges.append(f"  {const} -> {op};")
    header = ["digraph minigrad {", f"  rankdir={rankdir};",
              '  node [fontname="Helvetica", fontsize=10]; edge [arrowsize=0.7];']
    return "\n".join(header + lines + edges + ["}"]) + "\n"


def draw(tensor: Tensor | Sequence[Tensor], path: str | os.PathLike, format: str | None = None,
         **to_dot_kwargs: Any) -> str:
    """Write the graph of `tensor` to `path`; the format comes from the suffix (.svg, .png, .pdf, ...) or
    `format`. A .dot/.gv path gets the DOT text itself; every other format runs Graphviz's `dot` program.
    Keyword arguments go to `to_dot` (show_values, show_grads, params, rankdir). Returns the path written.

    Raises RuntimeError, saying how to install Graphviz, when `dot` is not on PATH.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    fmt = format.lower().lstrip(".") if format is not None else None
    if fmt is None:
        if suffix in _TEXT:
            fmt = "dot"
        elif suffix in _FORMATS:
            fmt = _FORMATS[suffix]
        else:
            raise ValueError(f"draw: can't tell the format of {path!r} from its suffix {suffix!r}; use one of "
                             f"{sorted(_FORMATS) + sorted(_TEXT)} or pass format=")
    elif fmt not in set(_FORMATS.values()) | {"dot", "gv"}:
        raise ValueError(f"draw: unknown format {format!r}; expected one of {sorted(set(_FORMATS.values()))} or 'dot'")
    text = to_dot(tensor, **to_dot_kwargs)
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            f"draw: writing {fmt.upper()} needs Graphviz's `dot` program, which is not on PATH. Install Graphviz "
            "(Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; conda: `conda install "
            "graphviz`), or save the DOT text instead: draw(tensor, 'graph.dot') or mg.viz.to_dot(tensor) still work."
        )
    result = subprocess.run([dot, f"-T{fmt}", "-o", path], input=text.encode("utf-8"), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"draw: `dot -T{fmt}` failed (exit {result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return path
