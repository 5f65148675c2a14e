"""PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR against torch.optim.lr_scheduler: the
learning rates (and cycled momenta) of every step, exactly (the same float operations in the same order),
fractional epochs, state dict round trips, argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim
from minigrad import nn
from minigrad.optim import lr_scheduler


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.optim cross-checks are skipped")


def _opt(lib, kind="SGD"):
    """Two parameter groups with different learning rates, in minigrad or torch."""
    if lib is mg:
        a, b = nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3))
        ns = optim
    else:
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        ns = lib.optim
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}]
    if kind == "Adam":
        return ns.Adam(groups, lr=0.1)
    return ns.SGD(groups, lr=0.1, momentum=0.9)


class Sawtooth:
    """A callable object as CyclicLR's scale_fn: its attributes go into the state dict, as in PyTorch."""

    def __init__(self) -> None:
        self.period = 3

    def __call__(self, x: float) -> float:
        return 1.0 / (1 + x % self.period)


SCHEDULES = [
    ("PolynomialLR", dict(), "SGD"),
    ("PolynomialLR", dict(total_iters=40, power=2.0), "SGD"),
    ("PolynomialLR", dict(total_iters=25, power=0.5), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=10), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5), "SGD"),
    ("CyclicLR", dict(base_lr=[0.01, 0.001], max_lr=[0.2, 0.05], step_size_up=4, step_size_down=7,
                      mode="triangular2"), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.97), "Adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=Sawtooth(), scale_mode="iterations",
                      cycle_momentum=False), "SGD"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=70), "SGD"),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=7, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
                        base_momentum=0.8, max_momentum=0.9), "Adam"),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=70, three_phase=True, div_factor=10.0, final_div_factor=100.0),
     "SGD"),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=70, cycle_momentum=False), "SGD"),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(SCHEDULES)]


def _momenta(opt):
    return [g["betas"] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.parametrize("name, kwargs, kind", SCHEDULES, ids=IDS)
def test_sequence_equals_torch(torch, name, kwargs, kind):
    opt, topt = _opt(mg, kind), _opt(torch, kind)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert sched.get_last_lr() == tsched.get_last_lr()
    assert _momenta(opt) == _momenta(topt)
    for epoch in range(1, 70):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.last_epoch == tsched.last_epoch
        assert sched.get_last_lr() == tsched.get_last_lr(), f"epoch {epoch}"
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert _momenta(opt) == _momenta(topt), f"momentum at epoch {epoch}"


@pytest.mark.parametrize("name, kwargs, kind", SCHEDULES, ids=IDS)
def test_state_dict_resumes_the_schedule(name, kwargs, kind):
    """Save after 20 steps, load into a scheduler built fresh on a restored optimizer, continue: the same
    learning rates as the uninterrupted schedule (the state dict holds plain values, writable by mg.save)."""
    opt = _opt(mg, kind)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(20):
        opt.step()
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved
    opt2 = _opt(mg, kind)
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    for _ in range(30):
        opt.step()
        opt2.step()
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert _momenta(opt2) == _momenta(opt)


def test_warm_restarts_with_fractional_epochs_equals_torch(torch):
    """step(epoch + batch / batches) as PyTorch's documentation shows, with T_mult 2 (the log branch)."""
    opt, topt = _opt(mg), _opt(torch)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.001)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=2, T_mult=2, eta_min=0.001)
    for epoch in range(12):
        for batch in range(5):
            opt.step()
            topt.step()
            sched.step(epoch + batch / 5)
            tsched.step(epoch + batch / 5)
            assert sched.get_last_lr() == tsched.get_last_lr(), (epoch, batch)
            assert (sched.T_i, sched.T_cur, sched.last_epoch) == (tsched.T_i, tsched.T_cur, tsched.last_epoch)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_one_cycle_stops_after_total_steps():
    opt = _opt(mg)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(2):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.1 / 25 / 1e4, rel=1e-15)
    sched.step()  # PyTorch lets one step past the end through (it extrapolates the last phase)
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()


def test_one_cycle_drives_adam_beta1_in_training():
    """OneCycleLR writes beta1 into the group, and Adam's step reads it afresh each time."""
    w = nn.Parameter(mg.tensor(np.array([1.0, -2.0])))
    opt = optim.Adam([w], lr=0.1)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    seen = []
    for _ in range(9):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        sched.step()
        seen.append(opt.param_groups[0]["betas"][0])
    assert seen[0] < 0.95 and min(seen) == pytest.approx(0.85, abs=0.02) and seen[-1] > seen[3]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
         "Expected integer T_mult >= 1"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ValueError,
         "Expected float or int eta_min"),
        (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="square"), ValueError,
         "mode is invalid and scale_fn is None"),
        (lambda o: lr_scheduler.CyclicLR(o, [0.01], 0.1), ValueError,
         "base_lr must have the same length as optimizer.param_groups"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError, "either total_steps OR"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=0), ValueError, "positive integer total_steps"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0), ValueError,
         "positive integer steps_per_epoch"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=5, pct_start=1.5), ValueError,
         "Expected float between 0 and 1 pct_start"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=5, anneal_strategy="exp"), ValueError,
         "anneal_strategy must be one of 'cos' or 'linear'"),
        (lambda o: lr_scheduler.OneCycleLR(optim.Adagrad(o.param_groups[0]["params"]), 0.1, total_steps=5),
         ValueError, "optimizer must support momentum or beta1"),
        (lambda o: lr_scheduler.OneCycleLR(None, 0.1, total_steps=5), TypeError, "NoneType is not an Optimizer"),
    ],
)
def test_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(_opt(mg))


@pytest.mark.parametrize("name, kwargs, kind", SCHEDULES, ids=IDS)
def test_state_dict_has_torchs_keys_and_values(torch, name, kwargs, kind):
    """After 20 steps the state dict holds torch's keys with the same values (a custom scale_fn saved as its
    attributes in both), so a checkpoint converted from PyTorch loads as is."""
    opt, topt = _opt(mg, kind), _opt(torch, kind)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(20):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    ours, theirs = sched.state_dict(), tsched.state_dict()
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] == value, key
    fresh = getattr(lr_scheduler, name)(_opt(mg, kind), **kwargs)
    fresh.load_state_dict(theirs)
    assert fresh.get_last_lr() == tsched.get_last_lr() and fresh.last_epoch == tsched.last_epoch
