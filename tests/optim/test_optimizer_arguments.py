"""Optimizer construction: parameter-group errors and the duplicate-parameter warning."""
import pytest

import minigrad as mg


# --------------------------------------------------------------------------- optimizer arguments
def test_optimizer_param_group_errors_and_duplicate_warning():
    p = mg.nn.Parameter(mg.ones(2))
    opt = mg.optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, got list"):
        opt.add_param_group([p])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        mg.optim.SGD([p, p], lr=0.1)
