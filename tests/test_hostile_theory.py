"""Hostile and weird-but-valid arguments to modelcollapse.theory."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from _hostile import (
    ANY,
    QUICK_SECONDS,
    D,
    G,
    e,
    readonly,
    refuses,
    strided,
    v,
)
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import theory

THEORY_ERRORS = [
    e("ect-gaussian", lambda: theory.expected_collapse_time(G), TypeError, "setting"),
    e("ect-None", lambda: theory.expected_collapse_time(None), TypeError, "setting"),
    e("ect-method-None", lambda: theory.expected_collapse_time(D, method=None), ValueError, "me"),
    e(
        "ect-method-list",
        lambda: theory.expected_collapse_time(D, method=["exact"]),
        ValueError,
        "m",
    ),
    e(
        "ect-exact-huge-D",
        lambda: theory.expected_collapse_time(mc.Discrete([1, 1], samples=2**53), method="exact"),
        ValueError,
        "samples",
    ),
    e("var-gaussian", lambda: theory.collapse_time_variance(G), TypeError, "setting"),
    e(
        "var-huge-D",
        lambda: theory.collapse_time_variance(mc.Discrete([1, 1], samples=10**6)),
        ValueError,
        "samples",
    ),
    e("littler-str", lambda: theory.littler("D"), TypeError, "setting"),
    e("cdf-t-nan", lambda: theory.collapse_time_cdf(D, np.nan), ValueError, "t must"),
    e("cdf-t-inf", lambda: theory.collapse_time_cdf(D, np.inf), ValueError, "t must"),
    e("cdf-t--1", lambda: theory.collapse_time_cdf(D, [-1, 2]), ValueError, "t must"),
    e("cdf-t-float", lambda: theory.collapse_time_cdf(D, 3.0), ValueError, "t must"),
    e("cdf-t-str", lambda: theory.collapse_time_cdf(D, "3"), ValueError, "t must"),
    e("cdf-t-None", lambda: theory.collapse_time_cdf(D, None), ValueError, "t must"),
    e("cdf-t-bool", lambda: theory.collapse_time_cdf(D, True), ValueError, "t must"),
    e("cdf-t-bool-array", lambda: theory.collapse_time_cdf(D, [True]), ValueError, "t must"),
    e("cdf-t-complex", lambda: theory.collapse_time_cdf(D, [1j]), ValueError, "t must"),
    e(
        "cdf-t-uint64-max",
        lambda: theory.collapse_time_cdf(D, np.array([2**64 - 1], np.uint64)),
        ValueError,
        "t must",
    ),
    e("cdf-t-2**63-1", lambda: theory.collapse_time_cdf(D, 2**63 - 1), ValueError, "t must"),
    e("cdf-t-2**70", lambda: theory.collapse_time_cdf(D, 2**70), ValueError, "t must"),
    e("cdf-t-ragged", lambda: theory.collapse_time_cdf(D, [[1], [1, 2]]), ValueError, "t must"),
    e("cdf-method", lambda: theory.collapse_time_cdf(D, [1], method="fast"), ValueError, "method"),
    e("cdf-gaussian", lambda: theory.collapse_time_cdf(G, [1]), TypeError, "setting"),
    e("curves--1", lambda: theory.discrete_curves(D, -1), ValueError, "iterations"),
    e("curves-2**63", lambda: theory.discrete_curves(D, 2**63), ValueError, "iterations"),
    e("curves-2**62", lambda: theory.discrete_curves(D, 2**62), ValueError, "iterations"),
    e("curves-10**9", lambda: theory.discrete_curves(D, 10**9), ValueError, "iterations"),
    e("curves-float", lambda: theory.discrete_curves(D, 2.5), TypeError, "iterations"),
    e("curves-None", lambda: theory.discrete_curves(D, None), TypeError, "iterations"),
    e("curves-str", lambda: theory.discrete_curves(D, "5"), TypeError, "iterations"),
    e("curves-bool", lambda: theory.discrete_curves(D, True), TypeError, "iterations"),
    e("curves-empty", lambda: theory.discrete_curves(D, []), TypeError, "iterations"),
    e("curves-2d", lambda: theory.discrete_curves(D, [[1]]), TypeError, "iterations"),
    e("curves-float-array", lambda: theory.discrete_curves(D, [1.5]), TypeError, "iterations"),
    e("curves-negative-array", lambda: theory.discrete_curves(D, [0, -1]), ValueError, "iterat"),
    e(
        "curves-uint64-max",
        lambda: theory.discrete_curves(D, np.array([0, 2**64 - 1], np.uint64)),
        ValueError,
        "iterations",
    ),
    e("curves-gaussian", lambda: theory.discrete_curves(G, 3), TypeError, "setting"),
    e("curves-method", lambda: theory.discrete_curves(D, 3, method=1), ValueError, "method"),
]


@pytest.mark.parametrize(("call", "exc", "match"), THEORY_ERRORS)
def test_theory_refuses_hostile_input(call, exc, match):
    start = time.perf_counter()
    refuses(call, exc, match)
    assert time.perf_counter() - start < QUICK_SECONDS


def _check_far_horizons() -> None:
    """Horizons far beyond absorption are answered at once and exactly (they once ran one step
    per iteration, or allocated an array over every iteration)."""
    for method in ("auto", "exact"):
        cdf = theory.collapse_time_cdf(D, [10**12, 10**9, 5], method=method)
        assert cdf[0] == cdf[1] and 1 - 1e-12 < cdf[0] <= 1 and cdf[2] < 1
    far = theory.discrete_curves(D, np.array([0, 10, 10**12]), method="exact")
    assert far.collapse_cdf.values[-1] > 1 - 1e-12 and far.entropy.values[-1] < 1e-12
    hundred = mc.Discrete([0.5, 0.5], samples=100)
    assert 1 - 1e-9 < float(theory.collapse_time_cdf(hundred, 10**6, method="exact")) <= 1


def _check_theory_array_forms() -> None:
    t = np.arange(10)
    ref = theory.collapse_time_cdf(D, t)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, readonly(t)), ref)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, strided(t)), ref)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, t.astype(np.uint16)), ref)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, t.astype(object)), ref)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, t.reshape(2, 5)), ref.reshape(2, 5))
    assert theory.collapse_time_cdf(D, np.zeros((0, 3), int)).shape == (0, 3)
    np.testing.assert_array_equal(theory.collapse_time_cdf(D, t[::-1]), ref[::-1])
    assert np.all(np.diff(ref) >= 0)
    curves = theory.discrete_curves(D, 9)
    np.testing.assert_allclose(curves.collapse_cdf.values, ref, rtol=1e-14)
    grid = theory.discrete_curves(D, readonly([9, 3, 3, 0]))
    np.testing.assert_allclose(grid.collapse_cdf.values, ref[[9, 3, 3, 0]], rtol=1e-14)
    np.testing.assert_array_equal(
        theory.discrete_curves(D, np.int64(9)).entropy.values, curves.entropy.values
    )


def _check_theory_edge_settings() -> None:
    assert theory.littler(mc.Discrete([1, 1e-300], samples=10)) == pytest.approx(2e-299)
    assert theory.littler(mc.Discrete([1.0], samples=3)) == 0.0
    assert theory.expected_collapse_time(mc.Discrete([1, 1e-300], samples=10)) == 1.0
    one = mc.Discrete([0.5, 0.5], samples=1)
    assert theory.expected_collapse_time(one) == 1.0 and theory.collapse_time_variance(one) == 0
    np.testing.assert_array_equal(theory.collapse_time_cdf(one, [0, 1, 2]), [0, 1, 1])
    huge = mc.Discrete([0.5, 0.5], samples=2**53)
    assert theory.expected_collapse_time(huge) == pytest.approx(2 * 2**53 * math.log(2))
    np.testing.assert_allclose(theory.collapse_time_cdf(huge, [0, 2**62]), [0, 1], atol=1e-12)
    assert theory.discrete_curves(mc.Discrete(counts=[3, 0, 7], samples=10), 0).sizes


VALID_THEORY = [
    v("far-horizons", _check_far_horizons),
    v("array-forms", _check_theory_array_forms),
    v("edge-settings", _check_theory_edge_settings),
]


@pytest.mark.parametrize("check", VALID_THEORY)
def test_theory_takes_weird_but_valid_input(check):
    check()


@given(st.one_of(ANY, st.lists(st.integers(0, 2**70), min_size=1, max_size=5)))
def test_any_t_for_the_collapse_time_cdf(t):
    """Probabilities in [0, 1], non-decreasing in t, or an error naming t."""
    try:
        cdf = theory.collapse_time_cdf(D, t)
    except (TypeError, ValueError) as err:
        assert str(err).startswith("t "), err
        return
    flat_t, flat = np.asarray(t, dtype=np.int64).ravel(), np.asarray(cdf).ravel()
    assert np.all((flat >= 0) & (flat <= 1))
    order = np.argsort(flat_t, kind="stable")
    assert np.all(np.diff(flat[order]) >= -1e-15)
