"""Backend selection and errors, and the rule that op code is written once against ``xp``."""
import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend as B

OPS = pathlib.Path(mg.__file__).parent / "ops"


def test_aliases_and_default():
    assert B.get_backend("cpu").name == "numpy" and B.get_backend("np").xp is np
    assert mg.get_default_backend() == "numpy"
    assert mg.zeros(2).backend == "numpy"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(mg.BackendError, match="unknown backend 'tpu'"):
        mg.zeros(2, backend="tpu")
    with pytest.raises(mg.BackendError, match="unknown backend"):
        mg.set_default_backend("metal")


def test_missing_cupy_gives_one_clear_error(monkeypatch):
    monkeypatch.delitem(B._backends, "cupy", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(mg.BackendError, match=r'CuPy, which is not installed.*pip install -e "\.\[gpu\]"'):
        mg.zeros(2, backend="cuda")
    assert mg.cupy_available() is False


def test_cupy_without_gpu_gives_clear_error(monkeypatch):
    class FakeRuntime:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    class FakeCupy:
        cuda = type("cuda", (), {"runtime": FakeRuntime})

    monkeypatch.delitem(B._backends, "cupy", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", FakeCupy)
    with pytest.raises(mg.BackendError, match="no usable CUDA device"):
        B.get_backend("cupy")


@pytest.mark.subprocess
def test_env_var_picks_default_backend():
    code = "import minigrad as mg; print(mg.get_default_backend(), mg.zeros(1).backend)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"MINIGRAD_BACKEND": "cpu", "PATH": ""}, check=True)
    assert out.stdout.split() == ["numpy", "numpy"]
    bad = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True, text=True,
                         env={"MINIGRAD_BACKEND": "tpu", "PATH": ""})
    assert bad.returncode != 0 and "MINIGRAD_BACKEND='tpu' is not a backend" in bad.stderr


def test_ops_run_on_every_backend(backend):
    x = mg.tensor(np.arange(6.0).reshape(2, 3), backend=backend, requires_grad=True)
    y = (x.sigmoid() @ x.T).sum()
    y.backward()
    assert x.grad.backend == backend and y.backend == backend


def _names_used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@pytest.mark.parametrize("path", sorted(OPS.glob("*.py")), ids=lambda p: p.name)
def test_op_code_never_imports_numpy_or_cupy(path):
    """Op code takes its array module from its inputs (array_module), so it runs unchanged on NumPy and CuPy."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & {"numpy", "cupy"}, f"{path.name} imports numpy/cupy"
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] not in {"numpy", "cupy"}, f"{path.name} imports from {node.module}"
    assert not _names_used(tree) & {"np", "numpy", "cupy", "cp"}


# --------------------------------------------------------------------------- the Backend object
def test_backend_of_and_array_module_are_one_lookup():
    a = np.zeros(2)
    assert B.backend_of(a) is B.get_backend("numpy") and B.backend_of(a) == "numpy"
    assert B.array_module(a) is np and B.array_module(1.5) is np and B.backend_of(np.float32(1)).name == "numpy"
    assert B.backend_of(mg.zeros(2, backend="strict")._data).name == "strict"


def test_numpy_backend_hooks():
    be = B.get_backend("cpu")
    a = np.arange(3.0)
    h = be.to_host(a)
    h[0] = 9.0
    assert a[0] == 0.0  # to_host never hands out a view
    assert be.from_host([1, 2], dtype=np.float32).dtype == np.float32
    assert be.asarray(a) is a and be.asarray(a, np.float32).dtype == np.float32
    assert be.synchronize() is None and be.device == "cpu" and be.is_host
    with be.ignore_overflow():
        with np.errstate(over="raise"):
            pass
        assert np.exp(np.float64(1000.0)) == np.inf  # no warning: pytest's -W error would not trip either
    with be.stream():
        pass
    with pytest.raises(NotImplementedError, match="no graph capture"):
        be.capture(be.stream(), lambda: None)
    assert repr(be) == "Backend('numpy')" and str(be) == "numpy" and be != "cupy" and hash(be) == hash("numpy")
    assert sorted({B.get_backend("strict"), be}) == ["numpy", "strict"] and f"{be}" == "numpy"


def test_ignore_overflow_takes_a_module_or_a_backend():
    import warnings
    for arg in (np, B.get_backend("numpy"), B.get_backend("strict").xp):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with B.ignore_overflow(arg):
                np.exp(np.array([1000.0]))
    assert isinstance(B.ignore_overflow(object()), type(B.contextlib.nullcontext()))


class _FakeCupy:
    """Just the CuPy API the cupy Backend calls, recording the calls (CuPy's documented names)."""

    def __init__(self):
        self.calls = []
        fake = self

        class ndarray:
            def __init__(self, a):
                self.a = np.array(a)

            def get(self):
                fake.calls.append("get")
                return self.a.copy()

        class Stream:
            def __init__(self, non_blocking=False):
                fake.calls.append(("Stream", non_blocking))

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def begin_capture(self):
                fake.calls.append("begin_capture")

            def end_capture(self):
                fake.calls.append("end_capture")
                return "graph"

        class Device:
            def synchronize(self):
                fake.calls.append("synchronize")

        self.ndarray = ndarray
        self.cuda = type("cuda", (), {"Stream": Stream, "Device": Device,
                                      "runtime": type("rt", (), {"getDeviceCount": staticmethod(lambda: 1)})})

    def asarray(self, a, dtype=None):
        self.calls.append("asarray")
        return self.ndarray(np.asarray(a, dtype=dtype))


def test_cupy_backend_hooks_call_cupys_documented_api():
    cp = _FakeCupy()
    be = B.CupyBackend(cp)
    x = be.from_host([1.0, 2.0])
    assert isinstance(x, cp.ndarray) and be.owns(x) and be.device == "cuda"
    np.testing.assert_array_equal(be.to_host(x), [1.0, 2.0])
    be.synchronize()
    s = be.stream()
    ran = []
    assert be.capture(s, lambda: ran.append(1)) == "graph" and ran == [1]
    assert cp.calls == ["asarray", "get", "synchronize", ("Stream", True), "begin_capture", "end_capture"]
    assert isinstance(be.ignore_overflow(), type(B.contextlib.nullcontext()))


def test_register_backend_and_transfer_between_backends(monkeypatch):
    cp = _FakeCupy()
    monkeypatch.setitem(sys.modules, "cupy", cp)
    monkeypatch.delitem(B._backends, "cupy", raising=False)
    try:
        be = B.get_backend("cuda")  # loads the fake through the real import guard
        assert isinstance(be, B.CupyBackend) and B.get_backend("gpu") is be and cp.ndarray in B.ARRAY_TYPES
        on_dev = B.transfer(np.arange(3.0), be)
        assert B.backend_of(on_dev) is be and B.array_module(on_dev) is cp
        strict = B.get_backend("strict")
        moved = B.transfer(on_dev, strict)  # device to device goes through the host
        assert B.backend_of(moved) is strict and strict.to_host(moved).tolist() == [0.0, 1.0, 2.0]
        assert B.transfer(moved, strict) is moved
    finally:
        B.unregister_backend("cupy")
    assert cp.ndarray not in B.ARRAY_TYPES
    B.unregister_backend("numpy")  # refused silently: numpy always stays
    assert B.get_backend("numpy").name == "numpy"


def test_unknown_backend_lists_registered_ones():
    with pytest.raises(mg.BackendError, match="'strict'"):
        B.get_backend("tpu")


# --------------------------------------------------------------------------- the strict test backend
import strict_backend as S  # noqa: E402  (tests/ is on the path; conftest registered it)


def test_strict_arrays_refuse_implicit_host_conversion():
    a = S.xp.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        a + np.ones(2)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        np.ones(2) * a
    with pytest.raises(TypeError, match="numpy.ndarray"):
        a[0] = np.ones(1)
    with pytest.raises(AttributeError):
        a.get()  # the only way out is the backend's to_host
    np.testing.assert_array_equal(S.BACKEND.to_host(a), [1.0, 2.0])
    with pytest.raises(TypeError, match="expects a StrictArray"):
        S.BACKEND.to_host(np.ones(1))
    with pytest.raises(TypeError, match="already on the strict backend"):
        S.BACKEND.from_host(a)


def test_strict_reductions_and_scalar_indexing_give_0d_arrays():
    a = S.xp.asarray([[1.0, 5.0], [3.0, 2.0]])
    for r in (a.sum(), a.max(), a.argmax(), a[0, 1], S.xp.mean(a), next(iter(a[0]))):
        assert type(r) is S.StrictArray and r.ndim == 0
    assert float(a.max()) == 5.0 and int(a.argmax()) == 1 and a.sum().item() == 11.0
    assert np.add(a, 1).sum().item() == 15.0  # numpy ufuncs dispatch to the strict backend, as to CuPy


def test_strict_where_and_array_functions_refuse_python_scalars():
    a = S.xp.asarray([1.0, -1.0])
    with pytest.raises(TypeError, match="needs condition to be an array"):
        S.xp.where(True, a, 0)
    with pytest.raises(TypeError, match="first argument"):
        S.xp.sum(2.0)
    with pytest.raises(TypeError, match="sequence of arrays"):
        S.xp.stack([a, 1.0])
    with pytest.raises(TypeError, match="in place"):
        S.xp.add.at(np.zeros(2), [0], 1.0)
    assert S.BACKEND.to_host(S.xp.where(a > 0, a, 0)).tolist() == [1.0, 0.0]  # scalars as x/y are fine


class _WhereWithPythonBool(mg.autograd.Function):
    """A deliberately buggy op: backward passes a Python bool to xp.where (the bug class that broke Pow on a GPU)."""

    def forward(self, a, p):
        self.a, self.p = a, p
        return a ** p

    def backward(self, g):
        xp = B.array_module(g)
        return g * xp.where(self.p == 0, 0, self.p * self.a ** (self.p - 1)), None


@pytest.mark.parametrize("backend_name", ["numpy", "strict"])  # both always: this is what strict is for
def test_strict_backend_catches_the_scalar_where_bug(backend_name):
    """The same buggy op passes on numpy and fails on strict, as it failed on CuPy."""
    backend = backend_name
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True, backend=backend)
    y = _WhereWithPythonBool.apply(x, 2)
    if backend == "numpy":
        y.sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy().copy(), [2.0, 4.0])
    else:
        with pytest.raises(TypeError, match="xp.where"):
            y.sum().backward()


def test_mixing_backends_is_an_error_naming_both():
    a, b = mg.ones(2), mg.ones(2, backend="strict", requires_grad=True)
    with pytest.raises(RuntimeError, match="Add: expected all tensors on one backend.*'numpy' and 'strict'"):
        a + b
    with pytest.raises(RuntimeError, match="gradient is on backend 'numpy' but the tensor is on 'strict'"):
        (b * 2).backward(mg.ones(2))


def test_to_moves_between_backends_with_values_and_gradients():
    x = mg.tensor([1.0, -2.0, 3.0], dtype=mg.float64, requires_grad=True)
    y = x.to("strict")
    assert y.backend == "strict" and y.device == "strict" and type(y._data) is S.StrictArray
    z = (y * y * mg.tensor([1.0, 10.0, 100.0], dtype=mg.float64, backend="strict")).sum()
    w = z.to("numpy")
    assert w.backend == "numpy" and w.item() == pytest.approx(1 + 40 + 900)
    w.backward()
    assert x.grad.backend == "numpy"
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [2.0, -40.0, 600.0])  # 2 * x * scale, back on numpy
    assert repr(y).endswith("backend='strict', dtype=minigrad.float64, grad_fn=<ToBackendBackward>)")


def test_module_state_and_files_move_through_the_backend(tmp_path):
    lin = mg.nn.Linear(3, 2, dtype=mg.float64)
    ref = {k: v.detach().numpy().copy() for k, v in lin.state_dict().items()}
    lin.to("strict")
    assert all(p.backend == "strict" for p in lin.parameters())
    out = lin(mg.ones(1, 3, dtype=mg.float64, backend="strict"))
    np.testing.assert_allclose(out.detach().numpy(), ref["weight"].sum(axis=1)[None] + ref["bias"], rtol=1e-12)
    mg.save(lin.state_dict(), tmp_path / "w.npz")
    loaded = mg.load(tmp_path / "w.npz", backend="strict")
    assert loaded["weight"].backend == "strict"
    np.testing.assert_array_equal(loaded["weight"].detach().numpy().copy(), ref["weight"])
    raw = {k: v.data for k, v in loaded.items()}  # raw strict arrays, saved and loaded into a numpy module
    mg.save(raw, tmp_path / "raw.npz")
    fresh = mg.nn.Linear(3, 2, dtype=mg.float64)
    fresh.load_state_dict(raw)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), ref["weight"])
    assert fresh.weight.backend == "numpy"


def test_strict_tensor_surface():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]], backend="strict")
    assert t.sum().item() == 10.0 and t.max().item() == 4.0 and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    t2 = mg.zeros(2, 2, backend="strict")
    with mg.no_grad():
        t2.copy_(np.ones((2, 2)))  # copy_ moves host data explicitly
        t2 += t
    np.testing.assert_array_equal(t2.detach().numpy().copy(), [[2.0, 3.0], [4.0, 5.0]])
    assert mg.randn(3, backend="strict").backend == "strict"
    assert np.array(t).tolist() == [[1.0, 2.0], [3.0, 4.0]]  # Tensor.__array__ goes through to_host


def test_cupy_graph_capture_replays_through_the_backend(backend):
    """The hook the jit builds on, on a real GPU: capture a step on the backend's stream, replay it with
    Graph.launch, and see the replay read the new input (a CUDA graph keeps the addresses it captured)."""
    if backend != "cupy":
        pytest.skip("CUDA graph capture needs the cupy backend (CuPy and a GPU)")
    be = B.get_backend("cupy")
    xp = be.xp
    x, y = xp.arange(4.0), xp.zeros(4)

    def step():
        xp.multiply(x, 2.0, out=y)

    step()  # warm-up: the kernel is compiled before capture
    be.synchronize()
    stream = be.stream()
    graph = be.capture(stream, step)
    x[...] = xp.asarray([1.0, 2.0, 3.0, 4.0])
    be.synchronize()
    graph.launch(stream=stream)
    stream.synchronize()
    assert be.to_host(y).tolist() == [2.0, 4.0, 6.0, 8.0]
