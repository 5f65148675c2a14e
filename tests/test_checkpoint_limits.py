"""Checkpoint limits: what mg.load allocates is bounded by what the file holds, and mg.save never replaces a
file system node that is not a regular file (a FIFO, a device)."""
from __future__ import annotations

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg


def _crafted(path, tree, arrays) -> None:
    """A checkpoint written by hand: a manifest ``tree`` and ``arrays/<i>.npy`` members."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__minigrad__.json", json.dumps({"format": "minigrad-checkpoint", "version": 1, "tree": tree}))
        for i, a in enumerate(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a, allow_pickle=False)
            zf.writestr(f"arrays/{i}.npy", buf.getvalue())


@pytest.mark.parametrize("tag", ["array", "tensor", "scalar"])
def test_a_manifest_naming_one_array_many_times_is_refused(tmp_path, tag):
    path = tmp_path / "bomb.bin"
    big = np.zeros(1 << 17)  # 1 MiB; 2,000 references would be 2 GB of copies
    _crafted(path, {"list": [{tag: 0}] * 2000}, [big if tag != "scalar" else np.float64(1.0)])
    with pytest.raises(ValueError, match="more than once"):
        mg.load(path)


def test_one_array_named_by_two_tags_is_refused(tmp_path):
    path = tmp_path / "twice.bin"
    _crafted(path, {"dict": [["a", {"tensor": 0}], ["b", {"array": 0}]]}, [np.ones(3)])
    with pytest.raises(ValueError, match=str(path).replace("\\", "\\\\") + ".*more than once"):
        mg.load(path)


_leaves = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
                    st.integers(0, 40).map(lambda n: mg.ones(n)), st.integers(0, 40).map(lambda n: np.zeros(n)))
_trees = st.recursive(_leaves, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.text("abc", max_size=3), kids, max_size=3)),
                      max_leaves=12)


def _nbytes(obj) -> int:
    if isinstance(obj, mg.Tensor):
        return obj.detach().numpy().copy().nbytes
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v) for v in obj)
    return 0


@settings(max_examples=30, deadline=None)
@given(tree=_trees, repeats=st.integers(2, 5))
def test_load_never_allocates_more_array_bytes_than_the_file_holds(tmp_path_factory, tree, repeats):
    """Property: a saved tree loads with exactly the array bytes its members hold; any manifest that names a
    member again (however many times) is refused."""
    path = tmp_path_factory.mktemp("ckpt") / "c.bin"
    mg.save({"tree": tree, "meta": None}, path)  # a nested checkpoint (a flat state dict has no manifest)
    with zipfile.ZipFile(path) as zf:
        arrays = [np.lib.format.read_array(zf.open(f"arrays/{i}.npy"))
                  for i in range(sum(n.startswith("arrays/") for n in zf.namelist()))]
        manifest = json.loads(zf.read("__minigrad__.json"))
    assert _nbytes(mg.load(path)) == sum(a.nbytes for a in arrays)
    extra = len(arrays)
    _crafted(path, {"list": [manifest["tree"]] + [{"array": extra}] * repeats}, arrays + [np.ones(4)])
    with pytest.raises(ValueError, match="more than once"):
        mg.load(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_save_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        mg.save({"w": mg.ones(2)}, fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    link = tmp_path / "link"
    link.symlink_to(fifo)  # through a symlink too: the target is what counts
    with pytest.raises(ValueError, match="not a regular file"):
        mg.save({"w": mg.ones(2)}, link)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "pipe"], "no temporary file may be left"


def test_save_refuses_a_device_node_and_leaves_it_a_device(tmp_path):
    node = tmp_path / "null"
    try:  # a private copy of /dev/null's node: a wrong save replaces this one, never the real one
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as e:
        pytest.skip(f"can't make a device node here ({type(e).__name__}: {e}); needs root on a POSIX system")
    with pytest.raises(ValueError, match="not a regular file"):
        mg.save({"w": mg.ones(2)}, node)
    assert stat.S_ISCHR(os.stat(node).st_mode)
