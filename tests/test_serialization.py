"""mg.save / mg.load: npz round trips across backends and dtypes, and clear errors for bad files."""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _model(backend: str | None = None) -> nn.Module:
    conv = nn.Conv2d(1, 2, 2, bias=False, backend=backend)  # float32 (default dtype)
    return nn.Sequential(conv, nn.Flatten(), nn.Linear(8, 3, dtype=mg.float64, backend=backend))


def test_round_trip_model_state(tmp_path, backend):
    mg.manual_seed(0)
    src = _model(backend)
    path = tmp_path / "weights.npz"
    assert mg.save(src.state_dict(), path) is None
    loaded = mg.load(path, backend=backend)
    assert isinstance(loaded, OrderedDict)
    assert list(loaded) == ["0.weight", "2.weight", "2.bias"]
    for (name, value), (_, p) in zip(loaded.items(), src.state_dict().items()):
        assert isinstance(value, mg.Tensor) and value.backend == backend and not value.requires_grad
        assert value.dtype == p.dtype, name
        np.testing.assert_array_equal(value.numpy(), p.numpy(), err_msg=name)
    dst = _model(backend)
    dst.load_state_dict(loaded)
    x = mg.randn(2, 1, 3, 3, backend=backend)
    np.testing.assert_array_equal(dst(x).numpy(), src(x).numpy())


def test_load_onto_another_backend(tmp_path, backend):
    path = tmp_path / "w.npz"
    mg.save({"a": mg.tensor([[1.5, 2.5]], backend=backend)}, path)
    for target in ("numpy", backend):
        t = mg.load(path, backend=target)["a"]
        assert t.backend == target and t.dtype == mg.float32
        np.testing.assert_array_equal(t.numpy(), [[1.5, 2.5]])
    assert mg.load(path)["a"].backend == mg.get_default_backend()


def test_dtypes_shapes_and_key_order_survive(tmp_path):
    state = OrderedDict(
        [
            ("z.last", mg.tensor(np.float32(3.0))),  # 0-d
            ("file", mg.tensor(np.arange(6, dtype=np.int64).reshape(2, 3))),  # names np.savez would reject
            ("allow_pickle", mg.tensor(np.array([True, False]))),
            ("a.first", np.linspace(0, 1, 5)),  # raw arrays are accepted too
            ("empty", mg.zeros(0, 4)),
        ]
    )
    path = tmp_path / "weights.bin"  # no extension is added
    mg.save(state, path)
    assert path.exists()
    loaded = mg.load(path)
    assert list(loaded) == list(state)
    for name, value in state.items():
        expected = value.numpy() if isinstance(value, mg.Tensor) else value
        got = loaded[name].numpy()
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"0.weight": mg.tensor(np.eye(2))}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == ["0.weight"]
        np.testing.assert_array_equal(archive["0.weight"], np.eye(2))
    np.savez(tmp_path / "numpy.npz", w=np.ones(3))  # and files numpy writes load too
    np.testing.assert_array_equal(mg.load(tmp_path / "numpy.npz")["w"].numpy(), np.ones(3))


def test_file_objects(tmp_path):
    path = tmp_path / "w.npz"
    with open(path, "wb") as f:
        mg.save({"w": mg.ones(2)}, f)
    with open(path, "rb") as f:
        assert mg.load(f)["w"].tolist() == [1.0, 1.0]


def test_save_rejects_what_is_not_a_state_dict(tmp_path):
    path = tmp_path / "w.npz"
    with pytest.raises(TypeError, match="dict of name -> Tensor"):
        mg.save([mg.ones(1)], path)
    with pytest.raises(TypeError, match="keys must be non-empty strings"):
        mg.save({1: mg.ones(1)}, path)
    with pytest.raises(TypeError, match=r"state_dict\['w'\] is a list"):
        mg.save({"w": [1.0]}, path)
    with pytest.raises(TypeError, match="dtype object"):
        mg.save({"w": np.array([None])}, path)
    assert not path.exists()


def _bad_files(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not weights\n")
    pickled = tmp_path / "state.pkl"
    pickled.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    objects = tmp_path / "objects.npz"
    np.savez(objects, w=np.array([{"a": 1}], dtype=object))
    strings = tmp_path / "strings.npz"
    np.savez(strings, w=np.array(["a", "b"]))
    foreign = tmp_path / "foreign.npz"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("readme.txt", "not an array")
    truncated = tmp_path / "truncated.npz"
    mg.save({"w": mg.ones(100)}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    return [text, pickled, single, objects, strings, foreign, truncated]


def test_load_rejects_bad_files_with_a_clear_error(tmp_path):
    for path in _bad_files(tmp_path):
        with pytest.raises(ValueError, match=str(path.name)) as info:
            mg.load(path)
        assert str(path) in str(info.value), f"error for {path.name} should name the file: {info.value}"


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.npz")
