"""Read and set the thread counts of every competitor: NumPy's BLAS and PyTorch's intra-op pool.

BLAS threads are set at run time so that 1-thread and N-thread rows can be measured in the same run.
We use threadpoolctl when it is importable; otherwise we call OpenBLAS's own setter through ctypes on
the OpenBLAS library NumPy has loaded (found in /proc/self/maps); failing both, we can only report the
environment variables, which take effect at process start (``python -m bench --threads N`` sets them).
"""
from __future__ import annotations

import ctypes
import os
from typing import Any

_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# OpenBLAS builds name the setter differently (scipy-openblas wheels add a prefix and a 64-bit suffix).
_SETTERS = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_")
_GETTERS = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_")


def set_env_threads(n: int) -> None:
    """Set the thread env vars; only effective before NumPy/torch are imported."""
    for var in _ENV_VARS:
        os.environ[var] = str(n)


def _openblas_libs() -> list[ctypes.CDLL]:
    try:
        with open("/proc/self/maps") as f:
            fields = (line.split() for line in f)
            paths = {x[-1] for x in fields if len(x) >= 6 and "openblas" in x[-1].lower() and ".so" in x[-1]}
    except OSError:
        return []
    libs = []
    for path in sorted(paths):
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            pass
    return libs


def _call_first(lib: ctypes.CDLL, names: tuple[str, ...], *args: int) -> int | None:
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn(*args)
    return None


def set_blas_threads(n: int) -> str:
    """Set the BLAS thread count of the running process; returns the method used."""
    import numpy  # noqa: F401  (make sure NumPy's BLAS is loaded before we look for it)

    try:
        from threadpoolctl import threadpool_limits  # optional, not a dependency

        threadpool_limits(limits=n, user_api="blas")
        return "threadpoolctl"
    except ImportError:
        pass
    done = False
    for lib in _openblas_libs():
        if any(hasattr(lib, name) for name in _SETTERS):
            _call_first(lib, _SETTERS, ctypes.c_int(n))
            done = True
    return "openblas-ctypes" if done else "unchanged (env vars only)"


def get_blas_threads() -> int | None:
    """BLAS threads as the library reports them, or None when unknown."""
    import numpy  # noqa: F401

    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return infos[0]["num_threads"] if infos else None
    except ImportError:
        pass
    for lib in _openblas_libs():
        got = _call_first(lib, _GETTERS)
        if got is not None:
            return int(got)
    return None


def set_threads_for(lib: str, n: int) -> None:
    """Give ``lib`` ("numpy" or "torch") ``n`` threads and the other library's pool 1 thread.

    Both pools live in one process; on a 2-core machine, idle-but-spinning workers of the pool not in use
    would steal cores from the one being timed, so only the timed library gets more than one thread.
    """
    set_blas_threads(n if lib == "numpy" else 1)
    try:
        import torch
    except ImportError:
        return
    want = n if lib == "torch" else 1
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


def thread_report() -> dict[str, Any]:
    """What the JSON records about threads."""
    report: dict[str, Any] = {var: os.environ.get(var) for var in _ENV_VARS}
    try:
        import threadpoolctl  # noqa: F401

        report["blas_method"] = "threadpoolctl"
    except ImportError:
        report["blas_method"] = "openblas-ctypes" if _openblas_libs() else "env vars"
    report["blas_threads"] = get_blas_threads()
    try:
        import torch

        report["torch_threads"] = torch.get_num_threads()
        report["torch_interop_threads"] = torch.get_num_interop_threads()
    except ImportError:
        report["torch_threads"] = None
    return report
