"""minigrad.nn.functional (import as F): PyTorch's functional names, with argument checks, over minigrad.ops."""
from __future__ import annotations

import functools as _functools
import math as _math
import numbers as _numbers
import sys as _sys
import warnings as _warnings
from typing import Any, Sequence

from .. import dtypes as _dtypes, factories as _factories, functions as _functions
from ..autograd import is_grad_enabled as _grad_on
from ..ops import activation, conv, linalg, loss, pool
from ..ops import divergence as _divergence, dropout as _dropout, group_norm as _group_norm_ops
from ..ops import interpolate as _interpolate_ops, normalization as _norm_ops, pad as _pad
from ..ops import piecewise_activation as _piecewise, smooth_activation as _smooth, softmax as _softmax_ops
from ..ops import sparse as _sparse, vector_norm as _vector_norm
from .._args import _broadcasts_to, _check_tensor, _dim, _float_input, _int_arg
from .._state import STATE as _STATE
from ..errors import ShapeError
from ..optable import NN_FUNCTIONS
from ..tensor import Tensor, wrap

globals().update(NN_FUNCTIONS)  # the op table's F.X forms: sigmoid, tanh, relu
__all__ = [*NN_FUNCTIONS, "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad",
           "leaky_relu", "gelu", "silu", "softplus", "elu", "hardtanh", "dropout", "one_hot",
           "embedding", "linear", "mse_loss"]


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
    groups = _int_arg(groups, "groups", fn, 1, ShapeError)
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
    if input.shape[0] * c * (h + 2 * padding[0]) * (w + 2 * padding[1]) > _sys.maxsize:
        raise _error(fn, f"padding {padding} makes the padded input larger than any array can hold")
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
    groups = _int_arg(groups, "groups", fn, 1, ShapeError)
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


def _one_for_both(value: Any) -> Any:
    """A pooling argument given as a one-element sequence means that value for both dims (PyTorch's rule)."""
    return value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value


def _pool_pair(value: Any, name: str, fn: str, minimum: int) -> tuple[int, int]:
    return _pair_arg(_one_for_both(value), name, fn, minimum)


def _pool_args(fn: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1):
    k = _pool_pair(kernel_size, "kernel_size", fn, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _pool_pair(stride, "stride", fn, 1)
    p = _pool_pair(padding, "padding", fn, 0)
    d = _pool_pair(dilation, "dilation", fn, 1)
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
    indices = wrap(box[0])
    if _STATE.tracer is not None:  # the op puts a new array into box on every replay
        _STATE.tracer.side_output(indices, box, 0)
    return out, indices


def _avg_pool_input(input: Tensor, fn: str) -> None:
    _check_tensor(input, "input", fn)
    if input.dtype.kind != "f" and input.dtype != _dtypes.int64:
        raise TypeError(f"{fn}: input must be a floating point or int64 tensor, got dtype {input.dtype}")


def avg_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over kh*kw windows, as torch.nn.functional.avg_pool2d: input (N, C, H, W) or (C, H, W) ->
    (N, C, Ho, Wo). The divisor counts the zero padding when count_include_pad (never the overhang of
    ceil_mode); divisor_override replaces it. An int64 input gives int64 means rounded toward zero, as in
    PyTorch (which has no other integer dtype here)."""
    fn = "avg_pool2d"
    _avg_pool_input(input, fn)
    k, s, p, _ = _pool_args(fn, kernel_size, stride, padding)
    if divisor_override is not None:  # any nonzero int, as in PyTorch (a negative one flips the signs)
        divisor_override = _int_arg(divisor_override, "divisor_override", fn, None, ShapeError)
        if divisor_override == 0:
            raise _error(fn, "divisor_override must be nonzero, got 0")

    def call(x: Tensor) -> Tensor:
        _check_pool_output(fn, x, k, s, p, (1, 1), bool(ceil_mode))
        return pool.AvgPool2d.apply(x, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                                    count_include_pad=bool(count_include_pad), divisor_override=divisor_override)
    return _batched(input, fn, call)


def adaptive_avg_pool2d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (Ho, Wo), as torch.nn.functional.adaptive_avg_pool2d: window i
    covers [floor(i*H/Ho), ceil((i+1)*H/Ho)). None in output_size keeps that input size."""
    fn = "adaptive_avg_pool2d"
    _float_input(input, fn)
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
    (mirror without repeating the edge), "replicate" (repeat the edge) or "circular" (wrap around). In every
    mode a negative amount crops; reflect and replicate read past a crop by PyTorch's index rule (replicate
    (-4, 5) on a length-4 dim repeats its last element five times)."""
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
    if mode in ("replicate", "reflect"):
        # PyTorch's index rule, a negative amount included: output j reads input clip(j - before, 0, n - 1)
        # (replicate) or its mirror image about the first and last element (reflect), so a crop may reach past
        # the other edge as long as one element is left
        for (b, a), n in zip(pairs, input.shape[lead:]):
            if n == 0:
                raise _error(fn, f"cannot {mode}-pad an empty dimension (input shape {input.shape})")
            if mode == "reflect" and max(b, a) > n - 1:
                raise _error(fn, f"reflect padding {tuple(pad)} must be at most {n - 1} for a dimension of size {n} "
                                 f"(input shape {input.shape})")
            if n + b + a < 1:
                raise _error(fn, f"pad {tuple(pad)} crops more than the size of the input, or all of it (shape "
                                 f"{input.shape}): {mode} padding must leave each dimension one element")
        return _pad.IndexPad.apply(input, widths=tuple(pairs), mode=mode)
    # circular: PyTorch crops first, then wraps around what is left
    if any(b < 0 or a < 0 for b, a in pairs):
        for (b, a), n in zip(pairs, input.shape[lead:]):
            if n + min(b, 0) + min(a, 0) < 0:
                raise _error(fn, f"pad {tuple(pad)} crops more than the size of the input (shape {input.shape})")
        input = _pad.ConstantPad.apply(input, widths=((0, 0),) * lead + tuple((min(b, 0), min(a, 0)) for b, a in pairs),
                                       value=0.0)
        pairs = [(max(b, 0), max(a, 0)) for b, a in pairs]
    for (b, a), n in zip(pairs, input.shape[lead:]):
        if max(b, a) > n:
            raise _error(fn, f"{mode} padding {tuple(pad)} must be at most {n} for a dimension of size {n} "
                             f"(input shape {input.shape})")
        if n == 0 and (b or a):
            raise _error(fn, f"cannot {mode}-pad an empty dimension (input shape {input.shape})")
    return _pad.IndexPad.apply(input, widths=tuple(pairs), mode=mode)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x. ``inplace`` is accepted for PyTorch code and computes out of place."""
    _float_input(input, "leaky_relu")
    return activation.LeakyReLU.apply(input, negative_slope=float(negative_slope))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF), or with approximate="tanh" PyTorch's tanh approximation."""
    _float_input(input, "gelu")
    if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
        raise _error("gelu", f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return activation.GELU.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _float_input(input, "silu")
    return activation.SiLU.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta*x)) / beta; x itself where beta*x > threshold."""
    _float_input(input, "softplus")
    if beta == 0:
        raise _error("softplus", f"beta must be nonzero, got {beta!r}")
    return activation.Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _float_input(input, "elu")
    return activation.ELU.apply(input, alpha=float(alpha))


def _not_bool_input(input: Tensor, fn: str) -> None:
    """A floating or integer Tensor (PyTorch computes these activations on integers, not on bool)."""
    _check_tensor(input, "input", fn)
    if input.dtype.kind == "b":
        raise TypeError(f"{fn}: bool inputs are not supported (got dtype bool)")


def _int_scalar(v: Any, name: str, input: Tensor, fn: str) -> int:
    """A bound or fill value applied to an integer tensor, as PyTorch converts it: truncated toward zero, and an
    error when the tensor's dtype can't hold it (inf, nan, or out of range: -1 for uint8)."""
    if not isinstance(v, _numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number, got {v!r:.60} ({type(v).__name__})")
    try:
        i = int(v)
    except (ValueError, OverflowError):  # nan, inf
        raise RuntimeError(f"{fn}: {name}={v!r} cannot be converted to {input.dtype}") from None
    info = input.xp.iinfo(input.dtype)
    if not info.min <= i <= info.max:
        raise RuntimeError(f"{fn}: {name}={v!r} cannot be converted to {input.dtype} without overflow")
    return i


def _floating_activation_input(input: Tensor, fn: str) -> Tensor:
    """The input of an activation whose values are not integers: an integer tensor is taken to the default
    float dtype, as PyTorch's formula (a true division, a tanh) does; bool is refused as PyTorch does."""
    _not_bool_input(input, fn)
    return input if input.dtype.kind == "f" else input.to(_dtypes.get_default_dtype())


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clip(x, min_val, max_val); zero gradient outside (min_val, max_val). An integer input keeps its dtype, its
    bounds truncated toward zero (PyTorch's rule)."""
    fn = "hardtanh"
    _not_bool_input(input, fn)
    if min_val > max_val:
        raise _error(fn, f"min_val ({min_val}) must not be greater than max_val ({max_val})")
    if input.dtype.kind != "f":
        return activation.Hardtanh.apply(input, min_val=_int_scalar(min_val, "min_val", input, fn),
                                         max_val=_int_scalar(max_val, "max_val", input, fn))
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
    num_classes = _int_arg(num_classes, "num_classes", fn, -1, ShapeError)
    if num_classes == -1:
        if tensor._data.size == 0:
            raise _error(fn, "cannot infer num_classes from an empty tensor; pass num_classes")
        if _STATE.tracer is not None:
            raise RuntimeError("one_hot: num_classes=-1 reads the largest class on the host, which a function "
                               "captured by mg.jit cannot repeat; pass num_classes")
        _one_hot_range(tensor._data, None)
        num_classes = int(tensor._data.max()) + 1
    _value_check(_functools.partial(_one_hot_range, num_classes=num_classes), tensor)
    return _sparse.OneHot.apply(tensor, num_classes=num_classes)


def _value_check(check, *tensors: Tensor) -> None:
    """Run a check of values eager makes (``check`` takes the arrays and raises); mg.jit repeats it on every
    replay's arrays."""
    check(*(t._data for t in tensors))
    if _STATE.tracer is not None:
        _STATE.tracer.check(check, *tensors)


def _one_hot_range(data, num_classes: int | None) -> None:
    if data.size:
        lo = int(data.min())
        if lo < 0:
            raise _error("one_hot", f"class values must be non-negative, got {lo}")
        hi = int(data.max())
        if num_classes is not None and hi >= num_classes:
            raise _error("one_hot", f"class values must be smaller than num_classes={num_classes}, got {hi}")


def _embedding_range(data, v: int) -> None:
    if data.size:
        lo, hi = int(data.min()), int(data.max())
        if lo < 0 or hi >= v:
            raise IndexError(f"embedding: index {lo if lo < 0 else hi} is out of range for {v} embeddings")


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
        padding_idx = _int_arg(padding_idx, "padding_idx", fn, -v, ShapeError)
        if padding_idx >= v:
            raise _error(fn, f"padding_idx must be within num_embeddings ({v}), got {padding_idx}")
        padding_idx %= v
    _value_check(_functools.partial(_embedding_range, v=v), input)
    return _sparse.Embedding.apply(weight, input, padding_idx=padding_idx)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error. input and target must have the same shape; reduction "mean" | "sum" | "none"."""
    fn = "mse_loss"
    _float_input(input, fn)
    _reduction_arg(reduction, fn)
    _same_shape(input, target, fn)
    a, b = _promoted(input, target)
    return loss.MSELoss.apply(a, b, reduction=reduction)


# ============================================================================= softmax family, losses, batch norm
# (this section: the `losses` work; forward/backward live in ops/softmax.py, ops/loss.py, ops/normalization.py)
__all__ += ["softmax", "log_softmax", "logsumexp", "cross_entropy", "nll_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "l1_loss", "smooth_l1_loss", "huber_loss", "batch_norm"]


def _reduction_arg(reduction, fn: str) -> None:
    if not isinstance(reduction, str) or reduction not in loss.REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {loss.REDUCTIONS}, got {reduction!r}")


def _same_shape(input: Tensor, target, fn: str) -> None:
    _check_tensor(target, "target", fn)
    if target._data.shape != input._data.shape:  # the arrays' tuples: no Size built on the hot path
        raise ShapeError(f"{fn}: input shape {input.shape} and target shape {target.shape} must match exactly "
                          "(minigrad does not broadcast in losses, so a shape slip can't go unnoticed)")


def _as_input_dtype(target: Tensor, input: Tensor) -> Tensor:
    return target if target.dtype == input.dtype else target.to(dtype=input.dtype)


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
        raise ShapeError(f"{fn}: {name} must have shape {shape} (one value per class), got {t.shape}")
    if shape is None and not _broadcasts_to(t.shape, input.shape):
        raise ShapeError(f"{fn}: {name} of shape {t.shape} does not broadcast to the input's shape {input.shape}")
    if t.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be a real tensor, got dtype {t.dtype}")
    w = t.detach() if t.dtype == input.dtype else t.detach().to(dtype=input.dtype)  # a cast is an op: recorded
    if _STATE.tracer is not None:  # the op gets the array as an argument: tell mg.jit which tensor holds it
        _STATE.tracer.track(w)
    return w._data


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
    return _dim(dim, ndim, fn)


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
    axes = tuple(_dim(d, input.ndim, "logsumexp") for d in dims)
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
        raise ShapeError(f"{fn}: target of class indices must have shape {want} for input of shape "
                          f"{input.shape} (classes on dim 1), got {target.shape}")
    _value_check(_functools.partial(_class_range, c=c, ignore_index=ignore_index, fn=fn), target)
    return target if target.dtype == "int64" else target.to(dtype="int64")


def _class_range(t, c: int, ignore_index: int, fn: str) -> None:
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{fn}: target {int(t[bad].ravel()[0])} is out of bounds: expected class indices in "
                         f"[0, {c}) or ignore_index={ignore_index}")


def _probabilities(x, fn: str) -> None:
    if (~((x >= 0) & (x <= 1))).any():
        raise ValueError(f"{fn}: all elements of input must be probabilities in [0, 1] (apply sigmoid first, "
                         f"or use binary_cross_entropy_with_logits); got values from {float(x.min())} to "
                         f"{float(x.max())}")


def _unit_targets(t, fn: str) -> None:
    if (~((t >= 0) & (t <= 1))).any():  # PyTorch refuses these too: the loss would be a meaningless number
        raise ValueError(f"{fn}: all elements of target must be in [0, 1]; got values from {float(t.min())} to "
                         f"{float(t.max())}")


def _class_input(input, fn: str) -> None:
    _float_input(input, fn)
    if input.ndim == 0:
        raise ShapeError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    if input.shape[1 if input.ndim > 1 else 0] == 0:
        raise ShapeError(f"{fn}: input of shape {input.shape} has no classes (dim 1 has size 0)")


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
    _value_check(_functools.partial(_probabilities, fn=fn), input)
    _value_check(_functools.partial(_unit_targets, fn=fn), target)
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


def _promoted(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """A difference loss's operands in PyTorch's result type: the wider of two floats; an integer or bool target
    takes the input's dtype (NumPy would compute float32 - int64 in float64)."""
    if target._data.dtype is input._data.dtype:  # the common case, first: one dtype object for both
        return input, target
    if target.dtype.kind == "f" and target.dtype.itemsize > input.dtype.itemsize:
        return input.to(dtype=target.dtype), target
    return input, _as_input_dtype(target, input)


def _difference_loss(op, input, target, reduction, fn, param=None):
    _float_input(input, fn)
    _reduction_arg(reduction, fn)
    _same_shape(input, target, fn)
    # huber_loss computes in the input's dtype whatever the target's, as PyTorch's does
    a, b = (input, _as_input_dtype(target, input)) if op is loss.HuberLoss else _promoted(input, target)
    return op.apply(a, b, reduction=reduction, param=param)


def _finite_float(v, name: str, fn: str) -> float:
    """A running-statistics momentum: any finite number (PyTorch computes with a negative one too)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"{fn}: {name} must be a finite float, got {v!r}")
    return float(v)


def _real_float(v, name: str, fn: str) -> float:
    """A number PyTorch computes with whatever its value: a negative ``eps`` of layer_norm or group_norm makes
    var + eps negative for some inputs, and those give NaN there, as in PyTorch."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{fn}: {name} must be a float, got {v!r}")
    return float(v)


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
        raise ShapeError(f"{fn}: input must have shape (N, C, *), got {input.shape}")
    c = input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        if t is not None:
            _check_tensor(t, name, fn)
            if t.shape != (c,):
                raise ShapeError(f"{fn}: {name} must have shape ({c},) for input of shape {input.shape}, "
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
    if use_batch and input.numel() // max(c, 1) == 1:  # none at all is an empty batch: PyTorch allows it
        raise ShapeError(f"{fn}: expected more than 1 value per channel when training, got input of shape "
                          f"{input.shape}")
    updates = use_batch and running_mean is not None
    if momentum is not None:
        momentum = _finite_float(momentum, "momentum", fn)
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


# --- nn ops: layer_norm, group_norm, conv1d, normalize, interpolate, activations, kl_div, distances ---
__all__ += ["layer_norm", "group_norm", "conv1d", "normalize", "interpolate", "upsample", "hardsigmoid",
            "hardswish", "relu6", "selu", "celu", "mish", "logsigmoid", "softsign", "tanhshrink", "softshrink",
            "hardshrink", "kl_div", "cosine_similarity", "pairwise_distance", "scaled_dot_product_attention",
            "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "prelu", "glu", "threshold", "softmin",
            "instance_norm"]


def _affine_arg(t, name: str, shape: tuple, input: Tensor, fn: str) -> None:
    if t is None:
        return
    _check_tensor(t, name, fn)
    if t.shape != shape:
        raise ShapeError(f"{fn}: {name} must have shape {shape}, got {t.shape}")
    if t.backend != input.backend:
        raise RuntimeError(f"{fn}: {name} is on backend {t.backend!r} but input is on {input.backend!r}")


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims ``normalized_shape``: (x - mean) / sqrt(var + eps) * weight + bias, with
    the biased variance per sample. input (*, *normalized_shape); weight, bias of shape normalized_shape."""
    fn = "layer_norm"
    _float_input(input, fn)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or input.shape[input.ndim - len(shape):] != shape or len(shape) > input.ndim:
        raise ShapeError(f"{fn}: normalized_shape {shape} must be the trailing dims of the input, got input of "
                          f"shape {input.shape}")
    _affine_arg(weight, "weight", shape, input, fn)
    _affine_arg(bias, "bias", shape, input, fn)
    eps = _real_float(eps, "eps", fn)
    return _group_norm_ops.LayerNorm.apply(input, weight, bias, ndim=len(shape), eps=eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Split the channels of input (N, C, *) into num_groups groups and normalize each (sample, group) over its
    channels and positions; weight, bias (C,) scale and shift per channel."""
    fn = "group_norm"
    _float_input(input, fn)
    if input.ndim < 2:
        raise ShapeError(f"{fn}: expected input of shape (N, C, *), got {input.shape}")
    num_groups = _int_arg(num_groups, "num_groups", fn)
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ShapeError(f"{fn}: the {c} channels of input {input.shape} must split into num_groups={num_groups} "
                          "equal groups")
    if input.shape[0] * (c // num_groups) * _math.prod(input.shape[2:]) <= 1:
        raise ShapeError(f"{fn}: expected more than 1 value per group, got input of shape {input.shape} with "
                          f"num_groups={num_groups}")
    _affine_arg(weight, "weight", (c,), input, fn)
    _affine_arg(bias, "bias", (c,), input, fn)
    eps = _real_float(eps, "eps", fn)
    return _group_norm_ops.GroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps)


def _single(value: Any, name: str, fn: str, minimum: int) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise _error(fn, f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return _int_arg(value, name, fn, minimum, ShapeError)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, as torch.nn.functional.conv1d: input (N, C, L) or (C, L); weight (O, C/groups, k);
    bias (O,) -> (N, O, Lo), Lo = (L + 2*padding - dilation*(k-1) - 1) // stride + 1; padding may be "valid" or
    "same". Computed by conv2d on a height-1 image."""
    fn = "conv1d"
    _check_tensor(input, "input", fn)
    _check_tensor(weight, "weight", fn)
    if weight.ndim != 3:
        raise _error(fn, f"expected weight of shape (out_channels, in_channels/groups, k), got {weight.shape}")
    if input.ndim not in (2, 3):
        raise _error(fn, f"expected input of shape (N, C, L) or (C, L), got shape {input.shape}")
    stride = _single(stride, "stride", fn, 1)
    dilation = _single(dilation, "dilation", fn, 1)
    if not isinstance(padding, str):
        padding = (0, _single(padding, "padding", fn, 0))
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride), padding, (1, dilation), groups)
    return out.squeeze(-2)


def _norm(input: Tensor, p: float, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    return _vector_norm.VectorNorm.apply(input, p=float(p), axes=dims, keepdim=keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along ``dim`` (a zero vector stays zero). A 0-d input is a vector of one
    element (dim -1 or 0), as in PyTorch."""
    fn = "normalize"
    _float_input(input, fn)
    d = _dim(dim, input.ndim, fn)
    if input.ndim == 0:
        return normalize(input.reshape(1), p, 0, eps).reshape(())
    return input / _norm(input, p, (d,), True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim``, the two inputs broadcast together."""
    fn = "cosine_similarity"
    _float_input(x1, fn, "x1")
    _float_input(x2, fn, "x2")
    shape = _broadcast_pair(x1, x2, fn)
    d = _dim(dim, len(shape), fn)
    if not shape:  # two 0-d inputs: vectors of one element (dim -1 or 0), as in PyTorch
        return cosine_similarity(x1.reshape(1), x2.reshape(1), 0, eps)
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    return ((x1 / _norm(x1, 2, (d,), True).clamp(min=eps)) * (x2 / _norm(x2, 2, (d,), True).clamp(min=eps))).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (the inputs broadcast together). Integer inputs subtract exactly and
    the distance has the default float dtype, as in PyTorch (which refuses bool, as minigrad does)."""
    fn = "pairwise_distance"
    for t, name in ((x1, "x1"), (x2, "x2")):
        _check_tensor(t, name, fn)
        if t.dtype.kind == "b":
            raise TypeError(f"{fn}: {name} must be a floating point or integer tensor, got dtype bool")
    shape = _broadcast_pair(x1, x2, fn)
    if not shape:  # two 0-d inputs: the norm of one element, 0-d also with keepdim (PyTorch's result)
        return _norm((x1 - x2 + eps).reshape(1), p, (0,), False)
    return _norm(x1 - x2 + eps, p, (len(shape) - 1,), keepdim)


def _broadcast_pair(a: Tensor, b: Tensor, fn: str) -> tuple[int, ...]:
    n = max(a.ndim, b.ndim)
    sa, sb = (1,) * (n - a.ndim) + tuple(a.shape), (1,) * (n - b.ndim) + tuple(b.shape)
    out = []
    for i, j in zip(sa, sb):
        if i != j and 1 not in (i, j):
            raise ShapeError(f"{fn}: shapes {a.shape} and {b.shape} do not broadcast")
        out.append(max(i, j) if 0 not in (i, j) else 0)
    return tuple(out)


# mode -> the spatial rank it needs (None: any of 1, 2, 3), and the kernel mode of ops/interpolate.py
_INTERPOLATE_MODES = {"nearest": (None, "nearest"), "nearest-exact": (None, "nearest-exact"), "area": (None, "area"),
                      "linear": (1, "linear"), "bilinear": (2, "linear"), "trilinear": (3, "linear"),
                      "bicubic": (2, "cubic")}


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of input (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by
    ``scale_factor`` (output size floor(in * scale)), as torch.nn.functional.interpolate. Modes: "nearest",
    "nearest-exact", "area" (adaptive average pooling), "linear" (3-D input), "bilinear" and "bicubic" (4-D),
    "trilinear" (5-D); ``align_corners`` (the interpolating modes) maps the corner pixels' centres onto each
    other. Antialiasing is not implemented and raises."""
    fn = "interpolate"
    _float_input(input, fn)
    if mode not in _INTERPOLATE_MODES:
        raise NotImplementedError(f"{fn}: mode {mode!r} is not implemented; minigrad has "
                                  f"{', '.join(map(repr, _INTERPOLATE_MODES))}")
    if antialias:
        raise NotImplementedError(f"{fn}: antialias=True is not implemented")
    if input.ndim not in (3, 4, 5):
        raise ShapeError(f"{fn}: expected a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got "
                          f"shape {input.shape}")
    k = input.ndim - 2
    rank, kernel = _INTERPOLATE_MODES[mode]
    if rank is not None and rank != k:
        raise NotImplementedError(f"{fn}: mode {mode!r} needs a {rank + 2}-D input, got {input.ndim}-D {input.shape}")
    interpolating = rank is not None
    if align_corners is not None and not interpolating:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = input.shape[2:]
    if size is not None:
        sizes = [size] * k if not isinstance(size, (tuple, list)) else list(size)
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(spatial)} and output size of {sizes}. Please provide "
                             "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        sizes = [_int_arg(s, "size", fn) for s in sizes]
        scales: list[float | None] = [None] * k
    else:
        factors = [scale_factor] * k if not isinstance(scale_factor, (tuple, list)) else list(scale_factor)
        if len(factors) != k:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(spatial)} and scale_factor of shape {factors}.")
        factors = [float(f) for f in factors]
        sizes = [int(_math.floor(n * f)) for n, f in zip(spatial, factors)]
        # PyTorch passes the user's factors on to the kernel unless asked to recompute them from the sizes
        scales = [None] * k if recompute_scale_factor else factors
    if min(sizes) <= 0 or min(spatial) <= 0:
        raise ShapeError(f"{fn}: input {tuple(spatial)} and output {tuple(sizes)} sizes should be greater than 0")
    return _interpolate_ops.Interpolate.apply(input, size=tuple(sizes), mode=kernel, scales=tuple(scales),
                                              align_corners=bool(align_corners))


def upsample(input: Tensor, size: int | Sequence[int] | None = None, scale_factor: float | None = None,
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """interpolate (PyTorch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clip(x / 6 + 1/2, 0, 1)."""
    _float_input(input, "hardsigmoid")
    return _piecewise.Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * clip(x + 3, 0, 6) / 6."""
    _float_input(input, "hardswish")
    return _piecewise.Hardswish.apply(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (hardtanh(x, 0, 6)); an integer input keeps its dtype."""
    return hardtanh(input, 0, 6)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(x) - 1)) with SELU's alpha ~1.6733 and scale ~1.0507."""
    _float_input(input, "selu")
    return _smooth.ScaledELU.apply(input, alpha=_smooth.SELU_ALPHA, scale=_smooth.SELU_SCALE, input_scale=1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _float_input(input, "celu")
    if alpha == 0:
        raise ValueError("ZeroDivisionError in celu: alpha cannot be 0")
    return _smooth.ScaledELU.apply(input, alpha=float(alpha), scale=1.0, input_scale=1.0 / alpha)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _float_input(input, "mish")
    return _smooth.Mish.apply(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    _float_input(input, "logsigmoid")
    return _smooth.LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); an integer input gives the default float dtype."""
    return _smooth.Softsign.apply(_floating_activation_input(input, "softsign"))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); an integer input gives the default float dtype."""
    return _smooth.Tanhshrink.apply(_floating_activation_input(input, "tanhshrink"))


def _lambd(lambd: Any, fn: str) -> float:
    if isinstance(lambd, bool) or not isinstance(lambd, (int, float)) or lambd < 0:
        raise ValueError(f"{fn}: lambd must be a number >= 0, got {lambd!r}")
    return float(lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _float_input(input, "softshrink")
    return _piecewise.Softshrink.apply(input, lambd=_lambd(lambd, "softshrink"))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where -lambd <= x <= lambd, else x: any lambd, as in PyTorch (a negative one zeroes nothing)."""
    _float_input(input, "hardshrink")
    return _piecewise.Hardshrink.apply(input, lambd=_real_float(lambd, "lambd", "hardshrink"))


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """The KL divergence loss with input = log-probabilities: target * (log(target) - input) pointwise (target
    given as log-probabilities with log_target), then "mean" (over all elements, which PyTorch warns is not the
    KL divergence), "batchmean" (sum / batch size: the KL divergence), "sum" or "none". Shapes must match."""
    fn = "kl_div"
    if size_average is not None or reduce is not None:
        raise ValueError(f"{fn}: size_average and reduce are deprecated in PyTorch and not supported; use reduction=")
    _float_input(input, fn)
    if not isinstance(reduction, str) or reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"{fn}: {reduction} is not a valid value for reduction")
    _check_tensor(target, "target", fn)
    _same_shape(input, target, fn)
    if reduction == "mean":
        _warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                       "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                       "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                       UserWarning, stacklevel=2)
    return _divergence.KLDiv.apply(input, _as_input_dtype(target, input), reduction=reduction,
                                   log_target=bool(log_target))


def _attention_bias(mask: Tensor | None, like: Tensor, fn: str, keep_when_true: bool) -> Tensor | None:
    """A mask as an additive float bias in ``like``'s dtype: a bool mask becomes 0 / -inf (True keeps a place
    when ``keep_when_true``, as in scaled_dot_product_attention; True masks it out in MultiheadAttention's
    masks), a float mask is added as it is."""
    if mask is None:
        return None
    _check_tensor(mask, "attn_mask", fn)
    if mask.dtype.kind == "b":
        keep, drop = (0.0, float("-inf")) if keep_when_true else (float("-inf"), 0.0)
        return _functions.where(mask, keep, drop).to(like.dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"{fn}: attn_mask must be bool or floating point, got dtype {mask.dtype}")
    return mask if mask.dtype == like.dtype else mask.to(like.dtype)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + bias) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dims broadcast. scale defaults
    to 1 / sqrt(E). attn_mask: bool (True = may attend) or float (added), broadcastable to (..., L, S);
    is_causal masks out the future (position j > i), and excludes attn_mask. dropout_p drops attention weights
    (from mg.manual_seed's generator). enable_gqa (grouped-query attention) is not implemented."""
    fn = "scaled_dot_product_attention"
    for t, name in ((query, "query"), (key, "key"), (value, "value")):
        _float_input(t, fn, name)
        if t.ndim < 2:
            raise ShapeError(f"{fn}: {name} must have at least 2 dims (..., L or S, E), got {t.shape}")
    if enable_gqa:
        raise NotImplementedError(f"{fn}: enable_gqa=True is not implemented")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{fn}: query {query.shape}, key {key.shape} and value {value.shape} don't fit (expected "
                          "(..., L, E), (..., S, E), (..., S, Ev))")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{fn}: _scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    scale = 1.0 / _math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query * scale) @ key.transpose(-2, -1)
    if is_causal:  # position j > i is the future
        n, m = query.shape[-2], key.shape[-2]
        # made by a factory and an op, so that mg.jit makes it again on each replay
        future = _factories.ones(n, m, dtype=_dtypes.bool, backend=query.backend).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    bias = _attention_bias(attn_mask, scores, fn, keep_when_true=True)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if dropout_p:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _pool1d_input(input: Tensor, fn: str) -> None:
    _check_tensor(input, "input", fn)
    if input.ndim not in (2, 3):
        raise _error(fn, f"expected input of shape (N, C, L) or (C, L), got shape {input.shape}")


def max_pool1d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over windows of k along L, as torch.nn.functional.max_pool1d: (N, C, L) or (C, L) -> (N, C, Lo); max_pool2d
    on a height-1 image (its flat indices are then the indices along L)."""
    fn = "max_pool1d"
    _pool1d_input(input, fn)
    k = _single(kernel_size, "kernel_size", fn, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _single(stride, "stride", fn, 1)
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding", fn, 0)),
                     (1, _single(dilation, "dilation", fn, 1)), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of k along L, as torch.nn.functional.avg_pool1d: (N, C, L) or (C, L) -> (N, C, Lo)."""
    fn = "avg_pool1d"
    _pool1d_input(input, fn)
    _avg_pool_input(input, fn)
    k = _single(kernel_size, "kernel_size", fn, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _single(stride, "stride", fn, 1)
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding", fn, 0)), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average pooling to a fixed output length, as torch.nn.functional.adaptive_avg_pool1d: window i covers
    [floor(i*L/Lo), ceil((i+1)*L/Lo))."""
    fn = "adaptive_avg_pool1d"
    _pool1d_input(input, fn)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _single(output_size, "output_size", fn, 1))).squeeze(-2)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x, with one slope per channel (dim 1; weight (C,)) or one for all (weight
    (1,)); a learnable leaky ReLU. The gradient at 0 is the slope, as in PyTorch."""
    fn = "prelu"
    _float_input(input, fn)
    _check_tensor(weight, "weight", fn)
    if weight.ndim > 1:
        raise ShapeError(f"{fn}: weight must be 1-D, got shape {weight.shape}")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise ShapeError(f"{fn}: mismatch of parameter numbers and input channel size: weight has {n} entries, "
                          f"input {input.shape} has {channels} channels")
    w = weight.reshape((1, n) + (1,) * (input.ndim - 2)) if n > 1 else weight.reshape(())
    return _functions.where(input > 0, input, w * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: a * sigmoid(b) for input split in halves a, b along ``dim``."""
    fn = "glu"
    _float_input(input, fn)
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _dim(dim, input.ndim, fn)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value. An integer input keeps its dtype, threshold and value truncated toward
    zero (PyTorch's rule)."""
    fn = "threshold"
    _not_bool_input(input, fn)
    if input.dtype.kind != "f":
        threshold, value = _int_scalar(threshold, "threshold", input, fn), _int_scalar(value, "value", input, fn)
        return _functions.where(input > threshold, input, value)
    return _functions.where(input > threshold, input, float(value))


def softmin(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return softmax(-_softmax_input(input, dtype, "softmin"), dim)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (sample, channel) of input (N, C, *) over its positions (group_norm with one channel per
    group), then weight and bias (C,) per channel; with use_input_stats=False, normalize by the running
    statistics instead (as batch_norm in eval mode). With use_input_stats and running statistics (C,) given,
    those are updated in place by ``momentum`` from the instance statistics averaged over the batch (PyTorch's
    rule; the variance unbiased)."""
    fn = "instance_norm"
    _float_input(input, fn)
    if input.ndim < 3:
        raise ShapeError(f"{fn}: expected input of shape (N, C, *) with at least one position dim, got {input.shape}")
    if use_input_stats:
        if (running_mean is None) != (running_var is None):
            raise ValueError(f"{fn}: give both running_mean and running_var, or neither")
        if _math.prod(input.shape[2:]) <= 1:
            raise ShapeError(f"{fn}: expected more than 1 spatial element when training, got input of shape "
                              f"{input.shape}")
        out = group_norm(input, input.shape[1], weight, bias, eps)
        if running_mean is not None:
            c = input.shape[1]
            for t, name in ((running_mean, "running_mean"), (running_var, "running_var")):
                _check_tensor(t, name, fn)
                if t.shape != (c,):
                    raise ShapeError(f"{fn}: {name} must have shape ({c},) for input of shape {input.shape}, "
                                     f"got {t.shape}")
            momentum = _finite_float(momentum, "momentum", fn)
            _norm_ops.InstanceRunningStats.apply(input.detach(), running_mean, running_var, momentum=momentum)
            running_mean._vc[0] += 1  # the op wrote into the buffers: the in-place change it is
            running_var._vc[0] += 1
        return out
    if running_mean is None or running_var is None:
        raise ValueError(f"{fn}: use_input_stats=False needs running_mean and running_var")
    return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
