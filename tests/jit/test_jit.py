"""mg.jit: a replay computes exactly what eager computes, never replays something stale, and refuses what it
cannot replay. Every equality test runs the same training twice from the same init, eagerly and jitted, and
compares losses and parameters bit for bit (float64; tests/jit_harness.py)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from jit_harness import assert_jit_matches_eager


def _conv_net(backend: str) -> nn.Module:
    mg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 4 * 4, 5), nn.Tanh(), nn.Linear(5, 2)).to(mg.float64).to(backend)


def _data(backend: str, n: int = 4, seed: int = 1) -> tuple[mg.Tensor, mg.Tensor]:
    rng = np.random.default_rng(seed)
    return (mg.tensor(rng.standard_normal((n, 1, 8, 8)), backend=backend),
            mg.tensor(rng.standard_normal((n, 2)), backend=backend))


def _same(make_opt, backend: str, steps: int = 12, between=None, data=None):
    """`steps` calls of a standard step (zero_grad, forward, backward, step), eagerly and jitted from the same
    init: the same losses and parameters bit for bit (the shared harness). Returns the jitted function."""
    def build():
        model = _conv_net(backend)
        opt = make_opt(model.parameters())

        def step(x, t):
            opt.zero_grad()
            loss = F.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss
        return (step, (lambda i: data(i)) if data else (lambda i: _data(backend)), model.parameters,
                (lambda i: between(i, opt)) if between else None)
    return assert_jit_matches_eager(build, calls=steps)


@pytest.mark.parametrize("make_opt", [
    lambda ps: mg.optim.SGD(ps, lr=0.05),
    lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: mg.optim.Adam(ps, lr=0.01),
    lambda ps: mg.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=1e-2),
], ids=["sgd", "momentum", "nesterov-wd", "adam", "adam-amsgrad-wd"])
def test_replay_matches_eager_bit_for_bit(backend, make_opt):
    run = _same(make_opt, backend)
    assert run.captures == 1  # one recording, then replays (momentum buffers, Adam's steps read live)


def test_learning_rate_changed_between_calls(backend):
    def decay(i, opt):
        for g in opt.param_groups:
            g["lr"] = 0.1 * 0.8 ** i
    _same(lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.5), backend, between=decay)


def test_batch_size_change_gets_its_own_capture(backend):
    sizes = [4, 4, 4, 2, 2, 2, 4, 2, 3, 3, 3, 4]
    run = _same(lambda ps: mg.optim.Adam(ps, lr=0.01), backend,
                data=lambda i: _data(backend, n=sizes[i], seed=i))
    assert run.captures == 3


def test_assignment_network_converges_in_the_same_step_count():
    from models.assignment_cnn import build

    def train(jit: bool, steps: int = 3000) -> list[float]:
        model, x, target = build(dtype=mg.float64)
        opt = mg.optim.SGD(model.parameters(), lr=0.01)

        def step(x, t):
            opt.zero_grad()
            loss = F.mse_loss(model(x), t, reduction="sum")
            loss.backward()
            opt.step()
            return loss
        run = mg.jit(step) if jit else step
        return [run(x, target).item() for _ in range(steps)]
    assert train(True) == train(False)


def test_zero_grad_variants_and_accumulation(backend):
    """Gradients set to None, zeroed in place, or accumulated over two calls (no zero_grad at all)."""
    for zero in ("none", "zeros", "accumulate"):
        results = []
        for jit in (False, True):
            model = _conv_net(backend)
            x, t = _data(backend)

            def step(x, t):
                if zero != "accumulate":
                    model.zero_grad(set_to_none=zero == "none")
                loss = F.mse_loss(model(x), t)
                loss.backward()
                return loss
            run = mg.jit(step) if jit else step
            for _ in range(5):
                run(x, t)
            results.append([p.grad.detach().numpy().copy() for p in model.parameters()])
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)


def test_returned_tensors_keep_their_values():
    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)

    @mg.jit
    def step(x):
        return (w * x).sum(), x * 3
    outs = [step(mg.tensor([float(i), 1.0], dtype=mg.float64)) for i in range(5)]
    assert [o[0].item() for o in outs] == [i + 2.0 for i in range(5)]
    assert [o[1].tolist() for o in outs] == [[3.0 * i, 3.0] for i in range(5)]


def test_frozen_parameter_forces_a_new_capture():
    model = _conv_net("numpy")
    x, t = _data("numpy")

    @mg.jit
    def step(x, t):
        model.zero_grad()
        loss = F.mse_loss(model(x), t)
        loss.backward()
        return loss
    for _ in range(3):
        step(x, t)
    first = model[0].weight
    first.requires_grad_(False)
    step(x, t)
    assert step.captures == 2
    assert first.grad is None  # zero_grad ran live, and the new capture sends it no gradient
    assert model[4].weight.grad is not None


@pytest.mark.parametrize("read", [
    lambda t: t.item(), lambda t: t.numpy(), lambda t: t.tolist(), lambda t: float(t), lambda t: bool(t),
    lambda t: 1 if t > 0 else 0,
], ids=["item", "numpy", "tolist", "float", "bool", "if"])
def test_host_reads_inside_a_capture_are_refused(read):
    @mg.jit
    def f(x):
        y = (x * 2).sum()
        read(y)
        return y
    x = mg.tensor([1.0, 2.0])
    f(x)  # warm-up runs eagerly: fine
    with pytest.raises(RuntimeError, match="inside a function captured by mg.jit"):
        f(x)
    with pytest.raises(RuntimeError, match="mg.jit"):  # and it keeps saying so, rather than replaying
        f(x)


@pytest.mark.parametrize("draw", [lambda: mg.randn(2, dtype=mg.float64), lambda: mg.rand(2, dtype=mg.float64),
                                  lambda: mg.randint(0, 100, (2,)).to(mg.float64)], ids=["randn", "rand", "randint"])
def test_random_factories_draw_fresh_numbers_in_eager_sequence(draw):
    def f(x):
        return x + draw()

    results = []
    for run in (f, mg.jit(f)):
        mg.manual_seed(3)
        results.append([run(mg.tensor([1.0, 2.0], dtype=mg.float64)).detach().numpy().copy() for _ in range(5)])
    np.testing.assert_array_equal(np.array(results[0]), np.array(results[1]))
    assert len({tuple(r) for r in results[1]}) == 5  # every replay drew anew


def test_in_place_random_initialisation_inside_a_capture_is_refused():
    w = mg.zeros(2)

    @mg.jit
    def f(x):
        mg.nn.init.normal_(w)
        return x + w
    f(mg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="random draw|in-place"):
        f(mg.tensor([1.0, 2.0]))


def test_capture_cache_is_bounded_and_reset_drops_it():
    f = mg.jit(lambda x: x * 2, max_captures=3, warmup=0)
    for n in range(1, 20):
        f(mg.zeros(n))
    assert len(f._cache) == 3
    assert f(mg.ones(2)).tolist() == [2.0, 2.0]
    f.reset()
    assert len(f._cache) == 0


def test_non_tensor_arguments_are_part_of_the_signature():
    f = mg.jit(lambda x, k: x * k)
    x = mg.tensor([1.0, 2.0])
    assert [f(x, k).tolist() for k in (2, 2, 2, 3, 3, 3, 2)] == [[1.0 * k, 2.0 * k] for k in (2, 2, 2, 3, 3, 3, 2)]
    with pytest.raises(TypeError, match="'k' .*is neither a Tensor, a list/tuple/dict of them, nor hashable; pass "
                                        "tensors directly and other arguments as plain values"):
        f(x, np.array([1, 2]))


def test_source_shows_the_replay():
    f = mg.jit(lambda x: (x.sigmoid() * 2).sum())
    x = mg.tensor([1.0, 2.0])
    for _ in range(3):
        f(x)
    src = f.source(x)
    assert src.startswith("def replay(T0):") and src.count(".forward(") == 3


def test_jit_inside_jit_records_into_the_outer_capture():
    inner = mg.jit(lambda x: x * 3)
    outer = mg.jit(lambda x: inner(x) + 1)
    assert [outer(mg.tensor([float(i)])).item() for i in range(4)] == [3.0 * i + 1 for i in range(4)]


# ------------------------------------------------------------------ the CUDA-graph path
def _graph_mode(backend: str) -> str:
    """On cupy the real CUDA graphs; elsewhere the emulation of them (same machinery, fixed buffers)."""
    return "cuda" if backend == "cupy" else "emulate"


@pytest.mark.parametrize("make_opt", [lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9),
                                      lambda ps: mg.optim.Adam(ps, lr=0.01)], ids=["momentum", "adam"])
@pytest.mark.parametrize("zero", ["none", "zeros", "accumulate"])
def test_graph_replay_matches_eager(backend, make_opt, zero):
    results = []
    for graphs in (None, _graph_mode(backend)):
        model = _conv_net(backend)
        opt = make_opt(model.parameters())

        def step(x, t):
            if zero != "accumulate":
                opt.zero_grad(set_to_none=zero == "none")
            loss = F.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss
        run = step
        if graphs:
            run = mg.jit(step)
            run.graphs = graphs
        losses = [run(*_data(backend, seed=i)).item() for i in range(8)]
        if graphs:
            entry = next(iter(run._cache.values()))
            assert entry.graphs is not None and entry.graphs_failed is None and len(entry.graphs.graphs) == 1
        results.append((losses, [p.detach().numpy() for p in model.parameters()], [p.grad.detach().numpy().copy() for p in model.parameters()]))
    (l0, p0, g0), (l1, p1, g1) = results
    assert l0 == l1
    for a, b in zip(p0 + g0, p1 + g1):
        np.testing.assert_array_equal(a, b)


def test_graph_replay_outputs_are_copies_and_zero_grad_outside_the_step(backend):
    model = _conv_net(backend)
    x, t = _data(backend)

    def step(x, t):
        loss = F.mse_loss(model(x), t)
        loss.backward()
        return loss
    run = mg.jit(step)
    run.graphs = _graph_mode(backend)
    eager_model = _conv_net(backend)
    outs = []
    for i in range(6):
        if i % 2:
            model.zero_grad()
            eager_model.zero_grad()
        outs.append(run(x * (i + 1), t))
        expected = F.mse_loss(eager_model(x * (i + 1)), t)
        expected.backward()
        assert outs[-1].item() == expected.item()
        for p, q in zip(model.parameters(), eager_model.parameters()):
            np.testing.assert_array_equal(p.grad.detach().numpy().copy(), q.grad.detach().numpy().copy())
    assert len({o.item() for o in outs}) == 6  # earlier outputs kept their own values


def test_in_place_ops_and_data_rebinding_inside_a_capture_are_refused():
    buf = mg.zeros(2)

    @mg.jit
    def f(x):
        buf.add_(x)
        return x
    f(mg.ones(2))
    with pytest.raises(RuntimeError, match="in-place op add_"):
        f(mg.ones(2))

    @mg.jit
    def g(x):
        buf.data = x.data
        return x
    g(mg.ones(2))
    with pytest.raises(RuntimeError, match="rebinding"):
        g(mg.ones(2))



def test_train_eval_switch_and_replaced_parameter_shapes_force_a_new_capture():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(mg.ones(3, dtype=mg.float64))

        def forward(self, x):
            return (x * self.w.sum()).sum() * (2.0 if self.training else 1.0)
    net = Net()
    f = mg.jit(lambda x: net(x))
    x = mg.ones(3, dtype=mg.float64)
    assert [f(x).item() for _ in range(3)] == [18.0] * 3
    net.eval()
    assert [f(x).item() for _ in range(3)] == [9.0] * 3
    with mg.no_grad():
        net.w.data = mg.ones(4, dtype=mg.float64).data
    assert [f(x).item() for _ in range(2)] == [12.0] * 2
    assert f.captures == 3


@pytest.mark.parametrize("fn", [
    lambda x: x * (x > 0),
    lambda x: x * (x <= x.mean()),
    lambda x: x[x.argmax()] * 2,
    lambda x: x * (x.argmin(dim=0, keepdim=True) == 1),
], ids=["relu-by-mask", "below-mean", "argmax-index", "argmin"])
def test_masks_and_indices_follow_the_inputs(fn):
    """Comparisons and arg-reductions are ops too: a replay recomputes them instead of reusing the first ones."""
    f = mg.jit(fn)
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = mg.tensor(rng.standard_normal(5))
        np.testing.assert_array_equal(f(x).detach().numpy().copy(), fn(x).detach().numpy().copy())


def test_graph_replay_of_a_sum_loss(backend):
    """Sum's backward hands out a read-only broadcast view; the graph path must cope with it."""
    results = []
    for graphs in (None, _graph_mode(backend)):
        w = mg.tensor(np.linspace(-1.0, 1.0, 3), requires_grad=True, backend=backend)

        def step(x):
            w.grad = None
            loss = (w * x).sum() + (w * w).mean()
            loss.backward()
            return loss
        run = step
        if graphs:
            run = mg.jit(step)
            run.graphs = graphs
        results.append([(run(mg.tensor(np.full(3, float(i)), backend=backend)).item(), w.grad.tolist())
                        for i in range(5)])
    assert results[0] == results[1]


def test_assigning_a_tensor_to_grad_inside_a_capture_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)

    @mg.jit
    def f(x):
        w.grad = mg.zeros(2)
        return x * 2
    f(mg.ones(2))
    with pytest.raises(RuntimeError, match="assigning a tensor to .grad"):
        f(mg.ones(2))


def test_output_structures_come_back_as_returned():
    f = mg.jit(lambda x: {"max": x.max(dim=0), "pair": (x * 2,), "list": [x.sum(), 3]})
    x = mg.tensor([[1.0, 5.0], [4.0, 2.0]])
    for _ in range(3):
        out = f(x)
    assert out["max"].values.tolist() == [4.0, 5.0] and out["max"].indices.tolist() == [1, 0]
    assert out["pair"][0].tolist() == [[2.0, 10.0], [8.0, 4.0]] and out["list"][0].item() == 12.0
    assert out["list"][1] == 3


def test_cuda_graphs_requested_off_the_gpu_is_a_clear_error():
    f = mg.jit(lambda x: x * 2, cuda_graphs=True)
    with pytest.raises(RuntimeError, match="needs every tensor .* on the 'cupy' backend"):
        for _ in range(3):
            f(mg.ones(2))


def test_dropout_draws_a_fresh_mask_on_every_replay(backend):
    """The mask is drawn inside the op's forward, so a replay draws the same sequence of masks as eager."""
    results = []
    for jit in (False, True):
        mg.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5), nn.Linear(6, 1)).to(mg.float64).to(backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.1)
        x = mg.tensor(np.linspace(-1, 1, 24).reshape(4, 6), backend=backend)

        def step(x):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            return loss
        run = mg.jit(step) if jit else step
        if jit:
            run.graphs = _graph_mode(backend)  # graphs are refused for host draws: plain replay instead
        results.append([run(x).item() for _ in range(8)])
    assert results[0] == results[1] and len(set(results[0])) == 8


def test_recorded_in_place_writes_are_refused_inside_a_capture():
    """`total += loss` joins the graph eagerly (a snapshot and a write-back); a replay could do neither."""
    w = mg.tensor([1.0, 2.0], requires_grad=True)

    @mg.jit
    def f(x):
        total = mg.zeros(())
        total += (w * x).sum()
        return total
    f(mg.ones(2))
    with pytest.raises(RuntimeError, match="in-place op add_"):
        f(mg.ones(2))


@pytest.mark.parametrize("graphs", [False, True], ids=["plain", "graphs"])
def test_fresh_grads_read_after_backward_replay_like_eager(backend, graphs):
    """`grad = None`, backward, then read .grad (through detach): each replay binds new grad tensors, and the replay
    must read those, not the ones the capture created. The bias's gradient is summed back (_unbroadcast) too."""
    rng = np.random.default_rng(3)
    x = mg.tensor(rng.standard_normal((4, 3)), backend=backend)
    w = nn.Parameter(mg.tensor(rng.standard_normal((4, 3)), backend=backend))
    b = nn.Parameter(mg.tensor(rng.standard_normal((1, 3)), backend=backend))

    def step(x):
        w.grad = b.grad = None
        ((x * w + b) ** 2).sum().backward()
        return w.grad.detach().clone(), b.grad.detach().clone()

    jitted = mg.jit(step)
    if graphs:
        jitted.graphs = _graph_mode(backend)
    for k in range(5):
        xk = x * (k + 1.0)
        got, want = jitted(xk), step(xk)
        for g, e in zip(got, want):
            assert g.shape == e.shape
            np.testing.assert_array_equal(g.detach().numpy().copy(), e.detach().numpy().copy())
    assert "_unbroadcast" in jitted.source(x)
    if graphs:  # the graph path declines this call (it binds such grads after its launch) and says why
        entry = next(iter(jitted._cache.values()))
        assert entry.graphs is None and "reads a .grad" in entry.graphs_failed


def test_causal_attention_replays_its_mask(backend):
    """is_causal's mask is built inside the op from the shapes: a replay makes it again, never reads the
    capture's array."""
    def build():
        rng = np.random.default_rng(0)
        qkv = [[mg.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True, backend=backend) for _ in range(3)]
               for _ in range(4)]

        def fn(q, k, v):
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out.sum().backward()
            return out
        return fn, lambda i: tuple(qkv[i]), lambda: [t.grad for ts in qkv for t in ts if t.grad is not None], None
    assert_jit_matches_eager(build, calls=4).captures == 1
