"""TransformerEncoderLayer and TransformerEncoder against torch.nn: the same state dict, then outputs and every
gradient in float64 for post-norm and pre-norm layers, relu and gelu, masks, batch_first; deep-copied layers."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

EPS64 = np.finfo(np.float64).eps


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.nn cross-checks are skipped")


CASES = [
    (dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0), None, {}, (5, 2, 8)),
    (dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, norm_first=True, activation="gelu", batch_first=True),
     None, {}, (2, 5, 8)),
    (dict(d_model=8, nhead=4, dim_feedforward=12, dropout=0.0), 2, {"mask": "causal", "is_causal": True}, (5, 2, 8)),
    (dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, bias=False), None, {"src_key_padding_mask": "pad"},
     (5, 2, 8)),
]


def _masks(spec):
    out = {}
    for k, v in spec.items():
        if v == "causal":
            out[k] = np.triu(np.ones((5, 5), dtype=bool), 1)
        elif v == "pad":
            out[k] = np.array([[False] * 4 + [True], [False] * 5])
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("kwargs, layers, masks, shape", CASES, ids=[str(i) for i in range(len(CASES))])
def test_encoder_matches_torch(torch, kwargs, layers, masks, shape):
    if layers:
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(**kwargs), layers, norm=nn.LayerNorm(8))
        theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kwargs), layers,
                                             norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    else:
        ours, theirs = nn.TransformerEncoderLayer(**kwargs), torch.nn.TransformerEncoderLayer(**kwargs)
        assert repr(ours) == repr(theirs)
    ours, theirs = ours.to(dtype=mg.float64), theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape)
    a, b = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m = _masks(masks)
    out = ours(a, **{k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in m.items()})
    tout = theirs(b, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in m.items()})
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    # a few hundred operations per output through softmax and two LayerNorms: 512 ulps of the scale
    def close(got, want, what):
        want = want.detach().numpy()
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=512 * EPS64 * max(1.0, np.abs(want).max()),
                                   err_msg=what)
    close(out, tout, "output")
    close(a.grad, b.grad, "input grad")
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, k)


def test_encoder_layers_are_independent_copies_and_dropout_follows_train_mode():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    enc = nn.TransformerEncoder(layer, 3)
    weights = [l.linear1.weight for l in enc.layers]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight for w in weights)
    x = mg.randn(4, 2, 8)
    enc.eval()
    np.testing.assert_array_equal(enc(x).numpy(), enc(x).numpy())
    enc.train()
    assert not np.array_equal(enc(x).numpy(), enc(x).numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    custom = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.SiLU())
    assert "activation" in dict(custom.named_children())
