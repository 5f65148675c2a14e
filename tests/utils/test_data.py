"""minigrad.utils.data: Dataset, TensorDataset, Subset, random_split, default_collate and DataLoader
(batching, drop_last, seeded shuffling, the TensorDataset fast path, backends, argument errors)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import minigrad as mg
from jit_harness import assert_jit_matches_eager
from minigrad import nn, optim
from minigrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _xy(n: int = 10, backend: str = "numpy"):
    x = mg.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3), backend=backend)
    y = mg.tensor(np.arange(n) % 3, backend=backend)  # int64 labels
    return x, y


class Pairs(Dataset):
    """A hand-written map-style dataset with the same samples as TensorDataset(x, y): takes the slow path."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __len__(self):
        return self.x.shape[0]


# --------------------------------------------------------------------------- datasets
def test_tensor_dataset():
    x, y = _xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.detach().numpy().copy(), [12, 13, 14])
    assert yi.item() == 1 and yi.dtype == mg.int64
    assert TensorDataset(np.ones((2, 2)))[1][0].shape == (2,)  # arrays become tensors
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions \[10, 9\]"):
        TensorDataset(x, y[:9])
    with pytest.raises(ValueError, match="tensor 1 is 0-dimensional"):
        TensorDataset(x, mg.tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_dataset_base_and_subset():
    with pytest.raises(NotImplementedError, match="Dataset is a base class"):
        Dataset()[0]
    sub = Subset(list("abcdef"), [5, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["f", "a", "c"]


def test_random_split():
    parts = random_split(range(10), [7, 3], generator=0)
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert parts[0].indices == random_split(range(10), [7, 3], generator=0)[0].indices  # seeded: repeatable
    assert [len(p) for p in random_split(range(10), [0.5, 0.3, 0.2])] == [5, 3, 2]
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]  # remainder round-robin, as torch
    mg.manual_seed(3)
    a = random_split(range(50), [25, 25])[0].indices
    mg.manual_seed(3)
    assert random_split(range(50), [25, 25])[0].indices == a
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\) does not equal the length of the input dataset"):
        random_split(range(10), [5, 4])


# --------------------------------------------------------------------------- default_collate
def test_default_collate_types_like_torch():
    b = default_collate([mg.ones(2, 3), mg.zeros(2, 3)])
    assert isinstance(b, mg.Tensor) and b.shape == (2, 2, 3) and b.dtype == mg.float32 and not b.requires_grad
    assert default_collate([1.5, 2.0]).dtype == mg.float64
    assert default_collate([1, 2]).dtype == mg.int64
    assert default_collate([True, False]).dtype == mg.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == mg.float32
    assert default_collate([np.zeros(3, np.int32)] * 4).shape == (4, 3)
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"x": 1, "y": 2.0}, {"x": 3, "y": 4.0}])
    assert d["x"].tolist() == [1, 3] and d["y"].tolist() == [2.0, 4.0]
    pair = default_collate([(mg.ones(2), 0), (mg.zeros(2), 1)])
    assert isinstance(pair, list) and pair[0].shape == (2, 2) and pair[1].tolist() == [0, 1]  # list, as torch
    Point = namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    assert [t.tolist() for t in default_collate([[1, 2], [3, 4]])] == [[1, 3], [2, 4]]


def test_default_collate_matches_torch_values(backend):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the default_collate cross-check is skipped")
    from torch.utils.data import default_collate as torch_collate

    rng = np.random.default_rng(0)
    samples = [(rng.standard_normal((2, 3)), int(rng.integers(5)), float(rng.random())) for _ in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.detach().numpy().copy(), b.detach().numpy().copy())
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
    x = mg.tensor(np.stack([s[0] for s in samples]), backend=backend)
    assert default_collate([x[i] for i in range(4)]).backend == backend


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match=r"equal size, but got shapes \[\(2,\), \(3,\)\]"):
        default_collate([mg.ones(2), mg.ones(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


# --------------------------------------------------------------------------- DataLoader
def test_sequential_batches_len_and_drop_last():
    x, y = _xy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[0].detach().numpy().copy() for b in batches]), x.detach().numpy().copy())
    np.testing.assert_array_equal(np.concatenate([b[1].detach().numpy().copy() for b in batches]), y.detach().numpy().copy())
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].shape for b in dropped] == [(4,), (4,)]
    assert len(DataLoader(TensorDataset(x), batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(list(range(7)))) == 7


def test_shuffle_is_a_permutation_per_epoch_and_seeded():
    x, y = _xy(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=np.random.default_rng(1))
    orders = []
    for _ in range(2):
        batches = list(loader)
        order = np.concatenate([xb.detach().numpy().copy()[:, 0] / 3 for xb, _ in batches]).astype(int)
        np.testing.assert_array_equal(np.concatenate([yb.detach().numpy().copy() for _, yb in batches]), order % 3)  # rows stay paired
        assert sorted(order.tolist()) == list(range(50))  # every sample exactly once
        orders.append(order.tolist())
    assert orders[0] != orders[1]  # a new order each epoch

    def run(seed):
        mg.manual_seed(seed)
        loader = DataLoader(TensorDataset(x), batch_size=8, shuffle=True)  # default: mg.manual_seed's generator
        return [np.concatenate([b[0].detach().numpy().copy()[:, 0] for b in loader]).tolist() for _ in range(2)]

    assert run(4) == run(4) and run(4) != run(5)
    same = [np.concatenate([b[0].detach().numpy().copy() for b in DataLoader(TensorDataset(x), 8, shuffle=True, generator=9)])
            for _ in range(2)]
    np.testing.assert_array_equal(*same)


def test_tensor_dataset_fast_path_equals_per_sample_collation(backend, monkeypatch):
    x, y = _xy(23, backend)
    for kwargs in (dict(batch_size=5), dict(batch_size=5, shuffle=True, generator=3),
                   dict(batch_size=4, shuffle=True, drop_last=True, generator=3), dict(batch_size=1)):
        slow = list(DataLoader(Pairs(x, y), **kwargs))
        monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("fast path not taken"))
        fast = list(DataLoader(TensorDataset(x, y), **kwargs))
        monkeypatch.undo()
        assert len(fast) == len(slow)
        for f, s in zip(fast, slow):
            assert type(f) is type(s) is list
            for a, b in zip(f, s):
                assert a.dtype == b.dtype and a.backend == b.backend == backend and a.shape == b.shape
                np.testing.assert_array_equal(a.detach().numpy().copy(), b.detach().numpy().copy())
    batch = next(iter(DataLoader(TensorDataset(x), batch_size=4)))[0]
    batch.data[...] = -1  # a batch is a copy: writing to it leaves the dataset alone
    assert x.detach().numpy().copy().min() >= 0


def test_backend_argument_moves_batches(backend):
    x, y = _xy(6)  # on the host
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4, backend=backend)))
    assert xb.backend == yb.backend == backend
    d = next(iter(DataLoader([{"a": 1.0}, {"a": 2.0}], batch_size=2, backend=backend)))
    assert d["a"].backend == backend


def test_collate_fn_and_batch_size_none():
    words = ["a", "bb", "ccc", "dddd", "e"]
    loader = DataLoader(words, batch_size=2, collate_fn=lambda b: "".join(b))
    assert list(loader) == ["abb", "cccdddd", "e"]
    x, _ = _xy(3)
    singles = list(DataLoader(TensorDataset(x), batch_size=None))
    assert len(singles) == 3 and singles[1][0].shape == (3,)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(batch_size=0), ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
        (dict(batch_size=-2), ValueError, "but got batch_size=-2"),
        (dict(batch_size=2.5), ValueError, "but got batch_size=2.5"),
        (dict(batch_size=True), ValueError, "but got batch_size=True"),
        (dict(drop_last=1), ValueError, "drop_last should be a boolean value, but got drop_last=1"),
        (dict(batch_size=None, drop_last=True), ValueError, "mutually exclusive with drop_last"),
        (dict(generator="seed"), TypeError, "generator must be a numpy.random.Generator, an int seed or None, got str"),
        (dict(backend="tpu"), mg.BackendError, "unknown backend 'tpu'"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(list(range(4)), **kwargs)


def test_dataset_without_len_is_refused():
    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="needs a dataset with __getitem__ and __len__, got NoLen"):
        DataLoader(NoLen())


def test_training_with_a_loader_fits_a_line(backend):
    """End to end: shuffled mini-batches of a linear problem drive SGD to the true weights."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 2))
    ys = xs @ np.array([[2.0], [-3.0]]) + 0.5
    mg.manual_seed(0)
    mg.set_default_dtype(mg.float64)  # the autouse fixture restores it
    model = nn.Linear(2, 1).to(backend)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(mg.tensor(xs), mg.tensor(ys)), batch_size=16, shuffle=True, backend=backend)
    for _ in range(40):
        for xb, yb in loader:
            opt.zero_grad()
            ((model(xb) - yb) ** 2).mean().backward()
            opt.step()
    np.testing.assert_allclose(model.weight.detach().numpy(), [[2.0, -3.0]], atol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.5], atol=1e-6)


def test_loader_batches_feed_a_jitted_step(backend):
    """A shuffled epoch whose last batch is smaller: the jit captures each batch shape once and the run equals
    eager bit for bit."""
    rng = np.random.default_rng(1)
    ds = TensorDataset(mg.tensor(rng.standard_normal((23, 3))), mg.tensor(rng.standard_normal((23, 1))))

    def build():
        mg.manual_seed(0)
        mg.set_default_dtype(mg.float64)
        model = nn.Linear(3, 1).to(backend)
        opt = optim.Adam(model.parameters(), lr=0.01)

        def step(x, t):
            opt.zero_grad()
            loss = mg.nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss
        batches = [b for _ in range(3) for b in DataLoader(ds, batch_size=5, shuffle=True, generator=4,
                                                           backend=backend)]
        assert len(batches) == 15
        return step, lambda i: tuple(batches[i]), model.parameters, None
    run = assert_jit_matches_eager(build, calls=15)
    assert run.captures == 2


def test_tensor_dataset_keeps_the_tensors_it_is_given():
    x, y = _xy()
    ds = TensorDataset(x, y.numpy())
    assert ds.tensors[0] is x  # as torch.utils.data.TensorDataset: no copy, later edits show
    assert isinstance(ds.tensors[1], mg.Tensor) and ds.tensors[1].tolist() == y.tolist()


def test_random_split_refuses_fractions_outside_zero_and_one():
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1, got 1.5"):
        random_split(range(10), [1.5, -0.5])


def test_a_batch_mixing_backends_is_an_error_naming_what_was_mixed():
    x = mg.ones(3)
    with pytest.raises(RuntimeError, match=r"the tensors of one batch are on different backends"):
        default_collate([x, mg.ones(3, backend="strict")])
    with pytest.raises(RuntimeError, match=r"each tensor to be equal size"):
        default_collate([x, mg.ones(4)])
