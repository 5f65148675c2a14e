"""Example models built with minigrad, and the assignment notebook's network in one home.

Modules (import the one you need; importing this package imports nothing else):

- ``models.notebook``: the notebook's data: 5x5 input, targets, learning rates, weights from
  ``RandomState(seed).randn`` in its order, and the values it printed (the truth table of its first pass).
- ``models.numpy_reference``: the one hand-written NumPy/CuPy reference step of that network (forward,
  hand-derived backward, SGD update) and the notebook's own (broken) update rule; NumPy only, no minigrad.
- ``models.assignment_net``: the network as ``minigrad.nn`` modules (``AssignmentCNN``, the notebook's PyTorch
  variant) and ``build()``.
- ``models.training``: the training loop (gradient descent until E < threshold, through ``mg.jit`` by default).
- ``models.audit``: ``--trace`` (first pass in the notebook's terms) and ``--audit`` (its backward numbers vs
  autograd vs finite differences).
- ``models/assignment_cnn.py``: the command line over all of the above; ``models/digits_cnn.py``: a small CNN on
  scikit-learn's 8x8 digits.
"""
