"""`save` / `load` for state dicts: a NumPy `.npz` archive, one array per name, never pickled.

The file is a standard npz (a zip of `.npy` members named after the state-dict keys), so
`np.load(path)` reads it too. It is written member by member with `numpy.lib.format.write_array`
(what `np.savez` does inside) rather than `np.savez(path, **state)`, because a key such as "file" or
"allow_pickle" would collide with `np.savez`'s own arguments, and `np.savez` appends ".npz" to names
that lack it, whereas `mg.save(sd, "w.bin")` writes exactly "w.bin".
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO, Mapping, Union

import numpy as np

from .backend import ARRAY_TYPES, backend_of
from .tensor import Tensor

__all__ = ["save", "load"]

PathLike = Union[str, "os.PathLike[str]", BinaryIO]

# Array kinds a state dict may hold: bool, signed/unsigned int, float.
_ALLOWED_KINDS = "biuf"


def _to_host(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        arr = value.numpy()
    elif isinstance(value, np.ndarray):
        arr = value
    elif type(value) in ARRAY_TYPES:  # a raw array of another backend (CuPy, ...): its explicit host copy
        arr = backend_of(value).to_host(value)
    else:
        raise TypeError(f"mg.save: state_dict[{name!r}] is a {type(value).__name__}, expected a Tensor or an array")
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(f"mg.save: state_dict[{name!r}] has dtype {arr.dtype}, expected a bool, int or float array")
    return arr


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write `state_dict` (name -> Tensor or NumPy/CuPy array) to `path` as an uncompressed `.npz`.

    CuPy tensors are copied to the host; names must be non-empty strings.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"mg.save expects a dict of name -> Tensor (e.g. model.state_dict()), got {type(state_dict).__name__}"
        )
    arrays = []
    for name, value in state_dict.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"mg.save: state_dict keys must be non-empty strings, got {name!r}")
        arrays.append((name, _to_host(name, value)))
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays:
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def load(path: PathLike, backend: str | None = None) -> "OrderedDict[str, Tensor]":
    """Read a file written by `save`: an OrderedDict name -> Tensor, in file order, on `backend`
    (default: the current default backend). Dtypes are kept as saved.

    Raises FileNotFoundError for a missing file and ValueError naming the path for anything that is
    not such a state dict (not an npz archive, a bare .npy, pickled or object data, corrupt members).
    """
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else getattr(path, "name", repr(path))
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{where!s} is not a minigrad state dict (.npz archive): {exc}") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{where!s} holds a single array, not a minigrad state dict (.npz archive of named arrays)")
    arrays: list[tuple[str, np.ndarray]] = []
    with archive:
        for name in archive.files:
            try:
                arr = archive[name]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
                raise ValueError(f"{where!s}: entry {name!r} is not a readable array: {exc}") from exc
            if not isinstance(arr, np.ndarray):  # np.load returns raw bytes for non-.npy members
                raise ValueError(f"{where!s}: entry {name!r} is not a .npy array")
            if arr.dtype.kind not in _ALLOWED_KINDS:
                raise ValueError(f"{where!s}: entry {name!r} has unsupported dtype {arr.dtype}")
            arrays.append((name, arr))
    # Build the tensors only once the whole file has been validated.
    return OrderedDict((name, Tensor(arr, backend=backend)) for name, arr in arrays)
