"""The assignment notebook's networks as minigrad modules, and ``build()`` (model, input, target).

Network (shapes for the single 5x5 input, batch 1, channel 1)::

    x (1,1,5,5) -> conv 2x2, stride 1, no bias -> feature_map (1,1,4,4)
      -> max pool 2x2 stride 2 -> pooled (1,1,2,2) -> flatten (1,4) -> sigmoid = s
      -> Linear(4,2, no bias), sigmoid = H = (H1, H2)   weight rows: w1..w4, w5..w8
      -> Linear(2,2, no bias), sigmoid = O = (O1, O2)   weight: [[w9, w10], [w11, w12]]
    E = (O1 - t1)^2 + (O2 - t2)^2 = mse_loss(O, t, reduction="sum"),  t = (0, 1)

Weights come from ``models.notebook.notebook_weights(seed)``, so seed 0 reproduces the notebook's first forward
pass to the last digit. ``PyTorchVariantCNN`` is the notebook's second model (SimpleCNNPyTorch): ReLU after a
conv with bias, biases in both linear layers, mean MSE, PyTorch-style init drawn from mg.manual_seed(seed).
"""
from __future__ import annotations

from typing import Any

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from models.notebook import INPUT_5X5, TARGETS, notebook_weights


class AssignmentCNN(nn.Module):
    """The notebook's hand-worked network. Input (1,1,5,5) -> output O (1,2); loss: sum of squared errors."""

    loss_reduction = "sum"

    def __init__(self, seed: int = 0, dtype: Any = mg.float64, backend: str = "numpy") -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2, bias=False, dtype=dtype, backend=backend)
        self.pool = nn.MaxPool2d(2)
        self.hidden = nn.Linear(4, 2, bias=False, dtype=dtype, backend=backend)
        self.out = nn.Linear(2, 2, bias=False, dtype=dtype, backend=backend)
        # The notebook's RandomState draws replace the layers' default init (cast to dtype, moved to backend).
        self.load_state_dict(notebook_weights(seed))

    def forward(self, x: mg.Tensor, keep: dict[str, mg.Tensor] | None = None) -> mg.Tensor:
        """x (1,1,5,5) -> O (1,2). If `keep` is a dict, the named intermediates are stored in it (for --trace)."""
        feature_map = self.conv(x)                     # (1,1,4,4)
        pooled = self.pool(feature_map)                # (1,1,2,2)
        flat = pooled.flatten(1)                       # (1,4)
        s = F.sigmoid(flat)                            # (1,4)
        h = F.sigmoid(self.hidden(s))                  # (1,2) = H1, H2
        o = self.head(h)                               # (1,2) = O1, O2
        if keep is not None:
            keep.update(feature_map=feature_map, pooled=pooled, flat=flat, s=s, H=h, O=o)
        return o

    def head(self, h: mg.Tensor) -> mg.Tensor:
        """The output layer alone: H (1,2) -> O (1,2); used to differentiate E numerically w.r.t. H."""
        return F.sigmoid(self.out(h))


class PyTorchVariantCNN(nn.Module):
    """The notebook's SimpleCNNPyTorch: conv (bias) -> ReLU -> max pool -> flatten -> sigmoid -> Linear(4,2) ->
    sigmoid -> Linear(2,2) -> sigmoid; mean MSE. Init: PyTorch's default formulas from mg.manual_seed."""

    loss_reduction = "mean"

    def __init__(self, seed: int = 0, dtype: Any = mg.float64, backend: str = "numpy") -> None:
        super().__init__()
        mg.manual_seed(seed)  # PyTorch-style init, drawn on the host: the same numbers on every backend
        self.conv1 = nn.Conv2d(1, 1, kernel_size=2, stride=1, dtype=dtype, backend=backend)
        self.hidden = nn.Linear(4, 2, dtype=dtype, backend=backend)
        self.out = nn.Linear(2, 2, dtype=dtype, backend=backend)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        """x (1,1,5,5) -> (1,2)."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.sigmoid(x.flatten(1))
        x = F.sigmoid(self.hidden(x))
        return F.sigmoid(self.out(x))


VARIANTS = {"notebook": AssignmentCNN, "pytorch": PyTorchVariantCNN}


def build(variant: str = "notebook", seed: int = 0, dtype: Any = mg.float64,
          backend: str = "numpy") -> tuple[nn.Module, mg.Tensor, mg.Tensor]:
    """The model, the input x (1,1,5,5) and the target (1,2), all on `backend` in `dtype`."""
    if variant not in VARIANTS:
        raise ValueError(f"build: variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    model = VARIANTS[variant](seed=seed, dtype=dtype, backend=backend)
    x = mg.tensor(INPUT_5X5.reshape(1, 1, 5, 5), dtype=dtype, backend=backend)
    target = mg.tensor([list(TARGETS)], dtype=dtype, backend=backend)
    return model, x, target


def loss_fn(model: nn.Module, out: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
    """E for the variant: sum of squared errors (notebook) or their mean (pytorch variant)."""
    return F.mse_loss(out, target, reduction=model.loss_reduction)
