"""LBFGS against torch.optim.LBFGS: both line-search modes, evaluation counts, state, state dicts, checks."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

from test_optim_adaptive import _numpy_state_dict, _problem, _torch_problem, torch  # noqa: F401  (fixture)


def _closures(opt, loss, topt, tloss):
    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value

    def tclosure():
        topt.zero_grad()
        value = tloss()
        value.backward()
        return value

    return closure, tclosure


CONFIGS = [dict(), dict(line_search_fn="strong_wolfe"), dict(lr=0.5, history_size=3, max_iter=7),
           dict(lr=0.3, max_iter=10, max_eval=12, line_search_fn="strong_wolfe", history_size=2)]
IDS = ["default", "strong_wolfe", "short-history", "strong_wolfe-short"]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=IDS)
def test_each_step_from_torchs_state_matches_torch(torch, backend, kwargs):
    """Each step() runs up to max_iter quasi-Newton iterations; before each, minigrad takes torch's parameters
    and whole state (direction, curvature pairs, previous gradient) through load_state_dict. Within one step
    the two-loop recursion multiplies the gradients' ulp differences by the inverse-Hessian estimate's
    condition number (measured growth: 1e-16 to 4e-11 over 20 iterations), hence 1e-9 absolute on weights of
    size ~1; the evaluation and iteration counts, which depend on every branch taken, are equal."""
    arrays, params, loss = _problem(backend)
    tparams, tloss = _torch_problem(torch, arrays)
    opt = optim.LBFGS(list(params.values()), **kwargs)
    topt = torch.optim.LBFGS(list(tparams.values()), **kwargs)
    closure, tclosure = _closures(opt, loss, topt, tloss)
    for step in range(4):
        for k in params:
            params[k].data = mg.tensor(tparams[k].detach().numpy().copy(), backend=backend).data
        if step:
            opt.load_state_dict(_numpy_state_dict(topt.state_dict()))
        first, tfirst = opt.step(closure), topt.step(tclosure)
        assert first.item() == pytest.approx(tfirst.item(), rel=1e-9), f"loss at step {step + 1}"
        for k in params:
            np.testing.assert_allclose(params[k].detach().numpy().copy(), tparams[k].detach().numpy(), rtol=0, atol=1e-9,
                                       err_msg=f"{k} after step {step + 1}")
        ours, theirs = opt.state[params["w1"]], topt.state[tparams["w1"]]
        assert (ours["func_evals"], ours["n_iter"]) == (theirs["func_evals"], theirs["n_iter"])
        assert len(ours["old_dirs"]) == len(theirs["old_dirs"])
        assert ours["t"] == pytest.approx(float(theirs["t"]), rel=1e-6)


def test_first_step_is_tight_and_converges(torch):
    """The first step (20 iterations from the same start) agrees to 1e-11; five steps reach the same minimum."""
    arrays, params, loss = _problem()
    tparams, tloss = _torch_problem(torch, arrays)
    opt = optim.LBFGS(list(params.values()))
    topt = torch.optim.LBFGS(list(tparams.values()))
    closure, tclosure = _closures(opt, loss, topt, tloss)
    opt.step(closure)
    topt.step(tclosure)
    for k in params:
        np.testing.assert_allclose(params[k].detach().numpy().copy(), tparams[k].detach().numpy(), rtol=0, atol=1e-11, err_msg=k)
    for _ in range(4):
        opt.step(closure)
        topt.step(tclosure)
    assert loss().item() < 1e-5 and tloss().item() < 1e-5


def test_already_optimal_returns_without_moving():
    w = nn.Parameter(mg.tensor(np.array([0.0, 0.0])))
    opt = optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        value = (w * w).sum()
        value.backward()
        return value

    assert opt.step(closure).item() == 0
    np.testing.assert_array_equal(w.detach().numpy().copy(), [0, 0])
    assert opt.state[w] == {"func_evals": 1, "n_iter": 0}


def test_quadratic_is_solved():
    """On a convex quadratic in 3 unknowns, L-BFGS with a strong-Wolfe search finds the minimiser."""
    a = mg.tensor(np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]))
    b = mg.tensor(np.array([1.0, -2.0, 0.5]))
    x = nn.Parameter(mg.zeros(3, dtype=mg.float64))
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        value = 0.5 * (x @ (a @ x)) - (b * x).sum()
        value.backward()
        return value

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy().copy(), np.linalg.solve(a.detach().numpy().copy(), b.detach().numpy().copy()), rtol=1e-9)


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "mg.save"])
def test_state_dict_round_trip_continues_exactly(tmp_path, through_file):
    _, params, loss = _problem()
    opt = optim.LBFGS(list(params.values()), history_size=5, max_iter=5)

    def closure_for(o, f):
        def closure():
            o.zero_grad()
            value = f()
            value.backward()
            return value
        return closure

    opt.step(closure_for(opt, loss))
    saved = opt.state_dict()
    assert isinstance(saved["state"][0]["old_dirs"][0], mg.Tensor) and isinstance(saved["state"][0]["d"], mg.Tensor)
    if through_file:  # lists of tensors, None entries (the unused "al" slots) and floats survive the file
        mg.save(saved, tmp_path / "lbfgs.npz")
        saved = mg.load(tmp_path / "lbfgs.npz")
    _, params2, loss2 = _problem()
    for k in params:
        params2[k].data = params[k].detach().clone()
    opt2 = optim.LBFGS(list(params2.values()))
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["history_size"] == 5
    for _ in range(2):
        opt.step(closure_for(opt, loss))
        opt2.step(closure_for(opt2, loss2))
    for k in params:
        np.testing.assert_array_equal(params[k].detach().numpy().copy(), params2[k].detach().numpy().copy(), err_msg=k)


def test_argument_checks():
    w = nn.Parameter(mg.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([w], lr=-1)
    with pytest.raises(ValueError, match="only None and 'strong_wolfe'"):
        optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(ValueError, match="Invalid history_size"):
        optim.LBFGS([w], history_size=0)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [nn.Parameter(mg.zeros(1))]}])
    opt = optim.LBFGS([w])
    with pytest.raises(ValueError, match="per-parameter options"):
        opt.add_param_group({"params": [nn.Parameter(mg.zeros(1))]})
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step(None)
    assert opt.defaults["max_eval"] == 25


def test_defaults_are_pytorchs(torch):
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)]).defaults
    assert optim.LBFGS([nn.Parameter(mg.zeros(2))]).defaults == theirs
