"""Losses: forward and backward side by side, with PyTorch's formulas, edge values and reductions.

The public wrappers in ``minigrad.nn.functional`` check shapes, dtypes and arguments; these Functions assume
them. Class losses take x (N, C, *) with the classes on axis 1 and a target (N, *) of class indices or
(N, C, *) of probabilities. ``weight`` and ``pos_weight`` arrive as raw arrays: like PyTorch, minigrad does not
differentiate with respect to them (the wrappers refuse ones that require grad).
"""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module
from .softmax import LogSoftmax, log_softmax

REDUCTIONS = ("mean", "sum", "none")


def _reduce(xp, loss, reduction: str):
    """mean / sum / none of an elementwise loss; the mean of nothing is nan, as in PyTorch (no warning)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return xp.full((), xp.nan, dtype=loss.dtype)
    return loss.mean()


def _upstream(g, reduction: str, size: int):
    """The upstream gradient as seen by each element of the unreduced loss."""
    return g / max(size, 1) if reduction == "mean" else g  # an empty input's gradient is empty: no 0 / 0


class MSELoss(Function):
    """(input - target)**2, then mean, sum or none. Shapes must match exactly (no silent broadcasting).
    Backward reads only its own difference array, so in-place edits of the inputs cannot corrupt it."""

    def forward(self, a, b, reduction="mean"):
        self.diff, self.reduction = a - b, reduction
        sq = self.diff * self.diff
        return _reduce(array_module(a), sq, reduction)

    def derive(self, inputs):
        """create_graph: the difference as a function of both inputs (see ops/tensor_xp.py)."""
        self.diff = inputs[0] - inputs[1]

    def backward(self, g):
        # max(.., 1): the gradient of an empty input is empty whatever the scale
        scale = 2 / max(self.diff.size, 1) if self.reduction == "mean" else 2
        ga = (g * scale) * self.diff
        return ga, -ga if self.needs_grad(1) else None


# ----------------------------------------------------------------------------- losses of d = input - target
class _DifferenceLoss(Function):
    """A loss f(input - target) elementwise, then a reduction. Subclasses give f and f'. Backward reads only
    the difference array it made, so in-place edits of the inputs can't corrupt it."""

    def forward(self, a, b, reduction="mean", param=None):
        xp = array_module(a)
        self.d, self.reduction, self.param = a - b, reduction, param
        return _reduce(xp, self.value(xp, self.d), reduction)

    def derive(self, inputs):
        self.d = inputs[0] - inputs[1]

    def backward(self, g):
        ga = _upstream(g, self.reduction, self.d.size) * self.slope(array_module(g), self.d)
        return ga, -ga if self.needs_grad(1) else None


class L1Loss(_DifferenceLoss):
    """|d|; the gradient at d = 0 is 0 (sign), as in PyTorch."""

    def value(self, xp, d):
        return abs(d)

    def slope(self, xp, d):
        return xp.sign(d)


class SmoothL1Loss(_DifferenceLoss):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is the L1 loss."""

    def value(self, xp, d):
        beta, ad = self.param, abs(d)
        if beta == 0:
            return ad
        return xp.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)

    def slope(self, xp, d):
        beta = self.param
        if beta == 0:
            return xp.sign(d)
        return xp.clip(d / beta, -1, 1)


class HuberLoss(_DifferenceLoss):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (= delta * smooth_l1 with beta = delta)."""

    def value(self, xp, d):
        delta, ad = self.param, abs(d)
        return xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    def slope(self, xp, d):
        return xp.clip(d, -self.param, self.param)


# ----------------------------------------------------------------------------- class losses
def _class_shape(weight, ndim: int):
    """A (C,) weight shaped to broadcast over (N, C, *)."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _pick(xp, logp, y, weight, ignore_index: int):
    """For class-index targets y (N, *): the one-hot of the target class (N, C, *, bool), each sample's weight
    (0 where ignored) and its log-probability (N, *)."""
    valid = y != ignore_index
    ys = xp.where(valid, y, 0)  # ignored samples point at class 0 and get weight 0
    onehot = xp.arange(logp.shape[1]).reshape((1, -1) + (1,) * (logp.ndim - 2)) == ys[:, None]
    picked = xp.take_along_axis(logp, ys[:, None].astype(xp.int64), axis=1)[:, 0]
    wy = valid.astype(logp.dtype) if weight is None else xp.where(valid, weight[ys], 0).astype(logp.dtype)
    return onehot, valid, wy, picked


def _weighted_mean(xp, total, den):
    """total / den, with PyTorch's nan when every sample is ignored or weighs 0 (and no division warning).
    Also the divisor for backward: there every sample's gradient is already 0, and stays 0 as in PyTorch."""
    zero = den == 0
    safe = xp.where(zero, 1, den).astype(den.dtype)
    return xp.where(zero, xp.nan, total / safe).astype(total.dtype), safe


class _ClassLoss(Function):
    """Shared reduction of a per-sample class loss; the mean divides by ``self.den`` (set by forward)."""
    constants = ("den",)  # from the target, the class weights and the sizes, never from x

    def _finish(self, xp, loss, reduction):
        self.reduction = reduction
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        out, self.den = _weighted_mean(xp, total, self.den)
        return out

    def _per_sample(self, g):
        """Upstream gradient per sample, shaped (N, 1, *) (or 0-d) to broadcast over the class axis."""
        if self.reduction == "none":
            return g[:, None]
        return g / self.den if self.reduction == "mean" else g


class NLLLoss(_ClassLoss):
    """-weight[y] * logp[y] per sample (0 where y == ignore_index); the mean divides by the summed weights of
    the samples not ignored (PyTorch's weighted mean)."""
    constants = ("den", "wy")  # the target's class weights

    def forward(self, logp, y, weight=None, ignore_index=-100, reduction="mean"):
        xp = array_module(logp)
        self.onehot, _, self.wy, picked = _pick(xp, logp, y, weight, ignore_index)
        self.den = self.wy.sum()
        return self._finish(xp, -self.wy * picked, reduction)

    def backward(self, g):
        return self.onehot * (-self.wy[:, None] * self._per_sample(g)), None


class CrossEntropy(_ClassLoss):
    """Fused log_softmax + NLL with label smoothing eps, for class-index targets y (N, *).

    Per sample: (1 - eps) * w[y] * -logp[y] + eps / C * sum_c w[c] * -logp[c]. The gradient with respect to the
    logits is (sum_c coef_c) * softmax - coef, with coef the per-class weights of that sum: one pass, no
    softmax Jacobian.
    """
    constants = ("den", "coef")  # from the target and the class weights

    def forward(self, x, y, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        xp = array_module(x)
        eps, c = label_smoothing, x.shape[1]
        self.logp = logp = log_softmax(x, 1)
        onehot, valid, wy, picked = _pick(xp, logp, y, weight, ignore_index)
        loss = -(1 - eps) * wy * picked
        coef = onehot * ((1 - eps) * wy)[:, None]
        if eps:
            wc = 1 if weight is None else _class_shape(weight, x.ndim)
            smooth = -(logp * wc).sum(axis=1)
            loss = loss + (eps / c) * xp.where(valid, smooth, 0)
            coef = coef + (eps / c) * (wc * valid[:, None])
        self.coef, self.den = coef.astype(x.dtype, copy=False), wy.sum()
        return self._finish(xp, loss, reduction)

    def derive(self, inputs):
        """create_graph: log-probabilities as a function of the logits."""
        self.logp = array_module(inputs[0]).apply(LogSoftmax, inputs[0], 1)

    def backward(self, g):
        xp = array_module(g)
        coef = self.coef
        return (coef.sum(axis=1, keepdims=True) * xp.exp(self.logp) - coef) * self._per_sample(g), None


class CrossEntropyProbs(_ClassLoss):
    """Cross entropy against class probabilities t (N, C, *): -sum_c w[c] * t'[c] * logp[c] per sample, with
    t' = (1 - eps) t + eps / C; the mean divides by the number of samples (not by weights), as in PyTorch.
    Differentiable with respect to the target too."""
    saves = (1,)
    constants = ("den", "wc")  # the class weights and the sample count (coef depends on t: derive remakes it)

    def forward(self, x, t, weight=None, label_smoothing=0.0, reduction="mean"):
        xp = array_module(x)
        eps, c = label_smoothing, x.shape[1]
        self.logp = logp = log_softmax(x, 1) if x.size else x.copy()
        self.wc = 1 if weight is None else _class_shape(weight, x.ndim)
        self.eps = eps
        coef = t * (1 - eps) + eps / c if eps else t
        self.coef = coef * self.wc
        self.den = xp.asarray(x.size // c if c else 0, dtype=x.dtype)
        return self._finish(xp, -(self.coef * logp).sum(axis=1), reduction)

    def derive(self, inputs):
        """create_graph: log-probabilities and the target's coefficients as functions of the inputs."""
        x, t = inputs[0], inputs[1]
        if x.size:
            self.logp = array_module(x).apply(LogSoftmax, x, 1)
        eps, c = self.eps, x.shape[1]
        self.coef = (t * (1 - eps) + eps / c if eps else t) * self.wc

    def backward(self, g):
        xp = array_module(g)
        gs = self._per_sample(g)
        coef = self.coef
        gx = (coef.sum(axis=1, keepdims=True) * xp.exp(self.logp) - coef) * gs
        gt = -(1 - self.eps) * self.wc * self.logp * gs if self.needs_grad(1) else None
        return gx, gt


# ----------------------------------------------------------------------------- binary losses
def _clamped_log(xp, v):
    """max(log(v), -100) with no warning at v = 0 (PyTorch clamps BCE's logs at -100)."""
    pos = v > 0
    return xp.where(pos, xp.maximum(xp.log(xp.where(pos, v, 1)), -100), -100).astype(v.dtype, copy=False)


_BCE_EPS = 9.999999960041972e-13  # PyTorch's 1e-12 floor of x (1 - x), which it stores as a float32


class BinaryCrossEntropy(Function):
    """-w (t log x + (1 - t) log(1 - x)) on probabilities x, each log clamped at -100 (PyTorch's rule).
    d/dx = w (x - t) / max(x (1 - x), eps) with PyTorch's eps; d/dt = w (log(1 - x) - log x) with the same
    clamped logs."""
    saves = (0, 1)
    constants = ("w",)  # the weight, not differentiated (as in PyTorch)

    def forward(self, x, t, weight=None, reduction="mean"):
        xp = array_module(x)
        self.x, self.t, self.w, self.reduction = x, t, weight, reduction
        self.logx, self.log1mx = _clamped_log(xp, x), _clamped_log(xp, 1 - x)
        loss = (t - 1) * self.log1mx - t * self.logx
        if weight is not None:
            loss = loss * weight
        return _reduce(xp, loss, reduction)

    def derive(self, inputs):
        """create_graph: the clamped logs as functions of x."""
        xp, x = array_module(inputs[0]), inputs[0]
        self.logx, self.log1mx = _clamped_log(xp, x), _clamped_log(xp, 1 - x)

    def backward(self, g):
        xp = array_module(g)
        x, t, w = self.x, self.t, self.w
        gs = _upstream(g, self.reduction, x.size)
        if w is not None:
            gs = gs * w
        gx = gs * (x - t) / xp.maximum(x * (1 - x), _BCE_EPS)
        gt = gs * (self.log1mx - self.logx) if self.needs_grad(1) else None
        return gx, gt


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x) computed from the logits without overflow:
    (1 - t) x + (1 + (p - 1) t) softplus(-x), times w, where p is pos_weight (1 when absent) and
    softplus(-x) = log1p(exp(-|x|)) + max(-x, 0). d/dx = (1 - t) - (1 + (p - 1) t) sigmoid(-x);
    d/dt = -x + (p - 1) softplus(-x)."""
    saves = (0, 1)
    constants = ("w", "pw")  # weight and pos_weight, not differentiated (as in PyTorch)

    def forward(self, x, t, weight=None, pos_weight=None, reduction="mean"):
        xp = array_module(x)
        self.x, self.t, self.w, self.pw, self.reduction = x, t, weight, pos_weight, reduction
        self.sp = sp = xp.log1p(xp.exp(-abs(x))) + xp.maximum(-x, 0)
        lw = 1 if pos_weight is None else (pos_weight - 1) * t + 1
        loss = (1 - t) * x + lw * sp
        if weight is not None:
            loss = loss * weight
        return _reduce(xp, loss, reduction)

    def derive(self, inputs):
        """create_graph: softplus(-x) as a function of x."""
        xp, x = array_module(inputs[0]), inputs[0]
        self.sp = xp.log1p(xp.exp(-abs(x))) + xp.maximum(-x, 0)

    def backward(self, g):
        xp = array_module(g)
        x, t, w, pw, sp = self.x, self.t, self.w, self.pw, self.sp
        gs = _upstream(g, self.reduction, x.size)
        if w is not None:
            gs = gs * w
        sig = xp.exp(-sp)  # sigmoid(x) = exp(-softplus(-x)): never overflows
        if pw is None:
            gx = gs * (sig - t)
        else:
            gx = gs * ((1 - t) - ((pw - 1) * t + 1) * (1 - sig))
        gt = None
        if self.needs_grad(1):
            gt = gs * (-x if pw is None else (pw - 1) * sp - x)
        return gx, gt
