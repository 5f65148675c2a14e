"""The benchmarked networks, built the same way for every framework from the same NumPy arrays.

Assignment network (the notebook's): for minigrad the model users train, ``models.assignment_net.AssignmentCNN``
with ``models.assignment_net.loss_fn``; for PyTorch the same layers from ``torch.nn.functional``; its data and
init come from models/ (``models.notebook``, ``models.numpy_reference``), whose hand-written NumPy step is the
floor minigrad is measured against.
LeNet-like network: batch of 1x8x8 float32 images, two conv/ReLU/pool stages, two linear layers, MSE against
one-hot targets.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from models.notebook import INPUT_5X5, TARGETS, THRESHOLD, TRAIN_LR
from models.numpy_reference import reference_params

# The notebook's data comes from its one home, models.notebook; these names are what the bench modules use.
NOTEBOOK_INPUT = INPUT_5X5
NOTEBOOK_TARGETS = np.array(TARGETS)
TRAIN_THRESHOLD = THRESHOLD


def notebook_init(seed: int = 0) -> dict[str, np.ndarray]:
    """The notebook's weights (``np.random.seed(seed)`` + ``randn`` in its order) in the layout of
    ``models.numpy_reference``: ``w_conv`` (2, 2), ``W1`` (2, 4), ``W2`` (2, 2)."""
    return reference_params(seed=seed)


# The model's parameter names for the reference layout's arrays (shapes in PyTorch's layout).
_MODEL_NAMES = {"w_conv": ("conv.weight", (1, 1, 2, 2)), "W1": ("hidden.weight", (2, 4)), "W2": ("out.weight", (2, 2))}


# --------------------------------------------------------------------------------------------- minigrad
class MinigradAssignment:
    """The notebook network (``models.assignment_net.AssignmentCNN``) trained in minigrad; ``step_sgd`` uses
    mg.optim.SGD, ``step_manual`` a no_grad update."""

    def __init__(self, init: dict[str, np.ndarray], lr: float = TRAIN_LR, backend: str = "numpy") -> None:
        import minigrad as mg
        import minigrad.nn.functional as F
        import minigrad.optim
        from models.assignment_net import build, loss_fn

        self.mg, self.F, self.lr = mg, F, lr
        self.model, self.x, self.t = build("notebook", 0, mg.float64, backend)
        self.model.load_state_dict({name: init[key].reshape(shape) for key, (name, shape) in _MODEL_NAMES.items()})
        self._loss_fn = loss_fn
        named = dict(self.model.named_parameters())
        self.w_conv, self.W1, self.W2 = (named[_MODEL_NAMES[k][0]] for k in ("w_conv", "W1", "W2"))
        self.params = [self.w_conv, self.W1, self.W2]
        self.opt = minigrad.optim.SGD(self.params, lr=lr)

    def loss(self) -> Any:
        return self._loss_fn(self.model, self.model(self.x), self.t)   # E = E1 + E2

    def step_sgd(self) -> float:
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        self.opt.step()
        return loss.item()

    def step_manual(self) -> float:
        loss = self.loss()
        loss.backward()
        lr = self.lr
        with self.mg.no_grad():
            for p in self.params:
                p.sub_(p.grad, alpha=lr)
                p.grad = None
        return loss.item()

    def grads(self) -> dict[str, np.ndarray]:
        """Gradients of one fresh backward pass, in NumpyStep's layout (float64 NumPy arrays)."""
        for p in self.params:
            p.grad = None
        self.loss().backward()
        out = {"w_conv": self.w_conv.grad.numpy().reshape(2, 2), "W1": self.W1.grad.numpy(),
               "W2": self.W2.grad.numpy()}
        for p in self.params:
            p.grad = None
        return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------- PyTorch
class TorchAssignment:
    """The notebook network in PyTorch eager (float64)."""

    def __init__(self, init: dict[str, np.ndarray], lr: float = TRAIN_LR, device: str = "cpu") -> None:
        import torch
        import torch.nn.functional as F

        self.torch, self.F, self.lr = torch, F, lr
        kw = {"dtype": torch.float64, "device": device}
        self.x = torch.tensor(NOTEBOOK_INPUT.reshape(1, 1, 5, 5), **kw)
        self.t = torch.tensor(NOTEBOOK_TARGETS.reshape(1, 2), **kw)
        self.w_conv = torch.tensor(init["w_conv"].reshape(1, 1, 2, 2), requires_grad=True, **kw)
        self.W1 = torch.tensor(init["W1"], requires_grad=True, **kw)
        self.W2 = torch.tensor(init["W2"], requires_grad=True, **kw)
        self.params = [self.w_conv, self.W1, self.W2]
        self.opt = torch.optim.SGD(self.params, lr=lr)

    def loss(self) -> Any:
        F = self.F
        sigmoid = self.torch.sigmoid
        a = sigmoid(F.max_pool2d(F.conv2d(self.x, self.w_conv), 2).flatten(1))
        h = sigmoid(F.linear(a, self.W1))
        o = sigmoid(F.linear(h, self.W2))
        return F.mse_loss(o, self.t, reduction="sum")

    def step_sgd(self) -> float:
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        self.opt.step()
        return loss.item()

    def step_manual(self) -> float:
        loss = self.loss()
        loss.backward()
        lr = self.lr
        with self.torch.no_grad():
            for p in self.params:
                p.sub_(p.grad, alpha=lr)
                p.grad = None
        return loss.item()

    def grads(self) -> dict[str, np.ndarray]:
        for p in self.params:
            p.grad = None
        self.loss().backward()
        out = {"w_conv": self.w_conv.grad.cpu().numpy().reshape(2, 2), "W1": self.W1.grad.cpu().numpy(),
               "W2": self.W2.grad.cpu().numpy()}
        for p in self.params:
            p.grad = None
        return out


# ------------------------------------------------------------------------------------------------ LeNet
LENET_SHAPES = {  # name: shape, PyTorch layout
    "c1_w": (16, 1, 3, 3), "c1_b": (16,), "c2_w": (32, 16, 3, 3), "c2_b": (32,),
    "f1_w": (64, 128), "f1_b": (64,), "f2_w": (10, 64), "f2_b": (10,),
}
LENET_FAN_IN = {"c1": 9, "c2": 144, "f1": 128, "f2": 64}
LENET_LR = 0.05


def lenet_init(seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch's default bounds (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), drawn once in NumPy for both frameworks."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in LENET_SHAPES.items():
        bound = 1.0 / np.sqrt(LENET_FAN_IN[name[:2]])
        out[name] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return out


def lenet_data(batch: int = 256, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch of 1x8x8 float32 images and one-hot targets over 10 classes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 8, 8)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=batch)]
    return x, y


def _lenet_forward(F: Any, flatten: Callable[[Any], Any], x: Any, p: dict[str, Any]) -> Any:
    h = F.max_pool2d(F.relu(F.conv2d(x, p["c1_w"], p["c1_b"], padding=1)), 2)   # (B, 16, 4, 4)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["c2_w"], p["c2_b"], padding=1)), 2)   # (B, 32, 2, 2)
    h = F.relu(F.linear(flatten(h), p["f1_w"], p["f1_b"]))                       # (B, 64)
    return F.linear(h, p["f2_w"], p["f2_b"])                                     # (B, 10)


class MinigradLeNet:
    def __init__(self, init: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, lr: float = LENET_LR,
                 backend: str = "numpy") -> None:
        import minigrad as mg
        import minigrad.nn.functional as F
        import minigrad.optim

        self.F = F
        self.x = mg.tensor(x, dtype=mg.float32, backend=backend)
        self.y = mg.tensor(y, dtype=mg.float32, backend=backend)
        self.p = {k: mg.tensor(v, dtype=mg.float32, requires_grad=True, backend=backend) for k, v in init.items()}
        self.opt = minigrad.optim.SGD(list(self.p.values()), lr=lr)

    def step(self) -> float:
        self.opt.zero_grad()
        out = _lenet_forward(self.F, lambda t: t.flatten(1), self.x, self.p)
        loss = self.F.mse_loss(out, self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


class TorchLeNet:
    def __init__(self, init: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, lr: float = LENET_LR,
                 device: str = "cpu") -> None:
        import torch
        import torch.nn.functional as F

        self.F = F
        self.x = torch.tensor(x, device=device)
        self.y = torch.tensor(y, device=device)
        self.p = {k: torch.tensor(v, device=device, requires_grad=True) for k, v in init.items()}
        self.opt = torch.optim.SGD(list(self.p.values()), lr=lr)

    def step(self) -> float:
        self.opt.zero_grad()
        out = _lenet_forward(self.F, lambda t: t.flatten(1), self.x, self.p)
        loss = self.F.mse_loss(out, self.y)
        loss.backward()
        self.opt.step()
        return loss.item()
