"""minigrad.optim.lr_scheduler: learning-rate sequences equal to torch.optim.lr_scheduler's (exactly, 60+ epochs,
two parameter groups, chained schedulers, closed forms), a training trajectory with a schedule, state dicts
and resuming, warnings and argument errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
from jit_harness import assert_jit_matches_eager
import minigrad.optim as optim
from minigrad import nn
from minigrad.optim import lr_scheduler
from optim_steps import step_from_torchs_state

EPOCHS = 70


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.optim cross-checks are skipped")


def _groups(lib):
    """Two groups with different learning rates over tiny parameters, in minigrad or torch."""
    if lib is mg:
        a, b = nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3))
        return optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1, momentum=0.9)
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1, momentum=0.9)


class Halve:
    """A callable object: its attributes go into LambdaLR's state dict, as in PyTorch."""

    def __init__(self) -> None:
        self.every = 7

    def __call__(self, epoch: int) -> float:
        return 0.5 ** (epoch // self.every)


SCHEDULES = [
    ("StepLR", dict(step_size=10)),
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 20, 20, 45], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=20)),  # 70 epochs: past T_max, back up, and down again
    ("CosineAnnealingLR", dict(T_max=33, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.97**e, Halve()])),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9 if e % 2 else 1.0, lambda e: 1.01])),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.75, total_iters=30)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=50)),
    ("ConstantLR", dict(factor=0.5, total_iters=12)),
    ("ConstantLR", dict()),  # the defaults: factor 1/3 for 5 epochs
    ("ConstantLR", dict(factor=0.25, total_iters=17)),  # the closed form at exactly total_iters (epoch 17 below)
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=IDS)
def test_lr_sequence_equals_torch(torch, name, kwargs):
    opt, topt = _groups(mg), _groups(torch)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert sched.last_epoch == tsched.last_epoch == 0
    assert sched.get_last_lr() == tsched.get_last_lr()  # the step at construction
    assert sched.base_lrs == tsched.base_lrs == [0.1, 0.03]
    for epoch in range(1, EPOCHS + 1):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.last_epoch == tsched.last_epoch == epoch
        assert sched.get_last_lr() == tsched.get_last_lr(), f"epoch {epoch}"  # exactly: the same float operations
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("name, kwargs", [s for s in SCHEDULES if s[0] not in ("LambdaLR", "MultiplicativeLR")],
                         ids=[i for i, s in zip(IDS, SCHEDULES) if s[0] not in ("LambdaLR", "MultiplicativeLR")])
def test_step_with_epoch_uses_the_closed_form_like_torch(torch, name, kwargs):
    opt, topt = _groups(mg), _groups(torch)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 17, 18, 40, 2, 65):
            opt.step()
            topt.step()
            tsched.step(epoch)
            with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
                sched.step(epoch)
            assert sched.last_epoch == epoch
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15, abs=0)


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=IDS)
def test_resuming_with_last_epoch_equals_torch(torch, name, kwargs):
    """A scheduler built with last_epoch=k (after a checkpoint restored "initial_lr" and "lr"): the same first step
    (CosineAnnealingLR takes its closed form there) and the same sequence after it as torch's."""
    opt, topt = _groups(mg), _groups(torch)
    for o in (opt, topt):
        for g, lr in zip(o.param_groups, (0.1, 0.03)):
            g["initial_lr"], g["lr"] = lr, lr * 0.6
    sched = getattr(lr_scheduler, name)(opt, last_epoch=9, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, last_epoch=9, **kwargs)
    assert sched.last_epoch == tsched.last_epoch == 10
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15, abs=0)
    for epoch in range(11, 41):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15, abs=0), f"epoch {epoch}"


@pytest.mark.parametrize("last_epoch", [-1, 0, 9])
def test_get_lr_called_directly_after_construction_equals_torch(torch, last_epoch):
    """Right after construction (one step taken) CosineAnnealingLR.get_lr() takes its closed form when resuming
    (last_epoch > 0) and the recursive form otherwise, as torch's does; the warning says to use get_last_lr()."""
    opt, topt = _groups(mg), _groups(torch)
    for o in (opt, topt):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"]
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01, last_epoch=last_epoch)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=7, eta_min=0.01, last_epoch=last_epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sched.get_lr() == pytest.approx(tsched.get_lr(), rel=1e-15, abs=0)


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_step_with_epoch_without_a_closed_form_uses_get_lr_like_torch(torch, name):
    opt, topt = _groups(mg), _groups(torch)
    sched = getattr(lr_scheduler, name)(opt, lr_lambda=lambda e: 0.9 ** e)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, lr_lambda=lambda e: 0.9 ** e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 8, 4):
            opt.step()
            topt.step()
            sched.step(epoch)
            tsched.step(epoch)
            assert sched.last_epoch == epoch
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15, abs=0)


def test_two_schedulers_chain_like_torch(torch):
    """Chainable forms: each scheduler multiplies the lr the other one left."""
    opt, topt = _groups(mg), _groups(torch)
    scheds = [lr_scheduler.ExponentialLR(opt, gamma=0.9), lr_scheduler.MultiStepLR(opt, milestones=[10, 30])]
    tscheds = [torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.9),
               torch.optim.lr_scheduler.MultiStepLR(topt, milestones=[10, 30])]
    for _ in range(50):
        opt.step()
        topt.step()
        for s, ts in zip(scheds, tscheds):
            s.step()
            ts.step()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
    assert scheds[1].get_last_lr() == tscheds[1].get_last_lr()


@pytest.mark.parametrize(
    "make_opt, make_sched",
    [
        (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9), lambda s, o: s.CosineAnnealingLR(o, T_max=25, eta_min=0.01)),
        (lambda o, p: o.AdamW(p, lr=0.05, weight_decay=0.1), lambda s, o: s.StepLR(o, step_size=8, gamma=0.5)),
        (lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.5), lambda s, o: s.ExponentialLR(o, gamma=0.95)),
        (lambda o, p: o.Adagrad(p, lr=0.2), lambda s, o: s.LinearLR(o, start_factor=0.1, total_iters=20)),
    ],
    ids=["SGD+Cosine", "AdamW+StepLR", "RMSprop+Exponential", "Adagrad+Linear"],
)
def test_training_with_a_schedule_matches_torch(torch, backend, make_opt, make_sched):
    """One optimizer step then one scheduler step per epoch, 60 epochs, float64: the same weights as torch."""
    rng = np.random.default_rng(5)
    w0, x, y = rng.standard_normal((2, 3)), rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    w = nn.Parameter(mg.tensor(w0, backend=backend))
    tw = torch.tensor(w0, requires_grad=True)
    xs, ys = mg.tensor(x, backend=backend), mg.tensor(y, backend=backend)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    opt, topt = make_opt(optim, [w]), make_opt(torch.optim, [tw])
    sched, tsched = make_sched(lr_scheduler, opt), make_sched(torch.optim.lr_scheduler, topt)
    for epoch in range(60):
        # each step from torch's state, within that step's rounding (tests/support/optim_steps.py): no tolerance
        # on rounding accumulated over the epochs, which depends on the CPU
        step_from_torchs_state(opt, topt, {"w": w}, {"w": tw}, lambda: ((tx @ tw.T - ty) ** 2).mean(), backend,
                               f"at epoch {epoch}")
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == tsched.get_last_lr()
    # our own forward and backward still train w the same way: one more step from the same state, by value
    opt.zero_grad()
    ((xs @ w.T - ys) ** 2).mean().backward()
    topt.zero_grad()
    ((tx @ tw.T - ty) ** 2).mean().backward()
    # the standard bound of a sum of n products, n*eps*sum|terms|, through (2/N) X^T (X W^T - Y)
    a_w = np.abs(tw.detach().numpy())
    scale = 2 / len(x) * np.abs(x).T @ (np.abs(x) @ a_w.T + np.abs(y))
    bound = (x.shape[1] + len(x) + 4) * np.finfo(np.float64).eps * scale.T
    assert np.all(np.abs(w.grad.detach().numpy().copy() - tw.grad.detach().numpy().copy()) <= bound)


# --------------------------------------------------------------------------- state dicts and resuming
@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=IDS)
def test_state_dict_resume_continues_the_schedule(name, kwargs):
    """Checkpoint optimizer + scheduler at epoch 15, rebuild both, load, go on: the same lrs as never stopping."""
    opt = _groups(mg)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    lrs = []
    for epoch in range(1, 41):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        if epoch == 15:
            opt_state, sched_state = opt.state_dict(), sched.state_dict()
    _check_plain(sched_state)
    opt2 = _groups(mg)
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)  # build the scheduler first, then load (PyTorch's order)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert sched2.last_epoch == 15 and sched2.get_last_lr() == lrs[14]
    for epoch in range(16, 41):
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == lrs[epoch - 1], f"epoch {epoch}"


def test_checkpoint_file_with_optimizer_and_scheduler(tmp_path):
    """Model, optimizer and scheduler in one mg.save file; resumed training equals the uninterrupted run."""
    def build():
        mg.manual_seed(1)
        mg.set_default_dtype(mg.float64)
        model = nn.Linear(3, 2)
        opt = optim.AdamW(model.parameters(), lr=0.05)
        return model, opt, lr_scheduler.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)

    rng = np.random.default_rng(0)
    x, y = mg.tensor(rng.standard_normal((8, 3))), mg.tensor(rng.standard_normal((8, 2)))

    def epochs(model, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
            sched.step()

    ref = build()
    epochs(*ref, 9)
    model, opt, sched = build()
    epochs(model, opt, sched, 4)
    mg.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict()},
            tmp_path / "ckpt.npz")
    model, opt, sched = build()
    ckpt = mg.load(tmp_path / "ckpt.npz")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optim"])
    sched.load_state_dict(ckpt["sched"])
    epochs(model, opt, sched, 5)
    assert sched.get_last_lr() == ref[2].get_last_lr() == [0.0125]
    for a, b in zip(model.parameters(), ref[0].parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _check_plain(value, where="state_dict"):
    """Only what a file format of nested plain values holds: str-keyed dicts, lists, numbers, bools, str, None."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), f"{where} has a non-str key {k!r}"
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
    else:
        assert value is None or isinstance(value, (bool, int, float, str)), f"{where} is a {type(value).__name__}"


def test_lambda_state_dict_saves_callable_objects_only():
    opt = _groups(mg)
    halve = Halve()
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, halve])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"every": 7}]
    halve2 = Halve()
    halve2.every = 3
    sched2 = lr_scheduler.LambdaLR(_groups(mg), [lambda e: 1.0, halve2])
    sched2.load_state_dict(state)
    assert halve2.every == 7 and sched2.last_epoch == 0
    assert "lr_lambdas" in state  # loading does not consume the caller's dict


def test_multistep_milestones_load_from_torch_counter_layout():
    opt = _groups(mg)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[3, 3, 8])
    assert sched.state_dict()["milestones"] == [3, 3, 8]
    sched.load_state_dict(dict(sched.state_dict(), milestones={"4": 1, "9": 2}))
    assert dict(sched.milestones) == {4: 1, 9: 2}


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = _groups(mg)
    with pytest.raises(KeyError) as info:
        lr_scheduler.StepLR(opt, step_size=3, last_epoch=5)
    assert info.value.args[0] == (
        "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0 "
        "(last_epoch=5): load the optimizer's state dict first, or start a fresh schedule with last_epoch=-1")
    lr_scheduler.StepLR(opt, step_size=3)  # records initial_lr
    for g in opt.param_groups:
        g["lr"] = g["initial_lr"] * 0.1  # as a loaded optimizer state at epoch 5 would hold
    sched = lr_scheduler.StepLR(opt, step_size=3, last_epoch=5)
    assert sched.last_epoch == 6 and sched.get_last_lr() == pytest.approx([0.001, 0.0003])


def test_multistep_state_without_milestones_keeps_the_current_ones():
    sched = lr_scheduler.MultiStepLR(_groups(mg), milestones=[3, 3, 8])
    state = sched.state_dict()
    del state["milestones"]
    sched.load_state_dict(state)
    assert dict(sched.milestones) == {3: 2, 8: 1}


# --------------------------------------------------------------------------- warnings and errors
def _one_warning(record) -> warnings.WarningMessage:
    """The single warning caught, which must point at the caller's line in this file (the stacklevel)."""
    assert len(record) == 1, [str(w.message) for w in record]
    assert record[0].category is UserWarning and record[0].filename == __file__
    return record[0]


def test_warnings_say_what_to_do_and_point_at_the_callers_line():
    opt = _groups(mg)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sched.step()
    assert str(_one_warning(record).message) == (
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. You should call them in the order "
        "`optimizer.step()`, then `lr_scheduler.step()`; the other order skips the first value of the learning "
        "rate schedule.")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sched.get_lr()
    assert str(_one_warning(record).message) == (
        "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sched.step(4)
    assert str(_one_warning(record).message) == lr_scheduler.EPOCH_DEPRECATION_WARNING

    opt2 = _groups(mg)
    sched2 = lr_scheduler.ExponentialLR(opt2, gamma=0.5)
    opt2.step = lambda closure=None: None  # replaced after the scheduler wrapped it
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sched2.step()
    assert str(_one_warning(record).message) == (
        "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. "
        "Please, make sure to call `optimizer.step()` before `lr_scheduler.step()`.")


def test_factor_bounds_are_inclusive_as_in_torch():
    assert lr_scheduler.ConstantLR(_groups(mg), factor=1.0).get_last_lr() == [0.1, 0.03]
    assert lr_scheduler.ConstantLR(_groups(mg), factor=0.0).get_last_lr() == [0.0, 0.0]
    assert lr_scheduler.LinearLR(_groups(mg), start_factor=1.0).get_last_lr() == [0.1, 0.03]
    with pytest.raises(ValueError) as info:
        lr_scheduler.LinearLR(_groups(mg), start_factor=1.5)
    assert str(info.value) == ("Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
                               "got start_factor=1.5.")


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _groups(mg)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = _groups(mg)
    sched2 = lr_scheduler.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()  # the right order: silent
        assert sched2.get_last_lr() == [0.1, 0.03]
    with pytest.warns(UserWarning, match="use `get_last_lr\\(\\)`"):
        sched2.get_lr()


def test_optimizer_step_is_wrapped_once_and_still_returns_the_closure_value():
    w = nn.Parameter(mg.ones(2))
    opt = optim.SGD([w], lr=0.1)
    lr_scheduler.StepLR(opt, step_size=2)
    lr_scheduler.ExponentialLR(opt, gamma=0.9)
    assert opt.step._wrapped_by_lr_sched and opt.step.__wrapped__ is optim.SGD.step

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 2.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8])


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: lr_scheduler.StepLR("sgd", step_size=1), TypeError, "str is not an Optimizer"),
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
        (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0, 0.5]), TypeError,
         "lr_lambda should be a function, but got float"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), ValueError, "Starting multiplicative factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
        (lambda o: lr_scheduler.ConstantLR(o, factor=2.0), ValueError, "between 0 and 1, got factor=2.0"),
    ],
)
def test_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(_groups(mg))


def test_import_paths():
    import minigrad.optim.lr_scheduler as ls

    assert mg.optim.lr_scheduler.StepLR is ls.StepLR is optim.lr_scheduler.StepLR
    assert issubclass(ls.CosineAnnealingLR, ls.LRScheduler)
    assert optim.SGD is mg.optim.sgd.SGD and optim.AdamW is mg.optim.adam.AdamW


@pytest.mark.parametrize("graphs", [None, "graphs"], ids=["replay", "graph-replay"])
def test_schedule_drives_a_jitted_step(backend, graphs):
    """The scheduler writes Python floats into the groups and the jitted step reads them live on every
    replay: the same losses and weights as eager, bit for bit, while the lr changes every epoch."""
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.standard_normal((8, 3)), backend=backend)
    t = mg.tensor(rng.standard_normal((8, 1)), backend=backend)
    lrs = []

    def build():
        mg.manual_seed(0)
        mg.set_default_dtype(mg.float64)
        model = nn.Linear(3, 1).to(backend)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
        lrs.clear()

        def step(x, t):
            opt.zero_grad()
            loss = mg.nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            return loss

        def between(i):
            if i and i % 3 == 0:  # an epoch of three steps
                sched.step()
                lrs.append(sched.get_last_lr()[0])
        return step, lambda i: (x, t), lambda: [model.weight, model.bias], between
    mode = ("cuda" if backend == "cupy" else "emulate") if graphs else None
    assert_jit_matches_eager(build, calls=24, graphs=mode)
    assert len(set(lrs)) > 4  # the lr really changed


def test_a_tensor_lr_is_updated_in_place(torch):
    """A tensor lr keeps its identity: the scheduler fills it, as torch's does."""
    lr = mg.tensor(0.1, dtype=mg.float64)
    opt = optim.SGD([nn.Parameter(mg.zeros(2))], lr=lr)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    t_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=torch.tensor(0.1, dtype=torch.float64))
    t_sched = torch.optim.lr_scheduler.StepLR(t_opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.step(), sched.step(), t_opt.step(), t_sched.step()
        assert opt.param_groups[0]["lr"] is lr and lr.item() == t_opt.param_groups[0]["lr"].item()
    assert lr.item() == 0.1 * 0.5 ** 3


def test_one_cycle_resumes_from_last_epoch(torch):
    """OneCycleLR built with last_epoch=k on an optimizer that already holds its initial/max/min lr continues the
    schedule at step k + 1 (torch's resume), instead of starting over."""
    def run(lib, opt_mod, sched_mod):
        opt = opt_mod.SGD([nn.Parameter(mg.zeros(2)) if lib is mg else torch.zeros(2, requires_grad=True)], lr=0.1)
        first = sched_mod.OneCycleLR(opt, max_lr=1.0, total_steps=20)
        for _ in range(5):
            opt.step(), first.step()
        resumed = sched_mod.OneCycleLR(opt, max_lr=1.0, total_steps=20, last_epoch=first.last_epoch)
        lrs = []
        for _ in range(5):
            opt.step(), resumed.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs

    ours = run(mg, optim, lr_scheduler)
    assert ours == pytest.approx(run(torch, torch.optim, torch.optim.lr_scheduler), rel=1e-12, abs=0)


def test_chaining_one_scheduler_and_naming_the_chain_in_errors():
    opt = optim.SGD([nn.Parameter(mg.zeros(2))], lr=0.1)
    chain = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, gamma=0.5)])
    opt.step()
    chain.step()
    assert chain.get_last_lr() == [0.05]
    other = optim.SGD([nn.Parameter(mg.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="^ChainedScheduler expects all schedulers to belong to the same optimizer"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, gamma=0.5),
                                       lr_scheduler.ExponentialLR(other, gamma=0.5)])
