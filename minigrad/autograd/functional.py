"""``mg.autograd.functional``: vjp, jvp, jacobian, hessian, vhp, hvp with PyTorch's signatures and return
structures, built on autograd.grad (``create_graph`` for the second-order ones).

Inputs are a Tensor or a tuple of Tensors, and so is what ``func`` returns; each result mirrors that nesting
(a Tensor for Tensor in / Tensor out, tuples otherwise). Without ``create_graph`` the results are detached.
An output that does not depend on an input gives zeros, or, with ``strict=True``, an error.
``jvp`` uses the double-backward trick (the vjp is linear in v, so its gradient with respect to v is the
jvp), as PyTorch does. ``vectorize`` and the ``strategy`` arguments are accepted and ignored: every
Jacobian is built row by row in reverse mode (minigrad has no vmap and no forward mode).
"""
from __future__ import annotations

from typing import Any, Callable

from . import engine
from .gradients import grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple]:
    Tensor = engine.Tensor
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, (tuple, list)) or not all(isinstance(t, Tensor) for t in x):
        raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the value "
                        f"given has type {type(x).__name__}.")
    return True, tuple(x)


def _prep(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs the function is differentiated at: fresh leaves, or (create_graph) views that keep the graph."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.reshape(t.shape))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _post(xs: tuple, create_graph: bool) -> tuple:
    return tuple(x if x is None or create_graph else x.detach() for x in xs)


def _zeros_like(t: Any) -> Any:
    return engine._wrap(t.xp.zeros_like(t._data))


def _grads(outputs: tuple, inputs: tuple, grad_outputs: Any, create_graph: bool, strict: bool, what: str,
           retain: bool = True) -> tuple:
    """autograd.grad of the outputs that require grad; zeros (or a strict-mode error) for the rest."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        res = (None,) * len(inputs)
    else:
        res = grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain,
                   create_graph=create_graph, allow_unused=True)
    out = []
    for i, (r, x) in enumerate(zip(res, inputs)):
        if r is None:
            if strict:
                raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This "
                                   "is not allowed in strict mode.")
            r = _zeros_like(x)
        out.append(r)
    return tuple(out)


def _check_v(v: Any, refs: tuple, fn: str, arg: str) -> tuple:
    is_tuple, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"The given v should contain a single Tensor per {arg}: got {len(vs)} for {len(refs)}")
    for i, (a, r) in enumerate(zip(vs, refs)):
        if a.shape != r.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {tuple(r.shape)} but got "
                               f"{tuple(a.shape)}.")
    return vs


def _default_v(outs: tuple, fn: str) -> tuple:
    for o in outs:
        if o.numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the user-provided function returns a single "
                               f"Tensor with a single element ({fn}).")
    return tuple(engine._wrap(o.xp.ones_like(o._data)) for o in outs)


def _wrap_out(is_tuple: bool, xs: tuple) -> Any:
    return xs if is_tuple else xs[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product."""
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prep(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
        vs = _default_v(outs, "vjp") if v is None else _check_v(v, outs, "vjp", "output")
        res = _grads(outs, xs, vs, create_graph, strict, "output", retain=create_graph)
    return _wrap_out(out_tuple, _post(outs, create_graph)), _wrap_out(in_tuple, _post(res, create_graph))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
        xs = _prep(xs, create_graph)
        if v is None:
            if any(x.numel() != 1 for x in xs):
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            vs = tuple(engine._wrap(x.xp.ones_like(x._data)) for x in xs)
        else:
            vs = _check_v(v, xs, "jvp", "input")
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
        us = tuple(_zeros_like(o).requires_grad_(True) for o in outs)
        g_in = _grads(outs, xs, us, True, strict, "output")
        pairs = [(g, w) for g, w in zip(g_in, vs) if g.requires_grad]
        if pairs:
            res = grad([g for g, _ in pairs], us, [w for _, w in pairs], create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(us)
        res = tuple(_zeros_like(o) if r is None else r for o, r in zip(outs, res))
        if strict and any(r is None for r in res):
            raise RuntimeError("The output of the user-provided function is independent of its input. This is not "
                               "allowed in strict mode.")
    return _wrap_out(out_tuple, _post(outs, create_graph)), _wrap_out(out_tuple, _post(res, create_graph))


def _jacobian_rows(outs: tuple, xs: tuple, create_graph: bool, strict: bool) -> list:
    """For each output: for each input: d out / d in of shape out.shape + in.shape (one backward per row)."""
    table = []
    for k, o in enumerate(outs):
        per_input = [[] for _ in xs]
        flat = o.reshape(-1)
        for j in range(o.numel()):
            if o.requires_grad:
                rows = grad(flat[j], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
            else:
                rows = (None,) * len(xs)
            for i, (r, x) in enumerate(zip(rows, xs)):
                if r is None:
                    if strict:
                        raise RuntimeError(f"Output {k} of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode.")
                    r = _zeros_like(x)
                per_input[i].append(r)
        table.append(tuple(_stack(rows, o.shape, x, create_graph) for rows, x in zip(per_input, xs)))
    return table


def _stack(rows: list, out_shape: tuple, x: Any, create_graph: bool) -> Any:
    shape = tuple(out_shape) + tuple(x.shape)
    if not rows:  # an empty output: an empty Jacobian
        return engine._wrap(x.xp.zeros(shape, dtype=x.dtype))
    if create_graph:  # a differentiable stack: mg.stack, the one user-level function this module calls
        from ..functions import stack  # (above the autograd package: imported when first used, not at load)
        return stack(rows).reshape(shape)
    return engine._wrap(rows[0].xp.stack([r._data for r in rows]).reshape(shape))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """d func(inputs) / d inputs; for output k and input i an array of shape out_k.shape + in_i.shape, nested
    as the outputs and inputs are (Tensor or tuple)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prep(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
        table = _jacobian_rows(outs, xs, create_graph, strict)
    table = [_post(row, create_graph) for row in table]
    if out_tuple:
        return tuple(row if in_tuple else row[0] for row in table)
    return table[0] if in_tuple else table[0][0]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """Second derivatives of a scalar func: shape in_i.shape + in_j.shape per pair of inputs."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def jac(*ys):
        out = func(*ys)
        if not isinstance(out, engine.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        out = out.reshape(())
        return _grads((out,), ys, (engine._wrap(out.xp.ones_like(out._data)),), True, strict, "output")

    res = jacobian(jac, xs, create_graph=create_graph, strict=strict)
    if not in_tuple:
        return res[0][0]
    return res


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar func."""
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
        xs = _prep(xs, create_graph)
        if v is None:
            if any(x.numel() != 1 for x in xs):
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            vs = tuple(engine._wrap(x.xp.ones_like(x._data)) for x in xs)
        else:
            vs = _check_v(v, xs, "vhp", "input")
        out = func(*xs)
        if not isinstance(out, engine.Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hvp should contain a single element")
        g = _grads((out.reshape(()),), xs, (engine._wrap(out.xp.ones_like(out.reshape(())._data)),), True, strict,
                   "output")
        pairs = [(a, w) for a, w in zip(g, vs) if a.requires_grad]
        res = grad([a for a, _ in pairs], xs, [w for _, w in pairs], create_graph=create_graph,
                   allow_unused=True) if pairs else (None,) * len(xs)
        if strict and any(r is None for r in res):
            raise RuntimeError("The jacobian of the user-provided function is independent of an input. This is not "
                               "allowed in strict mode.")
        res = tuple(_zeros_like(x) if r is None else r for x, r in zip(xs, res))
    return _post((out,), create_graph)[0], _wrap_out(in_tuple, _post(res, create_graph))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a scalar func. The Hessian is symmetric, so this is vhp (PyTorch computes it by
    double backward for the same result)."""
    return vhp(func, inputs, v, create_graph, strict)
