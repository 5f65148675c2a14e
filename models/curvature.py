"""The curvature of the assignment network's loss, and Newton's method on it: second derivatives at work.

    python models/curvature.py                       # Hessian at the start and at convergence, then damped Newton
    python models/curvature.py --plot curvature.png  # E per Newton step and both Hessian spectra
    python models/curvature.py --gd-weights w.npz    # also the Hessian at weights saved by assignment_cnn.py --save
    python models/curvature.py --json

E(w) = sum((O - t)^2) of ``models.assignment_net.AssignmentCNN`` as a function of all 16 weights (w_conv 2x2,
w1..w8, w9..w12), written with ``F.*`` calls on three weight tensors, so ``mg.autograd.functional.hessian``
gives the full 16x16 Hessian (first order through autograd, second order by differentiating the backward
graph, ``create_graph=True``).

Newton's step solves (H + lam I) d = -g. Where H is not positive definite, or a full step does not lower E,
lam grows (Levenberg-Marquardt damping, starting above -min eigenvalue); after a step that lowers E it
shrinks, so near a minimum the steps become plain Newton steps. Steps are counted like gradient descent's:
one per weight update.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `import models...` (and the repo's minigrad) importable
    _here, _root = str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.path.insert(0, _root)

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from models import cli  # noqa: E402
from models.notebook import INPUT_5X5, TARGETS, THRESHOLD, notebook_weights  # noqa: E402

NAMES = ("conv.weight", "hidden.weight", "out.weight")
GD_STEPS = 262_941  # plain gradient descent, lr 0.01, to E < 1e-4 (README, "What the notebook got wrong")


def energy(w_conv: mg.Tensor, w_hidden: mg.Tensor, w_out: mg.Tensor) -> mg.Tensor:
    """E of the notebook network for weights (1,1,2,2), (2,4), (2,2): the same ops as AssignmentCNN.forward."""
    x = mg.tensor(INPUT_5X5.reshape(1, 1, 5, 5), dtype=w_conv.dtype)
    t = mg.tensor([list(TARGETS)], dtype=w_conv.dtype)
    s = F.max_pool2d(F.conv2d(x, w_conv), 2).flatten(1).sigmoid()
    o = F.linear(F.linear(s, w_hidden).sigmoid(), w_out).sigmoid()
    return F.mse_loss(o, t, reduction="sum")


def unflatten(w: np.ndarray) -> tuple[mg.Tensor, mg.Tensor, mg.Tensor]:
    """16 weights (w_conv row-major, w1..w8, w9..w12) as the three weight tensors."""
    return (mg.tensor(w[:4].reshape(1, 1, 2, 2)), mg.tensor(w[4:12].reshape(2, 4)), mg.tensor(w[12:].reshape(2, 2)))


def flatten(state: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.asarray(state[k], dtype=np.float64).reshape(-1) for k in NAMES])


def derivatives(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """E, its gradient (16,) and its Hessian (16, 16) at the weights ``w``."""
    ts = unflatten(w)
    e = energy(*ts)
    g = mg.autograd.functional.jacobian(energy, ts)
    h = mg.autograd.functional.hessian(energy, ts)
    sizes = [t.numel() for t in ts]
    grad = np.concatenate([gi.detach().numpy().copy().reshape(-1) for gi in g])
    hess = np.block([[h[i][j].detach().numpy().copy().reshape(sizes[i], sizes[j]) for j in range(3)] for i in range(3)])
    return float(e.item()), grad, hess


def spectrum(hess: np.ndarray) -> dict[str, Any]:
    """Eigenvalues (ascending) and what they say: extremes, how many are negative and how many numerically
    zero (|lam| <= 1e-10 max|lam|: directions E does not curve along), the condition number max|lam| / min|lam|
    over the others, and gradient descent's largest stable learning rate, 2 / lam_max."""
    lam = np.linalg.eigvalsh((hess + hess.T) / 2)
    mag = np.abs(lam)
    zero = mag <= 1e-10 * mag.max() if mag.max() > 0 else np.ones(len(lam), bool)
    return {"eigenvalues": lam.tolist(), "max": float(lam[-1]), "min": float(lam[0]),
            "negative": int((lam < 0).sum() - (zero & (lam < 0)).sum()), "zero": int(zero.sum()),
            "min_abs_nonzero": float(mag[~zero].min()) if (~zero).any() else 0.0,
            "condition": float(mag.max() / mag[~zero].min()) if (~zero).any() else float("inf"),
            "max_stable_lr": float(2 / lam[-1]) if lam[-1] > 0 else float("inf")}


def newton(w0: np.ndarray, threshold: float = THRESHOLD, max_steps: int = 200, lam: float = 1e-3
           ) -> dict[str, Any]:
    """Damped Newton from ``w0`` until E < threshold (E checked before each update, as the GD loop does).

    Each step solves (H + lam I) d = -g with lam above -min eigenvalue (so d descends), and is taken only if E
    drops by at least a tenth of what the quadratic model promised (rho > 0.1); otherwise lam grows fourfold.
    Without that test a step along a direction of nearly zero curvature jumps to saturated sigmoids."""
    w = w0.copy()
    e, g, h = derivatives(w)
    history, lams, evals = [e], [], 1
    steps = 0
    while e >= threshold and steps < max_steps:
        low = float(np.linalg.eigvalsh((h + h.T) / 2)[0])
        lam = max(lam, 1.01 * -low + 1e-9)
        while True:
            d = np.linalg.solve(h + lam * np.eye(len(w)), -g)
            predicted = -(g @ d + 0.5 * d @ h @ d)
            e_new = float(energy(*unflatten(w + d)).item())
            evals += 1
            rho = (e - e_new) / predicted if predicted > 0 else -1.0
            if np.isfinite(e_new) and rho > 0.1:
                break
            lam *= 4
            if lam > 1e12:
                raise RuntimeError(f"damped Newton: no step lowers E from {e!r} (lam {lam:.3g})")
        w = w + d
        lams.append(lam)
        lam = lam / 3 if rho > 0.75 else lam * 2 if rho < 0.25 else lam
        steps += 1
        e, g, h = derivatives(w)
        history.append(e)
    return {"weights": w, "E": e, "steps": steps, "converged": bool(e < threshold), "history": history,
            "damping": lams, "E_evaluations": evals}


def analyse(seed: int = 0, max_steps: int = 200, gd_weights: np.ndarray | None = None) -> dict[str, Any]:
    w0 = flatten(notebook_weights(seed))
    e0, g0, h0 = derivatives(w0)
    run = newton(w0, max_steps=max_steps)
    _, g1, h1 = derivatives(run["weights"])
    out = {"seed": seed, "start": {"E": e0, "grad_norm": float(np.linalg.norm(g0)), **spectrum(h0)},
           "newton": {k: v for k, v in run.items() if k != "weights"},
           "newton_converged": {"grad_norm": float(np.linalg.norm(g1)), **spectrum(h1)}, "newton_weights": run["weights"].tolist(), "gd_steps": GD_STEPS}
    if gd_weights is not None:
        e, g, h = derivatives(gd_weights)
        out["gd_converged"] = {"E": e, "grad_norm": float(np.linalg.norm(g)), **spectrum(h)}
    return out


def _fmt(sp: dict[str, Any]) -> str:
    return (f"lam_max {sp['max']:.4g}, lam_min {sp['min']:.4g}, {sp['negative']} negative, {sp['zero']} zero, "
            f"smallest nonzero |lam| {sp['min_abs_nonzero']:.3g}, condition {sp['condition']:.3g} (nonzero ones), "
            f"GD stable for lr < {sp['max_stable_lr']:.3g}")


def report(res: dict[str, Any]) -> str:
    n = res["newton"]
    lines = [f"start (seed {res['seed']}): E = {res['start']['E']:.6g}, |grad| = {res['start']['grad_norm']:.3g}",
             "  Hessian: " + _fmt(res["start"]),
             f"damped Newton: E = {n['E']:.6g} after {n['steps']} steps ({n['E_evaluations']} evaluations of E; "
             f"plain gradient descent at lr 0.01 needs {res['gd_steps']:,})"
             + ("" if n["converged"] else "  NOT CONVERGED"),
             f"  at the Newton solution |grad| = {res['newton_converged']['grad_norm']:.3g}; Hessian: "
             + _fmt(res["newton_converged"])]
    if "gd_converged" in res:
        gd = res["gd_converged"]
        lines.append(f"given gradient-descent weights: E = {gd['E']:.6g}; Hessian: " + _fmt(gd))
    lines.append("E per Newton step: " + ", ".join(f"{e:.3g}" for e in n["history"]))
    return "\n".join(lines)


def save_plot(res: dict[str, Any], path: str) -> None:
    plt = cli.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    hist = res["newton"]["history"]
    a.semilogy(range(len(hist)), hist, "o-", label="damped Newton")
    a.axhline(THRESHOLD, color="gray", ls="--", label=f"threshold {THRESHOLD:g}")
    a.set(xlabel="step", ylabel="E", title=f"Newton: {res['newton']['steps']} steps (GD: {GD_STEPS:,})")
    a.legend()
    for key, label in (("start", "start"), ("newton_converged", "Newton solution"), ("gd_converged", "GD weights")):
        if key in res:
            lam = np.asarray(res[key]["eigenvalues"])
            b.semilogy(range(len(lam)), np.abs(lam), "o", label=f"{label} (hollow: negative)", mfc="none")
            b.semilogy(np.flatnonzero(lam >= 0), np.abs(lam[lam >= 0]), "o", color=b.lines[-1].get_color())
    b.set(xlabel="eigenvalue index (ascending)", ylabel="|eigenvalue|", title="Hessian of E, 16 weights")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format=cli.plot_format(path))
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Hessian of the assignment network's E and damped Newton's method.",
                                epilog=cli.EXIT_CODES_HELP, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=cli.non_negative_int, default=0, help="the notebook's init seed")
    p.add_argument("--max-steps", type=cli.positive_int, default=200, help="Newton steps at most")
    p.add_argument("--gd-weights", metavar="PATH", help="weights saved by assignment_cnn.py --save: their Hessian too")
    p.add_argument("--plot", metavar="PATH", help="E per Newton step and the Hessian spectra as an image")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    args = p.parse_args(argv)
    if args.plot is not None:
        cli.check_output_path(args.plot, "--plot", cli.PLOT_FORMATS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    gd = None
    if args.gd_weights is not None:
        try:
            gd = flatten({k: v.detach().numpy().copy() for k, v in mg.load(args.gd_weights).items()})
        except (OSError, ValueError, KeyError) as e:
            print(f"error: --gd-weights {args.gd_weights}: {e}", file=sys.stderr)
            return cli.EXIT_ERROR
    res = analyse(args.seed, args.max_steps, gd)
    if args.plot:
        save_plot(res, args.plot)
    print(cli.dumps(res) if args.json else report(res))
    return cli.EXIT_OK if res["newton"]["converged"] else cli.EXIT_NOT_CONVERGED


if __name__ == "__main__":
    sys.exit(main())
