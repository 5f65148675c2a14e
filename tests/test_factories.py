"""The factories: values and dtypes; arguments checked like PyTorch: sizes (NumPy ints, lists, 0-d tensors),
dtypes and fill values, arange's arguments and dtype, manual_seed."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from optional_torch import torch


# ----------------------------------------------------------------------------- arguments
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



def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- factories
def test_factories_values_and_dtypes(backend):
    assert mg.empty(2, 3, backend=backend).shape == (2, 3)
    f = mg.full((2,), 7, backend=backend)
    assert f.dtype == mg.int64 and f.tolist() == [7, 7]
    assert mg.full((1,), 0.5, backend=backend).dtype == mg.float32
    assert mg.full((1,), 2, dtype=mg.float64, backend=backend).tolist() == [2.0]
    base = t64([[1.0, 2.0]], backend)
    assert mg.zeros_like(base).tolist() == [[0.0, 0.0]] and mg.ones_like(base, dtype=mg.float32).dtype == mg.float32
    assert mg.full_like(base, 3.0).tolist() == [[3.0, 3.0]] and mg.zeros_like(base).backend == backend
    mg.manual_seed(1)
    r = mg.rand(1000, backend=backend)
    assert r.dtype == mg.float32 and 0 <= r.min().item() and r.max().item() < 1 and 0.45 < r.mean().item() < 0.55
    mg.manual_seed(1)
    np.testing.assert_array_equal(mg.rand(1000, dtype=mg.float64, backend=backend).detach().numpy().copy().astype(np.float32),
                                  r.detach().numpy().copy())
    assert mg.arange(3, backend=backend).tolist() == [0, 1, 2] and mg.arange(3).dtype == mg.int64
    assert mg.arange(0, 1, 0.5, backend=backend).tolist() == [0.0, 0.5] and mg.arange(0, 1, 0.5).dtype == mg.float32
    a = np.zeros(2)
    t = mg.from_numpy(a)
    a[0] = 4.0
    assert t.tolist() == [4.0, 0.0]
    with pytest.raises(TypeError, match="from_numpy expects a numpy.ndarray, got list"):
        mg.from_numpy([1.0])
