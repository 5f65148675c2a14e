"""The layers of the nn ops against PyTorch's: constructor arguments, repr, state-dict keys and shapes, default
init bounds, and the same outputs and gradients after loading PyTorch's weights; Dropout's train/eval switch.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")

# (constructor, args, kwargs): built the same way in minigrad.nn and torch.nn
LAYERS = [
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=False)),
    ("Conv2d", (4, 6, 3), dict(padding="same", dilation=2)),
    ("Conv2d", (4, 4, 3), dict(padding=1, padding_mode="reflect", groups=4)),
    ("Conv2d", (4, 2, 3), dict(padding=(2, 1), padding_mode="replicate")),
    ("Conv2d", (4, 2, 2), dict(padding="same", padding_mode="circular")),
    ("Conv2d", (4, 2, 3), dict(padding="valid")),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2)),
    ("ConvTranspose2d", (4, 2, 3), dict(dilation=2, bias=False)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True)),
    ("MaxPool2d", ((2, 3),), dict(dilation=(2, 1))),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("AvgPool2d", (2,), {}),
    ("AdaptiveAvgPool2d", ((3, None),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("LeakyReLU", (0.2,), {}),
    ("GELU", (), dict(approximate="tanh")),
    ("GELU", (), {}),
    ("SiLU", (), {}),
    ("Softplus", (2.0, 5.0), {}),
    ("ELU", (0.5,), {}),
    ("Hardtanh", (-2.0, 1.0), {}),
    ("Dropout", (0.2,), {}),
    ("Embedding", (10, 3), dict(padding_idx=-2)),
]


def _pair(name, args, kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _id(case):
    return f"{case[0]}{case[1]}{case[2]}"


@pytest.mark.parametrize("case", LAYERS, ids=[_id(c) for c in LAYERS])
def test_repr_and_state_dict_match_torch(case):
    ours, theirs = _pair(*case)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("case", [c for c in LAYERS if c[0] != "Dropout"], ids=[_id(c) for c in LAYERS if c[0] != "Dropout"])
def test_same_outputs_and_gradients_after_loading_torch_weights(backend, case):
    ours, theirs = _pair(*case)
    theirs.double()
    ours.to(mg.float64).to(backend)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    if case[0] == "Embedding":
        x = rng.integers(0, 10, (3, 5))
        xt, tt = mg.tensor(x, backend=backend), torch.tensor(x)
    else:
        x = rng.standard_normal((2, 4, 7, 9))
        xt, tt = mg.tensor(x, requires_grad=True, backend=backend), torch.tensor(x, requires_grad=True)
    out, tout = ours(xt), theirs(tt)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(mg.tensor(g, backend=backend))
    tout.backward(torch.tensor(g))
    if xt.requires_grad:
        np.testing.assert_allclose(xt.grad.detach().numpy().copy(), tt.grad.detach().numpy().copy(), rtol=1e-12, atol=1e-12)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy(), rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["Conv2d", "ConvTranspose2d"])
def test_conv_default_init_bounds(kind):
    """PyTorch's rule: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * kh * kw."""
    mg.manual_seed(0)
    layer = getattr(nn, kind)(8, 12, 3, groups=2)
    bound = 1 / math.sqrt(layer.weight.shape[1] * 9)
    for p in (layer.weight, layer.bias):
        v = p.detach().numpy()
        assert np.abs(v).max() <= bound and np.abs(v).max() > 0.8 * bound


def test_embedding_init_padding_row_and_from_pretrained():
    mg.manual_seed(0)
    emb = nn.Embedding(1000, 8, padding_idx=3)
    w = emb.weight.detach().numpy()
    np.testing.assert_array_equal(w[3], 0)
    assert abs(w.std() - 1) < 0.05  # N(0, 1), as in PyTorch
    pre = nn.Embedding.from_pretrained(mg.tensor(np.arange(6.0).reshape(3, 2)))
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(pre(mg.tensor(np.array([2, 0]))).detach().numpy().copy(), [[4, 5], [0, 1]])


def test_dropout_layer_in_a_network_train_and_eval():
    mg.manual_seed(0)
    net = nn.Sequential(nn.Linear(20, 20), nn.Dropout(0.5))
    x = mg.randn(8, 20)
    train_out = net(x).detach().numpy()
    assert (train_out == 0).mean() > 0.3
    net.eval()
    np.testing.assert_array_equal(net(x).detach().numpy(), net[0](x).detach().numpy())
    assert not net[1].training


@pytest.mark.parametrize("bad", [
    lambda: nn.Conv2d(4, 6, 3, groups=4),
    lambda: nn.Conv2d(3, 6, 3, groups=2),
    lambda: nn.Conv2d(2, 2, 3, padding_mode="mirror"),
    lambda: nn.Conv2d(2, 2, 3, stride=2, padding="same"),
    lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2),
    lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
    lambda: nn.Dropout(1.5),
    lambda: nn.GELU("fast"),
    lambda: nn.Hardtanh(1.0, -1.0),
    lambda: nn.Embedding(5, 2, padding_idx=5),
])
def test_bad_layer_arguments(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("make", [lambda: nn.LayerNorm(3), lambda: nn.GroupNorm(1, 3)], ids=["LayerNorm", "GroupNorm"])
def test_norm_reset_parameters_restores_ones_and_zeros(make):
    m = make()
    with mg.no_grad():
        m.weight.fill_(3.0)
        m.bias.fill_(2.0)
    m.reset_parameters()
    assert m.weight.tolist() == [1.0] * 3 and m.bias.tolist() == [0.0] * 3


def test_sequential_takes_every_index_python_takes():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(a, b, c)
    assert [seq[i] for i in range(-3, 3)] == [a, b, c, a, b, c]
    for i in (-4, 3):
        with pytest.raises(IndexError, match=f"index {i} is out of range for Sequential of length 3"):
            seq[i]


@pytest.mark.parametrize("call, err, match", [
    (lambda: mg.nn.functional.one_hot(mg.tensor([1.5])), TypeError, "^one_hot: tensor must be an integer tensor"),
    (lambda: mg.nn.functional.scaled_dot_product_attention(mg.ones(2, 3), mg.ones(2, 3), "v"), TypeError,
     "^scaled_dot_product_attention: value must be a minigrad Tensor"),
    (lambda: mg.nn.functional.prelu(mg.ones(2, 3), "w"), TypeError, "^prelu: weight must be a minigrad Tensor"),
    (lambda: mg.nn.functional.instance_norm("x"), TypeError, "^instance_norm: input must be a minigrad Tensor"),
    (lambda: mg.nn.functional.interpolate(mg.ones(1, 1, 2, 2), scale_factor=2, mode="nope"), NotImplementedError,
     "^interpolate: mode 'nope' is not implemented; minigrad has .*'bicubic'"),
    (lambda: mg.nn.functional.interpolate(mg.ones(1, 1, 2, 2), scale_factor=2, mode="nearest", align_corners=True),
     ValueError, r"^align_corners option can only be set with the interpolating modes: linear \| bilinear \| bicubic "
                 r"\| trilinear$"),
    (lambda: nn.Conv1d(0, 2, 3), ValueError, "^in_channels must be a positive int, got 0"),
], ids=["one_hot", "sdpa", "prelu", "instance_norm", "interpolate", "align_corners", "Conv1d"])
def test_errors_name_the_function_and_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()
