"""mg.viz: the DOT text of a graph (nodes, labels, edges, names, values, grads, freed graphs) and draw()
(missing Graphviz, failing dot, formats; a real SVG/PNG when the `dot` program is installed)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's `dot` program is not installed "
                                                    "(apt-get install graphviz); the DOT-text tests still run")


def _parse(text: str):
    """DOT text -> ({node id: (label, attributes)}, [(src, dst)]) for the subset to_dot writes."""
    assert text.startswith("digraph minigrad {") and text.rstrip().endswith("}")
    nodes = {m.group(1): (m.group(2).replace("\\n", "\n"), m.group(3))
             for m in re.finditer(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)", (.*)\];$', text, re.M)}
    edges = re.findall(r"^  (\w+) -> (\w+);$", text, re.M)
    return nodes, edges


def _by_label(nodes, first_line):
    found = [k for k, (label, _) in nodes.items() if label.split("\n")[0] == first_line]
    assert len(found) == 1, f"{first_line!r}: {found}"
    return found[0]


def test_nodes_edges_and_names():
    a = nn.Parameter(mg.tensor(np.ones((2, 3))))
    b = nn.Parameter(mg.tensor(np.full(3, 2.0)))
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    loss = ((a * x + b) * 2).sum()
    nodes, edges = _parse(mg.viz.to_dot(loss, params={"a": a, "b": b}))
    ops = sorted(label for label, attrs in nodes.values() if "ellipse" in attrs)
    assert ops == ["Add", "Mul", "Mul", "Sum"]
    tensors = [k for k, (_, attrs) in nodes.items() if "shape=box" in attrs]
    assert len(tensors) == 7  # a, b, x, a*x, a*x+b, (..)*2, loss
    na, nb = _by_label(nodes, "a"), _by_label(nodes, "b")
    assert nodes[na][0] == "a\n(2, 3) float64" and "lightblue" in nodes[na][1]
    assert nodes[nb][0] == "b\n(3,) float64"
    root = [k for k, (_, attrs) in nodes.items() if "darkolivegreen1" in attrs]
    assert len(root) == 1 and nodes[root[0]][0] == "() float64"
    assert [label for label, attrs in nodes.values() if "plaintext" in attrs] == ["2"]  # the constant
    # every op: its inputs point at it, it points at exactly one output
    for op in (k for k, (_, attrs) in nodes.items() if "ellipse" in attrs):
        assert sum(src == op for src, _ in edges) == 1
        assert sum(dst == op for _, dst in edges) >= 1
    add = _by_label(nodes, "Add")
    assert (nb, add) in edges
    data = [k for k, (label, attrs) in nodes.items() if label == "(2, 3) float64" and "fillcolor=white" in attrs]
    assert len(data) == 4  # x (needs no grad), a*x, a*x+b, (a*x+b)*2


def test_shared_subexpressions_appear_once():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    z = (y + y).sum()
    nodes, edges = _parse(mg.viz.to_dot(z, params={"x": x}))
    assert sorted(label for label, attrs in nodes.values() if "ellipse" in attrs) == ["Add", "Mul", "Sum"]
    nx, mul, add = _by_label(nodes, "x"), _by_label(nodes, "Mul"), _by_label(nodes, "Add")
    assert edges.count((nx, mul)) == 2  # x used twice by one Mul
    ny = next(dst for src, dst in edges if src == mul)
    assert edges.count((ny, add)) == 2


def test_values_and_grads():
    w = nn.Parameter(mg.tensor(np.array([0.5, -1.5])))
    loss = (w * w).sum()
    text = mg.viz.to_dot(loss, show_values=True, params={"w": w})
    assert "data [ 0.5, -1.5]" in text and "data 2.5" in text and "\\ngrad" not in text
    loss.backward(retain_graph=True)  # keeps the graph, fills w.grad
    nodes, _ = _parse(mg.viz.to_dot(loss, show_values=True, show_grads=True, params={"w": w}))
    assert nodes[_by_label(nodes, "w")][0] == "w\n(2,) float64\ndata [ 0.5, -1.5]\ngrad [ 1., -3.]"
    assert nodes[[k for k, (label, _) in nodes.items() if label.startswith("() float64")][0]][0] == \
        "() float64\ndata 2.5"  # a non-leaf keeps no grad, so none is shown
    v = nn.Parameter(mg.tensor(np.ones((2, 2))))
    h = v * 3
    h.retain_grad()
    out = h.sum()
    out.backward(retain_graph=True)
    nodes, _ = _parse(mg.viz.to_dot(out * w.sum(), show_grads=True, params={"v": v, "w": w, "h": h}))
    assert nodes[_by_label(nodes, "h")][0] == "h\n(2, 2) float64\ngrad [[1., 1.],\n [1., 1.]]"  # retained
    w.grad = None
    assert nodes[_by_label(nodes, "w")][0].endswith("grad [ 1., -3.]")
    nodes, _ = _parse(mg.viz.to_dot(out * w.sum(), show_grads=True, params={"w": w}))
    assert nodes[_by_label(nodes, "w")][0] == "w\n(2,) float64\ngrad None"  # a leaf still waiting for one
    big = mg.viz.to_dot(mg.tensor(np.arange(1000.0)), show_values=True)
    assert "..." in big and len(big) < 500  # large arrays are abbreviated


def test_freed_graph_is_a_clear_error():
    w = nn.Parameter(mg.tensor(np.ones(2)))
    loss = (w * 3).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*retain_graph=True"):
        mg.viz.to_dot(loss)


def test_leaves_several_roots_and_backend(backend):
    t = mg.tensor(np.ones(3), backend=backend)
    nodes, edges = _parse(mg.viz.to_dot(t))
    assert len(nodes) == 1 and not edges
    suffix = "" if backend == "numpy" else f" {backend}"
    assert list(nodes.values())[0][0] == f"(3,) float64{suffix}"
    w = nn.Parameter(mg.tensor(np.ones(3), backend=backend))
    h = w.sigmoid()
    nodes, _ = _parse(mg.viz.to_dot([h.sum(), (h * h).mean()], params={"w": w}))
    assert sum("darkolivegreen1" in attrs for _, attrs in nodes.values()) == 2
    assert sum(label == "Sigmoid" for label, _ in nodes.values()) == 1


def test_model_graph_names_every_parameter():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
    out = model(mg.randn(1, 1, 3, 3)).sum()
    text = mg.viz.to_dot(out, params=dict(model.named_parameters()))
    for name, p in model.named_parameters():
        assert f'label="{name}\\n{tuple(p.shape)} float32"' in text


def test_labels_are_escaped_and_arguments_checked():
    w = nn.Parameter(mg.ones(1))
    text = mg.viz.to_dot(w * 1, params={'odd "name" \\ here': w})
    assert 'label="odd \\"name\\" \\\\ here\\n(1,) float32"' in text
    with pytest.raises(TypeError, match="expects a Tensor or a sequence of Tensors, got ndarray"):
        mg.viz.to_dot(np.ones(2))
    with pytest.raises(ValueError, match="rankdir must be one of"):
        mg.viz.to_dot(w, rankdir="up")


# --------------------------------------------------------------------------- draw
def test_draw_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(mg.viz.shutil, "which", lambda name: None)
    w = nn.Parameter(mg.ones(2))
    with pytest.raises(RuntimeError, match=r"needs Graphviz's `dot` program.*apt-get install graphviz.*to_dot"):
        mg.viz.draw(w * 2, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    # DOT text needs no Graphviz
    assert mg.viz.draw(w * 2, tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == mg.viz.to_dot(w * 2)


def test_draw_reports_a_failing_dot(tmp_path, monkeypatch):
    false = shutil.which("false")
    if false is None:
        pytest.skip("no `false` program to stand in for a failing dot")
    monkeypatch.setattr(mg.viz.shutil, "which", lambda name: false)
    with pytest.raises(RuntimeError, match=r"`dot -Tpng` failed \(exit 1\)"):
        mg.viz.draw(mg.ones(1, requires_grad=True) * 2, tmp_path / "g.png")


def test_draw_format_errors(tmp_path):
    x = mg.ones(1, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"can't tell the format of .*'\.txt'"):
        mg.viz.draw(x, tmp_path / "g.txt")
    with pytest.raises(ValueError, match="unknown format 'bmpx'"):
        mg.viz.draw(x, tmp_path / "g.svg", format="bmpx")


@needs_dot
def test_draw_svg_and_png(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(mg.randn(2, 3)).sum()
    params = dict(model.named_parameters())
    svg = mg.viz.draw(loss, tmp_path / "graph.svg", params=params, show_values=True)
    content = open(svg, encoding="utf-8").read()
    assert "<svg" in content and "0.weight" in content and "Tanh" in content
    png = mg.viz.draw(loss, tmp_path / "graph.out", format="png", params={'a "quoted" name': model[0].bias})
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
