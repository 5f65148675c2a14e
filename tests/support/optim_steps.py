"""One optimizer step of minigrad against one of torch.optim from the same state, with a bound from that step's
rounding: the exactness check of every optimizer and schedule trajectory against PyTorch."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import minigrad as mg

# Each step starts from torch's state (parameters, optimizer state, gradients), so what is compared is one step of
# the optimizer's own arithmetic, never rounding accumulated over a trajectory (which depends on the CPU and BLAS:
# torch's kernels fuse multiply-adds where NumPy does not). One step rounds each element at most ROUNDINGS times
# (the longest formula, Adam with weight decay, amsgrad and bias corrections, has about a dozen operations), each
# by eps of float64 relative to the terms it combines; every term of a step is bounded by |old| + |new| (a linear
# combination a*old + c*x has |c*x| <= |new| + |a*old|). Two subtractions can cancel and amplify that:
# g + weight_decay*p, by (|g| + wd|p|) / |g + wd p|, and centered RMSprop's square_avg - grad_avg**2, by
# (sa + ga**2) / (sa - ga**2).
EPS = float(np.finfo(np.float64).eps)
ROUNDINGS = 16


def _sync_from_torch(opt: Any, topt: Any, params: dict[str, Any], tparams: dict[str, Any], backend: str) -> dict:
    """Our parameters and optimizer state := torch's; returns torch's state before the step, as arrays."""
    for k in params:
        params[k].data = mg.tensor(tparams[k].detach().numpy().copy(), backend=backend)._data
    sd = topt.state_dict()
    state = {i: {key: v.numpy().copy() for key, v in s.items() if v is not None} for i, s in sd["state"].items()}
    opt.load_state_dict({"state": state, "param_groups": sd["param_groups"]})
    return state


def _one_step_bound(group: dict, grad: np.ndarray, p_old: np.ndarray, new_state: dict) -> np.ndarray:
    """Per element: how far two correct float64 implementations of this step may differ, relative to the scale
    |old| + |new| of the value compared (see the comment above)."""
    cond = np.ones_like(grad)
    wd = group.get("weight_decay", 0.0)
    if wd and not group.get("decoupled_weight_decay", False):  # decoupled decay scales p: no cancellation
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = (np.abs(grad) + wd * np.abs(p_old)) / np.abs(grad + wd * p_old)
    if group.get("centered"):
        sa, ga = new_state["square_avg"], new_state["grad_avg"]
        cond = cond * (sa + ga ** 2) / (sa - ga ** 2)
    return ROUNDINGS * EPS * np.nan_to_num(cond, nan=np.inf, posinf=np.inf)


def step_from_torchs_state(opt: Any, topt: Any, params: dict[str, Any], tparams: dict[str, Any],
                           tloss: Callable[[], Any], backend: str, where: str) -> None:
    """One step of `opt` (minigrad) and `topt` (torch.optim) from torch's state: our parameters (dict name ->
    Parameter) and optimizer state are set to torch's, both step with torch's gradients of `tloss()`, then the
    parameters and every state entry are compared within the bound above. `where` goes into the message."""
    old_state = _sync_from_torch(opt, topt, params, tparams, backend)
    topt.zero_grad()
    tloss().backward()
    old_p = {k: tparams[k].detach().numpy().copy() for k in params}
    for k in params:
        params[k].grad = mg.tensor(tparams[k].grad.numpy().copy(), backend=backend)
    opt.step()
    topt.step()
    ours = opt.state_dict()["state"]
    theirs = topt.state_dict()["state"]
    index = {id(p): i for i, p in enumerate(p for g in opt.param_groups for p in g["params"])}
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        for p, tp in zip(group["params"], tgroup["params"]):
            i, k = index[id(p)], next(k for k in params if params[k] is p)
            new = {key: v.detach().numpy().copy() for key, v in theirs.get(i, {}).items() if v is not None}
            bound = _one_step_bound(group, tp.grad.detach().numpy().copy(), old_p[k], new)
            pairs = [(k, p.detach().numpy().copy(), tp.detach().numpy(), old_p[k])]
            pairs += [(f"state {i}[{key!r}] of {k}", mg.tensor(ours[i][key]).detach().numpy().copy(), v,
                       old_state.get(i, {}).get(key, np.zeros_like(v)))
                      for key, v in new.items() if v.ndim]
            for what, a, b, old in pairs:
                allowed = bound * (np.abs(old) + np.abs(b))
                bad = ~(np.abs(a - b) <= allowed)
                assert not bad.any(), (f"{what} {where}: {a[bad]} vs torch's {b[bad]} "
                                       f"(one step's rounding allows {allowed[bad]})")
            for key, v in new.items():
                if not v.ndim:  # step counts
                    assert float(ours[i][key]) == v.item(), f"state {i}[{key!r}] {where}"
