"""Runs PyTorch's own op database (``torch.testing._internal.common_methods_invocations.op_db``) against the
minigrad op of the same name: used by tests/test_torch_op_db.py, and runnable on its own for the report
(``PYTHONPATH=. python tests/torch_db.py``).

For every OpInfo whose name minigrad has (``mg.<name>``, ``mg.nn.functional.<name>``, ..., else the Tensor
method), each sample input (at most SAMPLES_PER_DTYPE per dtype, in the order PyTorch generates them, so runs
are deterministic) is converted to minigrad tensors and run through both libraries. A sample passes when both
raise, or neither does and every output agrees in shape, dtype and value (and, for floating outputs, the
gradients of a random upstream gradient agree too).
"""
from __future__ import annotations

import collections
import math
import sys
import types
from typing import Any, Callable

import hypothesis
import numpy as np
import torch

_SUITE_PROFILE = hypothesis.settings.get_current_profile_name()
from torch.testing._internal import common_utils  # noqa: E402
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402
from torch.testing._internal.opinfo import core as opinfo_core  # noqa: E402

import minigrad as mg  # noqa: E402

# Importing torch.testing._internal loads a hypothesis profile of its own ("dev": 10 examples; "pytorch_ci": 50,
# when the CI variable is set), which would silently change how many examples every test collected after this
# module draws, and so the draws themselves from one machine to the next. The suite's profile is put back.
hypothesis.settings.load_profile(_SUITE_PROFILE)


def _cheap_sample_iteration() -> None:
    """Two costs of PyTorch's sample iterators that change no sample here. (1) They seed torch before every sample,
    and in a build without a CUDA, XPU or MTIA device each seed is still queued for those devices with a
    formatted stack trace (~1 ms a seed); seeding an absent device becomes a no-op (the CPU generator, NumPy's
    and Python's are seeded as before). (2) They look for the unittest.TestCase method running them by walking
    the stack with inspect.stack(), which under pytest's deep stack takes ~0.1 s a call; there is no TestCase
    here, so it always finds None, which is now returned at once. Together most of this module's time."""
    for device in (torch.cuda, torch.xpu, getattr(torch, "mtia", None)):
        if device is not None and not device.is_available():
            device.manual_seed_all = lambda seed: None
    for module in (common_utils, opinfo_core):  # opinfo.core imported the function by name
        module.extract_test_fn = lambda: None


_cheap_sample_iteration()

SAMPLES_PER_DTYPE = 8  # bounds the run (a few seconds per thousand samples); PyTorch generates up to ~100
# Ops whose values are random or uninitialised: only shapes and dtypes are compared (PyTorch's own tests skip
# their values too); the generators differ (minigrad draws from NumPy's).
RANDOM = {"empty", "empty_like", "rand_like", "randn", "randn_like", "randint", "randint_like",
          "nn.functional.dropout", "bernoulli", "normal", "uniform", "multinomial", "randperm", "rand"}
DTYPES = (torch.float32, torch.float64, torch.int64, torch.bool)  # what minigrad holds (int32 etc. are rarer)


def resolve(name: str) -> Callable | None:
    """The minigrad callable for an OpInfo name ("add", "nn.functional.relu", "linalg.norm"), or None."""
    obj: Any = mg
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            break
    if callable(obj) and not isinstance(obj, type):
        return obj
    if "." not in name and callable(getattr(mg.Tensor, name, None)):
        return lambda x, *a, **k: getattr(x, name)(*a, **k)
    return None


def callable_for(op: Any) -> Callable | None:
    """What to run for ``op``: the minigrad op of its name, or, where the OpInfo's ``op`` is a lambda that
    reorders arguments (``where``, ``einsum``), that same lambda with ``torch`` bound to minigrad."""
    fn = resolve(op.name)
    if fn is None:
        return None
    lam = op.op
    if isinstance(lam, types.FunctionType) and lam.__name__ == "<lambda>" and "torch" in lam.__code__.co_names:
        return types.FunctionType(lam.__code__, {**lam.__globals__, "torch": mg}, lam.__name__, lam.__defaults__,
                                  lam.__closure__)
    return fn


def to_mg(v: Any, memo: dict | None = None) -> Any:
    """A sample's argument as minigrad takes it: tensors (with requires_grad; one torch tensor passed twice
    becomes one minigrad tensor, so gradients add up as torch's do), dtypes, devices, sizes, and the
    torch.nn.functional functions a module takes as an argument (``activation=F.gelu``)."""
    memo = {} if memo is None else memo
    if isinstance(v, torch.Tensor):
        if id(v) not in memo:
            memo[id(v)] = (v, mg.tensor(v.detach().numpy().copy(), requires_grad=v.requires_grad))
        return memo[id(v)][1]
    if callable(v) and getattr(torch.nn.functional, getattr(v, "__name__", ""), None) is v:
        return getattr(mg.nn.functional, v.__name__, v)
    if isinstance(v, torch.dtype):
        return getattr(mg, str(v).removeprefix("torch."), v)
    if isinstance(v, torch.device):
        return mg.device(str(v))
    if isinstance(v, torch.memory_format):
        return getattr(mg, str(v).removeprefix("torch."))
    if isinstance(v, torch.Size):
        return tuple(v)
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
        return type(v)(to_mg(x, memo) for x in v)
    if isinstance(v, dict):
        return {k: to_mg(x, memo) for k, x in v.items()}
    return v


def _flat(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _tensors(v: Any) -> list:
    if isinstance(v, (torch.Tensor, mg.Tensor)):
        return [v]
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in _tensors(x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in _tensors(x)]
    return []


def _tol(dtype: torch.dtype) -> tuple[float, float]:
    """(rtol, atol): PyTorch's assert_close defaults for the dtype (exact for integers and bool)."""
    return {torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7), torch.float16: (1e-3, 1e-5)}.get(dtype, (0, 0))


def _same(ours: Any, theirs: Any, what: str, values: bool = True, loose: bool = False) -> str | None:
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, mg.Tensor):
            return f"{what}: a {type(ours).__name__}, torch gives a tensor"
        if tuple(ours.shape) != tuple(theirs.shape):
            return f"{what}: shape {tuple(ours.shape)}, torch {tuple(theirs.shape)}"
        if str(ours.dtype) != str(theirs.dtype).removeprefix("torch."):
            return f"{what}: dtype {ours.dtype}, torch {str(theirs.dtype).removeprefix('torch.')}"
        if not values:
            return None
        a, b = ours.detach().numpy(), theirs.detach().numpy()
        rtol, atol = _tol(theirs.dtype)
        if loose and theirs.dtype == torch.float32:  # see MODULE_FLOAT32_TOL
            rtol, atol = MODULE_FLOAT32_TOL
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            return f"{what}: values differ (max |diff| {np.nanmax(np.abs(a.astype(float) - b.astype(float)), initial=0):.3g})"
        return None
    if isinstance(theirs, (int, float, bool)):
        o = ours.item() if isinstance(ours, mg.Tensor) else ours
        ok = (isinstance(o, (int, float, bool)) and (o == theirs or (isinstance(theirs, float) and math.isnan(theirs)
                                                                    and math.isnan(o))))
        return None if ok else f"{what}: {o!r}, torch {theirs!r}"
    return None  # anything else (None, strings) is not compared


def run_sample(op: Any, fn: Callable, sample: Any, seed: int) -> str | None:
    """None when the sample passes, else a one-line reason."""
    t_args, t_kwargs = (sample.input, *sample.args), dict(sample.kwargs)
    try:
        theirs = op.op(*t_args, **t_kwargs)
        t_err = None
    except Exception as e:  # noqa: BLE001 - torch's refusal is the expected outcome
        theirs, t_err = None, e
    try:
        memo: dict = {}
        m_args, m_kwargs = to_mg(t_args, memo), to_mg(t_kwargs, memo)  # a torch argument minigrad can't take fails here
        ours = fn(*m_args, **m_kwargs)
    except Exception as e:  # noqa: BLE001 - compared with torch's outcome
        return None if t_err is not None else f"raises {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
    if t_err is not None:
        return f"no error where torch raises {type(t_err).__name__}: {str(t_err).splitlines()[0][:100]}"
    t_out, m_out = _flat(theirs), _flat(ours)
    if len(t_out) != len(m_out):
        return f"{len(m_out)} outputs, torch {len(t_out)}"
    values = op.name not in RANDOM and not t_kwargs.get("dropout_p")  # attention's dropout draws too
    for i, (o, t) in enumerate(zip(m_out, t_out)):
        bad = _same(o, t, f"output {i}", values)
        if bad:
            return bad
    if not values:
        return None
    return _gradients(t_args, t_kwargs, m_args, m_kwargs, t_out, m_out, seed)


def _gradients(t_args, t_kwargs, m_args, m_kwargs, t_out, m_out, seed, loose: bool = False) -> str | None:
    t_in = [t for t in _tensors((t_args, t_kwargs)) if t.requires_grad]
    m_in = [t for t in _tensors((m_args, m_kwargs)) if isinstance(t, mg.Tensor) and t.requires_grad]
    pairs = [(t, o) for t, o in zip(t_out, m_out) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not t_in or not pairs:
        return None
    if len(t_in) != len(m_in):
        return "inputs requiring grad differ"
    rng = np.random.default_rng(seed)
    ups = [rng.standard_normal(tuple(t.shape)) for t, _ in pairs]
    try:
        t_grads = torch.autograd.grad([t for t, _ in pairs], t_in, [torch.tensor(u, dtype=t.dtype) for u, (t, _) in
                                                                    zip(ups, pairs)], allow_unused=True)
    except RuntimeError:  # torch can't differentiate this sample: nothing to compare
        return None
    try:
        total = None
        for u, (t, o) in zip(ups, pairs):
            if not o.requires_grad:
                return "output does not require grad, torch's does"
            term = (o * mg.tensor(u, dtype=o.dtype)).sum()
            total = term if total is None else total + term
        total.backward()
    except Exception as e:  # noqa: BLE001
        return f"backward raises {type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"
    for i, (tg, m) in enumerate(zip(t_grads, m_in)):
        mg_grad = m.grad
        if tg is None:
            if mg_grad is not None and np.any(mg_grad.numpy() != 0):
                return f"grad of input {i}: nonzero, torch None"
            continue
        if mg_grad is None:
            if torch.any(tg != 0):
                return f"grad of input {i}: None, torch nonzero"
            continue
        bad = _same(mg_grad, tg, f"grad of input {i}", loose=loose)
        if bad:
            return bad
    return None


def op_key(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


_RESULTS: dict[str, tuple[int, list[tuple[str, str]]]] = {}  # op key -> run_op's result: the summary reuses it


def run_op(op: Any) -> tuple[int, list[tuple[str, str]]]:
    """(samples run, [(dtype and sample index, reason) for each failing sample]) for one OpInfo."""
    key = op_key(op)
    if key not in _RESULTS:
        _RESULTS[key] = _run_op(op)
    return _RESULTS[key]


def _run_op(op: Any) -> tuple[int, list[tuple[str, str]]]:
    fn = callable_for(op)
    assert fn is not None
    total, failures = 0, []
    supported = op.supported_dtypes("cpu")
    for dtype in DTYPES:
        if dtype not in supported:
            continue
        torch.manual_seed(0)
        grad = dtype.is_floating_point and op.supports_autograd
        try:
            samples = op.sample_inputs("cpu", dtype, requires_grad=grad)
            for k, sample in enumerate(samples):
                if k == SAMPLES_PER_DTYPE:
                    break
                total += 1
                reason = run_sample(op, fn, sample, seed=k)
                if reason:
                    failures.append((f"{str(dtype).removeprefix('torch.')}#{k}", reason))
        except Exception as e:  # noqa: BLE001 - a sample generator that fails in torch itself is reported
            failures.append((str(dtype), f"sample generation failed in torch: {type(e).__name__}: {e}"))
    return total, failures


def present_ops() -> list:
    return [op for op in op_db if resolve(op.name) is not None]


def missing_names() -> list[str]:
    return sorted({op.name for op in op_db if resolve(op.name) is None})


def report() -> dict:
    """Run every present op; the counts and each op's failures."""
    results = {op_key(op): run_op(op) for op in present_ops()}
    samples = sum(n for n, _ in results.values())
    failed = sum(len(f) for _, f in results.values())
    names = {op.name for op in op_db}
    return {"names": len(names), "present": len(names) - len(missing_names()), "samples": samples,
            "passed": samples - failed, "results": results, "missing": missing_names()}


def main() -> None:
    r = report()
    print(f"op_db: {r['present']}/{r['names']} op names present; {r['passed']}/{r['samples']} samples pass "
          f"(at most {SAMPLES_PER_DTYPE} per dtype of {', '.join(str(d).removeprefix('torch.') for d in DTYPES)})")
    causes = collections.Counter()
    for key, (n, fails) in sorted(r["results"].items()):
        if fails:
            print(f"  {key}: {len(fails)}/{n} fail; first: {fails[0][0]} {fails[0][1]}")
            for _, reason in fails:
                causes[reason.split(":")[0][:60]] += 1
    print("missing:", " ".join(r["missing"]))
    print("causes:", causes.most_common(20))


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------- optim_db
def optim_infos() -> tuple[list, list[str]]:
    """(OptimizerInfos whose optimizer minigrad has, names of those it lacks)."""
    from torch.testing._internal.common_optimizers import optim_db
    present = [o for o in optim_db if hasattr(mg.optim, o.optim_cls.__name__)]
    missing = sorted(o.optim_cls.__name__ for o in optim_db if not hasattr(mg.optim, o.optim_cls.__name__))
    return present, missing


OPTIM_STEPS = 5


def run_optim(info: Any) -> tuple[int, list[tuple[str, str]]]:
    """Each of PyTorch's optimizer configurations (float64) for OPTIM_STEPS steps on the same least-squares
    problem in both libraries: parameters must agree after every step, or both must refuse the configuration."""
    name = info.optim_cls.__name__
    total, failures = 0, []
    rng = np.random.default_rng(0)
    a, target, w0, b0 = (rng.standard_normal(s) for s in ((6, 3), (6,), (3,), ()))
    for inp in info.optim_inputs_func(device="cpu", dtype=torch.float64):
        total += 1
        kwargs = dict(inp.kwargs)
        tw = torch.tensor(w0, requires_grad=True)
        tb = torch.tensor(b0, requires_grad=True)
        try:
            topt = info.optim_cls([tw, tb], **kwargs)
            t_err = None
        except Exception as e:  # noqa: BLE001
            t_err = e
        try:
            mw = mg.tensor(w0, requires_grad=True)
            mb = mg.tensor(b0, requires_grad=True)
            mopt = getattr(mg.optim, name)([mw, mb], **to_mg(kwargs))
        except Exception as e:  # noqa: BLE001
            if t_err is None:
                failures.append((inp.desc, f"raises {type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"))
            continue
        if t_err is not None:
            failures.append((inp.desc, f"no error where torch raises {type(t_err).__name__}"))
            continue
        ta, tt, ma, mt = torch.tensor(a), torch.tensor(target), mg.tensor(a), mg.tensor(target)
        def closure(opt, x, w, b, t):  # every optimizer takes one; LBFGS needs it (it re-evaluates the loss)
            def run():
                opt.zero_grad()
                loss = (((x @ w + b) - t) ** 2).mean()
                loss.backward()
                return loss
            return run
        tclosure, mclosure = closure(topt, ta, tw, tb, tt), closure(mopt, ma, mw, mb, mt)
        for step in range(OPTIM_STEPS):
            topt.step(tclosure)
            mopt.step(mclosure)
            bad = _same(mw, tw, f"step {step} weight") or _same(mb, tb, f"step {step} bias")
            if bad:
                failures.append((inp.desc, bad))
                break
    return total, failures


# --------------------------------------------------------------------- module_db
MODULE_DTYPES = (torch.float64, torch.float32)
MODULE_INPUTS = 6  # per dtype and mode, spread evenly over PyTorch's list (deterministic); it has up to ~70
# A module is a composite of up to ~100 ops (a Transformer's forward and backward); in float32 each rounds by
# eps = 6e-8 relative, amplified by condition numbers up to ~10 in attention and normalization:
# 100 * 10 * 6e-8 = 6e-5, so float32 module outputs and gradients are compared to 1e-4 (float64 keeps
# assert_close's 1e-7, which such a chain stays far inside).
MODULE_FLOAT32_TOL = (1e-4, 1e-4)


def module_infos() -> tuple[list, list[str]]:
    """(ModuleInfos whose module minigrad.nn has, names of those it lacks)."""
    from torch.testing._internal.common_modules import module_db
    present = [m for m in module_db if hasattr(mg.nn, m.module_cls.__name__)]
    missing = sorted(m.module_cls.__name__ for m in module_db if not hasattr(mg.nn, m.module_cls.__name__))
    return present, missing


def _random_in_training(module: Any) -> bool:
    """A dropout with p > 0 somewhere inside: values drawn in training differ between the libraries' generators."""
    return any(getattr(m, "p", 0) and "Dropout" in type(m).__name__ for m in module.modules()) or any(
        getattr(m, "dropout", 0) and isinstance(getattr(m, "dropout"), float) for m in module.modules())


def run_module_input(info: Any, module_input: Any, dtype: torch.dtype, training: bool, seed: int) -> str | None:
    """None when minigrad's module of the same name, built from the same constructor arguments and given the
    same parameters and buffers, agrees with PyTorch's on this input: outputs (shape, dtype, values), the
    gradients of every input and parameter for a random upstream gradient, and the state after the forward
    (running statistics); or both refuse the constructor arguments."""
    name = info.module_cls.__name__
    c_args, c_kwargs = module_input.constructor_input.args, dict(module_input.constructor_input.kwargs)
    f_args, f_kwargs = module_input.forward_input.args, dict(module_input.forward_input.kwargs)
    torch.manual_seed(0)
    try:
        theirs_mod = info.module_cls(*c_args, **c_kwargs).to(dtype)
        t_err = None
    except Exception as e:  # noqa: BLE001 - torch's refusal is the expected outcome
        theirs_mod, t_err = None, e
    try:
        ours_mod = getattr(mg.nn, name)(*to_mg(c_args), **to_mg(c_kwargs)).to(to_mg(dtype))
    except Exception as e:  # noqa: BLE001 - compared with torch's outcome
        return None if t_err is not None else f"constructor raises {type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"
    if t_err is not None:
        return f"constructor: no error where torch raises {type(t_err).__name__}"
    t_state = theirs_mod.state_dict()
    try:
        ours_mod.load_state_dict({k: mg.tensor(v.detach().numpy().copy()) for k, v in t_state.items()})
    except Exception as e:  # noqa: BLE001
        return f"load_state_dict of torch's state raises {type(e).__name__}: {str(e).splitlines()[0][:100]}"
    theirs_mod.train(training)
    ours_mod.train(training)
    values = not (training and _random_in_training(theirs_mod))
    try:
        theirs = theirs_mod(*f_args, **f_kwargs)
        fe = None
    except Exception as e:  # noqa: BLE001
        theirs, fe = None, e
    try:
        memo: dict = {}
        m_args, m_kwargs = to_mg(f_args, memo), to_mg(f_kwargs, memo)
        ours = ours_mod(*m_args, **m_kwargs)
    except Exception as e:  # noqa: BLE001
        return None if fe is not None else f"forward raises {type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"
    if fe is not None:
        return f"forward: no error where torch raises {type(fe).__name__}"
    t_out, m_out = _flat(theirs), _flat(ours)
    if len(t_out) != len(m_out):
        return f"{len(m_out)} outputs, torch {len(t_out)}"
    for i, (o, t) in enumerate(zip(m_out, t_out)):
        bad = _same(o, t, f"output {i}", values, loose=True)
        if bad:
            return bad
    if not values:
        return None
    for k, v in theirs_mod.state_dict().items():  # buffers a training forward updates (running mean, var, count)
        bad = _same(ours_mod.state_dict().get(k), v, f"state {k!r} after forward", loose=True)
        if bad:
            return bad
    t_params = dict(theirs_mod.named_parameters())
    m_params = dict(ours_mod.named_parameters())
    if set(t_params) != set(m_params):
        return f"parameters {sorted(m_params)}, torch {sorted(t_params)}"
    names = sorted(t_params)
    return _gradients((f_args, [t_params[n] for n in names]), {}, (m_args, [m_params[n] for n in names]), {},
                      t_out, m_out, seed, loose=True)


_MODULE_RESULTS: dict[str, tuple[int, list[tuple[str, str]]]] = {}  # the summary reuses run_module's results


def run_module(info: Any) -> tuple[int, list[tuple[str, str]]]:
    """(inputs run, [(dtype, mode and input index, reason) for each failing one]) for one ModuleInfo."""
    name = info.module_cls.__name__
    if name not in _MODULE_RESULTS:
        _MODULE_RESULTS[name] = _run_module(info)
    return _MODULE_RESULTS[name]


def _run_module(info: Any) -> tuple[int, list[tuple[str, str]]]:
    total, failures = 0, []
    for dtype in MODULE_DTYPES:
        for training in (True, False):
            torch.manual_seed(0)
            try:
                inputs = info.module_inputs_func(info, device="cpu", dtype=dtype, requires_grad=True,
                                                 training=training)
            except Exception as e:  # noqa: BLE001 - a generator that fails in torch itself is reported
                failures.append((str(dtype), f"input generation failed in torch: {type(e).__name__}: {e}"))
                continue
            for k, module_input in enumerate(inputs[::max(1, len(inputs) // MODULE_INPUTS)][:MODULE_INPUTS]):
                total += 1
                where = f"{str(dtype).removeprefix('torch.')}/{'train' if training else 'eval'}#{k}"
                reason = run_module_input(info, module_input, dtype, training, seed=k)
                if reason:
                    failures.append((where, reason))
    return total, failures
