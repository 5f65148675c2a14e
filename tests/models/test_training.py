"""models/training.py's loop around the step: what it records, what its progress bar shows, and its rate."""
from __future__ import annotations

import math
import sys
import types

import minigrad as mg
from models import training
from models.assignment_net import build
from models.training import train


def _short_run(**kwargs):
    model, x, target = build("notebook", 0, mg.float64, "numpy")
    return train(model, x, target, **kwargs)


def test_history_is_kept_only_when_asked():
    assert _short_run(max_steps=3)["history"] is None
    history = _short_run(max_steps=3, record=True)["history"]
    assert len(history) == 4 and all(isinstance(e, float) for e in history)  # E before each update, and after


class _Bar:
    """Stands in for tqdm.tqdm and keeps what the loop asked of it."""
    made: list = []

    def __init__(self, **kwargs):
        self.kwargs, self.n, self.updates, self.postfix, self.closed = kwargs, 0, [], [], False
        _Bar.made.append(self)

    def update(self, k):
        self.updates.append(k)
        self.n += k

    def set_postfix_str(self, text, refresh=True):
        self.postfix.append((text, refresh))

    def close(self):
        self.closed = True


def test_the_progress_bar_counts_steps_and_shows_e(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=_Bar))
    _Bar.made.clear()
    r = _short_run(max_steps=2500, progress=True, bar_every=1000)
    bar, = _Bar.made
    assert bar.kwargs == {"total": 2500, "unit": "step", "dynamic_ncols": True, "mininterval": 0.5}
    assert bar.updates == [1000, 1000, 500] and bar.n == r["steps"] == 2500 and bar.closed
    # E is shown every bar_every steps and once at the end, without forcing a redraw each time
    assert len(bar.postfix) == 3 and all(text.startswith("E=") and refresh is False for text, refresh in bar.postfix)
    assert bar.postfix[-1][0] == f"E={r['loss']:.3e}"


def test_no_bar_without_progress_or_without_tqdm(monkeypatch):
    assert training._progress_bar(10, False) is None
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm then raises ImportError
    assert training._progress_bar(10, True) is None


def test_the_rate_is_nan_when_no_time_passed(monkeypatch):
    monkeypatch.setattr(training.time, "perf_counter", lambda: 1.0)
    r = _short_run(max_steps=2)
    assert r["seconds"] == 0 and math.isnan(r["steps_per_second"])
    monkeypatch.undo()
    r = _short_run(max_steps=2)
    assert r["seconds"] > 0 and r["steps_per_second"] == r["steps"] / r["seconds"]
