"""minigrad.optim: optimizers with PyTorch's names, defaults and update formulas, and `lr_scheduler`."""

from .optimizer import SGD, Adam, Optimizer

__all__ = ["Optimizer", "SGD", "Adam"]
