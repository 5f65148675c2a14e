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


def test_env_var_picks_default_backend():
    code = "import minigrad as mg; print(mg.get_default_backend(), mg.zeros(1).backend)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"MINIGRAD_BACKEND": "cpu", "PATH": ""}, check=True)
    assert out.stdout.split() == ["numpy", "numpy"]
    bad = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True, text=True,
                         env={"MINIGRAD_BACKEND": "tpu", "PATH": ""})
    assert bad.returncode != 0 and "MINIGRAD_BACKEND='tpu' is not a backend" in bad.stderr


def test_cupy_backend_runs_ops(backend):
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
