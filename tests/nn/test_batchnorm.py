"""BatchNorm1d / BatchNorm2d against torch.nn over several train and eval steps (outputs, gradients, running
statistics, num_batches_tracked), their state dicts with PyTorch's keys both ways, and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from jit_harness import assert_jit_matches_eager
from minigrad import nn

torch = pytest.importorskip("torch", reason="PyTorch not installed: BatchNorm cross-checks skipped")

SHAPES = {"BatchNorm1d": [(6, 3), (4, 3, 5)], "BatchNorm2d": [(4, 3, 5, 2)]}


def _layers(name, backend, **kw):
    m = getattr(nn, name)(3, dtype=mg.float64, backend=backend, **kw)
    t = getattr(torch.nn, name)(3, dtype=torch.float64, **kw)
    rng = np.random.default_rng(7)
    new = {"weight": rng.uniform(0.5, 2, 3), "bias": rng.standard_normal(3)}  # non-trivial, the same in both
    new = {k: v for k, v in new.items() if getattr(m, k) is not None}
    m.load_state_dict({**m.state_dict(), **new})
    t.load_state_dict({**t.state_dict(), **{k: torch.tensor(v) for k, v in new.items()}})
    return m, t


def _same_state(m, t):
    sd, tsd = m.state_dict(), t.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert sd[k].dtype == tsd[k].detach().numpy().copy().dtype, k
        tol = dict(rtol=1e-12, atol=1e-14) if sd[k].dtype != np.float32 else dict(rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(sd[k].detach().numpy().copy(), tsd[k].detach().numpy().copy(), err_msg=k, **tol)


@pytest.mark.parametrize("name, shape", [(n, s) for n, ss in SHAPES.items() for s in ss])
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 0.1}, {"affine": False},
                                {"track_running_stats": False}, {"bias": False}])
def test_train_then_eval_trajectory_matches_torch(backend, name, shape, kw):
    m, t = _layers(name, backend, **kw)
    rng = np.random.default_rng(0)
    for step in range(8):
        train = step < 5 or step == 6  # train, eval, train again, eval
        m.train(train), t.train(train)
        x = rng.standard_normal(shape) * (1 + step) + step
        a = mg.tensor(x, requires_grad=True, backend=backend)
        ta = torch.tensor(x, requires_grad=True)
        out, tout = m(a), t(ta)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(shape)
        out.backward(mg.tensor(g, backend=backend))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.detach().numpy().copy(), ta.grad.detach().numpy().copy(), rtol=1e-9, atol=1e-11)
        for p, tp in zip(m.parameters(), t.parameters()):
            np.testing.assert_allclose(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy(), rtol=1e-9, atol=1e-11)
            p.grad, tp.grad = None, None
        _same_state(m, t)


def test_state_dict_keys_and_torch_state_dict_loads():
    t = torch.nn.BatchNorm2d(3)
    t.train()
    for _ in range(3):
        t(torch.randn(4, 3, 2, 2))
    with torch.no_grad():
        t.weight.mul_(2)
    m = nn.BatchNorm2d(3)
    result = m.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    _same_state(m, t)
    assert m.num_batches_tracked.dtype == np.int64 and m.num_batches_tracked.item() == 3
    # and back: a minigrad state dict converted to torch tensors loads into torch
    t2 = torch.nn.BatchNorm2d(3)
    t2.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in m.state_dict().items()})
    _same_state(m, t2)
    m.eval(), t.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_of_untracked_and_non_affine_layers():
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]
    m = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == [] and list(m.parameters()) == [] and list(m.buffers()) == []
    assert m.running_mean is None and m.weight is None


def test_nested_state_dict_keys_match_torch():
    m = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2),
                      nn.BatchNorm1d(2))
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(), torch.nn.Flatten(),
                            torch.nn.Linear(12, 2), torch.nn.BatchNorm1d(2))
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    _same_state(m, t)  # one training step updated the running statistics of both alike


def test_to_dtype_casts_running_stats_but_keeps_the_counter_integer():
    m = nn.BatchNorm1d(3).to(mg.float64)
    assert m.running_mean.dtype == np.float64 and m.weight.dtype == np.float64
    assert m.num_batches_tracked.dtype == np.int64
    m(mg.randn(4, 3, dtype=mg.float64))
    assert m.num_batches_tracked.item() == 1


def test_eval_without_running_stats_uses_batch_statistics():
    m = nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = mg.tensor([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(m(x).detach().numpy(), [[-1, -1], [1, 1]], atol=1e-4)


def test_reset_running_stats_and_repr():
    m = nn.BatchNorm2d(3, momentum=None)
    m(mg.randn(2, 3, 2, 2))
    m.reset_parameters()
    np.testing.assert_array_equal(m.running_var.detach().numpy().copy(), np.ones(3))
    assert m.num_batches_tracked.item() == 0
    assert repr(m) == repr(torch.nn.BatchNorm2d(3, momentum=None))
    assert repr(nn.BatchNorm1d(2, affine=False)) == repr(torch.nn.BatchNorm1d(2, affine=False))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input"):
        nn.BatchNorm2d(3)(mg.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D input"):
        nn.BatchNorm1d(3)(mg.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="input has 4 channels .* num_features=3"):
        nn.BatchNorm1d(3)(mg.randn(2, 4))
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(mg.randn(1, 3))
    nn.BatchNorm1d(3).eval()(mg.randn(1, 3))  # fine in eval: running statistics
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)
    with pytest.raises(TypeError, match="momentum must be a float or None"):
        nn.BatchNorm1d(3, momentum="0.1")
    F = nn.functional
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(mg.randn(2, 3), mg.zeros(2), mg.ones(2))
    with pytest.raises(ValueError, match="give both running_mean and running_var"):
        F.batch_norm(mg.randn(2, 3), mg.zeros(3), None)
    with pytest.raises(RuntimeError, match="not differentiable with respect to the running statistics"):
        F.batch_norm(mg.randn(2, 3), mg.zeros(3, requires_grad=True), mg.ones(3))


def test_running_stats_are_not_part_of_the_graph():
    m = nn.BatchNorm1d(3)
    x = mg.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert not m.running_mean.requires_grad and m.running_mean.grad_fn is None
    assert x.grad is not None


def test_checkpoint_round_trip_through_mg_save(tmp_path):
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=None))
    for _ in range(3):
        m(mg.randn(4, 2))
    path = tmp_path / "bn.npz"
    mg.save(m.state_dict(), str(path))
    m2 = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=None))
    m2.load_state_dict(mg.load(str(path)))
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert a.dtype == b.dtype, k
        np.testing.assert_array_equal(a.detach().numpy().copy(), b.detach().numpy().copy(), err_msg=k)
    assert m2[1].num_batches_tracked.item() == 3
    m.eval(), m2.eval()
    x = mg.randn(5, 2)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_classifier_under_mg_jit_equals_eager(backend, momentum):
    """A BatchNorm + cross-entropy training step replayed by mg.jit computes what eager computes, bit for bit:
    batch statistics come from each call's batch (not the recorded one), running statistics and the counter
    advance on every replay, and eval mode is a separate capture."""
    models = []

    def build():
        mg.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3, momentum=momentum), nn.ReLU(),
                              nn.Flatten(), nn.Linear(3 * 16, 4), nn.BatchNorm1d(4, momentum=momentum))
        model = model.to(mg.float64).to(backend)
        opt = mg.optim.SGD(model.parameters(), lr=0.1)
        evaluate = mg.jit(model.forward) if models else model.forward  # the second build is the jitted run
        models.append(model)
        rng = np.random.default_rng(1)
        batch = []

        def step(x, t):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), t, label_smoothing=0.1)
            loss.backward()
            opt.step()
            return loss

        def args_of(i):
            batch[:] = [mg.tensor(rng.standard_normal((5, 1, 4, 4)) * (1 + i), backend=backend),
                        mg.tensor(rng.integers(0, 4, 5), backend=backend)]
            return tuple(batch)

        def state():  # after each training call: this batch evaluated in eval mode, then the state dict
            model.eval()
            out = evaluate(batch[0])
            model.train()
            return [out, *model.state_dict().values()]
        return step, args_of, state, None
    assert_jit_matches_eager(build, calls=6)
    assert models[1].state_dict()["1.num_batches_tracked"].item() == 6


def test_running_stat_update_counts_as_in_place_for_the_graph_guard():
    """A graph that read running_mean before a training step must not backprop through the stale value."""
    bn = nn.BatchNorm1d(3)
    w = mg.ones(3, requires_grad=True)
    y = (bn.running_mean * w).sum()
    bn(mg.randn(4, 3))  # updates running_mean in place
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
