"""``autograd.grad`` and ``autograd.backward``: PyTorch's entry points to the general walk (engine.run_backward).

``grad`` returns the gradients of ``outputs`` with respect to ``inputs`` and leaves every ``.grad`` alone;
``backward`` accumulates into ``.grad`` (of ``inputs`` only, when given). With ``create_graph=True`` the
gradients are Tensors with a graph of their own, so they can be differentiated again; ``retain_graph``
defaults to ``create_graph``, as in PyTorch.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import backend
from . import engine

__all__ = ["grad", "backward"]


def _tensors(x: Any, what: str) -> tuple:
    Tensor = engine.Tensor
    if isinstance(x, Tensor):
        return (x,)
    try:
        xs = tuple(x)
    except TypeError:
        raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(x).__name__}") from None
    for t in xs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got an element of type "
                            f"{type(t).__name__}")
    return xs


def _seeds(outputs: tuple, grad_outputs: Any, create_graph: bool) -> list:
    """One upstream gradient per output: arrays, or Tensors when create_graph (they may require grad)."""
    Tensor = engine.Tensor
    if grad_outputs is None:
        gos = (None,) * len(outputs)
    else:
        gos = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    if len(gos) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gos)} grad_outputs for "
                           f"{len(outputs)} outputs")
    seeds = []
    for i, (o, g) in enumerate(zip(outputs, gos)):
        if not o.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            arr = backend.array_module(o._data).ones_like(o._data)
            seeds.append(engine._wrap(arr) if create_graph else arr)
            continue
        if not isinstance(g, Tensor):
            g = Tensor(g, dtype=o.dtype, backend=o.backend)
        if g.shape != o.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] "
                               f"has a shape of {tuple(o.shape)}.")
        if backend.backend_of(g._data) is not backend.backend_of(o._data):
            raise RuntimeError(f"grad_output[{i}] is on backend {g.backend!r} but output[{i}] is on {o.backend!r}")
        if g.dtype != o.dtype:
            raise RuntimeError(f"grad_output[{i}] has dtype {g.dtype} but output[{i}] has dtype {o.dtype}")
        seeds.append(g if create_graph else g._data)
    return seeds


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` (summed, each weighted by its ``grad_outputs`` entry) with respect to each
    of ``inputs``, as a tuple; ``.grad`` is not touched. An input no output depends on raises, unless
    ``allow_unused=True`` (its gradient is None) or ``materialize_grads=True`` (zeros)."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported: minigrad has no vmap; "
                                  "loop over the batch of grad_outputs instead")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    outs = _tensors(outputs, "outputs")
    ins = _tensors(inputs, "inputs")
    if not ins:
        raise RuntimeError("grad requires at least one input")
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _seeds(outs, grad_outputs, create_graph)
    return tuple(engine.run_backward(outs, seeds, retain_graph, create_graph, inputs=ins, accumulate=False,
                                     allow_unused=allow_unused, materialize_grads=materialize_grads))


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Sequence[Any] | Any | None = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs`` only)."""
    outs = _tensors(tensors, "tensors")
    ins = None
    if inputs is not None:
        ins = _tensors(inputs, "inputs")
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in ins:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _seeds(outs, grad_tensors, create_graph)
    engine.run_backward(outs, seeds, retain_graph, create_graph, inputs=ins, accumulate=True)
