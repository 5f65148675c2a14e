"""Long runs in a fresh Python, started when collection ends so that they overlap the rest of the suite.

A test that needs one (the full 262,941-step training runs) declares it in :data:`RUNS`, keyed by the test's name;
the run starts in the process that drives the session: the plain pytest process, or the controller under
pytest-xdist (``-n``), which sees every worker's selected test ids. Each run goes to a thread that waits for the
child and writes ``{"rc", "out", "err"}`` atomically to ``$MINIGRAD_RUNS_DIR/<key>.json``; a test in any
process waits for that file (:func:`result`). The child runs outside coverage's tracer (several times slower
under it): the values checked are the same.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = "MINIGRAD_RUNS_DIR"

FULL_RUN = """
import json, minigrad as mg
from models.assignment_net import build
from models.training import train
model, x, target = build("notebook", 0, mg.float64, "numpy")
r = train(model, x, target, lr=0.01, threshold=1e-4, max_steps=1_000_000, jit={jit})
print(json.dumps({{k: r[k] for k in ("converged", "loss", "jit", "steps")}} | {{"outputs": [float(o) for o in r["outputs"]]}}))
"""

REFERENCE_RUN = """
import json
from models.numpy_reference import NumpyStep, notebook_simplecnn_update, train_reference
kw = {{}} if "{update}" == "gradient" else {{"update": notebook_simplecnn_update}}
ref = NumpyStep(lr=0.01) if "{update}" == "gradient" else None
steps, e = train_reference(ref, threshold=1e-4, max_steps=1_000_000, **kw)
print(json.dumps({{"steps": steps, "loss": e}}))
"""

# test name (the part of a node id after "::") -> the codes it reads
RUNS: dict[str, tuple[str, ...]] = {
    "test_full_training_run_converges[False]": (FULL_RUN.format(jit=False), REFERENCE_RUN.format(update="gradient")),
    "test_full_training_run_converges[True]": (FULL_RUN.format(jit=True), REFERENCE_RUN.format(update="gradient")),
    "test_notebooks_364024_comes_from_its_own_update_rule": (REFERENCE_RUN.format(update="notebook"),),
}

_threads: dict[str, threading.Thread] = {}
_procs: list[subprocess.Popen] = []


def _key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _path(code: str) -> Path:
    return Path(os.environ[ENV_DIR]) / f"{_key(code)}.json"


def _marker(code: str) -> Path:
    """Touched by whichever process starts the run (so a worker knows whether to wait or start it)."""
    return Path(os.environ[ENV_DIR]) / f"{_key(code)}.started"


def untraced_env() -> dict[str, str]:
    """The child's environment: the project on its path, and none of coverage's variables (its subprocess
    patch would start the tracer in the child)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return env


def _run(code: str, path: Path) -> None:
    try:
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=untraced_env(), cwd=ROOT)
        _procs.append(p)
        out, err = p.communicate()
        record = {"rc": p.returncode, "out": out, "err": err}
    except Exception as e:  # noqa: BLE001 - whatever happened is the test's failure message
        record = {"rc": -1, "out": "", "err": f"could not run: {e!r}"}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def start(code: str) -> None:
    """Start ``code`` in a fresh Python now, once per session."""
    if code in _threads:
        return
    _marker(code).touch()
    _threads[code] = t = threading.Thread(target=_run, args=(code, _path(code)), daemon=True)
    t.start()


def start_for(nodeids: list[str]) -> None:
    """Start every run the selected tests will read."""
    if os.environ.get("MINIGRAD_SKIP_FULL_RUN") == "1":
        return
    for nodeid in nodeids:
        for code in RUNS.get(nodeid.rsplit("::", 1)[-1], ()):
            start(code)


def result(code: str, timeout: float = 1800.0) -> dict:
    """The last line of ``code``'s output, parsed as JSON; waits for the run (started now if nobody did)."""
    path = _path(code)
    try:
        _marker(code).touch(exist_ok=False)  # nobody started it (a selection the driver did not see): start it here
    except FileExistsError:
        pass
    else:
        start(code)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"a fresh-Python run gave no result in {timeout:.0f} s")
        time.sleep(0.2)
    record = json.loads(path.read_text())
    assert record["rc"] == 0, record["err"]
    return json.loads(record["out"].strip().splitlines()[-1])


def open_session(is_worker: bool) -> Callable[[], None]:
    """Give the session a results directory (a worker inherits its controller's), and compile the project's
    modules once (``compileall``, into their ``__pycache__`` as Python itself would) so that the fresh
    interpreters the suite starts (workers, the import-alone checks, command-line runs) read bytecode instead of
    each compiling the package again where PYTHONDONTWRITEBYTECODE stops Python from caching it. Returns the
    cleanup."""
    if is_worker or ENV_DIR in os.environ:
        return lambda: None
    os.environ[ENV_DIR] = where = tempfile.mkdtemp(prefix="minigrad-runs-")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", "minigrad", "models", "bench"], cwd=ROOT,
                   env=untraced_env(), check=False, stdout=subprocess.DEVNULL)

    def close() -> None:
        for p in _procs:  # runs whose tests were not reached (a failure with -x, an interrupt)
            if p.poll() is None:
                p.kill()
        for t in _threads.values():
            t.join(timeout=5)
        shutil.rmtree(where, ignore_errors=True)
        os.environ.pop(ENV_DIR, None)
    return close
