"""Small programs in the style of PyTorch's tutorials (tensor basics, autograd, an nn.Module trained with an
optimizer, a DataLoader loop), written once against the name ``torch`` and run twice: with ``torch`` being
minigrad and with ``torch`` being PyTorch. Each program returns what it computed; values that don't depend on
random draws must agree (data comes from a NumPy generator, so both runs see the same numbers).
"""
from __future__ import annotations

import numpy as np
import pytest

real_torch = pytest.importorskip("torch", reason="PyTorch not installed: the programs are compared with it")

import minigrad  # noqa: E402


def tensor_basics(torch):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)
    tensor = torch.ones(4, 4)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tensor = tensor.to(device)
    tensor[:, 1] = 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    z1 = tensor * tensor
    agg = tensor.sum()
    agg_item = agg.item()
    tensor.add_(5)
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    np.add(n, 1, out=n)
    return {
        # dtypes print as NumPy's ("float32"), PyTorch's as "torch.float32": compare the names
        "x_np": x_np.tolist(), "x_ones": x_ones.tolist(),
        "x_rand": (tuple(x_rand.shape), str(x_rand.dtype).split(".")[-1]),
        "shapes": [tuple(rand_tensor.shape), tuple(ones_tensor.shape), tuple(zeros_tensor.shape)],
        "attrs": (str(tensor.shape).split(".")[-1], str(tensor.dtype).split(".")[-1], str(tensor.device)),
        "t1": t1.cpu().tolist(), "y1": y1.tolist(), "y2": y2.tolist(), "z1": z1.tolist(), "agg": agg_item,
        "tensor": tensor.tolist(), "t": t.tolist(), "n": n.tolist(), "numel": tensor.shape.numel(),
        "size": tensor.size() == (4, 4), "is_float": tensor.dtype == torch.float32 == torch.float,
    }


def autograd_basics(torch):
    rng = np.random.default_rng(0)
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.tensor(rng.standard_normal((5, 3)), dtype=torch.float, requires_grad=True)
    b = torch.tensor(rng.standard_normal(3), dtype=torch.float, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    with torch.no_grad():
        z2 = torch.matmul(x, w) + b
    z_det = z.detach()
    return {"loss": loss.item(), "w.grad": w.grad.tolist(), "b.grad": b.grad.tolist(),
            "requires": (z.requires_grad, z2.requires_grad, z_det.requires_grad),
            "data": w.data.sum().item(), "numpy": w.detach().numpy().sum().item()}


def training_loop(torch):
    nn = torch.nn
    rng = np.random.default_rng(1)
    X = torch.tensor(rng.standard_normal((64, 4)), dtype=torch.float32)
    Y = (X[:, :1] * 2 - X[:, 1:2] + 0.5).detach()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.fc2 = nn.Linear(8, 1)

        def forward(self, x):
            return self.fc2(torch.tanh(self.fc1(x)))

    model = Net()
    with torch.no_grad():  # the same initial weights in both runs
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)), dtype=torch.float32))
    device = torch.device("cpu")
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()
    losses = []
    for epoch in range(20):
        optimizer.zero_grad()
        loss = loss_fn(model(X.to(device, non_blocking=True)), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "weight_shape": tuple(model.fc1.weight.shape)}


def data_loading(torch):
    from_name = {"torch": torch}["torch"]
    rng = np.random.default_rng(2)
    X = from_name.tensor(rng.standard_normal((10, 3)), dtype=torch.float32)
    Y = from_name.arange(10)
    ds = torch.utils.data.TensorDataset(X, Y)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=False)
    batches = [(tuple(xb.shape), yb.tolist(), xb.sum().item()) for xb, yb in loader]
    return {"len": len(ds), "batches": batches, "item": ds[3][1].item()}


PROGRAMS = [tensor_basics, autograd_basics, training_loop, data_loading]


def _close(a, b, path="") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)) and a and isinstance(a[0], (list, tuple, float, int)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        # float32 programs: a few ulps per operation, over at most a few hundred operations per value
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5), path
    else:
        assert a == b, path


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_program_runs_with_minigrad_as_torch_and_agrees(program):
    minigrad.manual_seed(0)
    ours = program(minigrad)
    theirs = program(real_torch)
    _close(ours, theirs, program.__name__)
