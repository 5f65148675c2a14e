"""The suite's own settings: the hypothesis profile it chose stays chosen, whatever a test imports."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings


def test_the_hypothesis_profile_is_the_suites(request):
    expected = os.environ.get("HYPOTHESIS_PROFILE") or (
        "fast" if (request.config.getoption("markexpr") or "").split() == ["not", "slow"] else "ci")
    assert settings.get_current_profile_name() == expected
    pytest.importorskip("torch", reason="PyTorch not installed: no torch.testing._internal to import")
    pytest.importorskip("expecttest", reason="torch.testing._internal needs expecttest (pip install -e '.[torch]')")
    import torch_db  # noqa: F401  (torch.testing._internal loads a profile of its own on import)
    assert settings.get_current_profile_name() == expected
    assert settings.default.derandomize or expected == "thorough"
