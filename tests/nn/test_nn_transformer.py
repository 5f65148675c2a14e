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
    ours.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
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
        np.testing.assert_allclose(got.detach().numpy().copy(), want, rtol=0, atol=512 * EPS64 * max(1.0, np.abs(want).max()),
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
    np.testing.assert_array_equal(enc(x).detach().numpy().copy(), enc(x).detach().numpy().copy())
    enc.train()
    assert not np.array_equal(enc(x).detach().numpy().copy(), enc(x).detach().numpy().copy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    custom = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.SiLU())
    assert "activation" in dict(custom.named_children())


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's note on its own fast path
@pytest.mark.parametrize("kwargs", [
    dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0),
    dict(d_model=8, nhead=4, num_encoder_layers=1, num_decoder_layers=3, dim_feedforward=12, dropout=0.0,
         norm_first=True, batch_first=True, activation="gelu"),
], ids=["post-norm", "pre-norm-batch-first"])
def test_transformer_matches_torch(torch, kwargs):
    """Encoder and decoder stacks with a causal target mask and padding masks: outputs and gradients as torch's."""
    ours, theirs = nn.Transformer(**kwargs).to(dtype=mg.float64), torch.nn.Transformer(**kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    bf = kwargs.get("batch_first", False)
    src = rng.standard_normal((2, 6, 8) if bf else (6, 2, 8))
    tgt = rng.standard_normal((2, 5, 8) if bf else (5, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=mg.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    np.testing.assert_array_equal(mask.detach().numpy().copy(), tmask.detach().numpy().copy())
    pad = np.array([[False] * 5 + [True], [False] * 6])
    xs = [mg.tensor(a, requires_grad=True) for a in (src, tgt)]
    txs = [torch.tensor(a, requires_grad=True) for a in (src, tgt)]
    out = ours(*xs, tgt_mask=mask, src_key_padding_mask=mg.tensor(pad), memory_key_padding_mask=mg.tensor(pad),
               tgt_is_causal=True)
    tout = theirs(*txs, tgt_mask=tmask, src_key_padding_mask=torch.tensor(pad),
                  memory_key_padding_mask=torch.tensor(pad), tgt_is_causal=True)
    (out * out).sum().backward()
    (tout * tout).sum().backward()

    def close(got, want, what):  # two stacks of a few hundred operations each: 1024 ulps of the scale
        want = want.detach().numpy()
        np.testing.assert_allclose(got.detach().numpy().copy(), want, rtol=0, atol=1024 * EPS64 * max(1.0, np.abs(want).max()),
                                   err_msg=what)
    close(out, tout, "output")
    for x, t in zip(xs, txs):
        close(x.grad, t.grad, "input grad")
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, k)


def test_transformer_initialisation_and_errors():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    w = model.encoder.layers[0].linear1.weight.detach().numpy().copy()
    assert np.abs(w).max() <= np.sqrt(6 / (8 + 16))  # xavier_uniform_ on every matrix, as PyTorch
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(mg.zeros(3, 2, 8), mg.zeros(3, 4, 8))
    with pytest.raises(RuntimeError, match="must be equal to d_model"):
        model(mg.zeros(3, 2, 6), mg.zeros(3, 2, 6))
