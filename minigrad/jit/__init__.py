"""``mg.jit``: record a step once, then replay it as straight-line array code — a replay computes exactly what
eager would compute, bit for bit, or the call is recorded again, or it is refused with an error.

    step = mg.jit(train_step)        # or @mg.jit
    loss = step(x, t)                # 1st call: eager; 2nd: eager and recorded; later: replayed

Eager minigrad pays Python for every op (a Tensor, a graph node, the backward walk) and, on a GPU, one kernel
launch per array call. A training step on a fixed-shape batch does the same work every time, so the 2nd call
records it (as tinygrad's TinyJit and torch.cuda.graphs do) and later calls replay the recording: every
``Function.apply`` (an op's ``forward``), every step of ``backward()`` and every call of a method marked
:func:`replayed` (``Optimizer.step``, ``zero_grad``, gradient clipping), which runs live on every replay and so
sees the current learning rate, Adam's step count and momentum buffers. ``step.source(...)`` shows the replay.

**The contract.**

* *Inputs* are the Tensor arguments of the call, bound to the function's parameter names (``f(x=q, y=p)`` is
  the call ``f(p, q)``), also inside lists, tuples and dicts. A replay reads their current values.
* *State* is every other tensor the function reaches by reference (parameters, buffers, optimizer state): a
  replay reads ``tensor.data`` afresh and updates it in place, as eager does.
* *Every array in the recording has a known origin*: an input, state, a recorded op, or a recorded factory
  (``zeros``, ``full``, ``arange``, ``tensor([...])`` from Python values: fresh on every replay; ``randn``,
  ``rand``, ``randint``: fresh draws, in eager's sequence). A tensor made from an array no op computed (from
  host data or another tensor's values outside an op) is an error at capture time that names where it was made.
* *Constants* are the other, non-tensor arguments and Python values read while recording.
* *A capture is used only for the same signature*, else a new one is recorded (a small LRU cache,
  ``max_captures``): argument names and structure; each tensor's shape, dtype, backend, requires_grad and
  aliasing between arguments (the same tensor, or tensors sharing an array, passed twice); other arguments'
  values; grad mode; the default dtype and backend.
* *Guards re-record it* when, since the capture: an attribute of a Module the call used changed
  (``Module.__setattr__``: hyperparameters such as ``Dropout.p``, ``LeakyReLU.negative_slope``,
  ``BatchNorm.momentum``, a rebound parameter or submodule) or its train/eval mode; a captured tensor's
  requires_grad or shape changed; a closure cell of the function or a global its code names holds another
  value (numbers and strings by value, other objects, such as a model or an optimizer, by identity).
* *Value checks eager makes* (class indices and embedding indices in range, probabilities in [0, 1]) run on
  every replay's values and raise the same errors.
* *Results*: every returned tensor is a new tensor on every call (op results, factories, max_pool2d's indices,
  what a live call such as ``clip_grad_norm_`` returns); an input or state tensor comes back as itself. One
  that eager would return with a graph comes back with ``requires_grad=True`` and a grad_fn whose backward
  raises: a replay records no graph, so ``backward()`` belongs inside the jitted function.

**Refused while recording** (a ``RuntimeError`` naming the call): reading a value on the host (``.item()``,
``.numpy()``, ``.tolist()``, ``float(t)``, ``bool(t)``, an ``if`` on a tensor), in-place tensor ops and
``.data =`` outside the marked methods, in-place random initialisation (``normal_``, ``uniform_``),
``retain_grad`` on intermediate results, assigning a tensor to ``.grad``, a graph built before the capture,
tensors of unknown origin (above).

**Baked in** (read once, at capture; change them and the replay does not notice): Python control flow (the
function must do the same tensor work on every call), and Python values read below the function's own code
and outside minigrad's objects: a float in a helper's closure or in a plain object's attribute, a dict entry,
a mutated list. ``jax.jit`` documents the same limit. Python side effects (printing, appending to a list) run
only while recording. Module attributes changed without ``__setattr__`` (``module.__dict__[...] = ...``) are
not seen.

On CuPy the replay is additionally captured into CUDA graphs (:mod:`minigrad.jit.graphs`): each stretch between
two live calls is one graph launch. A capture that fails finishes the call on the plain replay, turns graphs off
for that capture and warns once with the cause.

Grad mode and the recording in progress are per thread (``minigrad._state``); the default dtype and backend are
process-wide, as PyTorch's default dtype is, and part of the signature.
"""
from __future__ import annotations

from .._state import capturing, refuse_in_capture, replayed
from .call import Jit, jit
from .record import UnknownArrayError

__all__ = ["jit", "Jit", "replayed", "capturing", "refuse_in_capture", "UnknownArrayError"]

jit.__doc__ = f"{jit.__doc__}\n{__doc__}"  # help(mg.jit) shows the contract, written once, above
