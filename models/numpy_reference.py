"""The notebook network's training step written by hand in vectorised NumPy, gradients derived by hand.

The one independent reference for the network: the tests check minigrad's gradients and training run against
it, and the benchmark measures minigrad against it (no graph, no objects, just the arrays). NumPy only (or
CuPy through ``xp``); no minigrad. Shapes (batch 1):

    x (5, 5) --conv 2x2 (w_conv (2, 2), stride 1, no bias)--> F (4, 4)
      --max pool 2x2 stride 2--> s (4,) (windows in row-major order)   a = sigmoid(s) (4,)
      --W1 (2, 4) (rows w1-w4, w5-w8)--> H = sigmoid(W1 @ a) (2,)
      --W2 (2, 2) ([[w9, w10], [w11, w12]])--> O = sigmoid(W2 @ H) (2,)
    E = sum((O - t) ** 2)

Backward (chain rule, sigmoid' = y (1 - y)):
    dz2 = 2 (O - t) O (1 - O)         gW2 = outer(dz2, H)
    dz1 = (W2^T dz2) H (1 - H)        gW1 = outer(dz1, a)
    ds  = (W1^T dz1) a (1 - a)        max pool routes ds_k to the first maximum of window k (argmax order)
    gw_conv[m, n] = sum_k ds_k x[i_k + m, j_k + n], (i_k, j_k) the position of window k's maximum in F.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from models.notebook import INPUT_5X5, TARGETS, THRESHOLD, TRAIN_LR, notebook_weights

# Flat index in F (4x4) of the top-left corner of each pooling window, and of each in-window offset.
_WINDOW_BASE = (0, 2, 8, 10)
_WINDOW_OFFSET = (0, 1, 4, 5)


def reference_params(state: dict[str, Any] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Weights in this module's layout (``w_conv`` (2, 2), ``W1`` (2, 4), ``W2`` (2, 2)), from a state dict shaped
    like ``models.notebook.notebook_weights`` (default: the notebook's init for `seed`)."""
    state = notebook_weights(seed) if state is None else state
    return {"w_conv": np.asarray(state["conv.weight"], dtype=np.float64).reshape(2, 2).copy(),
            "W1": np.array(state["hidden.weight"], dtype=np.float64),
            "W2": np.array(state["out.weight"], dtype=np.float64)}


class NumpyStep:
    """State (weights) plus ``step()``: forward, hand-derived backward, SGD update; returns E (float).

    ``params`` holds ``w_conv`` (2, 2), ``W1`` (2, 4), ``W2`` (2, 2) (default: the notebook's init); they are
    copied, then updated in place. ``x`` (5, 5) and ``t`` (2,) default to the notebook's input and targets.
    Written once against the array module ``xp`` so the same code runs on CuPy.
    """

    def __init__(self, params: dict[str, Any] | None = None, x: Any = INPUT_5X5, t: Any = TARGETS,
                 lr: float = TRAIN_LR, xp: Any = np) -> None:
        params = reference_params() if params is None else params
        self.xp = xp
        self.wc = xp.array(params["w_conv"], dtype=xp.float64)
        self.W1 = xp.array(params["W1"], dtype=xp.float64)
        self.W2 = xp.array(params["W2"], dtype=xp.float64)
        self.x = xp.ascontiguousarray(xp.asarray(x, dtype=xp.float64))
        self.t = xp.asarray(t, dtype=xp.float64)
        self.lr = lr
        self._base = xp.asarray(_WINDOW_BASE)
        self._offset = xp.asarray(_WINDOW_OFFSET)
        self._rows = xp.arange(4)

    def forward(self) -> dict[str, Any]:
        """E (float) and what the backward pass needs: the patches P (16, 4), each window's argmax ``idx`` (4,),
        a = sigmoid(pooled) (4,), H (2,), O (2,) and d = O - t (2,)."""
        xp, x = self.xp, self.x
        # im2col of the constant input, recomputed each step as any framework would: P[16, 4] = patches.
        s0, s1 = x.strides
        P = xp.lib.stride_tricks.as_strided(x, (4, 4, 2, 2), (s0, s1, s0, s1)).reshape(16, 4)
        F = P @ self.wc.reshape(4)                                   # (16,) feature map, row-major
        windows = F.reshape(2, 2, 2, 2).swapaxes(1, 2).reshape(4, 4)  # [window k, in-window offset]
        idx = windows.argmax(1)                                      # first maximum, like the pooling op
        s = windows[self._rows, idx]
        a = 1.0 / (1.0 + xp.exp(-s))
        H = 1.0 / (1.0 + xp.exp(-(self.W1 @ a)))
        O = 1.0 / (1.0 + xp.exp(-(self.W2 @ H)))
        d = O - self.t
        return {"E": float(d @ d), "P": P, "idx": idx, "a": a, "H": H, "O": O, "d": d}

    def patches_under_max(self, f: dict[str, Any]) -> Any:
        """(4, 4): row k is the input patch under window k's maximum (what w_conv's gradient is weighted by)."""
        return f["P"][self._base + self._offset[f["idx"]]]

    def backward(self, f: dict[str, Any]) -> dict[str, Any]:
        """The gradients of E w.r.t. w_conv, W1, W2 (same shapes as the weights) from a ``forward()`` result."""
        xp, a, H, O = self.xp, f["a"], f["H"], f["O"]
        dz2 = 2.0 * f["d"] * O * (1.0 - O)
        dz1 = (self.W2.T @ dz2) * H * (1.0 - H)
        ds = (self.W1.T @ dz1) * a * (1.0 - a)
        return {"w_conv": (ds @ self.patches_under_max(f)).reshape(2, 2), "W1": xp.outer(dz1, a),
                "W2": xp.outer(dz2, H)}

    def loss_and_grads(self) -> tuple[float, dict[str, Any]]:
        """E and the gradients of E w.r.t. w_conv, W1, W2."""
        f = self.forward()
        return f["E"], self.backward(f)

    def update(self, f: dict[str, Any]) -> None:
        """Plain gradient descent (lr ``self.lr``) from a ``forward()`` result, in place."""
        g, lr = self.backward(f), self.lr
        self.wc -= lr * g["w_conv"]
        self.W1 -= lr * g["W1"]
        self.W2 -= lr * g["W2"]

    def step(self) -> float:
        """One training step; returns E measured before the update (as the notebook checks it)."""
        f = self.forward()
        self.update(f)
        return f["E"]

    def loss(self) -> float:
        return self.forward()["E"]


def notebook_simplecnn_update(ref: NumpyStep, f: dict[str, Any]) -> None:
    """The notebook's SimpleCNN.backward update rule, transcribed (NOT gradient descent): w9-w12 get their
    (correct) gradients and are updated first; the feature gradient then uses the UPDATED w9-w12 in its
    mixed-up dE/dH; w_conv is updated; w1-w8 are never updated."""
    a, H, O, lr, xp = f["a"], f["H"], f["O"], ref.lr, ref.xp
    d_e = 2 * f["d"]
    ref.W2 -= lr * xp.outer(d_e * O * (1 - O), H)
    (w9, w10), (w11, w12) = ref.W2
    grad_s = (ref.W1[0] * (d_e[0] * w9 + d_e[0] * w11) * O[0] * (1 - O[0])
              + ref.W1[1] * (d_e[1] * w10 + d_e[1] * w12) * O[1] * (1 - O[1]))
    ref.wc -= lr * (grad_s * a * (1 - a) @ ref.patches_under_max(f)).reshape(2, 2)


def train_reference(ref: NumpyStep | None = None, threshold: float = THRESHOLD, max_steps: int = 1_000_000,
                    update: Callable[[NumpyStep, dict[str, Any]], None] | None = None) -> tuple[int, float]:
    """Train `ref` (default: the notebook's init, lr 0.01) with `update` (default: gradient descent) until
    E < threshold, E checked before each update. Returns (updates applied before the forward pass whose E is
    reported, that E): below the threshold when converged, else after `max_steps` updates."""
    ref = NumpyStep() if ref is None else ref
    update = NumpyStep.update if update is None else update
    for steps in range(max_steps + 1):
        f = ref.forward()
        if f["E"] < threshold or steps == max_steps:
            return steps, f["E"]
        update(ref, f)
    raise AssertionError("unreachable")


def finite_difference_grads(params: dict[str, np.ndarray], x: np.ndarray = INPUT_5X5, t: Any = TARGETS,
                            eps: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of E w.r.t. every weight (float64, NumPy); independent of the hand derivation."""
    out = {}
    for name, w in params.items():
        g = np.zeros_like(w, dtype=np.float64)
        for i in np.ndindex(w.shape):
            plus = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
            minus = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
            plus[name][i] += eps
            minus[name][i] -= eps
            g[i] = (NumpyStep(plus, x, t, 0.0).loss() - NumpyStep(minus, x, t, 0.0).loss()) / (2 * eps)
        out[name] = g
    return out


def check_against_finite_differences(params: dict[str, np.ndarray], x: np.ndarray = INPUT_5X5, t: Any = TARGETS,
                                     atol: float = 1e-8, rtol: float = 1e-6) -> float:
    """Raise AssertionError if the hand-derived gradients disagree with central differences; returns max error."""
    _, grads = NumpyStep(params, x, t, 0.0).loss_and_grads()
    fd = finite_difference_grads(params, x, t)
    worst = 0.0
    for name in params:
        err = float(np.max(np.abs(grads[name] - fd[name])))
        worst = max(worst, err)
        if not np.allclose(grads[name], fd[name], atol=atol, rtol=rtol):
            raise AssertionError(f"hand-derived gradient of {name} disagrees with finite differences:\n"
                                 f"{grads[name]}\nvs\n{fd[name]}")
    return worst
