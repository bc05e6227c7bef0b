"""Hostile and weird-but-valid arguments to sweep, grid and Point (not checkpoints)."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from _hostile import (
    QUICK_SECONDS,
    D,
    e,
    refuses,
    v,
)

import modelcollapse as mc

P = mc.Point(D, mc.Replace(), {"n": 10})


def sw(points: Any = (P,), **kw: Any) -> Any:
    return mc.sweep(points, **{"replicates": 3, "iterations": 3, "rng": 0, "progress": False, **kw})


SWEEP_ERRORS = [
    e("point-setting-None", lambda: mc.Point(None, mc.Replace()), TypeError, "setting"),
    e("point-paradigm-None", lambda: mc.Point(D, None), TypeError, "paradigm"),
    e("grid-bad-setting", lambda: mc.grid({"a": 3}, [mc.Replace()]), TypeError, "setting"),
    e("grid-bad-paradigm", lambda: mc.grid({"a": D}, ["Replace"]), TypeError, "paradigm"),
    e("points-empty", lambda: sw([]), TypeError, "points"),
    e("points-None", lambda: sw(None), TypeError, "points"),
    e("points-setting", lambda: sw([D]), TypeError, "point"),
    e("replicates--1", lambda: sw(replicates=-1), ValueError, "replicates"),
    e("replicates-2**63", lambda: sw(replicates=2**63), ValueError, "replicates"),
    e("replicates-float", lambda: sw(replicates=3.0), TypeError, "replicates"),
    e("replicates-bool", lambda: sw(replicates=True), TypeError, "replicates"),
    e("iterations--1", lambda: sw(iterations=-1), ValueError, "iterations"),
    e("iterations-2**63", lambda: sw(iterations=2**63), ValueError, "iterations"),
    e("stride-0", lambda: sw(stride=0), ValueError, "stride"),
    e("chunk-0", lambda: sw(chunk=0), ValueError, "chunk"),
    e("chunk-float", lambda: sw(chunk=1.5), TypeError, "chunk"),
    e("metrics-unknown", lambda: sw(metrics=["nope"]), ValueError, "metrics"),
    e("metrics-twice", lambda: sw(metrics=["entropy", "entropy"]), ValueError, "metric"),
    e("threads-0", lambda: sw(threads=0), ValueError, "threads"),
    e("threads-str", lambda: sw(threads="2"), TypeError, "threads"),
    e("progress-str", lambda: sw(progress="x"), TypeError, "progress"),
    e("executor-str", lambda: sw(executor="x"), TypeError, "executor"),
    e("executor-class", lambda: sw(executor=ThreadPoolExecutor), TypeError, "executor"),
    e("rng--1", lambda: sw(rng=-1), ValueError, "rng"),
    e("rng-float", lambda: sw(rng=1.5), TypeError, "rng"),
    e("rng-bool", lambda: sw(rng=True), TypeError, "rng"),
    e(
        "replicates-10**12-iterations-10**6",
        lambda: sw(replicates=10**12, iterations=10**6),
        ValueError,
        "replicates",
    ),
    e(
        "replicates-2**40-iterations-0",
        lambda: sw(replicates=2**40, iterations=0),
        ValueError,
        "Gi",
    ),
]

#: Bugs in `sweep.py`, which another engineer is editing (reported, not fixed here).
SWEEP_BUGS = [
    e("grid-settings-list", lambda: mc.grid([D], [mc.Replace()]), TypeError, "settings"),
    e("grid-paradigms-None", lambda: mc.grid({"a": D}, None), TypeError, "paradigms"),
    e("point-labels-None", lambda: sw([mc.Point(D, mc.Replace(), None)]), TypeError, "labels"),
    e("point-labels-list", lambda: mc.Point(D, mc.Replace(), [1, 2]), TypeError, "labels"),
    e(
        "point-label-shadows-a-dimension",
        lambda: sw([mc.Point(D, mc.Replace(), {"iteration": 7})]),
        ValueError,
        "labels",
    ),
    e("metrics-int", lambda: sw(metrics=5), TypeError, "metrics"),
    e("metrics-unknown", lambda: sw(metrics=["entropy", "bogus"]), ValueError, "bogus"),
    e("metrics-empty", lambda: sw(metrics=[]), ValueError, "metrics must name"),
    e(
        "metrics-endless",
        lambda: sw(metrics=itertools.repeat("entropy")),
        ValueError,
        "more than the",
    ),
    e("point-label-list-value", lambda: mc.Point(D, mc.Replace(), {"n": [1]}), TypeError, "scalar"),
    e("point-label-int-name", lambda: mc.Point(D, mc.Replace(), {1: 1}), TypeError, "string"),
]


@pytest.mark.parametrize(("call", "exc", "match"), SWEEP_ERRORS)
def test_sweep_refuses_hostile_input(call, exc, match):
    start = time.perf_counter()
    refuses(call, exc, match)
    assert time.perf_counter() - start < QUICK_SECONDS


@pytest.mark.parametrize(("call", "exc", "match"), SWEEP_BUGS)
def test_sweep_refuses_bad_points_labels_and_metrics(call, exc, match):
    refuses(call, exc, match)


def _check_sweep_weird_input() -> None:
    ref = sw()
    same = sw(
        iter([P]), replicates=np.int64(3), iterations=np.int32(3), chunk=2**70, rng=np.int64(0)
    )
    for name in ref.data_vars:
        np.testing.assert_array_equal(ref[name].values, same[name].values)
    assert sw(stride=10).iteration.values.tolist() == [0, 1, 3]  # 0, 1 and the last
    one = sw(metrics="entropy")  # a single name, as simulate takes it
    np.testing.assert_array_equal(one.entropy.values, sw(metrics=["entropy"]).entropy.values)
    assert sw([(D, mc.Replace())]).sizes["point"] == 1
    assert mc.grid({}, []) == []


VALID_SWEEP = [v("sweep-weird-input", _check_sweep_weird_input)]


@pytest.mark.parametrize("check", VALID_SWEEP)
def test_sweep_takes_weird_but_valid_input(check):
    check()
