"""sort/argsort/topk/median, bmm/outer, tril/triu/diag/diagonal, roll/narrow, index_select/scatter/scatter_add/
masked_select/nonzero, cumprod, erf/atan2/lerp, isclose/allclose/equal, randperm and meshgrid beyond the registry
(tests/opinfo.py): the function and method forms, result types, PyTorch's edge values and errors, and the
tricky gradients (cumprod at zeros, scatter's overwritten places, median and sort of NaN)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minigrad as mg

EPS64 = np.finfo(np.float64).eps


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch cross-checks are skipped")


def test_every_op_has_a_function_and_a_method():
    names = ["sort", "argsort", "topk", "median", "bmm", "outer", "ger", "tril", "triu", "diag", "diagonal", "roll",
             "narrow", "index_select", "scatter", "scatter_add", "masked_select", "nonzero", "cumprod", "erf",
             "atan2", "arctan2", "lerp", "isclose", "allclose", "equal", "norm", "unflatten", "broadcast_to"]
    for name in names:
        assert callable(getattr(mg, name)) and callable(getattr(mg.Tensor, name)), name
        assert name in mg.__all__, name
    assert callable(mg.randperm) and callable(mg.meshgrid)


def test_sort_returns_values_and_indices_like_torch(torch):
    x = mg.tensor([[3.0, 1.0, 2.0], [0.5, 0.5, -1.0]])
    out = x.sort(dim=1)
    values, indices = out
    assert out.values is values and out.indices is indices and indices.dtype == mg.int64
    t = torch.tensor([[3.0, 1.0, 2.0], [0.5, 0.5, -1.0]]).sort(dim=1, stable=True)
    np.testing.assert_array_equal(values.detach().numpy().copy(), t.values.detach().numpy().copy())
    np.testing.assert_array_equal(indices.detach().numpy().copy(), t.indices.detach().numpy().copy())
    assert mg.sort(x, 1, True).indices.tolist() == [[0, 2, 1], [0, 1, 2]]  # ties keep their order


def test_sort_gradient_goes_back_to_each_element():
    x = mg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (x.sort().values * mg.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_topk_k_zero_and_errors():
    x = mg.tensor([[1.0, 5.0, 3.0]])
    assert x.topk(0).values.shape == (1, 0)
    assert x.topk(2).indices.tolist() == [[1, 2]]
    assert x.topk(2, largest=False).values.tolist() == [[1.0, 3.0]]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(4)


def test_median_picks_the_lower_middle_and_propagates_nan(torch):
    x = mg.tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    m = x.median()
    assert m.item() == 2.0 and m.shape == ()
    m.backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    nan = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, 1.0]])
    ours, theirs = mg.tensor(nan).median(1), torch.tensor(nan).median(1)
    np.testing.assert_array_equal(ours.values.detach().numpy().copy(), theirs.values.detach().numpy().copy())
    np.testing.assert_array_equal(ours.indices.detach().numpy().copy(), theirs.indices.detach().numpy().copy())
    assert math.isnan(mg.tensor([]).median().item()) and math.isnan(torch.tensor([]).median().item())


def test_bmm_and_outer_check_their_shapes():
    with pytest.raises(mg.ShapeError, match="batch1 and batch2 must be 3-D"):
        mg.bmm(mg.zeros(2, 3), mg.zeros(2, 3))
    with pytest.raises(mg.ShapeError, match="don't fit"):
        mg.bmm(mg.zeros(2, 3, 4), mg.zeros(3, 4, 5))
    with pytest.raises(mg.ShapeError, match="expected 1-D tensors"):
        mg.outer(mg.zeros(2, 1), mg.zeros(3))
    assert mg.ger(mg.ones(2), mg.ones(3)).shape == (2, 3)


def test_triangles_and_diagonals():
    x = mg.arange(12.0).reshape(3, 4)
    assert x.tril().tolist() == [[0, 0, 0, 0], [4, 5, 0, 0], [8, 9, 10, 0]]
    assert x.triu(1).tolist() == [[0, 1, 2, 3], [0, 0, 6, 7], [0, 0, 0, 11]]
    assert x.diag().tolist() == [0, 5, 10] and x.diagonal(-1).tolist() == [4, 9]
    assert mg.diag(mg.tensor([1.0, 2.0]), -1).tolist() == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    assert x.diagonal(5).shape == (0,)
    with pytest.raises(mg.ShapeError, match="at least 2 dimensions"):
        mg.tril(mg.ones(3))
    with pytest.raises(mg.DimError, match="diagonal dimensions cannot be identical"):
        x.diagonal(0, 1, -1)
    with pytest.raises(mg.ShapeError, match="1-D or 2-D"):
        mg.diag(mg.ones(2, 2, 2))


def test_roll_and_narrow():
    x = mg.arange(6).reshape(2, 3)
    assert x.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]
    assert x.roll((1, -1), (0, 1)).tolist() == [[4, 5, 3], [1, 2, 0]]
    assert x.narrow(1, -2, 2).tolist() == [[1, 2], [4, 5]]
    with pytest.raises(ValueError, match="shifts and dimensions must align"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match="start out of range"):
        x.narrow(1, 4, 0)


def test_index_select_and_scatter_errors():
    x = mg.zeros(3, 4)
    with pytest.raises(TypeError, match="index must be an integer tensor"):
        x.index_select(0, mg.tensor([0.0]))
    with pytest.raises(mg.ShapeError, match="supposed to be a vector"):
        x.index_select(0, mg.tensor([[0]]))
    with pytest.raises(IndexError, match="index out of range"):
        x.index_select(1, mg.tensor([4]))
    with pytest.raises(IndexError, match="index out of range"):
        x.scatter(0, mg.tensor([[3]]), 1.0)
    with pytest.raises(mg.ShapeError, match="larger than self"):
        x.scatter_add(0, mg.zeros(2, 5, dtype=mg.int64), mg.zeros(2, 5))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(0, mg.tensor([[0]]), mg.ones(1, 1, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, mg.tensor([[0]]), 1.0, reduce="mean")


@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("dtype", ["float64", "int64", "bool"])
def test_scatter_reduce_argument_combines_repeats_as_torch(torch, reduce, dtype):
    """scatter(reduce=) adds or multiplies into the places, repeated indices included, for a src tensor and a
    number; like PyTorch it has no derivative (backward raises)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4)) * 3).astype(dtype)
    src = (rng.standard_normal((2, 4)) * 3).astype(dtype)
    index = np.array([[0, 1, 2, 0], [0, 1, 0, 0]])
    ours = mg.tensor(x).scatter(0, mg.tensor(index), mg.tensor(src), reduce=reduce)
    theirs = torch.tensor(x).scatter(0, torch.tensor(index), torch.tensor(src), reduce=reduce)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    value = True if dtype == "bool" else 2
    ours = mg.tensor(x).scatter(0, mg.tensor(index), value, reduce=reduce)
    theirs = torch.tensor(x).scatter(0, torch.tensor(index), value, reduce=reduce)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    if dtype == "float64":
        out = mg.tensor(x, requires_grad=True).scatter(0, mg.tensor(index), mg.tensor(src), reduce=reduce)
        with pytest.raises(RuntimeError, match="derivative of scatter with reduce= is not implemented"):
            out.sum().backward()


def test_scatter_gradients_skip_overwritten_places(torch):
    """scatter's input gets no gradient where src was written; src gets the gradient of the places it wrote."""
    idx = np.array([[1, 0], [2, 2]])
    x, src = mg.ones(3, 2, requires_grad=True), mg.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    out = x.scatter(0, mg.tensor(idx), src)
    assert out.tolist() == [[1, 6], [5, 1], [7, 8]]
    (out * mg.arange(6.0).reshape(3, 2)).sum().backward()
    assert x.grad.tolist() == [[0, 0], [0, 3], [0, 0]]
    assert src.grad.tolist() == [[2, 1], [4, 5]]
    added = mg.zeros(3).scatter_add(0, mg.tensor([0, 0, 2]), mg.tensor([1.0, 2.0, 3.0]))
    assert added.tolist() == [3, 0, 3]


def test_masked_select_and_nonzero():
    x = mg.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    picked = x.masked_select(mg.tensor([True, False]))  # the mask broadcasts over the rows
    assert picked.tolist() == [1.0, 0.0]
    picked.sum().backward()
    assert x.grad.tolist() == [[1, 0], [1, 0]]
    assert x.nonzero().tolist() == [[0, 0], [1, 1]]
    rows, cols = mg.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    assert mg.tensor(5.0).nonzero().shape == (1, 0) and mg.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in mg.tensor(5.0).nonzero(as_tuple=True)] == [[0]]
    with pytest.raises(TypeError, match="expected a bool mask"):
        x.masked_select(mg.tensor([1, 0]))


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 5.0], [1.5, -2.0, 3.0, 0.0],
                                    [0.0, 0.0, 0.0, 0.0]])
def test_cumprod_gradient_at_zeros_is_exact(torch, values):
    """The gradient through a zero is the product of the others, not 0/0: compare with torch and with the
    defining sum (products skip the element differentiated)."""
    g = np.array([1.0, -2.0, 0.5, 3.0])
    x = mg.tensor(values, requires_grad=True)
    (x.cumprod(0) * mg.tensor(g)).sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (t.cumprod(0) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), t.grad.detach().numpy().copy(), rtol=8 * EPS64, atol=0)
    exact = [sum(g[j] * np.prod([values[k] for k in range(j + 1) if k != i]) for j in range(i, 4)) for i in range(4)]
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), exact, rtol=8 * EPS64, atol=0)
    assert mg.tensor([True, True, False]).cumprod(0).dtype == mg.int64


def test_erf_against_the_standard_library():
    """float64 values within 2e-14 relative of math.erf: the Chebyshev series behind erf are fitted to about
    1e-14 (ops/activation.py), plus a few roundings of the evaluation; near 0 there is no cancellation (erf(x)/x
    is the series), and both tails, inf and nan are right."""
    xs = np.concatenate([np.linspace(-7, 7, 2001), [1e-300, -1e-12, 1e-5, 0.0, 2.0, -2.0, 26.0]])
    got = mg.tensor(xs).erf().detach().numpy().copy()
    want = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(got, want, rtol=2e-14, atol=0)
    assert mg.tensor([np.inf, -np.inf]).erf().tolist() == [1.0, -1.0]
    assert math.isnan(mg.tensor(np.nan).erf().item())
    assert mg.tensor([0, 1]).erf().dtype == mg.float32


def test_atan2_quadrants_and_lerp_exact_ends():
    y, x = mg.tensor([1.0, 1.0, -1.0, -1.0, 0.0]), mg.tensor([1.0, -1.0, -1.0, 1.0, -1.0])
    np.testing.assert_allclose(mg.atan2(y, x).detach().numpy().copy(), np.arctan2(y.detach().numpy().copy(), x.detach().numpy().copy()), rtol=0, atol=0)
    a, b = mg.tensor([1e16, -3.0], dtype=mg.float64), mg.tensor([1.0, 7.0], dtype=mg.float64)
    assert a.lerp(b, 1.0).tolist() == [1.0, 7.0] and a.lerp(b, 0.0).tolist() == [1e16, -3.0]
    with pytest.raises(RuntimeError, match="expected dtype"):
        a.lerp(b.float(), 0.5)


def test_isclose_allclose_equal(torch):
    a = mg.tensor([1.0, np.nan, np.inf, 1.0])
    b = mg.tensor([1.0 + 1e-9, np.nan, np.inf, 1.1])
    assert a.isclose(b).tolist() == [True, False, True, False]
    assert a.isclose(b, equal_nan=True).tolist() == [True, True, True, False]
    assert a.isclose(b).tolist() == torch.isclose(torch.tensor(a.detach().numpy().copy()), torch.tensor(b.detach().numpy().copy())).tolist()
    assert mg.allclose(a[:1], b[:1]) is True and mg.allclose(a, b, equal_nan=True) is False
    assert mg.equal(mg.ones(2), mg.ones(2)) is True and mg.equal(mg.ones(2), mg.ones(3)) is False
    assert mg.equal(a, a) is False  # NaN != NaN, as in torch.equal
    with pytest.raises(RuntimeError, match="did not match"):
        mg.isclose(mg.ones(2), mg.ones(2, dtype=mg.float64))


def test_randperm_is_seeded_and_a_permutation():
    mg.manual_seed(3)
    p = mg.randperm(10)
    mg.manual_seed(3)
    assert mg.randperm(10).tolist() == p.tolist()
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == mg.int64
    assert mg.randperm(0).shape == (0,) and mg.randperm(4, dtype=mg.float32).dtype == mg.float32
    with pytest.raises(ValueError, match="non-negative int"):
        mg.randperm(-1)


def test_meshgrid_warns_without_indexing_like_torch_and_sums_gradients():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0, 5.0], requires_grad=True)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        ga, gb = mg.meshgrid(a, b)
    assert ga.shape == gb.shape == (2, 3)
    xa, xb = mg.meshgrid([a, b], indexing="xy")
    assert xa.shape == (3, 2) and xa.tolist() == [[1, 2]] * 3
    (xa.sum() + 2 * xb.sum()).backward()
    assert a.grad.tolist() == [3.0, 3.0] and b.grad.tolist() == [4.0, 4.0, 4.0]
    with pytest.raises(ValueError, match='indexing must be one of "xy" or "ij"'):
        mg.meshgrid(a, indexing="yx")


def test_new_ops_replay_under_jit():
    """A step that sorts, scatters, rolls and takes a cumprod replays under mg.jit with the eager values."""
    w = mg.tensor([0.5, -1.0, 2.0, 0.25], dtype=mg.float64, requires_grad=True)

    def step(x):
        w.grad = None
        y = (x * w).sort(descending=True).values.roll(1).cumprod(0)
        z = mg.zeros(6, dtype=mg.float64).scatter_add(0, mg.tensor([0, 2, 2, 5]), y).erf()
        loss = (z * z).sum() + (x * w).median()
        loss.backward()
        return loss

    rng = np.random.default_rng(0)
    inputs = [mg.tensor(rng.standard_normal(4)) for _ in range(4)]
    eager = [(step(x).item(), w.grad.detach().numpy().copy()) for x in inputs]
    jitted = mg.jit(step)
    for x, (value, grad) in zip(inputs, eager):
        assert jitted(x).item() == value
        np.testing.assert_array_equal(w.grad.detach().numpy().copy(), grad)


def test_norm_forms_and_errors(torch):
    x = np.array([[3.0, -4.0], [0.0, 0.0]])
    assert mg.tensor(x).norm().item() == 5.0 and mg.norm(mg.tensor(x), dim=1).tolist() == [5.0, 0.0]
    z = mg.tensor(x, requires_grad=True)
    z.norm(dim=1).sum().backward()  # the zero row gets a zero gradient, as in PyTorch
    t = torch.tensor(x, requires_grad=True)
    t.norm(dim=1).sum().backward()
    np.testing.assert_array_equal(z.grad.detach().numpy().copy(), t.grad.detach().numpy().copy())
    with pytest.raises(NotImplementedError, match="matrix norm"):
        mg.tensor(x).norm("nuc")
    with pytest.raises(RuntimeError, match="expected a floating point input"):
        mg.tensor([1, 2]).norm()
    assert mg.tensor([1, 2]).norm(dtype=mg.float64).item() == pytest.approx(math.sqrt(5), rel=EPS64)
    with pytest.raises(mg.ShapeError, match="don't multiply up to the size of dim 1"):
        mg.zeros(2, 6).unflatten(1, (4, -1))


@pytest.mark.parametrize("name", ["index_select", "scatter", "scatter_add", "masked_select", "nonzero_0d"])
def test_index_arguments_are_replayed_inputs_under_jit(name):
    """An index or mask that is an argument of the jitted function is read afresh on every replay (the ops take
    it as given and normalise it inside forward), so each call gets its own selection, as eager does."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    fns = {
        "index_select": lambda i, m: x.index_select(0, i).sum(),
        "scatter": lambda i, m: x.scatter(0, i[:2].reshape(-1, 1).expand(-1, 3), 1.0).sum(),
        "scatter_add": lambda i, m: mg.zeros(5, 3, dtype=mg.float64).scatter_add(
            0, i.reshape(-1, 1).expand(-1, 3), x[:4]).pow(2).sum(),
        "masked_select": lambda i, m: x.masked_select(m).pow(2).sum(),
        "nonzero_0d": lambda i, m: x[m.any().nonzero(as_tuple=True)[0]].sum(),
    }

    def step(i, m):
        x.grad = None
        loss = fns[name](i, m)
        loss.backward()
        return loss

    inputs = [(mg.tensor(rng.integers(-5, 5, 4)), mg.tensor(rng.random((5, 3)) < 0.5)) for _ in range(5)]
    eager = [(step(*a).item(), x.grad.detach().numpy().copy()) for a in inputs]
    jitted = mg.jit(step)
    for a, (value, grad) in zip(inputs, eager):
        assert jitted(*a).item() == value
        np.testing.assert_array_equal(x.grad.detach().numpy().copy(), grad)
