"""models/digits_cnn.py: a small CNN on scikit-learn's 8x8 digits, run short (a subset, one or two epochs).

Checks that it learns (accuracy far above chance), that its JSON is strict, that the jitted and eager runs give
the same numbers, that --save/--load round-trips, that --plot writes an image and that bad output paths stop
the run before the data set is even loaded. The full run (>= 97% test accuracy) is measured in the report,
not here: no timed or long tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install -e '.[examples]'): the digits "
                                      "example has no data without it")

import minigrad as mg  # noqa: E402
from models import digits_cnn  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "models" / "digits_cnn.py"
SHORT = ["--epochs", "2", "--limit", "512", "--quiet"]


def _strict_json(text: str) -> dict:
    def refuse(name):
        raise ValueError(f"not valid JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def data():
    return digits_cnn.load_digits_split(0, limit=256)


def test_split_is_stratified_standardised_and_seeded():
    x_tr, y_tr, x_te, y_te = digits_cnn.load_digits_split(0)
    assert x_tr.shape == (1437, 1, 8, 8) and x_te.shape == (360, 1, 8, 8) and x_tr.dtype == np.float32
    assert y_tr.dtype == np.int64 and set(np.unique(y_te)) == set(range(10))
    assert abs(float(x_tr.mean())) < 1e-5 and abs(float(x_tr.std()) - 1) < 1e-4
    assert np.bincount(y_te).min() >= 35  # stratified: every class ~10% of the test set
    again = digits_cnn.load_digits_split(0)
    other = digits_cnn.load_digits_split(1)
    assert np.array_equal(again[1], y_tr) and not np.array_equal(other[1], y_tr)


def test_short_run_learns_and_prints_strict_json(capsys):
    assert digits_cnn.main(SHORT + ["--json"]) == 0
    out = _strict_json(capsys.readouterr().out)
    assert out["test_acc"] > 0.6  # chance is 0.1
    assert out["finite"] is True and out["diverged"] is False and out["train_size"] == 512
    assert len(out["history"]) == 2 and out["history"][1]["train_loss"] < out["history"][0]["train_loss"]
    cm = np.array(out["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == out["test_size"] == 360 and np.trace(cm) == out["test_correct"]
    assert out["history"][1]["lr"] < out["history"][0]["lr"]  # the cosine schedule stepped


def test_jit_and_eager_runs_give_the_same_numbers(data):
    """Float64, same seed: the step through mg.jit (BatchNorm's running statistics, AdamW, the schedule, dropout's
    fresh masks) equals the eager step, epoch by epoch."""
    runs = []
    for jit in (False, True):
        mg.manual_seed(0)
        model = digits_cnn.DigitsCNN(0.25, dtype=mg.float64)
        r = digits_cnn.train(model, data, epochs=2, batch_size=32, jit=jit, seed=0)
        runs.append([(h["train_loss"], h["train_acc"], h["test_loss"], h["test_acc"]) for h in r["history"]])
        assert r["jit"] is jit
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-10, atol=0)


def test_dropout_is_on_in_training_only():
    """nn.Dropout between the stages: training-mode outputs differ call to call (fresh masks), eval mode is the
    identity; p = 1 is refused."""
    mg.manual_seed(7)
    model = digits_cnn.DigitsCNN(0.5, dtype=mg.float64)
    x = mg.randn(8, 1, 8, 8, dtype=mg.float64)
    with mg.no_grad():
        a, b = model(x).numpy(), model(x).numpy()
        model.eval()
        c, d = model(x).numpy(), model(x).numpy()
    assert not np.array_equal(a, b) and np.array_equal(c, d)
    with pytest.raises(ValueError, match="dropout"):
        digits_cnn.DigitsCNN(1.0)


def test_eval_mode_is_deterministic(data):
    model = digits_cnn.DigitsCNN(0.5)
    x = mg.tensor(data[2][:50])
    y = mg.tensor(data[3][:50])
    crit = mg.nn.CrossEntropyLoss()
    assert digits_cnn.evaluate(model, crit, x, y)[0] == digits_cnn.evaluate(model, crit, x, y)[0]
    assert not model.training


@pytest.mark.slow  # trains, saves, loads and plots
def test_save_load_round_trip_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: --plot cannot write anything")
    w, png = tmp_path / "digits.npz", tmp_path / "digits.png"
    assert digits_cnn.main(SHORT + ["--json", "--save", str(w), "--plot", str(png)]) == 0
    first = _strict_json(capsys.readouterr().out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert digits_cnn.main(["--epochs", "0", "--json", "--load", str(w)]) == 0
    again = _strict_json(capsys.readouterr().out)
    assert again["test_acc"] == first["test_acc"] and again["confusion_matrix"] == first["confusion_matrix"]


def test_bad_paths_fail_before_loading_data(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the data set was loaded before the output paths were checked")
    monkeypatch.setattr(digits_cnn, "load_digits_split", refuse)
    for argv, message in [(["--save", str(tmp_path)], "is a directory"),
                          (["--plot", str(tmp_path / "nope" / "x.png")], "does not exist"),
                          (["--plot", str(tmp_path / "x.csv")], "unsupported file type"),
                          (["--save", str(tmp_path / "a"), "--plot", str(tmp_path / "a")], "both write")]:
        with pytest.raises(SystemExit, match=message):
            digits_cnn.main(argv)
    with pytest.raises(SystemExit, match="cannot load"):
        monkeypatch.undo()
        digits_cnn.main(["--epochs", "0", "--quiet", "--limit", "64", "--load", str(tmp_path / "missing.npz")])


def test_missing_scikit_learn_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(SystemExit, match=r"scikit-learn.*\[examples\]"):
        digits_cnn.load_digits_split(0)


@pytest.mark.parametrize("argv", [["--epochs", "-1"], ["--batch-size", "0"], ["--lr", "0"], ["--dropout", "1"],
                                  ["--backend", "tpu"], ["--limit", "0"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        digits_cnn.main(argv)
    assert exc.value.code == 2 and "error:" in capsys.readouterr().err


@pytest.mark.slow  # the whole script in a fresh Python
def test_runs_as_a_script(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(SCRIPT), "--epochs", "1", "--limit", "128", "--json"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _strict_json(proc.stdout)["epochs"] == 1
