"""minigrad.nn: Module registration and state, Parameter, init formulas, and layers vs PyTorch."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.nn import init


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.nn cross-checks are skipped")


class Net(nn.Module):
    """A small model with a nested submodule, a bias-free layer and a direct parameter."""

    def __init__(self, backend: str | None = None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 2, bias=False, dtype=mg.float64, backend=backend)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8, 3, dtype=mg.float64, backend=backend), nn.Sigmoid())
        self.scale = nn.Parameter(mg.ones(3, dtype=mg.float64, backend=backend))

    def forward(self, x):
        return self.head(self.conv(x)) * self.scale


# --------------------------------------------------------------------------- Parameter
def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(mg.zeros(2, 3))
    assert isinstance(p, mg.Tensor)
    assert p.requires_grad and p.is_leaf
    assert p.shape == (2, 3) and p.dtype == mg.float32
    assert not hasattr(p, "__dict__"), "Parameter must not add a __dict__ to Tensor's __slots__"
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(mg.zeros(2), requires_grad=False).requires_grad


def test_parameter_keeps_dtype_and_shares_memory():
    t = mg.tensor(np.arange(4.0))  # float64 array stays float64
    p = nn.Parameter(t)
    assert p.dtype == mg.float64
    t.data[0] = 7.0
    assert p.data[0] == 7.0


def test_ops_on_a_parameter_give_plain_tensors():
    p = nn.Parameter(mg.ones(2))
    y = p * 2 + 1
    assert type(y) is mg.Tensor and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(p.grad.detach().numpy().copy(), [2.0, 2.0])


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(mg.tensor([1, 2]))


# --------------------------------------------------------------------------- registration
def test_named_parameters_children_and_modules():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "conv.weight", "head.1.weight", "head.1.bias"]
    assert [p.shape for p in net.parameters()] == [(3,), (2, 1, 2, 2), (3, 8), (3,)]
    assert [n for n, _ in net.named_children()] == ["conv", "head"]
    assert list(net.children()) == [net.conv, net.head]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Conv2d", "Sequential", "Flatten", "Linear", "Sigmoid"]
    assert [n for n, _ in net.named_modules()] == ["", "conv", "head", "head.0", "head.1", "head.2"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert net.conv.bias is None  # registered as None: listed nowhere
    assert "bias" in net.conv._parameters


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(seq.modules())) == 3
    # state_dict, like PyTorch's, names a shared parameter under every owner.
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassignment_moves_between_registries():
    m = nn.Module()
    m.a = nn.Parameter(mg.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'Linear' as parameter 'a'"):
        m.a = nn.Linear(1, 1)  # as in PyTorch: delete the parameter first
    del m.a
    m.a = nn.Linear(1, 1)
    assert "a" not in m._parameters and "a" in m._modules
    m.a = None  # a module slot may be emptied
    assert m.a is None and list(m.children()) == []
    m.b = nn.Parameter(mg.zeros(1))
    del m.b
    assert "b" not in m._parameters and not hasattr(m, "b")
    m.c = 3  # plain attributes are not registered
    assert m.c == 3 and list(m.parameters()) == []


def test_registration_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = mg.zeros(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("extra", mg.zeros(1))
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_parameter("in_features", None)
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mg.zeros(1))  # before super().__init__()

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_module_zero_grad(set_to_none):
    net = Net()
    net(mg.randn(2, 1, 3, 3, dtype=mg.float64)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=set_to_none)
    for p in net.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.shape == p.shape and not p.grad.detach().numpy().copy().any()


def test_to_keeps_parameter_objects(backend):
    net = Net()
    params = list(net.parameters())
    net(mg.randn(1, 1, 3, 3, dtype=mg.float64)).sum().backward()
    before = [p.detach().numpy() for p in params]
    assert net.to(backend) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    for p, b in zip(net.parameters(), before):
        assert p.backend == backend and p.grad.backend == backend
        assert isinstance(p, nn.Parameter) and p.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), b)
    out = net(mg.randn(1, 1, 3, 3, dtype=mg.float64, backend=backend))
    assert out.backend == backend
    net.to("numpy")
    assert all(p.backend == "numpy" for p in net.parameters())


def test_to_dtype():
    net = Net().float()
    assert all(p.dtype == mg.float32 for p in net.parameters())
    net.double()
    assert all(p.dtype == mg.float64 for p in net.parameters())


# --------------------------------------------------------------------------- state_dict
def test_state_dict_is_detached_and_shares_memory():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "conv.weight", "head.1.weight", "head.1.bias"]
    for key, value in sd.items():
        assert type(value) is mg.Tensor and not value.requires_grad
    net.scale.data[0] = 5.0
    assert sd["scale"].detach().numpy().copy()[0] == 5.0


def test_load_state_dict_copies_values_into_existing_parameters():
    src, dst = Net(), Net()
    params = list(dst.parameters())
    versions = [p._version for p in params]
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(dst.parameters()) == params or all(a is b for a, b in zip(dst.parameters(), params))
    for (name, a), (_, b) in zip(src.named_parameters(), dst.named_parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
        assert a.data is not b.data, "values must be copied, not aliased"
    assert all(p._version > v for p, v in zip(params, versions)), "loading must bump version counters"


def test_load_state_dict_accepts_arrays_and_keeps_dtype(backend):
    lin = nn.Linear(2, 2, dtype=mg.float32, backend=backend)
    state = {"weight": np.arange(4.0).reshape(2, 2), "bias": mg.tensor([1.0, 2.0], dtype=mg.float64)}
    lin.load_state_dict(state)
    assert lin.weight.dtype == mg.float32 and lin.weight.backend == backend
    np.testing.assert_array_equal(lin.weight.detach().numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [1, 2])


def test_load_state_dict_errors_name_every_problem_and_copy_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.detach().numpy().copy() + 1 for k, v in Net().state_dict().items()}
    del bad["scale"]
    bad["head.1.weight"] = np.zeros((2, 8))
    bad["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "scale"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for head.1.weight: copying a param with shape (2, 8) from checkpoint, " in msg
    assert "the shape in current model is (3, 8)" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy().copy(), before[k], err_msg=f"{k} changed by a failed load")


def test_load_state_dict_non_strict():
    net = Net()
    state = {"scale": np.full(3, 2.0), "bogus": np.zeros(1)}
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["conv.weight", "head.1.weight", "head.1.bias"]
    assert result.unexpected_keys == ["bogus"]
    np.testing.assert_array_equal(net.scale.detach().numpy(), [2, 2, 2])
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        net.load_state_dict({"scale": np.zeros(4)}, strict=False)  # shapes are checked even when not strict
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([("scale", np.zeros(3))])


@pytest.mark.parametrize("bad_value, why", [
    (np.array(["a", "b", "c"]), "got dtype <U1"),
    (np.array([1 + 2j, 0, 0]), "got dtype complex128"),
    (np.array([None, 1.0, 2.0], dtype=object), "got dtype object"),
    ([[1.0, 2.0], [3.0]], "inhomogeneous"),
])
def test_load_state_dict_is_all_or_nothing(bad_value, why):
    """One entry that can't be converted, listed after good ones, must leave every parameter untouched
    (it used to be found only while copying, after the earlier entries had been overwritten)."""
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    versions = {k: p._version for k, p in net.named_parameters()}
    state = {k: v.detach().numpy().copy() + 1 for k, v in Net().state_dict().items()}
    state["head.1.bias"] = bad_value  # the last key in the model's order
    with pytest.raises(RuntimeError, match=why) as info:
        net.load_state_dict(state)
    assert 'While copying the parameter named "head.1.bias"' in str(info.value)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy().copy(), before[k], err_msg=f"{k} changed by a failed load")
    assert {k: p._version for k, p in net.named_parameters()} == versions


def test_load_state_dict_refuses_floats_for_integer_buffers():
    bn = nn.BatchNorm1d(2)
    state = {k: v.detach().numpy().copy() for k, v in bn.state_dict().items()}
    state["running_mean"] = np.array([5.0, 6.0])
    state["num_batches_tracked"] = np.array(2.5)  # would be truncated silently
    with pytest.raises(RuntimeError, match=r"num_batches_tracked.*expected an integer array \(for dtype int64\), "
                                           r"got dtype float64"):
        bn.load_state_dict(state)
    np.testing.assert_array_equal(bn.running_mean.detach().numpy().copy(), [0, 0])
    state["num_batches_tracked"] = np.array(3, dtype=np.int32)
    bn.load_state_dict(state)
    assert bn.num_batches_tracked.item() == 3 and bn.num_batches_tracked.dtype == np.int64


@pytest.mark.parametrize("dtype", [mg.int64, mg.int32, mg.bool_, "int64", np.uint8])
def test_module_to_integer_dtype_is_refused(dtype):
    net = Net()
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got "
                                        "desired dtype="):
        net.to(dtype)
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        net.to(dtype=dtype)
    assert all(p.dtype == np.float64 and p.requires_grad for p in net.parameters())


def test_module_to_dtype_and_backend_together(backend):
    net = Net().to(backend, mg.float32)
    assert all(p.dtype == np.float32 and p.backend == backend for p in net.parameters())
    net.to(dtype=mg.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())


# --------------------------------------------------------------------------- buffers, named_modules, apply
class WithBuffers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2, dtype=mg.float64)
        self.register_buffer("steps", mg.tensor(0))
        self.register_buffer("stats", mg.zeros(2, dtype=mg.float64))
        self.register_buffer("cache", mg.ones(3), persistent=False)
        self.register_buffer("nothing", None)


def test_register_buffer_named_buffers_and_state_dict(torch):
    m = WithBuffers()
    assert [n for n, _ in m.named_buffers()] == ["steps", "stats", "cache"]
    assert len(list(m.buffers())) == 3 and all(not b.requires_grad for b in m.buffers())
    assert list(m.state_dict()) == ["steps", "stats", "lin.weight", "lin.bias"]  # own params, buffers, children
    assert [n for n, _ in m.named_parameters()] == ["lin.weight", "lin.bias"]
    # torch agrees on the order and on which buffers are saved
    t = torch.nn.Module()
    t.lin = torch.nn.Linear(2, 2)
    t.register_buffer("steps", torch.tensor(0))
    t.register_buffer("stats", torch.zeros(2))
    t.register_buffer("cache", torch.ones(3), persistent=False)
    t.register_buffer("nothing", None)
    assert list(t.state_dict()) == list(m.state_dict())
    assert [n for n, _ in t.named_buffers()] == [n for n, _ in m.named_buffers()]
    outer = nn.Sequential(m, m)
    assert [n for n, _ in outer.named_buffers()] == ["0.steps", "0.stats", "0.cache"]  # shared: listed once
    assert "1.stats" in outer.state_dict()  # ... but saved under every name, like parameters
    assert [n for n, _ in outer.named_buffers(remove_duplicate=False)][3:] == ["1.steps", "1.stats", "1.cache"]


def test_buffer_assignment_load_and_to(backend):
    m = WithBuffers()
    new = mg.full((2,), 3.0, dtype=mg.float64)
    m.stats = new  # assigning to a buffer's name replaces the buffer
    assert m._buffers["stats"] is new and dict(m.named_buffers())["stats"] is new
    with pytest.raises(TypeError, match="cannot assign 'list' as buffer 'stats'"):
        m.stats = [1.0, 2.0]
    m.load_state_dict({**m.state_dict(), "steps": np.array(4), "stats": [7.0, 8.0]})
    assert m.steps.item() == 4 and m.stats.detach().numpy().copy().tolist() == [7.0, 8.0] and m.stats is new
    m.to(backend)
    assert all(b.backend == backend for b in m.buffers())
    m.to(mg.float32)
    assert m.stats.dtype == np.float32 and m.cache.dtype == np.float32 and m.steps.dtype == np.int64
    del m.stats
    assert "stats" not in m.state_dict()


def test_register_buffer_errors():
    m = WithBuffers()
    with pytest.raises(KeyError, match="attribute 'lin' already exists"):
        m.register_buffer("lin", mg.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'ndarray' object to buffer 'x'"):
        m.register_buffer("x", np.zeros(1))
    with pytest.raises(KeyError, match="can't be empty or contain"):
        m.register_buffer("a.b", mg.zeros(1))
    m.steps = nn.Parameter(mg.zeros(1))  # a Parameter takes the name over, as in PyTorch
    assert "steps" not in dict(m.named_buffers()) and "steps" in dict(m.named_parameters())


def test_named_modules_and_apply_match_torch(torch):
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    seen, tseen = [], []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    t.apply(lambda mod: tseen.append(type(mod).__name__))
    assert seen == tseen  # children first, then the module itself
    m.apply(lambda mod: isinstance(mod, nn.Linear) and init.zeros_(mod.weight))
    assert all(not p.detach().numpy().any() for n, p in m.named_parameters() if n.endswith("weight"))


# --------------------------------------------------------------------------- repr
def test_repr_tree():
    model = nn.Sequential(
        nn.Conv2d(1, 1, kernel_size=2, bias=False),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Sigmoid(),
        nn.Linear(4, 2, bias=False),
        nn.ReLU(),
        nn.Tanh(),
    )
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1), bias=False)\n"
        "  (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (2): Flatten(start_dim=1, end_dim=-1)\n"
        "  (3): Sigmoid()\n"
        "  (4): Linear(in_features=4, out_features=2, bias=False)\n"
        "  (5): ReLU()\n"
        "  (6): Tanh()\n"
        ")"
    )
    conv = nn.Conv2d(2, 3, (3, 1), stride=2, padding=1)
    assert repr(conv) == "Conv2d(2, 3, kernel_size=(3, 1), stride=(2, 2), padding=(1, 1))"
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_repr_matches_torch(torch):
    ours = repr(Net())
    theirs = torch.nn.Module()
    theirs.conv = torch.nn.Conv2d(1, 2, 2, bias=False)
    theirs.head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 3), torch.nn.Sigmoid())
    assert ours == repr(theirs).replace("Module(", "Net(", 1)


# --------------------------------------------------------------------------- init
def test_calculate_gain():
    assert init.calculate_gain("linear") == init.calculate_gain("conv2d") == init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(mg.zeros(3, 4)) == (4, 3)
    assert init._calculate_fan_in_and_fan_out(mg.zeros(5, 2, 3, 3)) == (18, 45)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mg.zeros(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(mg.zeros(3, 3), mode="fan_avg")


def test_init_matches_torch_formulas(torch):
    t = torch.empty(5, 2, 3, 3)
    ours = mg.zeros(5, 2, 3, 3)
    assert init._calculate_fan_in_and_fan_out(ours) == torch.nn.init._calculate_fan_in_and_fan_out(t)
    cases = [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]
    for name, arg in cases:
        assert init.calculate_gain(name, arg) == pytest.approx(torch.nn.init.calculate_gain(name, arg), rel=1e-15)


def _bounded_uniform(t: mg.Tensor, bound: float) -> None:
    a = t.detach().numpy()
    assert np.abs(a).max() <= bound
    # U(-b, b) has std b / sqrt(3); with >= 10k draws the estimate is within a few percent.
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert abs(a.mean()) < 0.05 * bound


def test_uniform_family_bounds_and_statistics():
    mg.manual_seed(0)
    w = mg.zeros(200, 100, dtype=mg.float64)
    _bounded_uniform(init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(100))
    _bounded_uniform(init.kaiming_uniform_(w, nonlinearity="relu", mode="fan_out"), math.sqrt(2) * math.sqrt(3 / 200))
    _bounded_uniform(init.xavier_uniform_(w, gain=2.0), 2.0 * math.sqrt(6 / 300))
    u = init.uniform_(w, -3, 5).detach().numpy().copy()
    assert u.min() >= -3 and u.max() <= 5 and u.mean() == pytest.approx(1.0, abs=0.05)


def test_normal_family_statistics():
    mg.manual_seed(1)
    w = mg.zeros(200, 100, dtype=mg.float64)
    assert init.kaiming_normal_(w, nonlinearity="relu").detach().numpy().copy().std() == pytest.approx(math.sqrt(2 / 100), rel=0.03)
    assert init.xavier_normal_(w).detach().numpy().copy().std() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    n = init.normal_(w, 2.0, 0.5).detach().numpy().copy()
    assert n.mean() == pytest.approx(2.0, abs=0.02) and n.std() == pytest.approx(0.5, rel=0.03)


def test_constant_inits_and_requires_grad_leaves():
    p = nn.Parameter(mg.zeros(2, 3))
    assert init.ones_(p) is p and (p.detach().numpy() == 1).all()
    init.constant_(p, 0.25)
    assert (p.detach().numpy() == 0.25).all()
    init.zeros_(p)
    assert not p.detach().numpy().any()
    assert p.requires_grad and p.grad_fn is None  # init ran under no_grad
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(mg.zeros(0, 3))


def test_default_init_bounds():
    mg.manual_seed(3)
    lin = nn.Linear(50, 400)
    conv = nn.Conv2d(3, 100, (4, 5))
    for layer, fan_in in [(lin, 50), (conv, 60)]:
        bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) reduces to this
        _bounded_uniform(layer.weight, bound)
        b = layer.bias.detach().numpy()
        assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound
    assert lin.weight.dtype == mg.float32


def test_manual_seed_reproducible(backend):
    mg.manual_seed(42)
    a = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2))
    mg.manual_seed(42)
    b = nn.Sequential(nn.Conv2d(1, 2, 2, backend=backend), nn.Flatten(), nn.Linear(8, 2, backend=backend))
    c = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2))
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert pb.backend == backend
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy(), err_msg=name)
        assert not np.array_equal(pa.detach().numpy(), pc.detach().numpy()), name


# --------------------------------------------------------------------------- layers
def test_sequential_container():
    a, b, c = nn.ReLU(), nn.Sigmoid(), nn.Tanh()
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b and list(seq) == [a, b]
    assert seq.append(c) is seq and seq[2] is c and len(seq) == 3
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and [n for n, _ in sub.named_children()] == ["1", "2"]
    seq[0] = nn.Flatten()
    assert isinstance(seq[0], nn.Flatten)
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    named = nn.Sequential(OrderedDict(act=a, out=b))
    assert named.act is a and [n for n, _ in named.named_children()] == ["act", "out"]
    x = mg.tensor([[-1.0, 0.5]])
    np.testing.assert_allclose(nn.Sequential(a, b)(x).detach().numpy().copy(), x.relu().sigmoid().detach().numpy().copy())


def test_activations_and_flatten():
    x = mg.randn(2, 3, 4, 5, dtype=mg.float64)
    np.testing.assert_array_equal(nn.Sigmoid()(x).detach().numpy().copy(), x.sigmoid().detach().numpy().copy())
    np.testing.assert_array_equal(nn.ReLU()(x).detach().numpy().copy(), x.relu().detach().numpy().copy())
    np.testing.assert_array_equal(nn.Tanh()(x).detach().numpy().copy(), x.tanh().detach().numpy().copy())
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Flatten(start_dim=-2)(x).shape == (2, 3, 20)


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(TypeError, match="kernel_size"):
        nn.Conv2d(1, 1, (2, 2, 2))
    with pytest.raises(ValueError, match="stride > 0"):
        nn.Conv2d(1, 1, 2, stride=0)
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2)


def test_layer_dtype_and_backend_arguments(backend):
    lin = nn.Linear(3, 2, dtype=mg.float64, backend=backend)
    conv = nn.Conv2d(1, 2, 3, dtype=mg.float64, backend=backend)
    for p in [*lin.parameters(), *conv.parameters()]:
        assert p.dtype == mg.float64 and p.backend == backend
    out = lin(mg.randn(4, 3, dtype=mg.float64, backend=backend))
    assert out.shape == (4, 2) and out.backend == backend


def _copy_into_torch(ours: nn.Module, theirs, torch) -> None:
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            tp.copy_(torch.from_numpy(p.detach().numpy()))


def _check_against_torch(ours, theirs, torch, inputs, backend, loss_fn=None, rtol=1e-12):
    """Same weights in both: compare forward output and gradients of inputs and parameters (float64)."""
    _copy_into_torch(ours, theirs, torch)
    ours.to(backend)
    rng = np.random.default_rng(7)
    xs = [mg.tensor(a, requires_grad=True, backend=backend) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=1e-14)
    upstream = rng.standard_normal(tuple(out.shape))  # a random upstream gradient catches ignored grads
    out.backward(mg.tensor(upstream, backend=backend))
    tout.backward(torch.from_numpy(upstream))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.detach().numpy().copy(), t.grad.detach().numpy().copy(), rtol=rtol, atol=1e-14)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy(), rtol=rtol, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_vs_torch(torch, backend, bias):
    mg.manual_seed(0)
    ours = nn.Linear(4, 3, bias=bias, dtype=mg.float64)
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    x = np.random.default_rng(0).standard_normal((5, 4))
    _check_against_torch(ours, theirs, torch, [x], backend)


@pytest.mark.parametrize("stride, padding, bias", [(1, 0, True), (2, 1, False), ((1, 2), (2, 0), True)])
def test_conv2d_vs_torch(torch, backend, stride, padding, bias):
    mg.manual_seed(1)
    ours = nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding, bias=bias, dtype=mg.float64)
    theirs = torch.nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding, bias=bias, dtype=torch.float64)
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 5))
    _check_against_torch(ours, theirs, torch, [x], backend)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), 0)])
def test_maxpool2d_vs_torch(torch, backend, kernel, stride, padding):
    x = np.random.default_rng(2).permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7).astype(np.float64)  # no ties
    ours, theirs = nn.MaxPool2d(kernel, stride, padding), torch.nn.MaxPool2d(kernel, stride, padding)
    _check_against_torch(ours, theirs, torch, [x], backend)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mseloss_vs_torch(torch, backend, reduction):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _check_against_torch(nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), torch, [a, b], backend)


def test_assignment_shaped_network_vs_torch(torch, backend):
    """The notebook's network shape: conv -> pool -> flatten -> sigmoid -> linear -> sigmoid -> linear -> sigmoid."""
    mg.manual_seed(4)
    ours = nn.Sequential(
        nn.Conv2d(1, 1, 2, bias=False, dtype=mg.float64), nn.MaxPool2d(2), nn.Flatten(), nn.Sigmoid(),
        nn.Linear(4, 2, bias=False, dtype=mg.float64), nn.Sigmoid(),
        nn.Linear(2, 2, bias=False, dtype=mg.float64), nn.Sigmoid(),
    )
    T = torch.nn
    theirs = T.Sequential(
        T.Conv2d(1, 1, 2, bias=False), T.MaxPool2d(2), T.Flatten(), T.Sigmoid(),
        T.Linear(4, 2, bias=False), T.Sigmoid(), T.Linear(2, 2, bias=False), T.Sigmoid(),
    ).double()
    x = np.random.default_rng(4).permutation(25).reshape(1, 1, 5, 5) / 25.0
    _check_against_torch(ours, theirs, torch, [x], backend)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_training_loop_gradients_match_finite_differences():
    """A Module's parameters get the gradients central differences give (no torch needed)."""
    mg.manual_seed(5)
    net = nn.Sequential(nn.Linear(3, 4, dtype=mg.float64), nn.Tanh(), nn.Linear(4, 1, dtype=mg.float64))
    x = mg.randn(6, 3, dtype=mg.float64)
    y = mg.randn(6, 1, dtype=mg.float64)
    loss_fn = nn.MSELoss()

    def loss_value() -> float:
        with mg.no_grad():
            return loss_fn(net(x), y).item()

    loss_fn(net(x), y).backward()
    eps = 1e-6
    for name, p in net.named_parameters():
        flat = p.detach().numpy().reshape(-1)  # shares memory: writing it perturbs the parameter
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = loss_value()
            flat[i] = old - eps
            down = loss_value()
            flat[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(p.grad.detach().numpy().copy().reshape(-1), numeric, rtol=1e-6, atol=1e-9, err_msg=name)


def test_functional_is_reexported():
    assert nn.functional is F
    assert nn.init is init


_BUILT_ON = {  # every module class whose constructor takes backend=, at its smallest, with its optional parts on
    "BatchNorm1d": lambda **kw: nn.BatchNorm1d(3, **kw),
    "BatchNorm2d": lambda **kw: nn.BatchNorm2d(3, **kw),
    "Conv1d": lambda **kw: nn.Conv1d(2, 3, 3, **kw),
    "Conv2d": lambda **kw: nn.Conv2d(2, 3, 3, **kw),
    "ConvTranspose2d": lambda **kw: nn.ConvTranspose2d(2, 3, 3, **kw),
    "Embedding": lambda **kw: nn.Embedding(5, 3, **kw),
    "GRU": lambda **kw: nn.GRU(3, 4, num_layers=2, bidirectional=True, **kw),
    "GroupNorm": lambda **kw: nn.GroupNorm(1, 3, **kw),
    "InstanceNorm1d": lambda **kw: nn.InstanceNorm1d(3, affine=True, track_running_stats=True, **kw),
    "InstanceNorm2d": lambda **kw: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, **kw),
    "LSTM": lambda **kw: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2, **kw),
    "LayerNorm": lambda **kw: nn.LayerNorm(3, **kw),
    "Linear": lambda **kw: nn.Linear(3, 2, **kw),
    "MultiheadAttention": lambda **kw: nn.MultiheadAttention(4, 2, add_bias_kv=True, **kw),
    "MultiheadAttention-kdim": lambda **kw: nn.MultiheadAttention(4, 2, kdim=3, vdim=5, **kw),
    "PReLU": lambda **kw: nn.PReLU(3, **kw),
    "RNN": lambda **kw: nn.RNN(3, 4, **kw),
    "Transformer": lambda **kw: nn.Transformer(4, 2, 1, 1, dim_feedforward=8, **kw),
    "TransformerDecoderLayer": lambda **kw: nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, **kw),
    "TransformerEncoderLayer": lambda **kw: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, **kw),
}


def test_every_module_taking_a_backend_is_listed():
    import inspect
    takes = {n for n in dir(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module)
             and "backend" in inspect.signature(getattr(nn, n).__init__).parameters}
    assert takes == {k.split("-")[0] for k in _BUILT_ON}


@pytest.mark.parametrize("name", list(_BUILT_ON))
def test_a_module_built_on_a_backend_and_dtype_holds_everything_there(name):
    """Every parameter and buffer of a module built with backend= and dtype= is on that backend; the floating
    ones have that dtype (an integer counter such as num_batches_tracked keeps its own)."""
    m = _BUILT_ON[name](dtype=mg.float64, backend="strict")
    tensors = list(m.named_parameters()) + list(m.named_buffers())
    assert tensors
    for where, t in tensors:
        assert t.backend == "strict", f"{name}.{where} is on {t.backend}"
        assert t.dtype == mg.float64 or np.dtype(t.dtype).kind != "f", f"{name}.{where} is {t.dtype}"
