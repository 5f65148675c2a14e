"""Smoke tests for bench/: every workload runs a few steps (so bench/ cannot rot), and the hand-written
NumPy step's gradients are checked against finite differences and against minigrad. No timing assertions.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench import WORKLOADS
from bench.harness import Config
from models.notebook import INPUT_5X5 as NOTEBOOK_INPUT
from models.notebook import TARGETS as NOTEBOOK_TARGETS
from models.numpy_reference import NumpyStep, check_against_finite_differences
from models.numpy_reference import reference_params as notebook_init



def tiny_config(**kw) -> Config:
    """A few steps of everything, as fast as the harness allows."""
    cfg = Config(repeats=1, threads=2, quick=True, max_train_steps=20, memory_steps=200,
                 target_block_s=1e-4, warmup_s=1e-4)
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def test_bench_uses_the_notebook_network_data_and_reference_from_models():
    """One home for the notebook network: bench/ imports models/ (the model, its loss, the hand-written step)."""
    import bench.assignment
    import bench.nets
    import models.assignment_net
    import models.numpy_reference

    assert bench.nets.NOTEBOOK_INPUT is NOTEBOOK_INPUT
    assert bench.nets.NOTEBOOK_TARGETS.tolist() == list(NOTEBOOK_TARGETS)
    assert bench.assignment.NumpyStep is models.numpy_reference.NumpyStep
    net = bench.nets.MinigradAssignment(notebook_init())
    assert type(net.model) is models.assignment_net.AssignmentCNN
    for k, v in bench.nets.notebook_init().items():
        np.testing.assert_array_equal(v, notebook_init()[k])


def test_hand_written_step_matches_notebook_forward():
    E, _ = NumpyStep(notebook_init(), NOTEBOOK_INPUT, NOTEBOOK_TARGETS, 0.0).loss_and_grads()
    assert abs(E - 0.5736159100089837) < 1e-12  # the notebook's first-pass total error


def test_hand_written_gradients_match_finite_differences():
    check_against_finite_differences(notebook_init(), NOTEBOOK_INPUT, NOTEBOOK_TARGETS)
    # and away from the notebook's init, where other pooling positions win
    rng = np.random.default_rng(3)
    params = {k: rng.standard_normal(v.shape) for k, v in notebook_init().items()}
    check_against_finite_differences(params, NOTEBOOK_INPUT, NOTEBOOK_TARGETS)


def test_hand_written_gradients_equal_minigrad():
    from bench.assignment import GRAD_TOL, check_gradients

    assert GRAD_TOL == 1e-12
    assert check_gradients("numpy") <= 1e-12


def test_step_updates_like_minigrad_for_a_few_steps():
    """Same losses step after step: the update rule, not only the first gradient, is the same."""
    from bench.nets import MinigradAssignment

    init = notebook_init()
    hand = NumpyStep(init, NOTEBOOK_INPUT, NOTEBOOK_TARGETS, 0.01)
    mg_sgd, mg_manual = MinigradAssignment(init), MinigradAssignment(init)
    for _ in range(5):
        e = hand.step()
        assert abs(mg_sgd.step_sgd() - e) < 1e-12
        assert abs(mg_manual.step_manual() - e) < 1e-12


def test_train_to_threshold_counts_updates_before_the_passing_forward():
    from bench.assignment import train_to_threshold

    losses = iter([5.0, 4.0, 3.0, 0.5, 0.1])
    run = train_to_threshold(lambda: next(losses), max_steps=100, threshold=1.0, chunk=2)
    with pytest.raises(StopIteration) as stop:
        while True:
            next(run)
    assert stop.value.value == (3, 0.5, True)  # three updates applied before the forward with E = 0.5


@pytest.mark.slow  # each workload for real, a few steps: seconds each
@pytest.mark.parametrize("name", WORKLOADS)
def test_workload_runs(name):
    from bench.run import run_workloads

    (result,) = run_workloads(tiny_config(), [name])
    assert result.name == name
    assert result.tables or result.notes
    if name == "assignment-train":
        steps = {s["steps"] for k, s in result.raw.items() if isinstance(s, dict)}
        assert steps == {20}  # capped, and identical for every competitor
    if name == "memory":
        assert result.raw["steps"] == 200 and result.raw["peak_rss_mb"] > 0


def test_lenet_first_losses_agree_with_torch():
    pytest.importorskip("torch", reason="PyTorch not installed: no reference for the LeNet first loss")
    from bench.lenet import FIRST_LOSS_RTOL, first_losses

    mg_loss, t_loss = first_losses(batch=8)
    assert abs(mg_loss - t_loss) <= FIRST_LOSS_RTOL * abs(t_loss)


def test_cli_prints_table_and_writes_json(tmp_path, capsys):
    from bench.__main__ import main

    path = tmp_path / "out.json"
    assert main(["--quick", "--repeats", "1", "--workloads", "assignment-step", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| competitor |" in out and "minigrad (manual update)" in out
    data = json.loads(path.read_text())
    assert {"machine", "versions", "threads"} <= set(data["meta"])
    assert data["meta"]["machine"]["logical_cores"] >= 1
    assert "assignment-step" in data["workloads"]


def test_cli_rejects_unknown_workload():
    from bench.__main__ import main

    with pytest.raises(SystemExit):
        main(["--workloads", "nope"])


def test_cupy_backend_runs_or_skips_cleanly(capsys):
    from bench.device import cupy_missing_reason
    from bench.__main__ import main

    reason = cupy_missing_reason()
    code = main(["--backend", "cupy", "--quick", "--repeats", "1", "--workloads", "assignment-step", "--json", ""])
    assert code == 0
    if reason:
        assert "skipped" in capsys.readouterr().err


def test_profile_step_reports_top_functions():
    from bench.profile_step import profile

    text = profile(steps=50, top=5)
    assert "tottime" in text and "µs/step" in text
