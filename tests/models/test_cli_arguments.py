"""Both command lines (models/assignment_cnn.py, models/digits_cnn.py) validate every numeric argument in
argparse: a bad value is a usage error (exit 2) naming the argument, never a traceback later; an output that
can't be produced is refused up front, not skipped in silence."""
from __future__ import annotations

import argparse
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import assignment_cnn, cli, digits_cnn

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {"assignment_cnn": assignment_cnn, "digits_cnn": digits_cnn}
# Every numeric flag of each script and values it must refuse.
BAD = {
    "assignment_cnn": {"--lr": ["0", "-1", "nan", "inf", "x"], "--threshold": ["0", "-1e-4", "nan", "inf"],
                       "--max-steps": ["-1", "1.5", "nan"], "--seed": ["-1", str(2**32), "1.5", "x"]},
    "digits_cnn": {"--epochs": ["-1", "1.5"], "--batch-size": ["0", "-3"], "--lr": ["0", "-1", "nan", "inf"],
                   "--weight-decay": ["-1", "nan", "inf", "-inf", "x"], "--dropout": ["-0.1", "1", "nan"],
                   "--seed": ["-1", str(2**32), "x"], "--limit": ["0", "-5"], "--threads": ["0", "-1"]},
}


def _parser(module) -> argparse.ArgumentParser:
    """The script's parser, caught as its parse_args builds it."""
    seen = []
    real = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        seen.append(self)
        return real(self, [], namespace)

    argparse.ArgumentParser.parse_args = capture
    try:
        module.parse_args([])
    finally:
        argparse.ArgumentParser.parse_args = real
    return seen[0]


VALIDATORS = {cli.positive_int, cli.non_negative_int, cli.positive_float, cli.non_negative_float, cli.fraction,
              cli.seed}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_numeric_flag_is_validated_by_cli(name):
    typed = {a.option_strings[0]: a.type for a in _parser(SCRIPTS[name])._actions
             if a.option_strings and a.type is not None}
    assert set(typed) == set(BAD[name]), "a numeric flag without bad-value cases (or a stale entry)"
    for flag, kind in typed.items():
        assert kind in VALIDATORS, f"{name} {flag} uses {kind!r}, not one of cli's validators"


@pytest.mark.parametrize("name,flag,value", [(n, f, v) for n in sorted(BAD) for f, vs in BAD[n].items() for v in vs])
def test_a_bad_numeric_value_is_a_usage_error_naming_the_flag(name, flag, value, capsys):
    with pytest.raises(SystemExit) as exc:
        SCRIPTS[name].parse_args([flag, value])
    assert exc.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(v=st.floats(allow_nan=True, allow_infinity=True))
def test_weight_decay_accepts_exactly_the_finite_non_negative_numbers(v):
    text = repr(v)
    if math.isfinite(v) and v >= 0:
        assert digits_cnn.parse_args(["--weight-decay", text]).weight_decay == v
    else:
        with pytest.raises(SystemExit):
            digits_cnn.parse_args(["--weight-decay", text])


@settings(max_examples=60, deadline=None)
@given(v=st.integers(-2**40, 2**40), name=st.sampled_from(sorted(SCRIPTS)))
def test_seed_accepts_exactly_what_every_generator_takes(v, name):
    if 0 <= v < 2**32:
        assert SCRIPTS[name].parse_args(["--seed", str(v)]).seed == v
    else:
        with pytest.raises(SystemExit):
            SCRIPTS[name].parse_args(["--seed", str(v)])


def test_a_plot_of_zero_epochs_is_refused(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        digits_cnn.parse_args(["--epochs", "0", "--plot", str(tmp_path / "p.png")])
    assert exc.value.code == 2 and "--plot" in capsys.readouterr().err
    assert digits_cnn.parse_args(["--epochs", "0"]).epochs == 0  # evaluating only is fine without a plot


@pytest.mark.subprocess
@pytest.mark.parametrize("argv", [["models/digits_cnn.py", "--weight-decay", "-1"],
                                  ["models/digits_cnn.py", "--seed", "-1"],
                                  ["models/digits_cnn.py", "--epochs", "0", "--plot", "p.png"],
                                  ["models/assignment_cnn.py", "--seed", "-1"]])
def test_the_scripts_exit_2_without_a_traceback(argv, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / argv[0]), *argv[1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "usage:" in proc.stderr
    assert not (tmp_path / "p.png").exists()


def test_both_scripts_share_the_bootstrap_and_the_output_tail():
    for path in ("models/assignment_cnn.py", "models/digits_cnn.py"):
        text = (ROOT / path).read_text()
        assert "cli.bootstrap(__file__)" in text and "cli.write_outputs(" in text and "cli.check_outputs(" in text
        assert "mg.save(" not in text, f"{path} writes its checkpoint itself instead of through cli.write_outputs"
