"""minigrad.nn: PyTorch-style modules, layers, initialisers and the functional API (`nn.functional`)."""

from . import functional, init
from .layers import Conv2d, Flatten, Linear, MaxPool2d, MSELoss, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter

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
]
