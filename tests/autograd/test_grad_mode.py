"""Grad modes with PyTorch's semantics: set_grad_enabled as call, context and decorator, decorated generators,
no_grad/enable_grad bare decorators, restoring the mode when the function raises, inference_mode."""
from __future__ import annotations

import pytest

import minigrad as mg
from optional_torch import needs_torch, torch


# ----------------------------------------------------------------------------- grad modes
def test_set_grad_enabled_as_a_decorator_does_not_switch_grad_off_for_the_process():
    @mg.set_grad_enabled(False)
    def f(x):
        assert not mg.is_grad_enabled()
        return x * 2

    assert mg.is_grad_enabled(), "decorating must not change the mode around it"
    x = mg.ones(2, requires_grad=True)
    assert f(x).grad_fn is None
    assert mg.is_grad_enabled() and (x * 2).grad_fn is not None


@needs_torch
def test_set_grad_enabled_matches_torch_as_call_context_and_decorator():
    for lib in (torch, mg):
        seen = []
        lib.set_grad_enabled(False)
        seen.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        dec = lib.set_grad_enabled(False)(lambda: lib.is_grad_enabled())
        seen += [lib.is_grad_enabled(), dec(), lib.is_grad_enabled()]
        if lib is torch:
            expected = seen
    assert seen == expected == [False, False, True, True, False, True, False, True]


@pytest.mark.parametrize("ctx, inside", [(mg.no_grad, False), (mg.enable_grad, True), (mg.inference_mode, False)])
def test_decorated_generators_run_in_the_mode_across_yields(ctx, inside):
    outside = not inside

    @ctx()
    def gen(n):
        for i in range(n):
            got = yield (i, mg.is_grad_enabled())
            assert mg.is_grad_enabled() is inside
            assert got in (None, "sent")
        return "done"

    mg.set_grad_enabled(outside)
    g = gen(3)
    assert next(g) == (0, inside)
    assert mg.is_grad_enabled() is outside, "the caller gets its own mode back at each yield"
    assert g.send("sent") == (1, inside)
    assert mg.is_grad_enabled() is outside
    assert list(g) == [(2, inside)]
    assert mg.is_grad_enabled() is outside


def test_decorated_generator_return_value_throw_and_close():
    @mg.no_grad()
    def gen():
        try:
            yield 1
            yield 2
        except KeyError:
            yield ("caught", mg.is_grad_enabled())
        finally:
            closed.append(mg.is_grad_enabled())
        return "value"

    closed: list = []
    g = gen()
    next(g)
    assert g.throw(KeyError("k")) == ("caught", False)
    g.close()
    assert closed == [False] and mg.is_grad_enabled()

    def outer():
        return (yield from gen())

    closed.clear()
    o = outer()
    assert list(o) == [1, 2] and closed == [False]


@needs_torch
def test_generator_decorator_matches_torch():
    def run(lib):
        @lib.no_grad()
        def gen():
            yield lib.is_grad_enabled()
            yield lib.is_grad_enabled()

        out = []
        for v in gen():
            out += [v, lib.is_grad_enabled()]
        return out

    assert run(mg) == run(torch) == [False, True, False, True]


def test_bare_no_grad_and_enable_grad_decorators():
    @mg.no_grad
    def f(x):
        return x * 2

    @mg.enable_grad
    def g(x):
        return x * 2

    x = mg.ones(2, requires_grad=True)
    assert f.__name__ == "f" and f(x).grad_fn is None and mg.is_grad_enabled()
    with mg.no_grad():
        assert g(x).grad_fn is not None
        assert not mg.is_grad_enabled()


def test_grad_mode_is_restored_when_the_function_raises():
    @mg.no_grad()
    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert mg.is_grad_enabled()
    with pytest.raises(ValueError):
        with mg.no_grad():
            raise ValueError
    assert mg.is_grad_enabled()


def test_inference_mode():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert (x * 2).grad_fn is None
    with mg.inference_mode(False):
        assert (x * 2).grad_fn is not None
    assert mg.inference_mode(False)(len) is len
    with pytest.raises(TypeError, match="mode must be a bool"):
        mg.inference_mode("yes")
    with pytest.raises(TypeError, match="mode must be a bool"):
        mg.set_grad_enabled("no")
    with pytest.raises(TypeError, match="needs a function"):
        mg.no_grad()(3)
