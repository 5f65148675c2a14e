"""mg.autograd.grad, mg.autograd.backward and Tensor.backward(create_graph, inputs): PyTorch's semantics, each
behaviour compared with PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch", reason="PyTorch not installed: the comparisons need it")

EPS64 = np.finfo(np.float64).eps


def _pair(a: np.ndarray):
    return mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(got, want, ops: int = 50):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
    got = got.detach().numpy().copy() if isinstance(got, mg.Tensor) else got
    np.testing.assert_allclose(got, want, rtol=ops * EPS64, atol=ops * EPS64 * max(1.0, float(np.abs(want).max())))


def test_grad_leaves_dot_grad_alone_and_matches_torch():
    rng = np.random.default_rng(0)
    (x, xt), (w, wt) = _pair(rng.standard_normal((3, 4))), _pair(rng.standard_normal((4, 2)))
    g = mg.autograd.grad((x @ w).tanh().sum(), (x, w))
    gt = torch.autograd.grad((xt @ wt).tanh().sum(), (xt, wt))
    assert isinstance(g, tuple) and len(g) == 2
    for a, b in zip(g, gt):
        _close(a, b)
        assert not a.requires_grad and a.grad_fn is None
    assert x.grad is None and w.grad is None and xt.grad is None


def test_retain_graph_defaults_to_create_graph():
    for lib, (x, _) in ((mg, _pair(np.ones(3))), (torch, _pair(np.ones(3))[::-1])):
        y = (x * x).sum()
        lib.autograd.grad(y, x)
        with pytest.raises(RuntimeError, match="second time"):
            lib.autograd.grad(y, x)
        y = (x * x).sum()
        lib.autograd.grad(y, x, create_graph=True)
        lib.autograd.grad(y, x)  # retained by create_graph=True


def test_unused_input():
    x, xt = _pair(np.ones(2))
    z, zt = _pair(np.ones(2))
    msg = "appears to not have been used in the graph"
    with pytest.raises(RuntimeError, match=msg):
        mg.autograd.grad((x * 2).sum(), (x, z))
    with pytest.raises(RuntimeError, match=msg):
        torch.autograd.grad((xt * 2).sum(), (xt, zt))
    g = mg.autograd.grad((x * 2).sum(), (x, z), allow_unused=True)
    gt = torch.autograd.grad((xt * 2).sum(), (xt, zt), allow_unused=True)
    assert g[1] is None and gt[1] is None
    g = mg.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True)
    gt = torch.autograd.grad((xt * 2).sum(), (xt, zt), materialize_grads=True)
    _close(g[1], gt[1])


def test_argument_errors_match_torch():
    x, xt = _pair(np.ones(3))
    c, ct = mg.ones(3), torch.ones(3, dtype=torch.float64)
    for lib, a, k in ((mg, x, c), (torch, xt, ct)):
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad((a * 2).sum(), k)
        with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
            lib.autograd.grad(a * 2, a)
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            lib.autograd.grad(a * 2, a, grad_outputs=lib.ones(2, dtype=a.dtype))
        with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            lib.autograd.grad(k.sum(), a)


def test_several_outputs_weighted_and_non_leaf_inputs():
    rng = np.random.default_rng(1)
    x, xt = _pair(rng.standard_normal(4))
    outs = []
    for lib, a in ((mg, x), (torch, xt)):
        h = a.sin()
        y1, y2 = (h * h).sum(), h.exp()
        go = lib.tensor(np.arange(4.0), dtype=a.dtype)
        outs.append(lib.autograd.grad((y1, y2), (h, a), grad_outputs=(None, go)))
    for a, b in zip(*outs):
        _close(a, b)


def test_backward_inputs_accumulates_only_into_inputs():
    rng = np.random.default_rng(2)
    res = []
    for lib in (mg, torch):
        x = lib.tensor(rng.standard_normal(3) if lib is mg else res[0][2], requires_grad=True)
        w = lib.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        h = x * w
        h.retain_grad()
        (h.exp().sum()).backward(inputs=[x, h])
        res.append((x.grad.detach().numpy().copy() if lib is mg else x.grad.detach().numpy(), w.grad, x.detach().numpy(),
                    h.grad.detach().numpy().copy() if lib is mg else h.grad.detach().numpy()))
    (gx, gw, _, gh), (tx, tw, _, th) = res
    np.testing.assert_allclose(gx, tx, rtol=1e-14)
    np.testing.assert_allclose(gh, th, rtol=1e-14)
    assert gw is None and tw is None
    with pytest.raises(RuntimeError, match="cannot be empty"):
        mg.tensor([1.0], requires_grad=True).sum().backward(inputs=[])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_create_graph_makes_grad_differentiable():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(3)
    got = []
    for lib in (mg, torch):
        x = lib.tensor(a, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        g1 = x.grad
        (x * x).sum().backward(create_graph=True)  # accumulates out of place: a new tensor with a graph
        assert x.grad is not g1
        gx = x.grad
        x.grad = None
        gx.sum().backward()
        got.append(x.grad)
    _close(got[0], got[1])


def test_third_order_and_grad_of_grad():
    x, xt = _pair(np.array([0.3, -1.2, 2.0]))
    res = []
    for lib, a in ((mg, x), (torch, xt)):
        y = (a.sin() * a.exp()).sum()
        g1, = lib.autograd.grad(y, a, create_graph=True)
        g2, = lib.autograd.grad(g1.sum(), a, create_graph=True)
        g3, = lib.autograd.grad(g2.sum(), a)
        res.append((g1, g2, g3))
    for a, b in zip(*res):
        _close(a, b)


def test_grad_output_that_requires_grad_is_differentiated():
    """The double-backward trick: d/dv of (J^T v) is J, so a vjp gives a jvp."""
    rng = np.random.default_rng(4)
    x, xt = _pair(rng.standard_normal(3))
    res = []
    for lib, a in ((mg, x), (torch, xt)):
        v = lib.zeros(2, dtype=a.dtype, requires_grad=True)
        m = lib.tensor(np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 4.0]]))
        y = (m @ a).tanh()
        vjp, = lib.autograd.grad(y, a, grad_outputs=v, create_graph=True)
        u = lib.tensor(np.array([1.0, -2.0, 0.5]))
        jvp, = lib.autograd.grad(vjp, v, grad_outputs=u)
        res.append(jvp)
    _close(*res)


def _mlp(lib, params, x):
    w1, b1, w2, b2 = params
    return ((x @ w1.T + b1).tanh() @ w2.T + b2).sigmoid().pow(2).sum()


def _hessian(f, params):
    """Full Hessian of f with respect to the flattened params, one autograd.grad per row."""
    g = mg.autograd.grad(f(params), params, create_graph=True)
    flat = mg.cat([t.reshape(-1) for t in g])
    rows = []
    for i in range(flat.shape[0]):
        r = mg.autograd.grad(flat[i], params, retain_graph=True, allow_unused=True)
        rows.append(np.concatenate([(np.zeros(p.shape) if t is None else t.detach().numpy().copy()).reshape(-1)
                                    for p, t in zip(params, r)]))
    return np.stack(rows)


def test_hessian_of_a_small_network_matches_torch():
    rng = np.random.default_rng(5)
    shapes = [(3, 2), (3,), (2, 3), (2,)]
    arrays = [rng.standard_normal(s) for s in shapes]
    xin = rng.standard_normal((4, 2))
    ps = [mg.tensor(a, requires_grad=True) for a in arrays]
    h = _hessian(lambda p: _mlp(mg, p, mg.tensor(xin)), ps)

    def ft(*p):
        return _mlp(torch, p, torch.tensor(xin))
    ht = torch.autograd.functional.hessian(ft, tuple(torch.tensor(a) for a in arrays))
    n = sum(a.size for a in arrays)
    want = np.block([[ht[i][j].reshape(arrays[i].size, arrays[j].size).detach().numpy().copy() for j in range(4)] for i in range(4)])
    assert h.shape == (n, n)
    np.testing.assert_allclose(h, h.T, atol=1e-12)
    _close(h, want, ops=200)


def test_hessian_of_a_conv_pool_network_matches_torch():
    import minigrad.nn.functional as F
    import torch.nn.functional as TF
    rng = np.random.default_rng(6)
    xin = rng.standard_normal((2, 1, 5, 5))
    wa, la = rng.standard_normal((2, 1, 2, 2)), rng.standard_normal((2, 8))

    def net(F_, w, lw, x):
        h = F_.max_pool2d(F_.conv2d(x, w), 2).sigmoid().reshape(2, 8)
        return F_.cross_entropy(h @ lw.T, (torch if F_ is TF else mg).tensor([0, 1]))
    ps = [mg.tensor(wa, requires_grad=True), mg.tensor(la, requires_grad=True)]
    h = _hessian(lambda p: net(F, p[0], p[1], mg.tensor(xin)), ps)
    ht = torch.autograd.functional.hessian(lambda w, lw: net(TF, w, lw, torch.tensor(xin)),
                                           (torch.tensor(wa), torch.tensor(la)))
    want = np.block([[ht[i][j].reshape(ps[i].numel(), ps[j].numel()).detach().numpy().copy() for j in range(2)] for i in range(2)])
    _close(h, want, ops=500)


def test_jit_refuses_create_graph_clearly():
    x = mg.tensor(np.ones(3), requires_grad=True)

    @mg.jit
    def step(a):
        g, = mg.autograd.grad((a * x).sum(), x, create_graph=True)
        return g

    a = mg.tensor(np.ones(3))
    with pytest.raises(RuntimeError, match="mg.jit can't record autograd.grad"):
        for _ in range(3):
            step(a)


def test_op_without_a_differentiable_backward_names_itself(monkeypatch):
    """A rule that calls an array function with no differentiable form fails clearly, naming the op."""
    from minigrad.backend import array_module
    from minigrad.ops import elementwise

    def first_order_only(self, g):
        return g * array_module(self.a).i0(self.a)  # NumPy has i0; the create_graph namespace does not

    monkeypatch.setattr(elementwise.Sin, "backward", first_order_only)
    x = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="the backward of SinBackward can't be differentiated: xp.i0"):
        mg.autograd.grad(x.sin().sum(), x, create_graph=True)


@pytest.mark.parametrize("case", ["conv-pool-gelu", "index-gather-softmax", "norm-pad-prod"])
def test_third_derivatives_match_torch(case):
    """Differentiating a differentiated backward: the rules' Box path is itself differentiable (IndexAdd,
    NormalCDF, the im2col writes, ...)."""
    import minigrad.nn.functional as F
    import torch.nn.functional as TF
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 1, 4, 4)) if case != "index-gather-softmax" else rng.standard_normal((3, 4))
    w = rng.standard_normal((2, 1, 2, 2))
    res = []
    for lib, FF in ((mg, F), (torch, TF)):
        x = lib.tensor(a, requires_grad=True)
        if case == "conv-pool-gelu":
            y = FF.gelu(FF.max_pool2d(FF.conv2d(x, lib.tensor(w)), 2)).sum()
        elif case == "index-gather-softmax":
            idx = lib.tensor(np.array([[0, 2], [1, 1], [3, 0]]))
            y = (FF.softmax(x[[0, 2, 2]], dim=1).gather(1, idx) ** 3).sum() + x[1:, ::2].exp().sum()
        else:
            z = FF.pad(FF.batch_norm(x, None, None, training=True), (1, 1, 0, 1), mode="reflect")
            y = z.reshape(2, -1).tanh().prod(dim=1).sum()
        g1, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad((g1 * g1).sum(), x, create_graph=True)
        g3, = lib.autograd.grad(g2.sin().sum(), x)
        res.append((g1, g2, g3))
    for k, (got, want) in enumerate(zip(*res)):
        want = want.detach().numpy()
        np.testing.assert_allclose(got.detach().numpy().copy(), want, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(want).max())),
                                   err_msg=f"order {k + 1}")
