"""minigrad benchmarks: speed and memory side by side with hand-written NumPy and PyTorch.

Run ``python -m bench --help`` from the repository root. This package must not import NumPy or
torch at import time: ``python -m bench --threads N`` sets the thread environment variables first.
"""

# The workloads, in the order they run and print; bench.run maps each name to its function.
WORKLOADS = ("assignment-step", "assignment-train", "lenet-step", "ops", "memory")

