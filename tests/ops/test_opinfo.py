"""Generic op tests, derived from the registry (tests/support/opinfo.py, tests/support/opinfo_nn.py, tests/support/opinfo_losses.py).

For every entry:
- test_gradcheck: ``mg.gradcheck`` in float64 on drawn samples (the full Jacobian, unit upstream gradients), then
  a drawn upstream gradient G against G @ (numerical Jacobian) (``gradcheck(upstream=G)``), so a backward that
  mishandles its incoming gradient is caught; inputs must not be mutated, and every gradient has its input's
  shape and dtype. On numpy: backend parity holds the other backends to numpy's gradients;
- test_matches_torch: forward (values and dtype) and backward with a random upstream gradient against PyTorch,
  per listed dtype;
- test_large_matches_torch: the entry's one big input (size-dependent branches) against PyTorch;
- test_backend_parity: forward and backward on the ``backend`` fixture against numpy (skipped on numpy itself,
  where it could not fail), inputs left unchanged and gradients on the input's backend.

Every test runs on the ``backend`` fixture (numpy, cupy, and whatever conftest adds), never on a hard-coded one.
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
import opinfo
from opinfo import OpInfo, Sample

ALL: list[OpInfo] = list(opinfo.OPS)
for _mod in ("opinfo_nn", "opinfo_losses"):
    try:
        ALL += importlib.import_module(_mod).OPS
    except ModuleNotFoundError as e:
        if e.name != _mod:
            raise

torch = opinfo.torch
NO_TORCH = "PyTorch not installed: cross-checks against PyTorch skipped"
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_registry_names_are_unique():
    names = [op.name for op in ALL]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def _params(ops, with_dtypes=False):
    if with_dtypes:
        return [pytest.param(op, d, id=f"{op.name}-{d}") for op in ops for d in op.dtypes]
    return [pytest.param(op, id=op.name) for op in ops]


def _skip_backend(op: OpInfo, backend: str) -> None:
    if backend in op.skip_backends:
        pytest.skip(f"{op.name}: not supported on backend {backend!r} (skip_backends)")


# ----------------------------------------------------------------------------- running a sample

def _wants_grad(s: Sample, i: int, a) -> bool:
    return a.dtype.kind == "f" if s.grad is None else i in s.grad


def _mg_inputs(s: Sample, backend: str, grad: bool = True):
    args = [mg.tensor(a, requires_grad=grad and _wants_grad(s, i, a), backend=backend) if isinstance(a, np.ndarray)
            else a for i, a in enumerate(s.args)]
    kwargs = {k: mg.tensor(v, backend=backend) if isinstance(v, np.ndarray) else v for k, v in s.kwargs.items()}
    return args, kwargs


def _torch_inputs(s: Sample):
    args = [torch.from_numpy(a.copy()).requires_grad_(_wants_grad(s, i, a)) if isinstance(a, np.ndarray) else a
            for i, a in enumerate(s.args)]
    kwargs = {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in s.kwargs.items()}
    return args, kwargs


def _outs(out) -> tuple:
    return (out,) if not isinstance(out, (tuple, list)) else tuple(out)


def _upstream(outs, seed: int = 0) -> list:
    """A random upstream gradient for each float output (None for the others)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(o.shape)).astype(_np_dtype(o)) if _np_dtype(o).kind == "f" else None
            for o in outs]


def _np_dtype(t) -> np.dtype:
    if isinstance(t, mg.Tensor):
        return np.dtype(t.dtype)
    return torch.empty((), dtype=t.dtype).numpy().dtype


def _run_mg(op: OpInfo, s: Sample, backend: str, seed: int = 0):
    """Forward, then backward with a random upstream gradient. Returns (outputs, upstream, input grads)."""
    args, kwargs = _mg_inputs(s, backend)
    outs = _outs(op.op(*args, **kwargs))
    gs = _upstream(outs, seed)
    pairs = [(o, g) for o, g in zip(outs, gs) if g is not None and o.requires_grad]
    if pairs:
        loss = sum((o * mg.tensor(g, backend=backend)).sum() for o, g in pairs)
        loss.backward()
    grads = [a.grad.numpy() if isinstance(a, mg.Tensor) and a.grad is not None else None for a in args]
    return [o.detach().numpy() for o in outs], gs, grads, args


def _run_torch(op: OpInfo, s: Sample, gs: list):
    args, kwargs = _torch_inputs(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notes (F.sigmoid, ...) are not what is tested
        outs = _outs(op.ref(*args, **kwargs))
    pairs = [(o, torch.from_numpy(g)) for o, g in zip(outs, gs) if g is not None and o.requires_grad]
    if pairs:
        torch.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
    grads = [a.grad.numpy() if isinstance(a, torch.Tensor) and a.grad is not None else None for a in args]
    return [o.detach().numpy() for o in outs], grads


def _tol(op: OpInfo, dtype) -> dict:
    if np.dtype(dtype) == np.float64:
        return dict(atol=op.atol * 1e-5, rtol=op.rtol * 1e-3)
    return dict(atol=op.atol, rtol=op.rtol)


def _close(got, want, msg: str, atol: float, rtol: float) -> None:
    """Elementwise, with atol no smaller than rtol times the largest |value|: a float32 sum (a reduction,
    a broadcast operand's gradient) rounds relative to its terms, not to its possibly cancelled result."""
    finite = np.isfinite(want)
    scale = float(np.abs(want[finite]).max()) if finite.any() else 0.0
    np.testing.assert_allclose(got, want, atol=max(atol, rtol * scale), rtol=rtol, equal_nan=True, err_msg=msg)


def _compare(name: str, got: list, want: list, tol_of) -> None:
    assert len(got) == len(want), f"{name}: {len(got)} outputs, expected {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{name}: output {k} has shape {g.shape}, expected {w.shape}"
        assert g.dtype == w.dtype, f"{name}: output {k} has dtype {g.dtype}, expected {w.dtype}"
        if g.dtype.kind in "fc":
            _close(g, w, f"{name}: output {k}", **tol_of(g.dtype))
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{name}: output {k}")


def _compare_grads(name: str, got: list, want: list, args, tol_of) -> None:
    for i, (g, w) in enumerate(zip(got, want)):
        if g is None and w is None:
            continue
        a = args[i]
        g = np.zeros(a.shape, a.dtype) if g is None else g  # an input no output depends on: zero either way
        w = np.zeros(a.shape, a.dtype) if w is None else w
        assert g.shape == w.shape, f"{name}: grad of input {i} has shape {g.shape}, expected {w.shape}"
        _close(g, w, f"{name}: grad of input {i}", **tol_of(g.dtype))


# ----------------------------------------------------------------------------- gradcheck

DIFFERENTIABLE = [op for op in ALL if op.differentiable]


@pytest.mark.finite_differences  # backend parity (below) holds other backends to numpy's gradients
@pytest.mark.parametrize("op", _params(DIFFERENTIABLE))
@FIXTURE_OK
@given(data=st.data())
def test_gradcheck(backend, op: OpInfo, data):
    _skip_backend(op, backend)
    s = data.draw(op.samples("float64"), label="sample")
    snapshots = [a.copy() if isinstance(a, np.ndarray) else None for a in s.args]
    args, kwargs = _mg_inputs(s, backend)
    if not any(isinstance(a, mg.Tensor) and a.requires_grad for a in args):
        return  # nothing differentiable in this draw (e.g. an empty selection)

    def fn(*xs):
        return op.op(*xs, **kwargs)

    # The full Jacobian, then a drawn upstream gradient G: backward(G) against G @ (numerical Jacobian), the
    # gradient of sum(op(x) * G), without repeating the finite differences. (Not fast mode: its one
    # perturbation of all inputs at once is swamped by higher-order terms for ops such as a product over
    # several zeros.)
    gs = _upstream(_outs(fn(*args)), seed=data.draw(st.integers(0, 2**16), label="upstream seed"))
    assert mg.gradcheck(fn, args, upstream=gs)

    def weighted(*xs):
        outs = _outs(fn(*xs))
        terms = [(o * mg.tensor(g, backend=backend)).sum() for o, g in zip(outs, gs) if g is not None]
        return sum(terms[1:], terms[0])

    out = weighted(*args)
    if out.requires_grad:
        out.backward()
    for i, (a, snap) in enumerate(zip(args, snapshots)):
        if snap is None:
            continue
        np.testing.assert_array_equal(a.detach().numpy(), snap, err_msg=f"{op.name}: input {i} mutated")
        np.testing.assert_array_equal(s.args[i], snap, err_msg=f"{op.name}: source array {i} mutated")
        if a.requires_grad and a.grad is not None:
            assert a.grad.shape == a.shape and a.grad.dtype == a.dtype, f"{op.name}: grad of input {i}"
            assert a.grad.backend == backend


# ----------------------------------------------------------------------------- against PyTorch

WITH_REF = [op for op in ALL if op.ref is not None]


@pytest.mark.torch_reference  # backend parity (below) holds other backends to numpy
@pytest.mark.parametrize("op, dtype", _params(WITH_REF, with_dtypes=True))
@FIXTURE_OK
@given(data=st.data())
def test_matches_torch(backend, op: OpInfo, dtype: str, data):
    if torch is None:
        pytest.skip(NO_TORCH)
    _skip_backend(op, backend)
    s = data.draw(op.samples(dtype), label="sample")
    outs, gs, grads, args = _run_mg(op, s, backend)
    want, want_grads = _run_torch(op, s, gs)
    tol = lambda d: _tol(op, d)  # noqa: E731
    _compare(op.name, outs, want, tol)
    _compare_grads(op.name, grads, want_grads, args, tol)


LARGE = [op for op in ALL if op.large is not None and op.ref is not None]


@pytest.mark.slow
@pytest.mark.parametrize("op, dtype", _params(LARGE, with_dtypes=True))
def test_large_matches_torch(backend, op: OpInfo, dtype: str):
    """One big input per entry, so branches taken only for large sizes are checked for values too."""
    if torch is None:
        pytest.skip(NO_TORCH)
    _skip_backend(op, backend)
    s = op.large(np.random.default_rng(0), dtype)
    outs, gs, grads, args = _run_mg(op, s, backend)
    want, want_grads = _run_torch(op, s, gs)
    # Big sums round differently in every library: loosen by the size of the reduction, not per op.
    tol = lambda d: {k: v * 10 for k, v in _tol(op, d).items()}  # noqa: E731
    _compare(op.name, outs, want, tol)
    _compare_grads(op.name, grads, want_grads, args, tol)


# ----------------------------------------------------------------------------- backend parity

@pytest.mark.parametrize("op", _params(ALL))
@FIXTURE_OK
@given(data=st.data())
def test_backend_parity(backend, op: OpInfo, data):
    """The same sample on ``backend`` and on numpy: equal values and gradients, within a few ulps (CuPy's
    exp/log may differ from NumPy's by an ulp)."""
    if backend == "numpy":
        pytest.skip("backend parity compares another backend with numpy; on numpy it could not fail")
    _skip_backend(op, backend)
    s = data.draw(op.samples(op.dtypes[0]), label="sample")
    outs, gs, grads, args = _run_mg(op, s, backend)
    want, _, want_grads, _ = _run_mg(op, s, "numpy")
    tol = lambda d: dict(rtol=64 * np.finfo(d).eps, atol=64 * np.finfo(d).eps)  # noqa: E731
    _compare(op.name, outs, want, tol)
    _compare_grads(op.name, grads, want_grads, args, tol)
    for i, a in enumerate(args):
        if isinstance(a, mg.Tensor):
            np.testing.assert_array_equal(a.detach().numpy(), s.args[i], err_msg=f"{op.name}: input {i} mutated")
            assert a.grad is None or a.grad.backend == backend, f"{op.name}: grad of input {i} left {backend}"
