"""More programs in the style of PyTorch's documentation ("Learning PyTorch with Examples", "Build the Neural
Network", "Automatic Differentiation", "Optimizing Model Parameters", "Save and Load", the CIFAR-10 classifier,
learning-rate schedulers, a sequence model), written once against the name ``torch`` and run with ``torch`` being
minigrad and being PyTorch; what they compute must agree (data and initial weights come from NumPy generators,
so both runs see the same numbers). See test_pytorch_programs.py for the first four.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

real_torch = pytest.importorskip("torch", reason="PyTorch not installed: the programs are compared with it")

import minigrad  # noqa: E402
from test_pytorch_programs import _close  # noqa: E402


def _init(torch, model, seed: int) -> None:
    """The same initial weights in both runs: every parameter from one NumPy generator, in module order."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)), dtype=p.dtype))


def polynomial_autograd(torch):
    """Fit sin(x) with a third-order polynomial: tensors, autograd, a manual update under no_grad."""
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in (0.1, -0.2, 0.3, -0.05))
    learning_rate = 1e-6
    losses = []
    for t in range(200):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "coefficients": [a.item(), b.item(), c.item(), d.item()]}


def polynomial_nn(torch):
    """The same fit with nn.Sequential, nn.Flatten, MSELoss(reduction='sum') and optim.RMSprop."""
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    _init(torch, model, 3)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(100):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 25 == 24:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    return {"xx": tuple(xx.shape), "losses": losses, "bias": linear_layer.bias.item(),
            "weight": linear_layer.weight[:, 0].item()}


def custom_function(torch):
    """A torch.autograd.Function with ctx.save_for_backward (the Legendre polynomial P3 of the docs)."""

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    x = torch.linspace(-1, 1, 50, dtype=torch.float64)
    y = x * 0.3
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    P3 = LegendrePolynomial3.apply
    for _ in range(50):
        y_pred = a + b * P3(0.5 * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= 5e-3 * a.grad
            b -= 5e-3 * b.grad
            a.grad = None
            b.grad = None
    return {"a": a.item(), "b": b.item(), "loss": loss.item(), "grad_fn": type(y_pred.grad_fn).__name__[:3]}


def build_network(torch):
    """nn.Flatten, nn.Sequential of Linear/ReLU, nn.Softmax over logits, argmax, and the parameters' names."""
    nn = torch.nn

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(6 * 6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 10))

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork()
    _init(torch, model, 4)
    X = torch.tensor(np.random.default_rng(5).uniform(size=(3, 6, 6)), dtype=torch.float32)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    names = [(name, tuple(param.size())) for name, param in model.named_parameters()]
    return {"probs": pred_probab.tolist(), "pred": y_pred.tolist(), "names": names,
            "n_params": sum(p.numel() for p in model.parameters()),
            "repr_has_layers": "Linear(in_features=36, out_features=16, bias=True)" in repr(model)}


def autograd_tutorial(torch):
    """requires_grad, grad_fn, no_grad, detach, a vector-Jacobian product, accumulation and zero_()."""
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    third = inp.grad.clone()
    x = torch.ones(5)
    w = torch.tensor(np.random.default_rng(6).standard_normal((5, 3)), dtype=torch.float32, requires_grad=True)
    z = torch.matmul(x, w)
    with torch.no_grad():
        z_no = torch.matmul(x, w)
    return {"first": first.tolist(), "second": second.tolist(), "third": third.tolist(),
            "flags": (z.requires_grad, z_no.requires_grad, z.detach().requires_grad, z.grad_fn is not None,
                      w.is_leaf, z.is_leaf)}


def optimization_loop(torch):
    """train_loop / test_loop of the "Optimizing Model Parameters" tutorial on synthetic data: DataLoader,
    CrossEntropyLoss, SGD, model.train() / model.eval(), accuracy with argmax."""
    nn = torch.nn
    rng = np.random.default_rng(7)
    X = torch.tensor(rng.standard_normal((96, 8)), dtype=torch.float32)
    y = torch.tensor((rng.standard_normal((96, 8)) @ rng.standard_normal(8) > 0).astype(np.int64))
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X[:64], y[:64]), batch_size=16)
    test = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X[64:], y[64:]), batch_size=16)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    _init(torch, model, 8)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = []
    for _ in range(5):
        model.train()
        for batch, (xb, yb) in enumerate(train):
            pred = model(xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for xb, yb in test:
                pred = model(xb)
                test_loss += loss_fn(pred, yb).item()
                correct += (pred.argmax(1) == yb).type(torch.float).sum().item()
        history.append((test_loss / len(test), correct / len(test.dataset)))
    return {"history": [list(h) for h in history]}


def save_and_load(torch, tmp_path):
    """state_dict to a file and back into a fresh model (weights_only=True, as the docs advise)."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    _init(torch, model, 9)
    path = tmp_path / f"model_{torch.__name__}.pth"
    torch.save(model.state_dict(), path)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    result = fresh.load_state_dict(torch.load(path, weights_only=True))
    fresh.eval()
    x = torch.tensor(np.random.default_rng(10).standard_normal((2, 3)), dtype=torch.float32)
    return {"out": fresh(x).tolist(), "keys": list(fresh.state_dict()), "missing": list(result.missing_keys)}


def cifar_style_classifier(torch):
    """The CIFAR-10 tutorial's network (conv, pool, relu, flatten, linear) and loop, on synthetic 3x16x16
    images: CrossEntropyLoss and SGD with momentum."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(4, 6, 3)
            self.fc1 = nn.Linear(6 * 2 * 2, 12)
            self.fc2 = nn.Linear(12, 3)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)

    net = Net()
    _init(torch, net, 11)
    rng = np.random.default_rng(12)
    inputs = torch.tensor(rng.standard_normal((8, 3, 14, 14)), dtype=torch.float32)
    labels = torch.tensor(rng.integers(0, 3, 8))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for epoch in range(10):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    _, predicted = torch.max(net(inputs), 1)
    return {"losses": losses, "predicted": predicted.tolist()}


def schedulers(torch):
    """StepLR, then ExponentialLR chained on one optimizer; get_last_lr after each epoch."""
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.5)
    step = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    expo = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    lrs, values = [], []
    for epoch in range(6):
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()
        step.step()
        expo.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        values.append(w.tolist())
    return {"lrs": lrs, "w": values, "last": step.get_last_lr()}


def tensor_toolbox(torch):
    """The tensor operations tutorials reach for: where, masked_fill, gather, topk, sort, cumsum, clamp, stack,
    chunk, view, permute, reductions with keepdim, comparisons, % and //."""
    x = torch.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5)
    idx = torch.tensor([[0, 2], [1, 0], [3, 3]])
    vals, order = torch.sort(x[0, 0], descending=True)
    top = torch.topk(x.flatten(), 3)
    return {
        "where": torch.where(x > 0, x, torch.zeros_like(x)).sum().item(),
        "masked": x.masked_fill(x < -5, -5.0).min().item(),
        "gather": torch.gather(x[0], 1, idx).tolist(),
        "topk": (top.values.tolist(), top.indices.tolist()),
        "sort": (vals.tolist(), order.tolist()),
        "cumsum": x.cumsum(dim=2)[1, 2].tolist(),
        "clamp": x.clamp(min=-2, max=2).abs().sum().item(),
        "stack": tuple(torch.stack([x, x], dim=1).shape),
        "chunk": [tuple(c.shape) for c in x.chunk(2, dim=2)],
        "view": x.view(6, 4).permute(1, 0).contiguous().view(-1)[:5].tolist(),
        "mean_keepdim": x.mean(dim=(1, 2), keepdim=True).flatten().tolist(),
        "any": ((x > 11).any().item(), (x > -12).all().item()),
        "mod": (torch.arange(-4, 5) % 3).tolist(), "floordiv": (torch.arange(-4, 5) // 3).tolist(),
        "argmax": x.argmax(dim=-1).tolist(), "norm": x.norm().item(),
    }


def sequence_model(torch):
    """An LSTM tagger-style model: nn.Embedding, nn.LSTM, nn.Linear, log_softmax, NLLLoss, a few SGD steps."""
    nn, F = torch.nn, torch.nn.functional

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 6)
            self.lstm = nn.LSTM(6, 5)
            self.out = nn.Linear(5, 3)

        def forward(self, sentence):
            embeds = self.embed(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            return F.log_softmax(self.out(lstm_out.view(len(sentence), -1)), dim=1)

    model = Tagger()
    _init(torch, model, 13)
    sentence = torch.tensor([1, 4, 2, 7, 7, 3])
    tags = torch.tensor([0, 1, 2, 1, 1, 0])
    loss_function = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        model.zero_grad()
        loss = loss_function(model(sentence), tags)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        scores = model(sentence)
    return {"losses": losses, "tags": scores.argmax(1).tolist()}


PROGRAMS = [polynomial_autograd, polynomial_nn, custom_function, build_network, autograd_tutorial,
            optimization_loop, cifar_style_classifier, schedulers, tensor_toolbox, sequence_model]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_tutorial_program_runs_with_minigrad_as_torch_and_agrees(program):
    minigrad.manual_seed(0)
    _close(program(minigrad), program(real_torch), program.__name__)


def test_save_and_load_program_agrees(tmp_path):
    _close(save_and_load(minigrad, tmp_path), save_and_load(real_torch, tmp_path), "save_and_load")
