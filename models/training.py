"""The training loop of the notebook network: plain gradient descent until E < threshold.

One step function (forward, loss, backward, ``opt.step()``) is called through ``mg.jit`` by default, so after
the warm-up calls the step replays a recorded array program; ``jit=False`` runs it eagerly. Both give the same
numbers: in float64 the notebook network converges after 262,941 updates either way.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import minigrad as mg
import minigrad.nn as nn
from models.assignment_net import loss_fn


def make_step(model: nn.Module, opt: Any) -> Callable[[mg.Tensor, mg.Tensor], tuple[mg.Tensor, mg.Tensor]]:
    """The training step as one function of (x, target) -> (E, O): zero_grad, forward, loss, backward,
    ``opt.step()``. E and O are those of the weights *before* the update. Everything it touches besides
    (x, target) (the parameters, the optimizer) is state that ``mg.jit`` captures by reference."""
    def step(x: mg.Tensor, target: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(model, out, target)
        loss.backward()
        opt.step()
        return loss.detach(), out.detach()

    return step


def _progress_bar(total: int, enabled: bool) -> Any:
    """A tqdm bar, or None when disabled or tqdm is missing (training does not need it)."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="step", dynamic_ncols=True, mininterval=0.5)


def train(model: nn.Module, x: mg.Tensor, target: mg.Tensor, lr: float = 0.01, threshold: float = 1e-4,
          max_steps: int = 1_000_000, progress: bool = False, record: bool = False,
          bar_every: int = 1000, jit: bool = True) -> dict[str, Any]:
    """Plain gradient descent (mg.optim.SGD) until E < threshold, checking E before each update (as the notebook).

    `steps` is the number of updates applied before the forward pass whose E is reported: below the threshold
    when converged, else after `max_steps` updates (or the first non-finite E); the model is left with exactly
    those weights. `record` keeps every E (for --plot). `jit` runs the step through ``mg.jit`` (eagerly when
    False). Returns steps, loss, outputs [O1, O2], converged, diverged, jit, seconds, steps_per_second, history.
    """
    params = list(model.parameters())
    opt = mg.optim.SGD(params, lr=lr)
    step = make_step(model, opt)
    run = mg.jit(step) if jit else step
    # The notebook checks E before it updates, but one call of the step computes E *and* updates. So the
    # weights are copied (3 tiny array copies, outside the jitted step) before each call and put back when E
    # says the run should have stopped: the model ends with exactly the weights whose E is reported.
    snapshot = [p.detach().clone() for p in params]
    history: list[float] | None = [] if record else None
    bar = _progress_bar(max_steps, progress)
    steps = 0
    start = time.perf_counter()
    # The hot path: one step call and one float read of E (the only host sync, needed for the stop test).
    # The bar is touched every `bar_every` steps.
    while True:
        if steps >= max_steps:
            with mg.no_grad():  # no update follows: a forward pass is enough
                out = model(x)
                e = loss_fn(model, out, target).item()
            if history is not None:
                history.append(e)
            break
        with mg.no_grad():  # the copy records nothing
            for s, p in zip(snapshot, params):
                s.copy_(p)
        loss, out = run(x, target)
        e = loss.item()
        if history is not None:
            history.append(e)
        if e < threshold or not math.isfinite(e):
            with mg.no_grad():  # the step already applied one update too many: put the checked weights back
                for p, s in zip(params, snapshot):
                    p.copy_(s)
            break
        steps += 1
        if bar is not None and steps % bar_every == 0:
            bar.set_postfix_str(f"E={e:.3e}", refresh=False)
            bar.update(bar_every)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.set_postfix_str(f"E={e:.3e}", refresh=False)
        bar.update(steps - bar.n)
        bar.close()
    return {"steps": steps, "loss": e, "outputs": [float(v) for v in out.tolist()[0]],
            "converged": e < threshold, "diverged": not math.isfinite(e), "jit": bool(jit), "seconds": seconds,
            "steps_per_second": steps / seconds if seconds > 0 else float("nan"), "history": history}
