"""A context that silences NumPy's divide/invalid warnings where an op's value is PyTorch's inf or nan on purpose
(log(0), 0/0); CuPy raises no such warnings, and array modules without errstate need nothing."""
from __future__ import annotations

from typing import Any


class quiet_invalid:
    def __init__(self, xp: Any) -> None:
        self.state = xp.errstate(divide="ignore", invalid="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self) -> None:
        if self.state is not None:
            self.state.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.state is not None:
            self.state.__exit__(*exc)
