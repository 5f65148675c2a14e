"""Registry entries (see tests/support/opinfo.py) for the softmax family, the losses and batch_norm.

Every sample is built from a NumPy generator whose seed hypothesis draws, while hypothesis picks the shapes
and arguments. Inputs stay away from the kinks of the piecewise losses (|input - target| not near 0 or beta),
class targets always keep at least one sample that is not ignored (an all-ignored mean is nan, tested on its
own), and integer targets never require grad (only float arrays do).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import minigrad.nn.functional as F
from opinfo import OpInfo, fill, sample, seeds, shapes, torch

TF = torch.nn.functional if torch is not None else None
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
LOSS_TOL = dict(atol=1e-6, rtol=1e-5)  # float32 sums over many terms round differently in every library


def _softmax_samples(dtype):
    @st.composite
    def draw(draw):
        shape = draw(shapes(min_dims=0, max_dims=3))
        x = np.asarray(fill(np.random.default_rng(draw(seeds)), shape, dtype) * draw(st.sampled_from([1.0, 10.0])))
        return sample(x, draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)))
    return draw()


def _logsumexp_samples(dtype):
    @st.composite
    def draw(draw):
        shape = draw(shapes(min_dims=0, max_dims=3))
        x = np.asarray(fill(np.random.default_rng(draw(seeds)), shape, dtype) * draw(st.sampled_from([1.0, 30.0])))
        n = max(len(shape), 1)
        if draw(st.booleans()) or not shape:
            dim = draw(st.integers(-n, n - 1))
        else:
            dim = tuple(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=n, unique_by=lambda d: d % n)))
        return sample(x, dim, keepdim=draw(st.booleans()))
    return draw()


def _softmax_large(rng, dtype):
    return sample(fill(rng, (128, 1000), dtype) * 20, 1)  # logits far apart: the max shift matters


@st.composite
def _class_shape(draw):
    """(input shape, target shape): (C,) -> (), (N, C) -> (N,), (N, C, d1[, d2]) -> (N, d1[, d2])."""
    c = draw(st.integers(1, 4))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return (c,), ()
    n = draw(st.integers(1, 4))
    extra = () if kind < 3 else tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    return (n, c) + extra, (n,) + extra


def _class_targets(rng, c: int, shape: tuple, ignore_index: int | None):
    t = rng.integers(0, c, shape)
    if ignore_index is not None and t.size > 1:  # ignore some, never all
        drop = rng.random(shape) < 0.3
        drop.flat[0] = False
        t = np.where(drop, ignore_index, t)
    return np.asarray(t, dtype=np.int64)


def _class_loss_samples(log_probs: bool, smoothing: bool):
    def samples(dtype):
        @st.composite
        def draw(draw):
            xs, ts = draw(_class_shape())
            rng = np.random.default_rng(draw(seeds))
            c = xs[0] if len(xs) == 1 else xs[1]
            x = fill(rng, xs, dtype)
            if log_probs:  # a row of log-probabilities, as nll_loss expects (any reals are differentiable)
                x = x - np.log(np.exp(x).sum(axis=0 if len(xs) == 1 else 1, keepdims=True))
            ignore = draw(st.sampled_from([None, -100, 1]))
            kw = dict(reduction=draw(REDUCTIONS))
            if ignore is not None:
                kw["ignore_index"] = ignore
            if draw(st.booleans()):
                kw["weight"] = fill(rng, (c,), dtype, "positive")
            if smoothing and draw(st.booleans()):
                kw["label_smoothing"] = draw(st.sampled_from([0.1, 0.5, 1.0]))
            return sample(x, _class_targets(rng, c, ts, ignore), **kw)
        return draw()
    return samples


def _prob_target_samples(dtype):
    @st.composite
    def draw(draw):
        xs, _ = draw(_class_shape())
        rng = np.random.default_rng(draw(seeds))
        axis = 0 if len(xs) == 1 else 1
        c = xs[axis]
        e = np.exp(fill(rng, xs, "float64"))
        t = (e / e.sum(axis=axis, keepdims=True)).astype(dtype)
        kw = dict(reduction=draw(REDUCTIONS))
        if draw(st.booleans()):
            kw["weight"] = fill(rng, (c,), dtype, "positive")
        if draw(st.booleans()):
            kw["label_smoothing"] = draw(st.sampled_from([0.2, 0.7]))
        return sample(fill(rng, xs, dtype), t, **kw)
    return draw()


def _class_large(rng, dtype):
    x = fill(rng, (256, 100), dtype) * 5
    t = rng.integers(0, 100, 256)
    t[::7] = -100
    return sample(x, t, weight=fill(rng, (100,), dtype, "positive"), label_smoothing=0.1)


def _probabilities(rng, shape, dtype, lo=0.05):
    return np.asarray(rng.uniform(lo, 1 - lo, shape), dtype=dtype)


def _bce_samples(logits: bool):
    def samples(dtype):
        @st.composite
        def draw(draw):
            shape = draw(shapes(min_dims=0, max_dims=3))
            rng = np.random.default_rng(draw(seeds))
            x = np.asarray(fill(rng, shape, dtype) * 2) if logits else _probabilities(rng, shape, dtype)
            soft = draw(st.booleans())
            t = _probabilities(rng, shape, dtype, lo=0.0) if soft else np.asarray(rng.random(shape) < 0.5, dtype=dtype)
            kw = dict(reduction=draw(REDUCTIONS))
            if draw(st.booleans()):  # a weight that broadcasts: a suffix of the shape with some 1s
                ws = tuple(n if rng.random() < 0.5 else 1 for n in shape[draw(st.integers(0, len(shape))):])
                kw["weight"] = fill(rng, ws, dtype, "positive")
            if logits and draw(st.booleans()):
                kw["pos_weight"] = fill(rng, shape[-1:], dtype, "positive")
            # a hard 0/1 target of binary_cross_entropy sits on the edge of its domain [0, 1], which is checked:
            # finite differences would step outside, so only the input is differentiated there
            return sample(x, t, grad=None if soft or logits else (0,), **kw)
        return draw()
    return samples


def _difference_samples(param: str | None, values=(0.5, 1.0, 2.0)):
    """input and target with input - target away from 0 and from +-param (the kinks)."""
    def samples(dtype):
        @st.composite
        def draw(draw):
            shape = draw(shapes(min_dims=0, max_dims=3))
            rng = np.random.default_rng(draw(seeds))
            kw = dict(reduction=draw(REDUCTIONS))
            kinks = [0.0]
            if param is not None:
                kw[param] = p = draw(st.sampled_from(values))
                kinks.append(p)
            d = rng.uniform(0.05, 3.0, shape)
            for k in kinks:  # push |d| at least 0.05 away from each kink
                d = np.where(abs(d - k) < 0.05, k + 0.05 + 0.1 * rng.random(shape), d)
            d = d * rng.choice([-1.0, 1.0], shape)
            t = fill(rng, shape, "float64")
            return sample(np.asarray(t + d, dtype=dtype), np.asarray(t, dtype=dtype), **kw)
        return draw()
    return samples


def _difference_large(rng, dtype):
    return sample(fill(rng, (256, 300), dtype), fill(rng, (256, 300), dtype))


@st.composite
def _bn_shape(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if n * int(np.prod(extra)) < 2:
        n = 2
    return (n, c) + extra


def _batch_norm_samples(training: bool):
    def samples(dtype):
        @st.composite
        def draw(draw):
            shape = draw(_bn_shape())
            rng = np.random.default_rng(draw(seeds))
            c = shape[1]
            x = fill(rng, shape, dtype) * 2 + 1
            w = fill(rng, (c,), dtype) if draw(st.booleans()) else None
            b = fill(rng, (c,), dtype) if draw(st.booleans()) else None
            eps = draw(st.sampled_from([1e-5, 0.1]))
            if training:  # batch statistics; no running ones here (they would change under gradcheck)
                return sample(x, None, None, w, b, True, 0.1, eps, grad=(0, 3, 4))
            rm, rv = fill(rng, (c,), dtype), fill(rng, (c,), dtype, "positive")
            return sample(x, rm, rv, w, b, False, 0.1, eps, grad=(0, 3, 4))
        return draw()
    return samples


def _bn_large(rng, dtype):
    return sample(fill(rng, (64, 16, 12, 12), dtype), None, None, fill(rng, (16,), dtype), fill(rng, (16,), dtype),
                  True, 0.1, 1e-5, grad=(0, 3, 4))


def _ref(name: str):
    """torch.nn.functional.<name>, looked up lazily (the registry imports without torch)."""
    return None if torch is None else getattr(TF, name)


# softmax's input gradient s * (g - sum(g * s)) subtracts two numbers of the size of the upstream gradient g
# (standard normal here: |g| < 4): in float32 the difference carries ~ 4 eps |g| = 2e-7 absolute error whatever
# its own size, which is tiny where the softmax saturates, so both are compared to 1e-6 absolute.
OPS: list[OpInfo] = [
    OpInfo("F.softmax", F.softmax, _ref("softmax"), _softmax_samples, large=_softmax_large, atol=1e-6, rtol=1e-5),
    OpInfo("F.log_softmax", F.log_softmax, _ref("log_softmax"), _softmax_samples, large=_softmax_large,
           atol=1e-6, rtol=1e-5),
    OpInfo("softmax_method", lambda x, d: x.softmax(d), lambda x, d: x.softmax(d), _softmax_samples, atol=1e-6,
           rtol=1e-5),
    OpInfo("log_softmax_method", lambda x, d: x.log_softmax(d), lambda x, d: x.log_softmax(d), _softmax_samples,
           atol=1e-6, rtol=1e-5),
    OpInfo("F.logsumexp", F.logsumexp, None if torch is None else torch.logsumexp, _logsumexp_samples,
           large=lambda rng, dtype: sample(fill(rng, (96, 800), dtype) * 30, 1), atol=1e-5, rtol=1e-5),
    OpInfo("logsumexp_method", lambda x, d, **k: x.logsumexp(d, **k), lambda x, d, **k: x.logsumexp(d, **k),
           _logsumexp_samples, atol=1e-5, rtol=1e-5),
    OpInfo("F.cross_entropy", F.cross_entropy, _ref("cross_entropy"), _class_loss_samples(False, True),
           large=_class_large, **LOSS_TOL),
    OpInfo("F.cross_entropy_probs", F.cross_entropy, _ref("cross_entropy"), _prob_target_samples,
           large=lambda rng, dtype: sample(fill(rng, (128, 50), dtype), _probabilities(rng, (128, 50), dtype)),
           **LOSS_TOL),
    OpInfo("F.nll_loss", F.nll_loss, _ref("nll_loss"), _class_loss_samples(True, False), **LOSS_TOL),
    OpInfo("F.binary_cross_entropy", F.binary_cross_entropy, _ref("binary_cross_entropy"), _bce_samples(False),
           large=lambda rng, dtype: sample(_probabilities(rng, (256, 300), dtype),
                                           _probabilities(rng, (256, 300), dtype)),
           **LOSS_TOL),
    OpInfo("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
           _ref("binary_cross_entropy_with_logits"), _bce_samples(True),
           large=lambda rng, dtype: sample(fill(rng, (256, 300), dtype) * 10, _probabilities(rng, (256, 300), dtype),
                                           pos_weight=fill(rng, (300,), dtype, "positive")),
           **LOSS_TOL),
    OpInfo("F.l1_loss", F.l1_loss, _ref("l1_loss"), _difference_samples(None), large=_difference_large, **LOSS_TOL),
    OpInfo("F.smooth_l1_loss", F.smooth_l1_loss, _ref("smooth_l1_loss"),
           _difference_samples("beta", (0.0, 0.5, 1.0, 2.0)),
           large=_difference_large, **LOSS_TOL),
    OpInfo("F.huber_loss", F.huber_loss, _ref("huber_loss"), _difference_samples("delta"), large=_difference_large,
           **LOSS_TOL),
    OpInfo("F.batch_norm_train", F.batch_norm, _ref("batch_norm"), _batch_norm_samples(True), large=_bn_large,
           atol=1e-5, rtol=1e-4),
    OpInfo("F.batch_norm_eval", F.batch_norm, _ref("batch_norm"), _batch_norm_samples(False), atol=1e-5, rtol=1e-4),
]


# ------------------------------------------------------------------------------------------------ kl_div
@st.composite
def _kl_div_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_dims=3))
    rng = np.random.default_rng(draw(seeds))
    log_target = draw(st.booleans())
    x = fill(rng, shape, dtype)  # log-probabilities need not be normalised for the loss to be defined
    t = fill(rng, shape, dtype, "real" if log_target else "positive")
    return sample(x, t, reduction=draw(st.sampled_from(["mean", "batchmean", "sum", "none"])), log_target=log_target)


def _kl_div_large(rng, dtype):
    return sample(fill(rng, (256, 1000), dtype), fill(rng, (256, 1000), dtype, "positive"), reduction="batchmean")


def _kl_div(fn):
    """kl_div without its 'mean' warning (PyTorch warns too; the value is what is checked here)."""
    import warnings

    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return call


OPS += [
    OpInfo("F.kl_div", _kl_div(F.kl_div), _kl_div(TF.kl_div) if TF else None, _kl_div_sample, large=_kl_div_large,
           **LOSS_TOL),
]
