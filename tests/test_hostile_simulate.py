"""Hostile arguments to simulate: counts, strides, metrics, threads, methods, rng, inputs."""

from __future__ import annotations

import numpy as np
import pytest
from _hostile import (
    ANY,
    KW,
    D,
    G,
    K,
    R,
    e,
    refuses,
    sim,
)
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc

SIMULATE_ERRORS = [
    e("iterations--1", lambda: sim(iterations=-1), ValueError, "iterations"),
    e("iterations-2**63", lambda: sim(iterations=2**63), ValueError, "iterations"),
    e("iterations-float", lambda: sim(iterations=3.0), TypeError, "iterations"),
    e("iterations-nan", lambda: sim(iterations=np.nan), TypeError, "iterations"),
    e("iterations-str", lambda: sim(iterations="3"), TypeError, "iterations"),
    e("iterations-None", lambda: sim(iterations=None), TypeError, "iterations"),
    e("iterations-bool", lambda: sim(iterations=True), TypeError, "iterations"),
    e("replicates--1", lambda: sim(replicates=-1), ValueError, "replicates"),
    e("replicates-0", lambda: sim(replicates=0), ValueError, "replicates"),
    e("replicates-2**63", lambda: sim(replicates=2**63), ValueError, "replicates"),
    e("replicates-2**64", lambda: sim(replicates=2**64), ValueError, "replicates"),
    e("replicates-float", lambda: sim(replicates=2.0), TypeError, "replicates"),
    e("replicates-None", lambda: sim(replicates=None), TypeError, "replicates"),
    e("replicates-bool", lambda: sim(replicates=True), TypeError, "replicates"),
    e("replicates-list", lambda: sim(replicates=[1, 2]), TypeError, "replicates"),
    e("replicates-empty-range", lambda: sim(replicates=range(5, 5)), ValueError, "replicates"),
    e("replicates-step-range", lambda: sim(replicates=range(0, 10, 2)), ValueError, "replicates"),
    e("replicates-reversed-range", lambda: sim(replicates=range(5, 0, -1)), ValueError, "replic"),
    e("replicates-negative-range", lambda: sim(replicates=range(-1, 3)), ValueError, "replicates"),
    e(
        "replicates-range-past-2**63",
        lambda: sim(replicates=range(2**63 - 1, 2**63 + 1)),
        ValueError,
        "replicates",
    ),
    e("replicates-range-2**63-long", lambda: sim(replicates=range(2**63)), ValueError, "replicate"),
    e("stride-0", lambda: sim(stride=0), ValueError, "stride"),
    e("stride--1", lambda: sim(stride=-1), ValueError, "stride"),
    e("stride-float", lambda: sim(stride=1.5), TypeError, "stride"),
    e("metrics-unknown", lambda: sim(metrics=["entropy", "nope"]), ValueError, "nope"),
    e("metrics-empty", lambda: sim(metrics=[]), ValueError, "metrics"),
    e("metrics-twice", lambda: sim(metrics=["entropy", "entropy"]), ValueError, "metrics"),
    e("metrics-int-entry", lambda: sim(metrics=[3]), TypeError, "metrics"),
    e("metrics-None-entry", lambda: sim(metrics=["entropy", None]), TypeError, "metrics"),
    e("metrics-int", lambda: sim(metrics=5), TypeError, "metrics"),
    e("metrics-bytes", lambda: sim(metrics=b"entropy"), TypeError, "metrics"),
    e("metrics-gaussian-name-on-discrete", lambda: sim(metrics="w2sq"), ValueError, "w2sq"),
    e("metrics-discrete-name-on-gaussian", lambda: sim(G, metrics="entropy"), ValueError, "entr"),
    e(
        "metrics-noise-estimate-with-known-noise",
        lambda: sim(R, metrics="noise_estimate"),
        ValueError,
        "noise_estimate",
    ),
    e("threads-0", lambda: sim(threads=0), ValueError, "threads"),
    e("threads--1", lambda: sim(threads=-1), ValueError, "threads"),
    e("threads-2**40", lambda: sim(threads=2**40), ValueError, "threads"),
    e("threads-float", lambda: sim(threads=1.5), TypeError, "threads"),
    e("threads-str", lambda: sim(threads="2"), TypeError, "threads"),
    e("threads-bool", lambda: sim(threads=True), TypeError, "threads"),
    e("progress-str", lambda: sim(progress="yes"), TypeError, "progress"),
    e("progress-int", lambda: sim(progress=1), TypeError, "progress"),
    e("progress-np-bool", lambda: sim(progress=np.True_), TypeError, "progress"),
    e("method-unknown", lambda: sim(method="exact"), ValueError, "method"),
    e("method-None", lambda: sim(method=None), TypeError, "method"),
    e("method-case", lambda: sim(method="AUTO"), ValueError, "method"),
    e("method-samples-on-discrete", lambda: sim(method="samples"), ValueError, "method"),
    e("method-statistics-on-kde", lambda: sim(K, method="statistics"), ValueError, "method"),
    e(
        "method-statistics-subsample",
        lambda: sim(G, mc.AccumulateSubsample(5), method="statistics"),
        ValueError,
        "method",
    ),
    e("rng--1", lambda: sim(rng=-1), ValueError, "rng"),
    e("rng-np-int--1", lambda: sim(rng=np.int64(-1)), ValueError, "rng"),
    e("rng-float", lambda: sim(rng=1.5), TypeError, "rng"),
    e("rng-str", lambda: sim(rng="seed"), TypeError, "rng"),
    e("rng-bool", lambda: sim(rng=True), TypeError, "rng"),
    e("rng-RandomState", lambda: sim(rng=np.random.RandomState(0)), TypeError, "rng"),
    e("setting-None", lambda: sim(None), TypeError, "setting"),
    e("setting-str", lambda: sim("histogram"), TypeError, "setting"),
    e("setting-class", lambda: sim(mc.Discrete), TypeError, "setting"),
    e("paradigm-str", lambda: mc.simulate(D, "replace", **KW), TypeError, "paradigm"),
    e("paradigm-class", lambda: mc.simulate(D, mc.Replace, **KW), TypeError, "paradigm"),
    e("paradigm-None", lambda: mc.simulate(D, None, **KW), TypeError, "paradigm"),
    e("subsample-beyond-pool", lambda: sim(D, mc.AccumulateSubsample(21)), ValueError, "size"),
    e("subsample-le-dim", lambda: sim(G, mc.AccumulateSubsample(2)), ValueError, "size"),
    e(
        "mixreal-beyond-real-data",
        lambda: sim(mc.Discrete(counts=[1, 1], samples=10), mc.MixReal(0.5)),
        ValueError,
        "fr",
    ),
    e("regression-fractional-growth", lambda: sim(R, mc.Accumulate(1.5)), ValueError, "growth"),
    e(
        "growth-beyond-2**62-per-generation",
        lambda: sim(mc.Discrete([0.5, 0.5], samples=2**53), mc.Accumulate(1e9)),
        ValueError,
        "growth",
    ),
]


@pytest.mark.parametrize(("call", "exc", "match"), SIMULATE_ERRORS)
def test_simulate_refuses_hostile_arguments(call, exc, match):
    refuses(call, exc, match)


SIMULATE_ARGS = ["iterations", "replicates", "stride", "threads", "metrics", "method", "rng",
                 "progress"]  # fmt: skip


@given(ANY, st.sampled_from(SIMULATE_ARGS), st.sampled_from(sorted({"D": D, "G": G, "R": R})))
def test_any_value_for_any_simulate_argument(value, name, which):
    """A valid run of the right shape, or a TypeError/ValueError naming the argument."""
    setting = {"D": D, "G": G, "R": R}[which]
    kwargs = {**KW, name: value}
    try:
        run = mc.simulate(setting, mc.Replace(), **kwargs)
    except (TypeError, ValueError) as err:
        assert name in str(err), f"{name}={value!r}: {err}"
        return
    assert run.metrics.sizes["iteration"] >= 1
    for metric in run.metrics.data_vars:
        assert not np.isnan(run.metrics[metric].values[:, 0]).any()
