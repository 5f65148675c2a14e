"""The ops: each a Function with its forward and backward side by side, written once against ``xp``.

elementwise.py  add sub mul div neg pow exp log log10 sqrt abs sigmoid relu tanh clone; where clamp maximum minimum
                masked_fill sin cos; floor/ceil/round/sign (Step: zero gradient)
reduce.py       sum mean max min var prod cumsum
shape.py        reshape permute getitem (view, flatten, squeeze, unsqueeze, transpose, split, chunk build on
                these); cat (stack builds on it), expand, repeat, flip, gather (TakeAlongDim)
linalg.py       matmul linear einsum (dot is matmul of two 1-D tensors)
conv.py         conv2d conv_transpose2d (im2col / col2im, batch-innermost layout)
pool.py         max_pool2d avg_pool2d adaptive_avg_pool2d
activation.py   leaky_relu elu hardtanh silu softplus gelu
pad.py          pad (constant, reflect, replicate, circular)
dropout.py      dropout
sparse.py       embedding
softmax.py      softmax log_softmax logsumexp (shifted by the max)
loss.py         mse l1 smooth_l1 huber; cross_entropy (fused log-softmax + NLL), nll, bce, bce_with_logits
normalization.py batch_norm (batch statistics and the running-statistics update in one op)
logical.py      comparisons, argmax/argmin, isnan/isinf/all/any: no gradient, but ops, so mg.jit records them
inplace.py      index_put (the differentiable t[index] = v behind recorded in-place writes)
convert.py      dtype casts and moves between backends

Argument checks, dim normalisation and PyTorch's type promotion happen before an op is applied (tensor_ops.py,
_args.py, nn/functional.py), so the ops see arrays that already fit together; each op's public forms are one
line of minigrad/optable.py.
"""
from . import tensor_xp  # noqa: F401  (installs the create_graph namespace into the engine)
