"""Embedding: a lookup table of num_embeddings vectors of size embedding_dim."""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from . import init
from .layers import _check_positive
from .module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """Integer indices (*) -> (*, embedding_dim); weight (num_embeddings, embedding_dim) drawn from N(0, 1) as in
    PyTorch, with the padding_idx row zeroed and given no gradient."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: mg.Tensor | None = None, _freeze: bool = False, dtype: Any = None,
                 backend: str | None = None) -> None:
        super().__init__()
        num_embeddings = _check_positive(num_embeddings, "num_embeddings")
        embedding_dim = _check_positive(embedding_dim, "embedding_dim")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported")
        if padding_idx is not None:
            if not isinstance(padding_idx, int) or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings ({num_embeddings}), got {padding_idx!r}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is None:
            self.weight = Parameter(mg.zeros(num_embeddings, embedding_dim, dtype=dtype, backend=backend))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), got {_weight.shape}")
            self.weight = Parameter(_weight)
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with mg.no_grad():
                self.weight[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: mg.Tensor, freeze: bool = True, padding_idx: int | None = None) -> "Embedding":
        """An Embedding holding ``embeddings`` (num_embeddings, embedding_dim); frozen by default, as in PyTorch."""
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-D, got shape {embeddings.shape}")
        return cls(*embeddings.shape, padding_idx=padding_idx, _weight=embeddings.detach().clone(), _freeze=freeze)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
