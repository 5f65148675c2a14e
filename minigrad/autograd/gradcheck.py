"""gradcheck and gradgradcheck: compare the Jacobian from backward() with central finite differences.

Use it on your own functions exactly as in the tests::

    x = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
    mg.autograd.gradcheck(lambda x: (x.sigmoid() * x).sum(dim=1), (x,))      # also mg.gradcheck
    mg.autograd.gradgradcheck(lambda x: (x.sigmoid() * x).sum(dim=1), (x,))  # second derivatives

Tensor is not imported (the autograd package imports nothing above it): tensor.py installs it into the engine.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy

from . import function
from .gradients import grad

if TYPE_CHECKING:  # annotations only: at run time the installed class is function.Tensor
    from ..tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """backward() and finite differences disagree (the message names input, elements and both values)."""


def _outputs(out: Any) -> tuple[Tensor, ...]:
    outs = (out,) if isinstance(out, function.Tensor) else tuple(out)
    if not all(isinstance(o, function.Tensor) for o in outs):
        raise TypeError("gradcheck: fn must return a Tensor or a sequence of Tensors")
    return outs


def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
              upstream: Sequence[Any] | None = None) -> bool:
    """Check d fn(*inputs) / d input for every input tensor with ``requires_grad``.

    The analytical Jacobian is built row by row with backward() on unit upstream gradients; the numerical one
    by central differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a time. Then one more
    backward with a random (seeded) upstream gradient v must give v @ J: with unit gradients alone, a backward
    that ignores its incoming gradient passes whenever an output has a single element. They must agree as
    ``|analytical - numerical| <= atol + rtol * |numerical|``. Inputs should be float64: in float32 an eps of
    1e-6 is below the rounding error, so a warning is given. Returns True, or raises GradcheckError (or
    returns False when ``raise_exception=False``). The caller's tensors and their ``.grad`` are left untouched.

    ``upstream``: the upstream gradients of that last check, one per output (arrays or Tensors of the output's
    shape, None for zeros), instead of the seeded random ones: checking a given G costs one backward here, where
    a second gradcheck of ``sum(fn(x) * G)`` would repeat every finite difference.

    ``fast_mode=True`` (PyTorch's fast gradcheck) compares u^T J v for seeded random u and v instead: one
    backward and two evaluations of fn per input instead of one backward per output element and two
    evaluations per input element. It catches most wrong gradients, but not all (an error orthogonal to the
    random projection passes), so the op registry keeps the full check.
    """
    return _gradcheck(fn, fn, inputs, eps, atol, rtol, raise_exception, fast_mode, upstream)


def _gradcheck(fn: Callable[..., Any], values: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float,
               atol: float, rtol: float, raise_exception: bool, fast_mode: bool,
               upstream: Sequence[Any] | None) -> bool:
    """gradcheck, with ``values`` computing fn's values for the finite differences (fn without the graph the
    analytical side needs)."""
    inputs = (inputs,) if isinstance(inputs, function.Tensor) else tuple(inputs)
    # Private leaf copies, so the user's .grad is not touched and perturbations stay local.
    xs = [x.detach().clone().requires_grad_(x.requires_grad) if isinstance(x, function.Tensor) else x for x in inputs]
    checked = [i for i, x in enumerate(xs) if isinstance(x, function.Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if xs[i].dtype != numpy.float64:
            warnings.warn(f"gradcheck: input {i} is {xs[i].dtype}, not float64; finite differences with eps={eps} "
                          "will be dominated by rounding error", stacklevel=2)

    outs = _outputs(fn(*xs))
    if fast_mode:
        return _fast(values, outs, xs, checked, eps, atol, rtol, raise_exception)
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
                analytical[i].append(numpy.zeros(xs[i].numel()) if g is None else g.detach().numpy().copy().reshape(-1))

    jacobians = {}  # per input: the numerical Jacobian, (all output elements, input elements)
    # grad mode stays on: fn may differentiate internally (gradgradcheck's fn calls autograd.grad)
    if True:
        for i in checked:
            flat = xs[i]._data.reshape(-1)  # a view: writing it perturbs the input in place
            columns = []
            for j in range(flat.size):
                orig = flat[j].item()
                flat[j] = orig + eps
                plus = [o.detach().numpy().copy().reshape(-1) for o in _outputs(values(*xs))]
                flat[j] = orig - eps
                minus = [o.detach().numpy().copy().reshape(-1) for o in _outputs(values(*xs))]
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
    return _check_random_upstream(outs, xs, checked, jacobians, atol, rtol, raise_exception, upstream)


def _check_random_upstream(outs: tuple[Tensor, ...], xs: list, checked: list[int], jacobians: dict, atol: float,
                           rtol: float, raise_exception: bool, upstream: Sequence[Any] | None = None) -> bool:
    """One more backward, with a random upstream gradient v, against v @ J from finite differences.

    Unit upstream gradients cannot tell ``g * b`` from ``b`` when an output has one element (g is 1 then), so a
    backward that ignores its incoming gradient would pass; a v far from 1 catches it. Seeded: deterministic."""
    rng = numpy.random.default_rng(0)
    if upstream is None:
        vs = [rng.uniform(0.5, 2.0, o.numel()) * rng.choice((-1.0, 1.0), o.numel()) for o in outs]
    else:
        if len(upstream) != len(outs):
            raise ValueError(f"gradcheck: upstream has {len(upstream)} entries for {len(outs)} outputs")
        vs = [numpy.zeros(o.numel()) if u is None else
              numpy.asarray(u.detach().numpy() if isinstance(u, function.Tensor) else u, dtype=numpy.float64).reshape(o.numel())
              for o, u in zip(outs, upstream)]
    for i in checked:
        xs[i].grad = None
    for o, v in zip(outs, vs):
        if o.requires_grad and o.numel():
            o.backward(function.Tensor(v.reshape(o.shape), dtype=o.dtype, backend=o.backend), retain_graph=True)
    v = numpy.concatenate(vs) if vs else numpy.zeros(0)
    for i in checked:
        g = xs[i].grad
        got = numpy.zeros(xs[i].numel()) if g is None else g.detach().numpy().copy().reshape(-1)
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


def _fast(fn: Callable[..., Any], outs: tuple, xs: list, checked: list[int], eps: float, atol: float, rtol: float,
          raise_exception: bool) -> bool:
    """u^T J v against u . (f(x + eps v) - f(x - eps v)) / 2 eps, per input, for seeded random u and v."""
    rng = numpy.random.default_rng(0)
    us = [rng.uniform(0.5, 2.0, o.numel()) * rng.choice((-1.0, 1.0), o.numel()) for o in outs]
    pairs = [(o, g) for o, g in zip(outs, us) if o.requires_grad and o.numel()]
    grads = grad([o for o, _ in pairs], [xs[i] for i in checked],
                 [function.Tensor(u.reshape(o.shape), dtype=o.dtype, backend=o.backend) for o, u in pairs],
                 retain_graph=True, allow_unused=True) if pairs else [None] * len(checked)
    u = numpy.concatenate(us) if us else numpy.zeros(0)
    for i, g in zip(checked, grads):
        v = rng.uniform(0.5, 2.0, xs[i].numel()) * rng.choice((-1.0, 1.0), xs[i].numel())
        got = 0.0 if g is None else float(g.detach().numpy().copy().reshape(-1) @ v)
        flat = xs[i]._data.reshape(-1)
        orig = flat.copy()
        vv = function.Tensor(v, dtype=xs[i].dtype, backend=xs[i].backend)._data
        flat[...] = orig + eps * vv
        plus = numpy.concatenate([o.detach().numpy().copy().reshape(-1) for o in _outputs(fn(*xs))])
        flat[...] = orig - eps * vv
        minus = numpy.concatenate([o.detach().numpy().copy().reshape(-1) for o in _outputs(fn(*xs))])
        flat[...] = orig
        want = float(u @ ((plus - minus) / (2 * eps)))
        if not numpy.isfinite(got) or abs(got - want) > atol + rtol * abs(want):
            if not raise_exception:
                return False
            raise GradcheckError(f"fast gradcheck: u^T J v for input {i} (shape {tuple(xs[i].shape)}): numerical {want!r}, "
                                 f"analytical {got!r} (eps={eps}, atol={atol}, rtol={rtol}); run with "
                                 "fast_mode=False to find the element")
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False) -> bool:
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> autograd.grad(fn(inputs), inputs,
    grad_outputs, create_graph=True), as PyTorch's gradgradcheck. ``grad_outputs`` default to seeded random
    tensors that require grad, so the derivative with respect to them (the first-order backward itself) is
    checked too."""
    inputs = (inputs,) if isinstance(inputs, function.Tensor) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, function.Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input has requires_grad=True, so there is nothing to check")
    outs = _outputs(fn(*inputs))
    if grad_outputs is None:
        rng = numpy.random.default_rng(1)
        grad_outputs = [function.Tensor(rng.uniform(0.5, 2.0, o.shape) * rng.choice((-1.0, 1.0), o.shape), dtype=o.dtype,
                               backend=o.backend, requires_grad=True) for o in outs if o.requires_grad]
    else:
        grad_outputs = list((grad_outputs,) if isinstance(grad_outputs, function.Tensor) else grad_outputs)
    n = len(inputs)

    def first_order(*args: Any, create_graph: bool = True) -> tuple:
        xs, gos = args[:n], args[n:]
        outs = [o for o in _outputs(fn(*xs)) if o.requires_grad]
        if not outs:
            return tuple(x.detach() * 0 for x in (xs[i] for i in diff))
        grads = grad(outs, [xs[i] for i in diff], gos, create_graph=create_graph, allow_unused=True)
        return tuple(g if g is not None else xs[i].detach() * 0 for i, g in zip(diff, grads))

    # The finite differences need the first derivatives' values only: the same backward without create_graph
    # (the array rules, not a graph of Tensor ops per perturbation).
    return _gradcheck(first_order, lambda *args: first_order(*args, create_graph=False), (*inputs, *grad_outputs),
                      eps, atol, rtol, raise_exception, fast_mode, None)
