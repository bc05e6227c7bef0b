"""Progress off a terminal: plain lines at most every LINE_INTERVAL seconds, never a carriage
return, nothing for short runs; a bar where one was asked for or where stderr is a terminal."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse import _progress

LINE = re.compile(
    r"^modelcollapse (simulate|collapse_times|sweep): [\d,]+/[\d,]+ (generation|replicate)s "
    r"\(\d+%\), \d+ s elapsed(, about \d+ s left|, done|, stopped)?$"
)

# about half a second on 2 cores: several of the kernel's ten-a-second progress calls
GAUSS = mc.Gaussian(np.zeros(10), np.eye(10), 100)
LONG = {"iterations": 1000, "replicates": 250, "metrics": "w2sq", "rng": 0}


@pytest.fixture
def off_terminal(monkeypatch):
    """stderr is captured (not a tty) whatever pytest's -s says; lines every 0.05 s."""
    monkeypatch.setattr(_progress, "_interactive", lambda: False)
    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.05)
    monkeypatch.setattr(_progress, "AUTO_DELAY", 0.05)


def plain_lines(err: str) -> list[str]:
    assert "\r" not in err, f"carriage return in non-terminal output: {err!r}"
    assert err == "" or err.endswith("\n"), f"unterminated line: {err!r}"
    lines = err.splitlines()
    for line in lines:
        assert LINE.match(line), f"not a plain progress line: {line!r}"
    return lines


def test_long_run_off_terminal_writes_plain_lines(off_terminal, capfd):
    mc.simulate(GAUSS, mc.Replace(), **LONG)
    lines = plain_lines(capfd.readouterr().err)
    assert len(lines) >= 2, lines
    assert lines[-1].endswith(", done") and "(100%)" in lines[-1]
    assert all(line.startswith("modelcollapse simulate: ") for line in lines)
    total = 250 * 1000
    assert all(f"/{total:,} generations" in line for line in lines)


def test_short_run_off_terminal_writes_nothing(monkeypatch, capfd):
    monkeypatch.setattr(_progress, "_interactive", lambda: False)
    monkeypatch.setattr(_progress, "AUTO_DELAY", 0.0)  # a bar would show at once in a terminal
    mc.simulate(GAUSS, mc.Replace(), **LONG)  # far shorter than LINE_INTERVAL = 30 s
    assert capfd.readouterr().err == ""


def test_progress_true_keeps_the_bar_off_terminal(off_terminal, capfd):
    mc.simulate(GAUSS, mc.Replace(), iterations=20, replicates=20, rng=0, progress=True)
    err = capfd.readouterr().err
    assert "\r" in err and "simulate" in err and "modelcollapse simulate:" not in err


def test_progress_false_writes_nothing(off_terminal, capfd):
    mc.simulate(GAUSS, mc.Replace(), **LONG, progress=False)
    assert capfd.readouterr().err == ""


def test_terminal_gets_the_bar(monkeypatch, capfd):
    monkeypatch.setattr(_progress, "_interactive", lambda: True)
    monkeypatch.setattr(_progress, "AUTO_DELAY", 0.0)
    mc.simulate(GAUSS, mc.Replace(), iterations=200, replicates=100, rng=0)
    err = capfd.readouterr().err
    assert "\r" in err and "modelcollapse simulate:" not in err


def test_sweep_follows_the_same_rule(off_terminal, capfd):
    points = [(GAUSS, mc.Replace()), (GAUSS, mc.Accumulate())]
    mc.sweep(points, replicates=80, iterations=300, chunk=20, metrics=["w2sq"], rng=0)
    lines = plain_lines(capfd.readouterr().err)
    assert lines and all(line.startswith("modelcollapse sweep: ") for line in lines)
    assert lines[-1].endswith(", done") and "160/160 replicates (100%)" in lines[-1]


def test_interrupted_run_says_stopped(off_terminal, monkeypatch, capsys):
    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.0)

    def interrupted() -> None:
        with _progress.Progress(None, 10, "replicate", "sweep") as bar:
            bar(4)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    lines = plain_lines(capsys.readouterr().err)
    assert lines[0].startswith("modelcollapse sweep: 4/10 replicates (40%)")
    assert lines[-1].endswith(", stopped")


def test_real_pipe_in_a_subprocess():
    """A batch job: stderr is a pipe, the interval is shortened inside the child."""
    code = textwrap.dedent(
        """
        import numpy as np
        import modelcollapse as mc
        from modelcollapse import _progress
        _progress.LINE_INTERVAL = 0.05
        _progress.AUTO_DELAY = 0.05
        g = mc.Gaussian(np.zeros(10), np.eye(10), 100)
        mc.simulate(g, mc.Replace(), iterations=1000, replicates=250, metrics="w2sq", rng=0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = plain_lines(done.stderr)
    assert len(lines) >= 2 and lines[-1].endswith(", done")
    # and a short run in a pipe with the real 30 s interval writes nothing
    short = code.replace("_progress.LINE_INTERVAL = 0.05", "").replace(
        "AUTO_DELAY = 0.05", "AUTO_DELAY = 0"
    )
    done = subprocess.run(
        [sys.executable, "-c", short], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (31.2, "31 s"), (125, "2 min 05 s"), (7384, "2 h 03 min")],
)
def test_durations_read_plainly(seconds, text):
    assert _progress._duration(seconds) == text
