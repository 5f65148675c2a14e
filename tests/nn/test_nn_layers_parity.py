"""LayerNorm, GroupNorm, Conv1d, Upsample, Unflatten, the activation layers, CosineSimilarity, PairwiseDistance and
KLDivLoss against their torch.nn twins: the same state dict loaded both ways, the same outputs and gradients
(inputs and parameters) in float64, PyTorch's repr and state-dict keys, default initialisation, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

EPS64 = np.finfo(np.float64).eps


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the torch.nn cross-checks are skipped")


def _to_torch(torch, module_name, args, kwargs):
    return getattr(torch.nn, module_name)(*args, **kwargs).double()


# (name, constructor args, kwargs, input shapes): each input drawn from [-3, 3] in float64
CASES = [
    ("LayerNorm", (5,), {}, [(3, 4, 5)]),
    ("LayerNorm", ((4, 5),), dict(eps=1e-3, elementwise_affine=True, bias=False), [(3, 4, 5)]),
    ("LayerNorm", ([5],), dict(elementwise_affine=False), [(2, 5)]),
    ("GroupNorm", (2, 6), {}, [(3, 6, 4, 2)]),
    ("GroupNorm", (3, 3), dict(eps=0.1, affine=False), [(2, 3, 5)]),
    ("GroupNorm", (1, 4), dict(bias=False), [(2, 4)]),
    ("InstanceNorm1d", (3,), {}, [(2, 3, 5)]),
    ("InstanceNorm2d", (3,), dict(affine=True, eps=1e-3), [(2, 3, 4, 5)]),
    ("InstanceNorm2d", (2,), dict(affine=True, bias=False), [(2, 4, 5)]),
    ("Conv1d", (3, 4, 3), {}, [(2, 3, 9)]),
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=2, dilation=2, groups=2, bias=False), [(2, 4, 11)]),
    ("Conv1d", (3, 2, 4), dict(padding="same", padding_mode="reflect"), [(2, 3, 7)]),
    ("Conv1d", (3, 2, 3), dict(padding=1, padding_mode="circular"), [(3, 7)]),
    ("Conv1d", (2, 2, 3), dict(padding="valid", padding_mode="replicate"), [(1, 2, 5)]),
    ("Upsample", (), dict(scale_factor=2), [(2, 3, 4, 5)]),
    ("Upsample", (), dict(size=(7, 3), mode="bilinear", align_corners=True), [(2, 3, 4, 5)]),
    ("Upsample", (), dict(scale_factor=1.5, mode="linear"), [(2, 3, 5)]),
    ("Upsample", (), dict(size=(5, 9), mode="bicubic"), [(1, 2, 4, 5)]),
    ("Upsample", (), dict(scale_factor=(2, 1.5, 0.5), mode="trilinear", align_corners=True), [(1, 2, 3, 4, 6)]),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), [(2, 3, 11)]),
    ("MaxPool1d", (2,), {}, [(3, 8)]),
    ("AvgPool1d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), [(2, 3, 10)]),
    ("AdaptiveAvgPool1d", (4,), {}, [(2, 3, 10)]),
    ("Unflatten", (1, (2, 3)), {}, [(4, 6, 5)]),
    ("Unflatten", (-1, (2, -1)), {}, [(4, 6)]),
    ("ReLU6", (), {}, [(4, 5)]),
    ("Hardsigmoid", (), {}, [(4, 5)]),
    ("Hardswish", (), {}, [(4, 5)]),
    ("SELU", (), {}, [(4, 5)]),
    ("CELU", (), dict(alpha=0.7), [(4, 5)]),
    ("Mish", (), {}, [(4, 5)]),
    ("LogSigmoid", (), {}, [(4, 5)]),
    ("Softsign", (), {}, [(4, 5)]),
    ("Tanhshrink", (), {}, [(4, 5)]),
    ("Softshrink", (), dict(lambd=0.8), [(4, 5)]),
    ("Hardshrink", (), {}, [(4, 5)]),
    ("PReLU", (), {}, [(4, 5)]),
    ("PReLU", (3,), dict(init=0.1), [(2, 3, 4)]),
    ("GLU", (), dict(dim=1), [(3, 4, 5)]),
    ("Threshold", (0.3, -2.0), {}, [(4, 5)]),
    ("Softmin", (), dict(dim=0), [(4, 5)]),
    ("Softmax2d", (), {}, [(2, 3, 4, 5)]),
    ("CosineSimilarity", (), dict(dim=0), [(4, 5), (4, 5)]),
    ("PairwiseDistance", (), dict(p=1.5, keepdim=True), [(4, 5), (1, 5)]),
    ("KLDivLoss", (), dict(reduction="batchmean"), [(4, 5), (4, 5)]),
]
IDS = [f"{name}-{i}" for i, (name, _, _, _) in enumerate(CASES)]


def _inputs(name, shapes):
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(-3, 3, s) for s in shapes]
    if name == "KLDivLoss":
        arrays[1] = rng.dirichlet(np.ones(shapes[1][-1]), shapes[1][0])
    return arrays


@pytest.mark.parametrize("name, args, kwargs, shapes", CASES, ids=IDS)
def test_module_matches_torch(torch, name, args, kwargs, shapes):
    """Outputs and every gradient agree with torch to a few ulps of their scale (the same formulas, sums of at
    most a few dozen terms, in float64); parameters start as torch's (loaded through state dicts both ways)."""
    ours = getattr(nn, name)(*args, **kwargs).to(dtype=mg.float64)
    theirs = _to_torch(torch, name, args, kwargs)
    assert repr(ours) == repr(theirs)
    sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd)
    for p in theirs.parameters():  # away from the defaults (ones/zeros) so a swapped weight and bias shows
        with torch.no_grad():
            p.add_(torch.from_numpy(np.random.default_rng(1).uniform(-0.5, 0.5, tuple(p.shape))))
    ours.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    arrays = _inputs(name, shapes)
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*xs)
    tout = theirs(*ts)
    assert out.shape == tuple(tout.shape)
    g = np.random.default_rng(2).standard_normal(tuple(tout.shape))
    (out * mg.tensor(g)).sum().backward()
    (tout * torch.from_numpy(g)).sum().backward()
    want = tout.detach().numpy()
    tol = 64 * EPS64 * max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(out.detach().numpy().copy(), want, rtol=0, atol=tol)
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.detach().numpy().copy(), t.grad.detach().numpy().copy(), rtol=0,
                                   atol=64 * EPS64 * max(1.0, float(np.abs(t.grad.detach().numpy().copy()).max())))
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.detach().numpy().copy(), tp.grad.detach().numpy().copy(), rtol=0,
                                   atol=64 * EPS64 * max(1.0, float(np.abs(tp.grad.detach().numpy().copy()).max())), err_msg=k)
    back = ours.state_dict()
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(back[k].detach().numpy().copy(), v.detach().numpy().copy())


def test_default_parameters_match_torchs_initialisation(torch):
    """LayerNorm/GroupNorm start at ones and zeros; Conv1d draws from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    ln, gn = nn.LayerNorm((2, 3)), nn.GroupNorm(2, 4)
    for m in (ln, gn):
        np.testing.assert_array_equal(m.weight.detach().numpy().copy(), np.ones(m.weight.shape))
        np.testing.assert_array_equal(m.bias.detach().numpy().copy(), np.zeros(m.bias.shape))
    conv = nn.Conv1d(6, 64, 5, groups=2)
    bound = 1 / math.sqrt(3 * 5)
    assert conv.weight.shape == (64, 3, 5) and conv.bias.shape == (64,)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.detach().numpy().copy()).max() <= bound and np.abs(p.detach().numpy().copy()).max() > 0.8 * bound
    assert nn.LayerNorm(3).weight.dtype == mg.float32


def test_layer_norm_trains_in_a_model(torch):
    """A small transformer-style block (Linear, LayerNorm, GELU, Conv1d over the sequence) trains identically."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 6, 8)), rng.standard_normal((4, 6, 8))

    def build(lib):
        n = lib.nn
        return n.Sequential(n.Linear(8, 8), n.LayerNorm(8), n.GELU(), n.Linear(8, 8))

    ours, theirs = build(mg).to(dtype=mg.float64), build(torch).double()
    ours.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    opt, topt = mg.optim.Adam(ours.parameters(), lr=0.01), torch.optim.Adam(theirs.parameters(), lr=0.01)
    for _ in range(10):
        opt.zero_grad()
        topt.zero_grad()
        loss = ((ours(mg.tensor(x)) - mg.tensor(y)) ** 2).mean()
        tloss = ((theirs(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-10)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: nn.LayerNorm(0), ValueError, "normalized_shape must be a positive int"),
        (lambda: nn.GroupNorm(3, 4), ValueError, "num_channels must be divisible by num_groups"),
        (lambda: nn.Conv1d(3, 4, 3, groups=2), ValueError, "in_channels \\(3\\) must be divisible by groups"),
        (lambda: nn.Conv1d(3, 4, 3, stride=2, padding="same"), ValueError, "padding='same' needs stride 1"),
        (lambda: nn.Conv1d(3, 4, (3, 3)), TypeError, "kernel_size must be an int or a 1-tuple"),
        (lambda: nn.Conv1d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
        (lambda: nn.KLDivLoss(reduction="avg"), ValueError, "'avg' is not a valid value for reduction"),
        (lambda: nn.Unflatten(1, 6), TypeError, "unflattened_size must be a tuple of ints"),
    ],
)
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_forward_errors_name_the_problem():
    with pytest.raises(mg.ShapeError, match="normalized_shape \\(4,\\) must be the trailing dims"):
        nn.LayerNorm(4)(mg.zeros(2, 5))
    with pytest.raises(mg.ShapeError, match="built for num_channels=4"):
        nn.GroupNorm(2, 4)(mg.zeros(2, 6))
    with pytest.raises(mg.ShapeError, match="more than 1 value per group"):
        nn.GroupNorm(2, 2)(mg.zeros(1, 2))
    with pytest.raises(mg.ShapeError, match="does not multiply to the size 6"):
        nn.Unflatten(1, (4, 2))(mg.zeros(3, 6))
    with pytest.raises(mg.ShapeError, match="input has 2 channels"):
        nn.Conv1d(3, 4, 3)(mg.zeros(1, 2, 5))


def test_kl_div_mean_warns_like_torch_and_batchmean_is_the_divergence():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(5), 4), rng.dirichlet(np.ones(5), 4)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        nn.KLDivLoss()(mg.tensor(np.log(q)), mg.tensor(p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = nn.KLDivLoss(reduction="batchmean")(mg.tensor(np.log(q)), mg.tensor(p)).item()
    assert value == pytest.approx(np.sum(p * np.log(p / q)) / 4, rel=1e-13)


def test_interpolate_errors_name_the_problem():
    F = nn.functional
    x = mg.zeros(1, 2, 4, 4)
    with pytest.raises(NotImplementedError, match="antialias=True is not implemented"):
        F.interpolate(x, size=2, mode="bilinear", antialias=True)
    with pytest.raises(NotImplementedError, match="mode 'trilinear' needs a 5-D input"):
        F.interpolate(x, size=2, mode="trilinear")
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, size=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(NotImplementedError, match="mode 'lanczos' is not implemented"):
        F.interpolate(x, size=2, mode="lanczos")


@pytest.mark.parametrize("momentum", [0.2, None])
def test_instance_norm_running_statistics_match_torch(momentum):
    """track_running_stats: training updates running_mean / running_var from the instance statistics averaged
    over the batch (momentum None: never), eval normalizes by them; and mg.jit replays the update."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = nn.InstanceNorm2d(3, momentum=momentum, affine=True, track_running_stats=True, dtype=mg.float64)
    theirs = torch.nn.InstanceNorm2d(3, momentum=momentum, affine=True, track_running_stats=True).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    xs = [rng.standard_normal((2, 3, 4, 5)) for _ in range(3)]
    for x in xs:
        out, want = ours(mg.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.detach().numpy().copy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(mg.tensor(xs[0])).detach().numpy().copy(),
                               theirs(torch.tensor(xs[0])).detach().numpy(), rtol=1e-12, atol=1e-12)
    jitted = nn.InstanceNorm2d(3, momentum=momentum, track_running_stats=True, dtype=mg.float64)
    step = mg.jit(lambda x: jitted(x).sum())
    for x in xs:
        step(mg.tensor(x))
    np.testing.assert_allclose(jitted.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)


def test_instance_norm_argument_errors():
    x = mg.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="give both running_mean and running_var"):
        nn.functional.instance_norm(x, mg.zeros(3))
    with pytest.raises(mg.ShapeError, match="running_var must have shape \\(3,\\)"):
        nn.functional.instance_norm(x, mg.zeros(3), mg.ones(4))
    out = nn.functional.instance_norm(x + 1, mg.zeros(3), mg.ones(3), use_input_stats=False)  # eval-style
    np.testing.assert_allclose(out.detach().numpy().copy(), np.ones((2, 3, 4)) / np.sqrt(1 + 1e-5), rtol=1e-6)
    with pytest.raises(mg.ShapeError, match="built for num_features=3"):
        nn.InstanceNorm1d(3)(mg.zeros(2, 4, 5))
