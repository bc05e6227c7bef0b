"""Sweep checkpoints: finished chunks as Parquet, resumed bit-identically, never misread."""

from __future__ import annotations

import importlib
import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import modelcollapse as mc

sweep_module = importlib.import_module("modelcollapse.sweep")

SETTINGS = {
    "histogram": mc.Discrete(weights=[0.2] * 5, samples=30),
    "gaussian": mc.Gaussian(np.zeros(2), np.eye(2), 20),
}
GRID = mc.grid(SETTINGS, [mc.Replace(), mc.MixReal(0.5)])
KW = {"replicates": 10, "iterations": 8, "rng": 11, "chunk": 3, "progress": False}
CHUNKS_PER_POINT = 4  # 10 replicates in chunks of 3


@pytest.fixture(scope="module")
def reference():
    return mc.sweep(GRID, **KW)


def assert_same(got, want):
    assert set(got.data_vars) == set(want.data_vars)
    for name in want.data_vars:
        np.testing.assert_array_equal(got[name].values, want[name].values)
    for name in want.coords:
        np.testing.assert_array_equal(got[name].values, want[name].values)


def chunk_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.parquet"))


@pytest.fixture
def count_chunks(monkeypatch):
    """Counts the chunks a sweep actually computes."""
    calls = []
    real = sweep_module._run_chunk

    def counted(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(sweep_module, "_run_chunk", counted)
    return calls


def test_a_checkpointed_sweep_writes_parquet_and_json_only(tmp_path, reference):
    got = mc.sweep(GRID, checkpoint=tmp_path, **KW)
    assert_same(got, reference)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[-1] == "sweep.json" and len(files) == len(GRID) * CHUNKS_PER_POINT + 1
    assert all(name.endswith(".parquet") for name in files[:-1])
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert manifest["modelcollapse_version"] == mc.__version__
    assert manifest["points"][0]["setting"]["type"] == "Discrete"
    assert manifest["points"][3]["paradigm"] == {"type": "MixReal", "fields": {"fraction": "0.5"}}
    # the chunk files are plain tables any Parquet reader can open
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(chunk_files(tmp_path)[0])
    assert table.column_names[:2] == ["replicate", "step"] and "entropy" in table.column_names


def test_a_rerun_reads_every_chunk_back(tmp_path, reference, count_chunks):
    mc.sweep(GRID, checkpoint=tmp_path, **KW)
    assert len(count_chunks) == len(GRID) * CHUNKS_PER_POINT
    count_chunks.clear()
    assert_same(mc.sweep(GRID, checkpoint=str(tmp_path), **KW), reference)
    assert count_chunks == []


def test_lost_chunks_are_recomputed(tmp_path, reference, count_chunks):
    mc.sweep(GRID, checkpoint=tmp_path, **KW)
    files = chunk_files(tmp_path)
    for path in files[::3]:
        path.unlink()
    count_chunks.clear()
    assert_same(mc.sweep(GRID, checkpoint=tmp_path, **KW), reference)
    assert len(count_chunks) == len(files[::3])
    assert len(chunk_files(tmp_path)) == len(files)


def test_a_damaged_or_foreign_chunk_is_never_read_as_valid(tmp_path, reference, count_chunks):
    mc.sweep(GRID, checkpoint=tmp_path, **KW)
    files = chunk_files(tmp_path)
    files[0].write_bytes(files[0].read_bytes()[:100])  # truncated
    files[1].write_bytes(files[2].read_bytes())  # another chunk's (valid) file
    count_chunks.clear()
    with pytest.warns(RuntimeWarning, match="not valid") as caught:
        got = mc.sweep(GRID, checkpoint=tmp_path, **KW)
    assert_same(got, reference)
    assert len(caught) == 2 and len(count_chunks) == 2
    # and both are whole again: a further rerun reads everything back
    count_chunks.clear()
    assert_same(mc.sweep(GRID, checkpoint=tmp_path, **KW), reference)
    assert count_chunks == []


def test_stale_temporary_files_are_ignored_and_removed(tmp_path, reference):
    mc.sweep(GRID, checkpoint=tmp_path, **KW)
    first = chunk_files(tmp_path)[0]
    stale = tmp_path / f".{first.name}.0123.tmp"
    stale.write_bytes(b"half a file")
    first.unlink()
    assert_same(mc.sweep(GRID, checkpoint=tmp_path, **KW), reference)
    assert not stale.exists() and first.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicates": 11}, r"replicates \(10 there, 11 here\)"),
        ({"iterations": 9}, r"iterations \(8 there, 9 here\)"),
        ({"rng": 12}, "seed"),
        ({"chunk": 4}, r"chunk \(3 there, 4 here\)"),
        ({"metrics": ["entropy", "cov_trace"]}, r"points \[0, 1, 2, 3\]"),
        ({"points": GRID[:3]}, r"number of points \(4 there, 3 here\)"),
        (
            {"points": [*GRID[:3], (mc.Gaussian(np.zeros(2), np.eye(2), 21), mc.Replace())]},
            r"points \[3\]",
        ),
        (
            {"points": [*GRID[:3], mc.Point(GRID[3].setting, GRID[3].paradigm, {"x": 1})]},
            r"points \[3\]",
        ),
    ],
    ids=["replicates", "iterations", "seed", "chunk", "metrics", "fewer", "setting", "labels"],
)
def test_a_rerun_with_different_arguments_is_refused(tmp_path, change, message):
    mc.sweep(GRID, checkpoint=tmp_path, **KW)
    kw = {**KW, **change}
    points = kw.pop("points", GRID)
    with pytest.raises(ValueError, match="holds a different sweep") as err:
        mc.sweep(points, checkpoint=tmp_path, **kw)
    assert err.match(message)


def test_arrays_in_settings_are_compared_by_content(tmp_path):
    data = np.random.default_rng(0).normal(size=(30, 2))
    point = [(mc.Gaussian(np.zeros(2), np.eye(2), 20, data=data), mc.Replace())]
    mc.sweep(point, checkpoint=tmp_path, **KW)
    mc.sweep(point, checkpoint=tmp_path, **KW)  # same content: accepted
    data[0, 0] += 1e-12
    changed = [(mc.Gaussian(np.zeros(2), np.eye(2), 20, data=data), mc.Replace())]
    with pytest.raises(ValueError, match=r"points \[0\]"):
        mc.sweep(changed, checkpoint=tmp_path, **KW)


def test_checkpoint_arguments_are_checked(tmp_path):
    with pytest.raises(TypeError, match="checkpoint must be a directory path"):
        mc.sweep(GRID, checkpoint=5, **KW)
    with pytest.raises(ValueError, match="needs a fixed rng seed"):
        mc.sweep(GRID, checkpoint=tmp_path, **{**KW, "rng": None})
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="must be a directory"):
        mc.sweep(GRID, checkpoint=tmp_path / "file", **KW)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "sweep.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"unreadable sweep\.json"):
        mc.sweep(GRID, checkpoint=tmp_path / "bad", **KW)


def test_an_executor_writes_the_same_checkpoint(tmp_path, reference, count_chunks):
    with ThreadPoolExecutor(2) as pool:
        got = mc.sweep(GRID, checkpoint=tmp_path, executor=pool, threads=1, **KW)
    assert_same(got, reference)
    count_chunks.clear()
    assert_same(mc.sweep(GRID, checkpoint=tmp_path, **KW), reference)  # in-process resume
    assert count_chunks == []


# A sweep of 24 chunks of about 0.15 s each, stopped part-way by a signal
SLOW = (
    "[(mc.Gaussian(np.zeros(20), np.eye(20), 100), mc.Replace())], replicates=48, "
    "iterations=10000, stride=1000, metrics=['cov_trace'], rng=3, chunk=2, threads=1, "
    "progress=False"
)
SCRIPT = """
import sys, time, numpy as np, modelcollapse as mc
try:
    mc.sweep({points}, checkpoint=sys.argv[1])
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
    sys.exit(0)
sys.exit(1)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_stopped_sweep_leaves_a_valid_checkpoint(tmp_path, sig):
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(points=SLOW), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(chunk_files(tmp_path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the sweep did not stop within 10 s of the signal")
    if sig == signal.SIGINT:
        assert proc.returncode == 0, err
        word, when = out.split()
        assert word == "interrupted" and float(when) - sent < 1.0
    kept = len(chunk_files(tmp_path))
    assert 3 <= kept < 24, kept
    # resume: no chunk file is invalid (a warning would fail this test), the result is whole
    namespace = {"mc": mc, "np": np}
    resumed = eval(f"mc.sweep({SLOW}, checkpoint={str(tmp_path)!r})", namespace)
    straight = eval(f"mc.sweep({SLOW})", namespace)
    assert_same(resumed, straight)
    assert len(chunk_files(tmp_path)) == 24
