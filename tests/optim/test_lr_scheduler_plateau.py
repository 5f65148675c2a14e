"""ReduceLROnPlateau against torch.optim.lr_scheduler.ReduceLROnPlateau: the learning rates over a metric
series with plateaus, in every mode, with cooldown, per-group min_lr and eps; state dicts; errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim
from minigrad import nn
from minigrad.optim import lr_scheduler

from test_lr_scheduler_cyclic import _opt, torch  # noqa: F401  (fixture)


def _metrics(mode: str) -> list[float]:
    """Improving, then flat with noise, then improving a little (below and above the threshold), 80 epochs."""
    rng = np.random.default_rng(5)
    values = list(np.linspace(1.0, 0.5, 15)) + list(0.5 + 1e-3 * rng.standard_normal(30))
    values += list(0.5 * (1 - 5e-5) ** np.arange(1, 16)) + list(np.linspace(0.49, 0.3, 20))
    return [float(v) if mode == "min" else float(-v) for v in values]


CONFIGS = [
    dict(),
    dict(patience=3),
    dict(mode="max", factor=0.5, patience=2),
    dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=4),
    dict(mode="max", factor=0.3, patience=1, threshold=1e-3, threshold_mode="abs", min_lr=[0.01, 0.005]),
    dict(factor=0.2, patience=0, min_lr=0.002, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_learning_rates_equal_torch(torch, kwargs):
    opt, topt = _opt(mg), _opt(torch)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    reductions = 0
    for epoch, metric in enumerate(_metrics(kwargs.get("mode", "min")), start=1):
        before = sched.get_last_lr()
        opt.step()
        topt.step()
        sched.step(metric)
        tsched.step(metric)
        reductions += sched.get_last_lr() != before
        assert sched.get_last_lr() == tsched.get_last_lr(), f"epoch {epoch}"
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch) == (
            tsched.best, tsched.num_bad_epochs, tsched.cooldown_counter, tsched.last_epoch)
    assert reductions > 0  # the series does plateau for every configuration


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "mg.save"])
def test_metric_may_be_a_tensor_and_state_dict_resumes(tmp_path, through_file):
    opt = _opt(mg)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=2)
    metrics = _metrics("min")
    for m in metrics[:30]:
        sched.step(mg.tensor(m))
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["mode_worse"] == math.inf
    if through_file:  # inf and None values survive mg.save
        mg.save(saved, tmp_path / "plateau.npz")
        saved = mg.load(tmp_path / "plateau.npz")
        assert saved["mode_worse"] == math.inf and saved["default_min_lr"] == 0
    opt2 = _opt(mg)
    opt2.load_state_dict(opt.state_dict())
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(saved)
    assert sched2.patience == 1 and sched2.cooldown == 2
    for m in metrics[30:]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_new_param_group_needs_matching_min_lrs():
    opt = _opt(mg)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.add_param_group({"params": [nn.Parameter(mg.zeros(1))]})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match=r"number of param groups in the `optimizer` \(3\) differs"):
        sched.step(2.0)
    scalar = lr_scheduler.ReduceLROnPlateau(_opt(mg), patience=0, min_lr=0.001)
    scalar.optimizer.add_param_group({"params": [nn.Parameter(mg.zeros(1))], "lr": 0.5})
    scalar.step(1.0)
    scalar.step(2.0)
    assert scalar.get_last_lr() == [0.1 * 0.1, 0.03 * 0.1, 0.5 * 0.1]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(factor=1.0), ValueError, "Factor should be < 1.0."),
        (dict(mode="median"), ValueError, "mode median is unknown!"),
        (dict(threshold_mode="ratio"), ValueError, "threshold mode ratio is unknown!"),
        (dict(min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        lr_scheduler.ReduceLROnPlateau(_opt(mg), **kwargs)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau([nn.Parameter(mg.zeros(1))])
    with pytest.warns(UserWarning, match="epoch parameter"):
        lr_scheduler.ReduceLROnPlateau(optim.SGD([nn.Parameter(mg.zeros(1))], lr=0.1)).step(1.0, epoch=3)


def test_state_dict_equals_torchs(torch):
    opt, topt = _opt(mg), _opt(torch)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=2, cooldown=1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, patience=2, cooldown=1)
    for m in _metrics("min")[:40]:
        sched.step(m)
        tsched.step(m)
    ours, theirs = sched.state_dict(), tsched.state_dict()
    assert set(ours) == set(theirs)
    assert all(ours[k] == v for k, v in theirs.items())
    fresh = lr_scheduler.ReduceLROnPlateau(_opt(mg))
    fresh.load_state_dict(theirs)
    assert (fresh.best, fresh.num_bad_epochs, fresh.patience) == (tsched.best, tsched.num_bad_epochs, 2)
