"""minigrad.nn: PyTorch-style modules, layers, initialisers and the functional API (`nn.functional`)."""

from . import functional, init
from .activation import ELU, GELU, Hardtanh, LeakyReLU, SiLU, Softplus
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .layers import Flatten, Linear, MSELoss, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .sparse import Embedding

__all__ = [
    "functional",
    "init",
    "Module",
    "Parameter",
    "Linear",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Sigmoid",
    "ReLU",
    "Tanh",
    "LeakyReLU",
    "GELU",
    "SiLU",
    "Softplus",
    "ELU",
    "Hardtanh",
    "Dropout",
    "Embedding",
    "Flatten",
    "Sequential",
    "MSELoss",
]
