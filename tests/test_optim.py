"""minigrad.optim: argument checks, param groups, state, and SGD/Adam trajectories vs torch.optim."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.optim cross-checks are skipped")


def _params(backend: str = "numpy"):
    rng = np.random.default_rng(0)
    w = nn.Parameter(mg.tensor(rng.standard_normal((3, 4)), backend=backend))
    b = nn.Parameter(mg.tensor(rng.standard_normal(3), backend=backend))
    return w, b


# --------------------------------------------------------------------------- arguments and groups
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum value"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
        (lambda p: optim.Adam(p, lr=-1e-3), "Invalid learning rate"),
        (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (lambda p: optim.Adam(p, weight_decay=-1e-2), "Invalid weight_decay value"),
    ],
)
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make(list(_params()))


def test_invalid_params():
    w, b = _params()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([w, np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w, b]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w, b}}], lr=0.1)


def test_param_groups_fill_defaults_and_accept_generators():
    net = nn.Linear(3, 2)
    opt = optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["params"] == list(net.parameters())
    w, b = _params()
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0.5]
    assert opt.param_groups[1]["params"] == [b]
    assert repr(opt).startswith("SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n")


def test_sgd_plain_update_and_groups():
    w, b = _params()
    w0, b0 = w.numpy(), b.numpy()
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    ((w * w).sum() + (b * 3).sum()).backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), w0 - 0.1 * 2 * w0, rtol=1e-15)
    np.testing.assert_allclose(b.numpy(), b0 - 0.01 * 3, rtol=1e-15)
    assert isinstance(w, nn.Parameter) and w.requires_grad and w.dtype == mg.float64


def test_step_skips_params_without_grad_and_keeps_dtype():
    w = nn.Parameter(mg.ones(3))  # float32
    unused = nn.Parameter(mg.ones(2))
    for opt in (optim.SGD([w, unused], lr=0.5), optim.SGD([w, unused], lr=0.5, momentum=0.9), optim.Adam([w, unused])):
        w.grad = None
        (w * 2).sum().backward()
        opt.step()
        assert w.dtype == mg.float32
        np.testing.assert_array_equal(unused.numpy(), [1, 1])
        assert unused not in opt.state


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    w, b = _params()
    opt = optim.Adam([w, b])
    (w.sum() + b.sum()).backward()
    opt.zero_grad(set_to_none=set_to_none)
    for p in (w, b):
        assert (p.grad is None) if set_to_none else (p.grad.shape == p.shape and not p.grad.numpy().any())
    optim.SGD([w], lr=0.1).zero_grad()  # no grads at all: nothing to do


def test_step_bumps_version_so_stale_graphs_fail():
    w = nn.Parameter(mg.tensor(np.array([1.0, 2.0])))
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()  # Mul saves w for backward
    loss.backward(retain_graph=True)
    version = w._version
    opt.step()
    assert w._version > version
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_step_under_no_grad_and_closure():
    w, _ = _params()
    opt = optim.SGD([w], lr=0.1, momentum=0.9)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)  # the closure runs with grad enabled, like PyTorch
    assert loss.requires_grad
    assert optim.SGD([w], lr=0.1).step() is None


def test_maximize_is_minimize_of_the_negation():
    a, _ = _params()
    makers = (lambda p, m: optim.SGD(p, lr=0.1, momentum=0.9, maximize=m), lambda p, m: optim.Adam(p, lr=0.1, maximize=m))
    for make in makers:
        pa, pb = nn.Parameter(a.detach().clone()), nn.Parameter(a.detach().clone())
        oa, ob = make([pa], False), make([pb], True)
        for _ in range(3):
            oa.zero_grad(), ob.zero_grad()
            (pa * pa).sum().backward()
            (-(pb * pb)).sum().backward()
            oa.step(), ob.step()
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())


# --------------------------------------------------------------------------- trajectories vs torch.optim
def _problem(backend: str):
    """A small non-quadratic problem: tanh layer + linear readout, MSE; float64 data."""
    rng = np.random.default_rng(123)
    arrays = {
        "w1": rng.standard_normal((4, 3)) * 0.5,
        "b1": rng.standard_normal(4) * 0.1,
        "w2": rng.standard_normal((2, 4)) * 0.5,
        "b2": np.zeros(2),
        "x": rng.standard_normal((8, 3)),
        "y": rng.standard_normal((8, 2)),
    }
    params = {k: nn.Parameter(mg.tensor(v, backend=backend)) for k, v in arrays.items() if k[0] in "wb"}
    x, y = mg.tensor(arrays["x"], backend=backend), mg.tensor(arrays["y"], backend=backend)

    def loss():
        h = (x @ params["w1"].T + params["b1"]).tanh()
        out = h @ params["w2"].T + params["b2"]
        return ((out - y) ** 2).mean()

    return arrays, params, loss


def _torch_problem(torch, arrays):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items() if k[0] in "wb"}
    x, y = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])

    def loss():
        h = torch.tanh(x @ params["w1"].T + params["b1"])
        out = h @ params["w2"].T + params["b2"]
        return ((out - y) ** 2).mean()

    return params, loss


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.02, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.9), weight_decay=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_trajectory_matches_torch(torch, backend, name, kwargs):
    arrays, params, loss = _problem(backend)
    tparams, tloss = _torch_problem(torch, arrays)
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    topt = getattr(torch.optim, name)(list(tparams.values()), **kwargs)
    for step in range(20):
        opt.zero_grad()
        topt.zero_grad()
        value, tvalue = loss(), tloss()
        assert value.item() == pytest.approx(tvalue.item(), rel=1e-11), f"loss differs at step {step}"
        value.backward()
        tvalue.backward()
        opt.step()
        topt.step()
        for k in params:
            np.testing.assert_allclose(
                params[k].numpy(), tparams[k].detach().numpy(), rtol=1e-11, atol=1e-13,
                err_msg=f"{k} after step {step + 1}",
            )
    assert params["w1"].backend == backend


def test_sgd_momentum_by_hand():
    """Without torch: the first momentum buffer is the raw gradient (no dampening), then m*buf + (1-d)*g."""
    w = nn.Parameter(mg.tensor(np.array([1.0])))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, dampening=0.5)
    expected, buf = 1.0, None
    for _ in range(4):
        opt.zero_grad()
        (w * w).sum().backward()
        g = 2 * expected
        buf = g if buf is None else 0.5 * buf + 0.5 * g
        expected -= 0.1 * buf
        opt.step()
        assert w.item() == pytest.approx(expected, rel=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """Bias correction makes Adam's first step lr * g / (|g| + eps') = lr * sign(g) up to eps."""
    w = nn.Parameter(mg.tensor(np.array([1.0, -2.0, 3.0])))
    opt = optim.Adam([w], lr=0.1, eps=0.0)
    (w * mg.tensor(np.array([5.0, -0.01, 1e-4]))).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9, 2.9], rtol=1e-14)


# --------------------------------------------------------------------------- optimizer state_dict
@pytest.mark.parametrize(
    "make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.05, amsgrad=True)]
)
def test_optimizer_state_dict_round_trip(make):
    _, params, loss = _problem("numpy")
    opt = make(list(params.values()))
    for _ in range(3):
        opt.zero_grad()
        loss().backward()
        opt.step()
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2, 3] and saved["param_groups"][0]["params"] == [0, 1, 2, 3]
    # a fresh optimizer over copies of the parameters, restored, continues exactly like the original
    _, params2, loss2 = _problem("numpy")
    for k in params:
        params2[k].data = params[k].data.copy()
    opt2 = make(list(params2.values()))
    opt2.load_state_dict(saved)
    for _ in range(3):
        for o, lf in ((opt, loss), (opt2, loss2)):
            o.zero_grad()
            lf().backward()
            o.step()
    for k in params:
        np.testing.assert_array_equal(params[k].numpy(), params2[k].numpy(), err_msg=k)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        make([params2["w1"]]).load_state_dict(saved)
