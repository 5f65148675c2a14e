"""gradcheck: compare the Jacobian from backward() with central finite differences.

Use it on your own functions exactly as in the tests::

    x = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
    mg.gradcheck(lambda x: (x.sigmoid() * x).sum(dim=1), (x,))
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy

from .autograd import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """backward() and finite differences disagree (the message names input, elements and both values)."""


def _outputs(out: Any) -> tuple[Tensor, ...]:
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    if not all(isinstance(o, Tensor) for o in outs):
        raise TypeError("gradcheck: fn must return a Tensor or a sequence of Tensors")
    return outs


def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check d fn(*inputs) / d input for every input tensor with ``requires_grad``.

    The analytical Jacobian is built row by row with backward() on unit upstream gradients; the numerical one
    by central differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a time. Then one more
    backward with a random (seeded) upstream gradient v must give v @ J: with unit gradients alone, a backward
    that ignores its incoming gradient passes whenever an output has a single element. They must agree as
    ``|analytical - numerical| <= atol + rtol * |numerical|``. Inputs should be float64: in float32 an eps of
    1e-6 is below the rounding error, so a warning is given. Returns True, or raises GradcheckError (or
    returns False when ``raise_exception=False``). The caller's tensors and their ``.grad`` are left untouched.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    # Private leaf copies, so the user's .grad is not touched and perturbations stay local.
    xs = [x.detach().clone().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs]
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if xs[i].dtype != numpy.float64:
            warnings.warn(f"gradcheck: input {i} is {xs[i].dtype}, not float64; finite differences with eps={eps} "
                          "will be dominated by rounding error", stacklevel=2)

    outs = _outputs(fn(*xs))
    analytical = {i: [] for i in checked}  # per input: one row per output element
    for o in outs:
        if not o.requires_grad:
            for i in checked:
                analytical[i].extend(numpy.zeros((o.numel(), xs[i].numel())))
            continue
        xp = o.xp
        for k in range(o.numel()):
            for i in checked:
                xs[i].grad = None
            unit = xp.zeros(o.numel(), dtype=o.dtype)
            unit[k] = 1
            o.backward(unit.reshape(o.shape), retain_graph=True)
            for i in checked:
                g = xs[i].grad
                analytical[i].append(numpy.zeros(xs[i].numel()) if g is None else _host_copy(g))

    jacobians = {}  # per input: the numerical Jacobian, (all output elements, input elements)
    with no_grad():
        for i in checked:
            flat = xs[i]._data.reshape(-1)  # a view: writing it perturbs the input in place
            columns = []
            for j in range(flat.size):
                orig = flat[j].item()
                flat[j] = orig + eps
                plus = [_host_copy(o) for o in _outputs(fn(*xs))]
                flat[j] = orig - eps
                minus = [_host_copy(o) for o in _outputs(fn(*xs))]
                flat[j] = orig
                numerical = numpy.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
                columns.append(numerical)
                got = numpy.array([row[j] for row in analytical[i]])
                bad = numpy.abs(got - numerical) > atol + rtol * numpy.abs(numerical)
                if bad.any() or not numpy.isfinite(got).all():
                    k = int(numpy.argmax(bad | ~numpy.isfinite(got)))
                    if not raise_exception:
                        return False
                    where = numpy.unravel_index(j, xs[i].shape)
                    raise GradcheckError(
                        f"Jacobian mismatch for input {i} (shape {tuple(xs[i].shape)}) at element {tuple(int(n) for n in where)}, "
                        f"output element {k}: numerical {float(numerical[k])!r}, analytical {float(got[k])!r} "
                        f"(eps={eps}, atol={atol}, rtol={rtol})")
            jacobians[i] = numpy.stack(columns, axis=1) if columns else numpy.zeros((0, 0))
    return _check_random_upstream(outs, xs, checked, jacobians, atol, rtol, raise_exception)


def _check_random_upstream(outs: tuple[Tensor, ...], xs: list, checked: list[int], jacobians: dict, atol: float,
                           rtol: float, raise_exception: bool) -> bool:
    """One more backward, with a random upstream gradient v, against v @ J from finite differences.

    Unit upstream gradients cannot tell ``g * b`` from ``b`` when an output has one element (g is 1 then), so a
    backward that ignores its incoming gradient would pass; a v far from 1 catches it. Seeded: deterministic."""
    rng = numpy.random.default_rng(0)
    vs = [rng.uniform(0.5, 2.0, o.numel()) * rng.choice((-1.0, 1.0), o.numel()) for o in outs]
    for i in checked:
        xs[i].grad = None
    for o, v in zip(outs, vs):
        if o.requires_grad and o.numel():
            o.backward(Tensor(v.reshape(o.shape), dtype=o.dtype, backend=o.backend), retain_graph=True)
    v = numpy.concatenate(vs) if vs else numpy.zeros(0)
    for i in checked:
        g = xs[i].grad
        got = numpy.zeros(xs[i].numel()) if g is None else _host_copy(g)
        want = v @ jacobians[i] if jacobians[i].size else numpy.zeros(xs[i].numel())
        bad = numpy.abs(got - want) > atol + rtol * numpy.abs(want)
        if bad.any() or not numpy.isfinite(got).all():
            if not raise_exception:
                return False
            j = int(numpy.argmax(bad | ~numpy.isfinite(got)))
            where = numpy.unravel_index(j, xs[i].shape)
            raise GradcheckError(
                f"backward with a random upstream gradient disagrees for input {i} (shape {tuple(xs[i].shape)}) at element "
                f"{tuple(int(n) for n in where)}: v @ numerical Jacobian {float(want[j])!r}, analytical "
                f"{float(got[j])!r} (does backward use its incoming gradient?)")
    return True


def _host_copy(t: Tensor) -> numpy.ndarray:
    """``t``'s values as a flat host array of their own: ``numpy()`` shares memory on the CPU, and an output
    may be a view of the input this check perturbs, or a grad that the next backward overwrites."""
    return numpy.array(t.detach().numpy(), copy=True).reshape(-1)
