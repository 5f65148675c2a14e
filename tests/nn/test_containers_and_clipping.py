"""Containers (Identity, ModuleList, ModuleDict), the loss and softmax modules, and gradient clipping,
against torch.nn where it has the same thing."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from jit_harness import assert_jit_matches_eager
from minigrad import nn

torch = pytest.importorskip("torch", reason="PyTorch not installed: torch.nn cross-checks skipped")


# ----------------------------------------------------------------------------- containers

def test_identity_passes_anything_through():
    x = mg.randn(2, 3)
    assert nn.Identity()(x) is x and nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


def test_module_list_registers_and_renumbers_like_torch():
    ms = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ts = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert list(ms.state_dict()) == list(ts.state_dict())
    assert len(list(ms.parameters())) == 6 and len(ms) == 3
    first = ms[0]
    del ms[1], ts[1]
    ms.insert(0, nn.Linear(2, 2)), ts.insert(0, torch.nn.Linear(2, 2))
    ms.append(nn.ReLU()), ts.append(torch.nn.ReLU())
    ms += [nn.Tanh()]
    ts += [torch.nn.Tanh()]
    assert list(ms.state_dict()) == list(ts.state_dict()) and len(ms) == len(ts) == 5
    assert [n for n, _ in ms.named_children()] == [n for n, _ in ts.named_children()]
    assert ms[1] is first and ms[-1] is list(ms)[4]
    assert isinstance(ms[1:3], nn.ModuleList) and len(ms[1:3]) == 2
    ms[0] = nn.Identity()
    assert isinstance(ms[0], nn.Identity)
    assert ms.pop(0) is not None and len(ms) == 4
    with pytest.raises(IndexError, match="index 9 is out of range for ModuleList of length 4"):
        ms[9]
    with pytest.raises(TypeError, match="expected an nn.Module, got int"):
        ms.append(3)
    with pytest.raises(TypeError, match="iterable of modules"):
        ms.extend(nn.ReLU())
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        ms(mg.randn(1))


def test_module_list_in_a_model_trains_its_members():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3, dtype=mg.float64) for _ in range(2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).tanh()
            return x

    net = Net()
    net(mg.randn(4, 3, dtype=mg.float64)).sum().backward()
    assert [n for n, _ in net.named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                                       "layers.1.bias"]
    assert all(p.grad is not None for p in net.parameters())


def test_module_dict_like_torch():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    td = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 3), "act": torch.nn.ReLU()})
    md["dec"], td["dec"] = nn.Linear(3, 1), torch.nn.Linear(3, 1)
    assert list(md.state_dict()) == list(td.state_dict())
    assert list(md) == list(td) == ["enc", "act", "dec"] and list(md.keys()) == ["enc", "act", "dec"]
    assert "enc" in md and "nope" not in md and len(md) == 3
    assert isinstance(md.pop("act"), nn.ReLU) and list(md) == ["enc", "dec"]
    md.update([("extra", nn.Tanh())])
    assert [k for k, _ in md.items()] == ["enc", "dec", "extra"] and len(list(md.values())) == 3
    del md["extra"]
    with pytest.raises(KeyError):
        del md["extra"]
    with pytest.raises(ValueError, match="should be a \\(key, module\\) pair"):
        md.update([nn.ReLU()])
    with pytest.raises(TypeError, match="expected an nn.Module"):
        md["x"] = 1.0
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []


# ----------------------------------------------------------------------------- loss and softmax modules

def _pair(x, requires_grad=True):
    x = np.asarray(x, dtype=np.float64)
    return mg.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


@pytest.mark.parametrize("name, kwargs, kind", [
    ("CrossEntropyLoss", {}, "index"),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5, 1.0], "ignore_index": 1, "label_smoothing": 0.1}, "index"),
    ("CrossEntropyLoss", {"reduction": "none"}, "prob"),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5, 1.0], "reduction": "sum"}, "index"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5, 1.0]}, "unit"),
    ("BCEWithLogitsLoss", {"pos_weight": [1.0, 2.0, 0.5, 3.0]}, "unit"),
    ("L1Loss", {}, "real"),
    ("SmoothL1Loss", {"beta": 0.5}, "real"),
    ("HuberLoss", {"delta": 0.7, "reduction": "sum"}, "real"),
    ("Softmax", {"dim": 1}, None),
    ("LogSoftmax", {"dim": 0}, None),
])
def test_loss_and_softmax_modules_match_torch(name, kwargs, kind):
    rng = np.random.default_rng(0)
    tensors = {k: v for k, v in kwargs.items() if isinstance(v, list)}
    m = getattr(nn, name)(**{k: mg.tensor(v, dtype=mg.float64) if k in tensors else v for k, v in kwargs.items()})
    t = getattr(torch.nn, name)(**{k: torch.tensor(v, dtype=torch.float64) if k in tensors else v
                                   for k, v in kwargs.items()})
    assert list(m.state_dict()) == list(t.state_dict())  # weights are buffers, as in torch
    x = rng.uniform(0.1, 0.9, (5, 4)) if kind == "unit" and name == "BCELoss" else rng.standard_normal((5, 4))
    a, ta = _pair(x)
    if kind is None:
        out, tout = m(a), t(ta)
    else:
        target = {"index": lambda: rng.integers(0, 4, 5), "prob": lambda: rng.dirichlet(np.ones(4), 5),
                  "unit": lambda: rng.uniform(0, 1, (5, 4)), "real": lambda: rng.standard_normal((5, 4))}[kind]()
        out, tout = m(a, mg.tensor(target)), t(ta, torch.tensor(target))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(out.shape)
    out.backward(mg.tensor(g)), tout.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.detach().numpy().copy(), ta.grad.detach().numpy().copy(), rtol=1e-10, atol=1e-14)


def test_loss_module_arguments():
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(TypeError, match="weight must be a minigrad Tensor"):
        nn.NLLLoss(weight=[1.0, 2.0])
    with pytest.raises(TypeError):
        nn.CrossEntropyLoss(None, True)  # PyTorch's deprecated positional size_average is not taken
    loss = nn.CrossEntropyLoss(weight=mg.ones(3)).to(mg.float64)
    assert loss.weight.dtype == np.float64  # the weight buffer moves with the module


# ----------------------------------------------------------------------------- gradient clipping

def _params_with_grads(rng, scale=1.0):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [rng.standard_normal(s) * scale for s in shapes]
    mps = [mg.zeros(*s, dtype=mg.float64, requires_grad=True) for s in shapes]
    tps = [torch.zeros(*s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, tp, g in zip(mps, tps, grads):
        p.grad, tp.grad = mg.tensor(g), torch.tensor(g)
    return mps, tps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    mps, tps = _params_with_grads(np.random.default_rng(1))
    mps.append(mg.zeros(2, requires_grad=True))  # no grad: skipped
    total = nn.utils.clip_grad_norm_(mps, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    for p, tp in zip(mps, tps):
        np.testing.assert_allclose(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy(), rtol=1e-12, atol=1e-15)
    assert mps[-1].grad is None


def test_clip_grad_norm_single_tensor_module_and_nonfinite():
    lin = nn.Linear(3, 2)
    lin(mg.randn(4, 3)).sum().backward()
    total = nn.utils.clip_grad_norm_(lin.parameters(), 0.01)
    after = math.sqrt(sum(float((p.grad.detach().numpy().copy() ** 2).sum()) for p in lin.parameters()))
    assert total.item() > 0.01 and after == pytest.approx(0.01, rel=1e-3)
    p = mg.zeros(2, requires_grad=True)
    p.grad = mg.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 10).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.detach().numpy().copy(), [3, 4])  # under max_norm: unchanged
    p.grad = mg.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.detach().numpy().copy(), [np.inf, 1.0])  # the error leaves the grads alone
    assert nn.utils.clip_grad_norm_([mg.zeros(1, requires_grad=True)], 1.0).item() == 0.0
    with pytest.raises(ValueError, match="norm_type must be a number or 'inf'"):
        nn.utils.clip_grad_norm_([p], 1.0, norm_type="fro")
    with pytest.raises(TypeError, match="parameters must be Tensors"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    assert mg.nn.utils.clip_grad_norm_ is nn.utils.clip_grad_norm_


def test_clip_grad_value_matches_torch():
    mps, tps = _params_with_grads(np.random.default_rng(2), scale=2.0)
    assert nn.utils.clip_grad_value_(mps, 0.75) is None
    torch.nn.utils.clip_grad_value_(tps, 0.75)
    for p, tp in zip(mps, tps):
        np.testing.assert_array_equal(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy())
    with pytest.raises(ValueError, match="clip_value must be a number >= 0, got -1"):
        nn.utils.clip_grad_value_(mps, -1)


def test_clipping_on_a_backend(backend):
    p = mg.zeros(3, requires_grad=True, backend=backend)
    p.grad = mg.tensor([3.0, 4.0, 12.0], backend=backend)
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.backend == backend and total.item() == pytest.approx(13.0)
    np.testing.assert_allclose(p.grad.detach().numpy().copy(), np.array([3, 4, 12]) / (13 + 1e-6), rtol=1e-6)
    nn.utils.clip_grad_value_([p], 0.1)
    np.testing.assert_allclose(p.grad.detach().numpy().copy(), np.full(3, 0.1, np.float32))
    assert p.grad.backend == backend


@pytest.mark.parametrize("clip", [
    lambda ps: nn.utils.clip_grad_norm_(ps, 0.5),
    lambda ps: nn.utils.clip_grad_norm_(ps, 0.3, norm_type="inf"),
    lambda ps: nn.utils.clip_grad_value_(ps, 0.05),
])
def test_clipping_inside_a_step_under_mg_jit_equals_eager(backend, clip):
    """Clipping between backward and the optimizer step runs live on every replay, so each replay clips that
    call's gradients (a recording of the first call's clip factor would be silently wrong)."""
    def build():
        mg.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4)).to(mg.float64).to(backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

        def step(x, t):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), t)
            loss.backward()
            clip(model.parameters())
            opt.step()
            return loss

        rng = np.random.default_rng(3)
        return step, lambda i: (mg.tensor(rng.standard_normal((6, 3)) * (1 + i), backend=backend),
                                mg.tensor(rng.integers(0, 4, 6), backend=backend)), model.parameters, None
    assert_jit_matches_eager(build, calls=6)
