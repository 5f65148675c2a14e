"""Every entry of the op registry (tests/opinfo*.py) through mg.jit: forward and backward of a replay equal
eager's bit for bit, over several inputs (new values each call; each drawn sample's shapes make a new capture)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
import opinfo
from jit_harness import assert_jit_matches_eager
from minigrad.jit.record import UnknownArrayError

ALL = list(opinfo.OPS)
for _mod in ("opinfo_nn", "opinfo_losses"):
    ALL += importlib.import_module(_mod).OPS


def _build(op, s, backend: str):
    """A jitted step calling the op on tensors holding shuffled values of the sample's arrays (same domain,
    same shapes), then backward through a random upstream gradient into the inputs' .grad."""
    arg_arrays = [i for i, a in enumerate(s.args) if isinstance(a, np.ndarray)]
    kw_arrays = [k for k, v in s.kwargs.items() if isinstance(v, np.ndarray)]

    def build():
        rng = np.random.default_rng(0)
        state = []

        def args_of(i):
            def shuffled(a):
                return a if i == 0 else rng.permutation(a.ravel()).reshape(a.shape)
            tensors = []
            for k in arg_arrays:
                a = s.args[k]
                wants = a.dtype.kind == "f" if s.grad is None else k in s.grad
                tensors.append(mg.tensor(shuffled(a), requires_grad=wants, backend=backend))
            kws = {k: mg.tensor(shuffled(s.kwargs[k]), backend=backend) for k in kw_arrays}
            state[:] = tensors
            ups = [rng.standard_normal(4) for _ in range(4)]
            return (tuple(tensors), {"kw": kws, "up": mg.tensor(np.concatenate(ups), backend=backend)})

        def step(*tensors, kw, up):
            args = list(s.args)
            for k, t in zip(arg_arrays, tensors):
                args[k] = t
            kwargs = dict(s.kwargs, **kw)
            out = op.op(*args, **kwargs)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            losses = [(o * _upstream(o, up)).sum() for o in outs
                      if isinstance(o, mg.Tensor) and o.requires_grad and o.dtype.kind == "f"]
            if losses:
                sum(losses[1:], losses[0]).backward()
            return [o.detach() if isinstance(o, mg.Tensor) else o for o in outs]

        def grads():
            return [t.grad if t.grad is not None else t for t in state]
        return step, args_of, grads, None
    return build


def _upstream(o: mg.Tensor, up: mg.Tensor) -> mg.Tensor:
    """An upstream gradient of o's shape and dtype, made by ops from the call's input ``up`` (so it changes per
    call and the recording knows where it came from)."""
    n = max(o.numel(), 1)
    reps = -(-n // up.numel())
    return up.repeat(reps)[:n].reshape(o.shape).to(o.dtype) if o.numel() else mg.zeros_like(o)


def _nested_host_array(s) -> bool:
    return any(isinstance(a, (tuple, list)) and any(isinstance(x, np.ndarray) for x in a)
               for a in (*s.args, *s.kwargs.values()))


# Samples the contract refuses at capture (each with the error that says so), never replayed wrongly.
REFUSED = [
    (lambda op, s: _nested_host_array(s), UnknownArrayError, "no recorded op computed"),  # a host index array
    (lambda op, s: op.name == "F.one_hot" and s.args[1] == -1, RuntimeError, "pass num_classes"),  # reads max
    (lambda op, s: op.name == "zero_", RuntimeError, "in-place op fill_ inside a function captured"),  # rebinding
]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in ALL])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(data=st.data())
def test_replay_equals_eager_forward_and_backward(backend, op, data):
    if backend in op.skip_backends:
        pytest.skip(f"{op.name}: not supported on backend {backend!r} (skip_backends)")
    s = data.draw(op.samples(op.dtypes[0]), label="sample")
    for matches, error, message in REFUSED:
        if matches(op, s):
            with pytest.raises(error, match=message):
                assert_jit_matches_eager(_build(op, s, backend), calls=4)
            return
    run = assert_jit_matches_eager(_build(op, s, backend), calls=4)
    assert run.captures == 1
