"""Datasets and batching with PyTorch's names: `Dataset`, `TensorDataset`, `Subset`, `random_split`,
`DataLoader`, `default_collate`.

    ds = TensorDataset(x, y)                                   # x: (N, ...), y: (N, ...)
    loader = DataLoader(ds, batch_size=64, shuffle=True)       # reshuffled every epoch
    for xb, yb in loader:                                      # xb: (64, ...), yb: (64, ...)
        ...

Shuffling draws from a NumPy generator: the one given as `generator=` (or a seed), else the host
generator behind `mg.manual_seed`, read at the start of each epoch, so a seeded run repeats exactly.
Batches are plain data (no graph): the collate step stacks the samples' arrays. They stay where the
samples live (a Tensor's backend; the host for NumPy arrays and Python numbers) unless `backend=` says
where to move them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator

import numpy

from .. import factories
from ..backend import ARRAY_TYPES, array_module, backend_of, get_backend
from ..tensor import Tensor, wrap

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]


class Dataset:
    """A map-style dataset: subclasses define `__getitem__(index)` (one sample) and `__len__()`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__ (Dataset is a base class)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (Dataset is a base class)")


class TensorDataset(Dataset):
    """Samples are `(t[i] for t in tensors)`: every tensor is indexed along its first dimension.

    tensors: Tensors (or arrays) that share their first dimension N; `len(ds) == N`.
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; every tensor needs a first (sample) "
                                 "dimension")
        sizes = [t.shape[0] for t in tensors]
        if any(n != sizes[0] for n in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes}, expected all equal")
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def _as_generator(generator: Any) -> numpy.random.Generator | None:
    if generator is None or isinstance(generator, numpy.random.Generator):
        return generator
    if isinstance(generator, (int, numpy.integer)) and not isinstance(generator, bool):
        return numpy.random.default_rng(int(generator))
    raise TypeError(f"generator must be a numpy.random.Generator, an int seed or None, got {type(generator).__name__}")


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: numpy.random.Generator | int | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths (or fractions summing to 1,
    the remainder handed out round-robin, as PyTorch does)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and not all(isinstance(x, int) for x in lengths):
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1, got {frac}")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n})!")
    gen = _as_generator(generator) or factories.default_generator()
    perm = gen.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + length]))
        start += length
    return out


# --------------------------------------------------------------------------- collation
def _stack(arrays: list, what: str) -> Any:
    backends = {backend_of(a) for a in arrays}
    if len(backends) > 1:
        raise RuntimeError(f"default_collate: the {what} of one batch are on different backends {sorted(backends)}")
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each {what[:-1]} to be equal size, but got shapes "
                           f"{sorted(shapes)}; pass a collate_fn that pads or keeps them apart")
    return array_module(arrays[0]).stack(arrays)


def default_collate(batch: list) -> Any:
    """Turn a list of samples into a batch, as torch.utils.data.default_collate does:

    - Tensors / NumPy arrays of shape S -> one Tensor of shape (B, *S) (on the samples' backend);
    - Python floats -> float64, ints -> int64, bools -> bool Tensors of shape (B,); NumPy scalars keep their dtype;
    - tuples/lists -> a list with each field collated (a namedtuple keeps its type); dicts -> a dict per key;
    - strings -> the list of strings.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return wrap(_stack([t._data for t in batch], "tensors"))
    if isinstance(elem, numpy.ndarray) or type(elem) in ARRAY_TYPES:
        return wrap(_stack(list(batch), "arrays"))
    if isinstance(elem, numpy.generic):
        return wrap(numpy.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return wrap(numpy.array(batch, dtype=numpy.bool_))
    if isinstance(elem, int):
        return wrap(numpy.array(batch, dtype=numpy.int64))
    if isinstance(elem, float):
        return wrap(numpy.array(batch, dtype=numpy.float64))
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _to_backend(batch: Any, backend: str) -> Any:
    """Move every Tensor in a collated batch to `backend` (one copy per tensor, none if already there)."""
    if isinstance(batch, Tensor):
        return batch if batch.backend == backend else batch.to(backend)
    if isinstance(batch, dict):
        return {k: _to_backend(v, backend) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_backend(v, backend) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_backend(v, backend) for v in batch)
    return batch


# --------------------------------------------------------------------------- the loader
class DataLoader:
    """Iterate over `dataset` in batches.

    Args:
        dataset: anything with `__getitem__(int)` and `__len__()` (a `Dataset`, a list of samples, ...).
        batch_size: samples per batch (int >= 1), or None to yield single samples without collating.
        shuffle: draw a new order every epoch (from `generator`, else from `mg.manual_seed`'s generator).
        drop_last: drop the last batch when it has fewer than `batch_size` samples.
        collate_fn: list of samples -> batch (default `default_collate`).
        generator: a `numpy.random.Generator` or an int seed for the shuffling.
        backend: move every batch to this backend ("numpy"/"cupy"); default: where the samples live.

    A `TensorDataset` with the default collate is batched by indexing each tensor once per batch with the
    batch's indices (one gather instead of B sample tensors and a stack); the result is the same.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Callable[[list], Any] | None = None,
                 generator: numpy.random.Generator | int | None = None, *, backend: str | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader needs a dataset with __getitem__ and __len__, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = _as_generator(generator)
        self.backend = None if backend is None else get_backend(backend).name

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> numpy.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n)
        gen = self.generator if self.generator is not None else factories.default_generator()
        return gen.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()  # drawn when the epoch starts, as PyTorch's sampler does
        if self.batch_size is None:
            for i in order.tolist():
                sample = self.dataset[i]
                sample = sample if self.collate_fn is None else self.collate_fn(sample)
                yield sample if self.backend is None else _to_backend(sample, self.backend)
            return
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        device_orders: dict[str, Any] = {}
        for start in range(0, stop, bs):
            idx = order[start:start + bs]
            if fast:
                batch = [_gather(t, idx, order, start, device_orders) for t in self.dataset.tensors]
            else:
                batch = (self.collate_fn or default_collate)([self.dataset[i] for i in idx.tolist()])
            yield batch if self.backend is None else _to_backend(batch, self.backend)


def _gather(t: Tensor, idx: numpy.ndarray, order: numpy.ndarray, start: int, device_orders: dict) -> Tensor:
    """t's rows at idx as a new tensor: a slice copy when the rows are consecutive, else one fancy index
    (on a GPU backend with the epoch's order moved to the device once, not once per batch)."""
    data = t._data
    if idx[-1] - idx[0] == len(idx) - 1 and (len(idx) == 1 or (idx[1:] - idx[:-1] == 1).all()):
        return wrap(data[int(idx[0]):int(idx[-1]) + 1].copy())
    backend = t.backend
    if backend == "numpy":
        return wrap(data[idx])
    dev = device_orders.get(backend)
    if dev is None:
        dev = device_orders[backend] = array_module(data).asarray(order)
    return wrap(data[dev[start:start + len(idx)]])
