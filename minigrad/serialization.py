"""`save` / `load`: state dicts and nested checkpoints in a NumPy `.npz` archive, never pickled.

Two layouts, both plain zip archives of `.npy` members:

- A flat state dict (str name -> Tensor or array, e.g. `model.state_dict()`) is a standard npz, one member
  `<name>.npy` per entry, so `np.load(path)` reads it too.
- Anything else (an optimizer's `state_dict()`, `{"model": ..., "optim": ..., "epoch": 3}`) is stored as a
  JSON manifest member `__minigrad__.json` describing the structure (dicts with str or int keys, lists,
  tuples, None, bool, int, float, str) plus one member `arrays/<i>.npy` per Tensor or array in it.

Members are written with `numpy.lib.format.write_array` (what `np.savez` does inside) rather than
`np.savez(path, **state)`: a key such as "file" would collide with `np.savez`'s own arguments, and `np.savez`
appends ".npz" to names that lack it, whereas `mg.save(sd, "w.bin")` writes exactly "w.bin".

Everything is validated before the file is touched, and a path is written atomically (a temporary file in
the same directory, then `os.replace`), so a failure midway leaves the previous checkpoint intact.
`load` checks each member's header (shape x itemsize) against the member's real size before allocating.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO, Mapping, Union

import numpy as np

from .backend import ARRAY_TYPES, backend_of
from .device import resolve_backend
from .tensor import Tensor

__all__ = ["save", "load"]

PathLike = Union[str, "os.PathLike[str]", BinaryIO]

# Array kinds a checkpoint may hold: bool, signed/unsigned int, float.
_ALLOWED_KINDS = "biuf"
_MANIFEST = "__minigrad__.json"
_FORMAT = "minigrad-checkpoint"
_VERSION = 1
# A zip member name is at most 65535 bytes; leave room for the ".npy" suffix.
_MAX_KEY_BYTES = 65535 - 4
# Deflate cannot expand data by more than about 1032:1, so a member claiming more is corrupt (or a bomb).
_MAX_DEFLATE_RATIO = 1100
_MAX_DEPTH = 100
_LOAD_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, NotImplementedError, RuntimeError,
                struct.error, zlib.error, UnicodeError, OverflowError, SyntaxError, TypeError, IndexError,
                json.JSONDecodeError, MemoryError)


# --------------------------------------------------------------------------------------------------- save
def _is_array(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray)) or type(value) in ARRAY_TYPES


def _to_host(where: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        arr = value.numpy(force=True)  # a parameter requires grad; saving leaves no graph behind
    elif isinstance(value, np.ndarray):
        arr = value
    elif type(value) in ARRAY_TYPES:  # a raw array of another backend (CuPy, ...): its explicit host copy
        arr = backend_of(value).to_host(value)
    else:
        raise TypeError(f"mg.save: {where} is a {type(value).__name__}, expected a Tensor or an array")
    if arr.dtype.kind not in _ALLOWED_KINDS or arr.dtype.fields is not None:
        raise TypeError(f"mg.save: {where} has dtype {arr.dtype}, expected a bool, int or float array")
    return arr


def _check_flat_key(name: Any, names: set) -> None:
    """A flat state-dict key becomes a zip member name: it must survive that trip unchanged and unambiguous."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"mg.save: state_dict keys must be non-empty strings, got {name!r}")
    if "\x00" in name:
        raise ValueError(f"mg.save: state_dict key {name!r} contains a NUL character, which zip member names "
                         "cannot hold (the name would be cut there)")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise ValueError(f"mg.save: state_dict key {name!r} is not encodable as UTF-8 ({e.reason})") from None
    if size > _MAX_KEY_BYTES:
        raise ValueError(f"mg.save: state_dict key {name[:40]!r}... is {size} bytes long in UTF-8; "
                         f"a zip member name holds at most {_MAX_KEY_BYTES}")
    if name.endswith(".npy") and name[:-4] in names:
        raise ValueError(f"mg.save: state_dict keys {name[:-4]!r} and {name!r} would collide in the archive "
                         f"(np.load names member {name[:-4]!r}.npy {name!r} too); rename one of them")


def _is_flat(obj: Any) -> bool:
    return isinstance(obj, Mapping) and all(isinstance(k, str) and _is_array(v) for k, v in obj.items())


class _Encoder:
    """Turns a nested structure into a JSON-able manifest plus a list of host arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._open: set[int] = set()

    def encode(self, value: Any, where: str, depth: int = 0) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in _ALLOWED_KINDS:
                raise TypeError(f"mg.save: {where} is a NumPy scalar of dtype {value.dtype}, expected bool, int "
                                "or float")
            self.arrays.append(np.asarray(value))
            return {"scalar": len(self.arrays) - 1}
        if _is_array(value):
            self.arrays.append(_to_host(where, value))
            if isinstance(value, Tensor):
                return {"tensor": len(self.arrays) - 1, "requires_grad": bool(value.requires_grad)}
            return {"array": len(self.arrays) - 1}
        if isinstance(value, (Mapping, list, tuple)):
            if depth >= _MAX_DEPTH:
                raise ValueError(f"mg.save: {where} is nested more than {_MAX_DEPTH} levels deep")
            if id(value) in self._open:
                raise ValueError(f"mg.save: {where} contains itself (a reference cycle)")
            self._open.add(id(value))
            try:
                if isinstance(value, Mapping):
                    items = []
                    for k, v in value.items():
                        if isinstance(k, bool) or not isinstance(k, (str, int)):
                            raise TypeError(f"mg.save: {where} has a key {k!r} of type {type(k).__name__}; "
                                            "keys must be str or int")
                        items.append([k, self.encode(v, f"{where}[{k!r}]", depth + 1)])
                    tag = "odict" if isinstance(value, OrderedDict) else "dict"
                    return {tag: items}
                tag = "list" if isinstance(value, list) else "tuple"
                return {tag: [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]}
            finally:
                self._open.discard(id(value))
        raise TypeError(f"mg.save: {where} is a {type(value).__name__}; a checkpoint holds Tensors, arrays, dicts "
                        "(str or int keys), lists, tuples, None, bool, int, float and str")


def _members(obj: Any) -> list[tuple[str, Any]]:
    """Validate everything and return the archive's members as (name, ndarray or bytes), touching no file."""
    if _is_flat(obj):
        names = set(obj)
        members = []
        for name, value in obj.items():
            _check_flat_key(name, names)
            members.append((name + ".npy", _to_host(f"state_dict[{name!r}]", value)))
        return members
    if not isinstance(obj, (Mapping, list, tuple)):
        raise TypeError(f"mg.save expects a dict of name -> Tensor (e.g. model.state_dict()) or a nested "
                        f"checkpoint (dicts, lists, tuples of Tensors and numbers), got {type(obj).__name__}")
    enc = _Encoder()
    tree = enc.encode(obj, "obj")
    manifest = {"format": _FORMAT, "version": _VERSION, "tree": tree}
    text = json.dumps(manifest, allow_nan=False, ensure_ascii=True).encode("ascii")
    return [(_MANIFEST, text)] + [(f"arrays/{i}.npy", a) for i, a in enumerate(enc.arrays)]


def _write(fileobj: BinaryIO, members: list[tuple[str, Any]]) -> None:
    with zipfile.ZipFile(fileobj, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in members:
            if isinstance(data, bytes):
                zf.writestr(name, data)
                continue
            with zf.open(name, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, data, allow_pickle=False)


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable where the platform allows it (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save(obj: Any, path: PathLike) -> None:
    """Write `obj` to `path` as an uncompressed zip of `.npy` members (no pickle).

    `obj` is a flat state dict (str name -> Tensor or NumPy/CuPy array: a plain npz that `np.load` reads) or a
    nested checkpoint: dicts with str or int keys, lists, tuples, None, bool, int, float, str, Tensors and
    arrays (e.g. an optimizer's `state_dict()`). CuPy data is copied to the host. Keys and values are all
    checked before the file is touched; a path is replaced atomically, so on any error the previous file at
    `path` is left as it was. A file object is written in place (it cannot be replaced atomically).
    """
    members = _members(obj)
    if not isinstance(path, (str, os.PathLike)):
        if not hasattr(path, "write") or not hasattr(path, "seek"):
            raise TypeError(f"mg.save: path must be a str, os.PathLike or a binary file object, got "
                            f"{type(path).__name__}")
        _write(path, members)
        return
    target = os.fspath(path)
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    if not target or "\x00" in target:
        raise ValueError(f"mg.save: path {target!r} is not a usable file name")
    if os.path.isdir(target):
        raise IsADirectoryError(f"mg.save: path {target!r} is a directory, expected a file name")
    target = os.path.realpath(target)  # write through a symlink, as open() would, instead of replacing it
    directory = os.path.dirname(target)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        mode = _new_file_mode()
    else:
        if not stat.S_ISREG(st.st_mode):  # renaming over a FIFO or a device node would replace the node itself
            raise ValueError(f"mg.save: {os.fspath(path)!r} is not a regular file (a FIFO, socket or device); "
                             "mg.save writes regular files only (a zip archive needs a seekable file); save to a "
                             "regular file and copy that")
        mode = st.st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target)[:64] + ".",
                                suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, members)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        _fsync_dir(directory)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------------------------------- load
def _archive_size(path: PathLike) -> int | None:
    if isinstance(path, (str, os.PathLike)):
        return os.path.getsize(path)
    try:
        here = path.tell()
        end = path.seek(0, io.SEEK_END)
        path.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def _check_layout(zf: zipfile.ZipFile, infos: list, where: str) -> None:
    """The members must tile the archive from its start to its central directory. A corrupt directory entry
    (a flipped length field) can make zipfile skip later entries silently; a gap shows it."""
    fp = zf.fp
    pos = 0
    slack = 0  # a streamed member is followed by a data descriptor of up to 24 bytes
    for info in sorted(infos, key=lambda i: i.header_offset):
        if not pos <= info.header_offset <= pos + slack:
            raise ValueError(f"{where}: the archive's directory does not account for bytes {pos}..{info.header_offset}"
                             " (a corrupt or truncated directory)")
        fp.seek(info.header_offset)
        local = fp.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise ValueError(f"{where}: entry {info.filename!r} has no valid local header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        pos = info.header_offset + 30 + name_len + extra_len + info.compress_size
        slack = 24 if info.flag_bits & 0x08 else 0
    if not pos <= zf.start_dir <= pos + slack:
        raise ValueError(f"{where}: the archive's directory does not account for bytes {pos}..{zf.start_dir} "
                         "(a corrupt or truncated directory)")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, total: int | None) -> np.ndarray:
    """One `.npy` member, its claimed size checked against the member's real size before any allocation."""
    entry = f"{where}: entry {info.filename!r}"
    if total is not None and info.compress_size > total:
        raise ValueError(f"{entry} claims {info.compress_size} bytes but the whole file has {total}")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise ValueError(f"{entry} is stored uncompressed but claims {info.file_size} bytes of data in "
                         f"{info.compress_size}")
    if info.file_size > max(info.compress_size, 1) * _MAX_DEFLATE_RATIO:
        raise ValueError(f"{entry} claims {info.file_size} bytes from {info.compress_size} compressed, more than "
                         "any compression gives: the file is corrupt")
    with zf.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"{entry} has unsupported .npy format version {version}")
        if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.hasobject:
            raise ValueError(f"{entry} has unsupported dtype {dtype}")
        count = math.prod(shape)
        expected = count * dtype.itemsize
        available = info.file_size - fp.tell()
        if expected != available:
            raise ValueError(f"{entry} has a header claiming shape {shape} of {dtype} ({expected} bytes) but holds "
                             f"{available} bytes of data: the file is truncated or corrupt")
        raw = fp.read(expected)
        if len(raw) != expected or fp.read(1):
            raise ValueError(f"{entry} holds {len(raw)} bytes of data, expected {expected}")
    arr = np.frombuffer(raw, dtype=dtype, count=count)
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)


_LEAF_TAGS = {"tensor", "array", "scalar"}


def _decode(node: Any, arrays: dict[int, np.ndarray], backend: str | None, where: str, depth: int = 0,
            used: set | None = None) -> Any:
    """The object a manifest node describes. Each array member may be referred to once (save never writes
    more): a crafted manifest naming one array many times would make load allocate far more than the file
    holds, so the total allocated stays bounded by the checked member sizes."""
    if used is None:
        used = set()
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        return node
    if depth > _MAX_DEPTH + 1:
        raise ValueError(f"{where}: manifest nested too deeply")
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise ValueError(f"{where}: manifest entry {node!r:.80} is not a known node")
    tag = next(iter(node))
    body = node[tag]
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise ValueError(f"{where}: manifest float {body!r:.80} is not nan, inf or -inf")
        return float(body)
    if tag in _LEAF_TAGS:
        if isinstance(body, bool) or not isinstance(body, int) or body not in arrays:
            raise ValueError(f"{where}: manifest refers to array {body!r:.80}, which the archive does not hold")
        if body in used:
            raise ValueError(f"{where}: manifest refers to array {body} more than once (mg.save writes each array "
                             "once); refusing to allocate copies the file does not hold")
        used.add(body)
        arr = arrays[body]
        if tag == "scalar":
            return arr[()]
        if tag == "array":
            if backend is None:
                return arr.copy()
            return Tensor(arr, backend=backend)._data
        t = Tensor(arr, backend=backend)
        if node.get("requires_grad") is True and t.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    if tag in ("dict", "odict"):
        if not isinstance(body, list):
            raise ValueError(f"{where}: manifest dict is not a list of items")
        out = OrderedDict() if tag == "odict" else {}
        for item in body:
            if (not isinstance(item, list) or len(item) != 2 or isinstance(item[0], bool)
                    or not isinstance(item[0], (str, int))):
                raise ValueError(f"{where}: manifest dict item {item!r:.80} is not a [key, value] pair")
            out[item[0]] = _decode(item[1], arrays, backend, where, depth + 1, used)
        return out
    if tag in ("list", "tuple"):
        if not isinstance(body, list):
            raise ValueError(f"{where}: manifest {tag} is not a list")
        items = [_decode(v, arrays, backend, where, depth + 1, used) for v in body]
        return items if tag == "list" else tuple(items)
    raise ValueError(f"{where}: manifest entry with unknown tag {tag!r:.80}")


def load(path: PathLike, map_location: Any = None, *, backend: str | None = None, weights_only: bool | None = None,
         mmap: bool | None = None) -> Any:
    """Read a file written by `save`.

    PyTorch's arguments: ``map_location`` ("cpu", "cuda", an ``mg.device``) is where the tensors go, as
    ``backend=`` says it in minigrad's words; ``weights_only`` and ``mmap`` are accepted and change nothing:
    the format holds arrays and plain containers only and is never unpickled, so loading is always what
    PyTorch's ``weights_only=True`` promises.

    A flat state dict comes back as an OrderedDict name -> Tensor, in file order; a nested checkpoint comes
    back with the structure it was saved with (Tensors as Tensors, NumPy arrays as NumPy arrays, tuples as
    tuples). Tensors are made on `backend` (default: the current default backend); raw arrays stay NumPy
    unless `backend` is given. Dtypes are kept as saved.

    Raises FileNotFoundError for a missing file and ValueError naming the path for anything that is not such
    a file (not a zip archive, a bare .npy, pickled or object data, truncated, corrupt or oversized members).
    """
    if map_location is not None:
        if callable(map_location) or isinstance(map_location, dict):
            raise TypeError("mg.load: map_location must be a device ('cpu', 'cuda' or an mg.device); a function or "
                            "a dict of devices is not supported")
        resolved = resolve_backend("mg.load", backend, map_location)
        backend = None if resolved is None else resolved.name
    if not isinstance(path, (str, os.PathLike)) and not (hasattr(path, "read") and hasattr(path, "seek")):
        raise TypeError(f"mg.load: path must be a str, os.PathLike or a readable binary file object, got "
                        f"{type(path).__name__}")
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else getattr(path, "name", repr(path))
    if isinstance(where, bytes):
        where = os.fsdecode(where)
    if isinstance(path, (str, os.PathLike)) and (not where or "\x00" in where):
        raise ValueError(f"mg.load: path {where!r} is not a usable file name")
    if isinstance(path, (str, os.PathLike)) and os.path.isdir(path):
        raise IsADirectoryError(f"mg.load: {where!s} is a directory, expected a checkpoint file")
    if isinstance(path, (str, os.PathLike)) and not os.path.exists(path):
        raise FileNotFoundError(f"mg.load: no such file: {where!s}")
    try:
        total = _archive_size(path)
        try:
            zf = zipfile.ZipFile(path, mode="r")
        except zipfile.BadZipFile as exc:
            head = _head(path)
            if head.startswith(b"\x93NUMPY"):
                raise ValueError(f"{where!s} holds a single array, not a minigrad state dict (.npz archive of "
                                 "named arrays)") from None
            raise ValueError(f"{where!s} is not a minigrad state dict (.npz archive): {exc}") from None
        with zf:
            infos = zf.infolist()
            _check_layout(zf, infos, str(where))
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                raise ValueError(f"{where!s}: the archive holds two members with the same name")
            if _MANIFEST in names:
                return _load_nested(zf, infos, where, total, backend)
            arrays: list[tuple[str, np.ndarray]] = []
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"{where!s}: entry {info.filename!r} is not a .npy array")
                arrays.append((info.filename[:-4], _read_member(zf, info, where, total)))
    except FileNotFoundError:
        raise
    except ValueError as exc:
        if str(where) in str(exc):
            raise
        raise ValueError(f"{where!s} is not a readable minigrad checkpoint: {exc}") from exc
    except _LOAD_ERRORS as exc:
        raise ValueError(f"{where!s} is not a readable minigrad checkpoint: {type(exc).__name__}: {exc}") from exc
    # Build the tensors only once the whole file has been validated.
    return OrderedDict((name, Tensor(arr, backend=backend)) for name, arr in arrays)


def _head(path: PathLike) -> bytes:
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            return f.read(8)
    try:
        path.seek(0)
        return path.read(8)
    except (AttributeError, OSError, ValueError):
        return b""


def _load_nested(zf: zipfile.ZipFile, infos: list, where: str, total: int | None, backend: str | None) -> Any:
    arrays: dict[int, np.ndarray] = {}
    manifest = None
    for info in infos:
        if info.filename == _MANIFEST:
            if info.file_size > max(info.compress_size, 1) * _MAX_DEFLATE_RATIO or (
                    total is not None and info.compress_size > total):
                raise ValueError(f"{where!s}: the manifest claims an impossible size")
            manifest = json.loads(zf.read(info).decode("utf-8"))
            continue
        name = info.filename
        stem = name[len("arrays/"):-len(".npy")] if name.startswith("arrays/") and name.endswith(".npy") else ""
        if not stem.isdigit() or not stem.isascii():
            raise ValueError(f"{where!s}: entry {name!r} is not part of a minigrad checkpoint")
        arrays[int(stem)] = _read_member(zf, info, where, total)
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT or "tree" not in manifest:
        raise ValueError(f"{where!s}: {_MANIFEST} is not a minigrad checkpoint manifest")
    if manifest.get("version") != _VERSION:
        raise ValueError(f"{where!s}: checkpoint format version {manifest.get('version')!r} is not supported "
                         f"(this minigrad reads version {_VERSION})")
    return _decode(manifest["tree"], arrays, backend, str(where))
