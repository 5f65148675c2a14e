"""Reliability rules (issue 10): no silent detaching, no grad on integer tensors, grad modes with PyTorch's
semantics, clear errors at the public API, empty tensors. PyTorch 2.13 is the reference where importable."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

try:
    import torch
except ImportError:  # the suite runs without torch; the cross-checks then skip with this reason
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed: no PyTorch cross-check")


# ----------------------------------------------------------------------------- rule 5: grad modes
def test_set_grad_enabled_as_a_decorator_does_not_switch_grad_off_for_the_process():
    @mg.set_grad_enabled(False)
    def f(x):
        assert not mg.is_grad_enabled()
        return x * 2

    assert mg.is_grad_enabled(), "decorating must not change the mode around it"
    x = mg.ones(2, requires_grad=True)
    assert f(x).grad_fn is None
    assert mg.is_grad_enabled() and (x * 2).grad_fn is not None


@needs_torch
def test_set_grad_enabled_matches_torch_as_call_context_and_decorator():
    for lib in (torch, mg):
        seen = []
        lib.set_grad_enabled(False)
        seen.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        dec = lib.set_grad_enabled(False)(lambda: lib.is_grad_enabled())
        seen += [lib.is_grad_enabled(), dec(), lib.is_grad_enabled()]
        if lib is torch:
            expected = seen
    assert seen == expected == [False, False, True, True, False, True, False, True]


@pytest.mark.parametrize("ctx, inside", [(mg.no_grad, False), (mg.enable_grad, True), (mg.inference_mode, False)])
def test_decorated_generators_run_in_the_mode_across_yields(ctx, inside):
    outside = not inside

    @ctx()
    def gen(n):
        for i in range(n):
            got = yield (i, mg.is_grad_enabled())
            assert mg.is_grad_enabled() is inside
            assert got in (None, "sent")
        return "done"

    mg.set_grad_enabled(outside)
    g = gen(3)
    assert next(g) == (0, inside)
    assert mg.is_grad_enabled() is outside, "the caller gets its own mode back at each yield"
    assert g.send("sent") == (1, inside)
    assert mg.is_grad_enabled() is outside
    assert list(g) == [(2, inside)]
    assert mg.is_grad_enabled() is outside


def test_decorated_generator_return_value_throw_and_close():
    @mg.no_grad()
    def gen():
        try:
            yield 1
            yield 2
        except KeyError:
            yield ("caught", mg.is_grad_enabled())
        finally:
            closed.append(mg.is_grad_enabled())
        return "value"

    closed: list = []
    g = gen()
    next(g)
    assert g.throw(KeyError("k")) == ("caught", False)
    g.close()
    assert closed == [False] and mg.is_grad_enabled()

    def outer():
        return (yield from gen())

    closed.clear()
    o = outer()
    assert list(o) == [1, 2] and closed == [False]


@needs_torch
def test_generator_decorator_matches_torch():
    def run(lib):
        @lib.no_grad()
        def gen():
            yield lib.is_grad_enabled()
            yield lib.is_grad_enabled()

        out = []
        for v in gen():
            out += [v, lib.is_grad_enabled()]
        return out

    assert run(mg) == run(torch) == [False, True, False, True]


def test_bare_no_grad_and_enable_grad_decorators():
    @mg.no_grad
    def f(x):
        return x * 2

    @mg.enable_grad
    def g(x):
        return x * 2

    x = mg.ones(2, requires_grad=True)
    assert f.__name__ == "f" and f(x).grad_fn is None and mg.is_grad_enabled()
    with mg.no_grad():
        assert g(x).grad_fn is not None
        assert not mg.is_grad_enabled()


def test_grad_mode_is_restored_when_the_function_raises():
    @mg.no_grad()
    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert mg.is_grad_enabled()
    with pytest.raises(ValueError):
        with mg.no_grad():
            raise ValueError
    assert mg.is_grad_enabled()


def test_inference_mode():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert (x * 2).grad_fn is None
    with mg.inference_mode(False):
        assert (x * 2).grad_fn is not None
    assert mg.inference_mode(False)(len) is len
    with pytest.raises(TypeError, match="mode must be a bool"):
        mg.inference_mode("yes")
    with pytest.raises(TypeError, match="mode must be a bool"):
        mg.set_grad_enabled("no")
    with pytest.raises(TypeError, match="needs a function"):
        mg.no_grad()(3)


# ----------------------------------------------------------------------------- rule 1: no silent detaching
def test_accumulating_a_loss_into_a_plain_tensor_carries_the_graph():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = mg.tensor(0.0)
    t += (w * w).sum()
    (t + w.sum()).backward()
    assert w.grad.tolist() == [3.0, 5.0, 7.0]  # PyTorch's answer; the graph used to be dropped ([1, 1, 1])
    assert t.requires_grad and t.grad_fn is not None and not t.is_leaf


# (name, minigrad op, torch op): each writes a value that requires grad into a tensor that does not.
INPLACE_CASES = [
    ("+=", lambda t, w: t.__iadd__(w * w), None),
    ("-=", lambda t, w: t.__isub__(w * w), None),
    ("*=", lambda t, w: t.__imul__(w * w), None),
    ("/=", lambda t, w: t.__itruediv__(w * w), None),
    ("add_", lambda t, w: t.add_(w), None),
    ("add_ alpha", lambda t, w: t.add_(w, alpha=3), None),
    ("sub_ alpha", lambda t, w: t.sub_(w, alpha=2), None),
    ("mul_", lambda t, w: t.mul_(w), None),
    ("div_", lambda t, w: t.div_(w), None),
    ("copy_", lambda t, w: t.copy_(w), None),
    ("copy_ broadcast", lambda t, w: t.copy_(w[1:2]), None),
    ("fill_", lambda t, w: t.fill_(w.sum()), None),
    ("setitem slice", lambda t, w: t.__setitem__(slice(0, 2), w[:2] * 2), None),
    ("setitem int", lambda t, w: t.__setitem__(1, w[2]), None),
    ("setitem bool mask", lambda t, w: t.__setitem__(t.detach() > 1.5, w[0]), "mask"),
    ("setitem index list", lambda t, w: t.__setitem__([2, 0], w[:2]), None),
    ("setitem extra leading dim", lambda t, w: t.__setitem__(slice(0, 2), w[:2].reshape(1, 2)), None),
]


@needs_torch
@pytest.mark.parametrize("name, op, note", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_writes_of_grad_values_match_torch(name, op, note):
    def run(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = lib.tensor([1.0, 2.0, 4.0])
        alias = t  # every reference to the tensor object sees the graph
        r = op(t, w)
        if r is not None:
            assert r is t
        (alias * lib.tensor([1.0, -2.0, 5.0])).sum().backward()
        return t.detach().numpy(), w.grad.numpy(), t.requires_grad

    mv, mgrad, mreq = run(mg)
    tv, tgrad, treq = run(torch)
    np.testing.assert_allclose(mv, tv, rtol=1e-6)
    np.testing.assert_allclose(mgrad, tgrad, rtol=1e-6)
    assert mreq and treq


def test_inplace_graph_write_keeps_dtype_and_numpy_memory():
    w = mg.tensor([1.0, 2.0], requires_grad=True, dtype=mg.float64)
    arr = np.zeros(2, dtype=np.float32)
    t = mg.from_numpy(arr)
    t.add_(w * 3)
    assert t.dtype == mg.float32 and arr.tolist() == [3.0, 6.0]  # written into the same memory
    t.sum().backward()
    assert w.grad.dtype == mg.float64 and w.grad.tolist() == [3.0, 3.0]


def test_inplace_graph_write_errors():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        mg.tensor([1, 2]).add_(w)
    with pytest.raises(RuntimeError, match=r"output with shape minigrad.Size\(\[\]\) doesn't match the broadcast shape minigrad.Size\(\[2\]\)"):
        mg.tensor(0.0).add_(w)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        mg.zeros(2).fill_(w)
    base = mg.zeros(2, 2)
    view = base[0]
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        view += w  # base could not be given the graph: refuse rather than detach silently
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        base[0] = w * 1
    alias = mg.zeros(2)
    _ = alias.detach()
    with pytest.raises(RuntimeError, match="shares memory"):
        alias.copy_(w)
    assert base.tolist() == [[0, 0], [0, 0]] and not base.requires_grad


def test_inplace_into_a_leaf_that_requires_grad_still_raises_and_no_grad_still_mutates():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    t = mg.zeros(2)
    with mg.no_grad():
        t.add_(w)
        t[0] = w[1]
    assert t.tolist() == [2.0, 2.0] and not t.requires_grad and t.grad_fn is None


def test_a_graph_that_saved_the_old_value_sees_the_inplace_change():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    t = mg.tensor([3.0, 4.0])
    y = w * t  # saves t
    with pytest.raises(RuntimeError, match="shares memory with other tensors .* or was saved for a backward"):
        t += w
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


def test_array_conversion_of_a_tensor_that_requires_grad_raises_like_torch():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    msg = r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."
    for convert in (np.asarray, np.exp, lambda t: np.array(t, dtype=np.float64)):
        with pytest.raises(RuntimeError, match=msg):
            convert(w)
        with pytest.raises(RuntimeError, match=msg):
            convert(w * 2)
    np.testing.assert_allclose(np.exp(w.detach()), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match=msg):  # the explicit export refuses too, as PyTorch's
        w.numpy()
    got = w.detach().numpy()  # shares memory with w, as in PyTorch
    got[0] = 99.0
    assert w.tolist() == [99.0, 2.0]
    assert np.asarray(mg.tensor([1, 2])).tolist() == [1, 2]
    t = mg.tensor([1.0])
    assert np.shares_memory(np.asarray(t, copy=False), t.numpy())
    if torch is not None:
        with pytest.raises(RuntimeError, match=msg):
            np.asarray(torch.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("cast", [
    lambda t: t.long(), lambda t: t.int(), lambda t: t.bool(), lambda t: t.to(mg.int64),
    lambda t: t.to(dtype=mg.uint8), lambda t: t.type(mg.bool_), lambda t: t.to("numpy", mg.int32),
])
def test_casts_to_integer_or_bool_do_not_require_grad(cast):
    w = mg.tensor([1.5, -2.5], requires_grad=True)
    out = cast(w)
    assert not out.requires_grad and out.grad_fn is None and out.dtype.kind in "biu"
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()


def test_float_casts_stay_differentiable():
    w = mg.tensor([1.5, -2.5], requires_grad=True)
    for out in (w.double(), w.half(), w.to(mg.float64), w.float()):
        assert out.requires_grad
    w.double().sum().backward()
    assert w.grad.dtype == mg.float32 and w.grad.tolist() == [1.0, 1.0]


def test_data_assignment():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = w * w  # saves w
    w.data = mg.tensor([5.0, 6.0])  # not recorded, but counts as an in-place change
    assert w.tolist() == [5.0, 6.0] and w.requires_grad and w.is_leaf
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        w.data = np.array([1, 2])
    with pytest.raises(TypeError, match="dtype object"):
        w.data = np.array([None])
    plain = mg.zeros(2)
    plain.data = np.arange(3)  # shape and dtype may change, as in PyTorch
    assert plain.shape == (3,) and plain.dtype == mg.int64


# ----------------------------------------------------------------------------- rule 2: integer tensors
INT_MSG = "only Tensors of floating point dtype can require gradients"


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], requires_grad=True),
    lambda: mg.tensor([True], requires_grad=True),
    lambda: mg.tensor([1.0], dtype=mg.int32, requires_grad=True),
    lambda: mg.Tensor(np.arange(3), requires_grad=True),
    lambda: mg.arange(3, requires_grad=True),
    lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
    lambda: mg.ones(2, dtype=mg.bool_, requires_grad=True),
    lambda: mg.full((2,), 3, requires_grad=True),
    lambda: mg.tensor([1, 2]).requires_grad_(),
    lambda: setattr(mg.tensor([1, 2]), "requires_grad", True),
    lambda: mg.nn.Parameter(mg.tensor([1, 2])),
])
def test_integer_and_bool_tensors_never_require_grad(make):
    with pytest.raises(RuntimeError, match=INT_MSG):
        make()


@needs_torch
def test_integer_requires_grad_errors_exist_in_torch_too():
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2]).requires_grad = True


def test_requires_grad_setter():
    t = mg.zeros(2)
    t.requires_grad = True
    assert t.requires_grad and t.is_leaf
    t.requires_grad = False
    assert not t.requires_grad
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    y.requires_grad = True  # a no-op on a non-leaf, as in PyTorch


# ----------------------------------------------------------------------------- rule 3: .grad assignment
def test_grad_assignment_is_checked_like_torch():
    w = mg.zeros(2, 3, requires_grad=True)
    w.grad = mg.ones(2, 3)
    w.grad = None
    with pytest.raises(TypeError, match="expected to be a Tensor or None but got grad of type ndarray"):
        w.grad = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3, 2\) but the tensor has shape \(2, 3\)"):
        w.grad = mg.ones(3, 2)
    with pytest.raises(RuntimeError, match="assigned grad has dtype float64 but the tensor has dtype float32"):
        w.grad = mg.ones(2, 3, dtype=mg.float64)
    assert w.grad is None
    if torch is not None:
        tw = torch.zeros(2, 3, requires_grad=True)
        for bad in (torch.ones(3, 2), torch.ones(2, 3, dtype=torch.float64)):
            with pytest.raises(RuntimeError, match="assign a gradient (of size|with dtype)"):
                tw.grad = bad


# ----------------------------------------------------------------------------- rule 3: arguments
@pytest.mark.parametrize("fn", [mg.zeros, mg.ones, mg.empty, mg.randn, mg.rand])
@pytest.mark.parametrize("args, exc, match", [
    ((-1,), ValueError, r"size must be non-negative, got \(-1,\)"),
    (((2, -3),), ValueError, r"size must be non-negative, got \(2, -3\)"),
    ((2.0,), TypeError, r"size must be a sequence of non-negative ints, got 2.0 \(float\)"),
    ((np.float64(2),), TypeError, r"got np.float64\(2.0\) \(float64\)"),
    ((None,), TypeError, r"got None \(NoneType\)"),
    (("3",), TypeError, r"got '3' \(str\)"),
    ((True,), TypeError, r"got True \(bool\)"),
    (((2,), 3), TypeError, r"got \(2,\) \(tuple\)"),
])
def test_factory_sizes_are_validated(fn, args, exc, match):
    with pytest.raises(exc, match=fn.__name__ + r"\(\): .*" + match):
        fn(*args)


@pytest.mark.parametrize("fn", [mg.zeros, mg.ones, mg.empty, mg.randn, mg.rand])
def test_factory_sizes_accept_numpy_ints_lists_and_0d_tensors(fn):
    for args in [(np.int64(2), np.int32(3)), ([2, 3],), ((2, 3),), (mg.tensor(2), 3), (0, 3)]:
        assert fn(*args).shape == (int(args[0][0]) if isinstance(args[0], (list, tuple)) else int(args[0]), 3)


def test_factory_dtypes_and_values_are_validated():
    with pytest.raises(TypeError, match=r"zeros\(\): dtype must be a bool, int or float dtype, got complex128"):
        mg.zeros(2, dtype=complex)
    with pytest.raises(TypeError, match=r"randn\(\): dtype must be a floating dtype .*, got int64"):
        mg.randn(2, dtype=mg.int64)
    with pytest.raises(TypeError, match="is not a dtype"):
        mg.ones(2, dtype="nonsense")
    with pytest.raises(TypeError, match=r"full\(\): fill_value must be a real number, got 'a' \(str\)"):
        mg.full((2,), "a")
    with pytest.raises(TypeError, match=r"full\(\): fill_value must be a real number, got \[1, 2\]"):
        mg.full((2,), [1, 2])
    with pytest.raises(TypeError, match=r"zeros_like\(\): input must be a Tensor, got list"):
        mg.zeros_like([1, 2])
    with pytest.raises(TypeError, match="dtype object"):
        mg.from_numpy(np.array([None]))
    assert mg.full((2,), 3).dtype == mg.int64 and mg.full(2, 1.5).dtype == mg.float32
    assert mg.full((2,), True).dtype == mg.bool_ and mg.full((1,), np.float64(2)).tolist() == [2.0]
    assert mg.full((2,), mg.tensor(4.0)).tolist() == [4.0, 4.0]


@pytest.mark.parametrize("args, match", [
    ((0, 5, 0), "step must be nonzero"),
    ((0, 5, -1), "inconsistent with step sign"),
    ((5, 0), "inconsistent with step sign"),
    ((float("inf"),), "must be finite"),
    ((float("nan"),), "must be finite"),
])
def test_arange_is_validated_like_torch(args, match):
    with pytest.raises(ValueError, match=r"arange\(\): .*" + match):
        mg.arange(*args)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.arange(*args)


def test_arange_with_numpy_scalars_keeps_integer_dtype():
    assert mg.arange(np.int64(3)).dtype == mg.int64 and mg.arange(np.int64(3)).tolist() == [0, 1, 2]
    assert mg.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    with pytest.raises(TypeError, match=r"arange\(\): end must be a real number, got 'a'"):
        mg.arange("a")


@pytest.mark.parametrize("data, match", [
    (None, "dtype object"),
    ("abc", "dtype <U3"),
    (b"x", "dtype |S1"),
    (1j, "dtype complex128"),
    ([1, "a"], "dtype <U21"),
    ({1, 2}, "dtype object"),
    (2**70, "dtype object"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "dtype datetime64"),
    (np.array([1 + 2j]), "dtype complex128"),
    (np.array([None]), "dtype object"),
    (np.zeros(2, dtype=[("a", "f4")]), "dtype"),
])
def test_construction_rejects_non_numeric_data(data, match):
    with pytest.raises(TypeError, match=r"tensor\(\): can't make a tensor from data of " + match):
        mg.tensor(data)


def test_construction_errors_for_ragged_data_overflow_and_bad_dtypes():
    with pytest.raises(ValueError, match=r"tensor\(\): can't make a tensor from list data: .*inhomogeneous"):
        mg.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="does not fit in int64"):
        mg.tensor(2**63)
    assert mg.tensor(2**63 - 1).item() == 2**63 - 1
    with pytest.raises(TypeError, match=r"tensor\(\): dtype must be a bool, int or float dtype, got complex128"):
        mg.tensor([1.0], dtype=complex)
    with pytest.raises(TypeError, match="to\\(dtype\\): .* got dtype complex64"):
        mg.tensor([1.0]).to(np.complex64)


# ----------------------------------------------------------------------------- rule 6: empty tensors
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
    to_np = lambda t: t.detach().numpy()  # noqa: E731
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
    got = call(mg, mg.tensor(x)).numpy()
    want = call(torch, torch.tensor(x)).numpy()
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
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())


def test_strides_paddings_and_sizes_accept_numpy_ints():
    x, w = mg.randn(1, 1, 4, 4), mg.randn(2, 1, 2, 2)
    two, one = np.int64(2), np.int32(1)
    assert F.conv2d(x, w, stride=two, padding=one).shape == (1, 2, 3, 3)
    assert F.conv2d(x, w, stride=(two, 1)).shape == (1, 2, 2, 3)
    assert F.max_pool2d(x, two, two).shape == (1, 1, 2, 2)
    assert mg.nn.Conv2d(np.int64(1), np.int64(2), np.int64(3), stride=two, padding=one)(x).shape == (1, 2, 2, 2)
    assert mg.nn.Linear(np.int64(3), np.int64(2))(mg.randn(1, 3)).shape == (1, 2)
    assert mg.nn.MaxPool2d(two)(x).shape == (1, 1, 2, 2)


def test_manual_seed_validates_and_wraps_negative_seeds_like_torch():
    mg.manual_seed(np.int64(3))
    a = mg.randn(3).tolist()
    mg.manual_seed(3)
    assert mg.randn(3).tolist() == a
    mg.manual_seed(-1)  # PyTorch accepts negative seeds too
    with pytest.raises(TypeError, match=r"manual_seed\(\): seed must be an int, got 1.5"):
        mg.manual_seed(1.5)
    with pytest.raises(TypeError, match="seed must be an int"):
        mg.manual_seed(None)


def test_constructing_from_a_tensor_that_requires_grad_warns_like_torch():
    w = mg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"copies t's data without its graph"):
        t = mg.tensor(w)
    assert not t.requires_grad and t.tolist() == [1.0, 1.0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.tensor(w.detach())  # the explicit form is silent


# ----------------------------------------------------------------------------- rule 3: dims in reductions
# coreops owns dim handling (reduce.normalize_axes, Tensor._dim); these pin the behaviour PyTorch 2.13 has.
@pytest.mark.parametrize("method", ["sum", "mean"])
@pytest.mark.parametrize("dim, shape", [((0, -1), ()), (-1, (2,)), ([0], (3,)), (None, ())])
def test_reduction_dims_that_work(method, dim, shape):
    assert getattr(mg.ones(2, 3), method)(dim).shape == shape


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_reduction_dims_empty_tuple_and_0d_tensor(method):
    x = mg.ones(2, 3)
    assert getattr(x, method)(()).shape == ()
    assert getattr(x, method)(mg.tensor(1)).shape == (2,)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "argmax"])
def test_reduction_dim_out_of_range_names_the_dim(method):
    with pytest.raises(IndexError, match="dimension 5 is out of range"):
        getattr(mg.ones(2, 3), method)(5)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "argmax", "unsqueeze", "squeeze"])
@pytest.mark.parametrize("dim", ["a", 1.5, object()])
def test_reduction_dim_of_the_wrong_type_names_the_dim(method, dim):
    with pytest.raises(TypeError, match="dim"):
        getattr(mg.ones(2, 3), method)(dim)


@given(st.sampled_from([(slice(1, 3), (2, 3)), ((0, slice(None)), (3,)), (([2, 0],), (2, 3)),
                        ((slice(None), 1), (1,)), ((Ellipsis, 2), (4,))]),
       st.integers(0, 2**16))
def test_index_put_gradcheck(case, seed):
    from minigrad.ops.inplace import IndexPut
    index, vshape = case
    rng = np.random.default_rng(seed)
    a = mg.tensor(rng.standard_normal((4, 3)), dtype=mg.float64, requires_grad=True)
    v = mg.tensor(rng.standard_normal(vshape), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda a, v: IndexPut.apply(a, v, index=index), [a, v])


# In-place ops on a non-leaf in grad mode are recorded too, as in PyTorch.
NONLEAF_CASES = [
    ("add_", lambda y, w: y.add_(w)),
    ("add_ constant", lambda y, w: y.add_(1.5)),
    ("sub_ alpha", lambda y, w: y.sub_(w * w, alpha=0.5)),
    ("mul_", lambda y, w: y.mul_(w)),
    ("mul_ constant", lambda y, w: y.mul_(3.0)),
    ("div_", lambda y, w: y.div_(w + 5)),
    ("copy_ constant", lambda y, w: y.copy_(w.detach() * 7)),
    ("copy_ grad value", lambda y, w: y.copy_(w * w)),
    ("fill_", lambda y, w: y.fill_(2.0)),
    ("zero_", lambda y, w: y.zero_()),
    ("setitem constant", lambda y, w: y.__setitem__(0, 0.0)),
    ("setitem grad value", lambda y, w: y.__setitem__(slice(1, 3), w[:2] * 4)),
    ("setitem mask", lambda y, w: y.__setitem__(y.detach() > 2.5, -1.0)),
    ("chain", lambda y, w: y.add_(w).mul_(w).sub_(1.0)),
]


@needs_torch
@pytest.mark.parametrize("name, op", NONLEAF_CASES, ids=[c[0] for c in NONLEAF_CASES])
def test_inplace_on_a_non_leaf_matches_torch(name, op):
    def run(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = w * lib.tensor([2.0, 1.0, 0.5]) + w  # a non-leaf; Add saves nothing
        same = y
        op(y, w)
        assert same is y and y.requires_grad and y.grad_fn is not None
        (y * lib.tensor([1.0, -2.0, 5.0])).sum().backward()
        return y.detach().numpy(), w.grad.numpy()

    (mv, mg_grad), (tv, t_grad) = run(mg), run(torch)
    np.testing.assert_allclose(mv, tv, rtol=1e-6)
    np.testing.assert_allclose(mg_grad, t_grad, rtol=1e-6)


def test_inplace_on_a_non_leaf_whose_value_was_saved_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = w.exp()  # exp saves its output
    with pytest.raises(RuntimeError, match="was saved for a backward pass"):
        h.add_(1.0)
    v = (w * 2)[0:1]  # a view of a non-leaf
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        v.mul_(2.0)
    h.sum().backward()  # nothing was changed
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
