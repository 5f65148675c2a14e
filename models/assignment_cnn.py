"""The assignment notebook's tiny CNN, built and trained with minigrad.

Network (shapes for the single 5x5 input, batch 1, channel 1)::

    x (1,1,5,5) -> conv 2x2, stride 1, no bias -> feature_map (1,1,4,4)
      -> max pool 2x2 stride 2 -> pooled (1,1,2,2) -> flatten (1,4) -> sigmoid = s
      -> Linear(4,2, no bias), sigmoid = H = (H1, H2)   weight rows: w1..w4, w5..w8
      -> Linear(2,2, no bias), sigmoid = O = (O1, O2)   weight: [[w9, w10], [w11, w12]]
    E = (O1 - t1)^2 + (O2 - t2)^2 = mse_loss(O, t, reduction="sum"),  t = (0, 1)

Weights come from NumPy's legacy RandomState(seed).randn in the notebook's order (w_conv 2x2, w1-w4, w5-w8,
w9-w12), so seed 0 reproduces the notebook's first forward pass to the last digit. Training is plain gradient
descent (mg.optim.SGD, lr 0.01) until E < 1e-4, checking E before each update as the notebook does.

`--variant pytorch` is the notebook's second model (SimpleCNNPyTorch): ReLU after a conv with bias, biases in
both linear layers, mean MSE, PyTorch-style init drawn from mg.manual_seed(--seed).

`--trace` prints the first forward and backward pass in the notebook's terms (gradients of intermediates come
from autograd via retain_grad); `--audit` checks the notebook's hand-derived first backward pass against
minigrad's autograd and central finite differences, and explains each wrong row.

Run `python models/assignment_cnn.py --help` for all flags. Everything goes through the `backend` argument, so
`--backend cupy` runs the same code on a GPU.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.backend import get_backend

# ----------------------------------------------------------------------------------------------------------
# The notebook's data
# ----------------------------------------------------------------------------------------------------------

INPUT_5X5 = np.array([
    [0.51, 0.90, 0.88, 0.84, 0.05],
    [0.40, 0.62, 0.22, 0.59, 0.10],
    [0.11, 0.20, 0.74, 0.33, 0.14],
    [0.47, 0.01, 0.85, 0.70, 0.09],
    [0.76, 0.19, 0.72, 0.17, 0.57],
])
TARGETS = (0.0, 1.0)
NOTEBOOK_MANUAL_LR = 0.001  # learning rate of the notebook's hand-worked passes (its training run uses 0.01)

# The notebook's FIRST forward pass, as printed (cells 3-9). A correct float64 forward reproduces these.
NOTEBOOK_FIRST_FORWARD: dict[str, Any] = {
    "feature_map": [[3.04065716, 3.03959951, 3.42594746, 2.30335656],
                    [1.50955823, 3.0357556, 2.08794513, 1.71751519],
                    [0.75649298, 2.5634734, 3.83800314, 1.52495626],
                    [2.00271675, 2.15717747, 2.86519773, 2.71454537]],   # printed to 8 decimals
    "pooled": [[3.04065716, 3.42594746], [2.5634734, 3.83800314]],      # printed to 8 decimals
    "sigmoid_features": [0.95437745, 0.96850569, 0.92847347, 0.97891748],  # printed to 8 decimals
    "H1": 0.8277581918035074,
    "H2": 0.8648898321761768,
    "O1": 0.6759432999019798,
    "O2": 0.6583619381178293,
    "E1": 0.45689934468237775,
    "E2": 0.1167165653266059,
    "E": 0.5736159100089837,
}

# The notebook's FIRST backward pass, as printed (cells 10-12), copied as text so the printed precision is
# kept. DATA TO COMPARE AGAINST, NOT TRUTH: several of these are wrong (see --audit).
NOTEBOOK_FIRST_BACKWARD: list[tuple[str, str]] = [
    ("grad_w9", "0.24511789785387136"),
    ("grad_w10", "-0.12278436404679686"),
    ("grad_w11", "0.24514845617318098"),
    ("grad_w12", "-0.13291928641939774"),
    ("dE/dH1", "0.35323638354339076"),
    ("dE/dH2", "-0.06905569216708796"),
    ("grad_w1", "0.048064857946680715"),
    ("grad_w2", "0.04877639171724259"),
    ("grad_w3", "0.046760268132586026"),
    ("grad_w4", "0.0493007558027989"),
    ("grad_w5", "-0.007701378664579531"),
    ("grad_w6", "-0.007815386928284625"),
    ("grad_w7", "-0.0074923456914364065"),
    ("grad_w8", "-0.00789940520179029"),
    ("grad_w_conv[0,0]", "0.00102128"),  # numpy-printed to 8 decimals
    ("grad_w_conv[0,1]", "0.00453462"),
    ("grad_w_conv[1,0]", "0.00099141"),
    ("grad_w_conv[1,1]", "0.00397162"),
]
NOTEBOOK_STEPS = 364_024  # "Convergence reached at iteration 364024" (SimpleCNN.fit, lr 0.01, E < 1e-4)


def notebook_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """The notebook's init: legacy RandomState(seed).randn drawn as w_conv (2,2), w1-w4, w5-w8, w9-w12.

    Returns float64 arrays shaped for minigrad's layers: conv (1,1,2,2), hidden (2,4) with rows w1..w4 and
    w5..w8, out (2,2) = [[w9, w10], [w11, w12]].
    """
    rs = np.random.RandomState(seed)
    w_conv = rs.randn(2, 2)
    w1_4, w5_8, w9_12 = rs.randn(4), rs.randn(4), rs.randn(4)
    return {"conv.weight": w_conv.reshape(1, 1, 2, 2),
            "hidden.weight": np.stack([w1_4, w5_8]),
            "out.weight": w9_12.reshape(2, 2)}


# ----------------------------------------------------------------------------------------------------------
# The models
# ----------------------------------------------------------------------------------------------------------

class AssignmentCNN(nn.Module):
    """The notebook's hand-worked network. Input (1,1,5,5) -> output O (1,2); loss: sum of squared errors."""

    loss_reduction = "sum"

    def __init__(self, seed: int = 0, dtype: Any = mg.float64, backend: str = "numpy") -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2, bias=False, dtype=dtype, backend=backend)
        self.pool = nn.MaxPool2d(2)
        self.hidden = nn.Linear(4, 2, bias=False, dtype=dtype, backend=backend)
        self.out = nn.Linear(2, 2, bias=False, dtype=dtype, backend=backend)
        # The notebook's RandomState draws replace the layers' default init (cast to dtype, moved to backend).
        self.load_state_dict(notebook_weights(seed))

    def forward(self, x: mg.Tensor, keep: dict[str, mg.Tensor] | None = None) -> mg.Tensor:
        """x (1,1,5,5) -> O (1,2). If `keep` is a dict, the named intermediates are stored in it (for --trace)."""
        feature_map = self.conv(x)                     # (1,1,4,4)
        pooled = self.pool(feature_map)                # (1,1,2,2)
        flat = pooled.flatten(1)                       # (1,4)
        s = F.sigmoid(flat)                            # (1,4)
        h = F.sigmoid(self.hidden(s))                  # (1,2) = H1, H2
        o = self.head(h)                               # (1,2) = O1, O2
        if keep is not None:
            keep.update(feature_map=feature_map, pooled=pooled, flat=flat, s=s, H=h, O=o)
        return o

    def head(self, h: mg.Tensor) -> mg.Tensor:
        """The output layer alone: H (1,2) -> O (1,2); used to differentiate E numerically w.r.t. H."""
        return F.sigmoid(self.out(h))


class PyTorchVariantCNN(nn.Module):
    """The notebook's SimpleCNNPyTorch: conv (bias) -> ReLU -> max pool -> flatten -> sigmoid -> Linear(4,2) ->
    sigmoid -> Linear(2,2) -> sigmoid; mean MSE. Init: PyTorch's default formulas from mg.manual_seed."""

    loss_reduction = "mean"

    def __init__(self, seed: int = 0, dtype: Any = mg.float64, backend: str = "numpy") -> None:
        super().__init__()
        mg.manual_seed(seed)  # PyTorch-style init, drawn on the host: the same numbers on every backend
        self.conv1 = nn.Conv2d(1, 1, kernel_size=2, stride=1, dtype=dtype, backend=backend)
        self.hidden = nn.Linear(4, 2, dtype=dtype, backend=backend)
        self.out = nn.Linear(2, 2, dtype=dtype, backend=backend)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        """x (1,1,5,5) -> (1,2)."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.sigmoid(x.flatten(1))
        x = F.sigmoid(self.hidden(x))
        return F.sigmoid(self.out(x))


VARIANTS = {"notebook": AssignmentCNN, "pytorch": PyTorchVariantCNN}


def build(variant: str = "notebook", seed: int = 0, dtype: Any = mg.float64,
          backend: str = "numpy") -> tuple[nn.Module, mg.Tensor, mg.Tensor]:
    """The model, the input x (1,1,5,5) and the target (1,2), all on `backend` in `dtype`."""
    model = VARIANTS[variant](seed=seed, dtype=dtype, backend=backend)
    x = mg.tensor(INPUT_5X5.reshape(1, 1, 5, 5), dtype=dtype, backend=backend)
    target = mg.tensor([list(TARGETS)], dtype=dtype, backend=backend)
    return model, x, target


def loss_fn(model: nn.Module, out: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
    """E for the variant: sum of squared errors (notebook) or their mean (pytorch variant)."""
    return F.mse_loss(out, target, reduction=model.loss_reduction)


# ----------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------

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
          bar_every: int = 1000) -> dict[str, Any]:
    """Plain gradient descent until E < threshold, checking E before each update (as the notebook does).

    `steps` is the number of updates applied before the forward pass whose E is reported: below the threshold
    when converged, else after `max_steps` updates (or the first non-finite E). `record` keeps every E (for
    --plot). Returns steps, loss, outputs [O1, O2], converged, diverged, seconds, steps_per_second, history.
    """
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    history: list[float] | None = [] if record else None
    bar = _progress_bar(max_steps, progress)
    steps = 0
    start = time.perf_counter()
    # The hot path: one forward, one float read of E (the only host sync, needed for the stop test), one
    # backward, one update. Nothing else runs per step; the bar is touched every `bar_every` steps.
    while True:
        out = model(x)
        loss = loss_fn(model, out, target)
        e = loss.item()
        if history is not None:
            history.append(e)
        if e < threshold or steps >= max_steps or not math.isfinite(e):
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
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
            "converged": e < threshold, "diverged": not math.isfinite(e), "seconds": seconds,
            "steps_per_second": steps / seconds if seconds > 0 else float("nan"), "history": history}


# ----------------------------------------------------------------------------------------------------------
# --trace: the first forward and backward pass in the notebook's terms
# ----------------------------------------------------------------------------------------------------------

def first_pass(model: AssignmentCNN, x: mg.Tensor, target: mg.Tensor) -> dict[str, Any]:
    """One forward + backward of the notebook network with every intermediate's gradient kept (retain_grad).

    Returns the intermediate tensors (feature_map, pooled, flat, s, H, O), the loss tensor E and E1, E2 as
    floats; after it, the parameters' .grad hold dE/dw and each intermediate's .grad holds dE/d(it).
    """
    keep: dict[str, mg.Tensor] = {}
    out = model(x, keep=keep)
    for t in keep.values():
        t.retain_grad()
    loss = loss_fn(model, out, target)
    with mg.no_grad():
        e12 = F.mse_loss(out, target, reduction="none").tolist()[0]
    model.zero_grad()
    loss.backward()
    return {**keep, "E": loss, "E1": float(e12[0]), "E2": float(e12[1])}


def forward_check(fp: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(name, minigrad, notebook, tolerance) for every value of the notebook's first forward pass.

    Scalars were printed in full (repr), so they must match to 1e-12; arrays were printed by NumPy to 8
    decimals, so they can only match to half a unit in the 8th decimal.
    """
    ours = {"feature_map": fp["feature_map"].numpy().reshape(4, 4), "pooled": fp["pooled"].numpy().reshape(2, 2),
            "sigmoid_features": fp["s"].numpy().reshape(4)}
    h, o = fp["H"].numpy().reshape(2), fp["O"].numpy().reshape(2)
    ours.update(H1=h[0], H2=h[1], O1=o[0], O2=o[1], E1=fp["E1"], E2=fp["E2"], E=fp["E"].item())
    rows = []
    for name, nb in NOTEBOOK_FIRST_FORWARD.items():
        nb = np.asarray(nb, dtype=np.float64)
        tol = 5e-9 + 1e-12 if nb.ndim else 1e-12
        for idx, v in np.ndenumerate(np.asarray(ours[name], dtype=np.float64)):
            rows.append((name + (str(list(idx)) if idx else ""), float(v), float(nb[idx]), tol))
    return rows


def _arr(t: mg.Tensor) -> str:
    return np.array2string(np.asarray(t.numpy(), dtype=np.float64), precision=8, suppress_small=False)


def trace(model: AssignmentCNN, x: mg.Tensor, target: mg.Tensor, lr: float, compare: bool = True) -> str:
    """The first forward and backward pass and the updated weights, as text. `compare` adds the check against
    the notebook's printed forward values (meaningful for seed 0 and the notebook's input only)."""
    fp = first_pass(model, x, target)
    w = {n: p.numpy() for n, p in model.named_parameters()}
    wc, w1, w2 = w["conv.weight"].reshape(2, 2), w["hidden.weight"], w["out.weight"]
    g = {n: p.grad.numpy() for n, p in model.named_parameters()}
    h, o = fp["H"].numpy().reshape(2), fp["O"].numpy().reshape(2)
    dh, do = fp["H"].grad.numpy().reshape(2), fp["O"].grad.numpy().reshape(2)
    t1, t2 = TARGETS
    lines = ["== First forward pass ==",
             f"weights: w_conv =\n{np.array2string(wc, precision=8)}"]
    lines += [f"  w{i + 1} = {v!r}" for i, v in enumerate(np.concatenate([w1.ravel(), w2.ravel()]).tolist())]
    lines += [f"feature_map (conv 2x2, stride 1, no bias) =\n{_arr(fp['feature_map'].reshape(4, 4))}",
              f"pooled_feature_map (max pool 2x2) =\n{_arr(fp['pooled'].reshape(2, 2))}",
              f"flattened_features = {_arr(fp['flat'].reshape(4))}",
              f"sigmoid_features   = {_arr(fp['s'].reshape(4))}",
              f"H1 = {float(h[0])!r}", f"H2 = {float(h[1])!r}",
              f"O1 = {float(o[0])!r}", f"O2 = {float(o[1])!r}",
              f"E1 = (O1 - {t1:g})^2 = {fp['E1']!r}", f"E2 = (O2 - {t2:g})^2 = {fp['E2']!r}",
              f"E  = E1 + E2 = {fp['E'].item()!r}"]
    if compare:
        rows = forward_check(fp)
        bad = [r[0] for r in rows if abs(r[1] - r[2]) > r[3]]
        worst = max(abs(a - b) for _, a, b, tol in rows if tol < 1e-9)
        lines.append(f"notebook check: {len(rows) - len(bad)}/{len(rows)} printed values reproduced (scalars to "
                     f"{worst:.1e}, arrays to their 8 printed decimals)" + (f"; MISMATCH: {bad}" if bad else ""))
    lines += ["", "== First backward pass (autograd; intermediates via retain_grad) ==",
              f"dE/dO1 = {float(do[0])!r}   (= 2(O1 - t1))", f"dE/dO2 = {float(do[1])!r}   (= 2(O2 - t2))",
              f"dE/dH1 = {float(dh[0])!r}", f"dE/dH2 = {float(dh[1])!r}",
              f"grad_sigmoid_features   = {_arr(fp['s'].grad.reshape(4))}",
              f"grad_flattened_features = {_arr(fp['flat'].grad.reshape(4))}",
              f"grad_feature_map =\n{_arr(fp['feature_map'].grad.reshape(4, 4))}"]
    gw = np.concatenate([g["hidden.weight"].ravel(), g["out.weight"].ravel()])
    lines += [f"grad_w{i + 1} = {float(v)!r}" for i, v in enumerate(gw)]
    lines.append(f"grad_w_conv =\n{np.array2string(g['conv.weight'].reshape(2, 2), precision=8)}")
    mg.optim.SGD(model.parameters(), lr=lr).step()
    nw = np.concatenate([model.hidden.weight.numpy().ravel(), model.out.weight.numpy().ravel()])
    lines += ["", f"== Updated weights (one gradient-descent step, lr = {lr:g}) ==",
              f"w_conv =\n{np.array2string(model.conv.weight.numpy().reshape(2, 2), precision=8)}"]
    lines += [f"w{i + 1} = {float(v)!r}" for i, v in enumerate(nw)]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# --audit: the notebook's first backward pass vs autograd vs finite differences
# ----------------------------------------------------------------------------------------------------------

def notebook_first_backward(w: dict[str, np.ndarray], fm: np.ndarray, s: np.ndarray, h: np.ndarray,
                            o: np.ndarray, updated: bool = True) -> dict[str, float]:
    """The notebook's hand-derived formulas of cells 10-12, re-evaluated (host NumPy, float64).

    Used only to EXPLAIN its printed numbers, never as truth. `w` holds the weights as notebook_weights() shapes
    them, fm (4,4), s (4,), h = (H1, H2), o = (O1, O2) are the forward values. In the notebook `w_9_to_12` and
    `weights['w_9_to_12']` are one array, updated in place (lr 0.001) before dE/dH is computed, and likewise
    w1-w8 before the conv gradient; `updated=False` evaluates the same formulas with the original weights.
    """
    (t1, t2), lr = TARGETS, NOTEBOOK_MANUAL_LR
    (h1, h2), (o1, o2) = h, o
    d1, d2 = o1 * (1 - o1), o2 * (1 - o2)
    g = {"grad_w9": 2 * (o1 - t1) * d1 * h1,
         "grad_w10": 2 * (o1 - t2) * d1 * h2,   # O1 paired with t2
         "grad_w11": 2 * (o2 - t1) * d2 * h1,   # O2 paired with t1
         "grad_w12": 2 * (o2 - t2) * d2 * h2}
    w9, w10, w11, w12 = w["out.weight"].ravel() - (lr * np.array([g[f"grad_w{i}"] for i in (9, 10, 11, 12)])
                                                   if updated else 0.0)
    g["dE/dH1"] = (2 * (o1 - t1) * w9 + 2 * (o2 - t1) * w11) * d1
    g["dE/dH2"] = (2 * (o1 - t2) * w10 + 2 * (o2 - t2) * w12) * d2
    g1_4 = g["dE/dH1"] * h1 * (1 - h1) * s
    g5_8 = g["dE/dH2"] * h2 * (1 - h2) * s
    g.update({f"grad_w{i + 1}": v for i, v in enumerate(np.concatenate([g1_4, g5_8]))})
    w1_4, w5_8 = w["hidden.weight"] - (lr * np.stack([g1_4, g5_8]) if updated else 0.0)
    grad_s = w1_4 * g["dE/dH1"] * h1 * (1 - h1) + w5_8 * g["dE/dH2"] * h2 * (1 - h2)
    grad_flat = grad_s * s * (1 - s)
    grad_fm = np.zeros((4, 4))
    for k in range(4):  # route each window's gradient to its first maximum, as the notebook's argmax does
        i, j = divmod(k, 2)
        r, c = divmod(int(np.argmax(fm[2 * i:2 * i + 2, 2 * j:2 * j + 2])), 2)
        grad_fm[2 * i + r, 2 * j + c] = grad_flat[k]
    for i in range(2):
        for j in range(2):
            g[f"grad_w_conv[{i},{j}]"] = float(np.sum(INPUT_5X5[i:i + 4, j:j + 4] * grad_fm))
    return {k: float(v) for k, v in g.items()}


# What the notebook did for each row it got wrong, and the correct chain rule (E = sum of squared errors).
_WHY = {
    "grad_w10": "used 2(O1 - t2)*O1(1-O1)*H2: pairs O1 with target t2. w10 feeds O1 only, so the correct "
                "gradient is 2(O1 - t1)*O1(1-O1)*H2.",
    "grad_w11": "used 2(O2 - t1)*O2(1-O2)*H1: pairs O2 with target t1. w11 feeds O2 only, so the correct "
                "gradient is 2(O2 - t2)*O2(1-O2)*H1.",
    "dE/dH1": "used [2(O1-t1)*w9 + 2(O2-t1)*w11]*O1(1-O1): pairs O2 with t1, applies O1's sigmoid slope to O2's "
              "term, and reads w9, w11 after the update (the dict and the variable alias one array). Correct: "
              "2(O1-t1)*O1(1-O1)*w9 + 2(O2-t2)*O2(1-O2)*w11 with the weights of the forward pass.",
    "dE/dH2": "used [2(O1-t2)*w10 + 2(O2-t2)*w12]*O2(1-O2): pairs O1 with t2, applies O2's sigmoid slope to O1's "
              "term, and reads w10, w12 after the update. Correct: "
              "2(O1-t1)*O1(1-O1)*w10 + 2(O2-t2)*O2(1-O2)*w12.",
    "w1-4": "dE/dH1*H1(1-H1)*s_i is the right chain rule, but it inherits the notebook's wrong dE/dH1.",
    "w5-8": "dE/dH2*H2(1-H2)*s_i is the right chain rule, but it inherits the notebook's wrong dE/dH2.",
    "conv": "the pooling/conv backward is right, but it inherits the wrong dE/dH1, dE/dH2 and backpropagates "
            "through w1-w8 already updated.",
}

LOSS_NOTE = ("Loss convention: the notebook's E = (O1-t1)^2 + (O2-t2)^2 is a plain sum (its text says 'MSE', but "
             "there is neither a 1/n nor a 1/2), and it differentiates it as dE/dO = 2(O - t), which is consistent. "
             "minigrad's mse_loss(reduction='sum') is the same E, so the rows the notebook got right agree to the "
             "last printed digit.")


def _printed_tol(text: str) -> float:
    """Tolerance for comparing with a number printed as `text`: half a unit in its last printed decimal, plus
    1e-10 for rounding differences between two float64 evaluations of the same maths in another order."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** -decimals + 1e-10


def _fd_param(model: nn.Module, x: mg.Tensor, target: mg.Tensor, p: mg.Tensor, index: tuple[int, ...],
              eps: float) -> float:
    """Central difference of E w.r.t. one entry of parameter p (perturbs p.data, then restores it)."""
    orig = p.data
    vals = []
    for sign in (1.0, -1.0):
        pert = orig.copy()
        pert[index] += sign * eps
        p.data = pert
        with mg.no_grad():
            vals.append(loss_fn(model, model(x), target).item())
    p.data = orig
    return (vals[0] - vals[1]) / (2 * eps)


def _fd_hidden(model: AssignmentCNN, h: mg.Tensor, target: mg.Tensor, j: int, eps: float) -> float:
    """Central difference of E w.r.t. the intermediate H_j: perturb H and rerun only the output layer."""
    vals = []
    for sign in (1.0, -1.0):
        hp = h.detach().clone()
        hp.data[0, j] += sign * eps
        with mg.no_grad():
            vals.append(loss_fn(model, model.head(hp), target).item())
    return (vals[0] - vals[1]) / (2 * eps)


def audit(backend: str = "numpy", eps: float = 1e-6, fd_atol: float = 1e-8, fd_rtol: float = 1e-6) -> dict[str, Any]:
    """Audit the notebook's first backward pass (seed 0, float64).

    For each row: the notebook's printed value, minigrad's autograd value, a central finite difference (the
    weight, or the intermediate H, perturbed by +-eps), whether autograd and FD agree (|ag - fd| <= fd_atol +
    fd_rtol*|fd|), and the verdict on the notebook (|notebook - autograd| within half a unit of its last printed
    decimal). For each wrong row: the notebook's own formula re-evaluated, to show it reproduces the printed
    number. Returns {"rows": [...], "loss_note": str, "fd_agrees": bool, "wrong": [names]}.
    """
    model, x, target = build("notebook", 0, mg.float64, backend)
    fp = first_pass(model, x, target)
    ag = {f"grad_w{9 + k}": v for k, v in enumerate(model.out.weight.grad.numpy().ravel())}
    ag.update({f"dE/dH{j + 1}": v for j, v in enumerate(fp["H"].grad.numpy().ravel())})
    ag.update({f"grad_w{1 + k}": v for k, v in enumerate(model.hidden.weight.grad.numpy().ravel())})
    ag.update({f"grad_w_conv[{i},{j}]": model.conv.weight.grad.numpy()[0, 0, i, j] for i in range(2) for j in range(2)})

    where = {f"grad_w{9 + k}": (model.out.weight, divmod(k, 2)) for k in range(4)}
    where.update({f"grad_w{1 + k}": (model.hidden.weight, divmod(k, 4)) for k in range(8)})
    where.update({f"grad_w_conv[{i},{j}]": (model.conv.weight, (0, 0, i, j)) for i in range(2) for j in range(2)})

    w = {n: p.numpy().astype(np.float64) for n, p in model.named_parameters()}
    fwd = [fp[k].numpy().astype(np.float64).reshape(shape)
           for k, shape in (("feature_map", (4, 4)), ("s", (4,)), ("H", (2,)), ("O", (2,)))]
    nb_formula = notebook_first_backward(w, *fwd)
    nb_formula_orig = notebook_first_backward(w, *fwd, updated=False)

    rows = []
    for name, printed in NOTEBOOK_FIRST_BACKWARD:
        if name.startswith("dE/dH"):
            fd = _fd_hidden(model, fp["H"], target, int(name[-1]) - 1, eps)
        else:
            p, idx = where[name]
            fd = _fd_param(model, x, target, p, idx, eps)
        a, nb, tol = float(ag[name]), float(printed), _printed_tol(printed)
        row = {"name": name, "notebook": nb, "notebook_text": printed, "autograd": a, "fd": fd,
               "fd_agrees": abs(a - fd) <= fd_atol + fd_rtol * abs(fd), "notebook_ok": abs(nb - a) <= tol,
               "notebook_formula": nb_formula[name],
               "formula_reproduces": abs(nb_formula[name] - nb) <= tol}
        if not row["notebook_ok"]:
            key = name if name in _WHY else ("conv" if "conv" in name else
                                              "w1-4" if int(name[6:]) <= 4 else "w5-8")
            why = _WHY[key]
            if name.startswith("dE/dH"):
                why += f" (The same formula with the original weights gives {nb_formula_orig[name]:.17g}.)"
            row["why"] = why
        rows.append(row)
    return {"rows": rows, "loss_note": LOSS_NOTE, "fd_agrees": all(r["fd_agrees"] for r in rows),
            "wrong": [r["name"] for r in rows if not r["notebook_ok"]], "eps": eps,
            "fd_tolerance": {"atol": fd_atol, "rtol": fd_rtol}}


def format_audit(result: dict[str, Any]) -> str:
    """The audit as a text table plus one line per wrong row."""
    head = f"{'quantity':<17}{'notebook':>24}{'autograd':>24}{'finite diff.':>24}  {'AG=FD':<6}verdict"
    lines = ["Audit of the notebook's FIRST backward pass (seed 0, float64; FD: central, eps "
             f"{result['eps']:g}; AG=FD when |ag - fd| <= {result['fd_tolerance']['atol']:g} + "
             f"{result['fd_tolerance']['rtol']:g}*|fd|)", head, "-" * len(head)]
    for r in result["rows"]:
        lines.append(f"{r['name']:<17}{r['notebook_text']:>24}{r['autograd']:>24.17g}{r['fd']:>24.17g}  "
                     f"{'yes' if r['fd_agrees'] else 'NO':<6}{'ok' if r['notebook_ok'] else 'WRONG'}")
    lines += ["", "Verdict: 'ok' when the notebook's number equals autograd to within half a unit of its last "
              "printed decimal (+1e-10 for float rounding); the wrong rows miss by far more (smallest miss: "
              f"{min([abs(r['notebook'] - r['autograd']) for r in result['rows'] if not r['notebook_ok']] or [0]):.2e}).",
              "", "What the notebook did wrong (each explanation re-evaluates the notebook's own formula and "
              "checks that it reproduces the printed number):"]
    for r in result["rows"]:
        if not r["notebook_ok"]:
            check = "reproduces" if r["formula_reproduces"] else "DOES NOT reproduce"
            lines.append(f"- {r['name']}: {r['why']} Its formula gives {r['notebook_formula']:.17g} ({check} the "
                         f"printed {r['notebook_text']}); correct value {r['autograd']:.17g} "
                         f"(ratio notebook/correct {r['notebook'] / r['autograd']:.3f}).")
    ratios = [r["notebook"] / r["autograd"] for r in result["rows"] if not r["notebook_ok"]]
    lines += ["", LOSS_NOTE + f" The wrong rows' ratios notebook/correct run from {min(ratios):.3f} to "
              f"{max(ratios):.3f}, not a constant 2 or 1/2, so they are not a 1/2-convention mix-up.",
              f"Autograd and finite differences agree on {'every' if result['fd_agrees'] else 'NOT every'} row."]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------

def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return v


def _non_negative_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Train the assignment notebook's CNN with minigrad (plain gradient descent until E < threshold).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"], help="array backend")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="floating-point type")
    p.add_argument("--variant", default="notebook", choices=sorted(VARIANTS),
                   help="notebook: the hand-worked network; pytorch: the notebook's SimpleCNNPyTorch")
    p.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate")
    p.add_argument("--threshold", type=_positive_float, default=1e-4, help="stop when E < threshold")
    p.add_argument("--max-steps", type=_non_negative_int, default=1_000_000, help="give up after this many updates")
    p.add_argument("--seed", type=int, default=0,
                   help="notebook: RandomState(seed).randn init; pytorch: mg.manual_seed(seed)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--save", metavar="PATH", help="save the trained weights (mg.save, .npz)")
    p.add_argument("--load", metavar="PATH", help="start from weights saved with --save")
    p.add_argument("--plot", metavar="PATH", help="save the loss curve as a PNG (needs matplotlib)")
    p.add_argument("--trace", action="store_true",
                   help="print the first forward and backward pass in the notebook's terms, then exit")
    p.add_argument("--audit", action="store_true",
                   help="check the notebook's first backward pass against autograd and finite differences, then exit")
    args = p.parse_args(argv)
    if (args.trace or args.audit) and args.variant != "notebook":
        p.error("--trace and --audit describe the notebook's hand-worked network: use --variant notebook")
    if args.audit and (args.seed != 0 or args.load):
        p.error("--audit compares against the notebook's printed numbers, which belong to seed 0: drop --seed/--load")
    if args.trace and args.audit:
        p.error("choose one of --trace and --audit")
    return args


def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or a clear exit if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("error: --plot needs matplotlib, which is not installed. Install the optional extra: "
                         "pip install -e '.[plot]' (or pip install matplotlib).") from None
    return plt


def save_plot(plt: Any, history: list[float], threshold: float, path: str, title: str, ylabel: str = "E") -> None:
    """Loss per update step (log scale) with the threshold line, written to `path` as PNG."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(range(len(history)), history, lw=1)
    ax.axhline(threshold, color="grey", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    ax.set_xlabel("update step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def load_weights(model: nn.Module, path: str, backend: str) -> None:
    """Load a state dict saved by --save into `model`; any problem becomes one clear SystemExit."""
    try:
        model.load_state_dict(mg.load(path, backend=backend))  # casts to the model's dtype
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise SystemExit(f"error: cannot load weights from {path!r} into the {type(model).__name__} model: {e}") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        backend = get_backend(args.backend).name
    except mg.BackendError as e:
        raise SystemExit(f"error: backend {args.backend!r} is not usable here: {e}") from None
    dtype = {"float64": mg.float64, "float32": mg.float32}[args.dtype]

    if args.audit:
        if dtype != mg.float64:
            print("note: --audit always runs in float64 (finite differences need it)", file=sys.stderr)
        result = audit(backend)
        print(json.dumps({k: v for k, v in result.items()}, indent=1) if args.json else format_audit(result))
        return 0 if result["fd_agrees"] else 1

    plt = _pyplot() if args.plot else None  # fail before training, not after
    model, x, target = build(args.variant, args.seed, dtype, backend)
    if args.load:
        load_weights(model, args.load, backend)

    if args.trace:
        # The notebook's printed values belong to seed 0 and float64 arithmetic.
        print(trace(model, x, target, args.lr, compare=(args.seed == 0 and not args.load and dtype == mg.float64)))
        return 0

    result = train(model, x, target, lr=args.lr, threshold=args.threshold, max_steps=args.max_steps,
                   progress=not (args.quiet or args.json), record=bool(args.plot))
    history = result.pop("history")
    result.update(variant=args.variant, backend=backend, dtype=args.dtype, lr=args.lr, threshold=args.threshold,
                  seed=args.seed, max_steps=args.max_steps)
    if args.save:
        mg.save(model.state_dict(), args.save)
    if plt is not None:
        ylabel = "E (sum of squared errors)" if args.variant == "notebook" else "loss (mean squared error)"
        save_plot(plt, history, args.threshold, args.plot,
                  f"{args.variant} variant, {backend} {args.dtype}, lr {args.lr:g}: {result['steps']:,} steps", ylabel)
    if args.json:
        print(json.dumps(result))
        return 0
    status = (f"converged after {result['steps']:,} steps" if result["converged"] else
              f"diverged (E is not finite) after {result['steps']:,} steps" if result["diverged"] else
              f"NOT converged after {result['steps']:,} steps (--max-steps)")
    o1, o2 = result["outputs"]
    print(f"{status}: E = {result['loss']:.6e} (threshold {args.threshold:g})\n"
          f"O1 = {o1:.10f}, O2 = {o2:.10f} (targets {TARGETS[0]:g}, {TARGETS[1]:g})\n"
          f"wall time {result['seconds']:.2f} s, {result['steps_per_second']:,.0f} steps/s, "
          f"backend {backend}, dtype {args.dtype}, variant {args.variant}")
    if args.save:
        print(f"weights saved to {args.save}")
    if args.plot:
        print(f"loss curve saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
