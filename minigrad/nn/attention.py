"""MultiheadAttention with PyTorch's arguments, parameter names, initialisation, masks and outputs, computed with
the differentiable ops (linear projections, batched matmuls, softmax)."""
from __future__ import annotations

import math
from typing import Any

import minigrad as mg

from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's output projection (so the reprs match)."""


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of embed_dim / num_heads features each.

    forward(query (L, N, E), key (S, N, kdim), value (S, N, vdim)) -> (output (L, N, E), weights (N, L, S) averaged
    over heads, or (N, num_heads, L, S) with average_attn_weights=False, or None with need_weights=False);
    batch_first takes (N, L, E); unbatched (L, E) inputs give (L, E) and (L, S). key_padding_mask (N, S) and
    attn_mask (L, S) or (N * num_heads, L, S): bool (True = not allowed) or float (added to the scores).
    Parameters as PyTorch names them: in_proj_weight (3E, E) and in_proj_bias (3E,), or q/k/v_proj_weight when
    kdim or vdim differ from embed_dim; out_proj (a Linear). add_bias_kv appends learned bias_k and bias_v (1, 1,
    E) to the projected keys and values (one more source position), add_zero_attn a zero key and value per head
    after those; masks get an unmasked column for each.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: Any = None,
                 backend: str | None = None) -> None:
        super().__init__()
        if isinstance(embed_dim, bool) or not isinstance(embed_dim, int) or embed_dim <= 0 or \
                isinstance(num_heads, bool) or not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = bool(add_zero_attn)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(mg.zeros(3 * embed_dim, embed_dim, dtype=dtype, backend=backend))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(mg.zeros(embed_dim, embed_dim, dtype=dtype, backend=backend))
            self.k_proj_weight = Parameter(mg.zeros(embed_dim, self.kdim, dtype=dtype, backend=backend))
            self.v_proj_weight = Parameter(mg.zeros(embed_dim, self.vdim, dtype=dtype, backend=backend))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(mg.zeros(3 * embed_dim, dtype=dtype, backend=backend))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype, backend=backend)
        if add_bias_kv:
            self.bias_k = Parameter(mg.zeros(1, 1, embed_dim, dtype=dtype, backend=backend))
            self.bias_v = Parameter(mg.zeros(1, 1, embed_dim, dtype=dtype, backend=backend))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: xavier_uniform_ projections, zero biases; out_proj's weight keeps Linear's initialisation."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query: mg.Tensor, key: mg.Tensor, value: mg.Tensor) -> tuple:
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query: mg.Tensor, key: mg.Tensor, value: mg.Tensor, key_padding_mask: mg.Tensor | None = None,
                need_weights: bool = True, attn_mask: mg.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[mg.Tensor, mg.Tensor | None]:
        for t, name in ((query, "query"), (key, "key"), (value, "value")):
            if not isinstance(t, mg.Tensor):
                raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(t).__name__}")
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise mg.ShapeError(f"MultiheadAttention: query, key and value must all be 3-D (batched) or 2-D "
                                f"(unbatched), got shapes {query.shape}, {key.shape}, {value.shape}")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                               "method `generate_square_subsequent_mask` to create this mask.")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        tgt_len, bsz, e = query.shape
        src_len = key.shape[0]
        if e != self.embed_dim:
            raise mg.ShapeError(f"was expecting embedding dimension of {self.embed_dim}, but got {e}")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != bsz:
            raise mg.ShapeError(f"key {key.shape} and value {value.shape} must have the same length and batch as "
                                f"query {query.shape} (batch {bsz})")
        h, hd = self.num_heads, self.head_dim
        q, k, v = self._projections(query, key, value)
        extra = 0  # source positions appended after the keys: bias_k/bias_v, then a zero key/value
        if self.bias_k is not None:
            k = mg.cat([k, self.bias_k.expand(1, bsz, e)])
            v = mg.cat([v, self.bias_v.expand(1, bsz, e)])
            extra += 1
        # (L, N, E) -> (N * H, L, hd), the head split PyTorch uses (so (N * H, L, S) masks line up)
        q = q.reshape(tgt_len, bsz * h, hd).transpose(0, 1)
        k = k.reshape(src_len + extra, bsz * h, hd).transpose(0, 1)
        v = v.reshape(src_len + extra, bsz * h, hd).transpose(0, 1)
        if self.add_zero_attn:
            zeros = mg.zeros(bsz * h, 1, hd, dtype=k.dtype, backend=k.backend)
            k, v = mg.cat([k, zeros], 1), mg.cat([v, zeros], 1)
            extra += 1
        scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(1, 2)
        bias = self._mask_bias(attn_mask, key_padding_mask, scores, bsz, tgt_len, src_len)
        if bias is not None:
            if extra:  # the appended positions are never masked
                bias = F.pad(bias, (0, extra))
            scores = scores + bias
        weights = F.softmax(scores, -1)
        if self.dropout and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, e)
        out = self.out_proj(out).reshape(tgt_len, bsz, e)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(bsz, h, tgt_len, src_len + extra)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def _mask_bias(self, attn_mask: Any, key_padding_mask: Any, like: mg.Tensor, bsz: int, tgt_len: int,
                   src_len: int) -> mg.Tensor | None:
        fn = "MultiheadAttention"
        bias = F._attention_bias(attn_mask, like, fn, keep_when_true=False)
        if bias is not None:
            if bias.shape == (tgt_len, src_len):
                bias = bias.unsqueeze(0)
            elif bias.shape != (bsz * self.num_heads, tgt_len, src_len):
                raise mg.ShapeError(f"{fn}: attn_mask should have shape ({tgt_len}, {src_len}) or "
                                    f"({bsz * self.num_heads}, {tgt_len}, {src_len}), got {attn_mask.shape}")
        pad = F._attention_bias(key_padding_mask, like, fn, keep_when_true=False)
        if pad is not None:
            if pad.shape != (bsz, src_len):
                raise mg.ShapeError(f"{fn}: expected key_padding_mask of shape ({bsz}, {src_len}), got "
                                    f"{key_padding_mask.shape}")
            pad = pad.reshape(bsz, 1, 1, src_len).expand(bsz, self.num_heads, 1, src_len).reshape(
                bsz * self.num_heads, 1, src_len)
            bias = pad if bias is None else bias + pad
        return bias

    def extra_repr(self) -> str:
        return ""
