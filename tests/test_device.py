"""PyTorch's device model, dtype aliases, Size, ``.data`` and ``.numpy()``, each checked against PyTorch.

"cpu" is the NumPy backend and "cuda" the CuPy one; a tensor already on the asked-for kind of device keeps its
backend (the strict test backend is its own device kind, "strict").
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-checks against PyTorch skipped")

import minigrad as mg  # noqa: E402
from minigrad.backend import BackendError, cupy_available  # noqa: E402

HAS_CUDA = cupy_available()


# --------------------------------------------------------------------- mg.device
@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:0",), ("cuda", 0), ("cpu", None)])
def test_device_prints_and_compares_as_torch(args):
    ours, theirs = mg.device(*args), torch.device(*args)
    assert (str(ours), repr(ours), ours.type, ours.index) == (str(theirs), repr(theirs), theirs.type, theirs.index)
    assert ours == mg.device(*args) and hash(ours) == hash(mg.device(*args))
    assert ours == str(theirs)  # minigrad also compares with strings


def test_device_type_and_index_keywords_and_copies():
    assert mg.device(type="cuda", index=0) == mg.device("cuda:0")
    assert mg.device(mg.device("cpu")) == "cpu"
    assert {mg.device("cpu"), mg.device("cpu")} == {mg.device("cpu")}


def test_cuda_with_and_without_index_is_one_place():
    # minigrad drives one GPU, so "cuda" and "cuda:0" name the same place (PyTorch: unequal)
    assert mg.device("cuda") == mg.device("cuda:0") == "cuda" == mg.device("cuda:0")
    assert mg.device("cpu") != "cuda" and mg.device("cuda") != mg.device("cpu")
    assert mg.device("cpu") != 3 and mg.device("cpu") != "not a device"


@pytest.mark.parametrize("text, match", [("tpu", "device type"), ("cuda:x", "index"), ("cpu:-1", "index")])
def test_bad_device_strings_raise_runtime_error_as_torch(text, match):
    with pytest.raises(RuntimeError, match=match):
        mg.device(text)
    with pytest.raises(RuntimeError):
        torch.device(text)


def test_a_second_gpu_is_refused():
    with pytest.raises(RuntimeError, match="one GPU"):
        mg.device("cuda:1")


def test_device_refuses_non_strings_and_double_indices():
    with pytest.raises(TypeError, match="expected a string"):
        mg.device(1.5)
    with pytest.raises(RuntimeError, match="explicitly"):
        mg.device("cuda:0", 0)
    with pytest.raises(AttributeError, match="immutable"):
        mg.device("cpu").type = "cuda"


def test_backend_names_are_devices_too():
    assert mg.device("numpy") == "cpu" and mg.device("np") == mg.device("cpu")
    assert mg.zeros(2, device="numpy").backend == "numpy"


# --------------------------------------------------------------------- t.device, factories
def test_tensor_device_matches_torch():
    t, tt = mg.zeros(2), torch.zeros(2)
    assert (str(t.device), repr(t.device)) == (str(tt.device), repr(tt.device))
    assert t.device == tt.device.type == "cpu" and t.is_cpu and not t.is_cuda


FACTORIES = {
    "zeros": lambda m, **k: m.zeros(2, 3, **k),
    "ones": lambda m, **k: m.ones((2, 3), **k),
    "empty": lambda m, **k: m.empty(2, 3, **k),
    "full": lambda m, **k: m.full((2, 3), 1.5, **k),
    "randn": lambda m, **k: m.randn(2, 3, **k),
    "rand": lambda m, **k: m.rand(2, 3, **k),
    "randint": lambda m, **k: m.randint(0, 5, (2, 3), **k),
    "arange": lambda m, **k: m.arange(6, **k),
    "linspace": lambda m, **k: m.linspace(0, 1, 5, **k),
    "eye": lambda m, **k: m.eye(3, **k),
    "tensor": lambda m, **k: m.tensor([[1.0, 2.0]], **k),
    "zeros_like": lambda m, **k: m.zeros_like(m.ones(2, 3), **k),
    "ones_like": lambda m, **k: m.ones_like(m.ones(2, 3), **k),
    "empty_like": lambda m, **k: m.empty_like(m.ones(2, 3), **k),
    "full_like": lambda m, **k: m.full_like(m.ones(2, 3), 7, **k),
    "rand_like": lambda m, **k: m.rand_like(m.ones(2, 3), **k),
    "randn_like": lambda m, **k: m.randn_like(m.ones(2, 3), **k),
    "randint_like": lambda m, **k: m.randint_like(m.ones(2, 3), 4, **k),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("where", ["cpu", "cpu-device"])
def test_factories_take_device_and_match_torch(name, where):
    dev = (lambda m: m.device("cpu")) if where == "cpu-device" else (lambda m: "cpu")
    ours, theirs = FACTORIES[name](mg, device=dev(mg)), FACTORIES[name](torch, device=dev(torch))
    assert ours.device == "cpu" and ours.backend == "numpy"
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_keep_the_default_backend_for_its_device(name, backend):
    mg.set_default_backend(backend)
    t = FACTORIES[name](mg, device=mg.get_default_device())
    assert t.backend == backend


@pytest.mark.parametrize("name", ["zeros", "randn", "arange", "eye", "full_like"])
def test_factory_device_and_backend_must_agree(name):
    assert FACTORIES[name](mg, device="cpu", backend="numpy").backend == "numpy"
    other = "strict" if mg.get_default_backend() != "strict" else "numpy"
    with pytest.raises(ValueError, match="disagree"):
        FACTORIES[name](mg, device="cpu", backend=other)


@pytest.mark.skipif(HAS_CUDA, reason="checks the error on a machine without a usable GPU")
def test_cuda_device_without_a_gpu_is_a_clear_error():
    with pytest.raises(BackendError, match="CuPy|CUDA"):
        mg.zeros(2, device="cuda")
    with pytest.raises(BackendError, match="CuPy|CUDA"):
        mg.zeros(2).cuda()


@pytest.mark.skipif(not HAS_CUDA, reason="needs CuPy and a CUDA device")
def test_cuda_round_trip():
    t = mg.arange(4.0, device="cuda", requires_grad=True)
    assert t.backend == "cupy" and t.device == "cuda:0" and repr(t.device) == "device(type='cuda', index=0)"
    back = (t.cpu() * 2).sum()
    back.backward()
    assert t.grad.device == "cuda" and t.grad.tolist() == [2.0] * 4
    assert t.to("cuda") is t and mg.zeros(2).cuda().is_cuda


# --------------------------------------------------------------------- mg.cuda, default device
def test_cuda_queries_never_raise():
    assert mg.cuda.is_available() is HAS_CUDA
    assert mg.cuda.device_count() == (0 if not HAS_CUDA else mg.cuda.device_count()) >= 0
    import minigrad.cuda
    assert minigrad.cuda.is_available is mg.cuda.is_available


def test_set_default_device_is_the_default_backend():
    mg.set_default_device("numpy")
    assert mg.get_default_device() == "cpu" and mg.zeros(1).backend == "numpy"
    mg.set_default_device(None)
    assert mg.get_default_backend() == "numpy"
    mg.set_default_device(mg.device("cpu"))
    assert mg.randn(2).device == "cpu"


def test_set_default_device_keeps_a_host_backend_for_cpu():
    mg.set_default_backend("strict")
    mg.set_default_device("cpu")  # "strict" is not "cpu": the CPU means NumPy
    assert mg.get_default_backend() == "numpy"


# --------------------------------------------------------------------- Tensor.to and friends
TO_FORMS = {
    "dtype": lambda m, t: t.to(m.float64),
    "device": lambda m, t: t.to("cpu"),
    "device-object": lambda m, t: t.to(m.device("cpu")),
    "device,dtype": lambda m, t: t.to("cpu", m.float64),
    "device,dtype,non_blocking": lambda m, t: t.to("cpu", m.float64, True),
    "device,dtype,nb,copy": lambda m, t: t.to("cpu", m.int64, False, True),
    "dtype,non_blocking": lambda m, t: t.to(m.float16, True),
    "tensor": lambda m, t: t.to(m.zeros(1, dtype=m.float64)),
    "tensor,non_blocking": lambda m, t: t.to(m.zeros(1, dtype=m.int32), True),
    "keywords": lambda m, t: t.to(device="cpu", dtype=m.float64, non_blocking=True),
    "copy": lambda m, t: t.to("cpu", copy=True),
    "same": lambda m, t: t.to(m.float32),
}


@pytest.mark.parametrize("form", sorted(TO_FORMS))
def test_to_forms_match_torch(form):
    values = [1.5, -2.0, 3.25]
    ours_in, theirs_in = mg.tensor(values), torch.tensor(values)
    ours, theirs = TO_FORMS[form](mg, ours_in), TO_FORMS[form](torch, theirs_in)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.device == str(theirs.device)
    assert (ours is ours_in) == (theirs is theirs_in)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_keeps_gradients_flowing(backend):
    x = mg.tensor([1.0, 2.0], backend=backend, requires_grad=True)
    y = x.to(x.device, mg.float64, True)
    assert y.backend == backend  # t.to(t.device) never moves a tensor to another backend
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0] and x.grad.dtype == mg.float32


@pytest.mark.parametrize("bad, match", [(("cpu", mg.float32, "x"), "unexpected argument"),
                                        ((True, True, True), "unexpected argument")])
def test_to_refuses_what_torch_refuses(bad, match):
    with pytest.raises(TypeError, match=match):
        mg.zeros(2).to(*bad)


def test_cpu_returns_self_and_cuda_index_is_accepted():
    t, tt = mg.zeros(2), torch.zeros(2)
    assert (t.cpu() is t) == (tt.cpu() is tt) is True
    if not HAS_CUDA:
        with pytest.raises(BackendError):
            t.cuda(0, non_blocking=True)


# --------------------------------------------------------------------- dtype aliases
ALIASES = ["float", "double", "half", "long", "int", "short", "bool", "uint8", "int8", "int16", "int32", "int64",
           "float16", "float32", "float64", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", ALIASES)
def test_dtype_aliases_are_torchs(name):
    ours, theirs = getattr(mg, name), getattr(torch, name)
    assert np.dtype(ours).name == str(theirs).removeprefix("torch.")
    t = mg.zeros(2, dtype=ours)
    assert t.dtype == ours and t.dtype == getattr(mg, str(theirs).removeprefix("torch."))


def test_tensor_dtype_compares_with_aliases():
    assert mg.zeros(1).dtype == mg.float and mg.arange(3).dtype == mg.long and mg.zeros(1).dtype != mg.double
    assert mg.tensor([True]).dtype == mg.bool and mg.tensor([1]).int().dtype == mg.int


# --------------------------------------------------------------------- Size
def test_size_is_a_tuple_with_torchs_behaviour():
    x, tx = mg.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for ours, theirs in ((x.shape, tx.shape), (x.size(), tx.size()), (x.shape[1:], tx.shape[1:]),
                         (x.shape + (5,), tx.shape + (5,)), ((5,) + x.shape, (5,) + tx.shape),
                         (mg.Size([]), torch.Size([]))):
        assert type(ours) is mg.Size and ours == tuple(theirs) and ours.numel() == theirs.numel()
        assert repr(ours) == repr(theirs).replace("torch.", "minigrad.") == str(ours)
    assert x.shape[0] == 2 and x.size(-1) == 4 and isinstance(x.shape, tuple)
    assert x.shape == (2, 3, 4) and hash(x.shape) == hash((2, 3, 4))
    assert mg.Size(np.array([2, 3])) == (2, 3)
    with pytest.raises(TypeError, match="ints"):
        mg.Size([2.5])


def test_tensors_of_one_shape_share_a_size_and_the_cache_stays_bounded():
    from minigrad import size
    assert mg.zeros(2, 3).shape is mg.ones(2, 3).shape  # Sizes are immutable: one object per shape
    for n in range(size._CACHE_LIMIT + 10):
        shape = mg.zeros(n % 7, n).shape
        assert type(shape) is mg.Size and shape == (n % 7, n)
    assert 0 < len(size._CACHE) <= size._CACHE_LIMIT


# --------------------------------------------------------------------- .data, .numpy(), from_numpy
def test_data_shares_storage_without_grad_or_version_bump():
    for lib in (mg, torch):
        w = lib.ones(3, requires_grad=True)
        d = w.data
        assert not d.requires_grad and d.grad_fn is None and type(d) is type(w)
        version = w._version
        d[0] = 5.0
        d.mul_(2)
        assert w.detach().tolist() == [10.0, 2.0, 2.0]
        assert w._version == version  # writes through .data are invisible to autograd's version check


def test_data_assignment_replaces_the_values():
    w = mg.ones(3, requires_grad=True)
    w.data = mg.zeros(3)
    assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad


def test_numpy_shares_memory_on_the_cpu_as_torch(backend):
    for lib in (mg, torch):
        t = lib.zeros(3)
        a = t.numpy()
        a[1] = 4.0
        t[2] = 7.0
        assert t.tolist() == [0.0, 4.0, 7.0] and a.tolist() == [0.0, 4.0, 7.0]
    t = mg.zeros(3, backend=backend)
    if backend != "numpy":  # a device's data reaches the host as a copy
        t.numpy()[0] = 1.0
        assert t.tolist() == [0.0, 0.0, 0.0]


def test_numpy_refuses_a_tensor_that_requires_grad_with_torchs_message():
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError) as ours:
        mg.ones(2, requires_grad=True).numpy()
    assert str(ours.value) == str(theirs.value)
    w = mg.ones(2, requires_grad=True)
    assert w.detach().numpy().tolist() == w.numpy(force=True).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(w)


def test_from_numpy_and_asarray_share_both_ways():
    a = np.arange(3.0)
    t = mg.from_numpy(a)
    t.add_(1)
    a[0] = 10
    assert t.tolist() == [10.0, 2.0, 3.0] and np.shares_memory(np.asarray(t), a)
    assert np.shares_memory(np.asarray(t, copy=False), a)
    assert not np.shares_memory(np.array(t, copy=True), a)
