"""The softmax family and the losses beyond the registry (tests/support/opinfo_losses.py): edge values against
PyTorch (huge and infinite logits, clamped logs, all targets ignored, empty batches), with no NumPy warning,
and every bad argument refused with an error that names it."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch not installed: edge-value cross-checks skipped")
TF = torch.nn.functional


def _pair(x, requires_grad=True, backend="numpy"):
    x = np.asarray(x, dtype=np.float64)
    return mg.tensor(x, requires_grad=requires_grad, backend=backend), torch.tensor(x, requires_grad=requires_grad)


def _check(out, tout, a, ta, atol=1e-12):
    """Values and input gradients (through a fixed upstream gradient) agree, nan where PyTorch has nan."""
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=atol, rtol=1e-10, equal_nan=True)
    g = np.linspace(-1, 1, max(out.numel(), 1)).reshape(out.shape) if out.ndim else np.array(0.7)
    out.backward(mg.tensor(g, backend=a.backend))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.detach().numpy().copy(), ta.grad.detach().numpy().copy(), atol=atol, rtol=1e-10, equal_nan=True)


@pytest.fixture(autouse=True)
def _no_numpy_warnings():
    """Edge values must not trip NumPy's divide/overflow/invalid warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ----------------------------------------------------------------------------- softmax family edge values

def test_softmax_family_huge_and_infinite_logits(backend):
    x = [[1e4, 0.0, -1e4], [-np.inf, 2.0, 1.0], [3.0, -np.inf, -np.inf]]
    for name in ("softmax", "log_softmax"):
        a, ta = _pair(x, backend=backend)
        out, tout = getattr(F, name)(a, dim=1), getattr(TF, name)(ta, dim=1)
        _check(out, tout, a, ta)
    a, ta = _pair(x, backend=backend)
    _check(F.logsumexp(a, 1), torch.logsumexp(ta, 1), a, ta)


def test_logsumexp_all_minus_inf_and_empty_dims():
    a = mg.tensor([[-np.inf, -np.inf], [0.0, 0.0]], dtype=mg.float64)
    np.testing.assert_array_equal(F.logsumexp(a, 1).detach().numpy().copy(), [-np.inf, np.log(2)])
    empty = mg.zeros(3, 0, dtype=mg.float64)
    np.testing.assert_array_equal(F.logsumexp(empty, 1).detach().numpy().copy(), torch.logsumexp(torch.zeros(3, 0), 1).detach().numpy().copy())
    assert F.logsumexp(empty, 0).shape == (0,)
    assert F.softmax(empty, 1).shape == (3, 0) and F.log_softmax(mg.zeros(0, 3), 1).shape == (0, 3)


def test_softmax_of_0d_and_keepdim_tuple_dims():
    assert F.softmax(mg.tensor(2.0), 0).item() == 1.0 and F.log_softmax(mg.tensor(2.0), -1).item() == 0.0
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    out = F.logsumexp(mg.tensor(x), (0, -1), keepdim=True)
    np.testing.assert_allclose(out.detach().numpy().copy(), torch.logsumexp(torch.tensor(x), (0, -1), keepdim=True).detach().numpy().copy())


def test_softmax_implicit_dim_warns_like_pytorch():
    x = mg.randn(2, 3, dtype=mg.float64)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.detach().numpy().copy().sum(axis=1), 1.0)  # PyTorch's legacy choice: dim 1 for 2-D


def test_softmax_dtype_argument_and_methods():
    x = mg.tensor([[1, 2, 3]])  # int64
    with pytest.raises(TypeError, match="softmax: input must be a floating point tensor"):
        F.softmax(x, 1)
    assert F.softmax(x, 1, dtype=mg.float64).dtype == np.float64
    y = mg.randn(2, 3, dtype=mg.float64)
    np.testing.assert_allclose(y.softmax(-1).detach().numpy().copy(), F.softmax(y, -1).detach().numpy().copy())
    np.testing.assert_allclose(y.log_softmax(0).detach().numpy().copy(), F.log_softmax(y, 0).detach().numpy().copy())
    np.testing.assert_allclose(y.logsumexp(1).detach().numpy().copy(), F.logsumexp(y, 1).detach().numpy().copy())


@pytest.mark.parametrize("call, err, match", [
    (lambda x: F.softmax(x, 2), IndexError, "softmax: dim=2 is out of range"),
    (lambda x: F.softmax(x, 1.0), TypeError, "softmax: dim must be an int"),
    (lambda x: F.log_softmax(x, True), TypeError, "log_softmax: dim must be an int"),
    (lambda x: F.logsumexp(x, ()), ValueError, "non-empty tuple"),
    (lambda x: F.logsumexp(x, (0, -2)), ValueError, "more than once"),
    (lambda x: F.softmax([1.0], 0), TypeError, "input must be a minigrad Tensor"),
])
def test_softmax_family_argument_errors(call, err, match):
    with pytest.raises(err, match=match):
        call(mg.randn(2, 3))


def test_softmax_numpy_integer_dim():
    x = mg.randn(2, 3, dtype=mg.float64)
    np.testing.assert_allclose(F.softmax(x, np.int64(1)).detach().numpy().copy(), F.softmax(x, 1).detach().numpy().copy())


# ----------------------------------------------------------------------------- cross entropy and nll

def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = np.random.default_rng(1).standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    a = mg.tensor(x, requires_grad=True)
    F.cross_entropy(a, mg.tensor(y)).backward()
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(a.grad.detach().numpy().copy(), (p - np.eye(3)[y]) / 4, atol=1e-15)


def test_cross_entropy_huge_logits_stay_finite(backend):
    a, ta = _pair([[1e4, -1e4, 0.0], [-5e3, 5e3, 1.0]], backend=backend)
    t = np.array([1, 1])
    out, tout = F.cross_entropy(a, mg.tensor(t, backend=backend), label_smoothing=0.1), \
        TF.cross_entropy(ta, torch.tensor(t), label_smoothing=0.1)
    assert np.isfinite(out.item())
    _check(out, tout, a, ta, atol=1e-9)


def test_cross_entropy_masked_logit_with_class_target():
    """A -inf logit (a masked class) is fine as long as it is not the target and there is no smoothing."""
    a, ta = _pair([[0.5, -np.inf, 1.0], [2.0, 0.0, -np.inf]])
    t = np.array([0, 1])
    _check(F.cross_entropy(a, mg.tensor(t), reduction="none"),
           TF.cross_entropy(ta, torch.tensor(t), reduction="none"), a, ta)


@pytest.mark.parametrize("fn, tfn", [(F.cross_entropy, TF.cross_entropy), (F.nll_loss, TF.nll_loss)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_all_targets_ignored_and_empty_batch(fn, tfn, reduction):
    x = np.random.default_rng(2).standard_normal((3, 4))
    t = np.full(3, 7)
    a, ta = _pair(x)
    out, tout = fn(a, mg.tensor(t), ignore_index=7, reduction=reduction), \
        tfn(ta, torch.tensor(t), ignore_index=7, reduction=reduction)
    _check(out, tout, a, ta)  # mean: nan, as in PyTorch; sum: 0; none: zeros; gradient nan / zero alike
    e, te = _pair(np.zeros((0, 4)))
    out, tout = fn(e, mg.tensor(np.zeros(0, np.int64))), tfn(te, torch.zeros(0, dtype=torch.long))
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())


def test_cross_entropy_weighted_mean_rule_and_spatial_input():
    rng = np.random.default_rng(3)
    x, t, w = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5)), rng.uniform(0.2, 2, 3)
    t[0, 0, :] = -100
    for ls in (0.0, 0.3):
        a, ta = _pair(x)
        out = F.cross_entropy(a, mg.tensor(t), weight=mg.tensor(w), label_smoothing=ls)
        tout = TF.cross_entropy(ta, torch.tensor(t), weight=torch.tensor(w), label_smoothing=ls)
        _check(out, tout, a, ta)


def test_unbatched_input_and_uint8_target():
    a, ta = _pair([0.2, -1.0, 3.0])
    for reduction in ("mean", "none"):
        a.grad, ta.grad = None, None
        out = F.cross_entropy(a, mg.tensor(np.array(2)), reduction=reduction)
        tout = TF.cross_entropy(ta, torch.tensor(2), reduction=reduction)
        assert out.shape == tuple(tout.shape) == ()
        _check(out, tout, a, ta)
    x = np.random.default_rng(4).standard_normal((3, 4))
    t = np.array([3, 0, 1], dtype=np.uint8)
    np.testing.assert_allclose(F.nll_loss(mg.tensor(x), mg.tensor(t)).item(),
                               TF.nll_loss(torch.tensor(x), torch.tensor(t).long()).item())


def test_probability_targets_differentiate_the_target_too():
    rng = np.random.default_rng(5)
    x, p = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    a, ta = _pair(x)
    t, tt = _pair(p)
    out = F.cross_entropy(a, t, weight=mg.tensor(np.arange(1.0, 5.0)), label_smoothing=0.2)
    tout = TF.cross_entropy(ta, tt, weight=torch.tensor(np.arange(1.0, 5.0)), label_smoothing=0.2)
    _check(out, tout, a, ta)
    np.testing.assert_allclose(t.grad.detach().numpy().copy(), tt.grad.detach().numpy().copy(), atol=1e-12)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_target_errors(fn):
    x = mg.randn(3, 4, dtype=mg.float64)
    name = fn.__name__
    with pytest.raises(IndexError, match=rf"{name}: target 4 is out of bounds: expected class indices in \[0, 4\)"):
        fn(x, mg.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        fn(x, mg.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"must have shape minigrad.Size\(\[3\]\) for input of shape minigrad.Size\(\[3, 4\]\).*got minigrad.Size\(\[2\]\)"):
        fn(x, mg.tensor([0, 1]))
    with pytest.raises(TypeError, match="class-index target must be an integer tensor, got dtype float64"):
        fn(x, mg.tensor([0.0, 1.0, 2.0], dtype=mg.float64))
    with pytest.raises(TypeError, match="class-index target must be an integer tensor, got dtype bool"):
        fn(x, mg.tensor([True, False, True]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        fn(x, mg.tensor([0, 1, 2]), mg.ones(3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="not differentiable with respect to weight"):
        fn(x, mg.tensor([0, 1, 2]), mg.ones(4, dtype=mg.float64, requires_grad=True))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(x, mg.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="input must be a floating point tensor"):
        fn(mg.tensor([[1, 2]]), mg.tensor([0]))
    with pytest.raises(ValueError, match="0-d"):
        fn(mg.tensor(1.0), mg.tensor(0))
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        fn(x, mg.tensor([0, 1, 2]), ignore_index=1.5)
    # a weight that requires grad is fine where no graph is built
    with mg.no_grad():
        fn(x, mg.tensor([0, 1, 2]), mg.ones(4, dtype=mg.float64, requires_grad=True))


def test_cross_entropy_probability_and_smoothing_errors():
    x = mg.randn(3, 4, dtype=mg.float64)
    with pytest.raises(TypeError, match="holds class probabilities and must be a float tensor, got dtype int64"):
        F.cross_entropy(x, mg.zeros(3, 4, dtype=mg.int64))
    for bad in (-0.1, 1.5, "0.1", True):
        with pytest.raises(ValueError, match="label_smoothing must be a float in"):
            F.cross_entropy(x, mg.tensor([0, 1, 2]), label_smoothing=bad)


def test_cross_entropy_backend_mismatch_is_refused():
    x = mg.randn(3, 4, dtype=mg.float64)
    if not mg.cupy_available():
        pytest.skip("needs a second backend (CuPy and a GPU)")
    with pytest.raises(RuntimeError, match="backend"):
        F.cross_entropy(x, mg.tensor([0, 1, 2], backend="cupy"))


# ----------------------------------------------------------------------------- binary losses

def test_bce_clamps_logs_at_minus_100_like_pytorch():
    a, ta = _pair([0.0, 1.0, 0.0, 1.0, 0.3])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    out, tout = F.binary_cross_entropy(a, mg.tensor(t), reduction="none"), \
        TF.binary_cross_entropy(ta, torch.tensor(t), reduction="none")
    np.testing.assert_array_equal(out.detach().numpy()[:4], [100.0, 100.0, 0.0, 0.0])
    _check(out, tout, a, ta, atol=1e-6)  # the 1e-12 floor of the gradient's denominator, as in PyTorch


def test_bce_with_logits_is_stable_for_huge_logits(backend):
    a, ta = _pair([-1e4, -50.0, 0.0, 50.0, 1e4], backend=backend)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    pw = np.array([2.0, 0.5, 1.0, 3.0, 1.0])
    for kw, tkw in (({}, {}), ({"pos_weight": mg.tensor(pw, backend=backend)}, {"pos_weight": torch.tensor(pw)})):
        a.grad = ta.grad = None
        out = F.binary_cross_entropy_with_logits(a, mg.tensor(t, backend=backend), reduction="none", **kw)
        tout = TF.binary_cross_entropy_with_logits(ta, torch.tensor(t), reduction="none", **tkw)
        assert np.isfinite(out.detach().numpy()).all()
        _check(out, tout, a, ta)


def test_binary_loss_errors():
    x = mg.tensor([0.2, 0.7], dtype=mg.float64)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*from 0.2 to 1.5"):
        F.binary_cross_entropy(mg.tensor([0.2, 1.5], dtype=mg.float64), x)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(mg.tensor([0.2, np.nan], dtype=mg.float64), x)
    for fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"input shape minigrad.Size\(\[2\]\) and target shape minigrad.Size\(\[2, 1\]\) must match"):
            fn(x, mg.tensor([[1.0], [0.0]], dtype=mg.float64))
        with pytest.raises(TypeError, match="target must be a floating point tensor"):
            fn(x, mg.tensor([1, 0]))
        with pytest.raises(ValueError, match=r"weight of shape minigrad.Size\(\[3\]\) does not broadcast"):
            fn(x, x, weight=mg.ones(3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="not differentiable with respect to pos_weight"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=mg.ones(2, dtype=mg.float64, requires_grad=True))


# ----------------------------------------------------------------------------- regression losses

@pytest.mark.parametrize("fn, tfn, kw", [
    (F.l1_loss, TF.l1_loss, {}),
    (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.0}),
    (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.5}),
    (F.huber_loss, TF.huber_loss, {"delta": 0.5}),
])
def test_regression_losses_at_their_kinks_match_pytorch(fn, tfn, kw):
    """Exactly at d = 0 and |d| = beta/delta both libraries pick the same one-sided slope."""
    a, ta = _pair([0.0, 0.5, -0.5, 2.0, 0.1])
    t = np.zeros(5)
    _check(fn(a, mg.tensor(t, dtype=mg.float64), reduction="none", **kw),
           tfn(ta, torch.tensor(t), reduction="none", **kw), a, ta)


def test_regression_losses_of_empty_tensors_and_int_targets():
    e = mg.zeros(0, dtype=mg.float64)
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        assert np.isnan(fn(e, e).item()) and fn(e, e, reduction="sum").item() == 0.0
    x = mg.tensor([0.5, 2.0], dtype=mg.float32)
    out = F.l1_loss(x, mg.tensor([1, 1]))
    assert out.dtype == np.float32 and out.item() == pytest.approx(0.75)


def test_regression_loss_errors():
    x = mg.randn(3, dtype=mg.float64)
    with pytest.raises(ValueError, match=r"l1_loss: input shape minigrad.Size\(\[3\]\) and target shape minigrad.Size\(\[3, 1\]\) must match exactly"):
        F.l1_loss(x, mg.randn(3, 1, dtype=mg.float64))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be a finite float >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be a finite float > 0, got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.l1_loss(x, x, reduction="mean ")


def test_shape_and_dim_errors_are_catchable_as_pytorch_code_expects():
    """PyTorch raises RuntimeError (and ValueError/IndexError in places): mg.ShapeError and mg.DimError are both."""
    x = mg.randn(3, 4, dtype=mg.float64)
    for exc in (mg.ShapeError, ValueError, RuntimeError):
        with pytest.raises(exc, match="target of class indices must have shape"):
            F.cross_entropy(x, mg.tensor([0, 1]))
        with pytest.raises(exc, match="must match exactly"):
            F.binary_cross_entropy_with_logits(x, mg.zeros(4, 3, dtype=mg.float64))
    for exc in (mg.DimError, IndexError, RuntimeError):
        with pytest.raises(exc, match="log_softmax: dim=-3 is out of range"):
            F.log_softmax(x, -3)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("dtypes", [("float32", "int64"), ("float32", "float64"), ("float64", "float32")],
                         ids=lambda d: "-".join(d))
def test_difference_losses_compute_in_pytorchs_result_type(name, dtypes):
    """float32 input with an int64 target stays float32 (NumPy alone would give float64); two floats give the
    wider one, except huber_loss, which computes in the input's dtype, as PyTorch's does."""
    x, t = np.array([0.5, 2.0, -1.0]), np.array([1, 0, 1])
    a = mg.tensor(x, dtype=getattr(mg, dtypes[0]), requires_grad=True)
    ta = torch.tensor(x, dtype=getattr(torch, dtypes[0]), requires_grad=True)
    out = getattr(F, name)(a, mg.tensor(t).to(getattr(mg, dtypes[1])))
    tout = getattr(TF, name)(ta, torch.tensor(t).to(getattr(torch, dtypes[1])))
    assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1]
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-6)
    out.backward()
    assert a.grad.dtype == a.dtype
    if name != "huber_loss":  # PyTorch's huber_loss backward refuses mixed dtypes ("Found dtype Long but expected Float")
        tout.backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_difference_losses_refuse_an_integer_input_by_name(name):
    with pytest.raises(TypeError, match=f"^{name}: input must be a floating point tensor, got dtype int64"):
        getattr(F, name)(mg.tensor([1, 2]), mg.tensor([1, 3]))
    with pytest.raises(mg.ShapeError, match=f"^{name}: input shape"):
        getattr(F, name)(mg.ones(2), mg.ones(3))
