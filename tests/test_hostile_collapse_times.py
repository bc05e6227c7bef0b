"""Hostile arguments to collapse_times and to the methods of CollapseTimes."""

from __future__ import annotations

import numpy as np
import pytest
from _hostile import (
    ANY,
    CENSORED,
    CT,
    D,
    G,
    ct,
    e,
    refuses,
)
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc

COLLAPSE_TIMES_ERRORS = [
    e("gaussian", lambda: ct(G), TypeError, "Discrete"),
    e("setting-None", lambda: ct(None), TypeError, "setting"),
    e("paradigm-None", lambda: mc.collapse_times(D, None, replicates=2), TypeError, "paradigm"),
    e("replicates--1", lambda: ct(replicates=-1), ValueError, "replicates"),
    e("replicates-float", lambda: ct(replicates=3.0), TypeError, "replicates"),
    e("replicates-range-step", lambda: ct(replicates=range(0, 4, 2)), ValueError, "replicates"),
    e("max-iterations--1", lambda: ct(max_iterations=-1), ValueError, "max_iterations"),
    e("max-iterations-2**63", lambda: ct(max_iterations=2**63), ValueError, "max_iterations"),
    e("max-iterations-float", lambda: ct(max_iterations=5.0), TypeError, "max_iterations"),
    e("max-iterations-bool", lambda: ct(max_iterations=True), TypeError, "max_iterations"),
    e("max-iterations-str", lambda: ct(max_iterations="5"), TypeError, "max_iterations"),
    e("max-iterations-missing", lambda: ct(paradigm=mc.MixReal(0.5)), ValueError, "max_iter"),
    e("threads-0", lambda: ct(threads=0), ValueError, "threads"),
    e("progress-str", lambda: ct(progress="x"), TypeError, "progress"),
    e("rng--1", lambda: ct(rng=-1), ValueError, "rng"),
    e("rng-float", lambda: ct(rng=0.5), TypeError, "rng"),
    e(
        "growth-beyond-2**62",
        lambda: ct(mc.Discrete([1, 1], samples=2**53), mc.Accumulate(1e9), max_iterations=3),
        ValueError,
        "growth",
    ),
    # CollapseTimes methods
    e("quantile-nan", lambda: CT.quantile(np.nan), ValueError, "q"),
    e("quantile--0.1", lambda: CT.quantile(-0.1), ValueError, "q"),
    e("quantile-1.1", lambda: CT.quantile(1.1), ValueError, "q"),
    e("quantile-inf", lambda: CT.quantile(np.inf), ValueError, "q"),
    e("quantile--inf", lambda: CT.quantile(-np.inf), ValueError, "q"),
    e("quantile-array-with-nan", lambda: CT.quantile([0.5, np.nan]), ValueError, "q"),
    e("quantile-str", lambda: CT.quantile("0.5"), TypeError, "q"),
    e("quantile-None", lambda: CT.quantile(None), TypeError, "q"),
    e("quantile-complex", lambda: CT.quantile(0.5 + 0j), TypeError, "q"),
    e("quantile-bool", lambda: CT.quantile(True), TypeError, "q"),
    e("quantile-object", lambda: CT.quantile(np.array([0.5], dtype=object)), TypeError, "q"),
    e("quantile-ragged", lambda: CT.quantile([[0.1], [0.2, 0.3]]), ValueError, "q"),
    e(
        "quantile-beyond-censoring",
        lambda: CENSORED.quantile(0.5, censored="raise"),
        ValueError,
        "max_iterations",
    ),
    e("mean-censored", lambda: CENSORED.mean(), ValueError, "lower_bound"),
    e("sem-censored", lambda: CENSORED.sem(), ValueError, "lower_bound"),
    e("mean-lower-bound-str", lambda: CENSORED.mean(lower_bound="no"), TypeError, "lower_bound"),
    e("sem-lower-bound-int", lambda: CT.sem(lower_bound=1), TypeError, "lower_bound"),
]


@pytest.mark.parametrize(("call", "exc", "match"), COLLAPSE_TIMES_ERRORS)
def test_collapse_times_and_its_methods_refuse_hostile_input(call, exc, match):
    refuses(call, exc, match)


@given(st.one_of(ANY, st.lists(st.floats(0, 1), max_size=5)))
def test_any_q_for_collapse_time_quantiles(q):
    try:
        out = CT.quantile(q)
    except (TypeError, ValueError) as err:
        assert "q" in str(err), err
        return
    values = np.asarray(out, dtype=np.float64)
    assert np.all((values >= CT.times.min()) & (values <= CT.times.max()))
