"""The Backend registry: a generic backend's defaults, registering and unregistering with aliases, CuPy with
no device, and the default lookup."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import backend as B


# --------------------------------------------------------------------------- Backend defaults
def test_generic_backend_defaults():
    be = B.Backend("plain", np, (np.ndarray,))
    a = np.arange(3.0)
    h = be.to_host(a)
    assert h is not a and h.tolist() == [0.0, 1.0, 2.0]
    assert be.from_host([1, 2]).tolist() == [1, 2] and be.asarray([1.0]).tolist() == [1.0]
    assert be.asarray([1, 2], dtype=np.float32).dtype == np.float32
    assert be.owns(a) and not be.is_host and str(be) == "plain" and be == "plain" and be != 3
    assert isinstance(be.ignore_overflow(), type(B.contextlib.nullcontext()))


def test_register_and_unregister_a_backend_with_aliases():
    class Box:
        pass

    be = B.register_backend(B.Backend("boxes", np, (Box,), aliases=("bx",)))
    try:
        assert B.get_backend("BX") is be and B.backend_of(Box()) is be and Box in B.ARRAY_TYPES
        again = B.register_backend(B.Backend("boxes", np, (Box,)))  # same name: replaces
        assert B.get_backend("boxes") is again
    finally:
        B.unregister_backend("boxes")
    assert Box not in B.ARRAY_TYPES
    with pytest.raises(mg.BackendError, match="unknown backend 'bx'"):
        B.get_backend("bx")
    B.unregister_backend("never-registered")


def test_cupy_with_zero_devices_and_default_lookup(monkeypatch):
    class NoDevices:
        cuda = type("cuda", (), {"runtime": type("rt", (), {"getDeviceCount": staticmethod(lambda: 0)})})

    monkeypatch.delitem(B._backends, "cupy", raising=False)
    monkeypatch.setitem(__import__("sys").modules, "cupy", NoDevices)
    with pytest.raises(mg.BackendError, match="sees no CUDA device"):
        B.get_backend("cupy")
    assert B.get_backend().name == mg.get_default_backend()
    mg.set_default_backend(B.get_backend("strict"))
    assert mg.get_default_backend() == "strict" and mg.zeros(1).backend == "strict"
