"""Backend selection and hypothesis profiles for the whole suite.

Backends: every test that takes the ``backend`` fixture runs once per selected backend. Select with
``--backends numpy,strict,cupy`` or ``MINIGRAD_TEST_BACKENDS=numpy,cupy`` (default: numpy and strict, plus cupy
when CuPy and a GPU are present). "strict" is a test-only backend (tests/support/strict_backend.py): NumPy underneath,
CuPy's refusals on top (no implicit host conversion, arrays where CuPy needs arrays, 0-d reductions), so code
that only works because NumPy is lenient fails here instead of on a GPU. It is registered here and nowhere else.
A selected backend that can't run here is skipped with the reason. A test marked ``torch_reference`` (a comparison
with PyTorch) or ``finite_differences`` (gradcheck / gradgradcheck over the registry) runs on numpy alone when numpy
is selected: the registry's backend-parity tests hold the other backends to numpy's values and first and second
derivatives, so checking each of them against PyTorch or finite differences again checks nothing more.
Hypothesis: profile "ci" (default) keeps the suite to a few minutes on 2 cores; "thorough" draws more.
Pick with HYPOTHESIS_PROFILE=thorough.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import hypothesis.core
import pytest
from hypothesis import HealthCheck, settings

import minigrad
from minigrad.backend import BackendError, get_backend, register_backend

# The test registries and references (tests/support/) are imported by name from every test directory.
sys.path.insert(0, str(Path(__file__).parent / "support"))

import fresh_runs  # noqa: E402
import strict_backend  # noqa: E402

register_backend(strict_backend.BACKEND)

settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("fast", settings.get_profile("ci"), max_examples=10)  # the fast tier's (below)
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Hypothesis hashes a test function's source (inspect.getsource, tokenize) twice on every run of a @given test,
# for its seed and database key: ~4 ms each, ~30 s over the registry's thousands of parametrized runs. Neither
# the source nor a parametrized case's extra digest changes during a session, so each (function, case) is
# hashed once; the digests, and so the draws, are the same as without the cache.
if hasattr(hypothesis.core, "function_digest"):
    @functools.lru_cache(maxsize=None)
    def _digest(function, case: bytes | None, _plain=hypothesis.core.function_digest) -> bytes:
        return _plain(function)

    hypothesis.core.function_digest = lambda f: _digest(f, getattr(f, "_hypothesis_internal_add_digest", None))
# Hypothesis 6.170 resolves a test's settings through a chain that grows with every run of a @given test: after
# ~950 parametrized runs of one test (test_opinfo's test_matches_torch) the lookup passed Python's default
# recursion limit of 1000 and the remaining cases failed with RecursionError inside hypothesis/_settings.py.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


def _fast_tier(config) -> bool:
    """``-m "not slow"``: the contributor's quick loop, which .ci/run's full run backs."""
    return (config.getoption("markexpr") or "").split() == ["not", "slow"]


def pytest_configure(config):
    # Before any test module is imported: @given takes its settings when a module defines the test. The fast tier
    # draws 10 examples a test, the full run 25, both derandomized; HYPOTHESIS_PROFILE chooses another.
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("fast" if _fast_tier(config) else "ci"))
    config.add_cleanup(fresh_runs.open_session(is_worker=hasattr(config, "workerinput")))
    # Coverage's subprocess patch (pyproject.toml) is there for pytest-xdist's workers: by now this process is
    # measured (or is the controller, whose workers are started with it), and the suite's own subprocesses run
    # untraced, as in a user's shell.
    controller = not hasattr(config, "workerinput") and config.getoption("numprocesses", None)
    if not controller:  # the controller's workers start after this hook and need the variable
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    config.addinivalue_line("markers", "subprocess: starts a fresh Python; mutation runs leave these out (pyproject.toml)")
    config.addinivalue_line("markers", "slow: the slowest tier (full training runs, whole-script runs, PyTorch's "
                                       "own databases, large inputs, second-order finite differences, a 100k-node graph); "
                                       "`pytest -m 'not slow'` is the fast tier, .ci/run runs everything")
    config.addinivalue_line("markers", "torch_reference: compares with PyTorch; runs on numpy only when numpy is "
                                       "selected, since backend parity holds every other backend to numpy")
    config.addinivalue_line("markers", "finite_differences: checks derivatives against finite differences; runs on "
                                       "numpy only when numpy is selected, since backend parity holds every other "
                                       "backend to numpy's first and second derivatives")


# Test files all of whose tests are marked slow (each says so with a module-level pytestmark): the fast tier does not
# even import them (PyTorch's op database takes ~5 s to import, in every worker).
_SLOW_FILES = {Path(__file__).parent / "compat" / "test_torch_op_db.py"}


def pytest_ignore_collect(collection_path, config):
    return True if collection_path in _SLOW_FILES and _fast_tier(config) else None


def pytest_collection_finish(session):
    """The long fresh-Python runs the selected tests read start now (tests/support/fresh_runs.py), so that they
    overlap the rest of the suite on another core; under pytest-xdist the controller starts them instead."""
    if not hasattr(session.config, "workerinput"):
        fresh_runs.start_for([item.nodeid for item in session.items])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """pytest-xdist's controller: the first worker's selected ids (every worker collects the same)."""
    fresh_runs.start_for(ids)


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
        numpy_only = any(metafunc.definition.get_closest_marker(m) for m in ("torch_reference", "finite_differences"))
        if numpy_only and "numpy" in selected:
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
