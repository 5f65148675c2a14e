"""minigrad: a small reverse-mode autograd framework with PyTorch's names, on NumPy (CPU) or CuPy (GPU).

    import minigrad as mg
    x = mg.randn(3, requires_grad=True)
    (x * x).sum().backward()      # x.grad == 2 * x
"""
from . import autograd  # the engine; tensor.py installs Tensor into it when it loads
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .errors import DimError, ShapeError
from .backend import BackendError, cupy_available, get_default_backend, set_default_backend
from .dtypes import (bool_, double, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
                     set_default_dtype, uint8, uint16, uint32, uint64)
from .dtypes import bool, float, half, int, long, short  # noqa: A001  (PyTorch's aliases shadow the builtins here)
from .device import cuda, device, get_default_device, set_default_device
from .size import Size
from .layout import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from .tensor import Tensor, tensor
from .factories import (arange, empty, empty_like, eye, from_numpy, full, full_like, linspace, manual_seed, ones,
                        ones_like, rand, rand_like, randint, randint_like, randn, randn_like, zeros, zeros_like)
from . import optable  # attaches the op methods to Tensor
from .functions import MG_FUNCTIONS as _MG_FUNCTIONS, randperm
from .gradcheck import GradcheckError, gradcheck
from .jit import jit
from . import nn, optim, utils, viz
from .serialization import load, save

globals().update(_MG_FUNCTIONS)  # mg.X for every op of the table (mg.exp, mg.cat, ...)

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "randn",
           "rand", "arange", "from_numpy", "manual_seed", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "set_default_dtype", "get_default_dtype", "set_default_backend",
           "get_default_backend", "cupy_available", "BackendError", "ShapeError", "DimError", "gradcheck",
           "GradcheckError", "jit", "save", "load",
           "nn", "optim", "float16", "float32", "float64", "double", "int8", "int16", "int32", "int64", "uint8",
           "bool_", "eye", "linspace", "randint", "uint16", "uint32", "uint64", "half", "float", "int", "long", "short",
           "bool", "device", "cuda", "set_default_device", "get_default_device", "Size", "empty_like", "rand_like",
           "randn_like", "randint_like", "memory_format", "preserve_format", "contiguous_format", "channels_last",
           "channels_last_3d", *_MG_FUNCTIONS, "randperm"]
