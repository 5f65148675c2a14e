"""The in-place protocol: how ``add_``, ``t[i] = v``, ``fill_``, ``copy_``, ``x += y`` and every generated ``X_``
write into a tensor, recorded or not (see the comment on :class:`InplaceMethods`). The op table (optable.py)
attaches these methods to Tensor and builds each op's ``X_`` form with :func:`inplace_form` and its ``out=``
with :func:`write_out`.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, Callable

import numpy

from . import autograd
from ._state import STATE
from .backend import backend_of, transfer
from .factories import default_generator
from .ops import convert, inplace
from .tensor import _NOT_FLOAT_GRAD, Tensor, _host_read, _index_tensors, _raw, _raw_index, _to_array, wrap

__all__ = ["InplaceMethods", "inplace_form", "write_out"]


class InplaceMethods:
    """Methods attached to Tensor by the op table (a holder, never instantiated or subclassed)."""

    # ----------------------------------------------------------------- in-place
    # Outside grad mode, or when nothing involved requires grad, in-place ops write into the array and bump
    # the version. In grad mode, an in-place op on a non-leaf tensor, or one that writes a value requiring grad
    # into a tensor that does not, is recorded (as PyTorch does): the result is computed out of place from a
    # copy of the old value, written back into this tensor's array (so arrays sharing its memory see it), and
    # this tensor object takes the result's grad_fn, so every reference to it sees the graph. Where that can't
    # be made right (the tensor has views or aliases, or a saved-for-backward use) it raises instead. On a leaf
    # that requires grad in-place ops raise, as in PyTorch.
    def _inplace(self, name: str) -> Any:
        if STATE.tracer is not None:  # (the message is built only when it can be needed)
            _host_read(f"the in-place op {name}")
        if self._requires_grad and STATE.grad_enabled:
            what = "a leaf Variable that requires grad" if self.grad_fn is None else "a tensor that is part of a graph"
            raise RuntimeError(f"{name}: {what} is being used in an in-place operation; wrap it in mg.no_grad()")
        self._vc[0] += 1
        return self._data

    def _records_into(self, value: Any) -> bool:
        """In grad mode (callers test that first, so no_grad code such as optimizers pays nothing more):
        whether writing ``value`` into this tensor must be recorded (see above)."""
        if self._requires_grad:
            return self.grad_fn is not None  # a leaf that requires grad is refused by _inplace
        return isinstance(value, Tensor) and value._requires_grad

    def _snapshot(self, name: str) -> "Tensor":
        """This tensor's current value as a constant for the recorded op, after checking it can be rebound."""
        _host_read(f"the in-place op {name}")  # a replay would neither take the snapshot nor write back
        # Only this object's slot and the call's argument may refer to the version counter: views and
        # detach() aliases share it, and those could not be given the graph (they would silently detach).
        if sys.getrefcount(self._vc) > 2:
            raise RuntimeError(
                f"{name}: writing a value that requires grad into a tensor that does not, in place, makes this "
                "tensor part of the graph; but it shares memory with other tensors (a view, a detach() alias) or "
                "was saved for a backward pass, and those can't be given the graph. Use an out-of-place op "
                "(t = t + x) or write into a fresh tensor (t = t.clone()) instead.")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: the value requires grad but this tensor has dtype {self._data.dtype}, and "
                               + _NOT_FLOAT_GRAD.format(self._data.dtype) + "; use an out-of-place op")
        prev = wrap(self._data.copy())
        if self._requires_grad:  # a non-leaf: the old value keeps its place in the graph
            prev.grad_fn, prev._requires_grad = self.grad_fn, True
        return prev

    def _rebind(self, name: str, out: "Tensor") -> "Tensor":
        """Make this tensor the recorded result ``out`` (same shape; cast to this tensor's dtype)."""
        _host_read(f"the in-place op {name}")
        if out.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                               f"{out.shape}")
        if out.dtype != self._data.dtype:
            out = convert.Cast.apply(out, self._data.dtype)
        self._data[...] = out._data
        self._vc[0] += 1
        self.grad_fn = out.grad_fn
        self._requires_grad = out._requires_grad
        return self

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("add_", self._snapshot("add_") + (other if alpha == 1 else other * alpha))
        d, o = self._inplace("add_"), _raw(other)
        try:
            d += o if alpha == 1 else alpha * o
        except (ValueError, TypeError) as e:
            raise _bad_operand("add_", other, self, e) from None
        return self

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("sub_", self._snapshot("sub_") - (other if alpha == 1 else other * alpha))
        d, o = self._inplace("sub_"), _raw(other)
        try:
            d -= o if alpha == 1 else alpha * o
        except (ValueError, TypeError) as e:
            raise _bad_operand("sub_", other, self, e) from None
        return self

    def mul_(self, other: Any) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("mul_", self._snapshot("mul_") * other)
        d = self._inplace("mul_")
        try:
            d *= _raw(other)
        except (ValueError, TypeError) as e:
            raise _bad_operand("mul_", other, self, e) from None
        return self

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> "Tensor":
        if rounding_mode is not None:  # integer-keeping division: the generic in-place protocol
            return _rounded_div_(self, other, rounding_mode=rounding_mode)
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("div_", self._snapshot("div_") / other)
        d = self._inplace("div_")
        try:
            d /= _raw(other)
        except (ValueError, TypeError) as e:
            raise _bad_operand("div_", other, self, e) from None
        return self

    def zero_(self) -> "Tensor":
        if STATE.grad_enabled and self.grad_fn is not None:
            return self.fill_(0)
        self._inplace("zero_").fill(0)
        return self

    def fill_(self, value: float) -> "Tensor":
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(f"fill_ only supports a 0-dimensional value tensor, but got one with shape "
                               f"{value.shape}")
        v = _raw(value)
        if not isinstance(v, (int, float, numpy.generic)) and not (hasattr(v, "ndim") and v.ndim == 0):
            raise TypeError(f"fill_: value must be a number or a 0-d tensor, got {value!r:.80}")
        if STATE.grad_enabled and self._records_into(value):
            return self._rebind("fill_", inplace.IndexPut.apply(self._snapshot("fill_"), value, index=Ellipsis))
        try:
            self._inplace("fill_").fill(v)
        except (ValueError, TypeError) as e:
            raise type(e)(f"fill_: can't fill a tensor of dtype {self.dtype} with value {value!r:.80}: {e}") from None
        return self

    def copy_(self, src: Any) -> "Tensor":
        if STATE.grad_enabled and self._records_into(src):
            if not isinstance(src, Tensor):
                src = wrap(_to_array(src, None, self.backend))
            elif src.backend != self.backend:
                src = src.to(self.backend)
            return self._rebind("copy_", inplace.IndexPut.apply(self._snapshot("copy_"), src, index=Ellipsis))
        d = self._inplace("copy_")
        s = src._data if isinstance(src, Tensor) else src
        if type(s) is not type(d) and backend_of(s) is not backend_of(d):
            s = transfer(s, backend_of(d))
        try:
            d[...] = s
        except (ValueError, TypeError) as e:
            raise type(e)(f"copy_: can't copy src {src!r:.80} into a tensor of shape {self.shape} and dtype "
                          f"{self.dtype}: {e}") from None
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        return self.copy_(default_generator().uniform(a, b, size=self.shape).astype(self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        return self.copy_(default_generator().normal(mean, std, size=self.shape).astype(self.dtype))

    # x += y mutates x, except for a non-leaf in grad mode, where it records x + y (PyTorch would record an
    # in-place op; the value is the same and no saved array is overwritten).
    def _records(self) -> bool:
        return self.grad_fn is not None and autograd.is_grad_enabled()

    def __iadd__(self, other): return self + other if self._records() else self.add_(other)
    def __isub__(self, other): return self - other if self._records() else self.sub_(other)
    def __imul__(self, other): return self * other if self._records() else self.mul_(other)
    def __itruediv__(self, other): return self / other if self._records() else self.div_(other)

    def __setitem__(self, index: Any, value: Any) -> None:
        if STATE.grad_enabled and self._records_into(value):
            out = inplace.IndexPut.apply(self._snapshot("__setitem__"), value, index=_raw_index(index))
            if out.grad_fn is not None:
                out.grad_fn.watch(_index_tensors(index))
            self._rebind("__setitem__", out)
            return
        d, v = self._inplace("__setitem__"), _raw(value)
        try:
            d[_raw_index(index)] = v
        except (ValueError, TypeError) as e:  # NumPy's text names neither the index nor the value
            raise type(e)(f"__setitem__: can't assign value {value!r:.80} at index {index!r:.80} of a tensor of "
                          f"shape {self.shape} and dtype {self.dtype}: {e}") from None
        except OverflowError:
            raise IndexError(f"__setitem__: index {index!r:.80} is out of range for a tensor of shape "
                             f"{self.shape}") from None


def _bad_operand(fn: str, other: Any, t: Tensor, e: Exception) -> Exception:
    """NumPy's text ("setting an array element with a sequence") names neither the call nor the operand. The
    same class as NumPy's error where that is a plain TypeError or ValueError; NumPy's own subclasses (a ufunc
    with no loop for the dtypes) take other constructor arguments, so those become a TypeError."""
    cls = type(e) if type(e) in (TypeError, ValueError) else TypeError
    return cls(f"{fn}: can't apply operand {other!r:.80} to a tensor of shape {t.shape} and dtype {t.dtype}: {e}")


def _check_castable(res: Tensor, dtype: numpy.dtype, name: str) -> None:
    """PyTorch's rule for writing a result into an existing tensor: no float into an integer or bool tensor, no
    integer into a bool one."""
    rank = {"b": 0, "i": 1, "u": 1, "f": 2}
    if rank[res.dtype.kind] > rank[dtype.kind]:
        raise RuntimeError(f"{name}: result type {res.dtype} can't be cast to the desired output type {dtype}")


def inplace_form(impl: Callable, name: str) -> Callable:
    """The ``X_`` method of op ``impl``: compute ``impl(self, ...)`` and write it into ``self``, recorded as
    ``add_`` is when grad mode needs it (self is part of a graph, or an argument requires grad); a leaf that
    requires grad raises, as in PyTorch."""
    def method(self, *args: Any, **kwargs: Any) -> Tensor:
        if STATE.grad_enabled and (self._requires_grad and self.grad_fn is not None or any(
                isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values()))):
            res = impl(self._snapshot(name), *args, **kwargs)
            _check_castable(res, self._data.dtype, name)
            return self._rebind(name, res)
        if STATE.grad_enabled and self._requires_grad:
            self._inplace(name)  # a leaf that requires grad: raises
        with autograd.no_grad():
            res = impl(self, *args, **kwargs)
        _check_castable(res, self._data.dtype, name)
        if res.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape {res.shape}")
        self._inplace(name)[...] = res._data
        return self
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place form of ``{name[:-1]}``: writes the result into this tensor and returns it."
    return method


# div_(rounding_mode=...): the method attached by the op table, through the generic protocol (looked up at call
# time, so this module needs nothing above it)
_rounded_div_ = inplace_form(lambda self, other, rounding_mode: self.div(other, rounding_mode=rounding_mode), "div_")


def write_out(out: Any, res: Any, name: str) -> Any:
    """Write the result ``res`` of op ``name`` into ``out=`` as PyTorch does: ``out`` takes the result's shape
    (resized, with PyTorch's warning when it held elements of another shape), keeps its dtype (the result must
    cast to it safely), and is returned. Differentiable arguments refuse ``out=`` in grad mode, as in PyTorch."""
    if isinstance(res, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(res):
            raise TypeError(f"{name}: out= must be a tuple of {len(res)} tensors")
        written = [write_out(o, r, name) for o, r in zip(out, res)]
        return type(res)(*written) if hasattr(res, "_fields") else tuple(written)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: out= must be a Tensor, got {type(out).__name__}")
    if STATE.grad_enabled and (res._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    _check_castable(res, out._data.dtype, name)
    if out.backend != res.backend:
        raise RuntimeError(f"{name}: out= is on backend {out.backend!r} but the result is on {res.backend!r}")
    if out.shape != res.shape:
        if out._data.size:
            warnings.warn(f"{name}: an output with one or more elements was resized since it had shape {out.shape}, "
                          f"which does not match the required output shape {res.shape}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements.", UserWarning, stacklevel=3)
        out._inplace(name)
        out._data = res._data.astype(out._data.dtype, copy=True)
        return out
    out._inplace(name)[...] = res._data
    return out
