"""Theory for parts of the distribution (`mc.theory.loss_probability`, `fixation_probability`,
`tail_atoms`) against simulation, and the honest method rule of the discrete theory: every
function says whether it used the exact chain or the diffusion limit, "auto" picks by one rule
that does not depend on how many iterations are asked for, and many atoms or iterations never
make a table of atoms x iterations or atoms x counts.

Simulated first passages come from `mc.first_passage` (checked against an argmax over the
iteration axis) or by hand for joint conditions. Tolerances are
4.5 binomial standard errors of the empirical probability (tests/_stats.py), with fixed seeds."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from _stats import Z

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.theory import discrete

REPLICATES = 20_000


def first_iteration(run: mc.Run, hit: np.ndarray) -> np.ndarray:
    """Per replicate, the first recorded iteration at which `hit` (replicate x iteration) holds;
    inf where it never does."""
    iterations = run.metrics.iteration.values
    first = iterations[hit.argmax(axis=1)].astype(float)
    first[~hit.any(axis=1)] = np.inf
    return first


def assert_probabilities(first: np.ndarray, t: np.ndarray, exact: np.ndarray, what: str) -> None:
    """P(first <= t) from the replicates lies within Z binomial standard errors of `exact`."""
    empirical = np.array([(first <= ti).mean() for ti in t])
    se = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / first.size)
    z = np.abs(empirical - exact) / se
    assert np.all(z < Z), f"{what}: worst z = {z.max():.2f} at t = {t[z.argmax()]} " + str(
        np.c_[t, empirical, exact]
    )


# -- the tail set ---------------------------------------------------------------------------------


def tail(weights, share=0.1):
    return theory.tail_atoms(mc.Discrete(weights=weights, samples=5, tail=share)).tolist()


def test_tail_atoms_follow_the_documented_rule():
    # rarest first, ties by index, until they hold at least `tail` of the mass
    assert tail([4, 1, 1, 1, 3], 0.2) == [1, 2]
    assert tail([0.1] * 10) == [0]
    assert tail([0.6, 0.3, 0.1], 0.4) == [1, 2]
    # atoms without real mass are never in it; tail = 1 takes every real atom
    assert tail([0, 2, 1, 0], 1.0) == [1, 2]


@pytest.mark.parametrize("tail", [0.05, 0.1, 0.37, 0.9])
def test_tail_atoms_are_the_kernels_tail_set(tail):
    """Iteration 0 records the real mass of the kernel's tail set; with distinct weights the
    prefix sums of the sorted weights differ, so the sum identifies the set."""
    rng = np.random.default_rng(7)
    weights = rng.dirichlet(np.full(40, 0.5))
    setting = mc.Discrete(weights=weights, samples=50, tail=tail)
    run = mc.simulate(
        setting,
        mc.Replace(),
        iterations=1,
        replicates=1,
        rng=0,
        metrics="tail_mass",
        progress=False,
    )
    recorded = float(run.metrics.tail_mass.values[0, 0])
    atoms = theory.tail_atoms(setting)
    assert recorded == pytest.approx(setting.weights[atoms].sum(), abs=1e-14)
    # one atom fewer or more would change the sum by more than rounding
    rarest = np.sort(setting.weights)
    assert rarest[atoms.size - 1] > 1e-9 and recorded >= tail * (1 - 1e-12) - 1e-15


# -- loss and fixation against simulation ---------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        mc.Discrete(weights=1 / np.arange(1, 21), samples=100),
        mc.Discrete(counts=[1, 1, 2, 3, 5, 8, 13, 21, 34], samples=40, tail=0.15),
        mc.Discrete(counts=[2, 3, 5, 10, 30], samples=50, tail=0.2),
    ],
    ids=["zipf20-weights", "counts-N!=D", "counts-N=D"],
)
def test_loss_probability_matches_first_passage_of_tail_mass(setting):
    """P(tail_mass_t == 0 by t) against the exact lumped chain; the diffusion limit is close."""
    run = mc.simulate(
        setting,
        mc.Replace(),
        iterations=300,
        replicates=REPLICATES,
        rng=3,
        metrics="tail_mass",
        progress=False,
    )
    gone = mc.first_passage(run, "tail_mass", ("==", 0))
    first = np.where(gone.censored, np.inf, gone.times.astype(float))
    # the library's first passage is the hand-computed one
    np.testing.assert_array_equal(first, first_iteration(run, run.metrics.tail_mass.values == 0))
    t = np.array([0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 300])
    exact, method = theory.loss_probability(setting, t, return_method=True)
    assert method == "exact"
    assert exact[0] == 0 and np.all(np.diff(exact) >= 0)
    assert_probabilities(first, t, exact, "P(tail lost by t)")
    assert np.array_equal(theory.loss_probability(setting, t, theory.tail_atoms(setting)), exact)
    # the diffusion limit is within a few units of 1/D once the tail's items have spread
    diffusion = theory.loss_probability(setting, t, method="diffusion")
    late = t >= 50
    assert np.all(np.abs(diffusion[late] - exact[late]) < 5 / setting.samples)


def test_fixation_probability_matches_simulation():
    """weights [0.6, 0.3, 0.1] with tail = 0.4: the tail set is atoms {1, 2}, so atom 0 has
    fixed when tail_mass == 0 (and max_weight == 1, support_size == 1), and the tail holds all
    the mass when tail_mass == 1."""
    setting = mc.Discrete(weights=[0.6, 0.3, 0.1], samples=30, tail=0.4)
    assert theory.tail_atoms(setting).tolist() == [1, 2]
    run = mc.simulate(
        setting,
        mc.Replace(),
        iterations=200,
        replicates=REPLICATES,
        rng=5,
        metrics=["tail_mass", "max_weight", "support_size"],
        progress=False,
    )
    m = run.metrics
    t = np.array([1, 2, 5, 10, 20, 40, 80, 200])
    head = (m.tail_mass.values == 0) & (m.max_weight.values == 1) & (m.support_size.values == 1)
    fixed, method = theory.fixation_probability(setting, t, atoms=[0], return_method=True)
    assert method == "exact"
    assert_probabilities(first_iteration(run, head), t, fixed, "P(atom 0 alone by t)")
    # atom 0 alone <=> the tail {1, 2} lost, exactly
    np.testing.assert_allclose(theory.loss_probability(setting, t), fixed, rtol=1e-12, atol=0)
    tail_only = first_iteration(run, m.tail_mass.values == 1)
    assert_probabilities(tail_only, t, theory.fixation_probability(setting, t), "tail holds all")
    np.testing.assert_allclose(
        theory.fixation_probability(setting, t), theory.loss_probability(setting, t, [0])
    )


def test_loss_and_fixation_add_up_to_the_lumped_collapse_cdf():
    """collapse_time_cdf of the two-atom lumping counts both ends; the new functions split it."""
    setting = mc.Discrete(weights=[0.05, 0.15, 0.5, 0.3], samples=60)
    lumped = mc.Discrete(weights=[0.2, 0.8], samples=60)
    t = np.array([0, 1, 5, 30, 100, 400, 10**9])
    for method in ("exact", "diffusion"):
        lost = theory.loss_probability(setting, t, [0, 1], method=method)
        fixed = theory.fixation_probability(setting, t, [0, 1], method=method)
        cdf = theory.collapse_time_cdf(lumped, t, method=method)
        np.testing.assert_allclose(lost + fixed, cdf, rtol=1e-12, atol=1e-15)
    # at the end the group is lost with probability 1 - 0.2 and fixes with probability 0.2
    assert lost[-1] == pytest.approx(0.8) and fixed[-1] == pytest.approx(0.2)


def test_groups_without_mass_or_with_all_of_it():
    setting = mc.Discrete(weights=[0, 0.5, 0.5], samples=10)
    t = [0, 3, 10**12]
    assert theory.loss_probability(setting, t, [0]).tolist() == [1.0, 1.0, 1.0]
    assert theory.fixation_probability(setting, t, [0]).tolist() == [0.0, 0.0, 0.0]
    assert theory.fixation_probability(setting, t, [0, 1, 2]).tolist() == [1.0, 1.0, 1.0]
    assert theory.loss_probability(setting, t, [1, 2]).tolist() == [0.0, 0.0, 0.0]
    # the shape of t is kept
    assert theory.loss_probability(setting, np.array([[1, 2], [3, 4]]), [1]).shape == (2, 2)


def test_bad_atoms_are_refused():
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=10)
    with pytest.raises(ValueError, match=r"atoms must .* in \[0, 3\), got 3"):
        theory.loss_probability(setting, [1], [3])
    with pytest.raises(ValueError, match="got -1"):
        theory.loss_probability(setting, [1], [-1])
    with pytest.raises(ValueError, match="non-empty"):
        theory.loss_probability(setting, [1], [])
    with pytest.raises(TypeError, match="atoms must"):
        theory.fixation_probability(setting, [1], [0.5])
    with pytest.raises(TypeError, match="atoms must"):
        theory.fixation_probability(setting, [1], True)
    with pytest.raises(TypeError, match=r"mc\.Discrete"):
        theory.loss_probability(mc.Gaussian(np.zeros(2), np.eye(2), samples=5), [1])
    with pytest.raises(ValueError, match="t must"):
        theory.loss_probability(setting, [-1])
    with pytest.raises(TypeError, match="return_method"):
        theory.loss_probability(setting, [1], return_method="yes")


# -- the method rule ------------------------------------------------------------------------------


def test_every_function_says_which_method_it_used():
    small = mc.Discrete(weights=[0.9, 0.1], samples=100)
    large = mc.Discrete(weights=[0.9, 0.1], samples=10**6)
    t = [10, 100]
    for setting, expected in ((small, "exact"), (large, "diffusion")):
        for function in (
            theory.collapse_time_cdf,
            theory.loss_probability,
            theory.fixation_probability,
        ):
            values, method = function(setting, t, return_method=True)
            assert method == expected, function.__name__
            np.testing.assert_array_equal(values, function(setting, t, method=method))
        value, method = theory.expected_collapse_time(setting, return_method=True)
        assert method == expected and value == theory.expected_collapse_time(setting, method=method)
        assert theory.discrete_curves(setting, t).attrs["method"] == expected
        curve, method = theory.expected_curve(
            setting, mc.Replace(), "support_size", t, return_method=True
        )
        assert method == expected
        np.testing.assert_array_equal(curve, theory.discrete_curves(setting, t).support_size)
    # closed forms are exact whatever D
    assert theory.expected_curve(large, mc.Replace(), "gini_simpson", t, return_method=True)[1] == (
        "exact"
    )
    g = mc.Gaussian(np.zeros(2), np.eye(2), samples=10)
    assert theory.expected_curve(g, mc.Replace(), "cov_trace", 5, return_method=True)[1] == "exact"


def test_auto_depends_on_the_horizon_not_on_how_many_iterations_are_asked_for():
    """The issue's case: [0.9, 0.1] at D = 1000, P(T <= 100). A short grid and every iteration
    up to the same horizon get the same method and the same value; a longer horizon may switch
    to the diffusion limit, and says so."""
    setting = mc.Discrete(weights=[0.9, 0.1], samples=1000)
    for horizon in (100, 2000):
        short, m_short = theory.collapse_time_cdf(setting, [100, horizon], return_method=True)
        dense, m_dense = theory.collapse_time_cdf(
            setting, np.arange(horizon + 1), return_method=True
        )
        assert m_short == m_dense == "exact"
        assert dense[100] == short[0]
    exact = theory.collapse_time_cdf(setting, [100], method="exact")[0]
    assert exact == pytest.approx(0.12762, abs=1e-5)
    far, method = theory.collapse_time_cdf(setting, [100, 10**9], return_method=True)
    assert method == (
        "exact" if discrete.exact_seconds(setting, "curves", 10**9) <= 3 else "diffusion"
    )
    if method == "diffusion":
        assert far[0] == pytest.approx(0.12174, abs=1e-5)


def test_auto_is_exact_exactly_when_the_predicted_time_fits(monkeypatch):
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=200)
    t = np.array([5, 50, 500])
    assert discrete.exact_seconds(setting, "curves", 500) <= discrete.EXACT_SECONDS
    assert theory.loss_probability(setting, t, return_method=True)[1] == "exact"
    monkeypatch.setattr(discrete, "EXACT_SECONDS", 0.0)
    for function in (theory.loss_probability, theory.collapse_time_cdf):
        values, method = function(setting, t, return_method=True)
        assert method == "diffusion"
        np.testing.assert_array_equal(values, function(setting, t, method="diffusion"))
    assert theory.expected_collapse_time(setting, return_method=True) == (
        theory.littler(setting),
        "diffusion",
    )
    assert theory.discrete_curves(setting, t).attrs["method"] == "diffusion"


def test_long_horizons_cost_no_more_than_absorption():
    """The chain is extrapolated once its transient mass is below 1e-15: iterations far beyond
    absorption answer at once, and the extrapolation joins the stepped chain smoothly."""
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=30)
    t = np.array([10, 200, 1000, 2000, 10**6, 10**12, 2**62])
    curves = theory.discrete_curves(setting, t, method="exact")
    gs = (1 - np.sum(setting.weights**2)) * (1 - 1 / 30) ** t.astype(float)
    # relative agreement with the closed form even where the curve is 1e-30
    np.testing.assert_allclose(curves.gini_simpson.values[:4], gs[:4], rtol=1e-9)
    # (rounding of a thousand steps of the chain, not the extrapolation)
    assert curves.collapse_cdf.values[-1] == pytest.approx(1.0, abs=1e-12)
    assert curves.support_size.values[-1] == pytest.approx(1.0, abs=1e-12)
    lost = theory.loss_probability(setting, t, [2], method="exact")
    assert lost[-1] == pytest.approx(0.8, abs=1e-13)  # atom 2 fixes with probability 0.2


def test_exact_expected_collapse_time_is_unchanged_by_the_faster_solver():
    # values of the previous sparse-matrix solver (solve_banded with a 13-SD band)
    assert theory.expected_collapse_time(
        mc.Discrete(weights=np.ones(10), samples=1000)
    ) == pytest.approx(1893.4999585230025, rel=1e-12)
    assert theory.expected_collapse_time(
        mc.Discrete(weights=[0.9, 0.1], samples=1000)
    ) == pytest.approx(647.8359786165094, rel=1e-12)


# -- many atoms, many iterations: bounded memory ---------------------------------------------------


def test_many_atoms_and_iterations_are_taken_in_chunks(monkeypatch):
    """Zipf over 20,000 atoms: the diffusion limit on 2,000 iterations and the exact curves at
    D = 5,000 would need atoms x iterations and atoms x counts tables of 300 MiB and 760 MiB.
    With the chunk shrunk to 64 KiB, every temporary stays small and the answers are those of
    the default chunk."""
    weights = 1 / np.arange(1, 20_001)
    far = mc.Discrete(weights=weights, samples=10**9)
    exact = mc.Discrete(weights=weights, samples=5000)
    t = np.arange(0, 2000)
    reference = theory.collapse_time_cdf(far, t), theory.loss_probability(far, t)
    curves = theory.discrete_curves(exact, [0, 1, 10, 40], method="exact")
    monkeypatch.setattr(discrete, "CHUNK", 2**13)
    tracemalloc.start()
    try:
        chunked = theory.collapse_time_cdf(far, t), theory.loss_probability(far, t)
        small = theory.discrete_curves(exact, [0, 1, 10, 40], method="exact")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    for a, b in zip(reference, chunked, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-300)
    for name in ("entropy", "support_size", "gini_simpson", "collapse_cdf"):
        np.testing.assert_allclose(curves[name], small[name], rtol=1e-10)
    # a million atoms: nothing proportional to atoms x iterations is allocated
    million = mc.Discrete(weights=1 / np.arange(1, 10**6 + 1), samples=10**15)
    tracemalloc.start()
    try:
        theory.collapse_time_cdf(million, np.arange(2000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert math.isfinite(theory.discrete_curves(million, 2000).support_size.values[-1])
