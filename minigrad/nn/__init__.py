"""minigrad.nn: PyTorch-style modules, layers, initialisers and the functional API (`nn.functional`)."""

from . import functional, init
from .activation import ELU, GELU, Hardtanh, LeakyReLU, SiLU, Softplus
from .activation import (CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, LogSigmoid, Mish, PReLU, ReLU6,
                         Softmax2d, Softmin, Softshrink, Softsign, Tanhshrink, Threshold)
from .conv1d import Conv1d
from .distance import CosineSimilarity, PairwiseDistance
from .attention import MultiheadAttention
from .pooling1d import AdaptiveAvgPool1d, AvgPool1d, MaxPool1d
from .rnn import GRU, LSTM, RNN
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
from .unflatten import Unflatten
from .upsampling import Upsample
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .layers import Flatten, Linear, MSELoss, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter
from . import utils
from .container import Identity, ModuleDict, ModuleList
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, LogSoftmax, NLLLoss,
                   SmoothL1Loss, Softmax)
from .loss import KLDivLoss
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
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
    # more layers: normalization, conv1d, resampling, activations, distances, KL divergence
    "LayerNorm",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "Conv1d",
    "Upsample",
    "Unflatten",
    "ReLU6",
    "Hardsigmoid",
    "Hardswish",
    "SELU",
    "CELU",
    "Mish",
    "LogSigmoid",
    "Softsign",
    "Tanhshrink",
    "Softshrink",
    "Hardshrink",
    "PReLU",
    "GLU",
    "Threshold",
    "Softmin",
    "Softmax2d",
    "CosineSimilarity",
    "PairwiseDistance",
    "KLDivLoss",
    "RNN",
    "LSTM",
    "GRU",
    "MultiheadAttention",
    "MaxPool1d",
    "AvgPool1d",
    "AdaptiveAvgPool1d",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]
