"""minigrad.nn: PyTorch-style modules, layers, initialisers and the functional API (`nn.functional`)."""

from . import functional, init
from .layers import Conv2d, Flatten, Linear, MaxPool2d, MSELoss, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter
from . import utils  # noqa: E402  (nn.utils.clip_grad_norm_, clip_grad_value_)
from .container import Identity, ModuleDict, ModuleList
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, LogSoftmax, NLLLoss,
                   SmoothL1Loss, Softmax)
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "functional",
    "init",
    "Module",
    "Parameter",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "Sigmoid",
    "ReLU",
    "Tanh",
    "Flatten",
    "Sequential",
    "MSELoss",
    # softmax family, losses, normalization, containers, clipping
    "utils",
    "Identity",
    "ModuleList",
    "ModuleDict",
    "Softmax",
    "LogSoftmax",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BatchNorm1d",
    "BatchNorm2d",
]
