"""PyTorch's memory formats, accepted where PyTorch takes ``memory_format=`` (``to``, ``float``, ``clone``, ...).

minigrad's arrays have no layout a user can choose (an op returns whatever strides NumPy/CuPy give), and no
value depends on it, so every format is accepted and has no effect; anything else is refused.
"""
from __future__ import annotations

from typing import Any

__all__ = ["memory_format", "preserve_format", "contiguous_format", "channels_last", "channels_last_3d",
           "check_memory_format"]


class memory_format:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def check_memory_format(fn: str, value: Any) -> None:
    """Refuse a ``memory_format=`` that is not one (None means the default, preserve_format)."""
    if value is not None and not isinstance(value, memory_format):
        raise TypeError(f"{fn}(): memory_format must be a minigrad memory format such as mg.preserve_format, "
                        f"got {value!r:.60}")
