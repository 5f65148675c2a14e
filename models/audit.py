"""``--trace`` and ``--audit``: the notebook network's first pass in the notebook's terms, and the notebook's
hand-derived backward numbers checked against minigrad's autograd and central finite differences.

Both run eagerly (never through ``mg.jit``): they read intermediates' gradients (``retain_grad``) and host
values. Truth is autograd confirmed by finite differences; the notebook's formulas are re-evaluated here only
to explain its printed numbers (``notebook_first_backward``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from models.assignment_net import AssignmentCNN, build, loss_fn
from models.notebook import (INPUT_5X5, NOTEBOOK_FIRST_BACKWARD, NOTEBOOK_FIRST_FORWARD, NOTEBOOK_MANUAL_LR,
                             TARGETS)

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
    ours = {"feature_map": fp["feature_map"].detach().numpy().reshape(4, 4), "pooled": fp["pooled"].detach().numpy().reshape(2, 2),
            "sigmoid_features": fp["s"].detach().numpy().reshape(4)}
    h, o = fp["H"].detach().numpy().reshape(2), fp["O"].detach().numpy().reshape(2)
    ours.update(H1=h[0], H2=h[1], O1=o[0], O2=o[1], E1=fp["E1"], E2=fp["E2"], E=fp["E"].item())
    rows = []
    for name, nb in NOTEBOOK_FIRST_FORWARD.items():
        nb = np.asarray(nb, dtype=np.float64)
        tol = 5e-9 + 1e-12 if nb.ndim else 1e-12
        for idx, v in np.ndenumerate(np.asarray(ours[name], dtype=np.float64)):
            rows.append((name + (str(list(idx)) if idx else ""), float(v), float(nb[idx]), tol))
    return rows


def _arr(t: mg.Tensor) -> str:
    return np.array2string(np.asarray(t.detach().numpy(), dtype=np.float64), precision=8, suppress_small=False)


def trace(model: AssignmentCNN, x: mg.Tensor, target: mg.Tensor, lr: float, compare: bool = True) -> str:
    """The first forward and backward pass and the updated weights, as text. `compare` adds the check against
    the notebook's printed forward values (meaningful for seed 0 and the notebook's input only)."""
    fp = first_pass(model, x, target)
    w = {n: p.detach().numpy() for n, p in model.named_parameters()}
    wc, w1, w2 = w["conv.weight"].reshape(2, 2), w["hidden.weight"], w["out.weight"]
    g = {n: p.grad.numpy() for n, p in model.named_parameters()}
    h, o = fp["H"].detach().numpy().reshape(2), fp["O"].detach().numpy().reshape(2)
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
    nw = np.concatenate([model.hidden.weight.detach().numpy().ravel(), model.out.weight.detach().numpy().ravel()])
    lines += ["", f"== Updated weights (one gradient-descent step, lr = {lr:g}) ==",
              f"w_conv =\n{np.array2string(model.conv.weight.detach().numpy().reshape(2, 2), precision=8)}"]
    lines += [f"w{i + 1} = {float(v)!r}" for i, v in enumerate(nw)]
    return "\n".join(lines)


def draw_graph(model: nn.Module, x: mg.Tensor, target: mg.Tensor, path: str) -> str:
    """--graph: the autograd graph of E for one forward pass at the model's current weights, with each tensor's
    values and gradients (mg.viz.draw; the format comes from the suffix). Leaves the weights and .grad as they
    were (the gradients are cleared again). Returns the path written."""
    keep: dict[str, mg.Tensor] = {}
    out = model(x, keep=keep) if isinstance(model, AssignmentCNN) else model(x)  # keep: the notebook's names
    loss = loss_fn(model, out, target)
    model.zero_grad()
    loss.backward(retain_graph=True)  # keep the graph to draw it, with the gradients filled in
    names = {**dict(model.named_parameters()), **{"feature_map": keep.get("feature_map"),
             "pooled_feature_map": keep.get("pooled"), "flattened_features": keep.get("flat"),
             "sigmoid_features": keep.get("s"), "H": keep.get("H")}, "x": x, "target": target, "O": out, "E": loss}
    names = {k: v for k, v in names.items() if v is not None}
    try:
        return mg.viz.draw(loss, path, show_values=True, show_grads=True, params=names)
    finally:
        model.zero_grad()


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
    orig = p.detach().clone()
    vals = []
    for sign in (1.0, -1.0):
        pert = orig.clone()
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

    w = {n: p.detach().numpy().astype(np.float64) for n, p in model.named_parameters()}
    fwd = [fp[k].detach().numpy().astype(np.float64).reshape(shape)
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
    misses = [abs(r["notebook"] - r["autograd"]) for r in result["rows"] if not r["notebook_ok"]]
    lines += ["", "Verdict: 'ok' when the notebook's number equals autograd to within half a unit of its last "
              "printed decimal (+1e-10 for float rounding); the wrong rows miss by far more (smallest miss: "
              f"{min(misses or [0]):.2e}).",
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
