"""SequentialLR and ChainedScheduler against torch.optim.lr_scheduler: warm-up then decay, nested composites,
chained factors, state dicts, errors."""

from __future__ import annotations

import pytest

import minigrad as mg
from minigrad.optim import lr_scheduler

from test_lr_scheduler_cyclic import _opt, torch  # noqa: F401  (fixture)


def _sequential(lib, opt):
    ls = lib.optim.lr_scheduler if lib is not mg else lr_scheduler
    return ls.SequentialLR(opt, [ls.LinearLR(opt, start_factor=0.1, total_iters=5),
                                 ls.CosineAnnealingLR(opt, T_max=20, eta_min=0.001),
                                 ls.ExponentialLR(opt, gamma=0.9)], milestones=[5, 25])


def _chained(lib, opt):
    ls = lib.optim.lr_scheduler if lib is not mg else lr_scheduler
    return ls.ChainedScheduler([ls.ConstantLR(opt, factor=0.5, total_iters=4), ls.ExponentialLR(opt, gamma=0.95),
                                ls.StepLR(opt, step_size=7, gamma=0.5)])


def _restarts(lib, opt):
    """A scheduler restarted at its milestone: its second stretch starts from its own epoch 0 again."""
    ls = lib.optim.lr_scheduler if lib is not mg else lr_scheduler
    return ls.SequentialLR(opt, [ls.MultiStepLR(opt, milestones=[2, 4], gamma=0.5),
                                 ls.PolynomialLR(opt, total_iters=10, power=2.0),
                                 ls.StepLR(opt, step_size=3, gamma=0.7)], milestones=[6, 20])


BUILDERS = [_sequential, _chained, _restarts]


@pytest.mark.parametrize("build", BUILDERS, ids=["sequential", "chained", "restarts"])
def test_sequence_equals_torch(torch, build):
    opt, topt = _opt(mg), _opt(torch)
    sched, tsched = build(mg, opt), build(torch, topt)
    assert sched.get_last_lr() == tsched.get_last_lr()
    for epoch in range(1, 50):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == tsched.get_last_lr(), f"epoch {epoch}"
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("build", BUILDERS, ids=["sequential", "chained", "restarts"])
def test_state_dict_resumes(build):
    opt = _opt(mg)
    sched = build(mg, opt)
    for _ in range(12):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    assert isinstance(saved["_schedulers"], list) and all(isinstance(s, dict) for s in saved["_schedulers"])
    opt2 = _opt(mg)
    sched2 = build(mg, opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(saved)
    for _ in range(30):
        opt.step()
        opt2.step()
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_errors_name_the_problem():
    opt, other = _opt(mg), _opt(mg)
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        lr_scheduler.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 3)], milestones=[2])
    with pytest.raises(ValueError, match="to belong to the same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(other, 3)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="at index 0 should have `optimizer`"):
        lr_scheduler.ChainedScheduler([object()], optimizer=opt)
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        lr_scheduler.ChainedScheduler([])


@pytest.mark.parametrize("build", BUILDERS, ids=["sequential", "chained", "restarts"])
def test_state_dict_equals_torchs(torch, build):
    opt, topt = _opt(mg), _opt(torch)
    sched, tsched = build(mg, opt), build(torch, topt)
    for _ in range(9):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    ours, theirs = sched.state_dict(), tsched.state_dict()
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        if key == "_schedulers":
            for mine, their in zip(ours[key], value):
                assert set(mine) == set(their)
                assert all(mine[k] == v for k, v in their.items() if k != "milestones"), key
        else:
            assert ours[key] == value, key
