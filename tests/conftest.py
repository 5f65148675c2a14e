"""Backend selection and hypothesis profiles for the whole suite.

Backends: every test that takes the ``backend`` fixture runs once per selected backend. Select with
``--backends numpy,strict,cupy`` or ``MINIGRAD_TEST_BACKENDS=numpy,cupy`` (default: numpy and strict, plus cupy
when CuPy and a GPU are present). "strict" is a test-only backend (tests/support/strict_backend.py): NumPy underneath,
CuPy's refusals on top (no implicit host conversion, arrays where CuPy needs arrays, 0-d reductions), so code
that only works because NumPy is lenient fails here instead of on a GPU. It is registered here and nowhere else.
A selected backend that can't run here is skipped with the reason. A test marked ``torch_reference`` (a comparison
with PyTorch) runs on numpy alone when numpy is selected: the registry's backend-parity test holds the other
backends to numpy, so comparing each of them with PyTorch again checks nothing more.
Hypothesis: profile "ci" (default) keeps the suite to a few minutes on 2 cores; "thorough" draws more.
Pick with HYPOTHESIS_PROFILE=thorough.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import minigrad
from minigrad.backend import BackendError, get_backend, register_backend

# The test registries and references (tests/support/) are imported by name from every test directory.
sys.path.insert(0, str(Path(__file__).parent / "support"))

import strict_backend  # noqa: E402

register_backend(strict_backend.BACKEND)

settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# Hypothesis 6.170 resolves a test's settings through a chain that grows with every run of a @given test: after
# ~950 parametrized runs of one test (test_opinfo's test_matches_torch) the lookup passed Python's default
# recursion limit of 1000 and the remaining cases failed with RecursionError inside hypothesis/_settings.py.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


def pytest_configure(config):
    config.addinivalue_line("markers", "subprocess: starts a fresh Python; mutation runs leave these out (pyproject.toml)")
    config.addinivalue_line("markers", "slow: the slowest tier (full training runs, whole-script runs); "
                                       "`pytest -m 'not slow'` is the fast tier, .ci/run runs everything")
    config.addinivalue_line("markers", "torch_reference: compares with PyTorch; runs on numpy only when numpy is "
                                       "selected, since backend parity holds every other backend to numpy")


def pytest_collection_finish(session):
    """A test module may define ``start_background(item)``: it is called for each of its selected tests once
    collection ends, so that long runs in a fresh Python (tests/models/test_assignment_cnn.py's full training
    runs) overlap the rest of the suite on another core instead of waiting their turn."""
    for item in session.items:
        start = getattr(getattr(item, "module", None), "start_background", None)
        if start is not None:
            start(item)


def pytest_addoption(parser):
    parser.addoption("--backends", default=None,
                     help="comma-separated backends to run backend tests on (default: numpy,strict, plus cupy if usable)")


def _selected(config) -> list[str]:
    raw = config.getoption("--backends") or os.environ.get("MINIGRAD_TEST_BACKENDS")
    if raw:
        return [b.strip() for b in raw.split(",") if b.strip()]
    return ["numpy", "strict", "cupy"] if minigrad.cupy_available() else ["numpy", "strict"]


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        selected = _selected(metafunc.config)
        if metafunc.definition.get_closest_marker("torch_reference") and "numpy" in selected:
            selected = ["numpy"]
        metafunc.parametrize("backend", selected, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The backend name this test runs on; skips with the reason if it is unusable here."""
    try:
        return get_backend(request.param).name
    except BackendError as e:
        pytest.skip(f"backend {request.param!r} unavailable: {e}")


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests that change default dtype, backend or grad mode can't leak it into others."""
    dtype, be, grad = minigrad.get_default_dtype(), minigrad.get_default_backend(), minigrad.is_grad_enabled()
    yield
    minigrad.set_default_dtype(dtype)
    minigrad.set_default_backend(be)
    minigrad.set_grad_enabled(grad)
