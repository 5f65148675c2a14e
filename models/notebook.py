"""The assignment notebook's data: its input, targets, learning rates, initial weights and printed values.

Everything here is copied from the notebook (shared/seed/), so the network, the hand-written NumPy reference,
the benchmarks and the tests all read the same numbers. NumPy only.
"""
from __future__ import annotations

from typing import Any

import numpy as np

INPUT_5X5 = np.array([
    [0.51, 0.90, 0.88, 0.84, 0.05],
    [0.40, 0.62, 0.22, 0.59, 0.10],
    [0.11, 0.20, 0.74, 0.33, 0.14],
    [0.47, 0.01, 0.85, 0.70, 0.09],
    [0.76, 0.19, 0.72, 0.17, 0.57],
])
INPUT_5X5.flags.writeable = False  # shared by every user of this module: nobody may edit it in place
TARGETS = (0.0, 1.0)
TRAIN_LR = 0.01          # the notebook's training run (SimpleCNN.fit)
THRESHOLD = 1e-4         # ... stops when E < THRESHOLD, E checked before each update
NOTEBOOK_MANUAL_LR = 0.001  # learning rate of the notebook's hand-worked passes

# The notebook's FIRST forward pass, as printed (cells 3-9). A correct float64 forward reproduces these.
NOTEBOOK_FIRST_FORWARD: dict[str, Any] = {
    "feature_map": [[3.04065716, 3.03959951, 3.42594746, 2.30335656],
                    [1.50955823, 3.0357556, 2.08794513, 1.71751519],
                    [0.75649298, 2.5634734, 3.83800314, 1.52495626],
                    [2.00271675, 2.15717747, 2.86519773, 2.71454537]],   # printed to 8 decimals
    "pooled": [[3.04065716, 3.42594746], [2.5634734, 3.83800314]],      # printed to 8 decimals
    "sigmoid_features": [0.95437745, 0.96850569, 0.92847347, 0.97891748],  # printed to 8 decimals
    "H1": 0.8277581918035074,
    "H2": 0.8648898321761768,
    "O1": 0.6759432999019798,
    "O2": 0.6583619381178293,
    "E1": 0.45689934468237775,
    "E2": 0.1167165653266059,
    "E": 0.5736159100089837,
}

# The notebook's FIRST backward pass, as printed (cells 10-12), copied as text so the printed precision is
# kept. DATA TO COMPARE AGAINST, NOT TRUTH: several of these are wrong (see models.audit).
NOTEBOOK_FIRST_BACKWARD: list[tuple[str, str]] = [
    ("grad_w9", "0.24511789785387136"),
    ("grad_w10", "-0.12278436404679686"),
    ("grad_w11", "0.24514845617318098"),
    ("grad_w12", "-0.13291928641939774"),
    ("dE/dH1", "0.35323638354339076"),
    ("dE/dH2", "-0.06905569216708796"),
    ("grad_w1", "0.048064857946680715"),
    ("grad_w2", "0.04877639171724259"),
    ("grad_w3", "0.046760268132586026"),
    ("grad_w4", "0.0493007558027989"),
    ("grad_w5", "-0.007701378664579531"),
    ("grad_w6", "-0.007815386928284625"),
    ("grad_w7", "-0.0074923456914364065"),
    ("grad_w8", "-0.00789940520179029"),
    ("grad_w_conv[0,0]", "0.00102128"),  # numpy-printed to 8 decimals
    ("grad_w_conv[0,1]", "0.00453462"),
    ("grad_w_conv[1,0]", "0.00099141"),
    ("grad_w_conv[1,1]", "0.00397162"),
]
NOTEBOOK_STEPS = 364_024  # "Convergence reached at iteration 364024" (SimpleCNN.fit, lr 0.01, E < 1e-4)


def notebook_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """The notebook's init: legacy RandomState(seed).randn drawn as w_conv (2,2), w1-w4, w5-w8, w9-w12.

    Returns fresh float64 arrays keyed and shaped as the state dict of ``AssignmentCNN``: ``conv.weight``
    (1,1,2,2), ``hidden.weight`` (2,4) with rows w1..w4 and w5..w8, ``out.weight`` (2,2) = [[w9, w10], [w11, w12]].
    """
    rs = np.random.RandomState(seed)
    w_conv = rs.randn(2, 2)
    w1_4, w5_8, w9_12 = rs.randn(4), rs.randn(4), rs.randn(4)
    return {"conv.weight": w_conv.reshape(1, 1, 2, 2),
            "hidden.weight": np.stack([w1_4, w5_8]),
            "out.weight": w9_12.reshape(2, 2)}
