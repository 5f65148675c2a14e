"""mg.save / mg.load: npz round trips across backends and dtypes, and clear errors for bad files."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
        np.testing.assert_array_equal(value.detach().numpy().copy(), p.detach().numpy().copy(), err_msg=name)
    dst = _model(backend)
    dst.load_state_dict(loaded)
    x = mg.randn(2, 1, 3, 3, backend=backend)
    np.testing.assert_array_equal(dst(x).detach().numpy(), src(x).detach().numpy())


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
        expected = value.detach().numpy().copy() if isinstance(value, mg.Tensor) else value
        got = loaded[name].detach().numpy().copy()
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"0.weight": mg.tensor(np.eye(2))}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == ["0.weight"]
        np.testing.assert_array_equal(archive["0.weight"], np.eye(2))
    np.savez(tmp_path / "numpy.npz", w=np.ones(3))  # and files numpy writes load too
    np.testing.assert_array_equal(mg.load(tmp_path / "numpy.npz")["w"].detach().numpy().copy(), np.ones(3))


def test_file_objects(tmp_path):
    path = tmp_path / "w.npz"
    with open(path, "wb") as f:
        mg.save({"w": mg.ones(2)}, f)
    with open(path, "rb") as f:
        assert mg.load(f)["w"].tolist() == [1.0, 1.0]


def test_save_rejects_what_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "w.npz"
    with pytest.raises(TypeError, match="dict of name -> Tensor"):
        mg.save(mg.ones(1), path)
    with pytest.raises(TypeError, match="keys must be non-empty strings"):
        mg.save({"": mg.ones(1)}, path)
    with pytest.raises(TypeError, match=r"obj\['w'\] is a object"):
        mg.save({"w": object()}, path)
    with pytest.raises(TypeError, match=r"key 1.5 of type float"):
        mg.save({"w": {1.5: mg.ones(1)}}, path)
    with pytest.raises(TypeError, match="dtype object"):
        mg.save({"w": np.array([None])}, path)
    with pytest.raises(TypeError, match="dtype complex128"):
        mg.save({"w": [np.ones(2, dtype=complex)]}, path)
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


# ----------------------------------------------------------------------------- nested checkpoints
def test_nested_checkpoint_round_trip(tmp_path, backend):
    mg.manual_seed(0)
    model = nn.Linear(3, 2, backend=backend)
    opt = mg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(mg.randn(4, 3, backend=backend)).sum().backward()
    opt.step()
    ckpt = {
        "model": model.state_dict(),
        "optim": opt.state_dict(),
        "epoch": 3,
        "history": [1.5, float("nan"), float("inf"), -float("inf")],
        "flags": (True, None, "text ü"),
        "big": 2**70,
        "raw": np.arange(3, dtype=np.int16),
        "np_scalar": np.float32(2.5),
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "": "empty keys are fine inside a nested checkpoint",
    }
    path = tmp_path / "ckpt.bin"
    mg.save(ckpt, path)
    back = mg.load(path, backend=backend)
    assert list(back) == list(ckpt)
    assert back["epoch"] == 3 and back["big"] == 2**70 and back[""] == ckpt[""]
    assert back["history"][0] == 1.5 and np.isnan(back["history"][1]) and back["history"][2:] == [np.inf, -np.inf]
    assert back["flags"] == (True, None, "text ü") and isinstance(back["flags"], tuple)
    assert mg.backend.backend_of(back["raw"]) == backend and back["raw"].dtype == np.int16  # a raw array there
    assert back["np_scalar"] == np.float32(2.5) and back["np_scalar"].dtype == np.float32
    assert isinstance(back["ordered"], OrderedDict) and list(back["ordered"]) == ["b", "a"]
    state = back["optim"]["state"]
    assert sorted(state) == [0, 1]  # int keys (parameter indices) stay ints
    assert back["optim"]["param_groups"][0]["betas"] == (0.8, 0.9)
    for k, v in opt.state_dict()["state"][0].items():
        if isinstance(v, mg.Tensor):
            assert state[0][k].backend == backend
            np.testing.assert_array_equal(state[0][k].detach().numpy().copy(), v.detach().numpy().copy())
        else:
            assert state[0][k] == v
    opt2 = mg.optim.Adam(nn.Linear(3, 2, backend=backend).parameters())
    opt2.load_state_dict(back["optim"])
    assert opt2.param_groups[0]["lr"] == 0.01


def test_nested_checkpoint_keeps_requires_grad(tmp_path):
    w = mg.ones(2, requires_grad=True)
    mg.save({"w": [w]}, tmp_path / "c")
    assert mg.load(tmp_path / "c")["w"][0].requires_grad


@pytest.mark.parametrize("bad, match", [
    ({"a": {True: 1}}, "key True of type bool"),
    ({"a": {(1, 2): 1}}, "key .* of type tuple"),
    ({"a": {1, 2}}, "is a set"),
    ({"a": b"bytes"}, "is a bytes"),
    ({"a": 1j}, "is a complex"),
    ({"a": np.complex64(1)}, "NumPy scalar of dtype complex64"),
])
def test_nested_checkpoint_rejects_unsupported_values(tmp_path, bad, match):
    with pytest.raises(TypeError, match=match):
        mg.save(bad, tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_nested_checkpoint_rejects_cycles_and_deep_nesting(tmp_path):
    cyclic: list = [1]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="contains itself"):
        mg.save({"a": cyclic}, tmp_path / "c")
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than"):
        mg.save(deep, tmp_path / "c")
    shared = [1, 2]
    mg.save({"a": shared, "b": shared}, tmp_path / "c")  # the same list twice is not a cycle
    assert mg.load(tmp_path / "c") == {"a": [1, 2], "b": [1, 2]}


def test_flat_state_dict_stays_a_plain_npz_and_nested_is_a_zip_of_npy(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "flat")
    assert zipfile.ZipFile(tmp_path / "flat").namelist() == ["w.npy"]
    mg.save({0: mg.ones(2)}, tmp_path / "nested")
    names = zipfile.ZipFile(tmp_path / "nested").namelist()
    assert names == ["__minigrad__.json", "arrays/0.npy"]
    with np.load(tmp_path / "nested", allow_pickle=False) as archive:  # still readable with NumPy alone
        np.testing.assert_array_equal(archive["arrays/0"], np.ones(2, dtype=np.float32))


# ----------------------------------------------------------------------------- keys
@pytest.mark.parametrize("keys, match", [
    (["a", "a.npy"], "'a' and 'a.npy' would collide"),
    (["a.npy", "a"], "'a' and 'a.npy' would collide"),
    (["x", "a\x00b"], "NUL"),
    (["\udc80"], "not encodable as UTF-8"),
    (["k" * 70000], "bytes long"),
])
def test_save_rejects_keys_that_do_not_survive_the_archive(tmp_path, keys, match):
    path = tmp_path / "w.npz"
    mg.save({"old": mg.ones(1)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=match):
        mg.save({k: mg.zeros(1) for k in keys}, path)
    assert path.read_bytes() == before  # validated before the file was touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_unusual_but_valid_keys_round_trip(tmp_path):
    keys = ["a.npy.npy", "a.b", "dir/sub", "ü ñ 中", "x.npz", "__minigrad__.json", "k" * 1000]
    mg.save({k: mg.tensor([float(i)]) for i, k in enumerate(keys)}, tmp_path / "w")
    assert list(mg.load(tmp_path / "w")) == keys


# ----------------------------------------------------------------------------- atomic writes
def _failing_writer(monkeypatch, after: int):
    real = np.lib.format.write_array
    calls = {"n": 0}

    def write_array(fp, arr, *a, **kw):
        calls["n"] += 1
        if calls["n"] > after:
            fp.write(b"partial junk")
            raise OSError("disk full (simulated)")
        return real(fp, arr, *a, **kw)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)


@pytest.mark.parametrize("after", [0, 1, 2])
@pytest.mark.parametrize("nested", [False, True])
def test_a_save_that_fails_midway_leaves_the_old_checkpoint(tmp_path, monkeypatch, after, nested):
    path = tmp_path / "ckpt.npz"
    old = {"a": mg.ones(2), "b": mg.zeros(3)}
    mg.save(old, path)
    before = path.read_bytes()
    _failing_writer(monkeypatch, after)
    new = {"a": mg.full((2,), 7.0), "b": mg.ones(3), "c": mg.ones(4)}
    with pytest.raises(OSError, match="simulated"):
        mg.save({"model": new, "epoch": 1} if nested else new, path)
    assert path.read_bytes() == before
    assert list(mg.load(path)) == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"], "the temporary file must be removed"


def test_save_keeps_the_file_mode_and_replaces_atomically(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"a": mg.ones(1)}, path)
    os.chmod(path, 0o640)
    mg.save({"a": mg.zeros(1)}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o640
    assert mg.load(path)["a"].tolist() == [0.0]


def test_save_to_a_directory_or_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        mg.save({"a": mg.ones(1)}, tmp_path)
    with pytest.raises(FileNotFoundError):
        mg.save({"a": mg.ones(1)}, tmp_path / "missing" / "w.npz")
    with pytest.raises(TypeError, match="path must be"):
        mg.save({"a": mg.ones(1)}, 3.5)


# ----------------------------------------------------------------------------- corrupt files
def _npy_header(shape, dtype="<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_a_header_claiming_terabytes_is_rejected_before_allocating(tmp_path):
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", _npy_header((10**12,)))
    assert path.stat().st_size < 400
    with pytest.raises(ValueError, match="claiming shape") as info:
        mg.load(path)
    assert str(path) in str(info.value)


def test_a_member_claiming_more_than_the_file_holds_is_rejected(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"w": mg.ones(4)}, path)
    data = bytearray(path.read_bytes())
    # Inflate the uncompressed size in the central directory (4-byte field at offset 24 of its record).
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 2**31)
    struct.pack_into("<I", data, cd + 20, 2**31)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=str(path)):
        mg.load(path)


def test_a_deflated_member_cannot_claim_an_impossible_ratio(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("w.npy", _npy_header((2_000_000,)) + bytes(16_000_000))
    mg_loaded = mg.load(path)["w"]  # a legitimate, highly compressible file still loads
    assert mg_loaded.shape == (2_000_000,)
    np.savez_compressed(tmp_path / "numpy.npz", w=np.arange(10.0))
    assert mg.load(tmp_path / "numpy.npz")["w"].tolist() == list(np.arange(10.0))


@pytest.mark.parametrize("nested", [False, True])
def test_every_truncation_raises_value_error_naming_the_path(tmp_path, nested):
    path = tmp_path / "w.npz"
    mg.save({"m": {"w": mg.arange(6.0)}, "e": 1} if nested else {"w": mg.arange(6.0), "b": mg.ones(2)}, path)
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    for n in range(0, len(data), 7):
        cut.write_bytes(data[:n])
        with pytest.raises(ValueError) as info:
            mg.load(cut)
        assert str(cut) in str(info.value), f"cut at {n}: {info.value}"


@pytest.mark.parametrize("nested", [False, True])
def test_bit_flips_raise_value_error_or_leave_the_data_intact(tmp_path, nested):
    path = tmp_path / "w.npz"
    state = {"m": {"w": mg.arange(6.0)}, "e": 1} if nested else {"w": mg.arange(6.0), "b": mg.ones(2)}
    mg.save(state, path)
    data = path.read_bytes()
    flipped = tmp_path / "flipped.npz"
    rng = np.random.default_rng(0)
    for pos in range(len(data)):
        bit = int(rng.integers(8))
        bad = bytearray(data)
        bad[pos] ^= 1 << bit
        flipped.write_bytes(bytes(bad))
        try:
            got = mg.load(flipped)
        except ValueError as e:
            assert str(flipped) in str(e), f"flip at {pos}: {e}"
            continue
        # Flips in fields nothing reads (timestamps, version-made-by, ...) are harmless; any flip that reaches
        # the data must have been caught (the CRC, the header checks).
        if nested:
            assert got["e"] == 1 and got["m"]["w"].tolist() == list(range(6)), f"flip at {pos} was silent"
        else:
            assert got["w"].tolist() == list(range(6)) and got["b"].tolist() == [1, 1], f"flip at {pos} was silent"


@pytest.mark.parametrize("manifest", [
    b"not json",
    b'{"format": "other", "version": 1, "tree": null}',
    b'{"format": "minigrad-checkpoint", "version": 99, "tree": null}',
    b'{"format": "minigrad-checkpoint", "version": 1, "tree": {"tensor": 5}}',
    b'{"format": "minigrad-checkpoint", "version": 1, "tree": {"what": 1}}',
    b'{"format": "minigrad-checkpoint", "version": 1, "tree": {"dict": [[1.5, 2]]}}',
    b'{"format": "minigrad-checkpoint", "version": 1, "tree": {"float": "1e9999x"}}',
    b"[" * 100000 + b"]" * 100000,
])
def test_bad_manifests_raise_value_error_naming_the_path(tmp_path, manifest):
    path = tmp_path / "c.bin"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__minigrad__.json", manifest)
    with pytest.raises(ValueError) as info:
        mg.load(path)
    assert str(path) in str(info.value)


def test_load_of_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError):
        mg.load(tmp_path)


def test_save_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.npz"
    link = tmp_path / "link.npz"
    mg.save({"a": mg.ones(1)}, real)
    link.symlink_to(real)
    mg.save({"a": mg.zeros(1)}, link)
    assert link.is_symlink() and mg.load(real)["a"].tolist() == [0.0]


# ----------------------------------------------------------------------------- property: any checkpoint round-trips
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(allow_nan=False), st.text(max_size=8),
    st.sampled_from([float("nan"), float("inf")]),
    st.builds(lambda shape, dt: mg.tensor(np.arange(int(np.prod(shape))).reshape(shape).astype(dt)),
              st.lists(st.integers(0, 3), max_size=3).map(tuple), st.sampled_from(["f4", "f8", "i8", "u1", "?"])),
    st.builds(lambda n: np.linspace(0, 1, n), st.integers(0, 4)),
)
_trees = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-3, 3)), inner, max_size=3)), max_leaves=8)


def _same(a, b) -> bool:
    if isinstance(a, mg.Tensor):
        return (isinstance(b, mg.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a.detach().numpy().copy(), b.detach().numpy().copy()))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@given(_trees)
def test_any_nested_checkpoint_round_trips(tmp_path_factory, tree):
    obj = {"root": tree}
    path = tmp_path_factory.mktemp("rt") / "c.bin"
    mg.save(obj, path)
    back = mg.load(path)
    if isinstance(tree, (mg.Tensor, np.ndarray)):  # a flat state dict: arrays come back as Tensors
        want = tree.detach().numpy().copy() if isinstance(tree, mg.Tensor) else tree
        got = back["root"].detach().numpy().copy()
        assert got.dtype == want.dtype and np.array_equal(got, want)
    else:
        assert _same(obj, back), (obj, back)


def test_load_takes_pytorchs_arguments(tmp_path):
    """torch.load's map_location (a device: where the tensors go), weights_only and mmap (accepted: the format is
    never unpickled, so loading is always weights-only)."""
    path = tmp_path / "w.pth"
    mg.save({"w": mg.ones(2)}, path)
    for kwargs in ({"weights_only": True}, {"map_location": "cpu"}, {"map_location": mg.device("cpu")},
                   {"weights_only": False, "mmap": False}):
        loaded = mg.load(path, **kwargs)
        assert loaded["w"].tolist() == [1.0, 1.0] and loaded["w"].device == mg.device("cpu")
    with pytest.raises(TypeError, match="a function or a dict of devices is not supported"):
        mg.load(path, map_location=lambda storage, loc: storage)
    with pytest.raises(ValueError, match="disagree"):
        mg.load(path, map_location="cpu", backend="strict")


# ----------------------------------------------------------------------------- what a mutation run asked for
def test_a_new_file_gets_the_umask_mode_and_its_temporary_file_sits_beside_it(tmp_path, monkeypatch):
    """A new checkpoint is created like open() creates a file (0o666 less the umask), and the temporary file it
    is written to lives in the target's own directory, so the final rename cannot cross file systems."""
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (replaced.append((src, dst)), real_replace(src, dst)))
    old = os.umask(0o027)
    try:
        mg.save({"a": mg.ones(1)}, tmp_path / "w.npz")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "w.npz").st_mode & 0o777) == 0o640
    (src, dst), = replaced
    assert os.path.dirname(src) == os.path.dirname(dst) == os.path.realpath(tmp_path)


def test_a_zip_written_to_a_stream_loads(tmp_path):
    """zipfile writing to an unseekable stream puts a data descriptor after each member (flag bit 3): a valid
    archive whose members do not end where the next header starts."""
    class Stream(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    stream = Stream()
    with zipfile.ZipFile(stream, "w") as zf:
        for name, value in (("w", np.arange(3.0)), ("b", np.ones(2))):
            with zf.open(name + ".npy", "w") as f:
                np.lib.format.write_array(f, value)
    path = tmp_path / "streamed.npz"
    path.write_bytes(bytes(stream.buf))
    assert all(i.flag_bits & 0x08 for i in zipfile.ZipFile(path).infolist())
    loaded = mg.load(path)
    assert loaded["w"].tolist() == [0.0, 1.0, 2.0] and loaded["b"].tolist() == [1.0, 1.0]


def test_errors_name_a_file_object_by_its_name_once(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"w": mg.ones(4)}, path)
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 2**31)  # a member claiming more than the file holds
    struct.pack_into("<I", data, cd + 20, 2**31)
    path.write_bytes(bytes(data))
    with open(path, "rb") as f, pytest.raises(ValueError) as info:
        mg.load(f)
    assert str(info.value).startswith(str(path)) and str(info.value).count(str(path)) == 1, info.value


def test_a_path_with_a_nul_byte_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="is not a usable file name"):
        mg.load(str(tmp_path / "a\x00b.npz"))


def test_a_manifest_claiming_an_impossible_size_says_so(tmp_path):
    path = tmp_path / "c.bin"
    mg.save({"e": 1, "w": mg.ones(2)}, path)
    data = bytearray(path.read_bytes())
    cd = data.find(b"PK\x01\x02")
    while data[cd + 46:cd + 46 + len(b"__minigrad__.json")] != b"__minigrad__.json":
        cd = data.find(b"PK\x01\x02", cd + 4)
    struct.pack_into("<I", data, cd + 24, 2**31)  # its uncompressed size, in the central directory
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="the manifest claims an impossible size"):
        mg.load(path)


def test_a_corrupt_directory_is_named_as_such(tmp_path):
    path = tmp_path / "w.npz"
    mg.save({"w": mg.ones(4), "b": mg.ones(2)}, path)
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 42, struct.unpack_from("<I", data, cd + 42)[0] + 8)  # a member's offset
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"\(a corrupt or truncated directory\)"):
        mg.load(path)


def test_an_unsupported_value_error_lists_what_a_checkpoint_holds(tmp_path):
    with pytest.raises(TypeError, match="lists, tuples, None, bool, int, float and str"):
        mg.save({"e": object()}, tmp_path / "c.bin")


def test_bytes_hidden_before_the_directory_are_named_as_a_corrupt_directory(tmp_path):
    """Eight bytes between the last member and the central directory (its offset moved to match): no entry
    accounts for them, which is what a corrupt directory entry hiding a member looks like."""
    path = tmp_path / "w.npz"
    mg.save({"w": mg.ones(4)}, path)
    data = bytearray(path.read_bytes())
    cd = data.find(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 16, struct.unpack_from("<I", data, eocd + 16)[0] + 8)
    path.write_bytes(bytes(data[:cd]) + b"\x00" * 8 + bytes(data[cd:]))
    with pytest.raises(ValueError, match=r"does not account for bytes \d+\.\.\d+ \(a corrupt or truncated directory\)"):
        mg.load(path)
