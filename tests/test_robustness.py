"""Property-based robustness: hypothesis draws malformed arguments for the public API, and every call must
either succeed or raise one of minigrad's documented error types with a message that names the argument (or
the function, or the offending value) — never an internal IndexError/ZeroDivisionError/AttributeError/
KeyError from deep inside, nor a bare message from NumPy that does not say which argument was wrong."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn

F = nn.functional
pytestmark = [pytest.mark.filterwarnings(r"ignore:tensor\(t\) copies:UserWarning"),  # junk holds grad tensors
              pytest.mark.filterwarnings("ignore:Data type alias:DeprecationWarning"),  # dtype="a"
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]  # overflow in x ** 1e300 and the like

# The documented error types. ShapeError (coreops) subclasses ValueError where it exists.
DOCUMENTED = tuple({TypeError, ValueError, IndexError, RuntimeError, NotImplementedError, mg.BackendError,
                    getattr(mg, "ShapeError", ValueError)})

# Interesting ints: negative, zero, small, and sizes no array can have (rejected before allocating).
ints = st.sampled_from([-2**63, -7, -1, 0, 1, 2, 3, 2**62, 2**63])
floats = st.sampled_from([float("nan"), float("inf"), -float("inf"), -0.0, 0.5, 2.0, -1.5, 1e300])
small_tensors = st.sampled_from([
    lambda: mg.zeros(0), lambda: mg.tensor(1.5), lambda: mg.tensor(2), lambda: mg.tensor([True, False]),
    lambda: mg.ones(2, 3), lambda: mg.ones(3, dtype=mg.int32), lambda: mg.ones(1, 1, requires_grad=True),
    lambda: mg.zeros(2, 0, 3), lambda: mg.tensor([float("nan"), 1.0]),
]).map(lambda make: make())
arrays = st.sampled_from([
    lambda: np.array([None]), lambda: np.array(["a"]), lambda: np.array([1 + 2j]), lambda: np.zeros((2, 2)),
    lambda: np.array(["2020-01-01"], dtype="datetime64[D]"), lambda: np.arange(3), lambda: np.float64(2.0),
    lambda: np.int64(2), lambda: np.bool_(True), lambda: np.complex64(1),
]).map(lambda make: make())
atoms = st.one_of(st.none(), st.booleans(), ints, floats, st.sampled_from(["", "a", "float32", "cuda", "mean"]),
                  st.just(b"x"), st.just(object()), st.just({1: 2}), st.just({1, 2}), small_tensors, arrays,
                  st.just(slice(None)), st.just(Ellipsis))
junk = st.recursive(atoms, lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner)),
                    max_leaves=4)


def check(names: list[str], fn, *args, **kwargs) -> None:
    """Call fn; success is fine; a failure must be documented and name one of ``names`` (case-insensitive)."""
    try:
        fn(*args, **kwargs)
    except DOCUMENTED as e:
        msg = str(e)
        assert msg, f"{type(e).__name__} with an empty message from {fn.__name__}{args!r:.200}"
        assert any(n.lower() in msg.lower() for n in names), (
            f"{fn.__name__}{args!r:.200} {kwargs!r:.100} raised {type(e).__name__}: {msg!r:.300}, which names none of "
            f"{names}")
    except MemoryError:  # an allocation NumPy refused up front (e.g. zeros(10**12)); already a clear error
        pass


# ----------------------------------------------------------------------------- factories
@given(junk, junk)
def test_factories(size, dtype):
    for fn in (mg.zeros, mg.ones, mg.empty, mg.randn, mg.rand):
        check(["size", fn.__name__], fn, size)
        check(["size", fn.__name__], fn, *size if isinstance(size, (list, tuple)) else (size,))
        check(["dtype", fn.__name__], fn, 2, dtype=dtype)
    check(["size", "fill_value", "full"], mg.full, size, 1.0)
    check(["fill_value", "full"], mg.full, (2,), size)
    check(["dtype", "full"], mg.full, (2,), 1.0, dtype=dtype)
    check(["backend"], mg.zeros, 2, backend=dtype)


@given(junk, junk, junk)
def test_arange(start, end, step):
    check(["arange", "start", "end", "step"], mg.arange, start, end, step)
    check(["arange", "end"], mg.arange, start)


@given(junk, junk)
def test_tensor_construction(data, dtype):
    check(["tensor", "data", "dtype"], mg.tensor, data)
    check(["tensor", "dtype"], mg.tensor, [1.0, 2.0], dtype=dtype)
    check(["tensor", "requires_grad", "floating"], mg.tensor, data, requires_grad=True)
    for fn in (mg.zeros_like, mg.ones_like):
        check(["input", fn.__name__], fn, data)
    check(["from_numpy", "dtype"], mg.from_numpy, data)


# ----------------------------------------------------------------------------- Tensor methods
DIM_WORDS = ["dim", "dimension", "axis", "axes"]




@given(junk)
def test_tensor_dims(dim):
    x = mg.randn(2, 3, 4)
    for method in ("sum", "mean", "max", "min", "argmax", "argmin", "squeeze", "unsqueeze", "size"):
        check(DIM_WORDS + [method], getattr(x, method), dim)
    check(DIM_WORDS + ["transpose"], x.transpose, dim, 0)
    check(DIM_WORDS + ["flatten", "start_dim"], x.flatten, dim)
    check(DIM_WORDS + ["permute"], x.permute, dim)


@given(junk)
def test_tensor_shapes(shape):
    x = mg.randn(2, 3)
    check(["shape", "reshape", "size"], x.reshape, shape)
    check(["shape", "view", "size"], x.view, shape)


@given(junk, junk)
def test_tensor_indexing(index, value):
    x = mg.randn(3, 4)
    check(["index", "indices", "out of bounds", "out of range", "dimension", "shape"], x.__getitem__, index)
    check(["index", "indices", "out of bounds", "out of range", "dimension", "shape", "broadcast", "value",
           "dtype", "requires grad", "cast"], mg.zeros(3, 4).__setitem__, index, value)


@given(junk)
def test_tensor_operands(other):
    x = mg.randn(2, 3, requires_grad=True)
    for op in ("__add__", "__mul__", "__sub__", "__truediv__", "__pow__", "__matmul__", "__radd__"):
        check(["operand", "shape", "broadcast", "dtype", "backend", "tensor", "matmul", "dimension"],
              getattr(x, op), other)
    for op in ("add_", "mul_", "copy_", "fill_"):
        check(["operand", "shape", "broadcast", "dtype", "value", "cast", "tensor", "output"],
              getattr(mg.zeros(2, 3), op), other)


@given(junk)
def test_tensor_conversions_and_backward(arg):
    x = mg.randn(2, requires_grad=True)
    check(["dtype", "backend", "device", "to("], x.to, arg)
    check(["gradient", "shape", "dtype"], (x * 2).backward, arg)
    check(["grad"], setattr, mg.zeros(2, requires_grad=True), "grad", arg)
    check(["requires_grad", "floating", "leaf"], setattr, mg.zeros(2), "requires_grad", arg)
    check(["data", "dtype"], setattr, mg.zeros(2), "data", arg)


# ----------------------------------------------------------------------------- nn.functional and layers
@given(junk, junk)
def test_functional(a, b):
    x = mg.randn(1, 1, 4, 4)
    w = mg.randn(2, 1, 2, 2)
    check(["conv2d", "input", "weight"], F.conv2d, a, w)
    check(["conv2d", "stride"], F.conv2d, x, w, stride=a)
    check(["conv2d", "padding"], F.conv2d, x, w, padding=a)
    check(["conv2d", "bias"], F.conv2d, x, w, b)
    check(["max_pool2d", "kernel_size", "input"], F.max_pool2d, x, a)
    check(["max_pool2d", "stride"], F.max_pool2d, x, 2, a)
    check(["max_pool2d", "padding"], F.max_pool2d, x, 2, 2, a)
    check(["linear", "input", "weight"], F.linear, a, mg.randn(3, 2))
    check(["linear", "bias"], F.linear, mg.randn(4, 2), mg.randn(3, 2), a)
    check(["mse_loss", "input", "target"], F.mse_loss, a, mg.randn(2))
    check(["mse_loss", "reduction"], F.mse_loss, mg.randn(2), mg.randn(2), reduction=a)
    for fn in (F.relu, F.sigmoid, F.tanh):
        check([fn.__name__, "input", "tensor"], fn, a)


@given(junk, junk)
def test_layer_constructors(a, b):
    check(["in_features", "out_features"], nn.Linear, a, 2)
    check(["out_features"], nn.Linear, 2, a)
    check(["dtype"], nn.Linear, 2, 2, dtype=a)
    check(["in_channels", "out_channels", "kernel_size"], nn.Conv2d, a, 2, 3)
    check(["kernel_size"], nn.Conv2d, 1, 2, a)
    check(["stride"], nn.Conv2d, 1, 2, 3, stride=a)
    check(["padding"], nn.Conv2d, 1, 2, 3, padding=b)
    check(["kernel_size"], nn.MaxPool2d, a)
    check(["stride"], nn.MaxPool2d, 2, a)
    check(["start_dim", "end_dim", "dim"], nn.Flatten, a, b)
    check(["module", "sequential"], nn.Sequential, a)
    check(["reduction"], nn.MSELoss, reduction=a)


# ----------------------------------------------------------------------------- optimizers
@given(junk, junk)
def test_optimizer_constructors(a, b):
    p = [mg.zeros(2, requires_grad=True)]
    for opt in (mg.optim.SGD, mg.optim.Adam):
        check(["params", "parameter", "iterable", "tensor"], opt, a)
        check(["lr", "learning rate"], opt, p, lr=a)
        check(["weight_decay"], opt, p, weight_decay=a)
    check(["momentum"], mg.optim.SGD, p, lr=0.1, momentum=a)
    check(["dampening", "nesterov"], mg.optim.SGD, p, lr=0.1, momentum=0.9, dampening=a, nesterov=True)
    check(["betas", "beta"], mg.optim.Adam, p, betas=a)
    check(["eps", "epsilon"], mg.optim.Adam, p, eps=b)


# ----------------------------------------------------------------------------- save / load
@given(junk, junk)
def test_save_and_load(tmp_path_factory, obj, key):
    path = tmp_path_factory.mktemp("robust") / "ckpt"
    check(["mg.save", "state_dict", "obj"], mg.save, obj, path)
    try:
        hash(key)
    except TypeError:
        key_dict = {"w": {"nested": [key]}}
    else:
        key_dict = {key: mg.ones(1)}
    check(["mg.save", "state_dict", "key", "obj"], mg.save, key_dict, path)
    if isinstance(key, str) and key:
        return  # a real relative path: not the point here
    check(["mg.save", "path"], mg.save, {"w": mg.ones(1)}, key)
    check(["mg.load", "path", "str", "file", "checkpoint"], mg.load, key)


# ----------------------------------------------------------------------------- global settings and grad modes
@given(junk)
def test_global_settings_and_grad_modes(arg):
    dtype, backend = mg.get_default_dtype(), mg.get_default_backend()
    try:
        check(["dtype", "default"], mg.set_default_dtype, arg)
        check(["backend"], mg.set_default_backend, arg)
        check(["seed"], mg.manual_seed, arg)
        check(["mode"], mg.set_grad_enabled, arg)
        check(["mode"], mg.inference_mode, arg)
        check(["decorator", "function"], mg.no_grad(), arg)
    finally:
        mg.set_default_dtype(dtype)
        mg.set_default_backend(backend)
        mg.set_grad_enabled(True)
