"""Recurrent layers RNN, LSTM and GRU with PyTorch's arguments, parameter names, gate order, initialisation and
shapes, built from the differentiable ops (matmul, sigmoid, tanh, stack), one time step at a time.

Input (L, N, H_in) (batch_first: (N, L, H_in)) or unbatched (L, H_in); initial states (D * num_layers, N, H)
(unbatched: (D * num_layers, H)), zeros when omitted; D = 2 when bidirectional. Returns (output, h_n) for RNN
and GRU, (output, (h_n, c_n)) for LSTM; output (L, N, D * H) holds the last layer's states at every step.
"""
from __future__ import annotations

import math
from typing import Any

import minigrad as mg

from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(Module):
    _gates = 1
    _name = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None, backend: str | None = None, *, proj_size: int = 0) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self.proj_size = proj_size
        out = proj_size or hidden_size  # the size of h: the projected one, when there is a projection
        directions = 2 if bidirectional else 1
        g = self._gates * hidden_size
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                layer_in = input_size if layer == 0 else out * directions
                setattr(self, "weight_ih" + suffix, Parameter(mg.zeros(g, layer_in, dtype=dtype, backend=backend)))
                setattr(self, "weight_hh" + suffix, Parameter(mg.zeros(g, out, dtype=dtype, backend=backend)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(mg.zeros(g, dtype=dtype, backend=backend)))
                    setattr(self, "bias_hh" + suffix, Parameter(mg.zeros(g, dtype=dtype, backend=backend)))
                if proj_size:
                    setattr(self, "weight_hr" + suffix,
                            Parameter(mg.zeros(proj_size, hidden_size, dtype=dtype, backend=backend)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _cell(self, x_proj: mg.Tensor, h: Any, w_hh: mg.Tensor, b_hh: Any, w_hr: Any = None) -> Any:
        raise NotImplementedError

    def _check_input(self, input: mg.Tensor, hx: Any) -> tuple[mg.Tensor, bool]:
        if not isinstance(input, mg.Tensor):
            raise TypeError(f"{self._name}: input must be a minigrad Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise mg.ShapeError(f"{self._name}: Expected input to be 2D or 3D, got {input.ndim}D tensor of shape "
                                f"{input.shape}")
        if input.shape[-1] != self.input_size:
            raise mg.ShapeError(f"{self._name}: input.size(-1) must be equal to input_size. Expected "
                                f"{self.input_size}, got {input.shape[-1]}")
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        return input, batched

    def _initial(self, hx: Any, batch: int, batched: bool, like: mg.Tensor, what: str, size: int = 0) -> mg.Tensor:
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, size or self.hidden_size)
        if hx is None:
            return mg.zeros(*expected, dtype=like.dtype, backend=like.backend)
        if not isinstance(hx, mg.Tensor):
            raise TypeError(f"{self._name}: {what} must be a Tensor, got {type(hx).__name__}")
        if not batched:
            if hx.ndim != 2:
                raise mg.ShapeError(f"{self._name}: For unbatched 2-D input, {what} should also be 2-D but got "
                                    f"{hx.ndim}-D tensor")
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != expected:
            raise mg.ShapeError(f"{self._name}: Expected {what} size {expected}, got {tuple(hx.shape)}")
        return hx

    def _run(self, input: mg.Tensor, states: list[mg.Tensor]) -> tuple[mg.Tensor, list[list[mg.Tensor]]]:
        """Run every layer and direction; ``states`` hold one (num_layers * D, N, H) tensor per state kind."""
        directions = 2 if self.bidirectional else 1
        steps = input.shape[0]
        finals: list[list[mg.Tensor]] = [[] for _ in states]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                # one matmul for the input projections of all steps
                x_proj = layer_input @ w_ih.T
                if b_ih is not None:
                    x_proj = x_proj + b_ih
                k = layer * directions + direction
                state = tuple(s[k] for s in states)
                seq = [None] * steps
                order = range(steps - 1, -1, -1) if direction else range(steps)
                for t in order:
                    state = self._cell(x_proj[t], state, w_hh, b_hh, w_hr)
                    seq[t] = state[0]
                outputs.append(mg.stack(seq, 0))
                for i, s in enumerate(state):
                    finals[i].append(s)
            layer_input = outputs[0] if directions == 1 else mg.cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _finish(self, output: mg.Tensor, batched: bool) -> mg.Tensor:
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output


class RNN(_RNNBase):
    """Elman RNN: h' = tanh (or relu) of x W_ih^T + b_ih + h W_hh^T + b_hh."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None, backend: str | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         backend)

    def _cell(self, x_proj, state, w_hh, b_hh, w_hr=None):
        pre = x_proj + state[0] @ w_hh.T
        if b_hh is not None:
            pre = pre + b_hh
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu(),)

    def forward(self, input: mg.Tensor, hx: mg.Tensor | None = None) -> tuple[mg.Tensor, mg.Tensor]:
        x, batched = self._check_input(input, hx)
        h0 = self._initial(hx, x.shape[1], batched, x, "hidden")
        output, (h_n,) = self._run(x, [h0])
        h_n = mg.stack(h_n, 0)
        return self._finish(output, batched), h_n if batched else h_n.squeeze(1)


class LSTM(_RNNBase):
    """Long short-term memory; gates in PyTorch's order (input, forget, cell, output):
    i, f, o = sigmoid(.), g = tanh(.); c' = f * c + i * g; h' = o * tanh(c'). With ``proj_size`` > 0,
    h' is projected by weight_hr (proj_size, hidden_size) to proj_size features: h_0, h_n and the output have
    proj_size features, c_0 and c_n hidden_size."""
    _gates = 4
    _name = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 dtype: Any = None, backend: str | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         backend, proj_size=proj_size)

    def _cell(self, x_proj, state, w_hh, b_hh, w_hr=None):
        h, c = state
        gates = x_proj + h @ w_hh.T
        if b_hh is not None:
            gates = gates + b_hh
        i, f, g, o = gates.chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h if w_hr is None else h @ w_hr.T), c

    def forward(self, input: mg.Tensor, hx: tuple[mg.Tensor, mg.Tensor] | None = None) -> tuple:
        x, batched = self._check_input(input, hx)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        h0 = self._initial(None if hx is None else hx[0], x.shape[1], batched, x, "hidden[0]", self.proj_size)
        c0 = self._initial(None if hx is None else hx[1], x.shape[1], batched, x, "hidden[1]")
        output, (h_n, c_n) = self._run(x, [h0, c0])
        h_n, c_n = mg.stack(h_n, 0), mg.stack(c_n, 0)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, batched), (h_n, c_n)


class GRU(_RNNBase):
    """Gated recurrent unit; gates in PyTorch's order (reset, update, new):
    r, z = sigmoid(.); n = tanh(x W_in + b_in + r * (h W_hn + b_hn)); h' = (1 - z) * n + z * h."""
    _gates = 3
    _name = "GRU"

    def _cell(self, x_proj, state, w_hh, b_hh, w_hr=None):
        h = state[0]
        hh = h @ w_hh.T
        if b_hh is not None:
            hh = hh + b_hh
        xr, xz, xn = x_proj.chunk(3, -1)
        hr, hz, hn = hh.chunk(3, -1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return ((1 - z) * n + z * h,)

    def forward(self, input: mg.Tensor, hx: mg.Tensor | None = None) -> tuple[mg.Tensor, mg.Tensor]:
        x, batched = self._check_input(input, hx)
        h0 = self._initial(hx, x.shape[1], batched, x, "hidden")
        output, (h_n,) = self._run(x, [h0])
        h_n = mg.stack(h_n, 0)
        return self._finish(output, batched), h_n if batched else h_n.squeeze(1)
