"""The engine: grad mode (grad_mode.py), Function, one graph node per op call (function.py), and backward()
(engine.py). Nothing here imports Tensor: tensor.py installs itself into the engine when it loads."""
from __future__ import annotations

from . import engine, functional, gradients, hooks
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import _accumulate, _unbroadcast
from .function import Function
from .gradients import backward, grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "backward",
           "grad", "gradcheck", "gradgradcheck", "GradcheckError", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled"]
