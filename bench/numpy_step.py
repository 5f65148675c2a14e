"""The notebook network's training step written by hand in vectorised NumPy, gradients derived by hand.

This is the floor minigrad is measured against: no graph, no objects, just the arrays. Shapes (batch 1):

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

Written once against the array module ``xp`` so the same code runs on CuPy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

# Flat index in F (4x4) of the top-left corner of each pooling window, and of each in-window offset.
_WINDOW_BASE = (0, 2, 8, 10)
_WINDOW_OFFSET = (0, 1, 4, 5)


class NumpyStep:
    """State (weights) plus ``step()``: forward, hand-derived backward, SGD update; returns E (float).

    ``params`` holds ``w_conv`` (2, 2), ``W1`` (2, 4), ``W2`` (2, 2); they are copied, then updated in place.
    """

    def __init__(self, params: dict[str, Any], x: Any, t: Any, lr: float, xp: Any = np) -> None:
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

    def loss_and_grads(self) -> tuple[float, dict[str, Any]]:
        """E and the gradients of E w.r.t. w_conv, W1, W2 (same shapes as the weights)."""
        xp, x, W1, W2 = self.xp, self.x, self.W1, self.W2
        # im2col of the constant input, recomputed each step as any framework would: P[16, 4] = patches.
        s0, s1 = x.strides
        P = xp.lib.stride_tricks.as_strided(x, (4, 4, 2, 2), (s0, s1, s0, s1)).reshape(16, 4)
        F = P @ self.wc.reshape(4)                                   # (16,) feature map, row-major
        windows = F.reshape(2, 2, 2, 2).swapaxes(1, 2).reshape(4, 4)  # [window k, in-window offset]
        idx = windows.argmax(1)                                      # first maximum, like the pooling op
        s = windows[self._rows, idx]
        a = 1.0 / (1.0 + xp.exp(-s))
        H = 1.0 / (1.0 + xp.exp(-(W1 @ a)))
        O = 1.0 / (1.0 + xp.exp(-(W2 @ H)))
        d = O - self.t
        E = float(d @ d)
        dz2 = 2.0 * d * O * (1.0 - O)
        dz1 = (W2.T @ dz2) * H * (1.0 - H)
        ds = (W1.T @ dz1) * a * (1.0 - a)
        pos = self._base + self._offset[idx]                         # where each window's max sits in F
        grads = {"w_conv": (ds @ P[pos]).reshape(2, 2), "W1": xp.outer(dz1, a), "W2": xp.outer(dz2, H)}
        return E, grads

    def step(self) -> float:
        """One training step; returns E measured before the update (as the notebook checks it)."""
        E, g = self.loss_and_grads()
        lr = self.lr
        self.wc -= lr * g["w_conv"]
        self.W1 -= lr * g["W1"]
        self.W2 -= lr * g["W2"]
        return E

    def loss(self) -> float:
        return self.loss_and_grads()[0]


def finite_difference_grads(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray,
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


def check_against_finite_differences(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray,
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
