"""RNN, LSTM, GRU and MultiheadAttention against torch.nn: torch's parameters loaded into minigrad, then outputs,
final states, attention weights and every gradient (inputs, initial states, parameters) compared in float64;
PyTorch's parameter names, reprs and initialisation; masks; argument errors; training under mg.jit."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

EPS64 = np.finfo(np.float64).eps


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.nn cross-checks are skipped")


def _twins(torch, name, kwargs):
    ours = getattr(nn, name)(**kwargs).to(dtype=mg.float64)
    theirs = getattr(torch.nn, name)(**kwargs).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _close(a, b, what, steps=1):
    """Within 64 ulps of the scale per step of recurrence: the same formulas, summed in another order."""
    b = b.detach().numpy() if hasattr(b, "detach") else b
    tol = 64 * steps * EPS64 * max(1.0, float(np.abs(b).max()) if b.size else 1.0)
    np.testing.assert_allclose(a.detach().numpy().copy(), b, rtol=0, atol=tol, err_msg=what)


RNN_CASES = [
    ("LSTM", dict(input_size=3, hidden_size=4), (5, 2, 3), None),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True), (2, 5, 3), "hc"),
    ("LSTM", dict(input_size=3, hidden_size=4, bias=False), (5, 3), "hc"),
    ("LSTM", dict(input_size=3, hidden_size=4, proj_size=2, num_layers=2, bidirectional=True), (5, 2, 3), "hc"),
    ("LSTM", dict(input_size=3, hidden_size=4, proj_size=1, batch_first=True), (2, 5, 3), None),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bias=False), (5, 2, 3), "h"),
    ("GRU", dict(input_size=3, hidden_size=4, bidirectional=True), (5, 3), None),
    ("RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu", num_layers=3), (5, 2, 3), "h"),
    ("RNN", dict(input_size=3, hidden_size=2, batch_first=True, bidirectional=True), (2, 6, 3), None),
]


@pytest.mark.parametrize("name, kwargs, shape, hx", RNN_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RNN_CASES)])
def test_recurrent_layer_matches_torch(torch, name, kwargs, shape, hx):
    rng = np.random.default_rng(0)
    ours, theirs = _twins(torch, name, kwargs)
    directions = 2 if kwargs.get("bidirectional") else 1
    batch = () if len(shape) == 2 else (shape[0 if kwargs.get("batch_first") else 1],)
    lead = (directions * kwargs.get("num_layers", 1),) + batch
    sizes = {"h": kwargs.get("proj_size") or kwargs["hidden_size"], "c": kwargs["hidden_size"]}  # h is projected
    x = rng.standard_normal(shape)
    states = [rng.standard_normal(lead + (sizes[kind],)) for kind in (hx or "")]
    xs, txs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hs = [mg.tensor(s, requires_grad=True) for s in states]
    ths = [torch.tensor(s, requires_grad=True) for s in states]
    args = () if not hx else ((tuple(hs),) if hx == "hc" else (hs[0],))
    targs = () if not hx else ((tuple(ths),) if hx == "hc" else (ths[0],))
    out, final = ours(xs, *args)
    tout, tfinal = theirs(txs, *targs)
    finals = final if isinstance(final, tuple) else (final,)
    tfinals = tfinal if isinstance(tfinal, tuple) else (tfinal,)
    steps = shape[1] if kwargs.get("batch_first") else shape[0]
    _close(out, tout, "output", steps)
    for a, b in zip(finals, tfinals):
        _close(a, b, "final state", steps)
    g = rng.standard_normal(tuple(tout.shape))
    ((out * mg.tensor(g)).sum() + sum((f * f).sum() for f in finals)).backward()
    ((tout * torch.from_numpy(g)).sum() + sum((f * f).sum() for f in tfinals)).backward()
    _close(xs.grad, txs.grad, "input grad", steps)
    for h, th in zip(hs, ths):
        _close(h.grad, th.grad, "state grad", steps)
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, tp.grad, k, steps)


def test_recurrent_defaults_and_errors():
    lstm = nn.LSTM(3, 5, num_layers=2)
    names = [n for n, _ in lstm.named_parameters()]
    assert names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                     "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    assert lstm.weight_ih_l0.shape == (20, 3) and lstm.weight_ih_l1.shape == (20, 5)
    bound = 1 / math.sqrt(5)
    assert all(np.abs(p.detach().numpy().copy()).max() <= bound for p in lstm.parameters())
    with pytest.raises(mg.ShapeError, match="input.size\\(-1\\) must be equal to input_size"):
        lstm(mg.zeros(4, 2, 4))
    with pytest.raises(mg.ShapeError, match="Expected hidden\\[0\\] size \\(2, 2, 5\\)"):
        lstm(mg.zeros(4, 2, 3), (mg.zeros(1, 2, 5), mg.zeros(1, 2, 5)))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)


def test_lstm_learns_a_sequence_task_under_jit():
    """A sum-of-sequence regression trains with an LSTM; the jitted step gives the eager losses bit for bit."""
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((6, 8, 2)))
    y = x.sum(0)[:, :1]
    losses = []
    for jit in (False, True):
        mg.manual_seed(0)
        mg.set_default_dtype(mg.float64)
        lstm, head = nn.LSTM(2, 8), nn.Linear(8, 1)
        opt = mg.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.02)

        def step(x, y):
            opt.zero_grad()
            out, _ = lstm(x)
            loss = ((head(out[-1]) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run = mg.jit(step) if jit else step
        losses.append([run(x, y).item() for _ in range(40)])
    assert losses[0] == losses[1]
    assert losses[0][-1] < 0.5 * losses[0][0]


MHA_CASES = [
    (dict(embed_dim=8, num_heads=2), {}, {}, False),
    (dict(embed_dim=8, num_heads=4, batch_first=True, bias=False), {}, {}, False),
    (dict(embed_dim=8, num_heads=2, kdim=5, vdim=3), {}, {}, False),
    (dict(embed_dim=8, num_heads=2), dict(average_attn_weights=False), {}, False),
    (dict(embed_dim=8, num_heads=2), dict(need_weights=False), {}, False),
    (dict(embed_dim=8, num_heads=2), {}, {"attn_mask": "bool"}, False),
    (dict(embed_dim=8, num_heads=2), {}, {"attn_mask": "float-heads", "key_padding_mask": "pad-float"}, False),
    (dict(embed_dim=8, num_heads=2), {}, {"key_padding_mask": "pad-bool"}, True),
    (dict(embed_dim=8, num_heads=2), dict(is_causal=True), {"attn_mask": "causal"}, False),
    (dict(embed_dim=8, num_heads=2, add_bias_kv=True), {}, {"attn_mask": "bool"}, False),
    (dict(embed_dim=8, num_heads=2, add_zero_attn=True), dict(average_attn_weights=False),
     {"attn_mask": "float-heads", "key_padding_mask": "pad-float"}, False),
    (dict(embed_dim=8, num_heads=4, add_bias_kv=True, add_zero_attn=True, batch_first=True), {},
     {"key_padding_mask": "pad-bool"}, False),
    (dict(embed_dim=8, num_heads=2, add_bias_kv=True, add_zero_attn=True), {}, {"key_padding_mask": "pad-bool"},
     True),
]


def _mask(kind, rng, n, heads, tgt, src, unbatched):
    if kind == "bool":
        m = rng.random((tgt, src)) < 0.3
        m[:, 0] = False  # every query keeps one key: no all -inf row
        return m
    if kind == "float-heads":
        return rng.standard_normal((n * heads, tgt, src))
    if kind == "causal":
        return np.triu(np.ones((tgt, src), dtype=bool), 1)
    pad = np.zeros((n, src), dtype=bool)
    pad[:, -1] = True
    pad[-1, 1] = True
    if kind == "pad-float":
        return np.where(pad, -1e9, 0.0)
    return pad[0] if unbatched else pad


@pytest.mark.parametrize("kwargs, fkw, masks, unbatched", MHA_CASES, ids=[str(i) for i in range(len(MHA_CASES))])
def test_multihead_attention_matches_torch(torch, kwargs, fkw, masks, unbatched):
    rng = np.random.default_rng(2)
    ours, theirs = _twins(torch, "MultiheadAttention", kwargs)
    e, n, tgt, src = kwargs["embed_dim"], 2, 4, 6
    bf = kwargs.get("batch_first", False)

    def shape(t, d):
        return (t, d) if unbatched else ((n, t, d) if bf else (t, n, d))

    arrays = [rng.standard_normal(shape(tgt, e)), rng.standard_normal(shape(src, kwargs.get("kdim") or e)),
              rng.standard_normal(shape(src, kwargs.get("vdim") or e))]
    mk = {k: _mask(v, rng, n, kwargs["num_heads"], tgt, src, unbatched) for k, v in masks.items()}
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, w = ours(*xs, **fkw, **{k: mg.tensor(v) for k, v in mk.items()})
    tout, tw = theirs(*txs, **fkw, **{k: torch.tensor(v) for k, v in mk.items()})
    _close(out, tout, "output")
    assert (w is None) == (tw is None)
    if w is not None:
        _close(w, tw, "weights")
    ((out * out).sum() + (0 if w is None else (w * w).sum())).backward()
    ((tout * tout).sum() + (0 if tw is None else (tw * tw).sum())).backward()
    for x, t in zip(xs, txs):
        _close(x.grad, t.grad, "input grad")
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, tp.grad, k)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    mha = nn.MultiheadAttention(8, 2)
    x = mg.zeros(4, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(mg.ShapeError, match="attn_mask should have shape \\(4, 4\\)"):
        mha(x, x, x, attn_mask=mg.zeros(3, 4))
    with pytest.raises(mg.ShapeError, match="was expecting embedding dimension of 8"):
        mha(mg.zeros(4, 2, 6), x, x)
    assert mha.in_proj_bias.detach().numpy().copy().tolist() == [0.0] * 24 and mha.out_proj.bias.detach().numpy().copy().tolist() == [0.0] * 8


@pytest.mark.parametrize("make, shapes", [
    (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), [(5, 2, 3)]),
    (lambda: nn.GRU(3, 4, batch_first=True), [(2, 5, 3)]),
    (lambda: nn.MultiheadAttention(8, 2), [(4, 2, 8), (6, 2, 8), (6, 2, 8)]),
    (lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [(5, 2, 8)]),
], ids=["LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer"])
def test_layers_give_the_same_results_on_every_backend(backend, make, shapes):
    """The layer moved to another backend (the strict one checks CuPy's rules) computes numpy's outputs and
    gradients, to rounding (the backends may sum in another order)."""
    mg.manual_seed(0)
    mg.set_default_dtype(mg.float64)
    ref = make()
    other = make()
    other.load_state_dict(ref.state_dict())
    other = other.to(backend)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    results = []
    for module, be in ((ref, "numpy"), (other, backend)):
        xs = [mg.tensor(a, backend=be, requires_grad=True) for a in arrays]
        out = module(*xs)
        out = out[0] if isinstance(out, tuple) else out
        (out * out).sum().backward()
        results.append((out.detach().numpy().copy(), [x.grad.detach().numpy().copy() for x in xs], [p.grad.detach().numpy().copy() for p in module.parameters()]))
    (o1, gx1, gp1), (o2, gx2, gp2) = results
    np.testing.assert_allclose(o2, o1, rtol=1e-12, atol=1e-13)
    for a, b in zip(gx1 + gp1, gx2 + gp2):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)
