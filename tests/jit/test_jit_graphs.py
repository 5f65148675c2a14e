"""mg.jit's CUDA-graph back end without a GPU: the emulated capture on the strict backend refuses every host
synchronisation CUDA refuses, so these tests prove the captured stretches of real steps are capturable; a
capture that fails at any stretch still completes the call with eager's results."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from jit_harness import assert_jit_matches_eager, graphs_module, host
from minigrad.backend import get_backend


def _mode(backend: str) -> str:
    return "cuda" if backend == "cupy" else "emulate"


@pytest.mark.parametrize("read", [lambda a: a.item(), lambda a: float(a.sum()), lambda a: a.tolist(),
                                  lambda a: get_backend("strict").to_host(a),
                                  lambda a: get_backend("strict").xp.asarray(np.ones(2)),
                                  lambda a: a[a > 0], lambda a: get_backend("strict").xp.nonzero(a)],
                         ids=["item", "float", "tolist", "to_host", "asarray-host", "bool-mask", "nonzero"])
def test_strict_capture_rules_refuse_host_synchronisation(read):
    strict = get_backend("strict")
    a = strict.from_host(np.array([1.0]))
    read(a)  # fine outside a capture
    with strict.capture_rules(), pytest.raises(RuntimeError, match="stream capture"):
        read(a)
    read(a)


def _conv_step_build(backend: str, clip: bool = False):
    def build():
        mg.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(12, 2)).to(mg.float64).to(backend)
        opt = mg.optim.Adam(model.parameters(), lr=0.01)
        rng = np.random.default_rng(0)

        def step(x, t):
            opt.zero_grad()
            loss = F.mse_loss(model(x), t)
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), 0.1)
                loss = loss * 3.0  # a stretch between two live calls
            opt.step()
            return loss * 2.0  # a stretch after the last live call

        def args_of(i):
            return (mg.tensor(rng.standard_normal((2, 1, 4, 4)), backend=backend),
                    mg.tensor(rng.standard_normal((2, 2)), backend=backend))
        return step, args_of, lambda: list(model.parameters()) + [p.grad for p in model.parameters()], None
    return build


@pytest.mark.parametrize("clip", [False, True], ids=["step", "step-with-clipping"])
def test_a_capture_failing_at_any_stretch_completes_the_call_like_eager(backend, clip, monkeypatch):
    """Fault injection: the capture of stretch k raises; the call still gives eager's results, no state is
    applied twice or half, graphs stay off for that capture, and one warning names the cause."""
    real = graphs_module.capture_stretch
    stretches = 3 if clip else 2  # forward+backward | (between clipping and the step) | after the step
    for k in range(stretches):
        count = iter(range(1000))

        def failing(*args, _k=k, **kw):
            if next(count) == _k:
                raise RuntimeError("injected: operation not permitted when stream is capturing")
            return real(*args, **kw)
        monkeypatch.setattr(graphs_module, "capture_stretch", failing)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            build = _conv_step_build(backend, clip)
            traces = []
            for jitted in (False, True):
                fn, args_of, state, _ = build()
                run = mg.jit(fn) if jitted else fn
                if jitted:
                    run.graphs = _mode(backend)
                traces.append([(run(*args_of(i)).item(), [s.detach().numpy().copy() for s in state()]) for i in range(5)])
        for (le, se), (lj, sj) in zip(*traces):
            assert le == lj
            for a, b in zip(se, sj):
                np.testing.assert_array_equal(a, b)
        entry = next(iter(run._cache.values()))
        messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert len(messages) == 1 and "injected" in messages[0], messages
        assert entry.graphs is None and "injected" in entry.graphs_failed
    monkeypatch.setattr(graphs_module, "capture_stretch", real)
    run = assert_jit_matches_eager(_conv_step_build(backend, clip), calls=4, graphs=_mode(backend))
    assert sum(item[0] == "graph" for item in next(iter(run._cache.values())).graphs.items) == stretches


def test_the_notebook_networks_step_is_capturable(backend):
    """models/training.py's step on the notebook network: every stretch captures under CUDA's rules."""
    from models import assignment_net
    from models.training import make_step

    def build():
        model, x, target = assignment_net.build(backend=backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.01)
        return make_step(model, opt), lambda i: (x, target), model.parameters, None
    assert_jit_matches_eager(build, calls=6, graphs=_mode(backend))


def test_the_digits_step_is_capturable(backend):
    """models/digits_cnn.py's step (BatchNorm, max pooling, cross-entropy with its class-index check, AdamW) with
    dropout off (its host-drawn masks keep graphs off by design): every stretch captures under CUDA's rules."""
    from models import digits_cnn

    def build():
        mg.manual_seed(0)
        model = digits_cnn.DigitsCNN(0.0, dtype=mg.float64, backend=backend)
        model.drop = nn.Identity()
        opt = mg.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
        rng = np.random.default_rng(0)

        def args_of(i):
            return (mg.tensor(rng.standard_normal((8, 1, 8, 8)), backend=backend),
                    mg.tensor(rng.integers(0, 10, 8), backend=backend))
        state = lambda: list(model.parameters()) + list(model.buffers())  # noqa: E731
        return digits_cnn.make_step(model, nn.CrossEntropyLoss(), opt), args_of, state, None
    assert_jit_matches_eager(build, calls=5, graphs=_mode(backend))


def test_a_bad_class_index_is_caught_after_the_graph_before_the_optimizer_steps(backend):
    w = mg.tensor(np.ones((3, 4)), requires_grad=True, backend=backend)
    opt = mg.optim.SGD([w], lr=0.1)

    def step(x, t):
        opt.zero_grad()
        loss = F.cross_entropy(x @ w, t)
        loss.backward()
        opt.step()
        return loss

    run = mg.jit(step)
    run.graphs = _mode(backend)
    x = mg.tensor(np.ones((2, 3)), backend=backend)
    for _ in range(3):
        run(x, mg.tensor([0, 1], backend=backend))
    before = w.detach().numpy().copy()
    with pytest.raises(IndexError, match="out of bounds"):
        run(x, mg.tensor([0, -1], backend=backend))
    np.testing.assert_array_equal(w.detach().numpy().copy(), before)  # the optimizer never saw the bad step
    assert next(iter(run._cache.values())).graphs is not None


class _SyncingScale(mg.autograd.Function):
    """x * float(x.sum()): its forward reads a value on the host, which a CUDA stream capture refuses."""

    def forward(self, x):
        self.k = float(x.sum())
        return x * self.k

    def backward(self, g):
        return g * self.k


def test_an_op_that_syncs_fails_the_emulated_capture_and_the_call_still_completes(backend):
    if backend == "numpy":
        pytest.skip("numpy has no capture rules to break; the strict backend (and cupy) model CUDA's")
    f = mg.jit(lambda x: _SyncingScale.apply(x) + 1.0)
    f.graphs = _mode(backend)
    xs = [mg.tensor(np.full(2, float(i)), backend=backend) for i in range(4)]
    with pytest.warns(RuntimeWarning, match="stream capture"):
        outs = [f(x).detach().numpy().copy() for x in xs]
    assert [o.tolist() for o in outs] == [[2.0 * i * i + 1.0] * 2 for i in range(4)]
    assert next(iter(f._cache.values())).graphs is None


def test_a_step_computing_with_a_live_calls_result_keeps_graphs_off(backend):
    """clip_grad_norm_ runs live on every replay; a graph captured after it would bake in the capture's norm.
    Such a step replays without graphs, and says why; its values stay eager's."""
    def build():
        mg.manual_seed(0)
        model = nn.Linear(3, 2).to(mg.float64).to(backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(0)

        def step(x):
            opt.zero_grad()
            loss = model(x).pow(2).sum()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return loss * norm

        return step, lambda i: (mg.tensor(rng.standard_normal((4, 3)), backend=backend),), model.parameters
    traces = []
    for jitted in (False, True):
        step, args_of, params = build()
        run = mg.jit(step) if jitted else step
        if jitted:
            run.graphs = _mode(backend)
        traces.append([(host(run(*args_of(i))), host(list(params()))) for i in range(5)])
    for (le, pe), (lj, pj) in zip(*traces):
        np.testing.assert_array_equal(le, lj)
        for a, b in zip(pe, pj):
            np.testing.assert_array_equal(a, b)
    entry = next(iter(run._cache.values()))
    assert entry.graphs is None and "live call" in entry.graphs_failed


def test_a_function_reading_no_tensor_replays_without_graphs_and_says_why():
    run = mg.jit(lambda: mg.zeros(2) + 1.0)
    run.graphs = "emulate"
    assert [run().tolist() for _ in range(3)] == [[1.0, 1.0]] * 3
    assert next(iter(run._cache.values())).graphs_failed == "it reads no tensor"
