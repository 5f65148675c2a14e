"""minigrad.optim: argument checks, param groups, state, state dicts and checkpoints, and the trajectories of
SGD, Adam, AdamW, RMSprop and Adagrad against torch.optim in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
from jit_harness import assert_jit_matches_eager
from minigrad import nn, optim
from optim_steps import step_from_torchs_state


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
        (lambda p: optim.AdamW(p, lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda p: optim.AdamW(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda p: optim.AdamW(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda p: optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
        (lambda p: optim.RMSprop(p, lr=-0.01), "Invalid learning rate: -0.01"),
        (lambda p: optim.RMSprop(p, eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda p: optim.RMSprop(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.RMSprop(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.RMSprop(p, alpha=-0.9), "Invalid alpha value: -0.9"),
        (lambda p: optim.Adagrad(p, lr=-0.01), "Invalid learning rate: -0.01"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.Adagrad(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-0.1), "Invalid initial_accumulator_value value"),
        (lambda p: optim.Adagrad(p, eps=-1e-10), "Invalid epsilon value: -1e-10"),
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


def test_named_parameters_keep_their_names(torch):
    net = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    opt = optim.AdamW(net.named_parameters(), lr=0.01)
    assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert opt.param_groups[0]["params"] == list(net.parameters())
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    tsaved = torch.optim.AdamW(tnet.named_parameters(), lr=0.01).state_dict()["param_groups"][0]
    saved = opt.state_dict()["param_groups"][0]
    assert saved["param_names"] == tsaved["param_names"] and saved["params"] == tsaved["params"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [nn.Parameter(mg.ones(1))]})
    w, b = _params()
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("w", w), b], lr=0.1)
    fresh = optim.AdamW(net.parameters())
    fresh.load_state_dict(opt.state_dict())  # saved names come along, as in PyTorch
    assert fresh.param_groups[0]["param_names"] == saved["param_names"]


@pytest.mark.parametrize(
    "name, defaults",
    [
        ("SGD", dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)),
        ("Adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
                      decoupled_weight_decay=False)),
        ("AdamW", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False,
                       decoupled_weight_decay=True)),
        ("RMSprop", dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                         maximize=False)),
        ("Adagrad", dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                         maximize=False)),
    ],
)
def test_defaults_are_pytorchs(name, defaults):
    opt = getattr(optim, name)(list(_params()))
    assert opt.defaults == defaults
    assert {k: v for k, v in opt.param_groups[0].items() if k != "params"} == defaults

def test_sgd_plain_update_and_groups():
    w, b = _params()
    w0, b0 = w.detach().numpy().copy(), b.detach().numpy().copy()  # numpy() shares: step() updates in place
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    ((w * w).sum() + (b * 3).sum()).backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), w0 - 0.1 * 2 * w0, rtol=1e-15)
    np.testing.assert_allclose(b.detach().numpy(), b0 - 0.01 * 3, rtol=1e-15)
    assert isinstance(w, nn.Parameter) and w.requires_grad and w.dtype == mg.float64


def test_step_skips_params_without_grad_and_keeps_dtype():
    w = nn.Parameter(mg.ones(3))  # float32
    unused = nn.Parameter(mg.ones(2))
    for opt in (optim.SGD([w, unused], lr=0.5), optim.SGD([w, unused], lr=0.5, momentum=0.9), optim.Adam([w, unused])):
        w.grad = None
        (w * 2).sum().backward()
        opt.step()
        assert w.dtype == mg.float32
        np.testing.assert_array_equal(unused.detach().numpy(), [1, 1])
        assert unused not in opt.state


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    w, b = _params()
    opt = optim.Adam([w, b])
    (w.sum() + b.sum()).backward()
    opt.zero_grad(set_to_none=set_to_none)
    for p in (w, b):
        assert (p.grad is None) if set_to_none else (p.grad.shape == p.shape and not p.grad.detach().numpy().copy().any())
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
    makers = (
        lambda p, m: optim.SGD(p, lr=0.1, momentum=0.9, maximize=m),
        lambda p, m: optim.Adam(p, lr=0.1, maximize=m),
        lambda p, m: optim.AdamW(p, lr=0.1, maximize=m),
        lambda p, m: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, maximize=m),
        lambda p, m: optim.Adagrad(p, lr=0.1, maximize=m),
    )
    for make in makers:
        pa, pb = nn.Parameter(a.detach().clone()), nn.Parameter(a.detach().clone())
        oa, ob = make([pa], False), make([pb], True)
        for _ in range(3):
            oa.zero_grad(), ob.zero_grad()
            (pa * pa).sum().backward()
            (-(pb * pb)).sum().backward()
            oa.step(), ob.step()
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


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
    ("Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.02, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.05, maximize=True)),
    ("AdamW", dict(lr=0.02, weight_decay=0.0, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.005, weight_decay=0.1, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.002, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, momentum=0.8, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.05, eps=1e-3, lr_decay=0.01, weight_decay=0.05, maximize=True)),
]


STEPS = 60


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_trajectory_matches_torch(torch, backend, name, kwargs):
    arrays, params, loss = _problem(backend)
    tparams, tloss = _torch_problem(torch, arrays)
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    topt = getattr(torch.optim, name)(list(tparams.values()), **kwargs)
    for step in range(STEPS):
        step_from_torchs_state(opt, topt, params, tparams, tloss, backend, f"at step {step + 1}")
    assert params["w1"].backend == backend
    # the state has PyTorch's names (step counts as Python ints, where torch keeps 0-d tensors)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for i, s in theirs["state"].items():
        assert set(ours["state"][i]) == set(s), f"state {i} keys"
    assert {k: v for k, v in ours["param_groups"][0].items()}.items() <= theirs["param_groups"][0].items()
    # the trajectory went somewhere: the problem's loss fell (or rose, for maximize)
    final = loss().item()
    first = _problem("numpy")[2]().item()
    assert (final > first) if kwargs.get("maximize") else (final < first)


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
    np.testing.assert_allclose(w.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-14)


# --------------------------------------------------------------------------- parameter groups vs torch
GROUPED = [
    ("SGD", dict(lr=0.1), dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01), dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.05), dict(lr=0.03, weight_decay=0.0, amsgrad=True)),
    ("RMSprop", dict(lr=0.005), dict(lr=0.001, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1)),
    # (torch reads initial_accumulator_value from the defaults only: see test_adagrad_initial_accumulator_per_group)
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3), dict(lr=0.05, lr_decay=0.1, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, defaults, options", GROUPED, ids=[g[0] for g in GROUPED])
def test_param_groups_with_their_own_options_match_torch(torch, name, defaults, options):
    """Group 0 takes the defaults, group 1 overrides some; a third group joins half-way via add_param_group."""
    arrays, params, loss = _problem("numpy")
    tparams, tloss = _torch_problem(torch, arrays)

    def groups(ps):
        return [{"params": [ps["w1"], ps["b1"]]}, dict(options, params=[ps["w2"]])]

    opt = getattr(optim, name)(groups(params), **defaults)
    topt = getattr(torch.optim, name)(groups(tparams), **defaults)
    assert [g["lr"] for g in opt.param_groups] == [defaults["lr"], options["lr"]]
    for step in range(40):
        if step == 20:
            opt.add_param_group({"params": [params["b2"]], "lr": 0.003})
            topt.add_param_group({"params": [tparams["b2"]], "lr": 0.003})
        step_from_torchs_state(opt, topt, params, tparams, tloss, "numpy", f"at step {step + 1}")
    assert not np.array_equal(params["b2"].detach().numpy().copy(), arrays["b2"])  # the late group did train


def test_adagrad_initial_accumulator_per_group():
    """A group's own initial_accumulator_value is honoured (torch.optim.Adagrad reads only the default)."""
    w, b = _params()
    opt = optim.Adagrad([{"params": [w]}, {"params": [b], "initial_accumulator_value": 3.0}], lr=0.5)
    assert not opt.state[w]["sum"].any() and (opt.state[b]["sum"] == 3.0).all()
    b0 = b.detach().numpy().copy()  # numpy() shares memory: step() updates in place
    (b * 2).sum().backward()
    opt.step()
    np.testing.assert_allclose(b.detach().numpy(), b0 - 0.5 * 2 / (np.sqrt(3.0 + 4) + 1e-10), rtol=1e-15)
    assert opt.state[b]["step"] == 1 and opt.state[w]["step"] == 0  # w had no gradient


# --------------------------------------------------------------------------- in-place updates (for mg.jit)
ALL = [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.05, amsgrad=True, maximize=True),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.1),
    lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
]
ALL_IDS = ["SGD", "SGD-momentum", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_step_updates_parameters_and_state_in_place(backend, make):
    """A captured step (mg.jit) replays array calls on fixed buffers: after its state exists, step() must
    keep every parameter array and state array the same object, and keep step counts as Python ints."""
    _, params, loss = _problem(backend)
    opt = make(list(params.values()))
    opt.zero_grad()
    loss().backward()
    opt.step()
    arrays = {k: p._data for k, p in params.items()}  # the arrays themselves: step() must update them in place
    state = {(k, name): v for k, p in params.items() for name, v in opt.state[p].items()}
    before = {key: v.copy() for key, v in state.items() if key[1] != "step"}
    for _ in range(3):
        opt.zero_grad()
        loss().backward()
        opt.step()
    for k, p in params.items():
        assert p._data is arrays[k], f"{k}: step() replaced the parameter's array"
        assert set(opt.state[p]) == {name for kk, name in state if kk == k}
        for name, v in opt.state[p].items():
            if name == "step":
                assert type(v) is int and v == 4
            else:
                assert v is state[k, name], f"{k}[{name!r}] was replaced instead of updated in place"
    for key, value in before.items():  # the same arrays, with new values
        assert not np.array_equal(mg.tensor(state[key]).detach().numpy(), mg.tensor(value).detach().numpy().copy()), key


# --------------------------------------------------------------------------- optimizer state_dict
def _train(opt, loss, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_optimizer_state_dict_round_trip(make):
    _, params, loss = _problem("numpy")
    opt = make(list(params.values()))
    _train(opt, loss, 3)
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert sorted(saved["state"]) == ([] if not opt.state else [0, 1, 2, 3])
    for s in saved["state"].values():  # copies, as Tensors: training on must not change the saved dict
        assert all(isinstance(v, (int, mg.Tensor)) for v in s.values())
    frozen = {i: {k: (v.detach().numpy().copy() if isinstance(v, mg.Tensor) else v) for k, v in s.items()}
              for i, s in saved["state"].items()}
    # a fresh optimizer over copies of the parameters, restored, continues exactly like the original
    _, params2, loss2 = _problem("numpy")
    for k in params:
        params2[k].data = params[k].detach().clone()
    opt2 = make(list(params2.values()))
    opt2.load_state_dict(saved)
    _train(opt, loss, 3)
    _train(opt2, loss2, 3)
    for k in params:
        np.testing.assert_array_equal(params[k].detach().numpy(), params2[k].detach().numpy(), err_msg=k)
    for i, s in saved["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(v.detach().numpy() if isinstance(v, mg.Tensor) else v, frozen[i][k])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        make([params2["w1"]]).load_state_dict(saved)


def test_load_state_dict_checks_shapes_and_accepts_string_indices_and_lists():
    _, params, loss = _problem("numpy")
    opt = optim.Adam(list(params.values()), lr=0.05)
    _train(opt, loss, 2)
    saved = opt.state_dict()
    # what a file round trip may produce: str indices, a list for the betas tuple, a 0-d step
    relaxed = {
        "state": {str(i): dict(s, step=mg.tensor(float(s["step"]))) for i, s in saved["state"].items()},
        "param_groups": [dict(g, betas=list(g["betas"])) for g in saved["param_groups"]],
    }
    opt2 = optim.Adam(list(params.values()))
    opt2.load_state_dict(relaxed)
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999) and opt2.param_groups[0]["lr"] == 0.05
    assert all(type(opt2.state[p]["step"]) is int and opt2.state[p]["step"] == 2 for p in params.values())
    swapped = {"state": {0: saved["state"][1], 1: saved["state"][0]}, "param_groups": saved["param_groups"]}
    with pytest.raises(ValueError, match=r"optimizer state 0\['exp_avg'\] has shape \(4,\) but its parameter has "
                                         r"shape \(4, 3\)"):
        optim.Adam(list(params.values())).load_state_dict(swapped)


def test_load_state_dict_keeps_parameter_dtype_and_backend(backend):
    """State saved from float64 parameters, loaded into float32 parameters on another backend: cast like torch."""
    _, params, loss = _problem("numpy")
    opt = optim.RMSprop(list(params.values()), momentum=0.9)
    _train(opt, loss, 2)
    p32 = [nn.Parameter(p.detach().to(backend, mg.float32)) for p in params.values()]
    opt32 = optim.RMSprop(p32, momentum=0.9)
    opt32.load_state_dict(opt.state_dict())
    for p in p32:
        for name in ("square_avg", "momentum_buffer"):
            a = opt32.state[p][name]
            assert a.dtype == np.float32 and mg.tensor(a).backend == backend


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_checkpoint_resume_matches_an_uninterrupted_run(tmp_path, make):
    """Train 5 steps, checkpoint model and optimizer to one file with mg.save (no pickle), rebuild both from
    scratch, load, train 5 more: bit-for-bit the same weights as 10 uninterrupted steps."""
    def build():
        mg.manual_seed(7)
        mg.set_default_dtype(mg.float64)  # the autouse fixture restores it
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        return model, make(list(model.parameters()))

    rng = np.random.default_rng(3)
    x, y = mg.tensor(rng.standard_normal((16, 3))), mg.tensor(rng.standard_normal((16, 2)))

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()

    reference, ref_opt = build()
    train(reference, ref_opt, 10)

    model, opt = build()
    train(model, opt, 5)
    mg.save({"model": model.state_dict(), "optim": opt.state_dict(), "step": 5}, tmp_path / "checkpoint.npz")
    del model, opt
    model, opt = build()
    checkpoint = mg.load(tmp_path / "checkpoint.npz")
    assert checkpoint["step"] == 5
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optim"])
    train(model, opt, 5)
    for (name, a), (_, b) in zip(model.state_dict().items(), reference.state_dict().items()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)


def test_torch_state_dict_converted_to_arrays_loads(torch):
    """An optimizer state trained in PyTorch (tensors turned into NumPy arrays) resumes in minigrad."""
    arrays, params, loss = _problem("numpy")
    tparams, tloss = _torch_problem(torch, arrays)
    topt = torch.optim.AdamW(list(tparams.values()), lr=0.02, amsgrad=True)
    _train(topt, tloss, 5)
    sd = topt.state_dict()
    converted = {
        "state": {i: {k: v.detach().numpy().copy() for k, v in s.items()} for i, s in sd["state"].items()},
        "param_groups": sd["param_groups"],
    }
    for k in params:
        params[k].data = tparams[k].detach().numpy().copy()
    opt = optim.AdamW(list(params.values()))
    opt.load_state_dict(converted)
    assert opt.param_groups[0]["lr"] == 0.02 and opt.param_groups[0]["amsgrad"]
    # every step loads torch's converted state the same way, then steps from it (see the trajectories)
    for step in range(10):
        step_from_torchs_state(opt, topt, params, tparams, tloss, "numpy", f"at step {step + 1} after loading")


# --------------------------------------------------------------------------- under mg.jit
JIT_OPTIMIZERS = [
    lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    lambda ps: optim.RMSprop(ps, lr=0.005, momentum=0.9, centered=True, weight_decay=0.01),
    lambda ps: optim.Adagrad(ps, lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1),
]


@pytest.mark.parametrize("graphs", [None, "graphs"], ids=["replay", "graph-replay"])
@pytest.mark.parametrize("make_opt", JIT_OPTIMIZERS, ids=["AdamW", "Adam-decoupled", "RMSprop", "Adagrad"])
def test_jitted_training_step_equals_eager(backend, make_opt, graphs):
    """The step runs live on every replay (state created on the first step, step counts, in-place updates):
    the jitted run gives the eager run's losses and weights bit for bit, also through the CUDA-graph path
    (emulated with fixed buffers on NumPy)."""
    rng = np.random.default_rng(0)
    batches = [(mg.tensor(rng.standard_normal((6, 3)), backend=backend),
                mg.tensor(rng.standard_normal((6, 2)), backend=backend)) for _ in range(10)]

    def build():
        mg.manual_seed(0)
        mg.set_default_dtype(mg.float64)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(backend)
        opt = make_opt(list(model.parameters()))

        def step(x, t):
            opt.zero_grad()
            loss = mg.nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss
        return step, lambda i: batches[i], model.parameters, None
    assert_jit_matches_eager(build, calls=10, graphs=("cuda" if backend == "cupy" else "emulate") if graphs else None)


# --------------------------------------------------------------------------- what mutation testing found unchecked
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_step_returns_the_closures_loss_and_uses_its_gradients(make):
    w, b = _params()
    opt = make([w, b])
    ref_w, ref_b = _params()
    ref = make([ref_w, ref_b])

    def closure():
        opt.zero_grad()
        loss = (w * w).sum() + b.sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, mg.Tensor) and loss.item() == pytest.approx(float((ref_w.detach().numpy() ** 2).sum() + ref_b.detach().numpy().sum()))
    ((ref_w * ref_w).sum() + ref_b.sum()).backward()
    ref.step()
    np.testing.assert_array_equal(w.detach().numpy(), ref_w.detach().numpy())
    np.testing.assert_array_equal(b.detach().numpy(), ref_b.detach().numpy())


@pytest.mark.parametrize("make", ALL[1:], ids=ALL_IDS[1:])  # all but plain SGD, which keeps no state
def test_load_state_dict_with_partial_state_starts_the_missing_ones_fresh(make):
    """Saved state for the second parameter only, listed after an index that matches no parameter: the unknown
    index is skipped, the second parameter's state loads, and the first starts fresh, as in a new optimizer."""
    w, b = _params()
    opt = make([w, b])
    for _ in range(2):
        opt.zero_grad()
        ((w * w).sum() + (b * b).sum()).backward()
        opt.step()
    saved = opt.state_dict()
    fresh_w, _ = _params()
    w2, b2 = _params()
    opt2 = make([w2, b2])
    opt2.load_state_dict({"state": {7: {}, 1: saved["state"][1]}, "param_groups": saved["param_groups"]})
    b2.data = b.detach().clone()  # where the saved run left it
    opt2.zero_grad()
    ((w2 * w2).sum() + (b2 * b2).sum()).backward()
    opt2.step()
    ref = make([fresh_w])
    ((fresh_w * fresh_w).sum()).backward()
    ref.step()
    np.testing.assert_allclose(w2.detach().numpy(), fresh_w.detach().numpy(), rtol=1e-15, atol=0)
    opt.zero_grad()
    ((w * w).sum() + (b * b).sum()).backward()
    opt.step()
    np.testing.assert_allclose(b2.detach().numpy(), b.detach().numpy(), rtol=1e-15, atol=0)


def test_adagrad_after_loading_a_stateless_dict_steps_like_a_new_one():
    w, _ = _params()
    opt = optim.Adagrad([w], lr=0.1, initial_accumulator_value=0.5)
    opt.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    ref_w, _ = _params()
    ref = optim.Adagrad([ref_w], lr=0.1, initial_accumulator_value=0.5)
    for o, p in ((opt, w), (ref, ref_w)):
        (p * p).sum().backward()
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), ref_w.detach().numpy())


def test_load_state_dict_group_options():
    """Saved groups lacking a newer option get the default; loaded groups are copies; names follow the saved dict
    when it has them and are kept otherwise."""
    w, b = _params()
    opt = optim.SGD([("w", w), ("b", b)], lr=0.1)
    saved = opt.state_dict()
    del saved["param_groups"][0]["maximize"]
    saved["param_groups"][0]["param_names"] = ["first", "second"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["maximize"] is False and opt.param_groups[0]["param_names"] == ["first", "second"]
    saved["param_groups"][0]["param_names"].append("changed later")
    assert opt.param_groups[0]["param_names"] == ["first", "second"]
    del saved["param_groups"][0]["param_names"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["param_names"] == ["first", "second"]  # kept: the saved dict has none
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["params"] == [w, b]


def test_load_state_dict_mismatch_messages():
    w, b = _params()
    opt = optim.SGD([w, b], lr=0.1)
    saved = opt.state_dict()
    with pytest.raises(ValueError) as info:
        opt.load_state_dict({"state": {}, "param_groups": saved["param_groups"] * 2})
    assert str(info.value) == "loaded state dict has a different number of parameter groups"
    with pytest.raises(ValueError) as info:
        opt.load_state_dict({"state": {}, "param_groups": [dict(saved["param_groups"][0], params=[0])]})
    assert str(info.value) == ("loaded state dict contains a parameter group that doesn't match the size of "
                               "optimizer's group")
    with pytest.raises(ValueError) as info:
        opt.load_state_dict({"state": {0: {"step": np.zeros(2)}}, "param_groups": saved["param_groups"]})
    assert str(info.value) == "optimizer state 0 has a 'step' of shape (2,), expected one number"


def test_loaded_state_keeps_fractional_steps_and_integer_arrays():
    w, _ = _params()
    opt = optim.SGD([w], lr=0.1)
    counts = np.arange(12, dtype=np.int32).reshape(3, 4)
    opt.load_state_dict({"state": {0: {"step": np.array(2.5), "counts": counts}},
                         "param_groups": opt.state_dict()["param_groups"]})
    assert opt.state[w]["step"] == 2.5 and isinstance(opt.state[w]["step"], float)
    assert opt.state[w]["counts"].dtype == np.int32
    np.testing.assert_array_equal(opt.state[w]["counts"], counts)


def test_repr_lists_each_groups_options():
    w, _ = _params()
    assert repr(optim.SGD([w], lr=0.1)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
        "    weight_decay: 0\n)")


def test_lr_zero_is_allowed_and_group_errors_name_the_problem():
    w, b = _params()
    optim.SGD([w], lr=0.0).step()  # torch accepts 0; only negative learning rates are refused
    with pytest.raises(TypeError) as info:
        optim.SGD([w, np.zeros(3)], lr=0.1)
    assert str(info.value) == "optimizer can only optimize Tensors, but one of the params is ndarray"
    with pytest.raises(ValueError) as info:
        optim.SGD([{"params": [w]}, {"params": [w, b]}], lr=0.1)
    assert str(info.value) == "some parameters appear in more than one parameter group"
    named = optim.SGD([("w", w)], lr=0.1)
    with pytest.raises(ValueError) as info:
        named.add_param_group({"params": [b]})
    assert str(info.value) == ("all optimizer param groups should be with/without names. cannot add param group "
                               "without names to the optimizer")
    unnamed = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError) as info:
        unnamed.add_param_group({"params": [("b", b)]})
    assert str(info.value).endswith("cannot add param group with names to the optimizer")
    with pytest.raises(TypeError, match="dampening"):
        optim.SGD([w], lr=0.1, dampening="0")


def test_duplicate_parameters_warning_points_at_the_callers_line():
    w, b = _params()
    for build in (lambda: optim.SGD([w, w], lr=0.1), lambda: optim.SGD([b], lr=0.1).add_param_group({"params": [w, w]})):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            build()
        assert len(record) == 1 and record[0].filename == __file__
        assert str(record[0].message) == ("optimizer contains a parameter group with duplicate parameters; in future, "
                                          "this will cause an error")


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: optim.Adagrad(p, lr=0.1)], ids=["SGD", "SGD-momentum", "Adagrad"])
def test_no_weight_decay_leaves_an_infinite_parameter_infinite(make):
    """weight_decay=0 must skip the decay term: 0 * inf would turn the infinite entry into nan."""
    w = nn.Parameter(mg.tensor([np.inf, 1.0]))
    opt = make([w])
    w.grad = mg.tensor([1.0, 1.0])
    opt.step()
    assert w.detach().numpy()[0] == np.inf and np.isfinite(w.detach().numpy()[1])


def test_optimizer_subclass_step_runs_live_under_jit():
    """A user's Optimizer subclass gets its step() marked for replay, so a jitted step reads its current state."""
    class Halving(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=1.0))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data = p.data - group["lr"] * p.grad.data
                group["lr"] /= 2

    assert Halving.__dict__["step"].__wrapped_replayed__
    w = nn.Parameter(mg.tensor([8.0]))
    opt = Halving([w])

    @mg.jit
    def train_step():
        opt.zero_grad()
        (w * 1.0).sum().backward()
        opt.step()

    for _ in range(4):
        train_step()
    assert w.detach().numpy()[0] == 8.0 - (1 + 0.5 + 0.25 + 0.125)


def test_adamw_loading_an_adam_state_dict_stays_decoupled():
    w, _ = _params()
    adam = optim.Adam([w], lr=0.1, weight_decay=0.1)
    assert adam.state_dict()["param_groups"][0]["decoupled_weight_decay"] is False
    adamw = optim.AdamW([w], lr=0.1, weight_decay=0.1)
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
