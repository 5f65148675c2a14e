"""minigrad.nn.functional (import as F): PyTorch's functional names, with argument checks, over minigrad.ops."""
from __future__ import annotations

from typing import Any, Sequence

from ..ops import activation, conv, elementwise, linalg, loss, pool
from ..ops import dropout as _dropout, pad as _pad, sparse as _sparse
from ..errors import ShapeError
from ..tensor import Tensor, wrap

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad", "sigmoid",
           "relu", "tanh", "leaky_relu", "gelu", "silu", "softplus", "elu", "hardtanh", "dropout", "one_hot",
           "embedding", "linear", "mse_loss"]



def _check_tensor(x, name: str, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a minigrad Tensor, got {type(x).__name__}")


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise; exact 0 and 1 far out, never an overflow warning. Integer input gives the
    default float dtype, as the Tensor method does."""
    _check_tensor(x, "input", "sigmoid")
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    _check_tensor(x, "input", "relu")
    return elementwise.ReLU.apply(x)


def tanh(x: Tensor) -> Tensor:
    _check_tensor(x, "input", "tanh")
    return x.tanh()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight (out, in).T + bias (out,) -> (..., out)."""
    _check_tensor(x, "input", "linear")
    _check_tensor(weight, "weight", "linear")
    if bias is not None:
        _check_tensor(bias, "bias", "linear")
    if x.ndim == 0:
        raise ShapeError(f"linear: input must be at least 1-D (..., in_features), but it is 0-D; weight has shape "
                         f"{weight.shape}")
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return linalg.Linear.apply(x, weight) if bias is None else linalg.Linear.apply(x, weight, bias)


def _error(fn: str, msg: str) -> ShapeError:
    """A bad argument or geometry: a ShapeError, so NumPy-style (ValueError) and PyTorch-style (RuntimeError)
    handlers both catch it."""
    return ShapeError(f"{fn}: {msg}")


def _pair_arg(value: Any, name: str, fn: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (NumPy integers too), each >= minimum; a clear error otherwise."""
    try:
        p = conv.pair(value, name)
    except ValueError:
        raise _error(fn, f"{name} must be an int or a pair of ints, got {value!r}") from None
    if min(p) < minimum:
        raise _error(fn, f"{name} must be >= {minimum}, got {value!r}")
    return p


def _int_param(value: Any, name: str, fn: str, minimum: int) -> int:
    """An int (NumPy integers too, not bool) >= minimum. (Not ``_int_arg``: the losses section defines that.)"""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise _error(fn, f"{name} must be an int, got {value!r}")
    if value.__index__() < minimum:
        raise _error(fn, f"{name} must be >= {minimum}, got {value!r}")
    return value.__index__()


def _check_float(x: Tensor, fn: str) -> None:
    _check_tensor(x, "input", fn)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating point input, got dtype {x.dtype}")


def _batched(input: Tensor, fn: str, call):
    """Run ``call`` on (N, C, H, W); a (C, H, W) input is treated as a batch of one, as PyTorch does."""
    if input.ndim == 3:
        out = call(input.unsqueeze(0))
        return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)
    if input.ndim != 4:
        raise _error(fn, f"expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    return call(input)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2*padding - dilation*(kh-1) - 1) // stride + 1. padding may also be "valid" (0) or "same"
    (output size = input size; stride 1 only; an odd total pads one more on the bottom/right, as PyTorch).
    """
    fn = "conv2d"
    _check_tensor(input, "input", fn)
    _check_tensor(weight, "weight", fn)
    if weight.ndim != 4:
        raise _error(fn, f"expected weight of shape (out_channels, in_channels/groups, kh, kw), got {weight.shape}")
    stride = _pair_arg(stride, "stride", fn, 1)
    dilation = _pair_arg(dilation, "dilation", fn, 1)
    groups = _int_param(groups, "groups", fn, 1)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != (1, 1):
                raise _error(fn, f"padding='same' needs stride 1, got stride={stride}")
            total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
            if total[0] % 2 or total[1] % 2:  # asymmetric: the extra row/column goes bottom/right
                input = pad(input, (total[1] // 2, total[1] - total[1] // 2, total[0] // 2, total[0] - total[0] // 2))
                padding = 0
            else:
                padding = (total[0] // 2, total[1] // 2)
        else:
            raise _error(fn, f"padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    padding = _pair_arg(padding, "padding", fn, 0)
    o, cg, kh, kw = weight.shape
    if o % groups:
        raise _error(fn, f"out_channels ({o}, weight shape {weight.shape}) must be divisible by groups={groups}")
    if bias is not None:
        _check_tensor(bias, "bias", fn)
        if bias.shape != (o,):
            raise _error(fn, f"bias must have shape ({o},), got {bias.shape}")

    if input.ndim == 3:  # unbatched, as PyTorch allows
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 4:
        raise _error(fn, f"expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    _, c, h, w = input.shape
    if c != cg * groups:
        raise _error(fn, f"input has {c} channels (shape {input.shape}) but weight {weight.shape} with "
                         f"groups={groups} expects {cg * groups}")
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if eh > h + 2 * padding[0] or ew > w + 2 * padding[1]:
        raise _error(fn, f"kernel size ({kh}, {kw}) with dilation {dilation} spans ({eh}, {ew}), more than the "
                         f"padded input ({h + 2 * padding[0]}, {w + 2 * padding[1]})")
    if bias is None:
        return conv.Conv2d.apply(input, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return conv.Conv2d.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
                     padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    """Transposed convolution (the adjoint of conv2d), as torch.nn.functional.conv_transpose2d.

    input (N, Cin, H, W) or (Cin, H, W); weight (Cin, Cout/groups, kh, kw); bias (Cout,) -> (N, Cout, Ho, Wo)
    with Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1.
    """
    fn = "conv_transpose2d"
    _check_tensor(input, "input", fn)
    _check_tensor(weight, "weight", fn)
    if weight.ndim != 4:
        raise _error(fn, f"expected weight of shape (in_channels, out_channels/groups, kh, kw), got {weight.shape}")
    stride = _pair_arg(stride, "stride", fn, 1)
    padding = _pair_arg(padding, "padding", fn, 0)
    output_padding = _pair_arg(output_padding, "output_padding", fn, 0)
    dilation = _pair_arg(dilation, "dilation", fn, 1)
    groups = _int_param(groups, "groups", fn, 1)
    for i in range(2):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise _error(fn, f"output_padding {output_padding} must be smaller than stride {stride} or dilation "
                             f"{dilation} in each dimension")
    cin, cog, kh, kw = weight.shape
    if cin % groups:
        raise _error(fn, f"in_channels ({cin}, weight shape {weight.shape}) must be divisible by groups={groups}")
    if bias is not None:
        _check_tensor(bias, "bias", fn)
        if bias.shape != (cog * groups,):
            raise _error(fn, f"bias must have shape ({cog * groups},), got {bias.shape}")

    def call(x: Tensor) -> Tensor:
        _, c, h, w = x.shape
        if c != cin:
            raise _error(fn, f"input has {c} channels (shape {x.shape}) but weight {weight.shape} expects {cin}")
        size = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
                for n, s, p, d, k, op in zip((h, w), stride, padding, dilation, (kh, kw), output_padding)]
        if min(size) < 1:
            raise _error(fn, f"the output would have size {tuple(size)}: padding {padding} is too large for this "
                             "input and kernel")
        kw_ = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
        if bias is None:
            return conv.ConvTranspose2d.apply(x, weight, **kw_)
        return conv.ConvTranspose2d.apply(x, weight, bias, **kw_)
    return _batched(input, fn, call)


def _pool_args(fn: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1):
    k = _pair_arg(kernel_size, "kernel_size", fn, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _pair_arg(stride, "stride", fn, 1)
    p = _pair_arg(padding, "padding", fn, 0)
    d = _pair_arg(dilation, "dilation", fn, 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise _error(fn, f"padding {p} must be at most half the kernel size {k}")
    return k, s, p, d


def _check_pool_output(fn: str, x: Tensor, k, s, p, d, ceil_mode: bool) -> None:
    h, w = x.shape[2:]
    ho = pool.pool_out_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool.pool_out_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise _error(fn, f"kernel size {k} (dilation {d}) is larger than the padded input "
                         f"({h + 2 * p[0]}, {w + 2 * p[1]}) of shape {x.shape}: the output would be ({ho}, {wo})")


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over kh*kw windows, as torch.nn.functional.max_pool2d.

    input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel_size; padding counts as -inf.
    The gradient of each window goes to its first maximum in row-major order, or to its last NaN when it holds
    one (PyTorch's rule, NaN propagates). With return_indices, also the int64 flat index (into H*W) of each
    chosen element.
    """
    fn = "max_pool2d"
    _check_tensor(input, "input", fn)
    k, s, p, d = _pool_args(fn, kernel_size, stride, padding, dilation)

    if input.ndim != 4:
        return _batched(input, fn, lambda x: max_pool2d(x, k, s, p, d, ceil_mode, return_indices))
    _check_pool_output(fn, input, k, s, p, d, bool(ceil_mode))
    if not return_indices:
        return pool.MaxPool2d.apply(input, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
    box: list = []
    out = pool.MaxPool2d.apply(input, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode),
                               indices_out=box)
    return out, wrap(box[0])


def avg_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over kh*kw windows, as torch.nn.functional.avg_pool2d: input (N, C, H, W) or (C, H, W) ->
    (N, C, Ho, Wo). The divisor counts the zero padding when count_include_pad (never the overhang of
    ceil_mode); divisor_override replaces it."""
    fn = "avg_pool2d"
    _check_float(input, fn)
    k, s, p, _ = _pool_args(fn, kernel_size, stride, padding)
    if divisor_override is not None:
        divisor_override = _int_param(divisor_override, "divisor_override", fn, 1)

    def call(x: Tensor) -> Tensor:
        _check_pool_output(fn, x, k, s, p, (1, 1), bool(ceil_mode))
        return pool.AvgPool2d.apply(x, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                                    count_include_pad=bool(count_include_pad), divisor_override=divisor_override)
    return _batched(input, fn, call)


def adaptive_avg_pool2d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (Ho, Wo), as torch.nn.functional.adaptive_avg_pool2d: window i
    covers [floor(i*H/Ho), ceil((i+1)*H/Ho)). None in output_size keeps that input size."""
    fn = "adaptive_avg_pool2d"
    _check_float(input, fn)
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2 or not all(v is None or (hasattr(v, "__index__") and not isinstance(v, bool)) for v in sizes):
        raise _error(fn, f"output_size must be an int, None or a pair of them, got {output_size!r}")

    def call(x: Tensor) -> Tensor:
        out = tuple(n if v is None else v.__index__() for v, n in zip(sizes, x.shape[2:]))
        if min(out) < 1:
            raise _error(fn, f"output_size must be positive, got {output_size!r}")
        if min(x.shape[2:]) < 1:
            raise _error(fn, f"input of shape {x.shape} has an empty spatial dimension")
        return pool.AdaptiveAvgPool2d.apply(x, output_size=out)
    return _batched(input, fn, call)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims, as torch.nn.functional.pad: ``pad`` = (left, right) for the last dim,
    then (top, bottom) for the one before, and so on. mode "constant" (negative amounts crop), "reflect"
    (mirror without repeating the edge), "replicate" (repeat the edge) or "circular" (wrap around)."""
    fn = "pad"
    _check_tensor(input, "input", fn)
    if mode not in _PAD_MODES:
        raise _error(fn, f"mode must be one of {_PAD_MODES}, got {mode!r}")
    try:
        amounts = [v.__index__() for v in pad if not isinstance(v, bool)]
        ok = len(amounts) == len(pad)
    except (TypeError, AttributeError):
        ok = False
    if not ok or len(amounts) % 2:
        raise _error(fn, f"pad must be a sequence of ints of even length, got {pad!r}")
    if len(amounts) // 2 > input.ndim:
        raise _error(fn, f"pad {tuple(pad)} pads {len(amounts) // 2} dims but the input has only {input.ndim} "
                         f"(shape {input.shape})")
    pairs = [(amounts[2 * i], amounts[2 * i + 1]) for i in range(len(amounts) // 2)][::-1]  # first padded dim first
    lead = input.ndim - len(pairs)
    if mode == "constant":
        widths = ((0, 0),) * lead + tuple(pairs)
        for (b, a), n in zip(widths, input.shape):
            if n + b + a < 0:
                raise _error(fn, f"pad {tuple(pad)} crops more than the size of the input (shape {input.shape})")
        return _pad.ConstantPad.apply(input, widths=widths, value=0.0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise _error(fn, f"value={value!r} only applies to mode='constant', not {mode!r}")
    if any(b < 0 or a < 0 for b, a in pairs):  # PyTorch crops first, then pads what is left
        for (b, a), n in zip(pairs, input.shape[lead:]):
            if n + min(b, 0) + min(a, 0) < 0:
                raise _error(fn, f"pad {tuple(pad)} crops more than the size of the input (shape {input.shape})")
        input = _pad.ConstantPad.apply(input, widths=((0, 0),) * lead + tuple((min(b, 0), min(a, 0)) for b, a in pairs),
                                       value=0.0)
        pairs = [(max(b, 0), max(a, 0)) for b, a in pairs]
    for (b, a), n in zip(pairs, input.shape[lead:]):
        limit = n - 1 if mode == "reflect" else n
        if mode != "replicate" and max(b, a) > limit:
            raise _error(fn, f"{mode} padding {tuple(pad)} must be at most {limit} for a dimension of size {n} "
                             f"(input shape {input.shape})")
        if n == 0 and (b or a):
            raise _error(fn, f"cannot {mode}-pad an empty dimension (input shape {input.shape})")
    return _pad.IndexPad.apply(input, widths=tuple(pairs), mode=mode)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x. ``inplace`` is accepted for PyTorch code and computes out of place."""
    _check_float(input, "leaky_relu")
    return activation.LeakyReLU.apply(input, negative_slope=float(negative_slope))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF), or with approximate="tanh" PyTorch's tanh approximation."""
    _check_float(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise _error("gelu", f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return activation.GELU.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _check_float(input, "silu")
    return activation.SiLU.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta*x)) / beta; x itself where beta*x > threshold."""
    _check_float(input, "softplus")
    if beta == 0:
        raise _error("softplus", f"beta must be nonzero, got {beta!r}")
    return activation.Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _check_float(input, "elu")
    return activation.ELU.apply(input, alpha=float(alpha))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clip(x, min_val, max_val); zero gradient outside (min_val, max_val)."""
    _check_float(input, "hardtanh")
    if min_val > max_val:
        raise _error("hardtanh", f"min_val ({min_val}) must not be greater than max_val ({max_val})")
    return activation.Hardtanh.apply(input, min_val=float(min_val), max_val=float(max_val))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the others by 1/(1-p); the identity when not training.

    The mask is drawn on the host from the generator that ``mg.manual_seed`` seeds, so one seed gives the
    same mask on every backend (it is not PyTorch's stream of random numbers)."""
    _check_tensor(input, "input", "dropout")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise _error("dropout", f"dropout probability has to be between 0 and 1, got p={p!r}")
    if not training or p == 0:
        return input
    if input.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating point input, got dtype {input.dtype}")
    return _dropout.Dropout.apply(input, p=p)


def _check_index(t: Tensor, name: str, fn: str) -> None:
    _check_tensor(t, name, fn)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {name} must be an integer tensor of indices, got dtype {t.dtype}")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 (*, num_classes) with a 1 at each index; num_classes=-1 means
    max(tensor) + 1."""
    fn = "one_hot"
    _check_index(tensor, "tensor", fn)
    data = tensor._data
    xp = tensor.xp
    num_classes = _int_param(num_classes, "num_classes", fn, -1)
    if data.size == 0:
        if num_classes == -1:
            raise _error(fn, "cannot infer num_classes from an empty tensor; pass num_classes")
    else:
        lo, hi = int(data.min()), int(data.max())
        if lo < 0:
            raise _error(fn, f"class values must be non-negative, got {lo}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise _error(fn, f"class values must be smaller than num_classes={num_classes}, got {hi}")
    return wrap((data[..., None] == xp.arange(num_classes)).astype(xp.int64))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight (V, D) picked by integer indices (*) -> (*, D). The padding_idx row gets no gradient.
    max_norm, scale_grad_by_freq and sparse are not supported (an error says so)."""
    fn = "embedding"
    _check_index(input, "input", fn)
    _check_tensor(weight, "weight", fn)
    if weight.ndim != 2:
        raise _error(fn, f"weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    v = weight.shape[0]
    if padding_idx is not None:
        padding_idx = _int_param(padding_idx, "padding_idx", fn, -v)
        if padding_idx >= v:
            raise _error(fn, f"padding_idx must be within num_embeddings ({v}), got {padding_idx}")
        padding_idx %= v
    if input._data.size:
        lo, hi = int(input._data.min()), int(input._data.max())
        if lo < 0 or hi >= v:
            raise IndexError(f"embedding: index {lo if lo < 0 else hi} is out of range for {v} embeddings")
    return _sparse.Embedding.apply(weight, input, padding_idx=padding_idx)


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


def _watching(out: Tensor, *tensors: Tensor | None) -> Tensor:
    """Version-check the weight-like tensors an op got as raw keyword arrays: its backward reads them."""
    if out.grad_fn is not None:
        out.grad_fn.watch([t for t in tensors if t is not None])
    return out


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
        return _watching(loss.CrossEntropyProbs.apply(input, _as_input_dtype(target, input), weight=w,
                                                      label_smoothing=float(label_smoothing), reduction=reduction),
                         weight)
    target = _class_target(input, target, fn, ignore_index)
    return _watching(loss.CrossEntropy.apply(input, target, weight=w, ignore_index=ignore_index,
                                             label_smoothing=float(label_smoothing), reduction=reduction), weight)


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
    return _watching(loss.NLLLoss.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction),
                     weight)


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
    t = target.data
    if (~((t >= 0) & (t <= 1))).any():  # PyTorch refuses these too: the loss would be a meaningless number
        raise ValueError(f"{fn}: all elements of target must be in [0, 1]; got values from {float(t.min())} to "
                         f"{float(t.max())}")
    return _watching(loss.BinaryCrossEntropy.apply(input, _as_input_dtype(target, input), weight=w,
                                                   reduction=reduction), weight)


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
    return _watching(loss.BinaryCrossEntropyWithLogits.apply(input, _as_input_dtype(target, input), weight=w,
                                                             pos_weight=pw, reduction=reduction), weight, pos_weight)


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
