"""Empty tensors flow through ops, reductions, factories and layers with PyTorch's values and errors; window
arguments accept NumPy integers."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from optional_torch import needs_torch, torch


# ----------------------------------------------------------------------------- empty tensors
F = mg.nn.functional


# (id, shapes of the float inputs, fn(lib, F, *inputs)); every input requires grad, the loss is out.sum().
EMPTY_CASES = [
    ("add", [(0, 3), (3,)], lambda L, F, a, b: a + b),
    ("mul broadcast", [(2, 0), (1, 0)], lambda L, F, a, b: a * b),
    ("div", [(0,), (0,)], lambda L, F, a, b: a / (b * b + 1)),
    ("pow", [(0, 2)], lambda L, F, a: a ** 2),
    ("exp log", [(0, 2)], lambda L, F, a: (a * a + 1).log().exp()),
    ("sqrt abs neg", [(3, 0)], lambda L, F, a: -(a.abs() + 1).sqrt()),
    ("sigmoid tanh relu", [(0, 4)], lambda L, F, a: a.sigmoid() + a.tanh() + a.relu()),
    ("sum all", [(0, 3)], lambda L, F, a: a.sum()),
    ("sum dim 0", [(0, 3)], lambda L, F, a: a.sum(0)),
    ("sum dim 1", [(0, 3)], lambda L, F, a: a.sum(1)),
    ("sum keepdim", [(2, 0)], lambda L, F, a: a.sum(1, keepdim=True)),
    ("mean dim", [(0, 3)], lambda L, F, a: a.mean(1)),
    ("max dim of non-empty", [(0, 3)], lambda L, F, a: a.max(1)[0]),
    ("matmul inner 0", [(2, 0), (0, 3)], lambda L, F, a, b: a @ b),
    ("matmul outer 0", [(0, 4), (4, 3)], lambda L, F, a, b: a @ b),
    ("batched matmul", [(0, 2, 3), (3, 4)], lambda L, F, a, b: a @ b),
    ("reshape", [(0, 6)], lambda L, F, a: a.reshape(3, 0, 2)),
    ("reshape -1", [(0, 6)], lambda L, F, a: a.reshape(-1, 3)),
    ("flatten", [(0, 2, 3)], lambda L, F, a: a.flatten(1)),
    ("permute", [(0, 2, 3)], lambda L, F, a: a.permute(2, 0, 1)),
    ("transpose", [(2, 0)], lambda L, F, a: a.transpose(0, 1)),
    ("squeeze unsqueeze", [(0, 1)], lambda L, F, a: a.squeeze(1).unsqueeze(0)),
    ("getitem slice", [(4, 3)], lambda L, F, a: a[2:2]),
    ("getitem empty", [(0, 3)], lambda L, F, a: a[:, 1]),
    ("getitem empty index list", [(4, 3)], lambda L, F, a: a[[]]),
    ("getitem mask none", [(3,)], lambda L, F, a: a[a.detach() > 1e9]),
    ("linear", [(0, 3), (2, 3), (2,)], lambda L, F, x, w, b: F.linear(x, w, b)),
    ("linear no out", [(5, 3), (0, 3)], lambda L, F, x, w: F.linear(x, w)),
    ("conv2d batch 0", [(0, 1, 5, 5), (2, 1, 3, 3), (2,)], lambda L, F, x, w, b: F.conv2d(x, w, b)),
    ("max_pool2d batch 0", [(0, 2, 4, 4)], lambda L, F, x: F.max_pool2d(x, 2)),
    ("mse_loss sum", [(0, 3), (0, 3)], lambda L, F, a, b: F.mse_loss(a, b, reduction="sum")),
    ("mse_loss none", [(0, 3), (0, 3)], lambda L, F, a, b: F.mse_loss(a, b, reduction="none")),
    ("clone", [(0,)], lambda L, F, a: a.clone()),
]


def _run_case(lib, fn, shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    if lib is mg:
        xs = [mg.tensor(a, requires_grad=True) for a in arrays]
        out = fn(mg, mg.nn.functional, *xs)
    else:
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = fn(torch, torch.nn.functional, *xs)
    out.sum().backward()
    to_np = (lambda t: t.detach().numpy()) if lib is torch else (lambda t: t.detach().numpy().copy())
    return to_np(out), [to_np(x.grad) if x.grad is not None else None for x in xs]


@needs_torch
@pytest.mark.parametrize("name, shapes, fn", EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_empty_tensors_flow_through_ops_like_torch(name, shapes, fn):
    out, grads = _run_case(mg, fn, shapes)
    tout, tgrads = _run_case(torch, fn, shapes)
    assert out.shape == tuple(tout.shape), f"{name}: shape {out.shape} vs torch {tuple(tout.shape)}"
    np.testing.assert_allclose(out, tout, rtol=1e-6, atol=1e-12)
    for g, tg in zip(grads, tgrads):
        assert g is not None and g.shape == tg.shape
        np.testing.assert_allclose(g, tg, rtol=1e-6, atol=1e-12)


@needs_torch
@pytest.mark.filterwarnings("ignore:(Mean of empty slice|invalid value encountered):RuntimeWarning")
@pytest.mark.parametrize("name, call", [
    ("sum of empty", lambda L, x: x.sum()),
    ("mean of empty", lambda L, x: x.mean()),
    ("mean dim 0 of empty", lambda L, x: x.mean(0)),
])
def test_reductions_of_empty_tensors_match_torch_values(name, call):
    x = np.zeros((0, 3))
    got = call(mg, mg.tensor(x)).detach().numpy().copy()
    want = call(torch, torch.tensor(x)).detach().numpy().copy()
    np.testing.assert_array_equal(got, want)  # 0 for sum, nan for mean, as in torch


@needs_torch
@pytest.mark.parametrize("call", [lambda x: x.max(), lambda x: x.max(0), lambda x: x.argmax(), lambda x: x.min()])
def test_max_of_an_empty_tensor_raises_like_torch(call):
    with pytest.raises((RuntimeError, IndexError, ValueError)):
        call(torch.zeros(0, 3))
    with pytest.raises((RuntimeError, IndexError, ValueError), match=r"empty|zero-size|0 elements|identity"):
        call(mg.zeros(0, 3))


def test_empty_factories_and_layers():
    assert mg.zeros(0).shape == (0,) and mg.randn(2, 0).shape == (2, 0) and mg.arange(0).shape == (0,)
    assert mg.tensor([]).shape == (0,) and mg.tensor([]).dtype == mg.float32
    lin = mg.nn.Linear(3, 2)
    assert lin(mg.zeros(0, 3)).shape == (0, 2)
    net = mg.nn.Sequential(mg.nn.Conv2d(1, 2, 3), mg.nn.ReLU(), mg.nn.MaxPool2d(2), mg.nn.Flatten())
    out = net(mg.zeros(0, 1, 6, 6))
    assert out.shape == (0, 8)
    out.sum().backward()
    assert all(p.grad is not None and not p.grad.detach().numpy().copy().any() for p in net.parameters())


def test_strides_paddings_and_sizes_accept_numpy_ints():
    x, w = mg.randn(1, 1, 4, 4), mg.randn(2, 1, 2, 2)
    two, one = np.int64(2), np.int32(1)
    assert F.conv2d(x, w, stride=two, padding=one).shape == (1, 2, 3, 3)
    assert F.conv2d(x, w, stride=(two, 1)).shape == (1, 2, 2, 3)
    assert F.max_pool2d(x, two, two).shape == (1, 1, 2, 2)
    assert mg.nn.Conv2d(np.int64(1), np.int64(2), np.int64(3), stride=two, padding=one)(x).shape == (1, 2, 2, 2)
    assert mg.nn.Linear(np.int64(3), np.int64(2))(mg.randn(1, 3)).shape == (1, 2)
    assert mg.nn.MaxPool2d(two)(x).shape == (1, 1, 2, 2)
