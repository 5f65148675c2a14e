"""The op table: every public tensor op declared once, with the Function it applies and its public forms.

One :class:`Op` line per op gives its name, its implementation (a Tensor-level function that checks arguments
with ``_args``, promotes dtypes and applies the op's Function, or composes other ops), the Function (None for
a composite) and which forms it has, as PyTorch's ``native_functions.yaml`` does with ``variants:``:

- ``method``: ``Tensor.X`` (the implementation itself, attached: no wrapper, so no cost per call);
- ``mg``: ``mg.X`` (generated: checks that ``input`` is a Tensor and passes everything on);
- ``F``: ``mg.nn.functional.X``: True for the same generated function as ``mg.X``; ``"nn"`` where
  nn/functional.py implements it (it builds on this table, so the table names it rather than importing it);
- ``inplace``: ``Tensor.X_``, generated from the implementation by the in-place protocol (True), or written
  in tensor_inplace.py for the optimizer hot path (``"hand"``: ``add_ sub_ mul_ div_``);
- ``out``: ``out=`` on the function form, where PyTorch has it;
- ``number_input``: ``mg.X`` takes a Python number as ``input`` (``mg.add(3, t)``), as PyTorch does;
- ``operators``: the Python operators that are this op (``+``, ``@``, ``==``, ...).

Importing this module attaches the methods to Tensor; ``minigrad/functions.py`` exports the generated ``mg.X``
functions, ``nn.functional`` takes its generated ``F.X`` from :data:`NN_FUNCTIONS`, the README's op table is
:func:`readme_table`'s output (tests/ops/test_optable.py fails when it is stale), and the test registry
(tests/support/opinfo*.py) is keyed by these names. Adding an op: its Function in ``ops/``, one line here (with
its implementation in tensor_ops.py or nn/functional.py where it needs more than :func:`_unary`), one registry
entry.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Any, Callable

from . import tensor_ops
from ._args import _check_tensor
from .ops import activation, closeness, conv, divergence, dropout, elementwise, group_norm, interpolate, linalg
from .ops import logical, loss, matrix, normalization, pad, piecewise_activation, pointwise_math, pool, reduce
from .ops import roll, scan, scatter, smooth_activation, softmax as softmax_ops, sorting, sparse, vector_norm
from .ops import shape as shape_ops
from .tensor import Tensor, tensor
from .tensor_inplace import InplaceMethods, inplace_form, write_out
from .tensor_ops import TensorOps

__all__ = ["Op", "OPS", "BY_NAME", "MG_FUNCTIONS", "NN_FUNCTIONS", "readme_table"]


@dataclass(frozen=True)
class Op:
    """One public op. ``impl(input, ...)`` is its implementation (None: implemented in nn/functional.py);
    ``function`` the Function it applies (None: composed of other ops); ``method`` a bool, or the method's own
    implementation where its signature differs from the function's (``Tensor.where(condition, other)``)."""
    name: str
    impl: Callable | None
    function: type | None = None
    method: Any = True
    mg: bool = True
    F: Any = False
    inplace: Any = False
    out: bool = False
    number_input: bool = False
    input_name: str = "input"  # the function form's name for its first argument (torch.split calls it tensor)
    aliases: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()

    def forms(self) -> list[str]:
        """The public names of every form (``Tensor.X``, ``mg.X``, ``F.X``, ``Tensor.X_``, operators)."""
        names = [self.name, *self.aliases]
        out = [f"Tensor.{n}" for n in names if self.method is not False]
        out += [f"mg.{n}" for n in names if self.mg] + [f"F.{n}" for n in names if self.F]
        out += [f"Tensor.{n}_" for n in names if self.inplace]
        return out + list(self.operators)


_M = TensorOps.__dict__


def _m(name: str, function: type | None, **forms: Any) -> Op:
    """An op whose implementation is the TensorOps method ``name``."""
    return Op(name, _M[name], function, **forms)


def _unary(name: str, function: type, **forms: Any) -> Op:
    """An elementwise op that is one Function call on a floating input (integer and bool inputs go to the default
    float dtype first, as PyTorch's exp/log/... do): the table line is all it needs, with its in-place and
    ``out=`` forms."""
    apply, floating = function.apply, tensor_ops._floating

    def impl(input: Tensor) -> Tensor:
        return apply(floating(input))
    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = f"{name}(input) elementwise, same shape (integer input gives the default float dtype)."
    return Op(name, impl, function, **{"inplace": True, "out": True, **forms})


def _fn(impl: Callable, function: type | None, **forms: Any) -> Op:
    """An op with no method: ``mg.X`` is ``impl`` itself (``cat``, ``stack``, ``einsum``, ...)."""
    return Op(impl.__name__, impl, function, method=False, **forms)


def _nn(name: str, function: type | None) -> Op:
    """An op with only an ``F.X`` form, implemented in nn/functional.py."""
    return Op(name, None, function, method=False, mg=False, F="nn")


E, R, S, L = elementwise, reduce, shape_ops, logical

OPS: list[Op] = [
    # arithmetic
    _m("add", E.Add, inplace="hand", out=True, number_input=True, operators=("+",)),
    _m("sub", E.Sub, inplace="hand", out=True, number_input=True, operators=("-",)),
    _m("mul", E.Mul, inplace="hand", out=True, number_input=True, operators=("*",)),
    _m("div", E.Div, inplace="hand", out=True, number_input=True, operators=("/",)),
    _m("pow", E.Pow, inplace=True, out=True, number_input=True, operators=("**",)),
    _m("neg", E.Neg, inplace=True, out=True, operators=("unary -",)),
    _m("abs", E.Abs, inplace=True, out=True, operators=("abs()",)),
    _m("remainder", E.Remainder, inplace=True, out=True, number_input=True, operators=("%",)),
    _m("floor_divide", E.FloorDivide, inplace=True, out=True, number_input=True, operators=("//",)),
    _m("matmul", linalg.MatMul, out=True, operators=("@",)),
    _m("dot", linalg.MatMul, out=True),
    _m("bmm", linalg.MatMul, out=True),
    _m("outer", linalg.MatMul, out=True, aliases=("ger",)),
    _m("clone", E.Clone),
    _m("contiguous", E.Clone, mg=False),
    # elementwise math
    _m("exp", E.Exp, inplace=True, out=True),
    _m("log", E.Log, inplace=True, out=True),
    _unary("log10", E.Log10),
    _m("sqrt", E.Sqrt, inplace=True, out=True),
    _m("sin", E.Sin, inplace=True, out=True),
    _m("cos", E.Cos, inplace=True, out=True),
    _m("erf", pointwise_math.Erf, inplace=True, out=True),
    _m("atan2", pointwise_math.Atan2, inplace=True, out=True, aliases=("arctan2",)),
    _m("lerp", pointwise_math.Lerp, inplace=True, out=True),
    _m("sigmoid", E.Sigmoid, F=True, inplace=True, out=True),
    _m("tanh", E.Tanh, F=True, inplace=True, out=True),
    _m("relu", E.ReLU, F=True, inplace=True),
    _m("floor", E.Step, inplace=True, out=True),
    _m("ceil", E.Step, inplace=True, out=True),
    _m("round", E.Step, inplace=True, out=True),
    _m("sign", E.Step, inplace=True, out=True),
    _m("maximum", E.Maximum, out=True),
    _m("minimum", E.Minimum, out=True),
    _m("clamp", E.Clamp, inplace=True, out=True, aliases=("clip",)),
    _m("masked_fill", E.MaskedFill, inplace=True),
    Op("where", tensor_ops.where, E.Where, method=_M["where"], out=True, input_name="condition"),
    _m("isnan", E.Predicate),
    _m("isinf", E.Predicate),
    # comparisons: bool results, no gradient
    _m("eq", L.Compare, inplace=True, out=True, operators=("==",)),
    _m("ne", L.Compare, inplace=True, out=True, operators=("!=",)),
    _m("lt", L.Compare, inplace=True, out=True, operators=("<",)),
    _m("le", L.Compare, inplace=True, out=True, operators=("<=",)),
    _m("gt", L.Compare, inplace=True, out=True, operators=(">",)),
    _m("ge", L.Compare, inplace=True, out=True, operators=(">=",)),
    # bitwise: integer and bool tensors, no gradient
    _m("bitwise_and", L.Bitwise, inplace=True, out=True, operators=("&",)),
    _m("bitwise_or", L.Bitwise, inplace=True, out=True, operators=("|",)),
    _m("bitwise_xor", L.Bitwise, inplace=True, out=True, operators=("^",)),
    _m("bitwise_not", L.Bitwise, inplace=True, out=True, operators=("~",)),
    _m("isclose", closeness.IsClose),
    _m("allclose", closeness.IsClose),
    _m("equal", None),
    # reductions and scans
    _m("sum", R.Sum, out=True),
    _m("mean", R.Mean, out=True),
    _m("max", R.Max, out=True),
    _m("min", R.Min, out=True),
    _m("argmax", L.ArgReduce, out=True),
    _m("argmin", L.ArgReduce, out=True),
    _m("var", R.Var, out=True),
    _m("std", None, out=True),
    _m("prod", R.Prod, out=True),
    _m("all", E.Predicate, out=True),
    _m("any", E.Predicate, out=True),
    _m("norm", vector_norm.VectorNorm, out=True),
    _m("cumsum", R.CumSum, inplace=True, out=True),
    _m("cumprod", scan.Cumprod, inplace=True, out=True),
    _m("median", sorting.MedianIndex, out=True),
    _m("sort", sorting.Argsort, out=True),
    _m("argsort", sorting.Argsort),
    _m("topk", sorting.TopKIndices, out=True),
    Op("softmax", _M["softmax"], softmax_ops.Softmax, F="nn"),
    Op("log_softmax", _M["log_softmax"], softmax_ops.LogSoftmax, F="nn"),
    Op("logsumexp", _M["logsumexp"], softmax_ops.LogSumExp, F="nn", out=True),
    # shape and selection
    _m("reshape", S.Reshape),
    _m("view", S.Reshape, mg=False),
    _m("flatten", S.Reshape),
    _m("unflatten", S.Reshape),
    _m("squeeze", S.Reshape),
    _m("unsqueeze", S.Reshape),
    _m("permute", S.Permute),
    _m("transpose", S.Permute),
    _m("t", S.Permute),
    _m("T", S.Permute, mg=False),
    _m("expand", S.Expand, mg=False),
    _m("expand_as", S.Expand, mg=False),
    _m("broadcast_to", S.Expand),
    _m("repeat", S.Repeat, mg=False),
    _m("flip", S.Flip),
    _m("roll", roll.Roll),
    _m("narrow", S.GetItem),
    _m("split", S.GetItem, input_name="tensor"),
    _m("chunk", S.GetItem),
    _m("gather", S.TakeAlongDim, out=True),
    _m("index_select", scatter.IndexSelect, out=True),
    _m("masked_select", scatter.MaskedSelect, out=True),
    _m("nonzero", scatter.Nonzero, out=True),
    _m("scatter", scatter.Scatter, inplace=True),
    _m("scatter_add", scatter.ScatterAdd, inplace=True),
    _m("tril", matrix.Triangle, inplace=True, out=True),
    _m("triu", matrix.Triangle, inplace=True, out=True),
    _m("diagonal", matrix.Diagonal),
    _m("diag", matrix.DiagEmbed, out=True),
    Op("numel", Tensor.numel, None),
    Op("zero_", InplaceMethods.zero_, None),  # torch.zero_(t): the in-place method as a function
    # no method
    _fn(tensor_ops.cat, S.Cat, out=True, aliases=("concat", "concatenate")),
    _fn(tensor_ops.stack, None, out=True),
    _fn(tensor_ops.einsum, linalg.Einsum),
    _fn(tensor_ops.meshgrid, None),
    # nn.functional only
    _nn("linear", linalg.Linear),
    _nn("conv1d", conv.Conv2d),
    _nn("conv2d", conv.Conv2d),
    _nn("conv_transpose2d", conv.ConvTranspose2d),
    _nn("max_pool1d", pool.MaxPool2d),
    _nn("max_pool2d", pool.MaxPool2d),
    _nn("avg_pool1d", pool.AvgPool2d),
    _nn("avg_pool2d", pool.AvgPool2d),
    _nn("adaptive_avg_pool1d", pool.AdaptiveAvgPool2d),
    _nn("adaptive_avg_pool2d", pool.AdaptiveAvgPool2d),
    _nn("interpolate", interpolate.Interpolate),
    _nn("upsample", interpolate.Interpolate),
    _nn("pad", pad.ConstantPad),
    _nn("leaky_relu", activation.LeakyReLU),
    _nn("elu", activation.ELU),
    _nn("celu", smooth_activation.ScaledELU),
    _nn("selu", smooth_activation.ScaledELU),
    _nn("hardtanh", activation.Hardtanh),
    _nn("relu6", activation.Hardtanh),
    _nn("hardsigmoid", piecewise_activation.Hardsigmoid),
    _nn("hardswish", piecewise_activation.Hardswish),
    _nn("hardshrink", piecewise_activation.Hardshrink),
    _nn("softshrink", piecewise_activation.Softshrink),
    _nn("threshold", None),
    _nn("silu", activation.SiLU),
    _nn("softplus", activation.Softplus),
    _nn("gelu", activation.GELU),
    _nn("mish", smooth_activation.Mish),
    _nn("logsigmoid", smooth_activation.LogSigmoid),
    _nn("softsign", smooth_activation.Softsign),
    _nn("tanhshrink", smooth_activation.Tanhshrink),
    _nn("prelu", None),
    _nn("glu", None),
    _nn("softmin", None),
    _nn("dropout", dropout.Dropout),
    _nn("one_hot", sparse.OneHot),
    _nn("embedding", sparse.Embedding),
    _nn("batch_norm", normalization.BatchNorm),
    _nn("layer_norm", group_norm.LayerNorm),
    _nn("group_norm", group_norm.GroupNorm),
    _nn("instance_norm", group_norm.GroupNorm),
    _nn("normalize", vector_norm.VectorNorm),
    _nn("cosine_similarity", None),
    _nn("pairwise_distance", vector_norm.VectorNorm),
    _nn("scaled_dot_product_attention", None),
    _nn("mse_loss", loss.MSELoss),
    _nn("l1_loss", loss.L1Loss),
    _nn("smooth_l1_loss", loss.SmoothL1Loss),
    _nn("huber_loss", loss.HuberLoss),
    _nn("nll_loss", loss.NLLLoss),
    _nn("cross_entropy", loss.CrossEntropy),
    _nn("binary_cross_entropy", loss.BinaryCrossEntropy),
    _nn("binary_cross_entropy_with_logits", loss.BinaryCrossEntropyWithLogits),
    _nn("kl_div", divergence.KLDiv),
]

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}


def _number_input(value: Any, args: tuple, kwargs: dict, name: str) -> Tensor:
    """A Python number as ``input`` (``mg.add(3, t)``): a 0-d tensor on the other operand's backend, which
    promotes as the number would (PyTorch's wrapped numbers)."""
    other = args[0] if args else kwargs.get("other", kwargs.get("exponent"))
    if isinstance(value, (bool, int, float)) and isinstance(other, Tensor):
        return tensor(value, backend=other.backend)
    _check_tensor(value, "input", name)


def _function_form(op: Op) -> Callable:
    """``mg.X`` / ``F.X``: the implementation behind a Tensor check on ``input`` and PyTorch's ``out=``; an op
    with no method and no ``out=`` is its implementation. One-argument ops without ``out=`` (``F.relu``,
    ``mg.t``) take ``input`` without packing arguments, so they cost a check and a call."""
    impl, name, numbers, first = op.impl, op.name, op.number_input, op.input_name
    if op.method is False:
        if not op.out:
            return impl

        def fn(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
            r = impl(*args, **kwargs)
            return r if out is None else write_out(out, r, name)
    elif op.out:
        def fn(input: Tensor, *args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
            if not isinstance(input, Tensor):
                input = _number_input(input, args, kwargs, name) if numbers else _check_tensor(input, first, name)
            r = impl(input, *args, **kwargs)
            return r if out is None else write_out(out, r, name)
    elif len(inspect.signature(impl).parameters) == 1:
        def fn(input: Tensor) -> Any:
            if not isinstance(input, Tensor):
                _check_tensor(input, first, name)
            return impl(input)
    else:
        def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(input, Tensor):
                _check_tensor(input, first, name)
            return impl(input, *args, **kwargs)
    if op.input_name != "input":
        base, key = fn, op.input_name

        def fn(*args: Any, **kwargs: Any) -> Any:
            if key in kwargs:
                args = (kwargs.pop(key), *args)
            return base(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "minigrad"
    fn.__doc__ = impl.__doc__ or f"``mg.{name}(input, ...)`` is ``input.{name}(...)``."
    sig = inspect.signature(impl)
    params = list(sig.parameters.values())
    if op.method is not False and op.input_name not in sig.parameters:
        params[0] = params[0].replace(name=op.input_name)
    if op.out:
        params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
        params.sort(key=lambda p: p.kind)
    fn.__signature__ = sig.replace(parameters=params)
    return fn


def _attach() -> None:
    """Every method of TensorOps and InplaceMethods onto Tensor, as the same function objects."""
    for holder in (TensorOps, InplaceMethods):
        for name, member in holder.__dict__.items():
            if not (name.startswith("__") and not callable(member)):  # the holder's own __dict__, __doc__, ...
                setattr(Tensor, name, member)
    for op in OPS:
        if op.method is not False and op.impl is not None:
            method = op.impl if op.method is True else op.method
            for n in (op.name, *op.aliases):
                setattr(Tensor, n, method)
                if op.inplace is True:
                    setattr(Tensor, n + "_", inplace_form(method, n + "_"))


_attach()

MG_FUNCTIONS: dict[str, Callable] = {}
NN_FUNCTIONS: dict[str, Callable] = {}
for _op in OPS:
    if _op.impl is not None and _op.mg:
        MG_FUNCTIONS.update(dict.fromkeys((_op.name, *_op.aliases), _function_form(_op)))
    if _op.impl is not None and _op.F is True:  # torch.nn.functional's forms take neither out= nor a number
        NN_FUNCTIONS.update(dict.fromkeys((_op.name, *_op.aliases), _function_form(replace(_op, out=False,
                                                                                          number_input=False))))
del _op


def readme_table() -> str:
    """The README's op table (markdown), one row per op: its Function and forms."""
    rows = ["| op | Function | `Tensor.` method | `mg.` | `F.` | in-place `_` | `out=` | operators |",
            "|---|---|---|---|---|---|---|---|"]
    yes = "✓"
    for op in OPS:
        fn = op.function.__name__ if op.function is not None else "(composite)"
        name = op.name + "".join(f" / {a}" for a in op.aliases)
        rows.append(f"| `{name}` | {fn} | {yes if op.method is not False else ''} | {yes if op.mg else ''} | "
                    f"{yes if op.F else ''} | {yes if op.inplace else ''} | {yes if op.out else ''} | "
                    + " ".join(f"`{o}`".replace("|", "\\|") for o in op.operators) + " |")  # a bare | ends the cell
    return "\n".join(rows) + "\n"
