"""The ops: each a Function with its forward and backward side by side, written once against ``xp``.

elementwise.py  add sub mul div neg pow exp log sqrt abs sigmoid relu tanh clone
reduce.py       sum mean max
shape.py        reshape permute getitem (view, flatten, squeeze, unsqueeze, transpose build on these)
linalg.py       matmul linear
conv.py         conv2d conv_transpose2d (im2col / col2im, batch-innermost layout)
pool.py         max_pool2d avg_pool2d adaptive_avg_pool2d
activation.py   leaky_relu elu hardtanh silu softplus gelu
pad.py          pad (constant, reflect, replicate, circular)
dropout.py      dropout
sparse.py       embedding
loss.py         mse_loss
convert.py      dtype casts and moves between backends
"""
