"""PyTorch's tensor functions as ``mg.X``: the ones with no method (cat, stack, where, einsum) and the function
form of Tensor methods (``mg.exp(x)`` is ``x.exp()``). Argument checks live here and in tensor.py; the maths
lives in minigrad/ops.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

from . import dtypes
from .errors import ShapeError
from .ops import convert, elementwise, linalg, shape as shape_ops
from .tensor import Tensor, _dim, tensor

__all__ = ["cat", "concat", "concatenate", "stack", "where", "einsum", "clamp", "clip", "maximum", "minimum",
           "masked_fill", "gather", "flip", "split", "chunk", "var", "std", "prod", "cumsum", "sum", "mean",
           "max", "min", "argmax", "argmin", "all", "any", "exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu",
           "sin", "cos", "floor", "ceil", "round", "sign", "isnan", "isinf", "matmul", "dot", "reshape",
           "flatten", "transpose", "permute", "squeeze", "unsqueeze", "numel"]


def _tensors(tensors: Sequence[Tensor], fn: str) -> list[Tensor]:
    ts = list(tensors)
    if not ts:
        raise ValueError(f"{fn}: expected a non-empty sequence of tensors")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: expected a sequence of Tensors, but element {i} is {type(t).__name__}")
    return ts


def _same_dtype(ts: list[Tensor]) -> list[Tensor]:
    """Cast to the promoted dtype (PyTorch's rules), differentiably, where dtypes differ."""
    if builtins.all(t.dtype == ts[0].dtype for t in ts):
        return ts
    want = dtypes.result_type(*(t._data for t in ts))
    return [t if t.dtype == want else convert.Cast.apply(t, want) for t in ts]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing ``dim``; their other dims must match. 1-D empty tensors are skipped,
    as PyTorch does for legacy code."""
    ts = _tensors(tensors, "cat")
    ts = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts[:1]
    ref = ts[0]
    if ref.ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    d = _dim(dim, ref.ndim)
    for i, t in enumerate(ts):
        if t.ndim != ref.ndim or builtins.any(m != n for j, (m, n) in enumerate(zip(t.shape, ref.shape)) if j != d):
            raise ShapeError(f"cat: tensor {i} has shape {t.shape}, which does not match {ref.shape} outside dim {dim}")
    ts = _same_dtype(ts)
    return shape_ops.Cat.apply(*ts, axis=d) if len(ts) > 1 else ts[0].clone()


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new ``dim``."""
    ts = _tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: expects tensors of one shape, but tensor 0 has {ts[0].shape} and tensor {i} "
                             f"has {t.shape}")
    d = _dim(dim, ts[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in ts], d)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is True, else ``other``; all three broadcast. ``input``/``other`` may be
    Python scalars (weakly typed: ``where(c, float32_tensor, 0.0)`` stays float32)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {type(condition).__name__}"
                        f"{' of dtype ' + str(condition.dtype) if isinstance(condition, Tensor) else ''}")
    want = dtypes.result_type(*(v._data if isinstance(v, Tensor) else v for v in (input, other)))
    # Scalars become 0-d arrays of the result dtype on the condition's backend: no dtype drift, and CuPy
    # gets arrays.
    a, b = (convert.Cast.apply(v, want) if isinstance(v, Tensor) and v.dtype != want else
            v if isinstance(v, Tensor) else tensor(v, dtype=want, backend=condition.backend) for v in (input, other))
    shapes = [condition.shape, a.shape, b.shape]
    try:
        return elementwise.Where.apply(condition, a, b)
    except ValueError as e:
        raise ShapeError(f"where: shapes {shapes} don't broadcast together") from e


def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Einstein summation, as torch.einsum: ``mg.einsum("bij,bjk->bik", a, b)``; operands may also come as
    one list. Implicit output (no ``->``) and ``...`` work as in PyTorch; repeated subscripts (diagonals)
    are differentiable too."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = _same_dtype(_tensors(operands, "einsum"))
    subs, out = linalg.parse_einsum(equation, [t.shape for t in ts])
    for c in set("".join(subs)):
        sizes = {t.shape[k] for t, s in zip(ts, subs) for k, ch in enumerate(s) if ch == c}
        if len(sizes - {1}) > 1:
            raise ShapeError(f"einsum: subscript {c!r} has sizes {sorted(sizes)} in {equation!r}")
    return linalg.Einsum.apply(*ts, subs=subs, out=out)


# ----------------------------------------------------------------------------- function forms of methods

def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return input.clamp(min, max)


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return input.minimum(other)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    return input.masked_fill(mask, value)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    return input.gather(dim, index)


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    return input.flip(dims)


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return input.chunk(chunks, dim)


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None) -> Tensor:
    return input.var(dim, unbiased, keepdim, correction=correction, axis=axis)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None) -> Tensor:
    return input.std(dim, unbiased, keepdim, correction=correction, axis=axis)


def _method(name: str):
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``mg.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


prod, cumsum, sum, mean, max, min, argmax, argmin, all, any = (
    _method(n) for n in ("prod", "cumsum", "sum", "mean", "max", "min", "argmax", "argmin", "all", "any"))
exp, log, sqrt, abs, sigmoid, tanh, relu, sin, cos = (
    _method(n) for n in ("exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "sin", "cos"))
floor, ceil, round, sign, isnan, isinf, matmul, dot = (
    _method(n) for n in ("floor", "ceil", "round", "sign", "isnan", "isinf", "matmul", "dot"))
reshape, flatten, transpose, permute, squeeze, unsqueeze, numel = (
    _method(n) for n in ("reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "numel"))


# --- ops: sort/argsort/topk/median, bmm/outer, tril/triu/diag/diagonal, roll/narrow, index_select/scatter/
# --- scatter_add/masked_select/nonzero, cumprod, erf/atan2/lerp, isclose/allclose/equal, norm/unflatten/
# --- broadcast_to (function forms of the Tensor methods in tensor.py's block of the same name), randperm, meshgrid
__all__ += ["sort", "argsort", "topk", "median", "bmm", "outer", "ger", "tril", "triu", "diag", "diagonal", "roll",
            "narrow", "index_select", "scatter", "scatter_add", "masked_select", "nonzero", "cumprod", "erf", "atan2",
            "arctan2", "lerp", "isclose", "allclose", "equal", "norm", "unflatten", "broadcast_to", "randperm",
            "meshgrid"]

(sort, argsort, topk, median, bmm, outer, ger, tril, triu, diag, diagonal, roll, narrow, index_select, scatter,
 scatter_add, masked_select, nonzero, cumprod, erf, atan2, arctan2, lerp, isclose, allclose, equal, norm, unflatten,
 broadcast_to) = (
    _method(n) for n in ("sort", "argsort", "topk", "median", "bmm", "outer", "ger", "tril", "triu", "diag",
                         "diagonal", "roll", "narrow", "index_select", "scatter", "scatter_add", "masked_select",
                         "nonzero", "cumprod", "erf", "atan2", "arctan2", "lerp", "isclose", "allclose", "equal",
                         "norm", "unflatten", "broadcast_to"))


def randperm(n: int, *, dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless ``dtype``), from the generator that manual_seed seeds."""
    from .factories import _int_like, default_generator
    if not _int_like(n) or int(n) < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    perm = default_generator().permutation(int(n))
    d = dtypes.int64 if dtype is None else dtype
    out = tensor(perm, dtype=d, backend=backend)
    if requires_grad:
        out.requires_grad_(True)
    return out


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D (or 0-d) tensors: with indexing "ij" (PyTorch's default) output i varies along
    dim i; "xy" swaps the first two dims (NumPy's and MATLAB's convention). Each output broadcasts its input
    (a view; gradients sum back)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = _tensors(tensors, "meshgrid")
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: expected 0-d or 1-d tensors, got a tensor of shape {t.shape}")
        if t.dtype != ts[0].dtype or t.backend != ts[0].backend:
            raise RuntimeError("meshgrid: expects all tensors to have the same dtype and backend")
    sizes = [t.numel() for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        axis = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(ts)
        shape[axis] = t.numel()
        out.append(t.reshape(*shape).expand(*sizes))
    return tuple(out)
