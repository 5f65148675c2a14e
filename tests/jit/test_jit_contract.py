"""mg.jit's contract (help(minigrad.jit)): a replay equals eager, or the capture is recorded again, or the call is
refused with an error that says why. One test per way a replay could silently differ from eager."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from jit_harness import assert_jit_matches_eager, host
from minigrad.jit.record import UnknownArrayError


def _t(values, backend="numpy", **kw) -> mg.Tensor:
    return mg.tensor(np.asarray(values, dtype=np.float64), backend=backend, **kw)


# ------------------------------------------------------------------ arrays of unknown origin
def test_one_hot_targets_follow_the_labels_of_each_call(backend):
    def build():
        mg.manual_seed(0)
        model = nn.Linear(3, 4).to(mg.float64).to(backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.5)
        rng = np.random.default_rng(1)

        def step(x, labels):
            opt.zero_grad()
            loss = F.mse_loss(F.softmax(model(x), dim=1), F.one_hot(labels, 4).to(mg.float64))
            loss.backward()
            opt.step()
            return loss

        def args_of(i):
            return (mg.tensor(rng.standard_normal((5, 3)), backend=backend),
                    mg.tensor(rng.integers(0, 4, 5), backend=backend))
        return step, args_of, model.parameters, None
    assert_jit_matches_eager(build, calls=6)


@pytest.mark.parametrize("make, origin", [
    (lambda x: mg.tensor(x.data), "tensor"),
    (lambda x: mg.from_numpy(np.ones(2)), "from_numpy"),
    (lambda x: mg.Tensor(x.detach().numpy().copy() if False else x.detach().data * 2), "Tensor"),
], ids=["tensor-of-data", "from_numpy", "Tensor-of-array"])
def test_a_tensor_of_unknown_origin_is_an_error_naming_where_it_was_made(make, origin):
    @mg.jit
    def f(x):
        return x + make(x)
    f(_t([1.0, 2.0]))
    with pytest.raises(UnknownArrayError, match=f"made by {origin}.*test_jit_contract.py.* a replay would reuse the "
                                                "capture's values"):
        f(_t([1.0, 2.0]))


def test_factories_give_fresh_arrays_on_every_replay():
    @mg.jit
    def f(x):
        return x.sum() + mg.zeros(2), mg.arange(3) * 1.0, mg.full((2,), 0.5) + mg.tensor([1.0, 2.0])
    outs = [f(_t([1.0, float(i)])) for i in range(4)]
    for i, (a, b, c) in enumerate(outs):
        assert a.tolist() == [1.0 + i] * 2 and b.tolist() == [0.0, 1.0, 2.0] and c.tolist() == [1.5, 2.5]
    outs[2][1][0] = 100.0  # a caller's edit of one result leaks into no other
    assert outs[3][1].tolist() == [0.0, 1.0, 2.0] and f(_t([1.0, 0.0]))[1].tolist() == [0.0, 1.0, 2.0]


def test_a_function_of_no_tensor_builds_fresh_tensors_on_every_call():
    for graphs in ("auto", "emulate"):
        f = mg.jit(lambda n: mg.zeros(n) + mg.arange(n))
        f.graphs = graphs
        outs = [f(3) for _ in range(4)]
        assert all(o.tolist() == [0.0, 1.0, 2.0] for o in outs) and len({id(o) for o in outs}) == 4


# ------------------------------------------------------------------ binding by name, aliasing
def test_arguments_bind_by_parameter_name():
    f = mg.jit(lambda x, y: x - 2 * y)
    p, q = _t([1.0]), _t([10.0])
    for _ in range(3):
        assert f(p, q).tolist() == [-19.0]
    assert f(x=q, y=p).tolist() == [8.0]
    assert f(y=p, x=q).tolist() == [8.0]
    assert f(q, y=p).tolist() == [8.0]


def test_an_argument_passed_twice_is_not_confused_with_two_arguments():
    f = mg.jit(lambda x, y: x * 10 + y)
    x = _t([1.0])
    for _ in range(3):
        assert f(x, x).tolist() == [11.0]
    assert f(_t([1.0]), _t([2.0])).tolist() == [12.0]
    assert f(x, x.detach()).tolist() == [11.0]
    assert f(_t([3.0]), _t([4.0])).tolist() == [34.0]


def test_tensors_nested_in_lists_and_dicts_are_inputs():
    f = mg.jit(lambda xs, d: xs[0] * xs[1] + d["b"])
    for i in range(4):
        assert f([_t([i]), _t([2.0])], {"b": _t([1.0])}).tolist() == [2.0 * i + 1]


# ------------------------------------------------------------------ guarded Python values
@pytest.mark.parametrize("layer, change", [
    (lambda: nn.Dropout(0.0), lambda m: setattr(m, "p", 1.0)),
    (lambda: nn.LeakyReLU(0.01), lambda m: setattr(m, "negative_slope", 0.5)),
    (lambda: nn.BatchNorm1d(3).to(mg.float64), lambda m: setattr(m, "momentum", 0.9)),
], ids=["Dropout.p", "LeakyReLU.negative_slope", "BatchNorm.momentum"])
def test_a_changed_module_attribute_re_records(layer, change):
    def build():
        mg.manual_seed(0)
        m = layer()
        rng = np.random.default_rng(0)
        state = lambda: [b for b in m.buffers()]  # noqa: E731
        return (lambda x: m(x) * 1.0, lambda i: (mg.tensor(rng.standard_normal((4, 3))),), state,
                lambda i: change(m) if i == 3 else None)
    run = assert_jit_matches_eager(build, calls=6)
    assert run.captures == 2


def test_a_rebound_parameter_or_optimizer_re_records():
    def build():
        mg.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 2)).to(mg.float64)
        box = {"opt": mg.optim.SGD(model.parameters(), lr=0.1)}
        opt = box["opt"]

        def step(x):
            opt.zero_grad()
            loss = model(x).pow(2).sum()
            loss.backward()
            opt.step()
            return loss

        def between(i):
            nonlocal opt
            if i == 3:
                model[0].weight = nn.Parameter(mg.ones(2, 3, dtype=mg.float64))
            if i == 4:
                opt = mg.optim.SGD(model.parameters(), lr=0.01)  # the closure cell now holds a new optimizer
        rng = np.random.default_rng(0)
        return step, lambda i: (mg.tensor(rng.standard_normal((4, 3))),), model.parameters, between
    run = assert_jit_matches_eager(build, calls=7)
    assert run.captures == 3


SCALE = 2.0
MODE = None


def test_closure_cells_globals_and_the_default_dtype_are_guarded():
    global SCALE, MODE
    k = 3.0

    def f(x):
        return x * k + SCALE + mg.tensor([0.1]) + (1.0 if MODE is None else 2.0)

    run = mg.jit(f)
    x = _t([1.0])
    try:
        for i in range(11):
            if i == 3:
                k = 5.0
            if i == 5:
                SCALE = 7.0
            if i == 7:
                mg.set_default_dtype(mg.float64)
            if i == 9:
                MODE = "other"
            assert host(run(x)) == host(f(x)), i
    finally:
        SCALE, MODE = 2.0, None
        mg.set_default_dtype(mg.float32)
    assert run.captures == 5


# ------------------------------------------------------------------ outputs not made by an op
def test_clip_grad_norm_max_pool_indices_and_fresh_outputs():
    def build():
        mg.manual_seed(0)
        conv = nn.Conv2d(1, 2, 3, padding=1).to(mg.float64)
        opt = mg.optim.SGD(conv.parameters(), lr=0.1)
        rng = np.random.default_rng(0)

        def step(x):
            opt.zero_grad()
            out, idx = F.max_pool2d(conv(x), 2, return_indices=True)
            out.sum().backward()
            norm = nn.utils.clip_grad_norm_(conv.parameters(), 0.5)
            opt.step()
            return norm, idx, mg.zeros(2)
        return step, lambda i: (mg.tensor(rng.standard_normal((2, 1, 4, 4))),), conv.parameters, None
    assert_jit_matches_eager(build, calls=6)


# ------------------------------------------------------------------ value checks
@pytest.mark.parametrize("call, bad, error", [
    (lambda x, t: F.cross_entropy(x, t), lambda: mg.tensor([0, -1]), IndexError),
    (lambda x, t: F.embedding(t, x), lambda: mg.tensor([0, -1]), IndexError),
    (lambda x, t: F.binary_cross_entropy(x.sigmoid() * t, mg.ones_like(x)),
     lambda: _t([[1.0] * 3, [1.5] * 3]), ValueError),
], ids=["class-index", "embedding-index", "bce-probability"])
def test_value_checks_of_eager_are_made_by_the_replay(call, bad, error, backend):
    x = _t(np.ones((2, 3)), backend=backend)
    good = (mg.tensor([0, 1], backend=backend) if "index" in str(error) or error is IndexError
            else _t(np.ones((2, 3)), backend=backend))
    f = mg.jit(lambda x, t: call(x, t))
    for _ in range(3):
        f(x, good)
    with pytest.raises(error):
        f(x, bad().to(backend))


# ------------------------------------------------------------------ backward outside
def test_backward_outside_a_forward_only_capture_is_a_clear_error():
    w = _t([1.0, 2.0], requires_grad=True)
    f = mg.jit(lambda x: (x * w).sum())
    for i in range(2):
        f(_t([1.0, 1.0])).backward()  # eager and capture calls: real graphs
    out = f(_t([1.0, 1.0]))
    assert out.requires_grad and out.item() == 3.0
    with pytest.raises(RuntimeError, match="replay records no graph"):
        out.backward()


# ------------------------------------------------------------------ per-thread state
def test_grad_mode_and_capture_are_per_thread():
    started, release, seen = threading.Event(), threading.Event(), {}

    def other():
        with mg.no_grad():
            started.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    started.wait(5)
    try:
        w = _t([1.0], requires_grad=True)
        seen["grad"] = (w * 2).requires_grad  # the other thread's no_grad leaves this one alone

        def read_elsewhere():
            seen["item"] = _t([4.0]).item()  # runs while this thread records

        @mg.jit
        def f(x):
            t = threading.Thread(target=read_elsewhere)
            t.start()
            t.join()
            return x * 2
        f(_t([1.0]))
        f(_t([1.0]))
    finally:
        release.set()
        thread.join()
    assert seen == {"grad": True, "item": 4.0}


UNSET = float("nan")


def test_a_nan_global_is_guarded_by_staying_nan():
    """NaN != NaN: a value guard would re-record on every call; a NaN is guarded by staying NaN instead."""
    global UNSET

    def f(x):
        return x * 2.0 if UNSET != UNSET else x * 3.0

    run = mg.jit(f)
    x = _t([1.0])
    try:
        assert [run(x).tolist() for _ in range(5)] == [[2.0]] * 5 and run.captures == 1
        UNSET = 1.0
        assert run(x).tolist() == [3.0] and run.captures == 2
    finally:
        UNSET = float("nan")


def test_positional_and_keyword_calls_share_one_capture():
    """A call is keyed by parameter name: f(p, q), f(x=p, y=q) and f(y=q, x=p) are the same call."""
    run = mg.jit(lambda x, y: x * 2.0 - y)
    p, q = _t([1.0, 2.0]), _t([0.5, 0.5])
    results = [r.tolist() for r in (run(p, q), run(x=p, y=q), run(y=q, x=p), run(p, y=q), run(p, q))]
    assert results == [[1.5, 3.5]] * 5 and run.captures == 1


def test_a_step_mixing_dtypes_replays(backend):
    """A float32 weight times float64 data, summed in float64: the promotions are Cast ops, whose backward casts
    each gradient back to its input's dtype on every replay, as eagerly."""
    def build():
        mg.manual_seed(0)
        w = mg.tensor(np.linspace(-1, 1, 3), dtype=mg.float32, requires_grad=True, backend=backend)
        opt = mg.optim.SGD([w], lr=0.1)
        rng = np.random.default_rng(0)

        def step(x):
            opt.zero_grad()
            loss = (w * x).pow(2).sum(dtype=mg.float64)
            loss.backward()
            opt.step()
            return loss

        return step, lambda i: (mg.tensor(rng.standard_normal(3), backend=backend),), lambda: [w, w.grad], None
    assert_jit_matches_eager(build, calls=5)


def test_an_unknown_array_error_says_what_to_do():
    @mg.jit
    def f(x):
        return x + mg.from_numpy(np.ones(2))
    f(_t([1.0, 2.0]))
    with pytest.raises(UnknownArrayError, match="from an array that no recorded op computed; a replay would reuse "
                                                "the capture's values. Pass it to the jitted function as an argument, "
                                                "or compute it with minigrad ops inside"):
        f(_t([1.0, 2.0]))


def test_a_builtin_without_a_signature_is_keyed_by_position():
    """functools.reduce has no inspectable signature: its calls are keyed by position (and keyword)."""
    import functools
    import operator

    run = mg.jit(functools.reduce)
    a, b, c = _t([1.0, 2.0]), _t([3.0, 4.0]), _t([0.5, 0.5])
    assert [run(operator.add, [a, b]).tolist() for _ in range(4)] == [[4.0, 6.0]] * 4 and run.captures == 1
    assert run(operator.add, [a, b, c]).tolist() == [4.5, 6.5] and run.captures == 1  # a new signature: warm-up
    assert run(operator.add, [a, b, c]).tolist() == [4.5, 6.5] and run.captures == 2


def test_an_upstream_gradient_of_unknown_origin_names_the_backward_given_it():
    w = mg.ones(2, requires_grad=True)

    @mg.jit
    def f(x):
        y = w * x
        y.backward(mg.from_numpy(np.ones(2)))
        return y
    f(_t([1.0, 1.0]))
    with pytest.raises(UnknownArrayError, match="^mg.jit: MulBackward was given an array that no recorded op computed"):
        f(_t([1.0, 1.0]))


def test_defaults_and_keywords_bind_like_the_call():
    """With a default, f(x), f(x, 2.0) and f(x, k=2.0) are one call; f(x, 3.0) another."""
    run = mg.jit(lambda x, k=2.0: x * k)
    x = _t([1.0, 2.0])
    assert [run(x).tolist(), run(x, 2.0).tolist(), run(x, k=2.0).tolist(), run(x).tolist()] == [[2.0, 4.0]] * 4
    assert run.captures == 1
    assert [run(x, 3.0).tolist() for _ in range(3)] == [[3.0, 6.0]] * 3 and run.captures == 2
