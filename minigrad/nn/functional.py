"""minigrad.nn.functional (import as F): PyTorch's functional names, with argument checks, over minigrad.ops."""
from __future__ import annotations

from typing import Sequence

from ..ops import conv, elementwise, linalg, loss
from ..tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "sigmoid", "relu", "tanh", "linear", "mse_loss"]



def _check_tensor(x, name: str, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a minigrad Tensor, got {type(x).__name__}")


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise; exact 0 and 1 far out, never an overflow warning."""
    return elementwise.Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    return elementwise.ReLU.apply(x)


def tanh(x: Tensor) -> Tensor:
    return elementwise.Tanh.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight (out, in).T + bias (out,) -> (..., out)."""
    _check_tensor(x, "input", "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return linalg.Linear.apply(x, weight) if bias is None else linalg.Linear.apply(x, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d (groups=1, dilation=1).

    input (N, C, H, W) or (C, H, W); weight (O, C, kh, kw); bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2*padding - kh) // stride + 1.
    """
    _check_tensor(input, "input", "conv2d")
    _check_tensor(weight, "weight", "conv2d")
    if input.ndim == 3:  # unbatched, as PyTorch allows
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected weight of shape (out_channels, in_channels, kh, kw), got {weight.shape}")
    stride, padding = conv.pair(stride, "stride"), conv.pair(padding, "padding")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride must be >= 1 and padding >= 0, got stride={stride}, padding={padding}")
    (_, c, h, w), (o, cw, kh, kw) = input.shape, weight.shape
    if c != cw:
        raise ValueError(f"conv2d: input has {c} channels (shape {input.shape}) but weight expects {cw} "
                         f"(shape {weight.shape})")
    if kh > h + 2 * padding[0] or kw > w + 2 * padding[1]:
        raise ValueError(f"conv2d: kernel size ({kh}, {kw}) is larger than the padded input "
                         f"({h + 2 * padding[0]}, {w + 2 * padding[1]})")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias must have shape ({o},), got {bias.shape}")
    if bias is None:
        return conv.Conv2d.apply(input, weight, stride=stride, padding=padding)
    return conv.Conv2d.apply(input, weight, bias, stride=stride, padding=padding)


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0) -> Tensor:
    """Max over kh*kw windows, as torch.nn.functional.max_pool2d (dilation=1, ceil_mode=False).

    input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel_size. The gradient of each
    window goes to its first maximum in row-major order.
    """
    _check_tensor(input, "input", "max_pool2d")
    if input.ndim == 3:
        return max_pool2d(input.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    k = conv.pair(kernel_size, "kernel_size")
    s = k if stride is None else conv.pair(stride, "stride")
    p = conv.pair(padding, "padding")
    if min(k) < 1 or min(s) < 1:
        raise ValueError(f"max_pool2d: kernel_size and stride must be >= 1, got {k} and {s}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2 or min(p) < 0:
        raise ValueError(f"max_pool2d: padding {p} must be >= 0 and at most half the kernel size {k}")
    h, w = input.shape[2:]
    if k[0] > h + 2 * p[0] or k[1] > w + 2 * p[1]:
        raise ValueError(f"max_pool2d: kernel size {k} is larger than the padded input ({h + 2 * p[0]}, {w + 2 * p[1]})")
    return conv.MaxPool2d.apply(input, kernel_size=k, stride=s, padding=p)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error. input and target must have the same shape; reduction "mean" | "sum" | "none"."""
    _check_tensor(input, "input", "mse_loss")
    if reduction not in loss.REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {loss.REDUCTIONS}, got {reduction!r}")
    _check_tensor(target, "target", "mse_loss")
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} must match exactly "
                         "(minigrad does not broadcast in losses, so a shape slip can't go unnoticed)")
    return loss.MSELoss.apply(input, target, reduction=reduction)


# ============================================================================= softmax family, losses, batch norm
# (this section: the `losses` work; forward/backward live in ops/softmax.py, ops/loss.py, ops/normalization.py)
import operator as _operator  # noqa: E402
import warnings as _warnings  # noqa: E402

from ..autograd import is_grad_enabled as _grad_on, no_grad as _no_grad  # noqa: E402
from ..errors import DimError as _DimError, ShapeError as _ShapeError  # noqa: E402
from ..ops import normalization as _norm_ops  # noqa: E402
from ..ops import softmax as _softmax_ops  # noqa: E402

__all__ += ["softmax", "log_softmax", "logsumexp", "cross_entropy", "nll_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "l1_loss", "smooth_l1_loss", "huber_loss", "batch_norm"]


def _int_arg(v, name: str, fn: str) -> int:
    """An int (Python or NumPy integer, not bool), else a TypeError naming the argument."""
    if isinstance(v, bool):
        raise TypeError(f"{fn}: {name} must be an int, got {v!r}")
    try:
        return _operator.index(v)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int, got {v!r} ({type(v).__name__})") from None


def _dim_arg(dim, ndim: int, fn: str, name: str = "dim") -> int:
    d = _int_arg(dim, name, fn)
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -n <= d < n:
        raise _DimError(f"{fn}: {name}={d} is out of range for a tensor with {ndim} dims "
                        f"(expected {-n} <= {name} < {n})")
    return d % n


def _float_input(x, fn: str, name: str = "input") -> None:
    _check_tensor(x, name, fn)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be a floating point tensor, got dtype {x.dtype}")


def _reduction_arg(reduction, fn: str) -> None:
    if reduction not in loss.REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {loss.REDUCTIONS}, got {reduction!r}")


def _same_shape(input: Tensor, target, fn: str) -> None:
    _check_tensor(target, "target", fn)
    if target.shape != input.shape:
        raise _ShapeError(f"{fn}: input shape {input.shape} and target shape {target.shape} must match exactly "
                          "(minigrad does not broadcast in losses, so a shape slip can't go unnoticed)")


def _as_input_dtype(target: Tensor, input: Tensor) -> Tensor:
    return target if target.dtype == input.dtype else target.to(dtype=input.dtype)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(a in (1, b) for a, b in zip(reversed(shape), reversed(target)))


def _constant_arg(t, name: str, input: Tensor, fn: str, shape: tuple | None = None):
    """An optional weight-like tensor as a raw array on input's backend and dtype. PyTorch does not
    differentiate losses with respect to these, and neither does minigrad: one that requires grad is refused
    rather than silently detached. ``shape`` exact, else it must broadcast to input's shape."""
    if t is None:
        return None
    _check_tensor(t, name, fn)
    if t.requires_grad and _grad_on():
        raise RuntimeError(f"{fn}: {name} requires grad, but {fn} is not differentiable with respect to {name} "
                           f"(as in PyTorch); pass {name}.detach()")
    if t.backend != input.backend:
        raise RuntimeError(f"{fn}: {name} is on backend {t.backend!r} but input is on {input.backend!r}")
    if shape is not None and t.shape != shape:
        raise _ShapeError(f"{fn}: {name} must have shape {shape} (one value per class), got {t.shape}")
    if shape is None and not _broadcasts_to(t.shape, input.shape):
        raise _ShapeError(f"{fn}: {name} of shape {t.shape} does not broadcast to the input's shape {input.shape}")
    if t.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be a real tensor, got dtype {t.dtype}")
    return t.data.astype(input.dtype, copy=False)


def _softmax_dim(dim, ndim: int, fn: str) -> int:
    if dim is None:  # PyTorch's legacy implicit choice, with its warning
        _warnings.warn(f"Implicit dimension choice for {fn} has been deprecated. Change the call to include "
                       "dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return _dim_arg(dim, ndim, fn)


def _softmax_input(input: Tensor, dtype, fn: str) -> Tensor:
    _check_tensor(input, "input", fn)
    if dtype is not None:
        input = input.to(dtype=dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"{fn}: input must be a floating point tensor, got dtype {input.dtype} "
                        "(pass dtype=mg.float32, or convert with .float())")
    return input


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (any shape; the output has input's shape). ``dtype`` casts the input
    first. Shifted by the max, so large logits do not overflow."""
    input = _softmax_input(input, dtype, "softmax")
    return _softmax_ops.Softmax.apply(input, axis=_softmax_dim(dim, input.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed as x - max - log(sum(exp(x - max))): no log(0) for tiny
    probabilities. Same shape as input."""
    input = _softmax_input(input, dtype, "log_softmax")
    return _softmax_ops.LogSoftmax.apply(input, axis=_softmax_dim(dim, input.ndim, "log_softmax"))


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim`` (an int or a non-empty tuple of ints), without overflow.
    Shape: input's without the reduced dims (kept as size 1 with ``keepdim``). Over an empty dim: -inf."""
    input = _softmax_input(input, None, "logsumexp")
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
    if not dims:
        raise ValueError("logsumexp: dim must be an int or a non-empty tuple of ints, got ()")
    axes = tuple(_dim_arg(d, input.ndim, "logsumexp") for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"logsumexp: dim {dim} names the same dimension more than once")
    if input.ndim == 0:
        axes = ()
    return _softmax_ops.LogSumExp.apply(input, axis=tuple(sorted(axes)), keepdims=bool(keepdim))


def _class_target(input: Tensor, target, fn: str, ignore_index: int) -> Tensor:
    """Check class-index targets: integer dtype, shape input.shape without the class dim, every value in
    [0, C) or equal to ignore_index. Returns them as int64."""
    c = input.shape[1]
    want = input.shape[:1] + input.shape[2:]
    if target.dtype.kind not in "iu":
        raise TypeError(f"{fn}: class-index target must be an integer tensor, got dtype {target.dtype} "
                        f"(for class probabilities, target must be a float tensor of the input's shape "
                        f"{input.shape})")
    if target.shape != want:
        raise _ShapeError(f"{fn}: target of class indices must have shape {want} for input of shape "
                          f"{input.shape} (classes on dim 1), got {target.shape}")
    t = target.data
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{fn}: target {int(t[bad].ravel()[0])} is out of bounds: expected class indices in "
                         f"[0, {c}) or ignore_index={ignore_index}")
    return target if target.dtype == "int64" else target.to(dtype="int64")


def _class_input(input, fn: str) -> None:
    _float_input(input, fn)
    if input.ndim == 0:
        raise _ShapeError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    if input.shape[1 if input.ndim > 1 else 0] == 0:
        raise _ShapeError(f"{fn}: input of shape {input.shape} has no classes (dim 1 has size 0)")


def _unbatched(input: Tensor, target: Tensor, reduction: str, loss_fn):
    """PyTorch's unbatched form: input (C,) with a 0-d (or (C,)) target is a batch of one."""
    out = loss_fn(input.unsqueeze(0), target.unsqueeze(0))
    return out.squeeze(0) if reduction == "none" else out


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and a target, as torch.nn.functional.cross_entropy.

    input: logits (N, C), (C,) or (N, C, d1, ...). target: class indices (N,), () or (N, d1, ...) of an
    integer dtype, or class probabilities of input's shape and a float dtype. weight (C,): per-class weights.
    Samples whose target is ``ignore_index`` contribute nothing. ``label_smoothing`` in [0, 1] mixes the
    target with the uniform distribution. reduction "mean" divides by the summed weights of the samples kept
    (class indices) or by the number of samples (probabilities); "sum"; or "none" (shape of the target minus
    the class dim). Fused: one log-softmax, and a backward of softmax - target.
    """
    fn = "cross_entropy"
    _class_input(input, fn)
    _check_tensor(target, "target", fn)
    _reduction_arg(reduction, fn)
    ignore_index = _int_arg(ignore_index, "ignore_index", fn)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) or \
            not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be a float in [0.0, 1.0], got {label_smoothing!r}")
    c = input.shape[1 if input.ndim > 1 else 0]
    w = _constant_arg(weight, "weight", input, fn, shape=(c,))
    if input.ndim == 1:
        return _unbatched(input, target, reduction, lambda x, t: cross_entropy(
            x, t, weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing))
    if target.shape == input.shape:  # class probabilities, as PyTorch decides
        if target.dtype.kind != "f":
            raise TypeError(f"{fn}: a target of the input's shape {input.shape} holds class probabilities and "
                            f"must be a float tensor, got dtype {target.dtype} (class indices have shape "
                            f"{input.shape[:1] + input.shape[2:]})")
        return loss.CrossEntropyProbs.apply(input, _as_input_dtype(target, input), weight=w,
                                            label_smoothing=float(label_smoothing), reduction=reduction)
    target = _class_target(input, target, fn, ignore_index)
    return loss.CrossEntropy.apply(input, target, weight=w, ignore_index=ignore_index,
                                   label_smoothing=float(label_smoothing), reduction=reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log likelihood of log-probabilities, as torch.nn.functional.nll_loss.

    input (N, C), (C,) or (N, C, d1, ...) of log-probabilities (e.g. from log_softmax); target class indices
    (N,), () or (N, d1, ...). Per sample -weight[t] * input[t]; "mean" divides by the summed weights of the
    samples not ignored.
    """
    fn = "nll_loss"
    _class_input(input, fn)
    _check_tensor(target, "target", fn)
    _reduction_arg(reduction, fn)
    ignore_index = _int_arg(ignore_index, "ignore_index", fn)
    w = _constant_arg(weight, "weight", input, fn, shape=(input.shape[1 if input.ndim > 1 else 0],))
    if input.ndim == 1:
        return _unbatched(input, target, reduction, lambda x, t: nll_loss(
            x, t, weight, ignore_index=ignore_index, reduction=reduction))
    target = _class_target(input, target, fn, ignore_index)
    return loss.NLLLoss.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-weight * (t log(x) + (1 - t) log(1 - x)) for probabilities x in [0, 1] (checked) and a float target
    of the same shape; each log is clamped at -100 as in PyTorch. weight broadcasts to input's shape."""
    fn = "binary_cross_entropy"
    _float_input(input, fn)
    _reduction_arg(reduction, fn)
    _same_shape(input, target, fn)
    _float_input(target, fn, "target")
    w = _constant_arg(weight, "weight", input, fn)
    x = input.data
    if (~((x >= 0) & (x <= 1))).any():
        raise ValueError(f"{fn}: all elements of input must be probabilities in [0, 1] (apply sigmoid first, "
                         f"or use binary_cross_entropy_with_logits); got values from {float(x.min())} to "
                         f"{float(x.max())}")
    return loss.BinaryCrossEntropy.apply(input, _as_input_dtype(target, input), weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits (no overflow, no log(0)).
    weight broadcasts to input's shape; pos_weight (e.g. (C,) for input (N, C)) weighs the positive term."""
    fn = "binary_cross_entropy_with_logits"
    _float_input(input, fn)
    _reduction_arg(reduction, fn)
    _same_shape(input, target, fn)
    _float_input(target, fn, "target")
    w = _constant_arg(weight, "weight", input, fn)
    pw = _constant_arg(pos_weight, "pos_weight", input, fn)
    return loss.BinaryCrossEntropyWithLogits.apply(input, _as_input_dtype(target, input), weight=w,
                                                   pos_weight=pw, reduction=reduction)


def _difference_loss(op, input, target, reduction, fn, param=None):
    _float_input(input, fn)
    _reduction_arg(reduction, fn)
    _same_shape(input, target, fn)
    return op.apply(input, _as_input_dtype(target, input), reduction=reduction, param=param)


def _nonneg_float(v, name: str, fn: str, strict: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v > 0 if strict else v >= 0) \
            or v != v or v == float("inf"):
        raise ValueError(f"{fn}: {name} must be a finite float {'> 0' if strict else '>= 0'}, got {v!r}")
    return float(v)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input - target| (same shapes), then mean, sum or none."""
    return _difference_loss(loss.L1Loss, input, target, reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 * beta, for d = input - target (same shapes)."""
    beta = _nonneg_float(beta, "beta", "smooth_l1_loss")
    return _difference_loss(loss.SmoothL1Loss, input, target, reduction, "smooth_l1_loss", beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 * delta), for d = input - target (same shapes)."""
    delta = _nonneg_float(delta, "delta", "huber_loss", strict=True)
    return _difference_loss(loss.HuberLoss, input, target, reduction, "huber_loss", delta)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over every dim but 1, as torch.nn.functional.batch_norm.

    input (N, C, *); running_mean, running_var, weight, bias (C,) or None. With ``training`` (or without
    running statistics) normalizes by the batch's mean and biased variance and, if running statistics are
    given, updates them in place: running = (1 - momentum) * running + momentum * batch, with the batch's
    unbiased variance for running_var. Otherwise normalizes by the running statistics.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                num_batches_tracked: Tensor | None = None) -> Tensor:
    """batch_norm, plus what BatchNorm layers need: a batch counter to increment, and momentum None (a
    cumulative average, 1 / count). The update happens inside the op, so mg.jit replays it."""
    fn = "batch_norm"
    _float_input(input, fn)
    if input.ndim < 2:
        raise _ShapeError(f"{fn}: input must have shape (N, C, *), got {input.shape}")
    c = input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        if t is not None:
            _check_tensor(t, name, fn)
            if t.shape != (c,):
                raise _ShapeError(f"{fn}: {name} must have shape ({c},) for input of shape {input.shape}, "
                                  f"got {t.shape}")
            if t.backend != input.backend:
                raise RuntimeError(f"{fn}: {name} is on backend {t.backend!r} but input is on {input.backend!r}")
            if name.startswith("running") and t.requires_grad and _grad_on():
                raise RuntimeError(f"{fn}: {name} requires grad, but batch_norm is not differentiable with "
                                   f"respect to the running statistics; pass {name}.detach()")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{fn}: give both running_mean and running_var, or neither")
    eps = _nonneg_float(eps, "eps", fn)
    use_batch = bool(training) or running_mean is None
    if use_batch and input.numel() // max(c, 1) <= 1:
        raise _ShapeError(f"{fn}: expected more than 1 value per channel when training, got input of shape "
                          f"{input.shape}")
    updates = use_batch and running_mean is not None
    if momentum is not None:
        momentum = _nonneg_float(momentum, "momentum", fn)
    elif updates and num_batches_tracked is None:
        raise ValueError(f"{fn}: momentum must be a float (None, a cumulative average, needs a batch counter)")
    out = _norm_ops.BatchNorm.apply(input, weight, bias, running_mean, running_var,
                                    num_batches_tracked if updates else None,
                                    training=use_batch, momentum=momentum, eps=eps)
    if updates:  # the op wrote into these buffers: count it as the in-place change it is
        for t in (running_mean, running_var, num_batches_tracked):
            if t is not None:
                t._vc[0] += 1
    return out
