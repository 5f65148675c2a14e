"""Optimizer updates against formulas written out by hand (no torch needed): SGD without momentum but with
weight decay or maximize, SGD momentum with dampening and Nesterov, Adam's bias correction, amsgrad and decay;
and Adam bit for bit against torch.optim.Adam."""
import numpy as np
import pytest

import minigrad as mg


# --------------------------------------------------------------------------- optimizers
def _param(values, backend):
    p = mg.nn.Parameter(mg.tensor(np.asarray(values, dtype=np.float64), backend=backend))
    p.grad = mg.tensor(np.asarray([0.5, -1.0, 2.0]), dtype=mg.float64, backend=backend)
    return p


@pytest.mark.parametrize("weight_decay,maximize", [(0.1, False), (0.0, True), (0.1, True)])
def test_sgd_without_momentum_with_weight_decay_or_maximize(backend, weight_decay, maximize):
    p0, g = np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    p = _param(p0, backend)
    opt = mg.optim.SGD([p], lr=0.1, weight_decay=weight_decay, maximize=maximize)
    for step in range(2):
        opt.step()
    expected = p0.copy()
    for _ in range(2):
        d = (-g if maximize else g) + weight_decay * expected
        expected = expected - 0.1 * d
    np.testing.assert_allclose(p.detach().numpy().copy(), expected, rtol=1e-14)
    assert not opt.state  # no momentum buffer without momentum


@pytest.mark.parametrize("nesterov,dampening", [(False, 0.0), (False, 0.3), (True, 0.0)])
def test_sgd_momentum_by_hand(backend, nesterov, dampening):
    p0, g = np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    p = _param(p0, backend)
    opt = mg.optim.SGD([p], lr=0.1, momentum=0.9, dampening=dampening, nesterov=nesterov, weight_decay=0.01)
    expected, buf = p0.copy(), None
    for _ in range(3):
        opt.step()
        d = g + 0.01 * expected
        buf = d.copy() if buf is None else 0.9 * buf + (1 - dampening) * d
        expected = expected - 0.1 * (d + 0.9 * buf if nesterov else buf)
    np.testing.assert_allclose(p.detach().numpy().copy(), expected, rtol=1e-13)


@pytest.mark.parametrize("amsgrad,weight_decay,maximize,beta1", [(False, 0.0, False, 0.9), (True, 0.1, False, 0.9),
                                                                  (False, 0.0, True, 0.3)])
def test_adam_bias_correction_by_hand(backend, amsgrad, weight_decay, maximize, beta1):
    """Adam's update written out from the paper (with PyTorch's eps placement), three steps with changing
    gradients, so the bias corrections 1 - beta**t differ per step."""
    p0 = np.array([1.0, -2.0, 3.0])
    grads = [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.2, 1.0]), np.array([0.1, 0.4, -0.5])]
    p = mg.nn.Parameter(mg.tensor(p0, backend=backend))
    lr, beta2, eps = 0.01, 0.999, 1e-8
    opt = mg.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
    x, m, v, vmax = p0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        p.grad = mg.tensor(g, backend=backend)
        opt.step()
        d = (-g if maximize else g) + weight_decay * x
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / np.sqrt(1 - beta2 ** t) + eps
        x = x - lr / (1 - beta1 ** t) * m / denom
        np.testing.assert_allclose(p.detach().numpy().copy(), x, rtol=1e-12, err_msg=f"step {t}")


def test_adam_defaults_bounds_and_closure():
    p = mg.nn.Parameter(mg.tensor([1.0, -1.0], dtype=mg.float64))
    opt = mg.optim.Adam([p])
    assert opt.defaults["lr"] == 1e-3 and opt.defaults["betas"] == (0.9, 0.999) and opt.defaults["eps"] == 1e-8
    p.grad = mg.tensor([2.0, -3.0], dtype=mg.float64)
    assert opt.step(lambda: 7.0) == 7.0  # step(closure) returns the closure's loss
    np.testing.assert_allclose(p.detach().numpy().copy(), [1.0 - 1e-3, -1.0 + 1e-3], rtol=1e-9)  # first step: lr * sign(g)
    mg.optim.Adam([p], betas=(0.0, 0.0))  # PyTorch accepts 0 for both
    for betas, match in [((1.0, 0.5), "index 0: 1.0"), ((0.5, 1.0), "index 1: 1.0"), ((0.5, -0.1), "index 1: -0.1")]:
        with pytest.raises(ValueError, match=match):
            mg.optim.Adam([p], betas=betas)


def test_adam_updates_params_after_one_without_grad_and_full_weight_decay(backend):
    a = mg.nn.Parameter(mg.tensor([1.0], dtype=mg.float64, backend=backend))
    b = mg.nn.Parameter(mg.tensor([2.0], dtype=mg.float64, backend=backend))
    b.grad = mg.tensor([0.0], dtype=mg.float64, backend=backend)
    opt = mg.optim.Adam([a, b], lr=0.1, weight_decay=1.0)
    opt.step()  # a has no grad and is skipped; b's gradient is 0 + 1.0 * 2.0
    assert a.item() == 1.0
    np.testing.assert_allclose(b.detach().numpy().copy(), [2.0 - 0.1], rtol=1e-9)


@pytest.mark.parametrize("beta1", [0.3, 0.5, 0.9])
def test_adam_matches_torch_bit_for_bit(beta1):
    """PyTorch forms m with lerp, whose formula switches at weight 0.5; same float64 ops, same bits."""
    torch = pytest.importorskip("torch", reason="bit-exact comparison with torch.optim.Adam")
    p0 = np.array([1.0, -2.0, 3.0, 0.25])
    grads = [np.array([0.5, -1.0, 2.0, 1e-3]), np.array([-0.3, 0.2, 1.0, 7.0]), np.array([0.1, 0.4, -0.5, 0.0])]
    p = mg.nn.Parameter(mg.tensor(p0))
    tp = torch.tensor(p0, requires_grad=True)
    opt = mg.optim.Adam([p], lr=0.01, betas=(beta1, 0.99))
    topt = torch.optim.Adam([tp], lr=0.01, betas=(beta1, 0.99))
    for g in grads:
        p.grad = mg.tensor(g)
        tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_array_equal(p.detach().numpy().copy(), tp.detach().numpy())
