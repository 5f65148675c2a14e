"""PyTorch where it is importable, else None: the cross-checks that need it skip with the reason."""
from __future__ import annotations

import pytest

try:
    import torch
except ImportError:  # the suite runs without torch; the cross-checks then skip with this reason
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed: no PyTorch cross-check")
