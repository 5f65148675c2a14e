"""Gradient clipping, as torch.nn.utils: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place on ``.grad``).

Both work inside a function captured by ``mg.jit``: there they run live on every replay (like
``Optimizer.step``), between the recorded backward and whatever follows, so each replay clips that call's
gradients.
"""
from __future__ import annotations

import math
from typing import Iterable

from ..autograd import no_grad
from .._state import capturing, replayed
from ..backend import array_module
from ..dtypes import get_default_dtype
from ..tensor import Tensor, wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _params(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters must be Tensors, got {type(p).__name__} at position {i}")
    return params


def _vector_norm(xp, a, p: float):
    """torch.linalg.vector_norm of a flattened array: p = inf is max |a|, -inf min |a|, 0 the count of
    nonzeros, otherwise (sum |a|**p)**(1/p)."""
    a = abs(a.reshape(-1))
    if a.size == 0:
        return xp.zeros((), dtype=a.dtype)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return (a != 0).sum().astype(a.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return xp.sqrt((a * a).sum())
    return (a ** p).sum() ** (1 / p)


class _Live:
    """One clipping call bound to its parameters, run live by mg.jit on every replay (a replayed method may
    take no tensors, so the parameters travel inside the object)."""

    def __init__(self, fn, *args) -> None:
        self.fn, self.args = fn, args

    @replayed
    def run(self):
        return self.fn(*self.args)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type`` norm (float, or ``inf``/``"inf"`` for the largest magnitude) of all
    gradients taken as one vector. Every gradient is multiplied by min(1, max_norm / (total + 1e-6)), as in
    PyTorch. Returns the total norm before clipping, as a 0-d tensor. With ``error_if_nonfinite`` a nan or inf
    total raises instead of spreading nan into every gradient. ``foreach`` is accepted for PyTorch
    compatibility and ignored. Parameters without a gradient are skipped.
    """
    fn = "clip_grad_norm_"
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: norm_type must be a number or 'inf', got {norm_type!r}") from None
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or max_norm != max_norm:
        raise TypeError(f"{fn}: max_norm must be a number, got {max_norm!r}")
    params = _params(parameters, fn)
    if capturing():
        return _Live(_clip_norm, params, max_norm, p, norm_type, error_if_nonfinite).run()
    return _clip_norm(params, max_norm, p, norm_type, error_if_nonfinite)


def _clip_norm(params: list[Tensor], max_norm: float, p: float, norm_type, error_if_nonfinite: bool) -> Tensor:
    fn = "clip_grad_norm_"
    grads = [q.grad for q in params if q.grad is not None]
    if not grads:
        return wrap(array_module(0.0).zeros((), dtype=get_default_dtype()))  # PyTorch: tensor(0.)
    backends = {g.backend for g in grads}
    if len(backends) > 1:
        raise RuntimeError(f"{fn}: gradients are on several backends ({sorted(backends)}); move the model first")
    xp = array_module(grads[0]._data)
    total = _vector_norm(xp, xp.stack([_vector_norm(xp, g._data, p) for g in grads]), p)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"{fn}: the total norm of order {norm_type} for gradients from `parameters` is "
                           f"non-finite ({float(total)}), so it cannot be clipped. To scale the gradients by the "
                           "non-finite norm anyway, set error_if_nonfinite=False")
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef.astype(g.dtype, copy=False))
    return wrap(xp.asarray(total))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient of ``parameters`` in place to [-clip_value, clip_value]."""
    fn = "clip_grad_value_"
    if isinstance(clip_value, bool) or not isinstance(clip_value, (int, float)) or not clip_value >= 0:
        raise ValueError(f"{fn}: clip_value must be a number >= 0, got {clip_value!r}")
    params = _params(parameters, fn)
    if capturing():
        return _Live(_clip_value, params, clip_value).run()
    _clip_value(params, clip_value)


def _clip_value(params: list[Tensor], clip_value: float) -> None:
    with no_grad():
        for p in params:
            if p.grad is not None:
                g = p.grad
                g.copy_(array_module(g._data).clip(g._data, -clip_value, clip_value))
