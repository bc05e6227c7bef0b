"""Hostile and weird-but-valid arguments to the collapse definitions and to profile."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from _hostile import (
    ANY,
    CT,
    QUICK_SECONDS,
    RUN,
    D,
    G,
    e,
    refuses,
    sim,
    v,
)
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import definitions as d

G_RUN = sim(G, iterations=8, replicates=5)
ONE_REPLICATE = sim(D, iterations=8, replicates=1)
ENTROPY_ONLY = sim(D, iterations=8, replicates=5, metrics=["entropy"])
SIZES = {
    n: sim(mc.Discrete([0.5, 0.5], samples=n), iterations=4, replicates=5) for n in (5, 10, 20)
}


SINGLE_RUN = [
    d.catastrophic_risk_increase,
    d.any_risk_increase,
    d.diverging_risk,
    d.collapsing_variance,
    d.lost_modes,
    d.lost_tails,
    d.hallucinated_data,
]

#: (argument name, value, exception, what the message names), for every single-run definition.
COMMON_BAD = [
    ("run", None, TypeError, "run"),
    ("run", "run", TypeError, "run"),
    ("run", CT, TypeError, "run"),
    ("run", ONE_REPLICATE, ValueError, "replicates"),
    ("horizon", np.nan, TypeError, "horizon"),
    ("horizon", 3.0, TypeError, "horizon"),
    ("horizon", "3", TypeError, "horizon"),
    ("horizon", True, TypeError, "horizon"),
    ("horizon", -1, ValueError, "horizon"),
    ("horizon", 2**70, ValueError, "horizon"),
    ("horizon", 100, ValueError, "horizon"),
    ("level", np.nan, ValueError, "level"),
    ("level", 0.0, ValueError, "level"),
    ("level", 0.5, ValueError, "level"),
    ("level", -1, ValueError, "level"),
    ("level", "0.05", TypeError, "level"),
    ("level", None, TypeError, "level"),
]

DEFINITION_ERRORS = [
    pytest.param(f, {name: value}, exc, match, id=f"{f.__name__}-{name}-{value!r}"[:60])
    for f in SINGLE_RUN
    for name, value, exc, match in COMMON_BAD
] + [
    pytest.param(f, kw, exc, match, id=f"{f.__name__}-{next(iter(kw.items()))}")
    for f, kw, exc, match in [
        (d.catastrophic_risk_increase, {"factor": np.nan}, ValueError, "factor"),
        (d.catastrophic_risk_increase, {"factor": -1}, ValueError, "factor"),
        (d.catastrophic_risk_increase, {"factor": "2"}, TypeError, "factor"),
        (d.diverging_risk, {"ratio": np.nan}, ValueError, "ratio"),
        (d.diverging_risk, {"ratio": "x"}, TypeError, "ratio"),
        (d.diverging_risk, {"theory": "no"}, TypeError, "theory"),
        (d.collapsing_variance, {"threshold": np.nan}, ValueError, "threshold"),
        (d.collapsing_variance, {"threshold": "x"}, TypeError, "threshold"),
        (d.lost_tails, {"factor": np.inf}, ValueError, "factor"),
        (d.hallucinated_data, {"level_set": "yes"}, TypeError, "level_set"),
        (d.hallucinated_data, {"factor": np.nan}, ValueError, "factor"),
    ]
]


@pytest.mark.parametrize(("f", "kw", "exc", "match"), DEFINITION_ERRORS)
def test_definitions_refuse_hostile_arguments(f, kw, exc, match):
    kw = dict(kw)
    run = kw.pop("run", RUN)
    with pytest.raises(exc, match=match):
        f(run, **kw)


MISSING_METRIC = [pytest.param(f, id=f.__name__) for f in SINGLE_RUN[:3] + SINGLE_RUN[4:6]]


@pytest.mark.parametrize("f", MISSING_METRIC)
def test_definitions_name_a_metric_the_run_lacks(f):
    with pytest.raises(ValueError, match="must record"):
        f(ENTROPY_ONLY)


SCALING_ERRORS = [
    e("runs-None", lambda: d.scaling_law_change(None), TypeError, "runs"),
    e("runs-list", lambda: d.scaling_law_change([RUN, RUN, RUN]), TypeError, "runs"),
    e("two-runs", lambda: d.scaling_law_change({5: RUN, 10: RUN}), ValueError, "3 or more"),
    e("bootstrap--1", lambda: d.scaling_law_change(SIZES, bootstrap=-1), ValueError, "bootstrap"),
    e("bootstrap-0", lambda: d.scaling_law_change(SIZES, bootstrap=0), ValueError, "bootstrap"),
    e("bootstrap-float", lambda: d.scaling_law_change(SIZES, bootstrap=1.5), TypeError, "boots"),
    e("bootstrap-bool", lambda: d.scaling_law_change(SIZES, bootstrap=True), TypeError, "boots"),
    e("bootstrap-10**12", lambda: d.scaling_law_change(SIZES, bootstrap=10**12), ValueError, "b"),
    e(
        "keys-str",
        lambda: d.scaling_law_change(dict(zip("abc", SIZES.values(), strict=True))),
        TypeError,
        "k",
    ),
    e(
        "keys-negative",
        lambda: d.scaling_law_change(dict(zip((-1, 0, 5), SIZES.values(), strict=True))),
        ValueError,
        "keys",
    ),
    e(
        "keys-float",
        lambda: d.scaling_law_change(dict(zip((5.0, 10.5, 20.0), SIZES.values(), strict=True))),
        TypeError,
        "keys",
    ),
    e("values-None", lambda: d.scaling_law_change({5: None, 10: None, 20: None}), TypeError, "run"),
    e(
        "mixed-settings",
        lambda: d.scaling_law_change({5: SIZES[5], 10: G_RUN, 20: SIZES[20]}),
        ValueError,
        "setting",
    ),
    e("horizon-missing", lambda: d.scaling_law_change(SIZES, horizon=100), ValueError, "horizon"),
    e("level-nan", lambda: d.scaling_law_change(SIZES, level=np.nan), ValueError, "level"),
]


@pytest.mark.parametrize(("call", "exc", "match"), SCALING_ERRORS)
def test_scaling_law_change_refuses_hostile_input(call, exc, match):
    start = time.perf_counter()
    refuses(call, exc, match)
    assert time.perf_counter() - start < QUICK_SECONDS


def pf(setting: Any = D, **kw: Any) -> mc.Profile:
    return mc.profile(
        setting, **{"iterations": 4, "replicates": 5, "rng": 0, "sizes": (5, 10, 20), **kw}
    )


PROFILE_ERRORS = [
    e("setting-None", lambda: pf(None), TypeError, "setting"),
    e("paradigms-None", lambda: pf(paradigms=None), TypeError, "paradigms"),
    e("paradigms-single", lambda: pf(paradigms=mc.Replace()), TypeError, "paradigms"),
    e("paradigms-empty", lambda: pf(paradigms=[]), ValueError, "paradigms"),
    e("paradigms-str", lambda: pf(paradigms="Replace"), TypeError, "paradigm"),
    e("paradigms-twice", lambda: pf(paradigms=[mc.Replace(), mc.Replace()]), ValueError, "para"),
    e("iterations--1", lambda: pf(iterations=-1), ValueError, "iterations"),
    e("iterations-3", lambda: pf(iterations=3), ValueError, "iterations"),
    e("iterations-float", lambda: pf(iterations=4.0), TypeError, "iterations"),
    e("iterations-nan", lambda: pf(iterations=np.nan), TypeError, "iterations"),
    e("iterations-str", lambda: pf(iterations="4"), TypeError, "iterations"),
    e("iterations-bool", lambda: pf(iterations=True), TypeError, "iterations"),
    e("iterations-2**63", lambda: pf(iterations=2**63), ValueError, "iterations"),
    e("replicates-1", lambda: pf(replicates=1), ValueError, "replicates"),
    e("replicates--1", lambda: pf(replicates=-1), ValueError, "replicates"),
    e("replicates-float", lambda: pf(replicates=2.0), TypeError, "replicates"),
    e(
        "replicates-10**12-iterations-10**6",
        lambda: pf(replicates=10**12, iterations=10**6),
        ValueError,
        "replicates",
    ),
    e("sizes-empty", lambda: pf(sizes=()), ValueError, "sizes"),
    e("sizes-negative", lambda: pf(sizes=(-1, 5, 10)), ValueError, "sizes"),
    e("sizes-float", lambda: pf(sizes=(5.5, 10, 20)), TypeError, "sizes"),
    e("sizes-str", lambda: pf(sizes="abc"), TypeError, "sizes"),
    e("sizes-int", lambda: pf(sizes=5), TypeError, "sizes"),
    e("sizes-repeated", lambda: pf(sizes=(5, 5, 10)), ValueError, "sizes"),
    e("sizes-2**62", lambda: pf(sizes=(5, 10, 2**62)), ValueError, "sizes"),
    e("sizes-below-dim", lambda: pf(G, sizes=(1, 2, 3)), ValueError, "sizes"),
    e("threads-0", lambda: pf(threads=0), ValueError, "threads"),
    e("progress-str", lambda: pf(progress="x"), TypeError, "progress"),
    e("rng--1", lambda: pf(rng=-1), ValueError, "rng"),
    e("rng-float", lambda: pf(rng=1.5), TypeError, "rng"),
    e("rng-bool", lambda: pf(rng=True), TypeError, "rng"),
]


@pytest.mark.parametrize(("call", "exc", "match"), PROFILE_ERRORS)
def test_profile_refuses_hostile_input(call, exc, match):
    start = time.perf_counter()
    refuses(call, exc, match)
    assert time.perf_counter() - start < QUICK_SECONDS


def _check_exact_real_only_model() -> None:
    """Real counts with N = D make iteration 1 the real distribution itself (zero risk): the
    ratio of definition 1 is undefined, not a ZeroDivisionError."""
    exact = mc.Discrete(counts=[5, 5], samples=10)
    table = pf(exact).table()
    assert table.loc[1].isna().all() and table.loc[2].notna().all()
    flat = sim(exact, mc.MixReal(1.0), iterations=4, replicates=3)  # risk 0 throughout
    assert d.catastrophic_risk_increase(flat).collapsed is False


def _check_definitions_on_weird_runs() -> None:
    strided_run = sim(D, iterations=8, replicates=5, stride=2)
    assert d.diverging_risk(strided_run).applicable
    for short in (d.diverging_risk(RUN, horizon=2), d.collapsing_variance(RUN, horizon=1)):
        # too few iterations below the horizon for doubling horizons: not applicable, saying why
        assert short.collapsed is None and "must be distinct recorded iterations" in short.evidence
    # a strided run records iteration 1, so every definition works on it
    assert d.catastrophic_risk_increase(strided_run).applicable
    with pytest.raises(ValueError, match="only iteration 0"):  # no model fit: nothing to judge
        d.lost_tails(sim(D, iterations=0, replicates=3))
    v1 = d.lost_modes(RUN, horizon=np.int64(8))
    assert v1 == d.lost_modes(RUN, horizon=8)
    plain = d.scaling_law_change(SIZES, bootstrap=10)
    assert d.scaling_law_change(SIZES, bootstrap=np.int64(10)) == plain


def _check_profile_int_like() -> None:
    a = pf(iterations=np.int64(4), replicates=np.int32(5), sizes=np.array([5, 10, 20])).table()
    b = pf().table()
    assert a.equals(b)


VALID_DEFINITIONS = [
    v("exact-real-only-model", _check_exact_real_only_model),
    v("weird-runs", _check_definitions_on_weird_runs),
    v("profile-int-like", _check_profile_int_like),
]


@pytest.mark.parametrize("check", VALID_DEFINITIONS)
def test_definitions_and_profile_take_weird_but_valid_input(check):
    check()


@given(st.sampled_from(SINGLE_RUN), st.sampled_from(["horizon", "level"]), ANY)
def test_any_horizon_or_level_for_the_definitions(f, name, value):
    try:
        verdict = f(RUN, **{name: value})
    except (TypeError, ValueError) as err:
        assert name in str(err), f"{name}={value!r}: {err}"
        return
    assert verdict.collapsed in (True, False, None)
