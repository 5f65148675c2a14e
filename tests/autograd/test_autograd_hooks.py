"""Tensor hooks, module hooks, grad_fn.next_functions / AccumulateGrad and anomaly detection, against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch", reason="PyTorch not installed: the comparisons need it")


def _run_tensor_hooks(lib):
    seen = []
    x = lib.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 2
    h.retain_grad()
    hx = x.register_hook(lambda g: seen.append(("x", g.detach().numpy().copy())))
    x.register_hook(lambda g: g * 10)          # replaces the leaf's gradient
    h.register_hook(lambda g: seen.append(("h", g.detach().numpy().copy())))
    h.register_hook(lambda g: g + 1)           # replaces the non-leaf's gradient, seen by .grad and below
    (h * h).sum().backward()
    first = (x.grad.detach().numpy().copy(), h.grad.detach().numpy().copy())
    hx.remove()
    hx.remove()  # twice is harmless
    x.grad = None
    (x * 3).sum().backward()
    return seen, first, x.grad.detach().numpy()


def test_tensor_hooks_match_torch():
    got, want = _run_tensor_hooks(mg), _run_tensor_hooks(torch)
    assert [k for k, _ in got[0]] == [k for k, _ in want[0]]
    for (_, a), (_, b) in zip(got[0], want[0]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got[2], want[2])


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        mg.ones(2).register_hook(lambda g: g)
    x = mg.ones(2, requires_grad=True)
    x.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match="changed the gradient's shape"):
        (x * 2).sum().backward()


def test_hooks_gone_means_the_plain_loop_again():
    from minigrad.autograd import engine
    x = mg.ones(2, requires_grad=True)
    h = (x * 2)
    handle = h.register_hook(lambda g: g)
    assert engine.general_path()
    handle.remove()
    del h
    import gc
    gc.collect()
    assert not engine.general_path()


def _module_hooks(lib):
    nn = lib.nn
    torch_like = lib is torch
    lin = nn.Linear(3, 2).double() if torch_like else nn.Linear(3, 2, dtype=mg.float64)
    with (torch.no_grad() if torch_like else mg.no_grad()):
        lin.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 10))
        lin.bias.copy_(lib.tensor(np.array([0.5, -0.5])))
    log = []
    lin.register_forward_pre_hook(lambda m, a: (a[0] * 2,))
    lin.register_forward_hook(lambda m, a, out: out + 1)
    h = lin.register_full_backward_hook(
        lambda m, gi, go: (log.append((gi[0].detach().numpy().copy(), go[0].detach().numpy().copy())),
                           (gi[0] * 3,))[1])
    x = lib.tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    y = lin(x)
    (y * y).sum().backward()
    out = (y.detach().numpy(), x.grad.detach().numpy(), log)
    h.remove()
    x.grad = None
    lin(x).sum().backward()
    return out + (x.grad.detach().numpy(),)


def test_module_hooks_match_torch():
    got, want = _module_hooks(mg), _module_hooks(torch)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-15)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-15)
    assert len(got[2]) == len(want[2]) == 1
    for a, b in zip(got[2][0], want[2][0]):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-15)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")
def test_backward_hook_without_differentiable_input():
    for lib in (mg, torch):
        lin = lib.nn.Linear(2, 1)
        calls = []
        lin.register_full_backward_hook(lambda m, gi, go: calls.append((gi, len(go))))
        lin(lib.ones(1, 2)).sum().backward()
        assert calls == [((None,), 1)]


def test_next_functions_walk_like_torch():
    def walk(lib):
        w = lib.tensor(np.ones(2), requires_grad=True)
        c = lib.tensor(np.ones(2))
        y = (w.exp() * c).sum()
        names, leaves = [], []
        stack = [y.grad_fn]
        while stack:
            node = stack.pop()
            if node is None:
                names.append(None)
                continue
            names.append(type(node).__name__ if lib is torch else node.name().replace("torch::autograd::", ""))
            if hasattr(node, "variable"):
                leaves.append(node.variable is w)
            stack.extend(fn for fn, _ in node.next_functions)
        return names, leaves, y.grad_fn.next_functions[0][1]
    names, leaves, idx = walk(mg)
    tnames, tleaves, tidx = walk(torch)
    assert [n and n.replace("Backward0", "Backward") for n in tnames] == names
    assert leaves == tleaves == [True] and idx == tidx == 0
    x = mg.tensor([1.0], requires_grad=True)
    a = (x * 2).grad_fn.next_functions[0][0]
    assert a is (x * 3).grad_fn.next_functions[0][0] and a.variable is x and a.next_functions == ()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_anomaly_names_the_op_and_where_it_was_made():
    x = mg.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with mg.autograd.detect_anomaly():
            y = x.sqrt()  # d sqrt(x)/dx at 0 is inf; times 0 below gives nan
            loss = (y * mg.tensor([0.0, 1.0])).sum()
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan values in its 0th output") \
                    as err:
                loss.backward()
    assert "y = x.sqrt()" in str(err.value) and "test_autograd_hooks.py" in str(err.value)
    xt = torch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output"):
            (xt.sqrt() * torch.tensor([0.0, 1.0])).sum().backward()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_anomaly_mode_off_costs_nothing_and_restores():
    from minigrad.autograd import Function, engine
    plain = Function.__dict__["apply"]
    mg.autograd.set_detect_anomaly(True)
    assert mg.autograd.is_anomaly_enabled() and Function.__dict__["apply"] is not plain
    mg.autograd.set_detect_anomaly(False)
    assert Function.__dict__["apply"] is plain and not engine.general_path()
    x = mg.tensor([0.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # off: nan passes silently, as in PyTorch
    assert np.isnan(x.grad.detach().numpy().copy()).all()


def test_backward_hook_with_several_inputs_matches_torch():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    res = []
    for lib in (mg, torch):
        class Bilinear(lib.nn.Module):
            def forward(self, x, c, y):
                return (x * y * c).sum(dim=1)
        m = Bilinear()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: (seen.append([None if g is None else g.detach().numpy().copy()
                                                                        for g in gi]), (gi[0] * 2, None, gi[2]))[1])
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (m(x, lib.tensor(2.0, dtype=x.dtype), y) ** 2).sum().backward()
        res.append((seen, x.grad.detach().numpy(), y.grad.detach().numpy()))
    (seen, gx, gy), (tseen, tgx, tgy) = res
    assert len(seen) == len(tseen) == 1
    for g, t in zip(seen[0] + [gx, gy], tseen[0] + [tgx, tgy]):  # the constant's entry: zeros in both
        np.testing.assert_allclose(g, t, rtol=1e-14)
