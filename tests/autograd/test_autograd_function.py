"""PyTorch-style custom Functions (``@staticmethod forward(ctx, ...)``), with the examples of PyTorch's own
documentation (Exp, LinearFunction, MulConstant) run on minigrad and on PyTorch side by side."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch", reason="PyTorch not installed: the comparisons need it")


def _exp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result
    return Exp


def _linear(lib):
    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t()) if lib is torch else input @ weight.T
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output @ weight
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.T @ input
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias
    return LinearFunction


def _mul_constant(lib):
    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None
    return MulConstant


def _both(a):
    return mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy() if isinstance(a, mg.Tensor) else a, b.detach().numpy(),
                               rtol=1e-14, atol=1e-14)


def test_documentation_examples_match_torch():
    rng = np.random.default_rng(0)
    (x, xt), (w, wt), (b, bt) = _both(rng.standard_normal((4, 3))), _both(rng.standard_normal((2, 3))), \
        _both(rng.standard_normal(2))
    for lib, xs in ((mg, (x, w, b)), (torch, (xt, wt, bt))):
        y = _exp(lib).apply(xs[0]).sum() + _linear(lib).apply(*xs).tanh().sum() \
            + _mul_constant(lib).apply(xs[0], 2.5).sum()
        y.backward()
    assert type(_exp(mg).apply(x).grad_fn).__name__ == "Exp" and _exp(mg).apply(x).grad_fn.name() == "ExpBackward"
    for a, at in ((x, xt), (w, wt), (b, bt)):
        _close(a.grad, at.grad)


def test_gradcheck_on_ctx_style_and_built_in_style():
    rng = np.random.default_rng(1)
    xs = [mg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((4, 3), (2, 3), (2,))]
    assert mg.autograd.gradcheck(_linear(mg).apply, xs)
    assert mg.autograd.gradcheck(lambda x: _exp(mg).apply(x), xs[:1])
    assert mg.gradcheck(lambda x: x.exp(), xs[:1])


def test_backward_written_with_tensor_ops_is_differentiable():
    rng = np.random.default_rng(2)
    x, xt = _both(rng.standard_normal(3))
    res = []
    for lib, a in ((mg, x), (torch, xt)):
        y = _exp(lib).apply(a * a).sum()
        g, = lib.autograd.grad(y, a, create_graph=True)
        h, = lib.autograd.grad(g.sum(), a)
        res.append((g, h))
    for a, b in zip(*res):
        _close(a, b)
    assert mg.autograd.gradgradcheck(_linear(mg).apply,
                                     [mg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (2, 3))])


def test_saved_tensors_are_version_checked():
    for lib in (mg, torch):
        x = lib.tensor(np.ones(3), requires_grad=True)
        y = _exp(lib).apply(x)
        y.add_(1) if lib is torch else y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_saved_tensors_freed_after_backward():
    for lib in (mg, torch):
        x = lib.tensor(np.ones(3), requires_grad=True)
        y = _exp(lib).apply(x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


def test_needs_input_grad_and_non_differentiable_outputs():
    seen = {}
    for lib in (mg, torch):
        class Round(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                seen[lib] = ctx.needs_input_grad
                out = (x * y).round() if lib is torch else (x * y).round()
                ctx.mark_non_differentiable(out)
                return out

            @staticmethod
            def backward(ctx, g):
                raise AssertionError("never called")
        out = Round.apply(lib.tensor(np.ones(2), requires_grad=True), lib.tensor(np.ones(2)))
        assert not out.requires_grad and out.grad_fn is None
    assert seen[mg] == seen[torch] == (True, False)


def test_wrong_number_of_gradients_is_refused_like_torch():
    for lib in (mg, torch):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g
        a = lib.tensor(np.ones(2), requires_grad=True)
        with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
            Bad.apply(a, a).sum().backward()


def test_invalid_gradient_shape_is_refused_like_torch():
    for lib in (mg, torch):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return lib.ones(2, dtype=g.dtype)
        with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
            Bad.apply(lib.tensor(np.ones(3), requires_grad=True)).sum().backward()


def _sort(lib, materialize):
    class Sort(lib.autograd.Function):
        """Values and indices: two outputs, one of them not differentiable (PyTorch's docs pattern)."""
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            idx = x.argsort() if lib is torch else mg.tensor(np.argsort(x.detach().numpy()))
            vals = x[idx]
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx, vals)
            return vals, idx, (vals * vals)

        @staticmethod
        def backward(ctx, g_vals, g_idx, g_sq):
            idx, vals = ctx.saved_tensors
            seen.append((g_vals is None, g_idx is None, g_sq is None))
            g = lib.zeros_like(vals) if g_vals is None else g_vals
            if g_sq is not None:
                g = g + 2 * vals * g_sq
            out = lib.zeros_like(g)
            out[idx] = g
            return out
    seen = []
    return Sort, seen


@pytest.mark.parametrize("materialize", [True, False])
def test_several_outputs_non_differentiable_ones_and_materialize_grads(materialize):
    a = np.array([0.3, -1.2, 2.0, 0.7])
    res = []
    for lib in (mg, torch):
        Sort, seen = _sort(lib, materialize)
        x = lib.tensor(a, requires_grad=True)
        vals, idx, sq = Sort.apply(x)
        assert vals.requires_grad and sq.requires_grad and not idx.requires_grad
        (sq * lib.tensor(np.arange(4.0))).sum().backward()  # vals gets no gradient
        res.append((x.grad.detach().numpy(), seen))
        x2 = lib.tensor(a, requires_grad=True)
        v2, _, s2 = Sort.apply(x2)
        g, = lib.autograd.grad((v2.exp() * s2).sum(), x2, create_graph=True)  # saved outputs carry the graph
        h, = lib.autograd.grad(g.sum(), x2)
        res[-1] += (g.detach().numpy(), h.detach().numpy())
    (gm, seen_m, g1m, h1m), (gt, seen_t, g1t, h1t) = res
    np.testing.assert_allclose(gm, gt, rtol=1e-14)
    np.testing.assert_allclose(g1m, g1t, rtol=1e-14)
    np.testing.assert_allclose(h1m, h1t, rtol=1e-14)
    assert seen_m[0] == seen_t[0] == ((False, False, False) if materialize else (True, True, False))


def test_mark_dirty_is_refused():
    class Inplace(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    with pytest.raises(NotImplementedError, match="mark_dirty"):
        Inplace.apply(mg.tensor(np.ones(2), requires_grad=True))


def test_jit_refuses_ctx_functions():
    Exp = _exp(mg)
    w = mg.tensor(np.ones(2), requires_grad=True)

    @mg.jit
    def step(a):
        return Exp.apply(a * w).sum()

    with pytest.raises(RuntimeError, match="custom Function Exp"):
        for _ in range(3):
            step(mg.tensor(np.ones(2)))
