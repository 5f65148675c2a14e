"""The package's import graph: modules import only downward. Every module imports alone in a fresh interpreter,
the module-level imports form no cycle, and nothing imports at the bottom or in the middle of a file to dodge
one. (An import inside a function, for a module above, is how a lower module reaches up when it runs.)"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from fresh_runs import untraced_env

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigrad"
PATHS = sorted(PACKAGE.rglob("*.py"))


def _name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


MODULES = {_name(p): p for p in PATHS}


def _module_level_imports(path: pathlib.Path) -> list[str]:
    """The minigrad modules that ``path`` imports when it loads: its top-level import statements resolved to
    modules (``from .ops import convert`` names minigrad.ops and minigrad.ops.convert; a module's own packages
    are loading already when it runs, so they are not edges)."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out += [base] + [f"{base}.{a.name}" for a in node.names]
    return [m for m in out if m in MODULES and not (name + ".").startswith(m + ".")]


def test_module_imports_form_no_cycle():
    """A cycle among module-level imports works in one import order and fails in another; there is none."""
    graph = {name: _module_level_imports(path) for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# Run in one fresh interpreter that has imported NumPy (not part of the package) and nothing of the project: each
# module is imported by a forked child of it, which starts with no minigrad module loaded, as a fresh interpreter
# would, for a fork's cost instead of an interpreter's and NumPy's start-up (~0.2 s each, ~100 modules). Where
# there is no fork, each module gets a fresh interpreter.
_IMPORT_EACH = """
import os, subprocess, sys, traceback
import numpy
bad = []
for m in sys.argv[1:]:
    if not hasattr(os, "fork"):
        r = subprocess.run([sys.executable, "-c", "import " + m], capture_output=True, text=True)
        if r.returncode:
            bad.append(m + ": " + (r.stderr.strip().splitlines() or ["(no message)"])[-1])
        continue
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            __import__(m)
        except BaseException:
            os.write(write, traceback.format_exc().strip().splitlines()[-1].encode())
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read) as f:
        message = f.read()
    if os.waitpid(pid, 0)[1]:
        bad.append(m + ": " + (message or "(no message)"))
print("\\n".join(bad))
sys.exit(1 if bad else 0)
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_each_module_imports_alone():
    """Each module imported first, with no other module of the project loaded, so an import that works only after
    another module was loaded fails."""
    loaded = subprocess.run([sys.executable, "-c", "import numpy, sys; print(*sys.modules)"], capture_output=True,
                            text=True, env=untraced_env(), cwd=ROOT).stdout.split()
    assert not [m for m in loaded if m.partition(".")[0] in ("minigrad", "models", "bench")]
    r = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *MODULES], capture_output=True, text=True, cwd=ROOT,
                       timeout=600, env=untraced_env())
    assert r.returncode == 0, f"modules that don't import alone:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_at_the_top(path: pathlib.Path):
    """Module-level imports come before any other statement (docstring, ``from __future__`` aside): an import
    after code is the sign of a cycle being dodged."""
    seen_code = None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert seen_code is None, (f"{path.name}:{node.lineno}: import after module code "
                                       f"(line {seen_code})")
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            seen_code = node.lineno
