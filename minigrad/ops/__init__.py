"""The ops: each a Function with its forward and backward side by side, written once against ``xp``.

elementwise.py  add sub mul div neg pow exp log sqrt abs sigmoid relu tanh clone; where clamp maximum minimum
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
loss.py         mse_loss
convert.py      dtype casts and moves between backends

Argument checks, dim normalisation and PyTorch's type promotion happen before an op is applied (tensor.py,
functions.py), so the ops see arrays that already fit together.
"""
