"""models/curvature.py: the Hessian of the assignment network's E and damped Newton on it."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minigrad as mg
from models import curvature
from models.assignment_net import build, loss_fn
from models.notebook import notebook_weights

W0 = curvature.flatten(notebook_weights(0))


def test_energy_is_the_networks_E():
    model, x, t = build()
    want = loss_fn(model, model(x), t).item()
    assert curvature.energy(*curvature.unflatten(W0)).item() == pytest.approx(want, rel=1e-15)


def test_gradient_and_hessian_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: the comparison needs it")
    import torch.nn.functional as TF
    from models.notebook import INPUT_5X5, TARGETS
    e, g, h = curvature.derivatives(W0)
    x, t = torch.tensor(INPUT_5X5.reshape(1, 1, 5, 5)), torch.tensor([list(TARGETS)])

    def E(w):
        s = TF.max_pool2d(TF.conv2d(x, w[:4].reshape(1, 1, 2, 2)), 2).flatten(1).sigmoid()
        o = TF.linear(TF.linear(s, w[4:12].reshape(2, 4)).sigmoid(), w[12:].reshape(2, 2)).sigmoid()
        return ((o - t) ** 2).sum()
    wt = torch.tensor(W0)
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(g, torch.autograd.functional.jacobian(E, wt).numpy(), atol=100 * eps)
    np.testing.assert_allclose(h, torch.autograd.functional.hessian(E, wt).numpy(), atol=100 * eps)
    np.testing.assert_allclose(h, h.T, atol=100 * eps)


def test_newton_steps_lower_E_and_converge_far_faster_than_gradient_descent():
    few = curvature.newton(W0, max_steps=3)
    assert few["steps"] == 3 and not few["converged"]
    assert all(b < a for a, b in zip(few["history"], few["history"][1:]))
    full = curvature.newton(W0)
    assert full["converged"] and full["E"] < 1e-4 and full["steps"] <= 50  # gradient descent: 262,941
    # E is checked before each update, as the gradient-descent loop does: the step before the last was above
    assert full["history"][-2] >= 1e-4


def test_spectrum_counts():
    sp = curvature.spectrum(np.diag([-2.0, 0.0, 1e-20, 0.5, 4.0]))
    assert (sp["negative"], sp["zero"], sp["max"], sp["min"]) == (1, 2, 4.0, -2.0)
    assert sp["condition"] == 8.0 and sp["max_stable_lr"] == 0.5


def test_command_line(tmp_path, capsys):
    plot = tmp_path / "c.png"
    pytest.importorskip("matplotlib", reason="matplotlib not installed: --plot needs it")
    assert curvature.main(["--max-steps", "2", "--json", "--plot", str(plot)]) == 3  # not converged in 2 steps
    res = json.loads(capsys.readouterr().out)
    assert res["newton"]["steps"] == 2 and len(res["start"]["eigenvalues"]) == 16 and plot.stat().st_size > 0
    mg.save({"conv.weight": mg.tensor(W0[:4].reshape(1, 1, 2, 2)), "hidden.weight": mg.tensor(W0[4:12].reshape(2, 4)),
             "out.weight": mg.tensor(W0[12:].reshape(2, 2))}, str(tmp_path / "w.npz"))
    assert curvature.main(["--gd-weights", str(tmp_path / "w.npz")]) == 0
    out = capsys.readouterr().out
    assert "given gradient-descent weights: E = 0.573616" in out
    assert curvature.main(["--gd-weights", str(tmp_path / "missing.npz")]) == 1
