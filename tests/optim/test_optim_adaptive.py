"""NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD against torch.optim: defaults, argument checks, each step
from the same state, long trajectories, state names and values, state dict round trips and torch's state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

EPS64 = np.finfo(np.float64).eps


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the torch.optim cross-checks are skipped")
    # PyTorch keeps NAdam's mu_product and ASGD's eta/mu as 0-d tensors of its default dtype (float32 unless
    # changed); minigrad keeps them as Python floats. float64 makes both compute the same numbers.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def _problem(backend: str = "numpy"):
    """A tanh layer and a linear readout under MSE, float64, with its torch twin built from the same arrays."""
    rng = np.random.default_rng(123)
    arrays = {"w1": rng.standard_normal((4, 3)) * 0.5, "b1": rng.standard_normal(4) * 0.1,
              "w2": rng.standard_normal((2, 4)) * 0.5, "b2": np.zeros(2),
              "x": rng.standard_normal((8, 3)), "y": rng.standard_normal((8, 2))}
    params = {k: nn.Parameter(mg.tensor(v, backend=backend)) for k, v in arrays.items() if k[0] in "wb"}
    x, y = mg.tensor(arrays["x"], backend=backend), mg.tensor(arrays["y"], backend=backend)

    def loss():
        h = (x @ params["w1"].T + params["b1"]).tanh()
        return ((h @ params["w2"].T + params["b2"] - y) ** 2).mean()

    return arrays, params, loss


def _torch_problem(torch, arrays):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items() if k[0] in "wb"}
    x, y = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])

    def loss():
        h = torch.tanh(x @ params["w1"].T + params["b1"])
        return ((h @ params["w2"].T + params["b2"] - y) ** 2).mean()

    return params, loss


def _train(opt, loss, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()


def _to_numpy(value):
    """torch's state entries as arrays (tensors, also inside lists; numbers stay), what a converted checkpoint holds."""
    if isinstance(value, list):
        return [_to_numpy(v) for v in value]
    return value.detach().numpy() if hasattr(value, "detach") else value


def _numpy_state_dict(sd):
    return {"state": {i: {k: _to_numpy(v) for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


CONFIGS = [
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-4, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.001, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.01)),
    ("ASGD", dict(lr=0.01, t0=0, maximize=True)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]

# One step from the same state differs from torch's only by rounding: the gradients (dot products of 8 terms)
# and the update (about ten operations per element, some fused into multiply-adds by torch's CPU kernels)
# carry a few dozen ulps between them. 64 ulps of the parameter's scale bounds it with room.
STEP_RTOL, STEP_ATOL = 64 * EPS64, 64 * EPS64
STEPS = 100


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_each_step_from_torchs_state_matches_torch(torch, backend, name, kwargs):
    """Before every step minigrad takes torch's parameters and state (through load_state_dict), so each step is
    compared from the same point and rounding cannot accumulate; 100 steps walk through RAdam's switch at
    rho_t > 5, ASGD's averaging after t0 and Rprop's sign flips."""
    arrays, params, loss = _problem(backend)
    tparams, tloss = _torch_problem(torch, arrays)
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    topt = getattr(torch.optim, name)(list(tparams.values()), **kwargs)
    for step in range(STEPS):
        for k in params:
            params[k].data = mg.tensor(tparams[k].detach().numpy().copy(), backend=backend).data
        opt.load_state_dict(_numpy_state_dict(topt.state_dict()))
        opt.zero_grad()
        topt.zero_grad()
        loss().backward()
        tloss().backward()
        opt.step()
        topt.step()
        for k in params:
            expected = tparams[k].detach().numpy()
            np.testing.assert_allclose(params[k].detach().numpy().copy(), expected, rtol=STEP_RTOL,
                                       atol=STEP_ATOL * np.abs(expected).max(), err_msg=f"{k} at step {step + 1}")
    assert params["w1"].backend == backend


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_trajectory_and_state_match_torch(torch, name, kwargs):
    """60 uninterrupted steps stay close to torch's, and the state has torch's names and values. The per-step
    differences above add up and get amplified by the adaptive denominators (Adamax's running max, the small
    second moments), so the bound here is looser: 1e-10 relative (measured below 2e-11 over 100 steps)."""
    arrays, params, loss = _problem()
    tparams, tloss = _torch_problem(torch, arrays)
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    topt = getattr(torch.optim, name)(list(tparams.values()), **kwargs)
    _train(opt, loss, 60)
    _train(topt, tloss, 60)
    for k in params:
        np.testing.assert_allclose(params[k].detach().numpy().copy(), tparams[k].detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for i, s in theirs["state"].items():
        assert set(ours["state"][i]) == set(s), f"state {i} keys"
        for key, value in s.items():
            mine = ours["state"][i][key]
            mine = mine.detach().numpy().copy() if isinstance(mine, mg.Tensor) else mine
            np.testing.assert_allclose(mine, value.detach().numpy().copy(), rtol=1e-9, atol=1e-12, err_msg=f"state {i}[{key!r}]")
    assert ours["param_groups"][0].items() <= theirs["param_groups"][0].items()


@pytest.mark.parametrize("name", sorted({name for name, _ in CONFIGS}))
def test_defaults_are_pytorchs(torch, name):
    w = torch.zeros(2, requires_grad=True)
    theirs = getattr(torch.optim, name)([w]).defaults
    ours = getattr(optim, name)([nn.Parameter(mg.zeros(2))]).defaults
    assert ours.items() <= theirs.items()
    # what torch has and minigrad leaves out are its kernel choices, not part of the algorithm
    assert set(theirs) - set(ours) <= {"foreach", "capturable", "differentiable", "fused"}


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.NAdam(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.NAdam(p, momentum_decay=-0.1), "Invalid momentum_decay value: -0.1"),
        (lambda p: optim.NAdam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.RAdam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda p: optim.RAdam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.Adamax(p, betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
        (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
        (lambda p: optim.Adadelta(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
        (lambda p: optim.Rprop(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.ASGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    ],
)
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter(mg.zeros(2))])


def test_non_numbers_are_named():
    with pytest.raises(TypeError, match="Invalid rho: expected a real number"):
        optim.Adadelta([nn.Parameter(mg.zeros(2))], rho="0.9")
    with pytest.raises(TypeError, match="Invalid etas: expected a pair"):
        optim.Rprop([nn.Parameter(mg.zeros(2))], etas=0.5)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_continues_exactly(name, kwargs):
    """A fresh optimizer over copies of the parameters, given the state dict, continues bit for bit; the saved
    dict holds copies (training on does not change it) and one-number state entries stay Python numbers."""
    _, params, loss = _problem()
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    _train(opt, loss, 4)
    saved = opt.state_dict()
    frozen = {i: {k: (v.detach().numpy().copy() if isinstance(v, mg.Tensor) else v) for k, v in s.items()}
              for i, s in saved["state"].items()}
    for s in saved["state"].values():
        assert all(isinstance(v, mg.Tensor) or type(v) in (int, float) for v in s.values())
    _, params2, loss2 = _problem()
    for k in params:
        params2[k].data = params[k].detach().clone()
    opt2 = getattr(optim, name)(list(params2.values()))
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0].items() >= {k: v for k, v in kwargs.items()}.items()
    _train(opt, loss, 4)
    _train(opt2, loss2, 4)
    for k in params:
        np.testing.assert_array_equal(params[k].detach().numpy().copy(), params2[k].detach().numpy().copy(), err_msg=k)
    for i, s in saved["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(v.detach().numpy().copy() if isinstance(v, mg.Tensor) else v, frozen[i][k])


def test_torch_scalar_state_loads_as_numbers(torch):
    """PyTorch's 0-d state tensors (NAdam's mu_product, ASGD's eta and mu) load as Python floats."""
    arrays, params, _ = _problem()
    tparams, tloss = _torch_problem(torch, arrays)
    for name, keys in (("NAdam", ("mu_product",)), ("ASGD", ("eta", "mu"))):
        topt = getattr(torch.optim, name)(list(tparams.values()))
        _train(topt, tloss, 3)
        opt = getattr(optim, name)(list(params.values()))
        opt.load_state_dict(_numpy_state_dict(topt.state_dict()))
        for key in keys + ("step",):
            value = opt.state[params["w1"]][key]
            assert type(value) is (int if key == "step" else float)
            assert value == topt.state[tparams["w1"]][key].item()


def test_rprop_by_hand():
    """Without torch: the step size grows by etaplus while the sign holds, shrinks by etaminus on a flip (and
    that step leaves the weight where it is), and stays within step_sizes."""
    w = nn.Parameter(mg.tensor(np.array([1.0])))
    opt = optim.Rprop([w], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    grads = [1.0, 1.0, 1.0, -1.0, -1.0]
    expected_w = [0.9, 0.7, 0.4, 0.4, 0.55]
    expected_size = [0.1, 0.2, 0.3, 0.15, 0.15]
    for g, ew, es in zip(grads, expected_w, expected_size):
        w.grad = mg.tensor(np.array([g]))
        opt.step()
        assert w.item() == pytest.approx(ew, rel=4 * EPS64)
        assert opt.state[w]["step_size"][0] == pytest.approx(es, rel=4 * EPS64)


def test_float32_parameters_keep_their_dtype():
    for name, _ in CONFIGS[::3]:
        w = nn.Parameter(mg.ones(3))
        opt = getattr(optim, name)([w])
        (w * w).sum().backward()
        opt.step()
        assert w.dtype == mg.float32
        assert all(v.dtype == np.float32 for v in opt.state[w].values() if hasattr(v, "dtype"))


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adadelta", "ASGD"])
def test_jitted_training_step_equals_eager(backend, name):
    """step() runs live on every replay of a captured training step: jitted and eager runs agree bit for bit."""
    rng = np.random.default_rng(0)
    batches = [(mg.tensor(rng.standard_normal((6, 3)), backend=backend),
                mg.tensor(rng.standard_normal((6, 2)), backend=backend)) for _ in range(6)]
    results = []
    for jit in (False, True):
        mg.manual_seed(0)
        mg.set_default_dtype(mg.float64)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(backend)
        opt = getattr(optim, name)(list(model.parameters()), lr=0.01)

        def step(x, t):
            opt.zero_grad()
            loss = mg.nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss

        run = mg.jit(step) if jit else step
        results.append(([run(x, t).item() for x, t in batches], [p.detach().numpy().copy() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
