"""mc.theory against brute-force algebra on the full multinomial state space, and against
simulation (tolerances from the exact variance)."""

import itertools

import numpy as np
import pytest
from scipy import stats

import modelcollapse as mc
from modelcollapse import theory


def brute_force(weights, samples, offset=1):
    """E[T] and Var T for the K-atom chain with D items, by linear algebra over every count
    vector: tau solves (I - Q) tau = 1 and s = E[tau^2] solves (I - Q) s = 1 + 2 Q tau; the chain
    starts with X ~ Multinomial(D, weights) at iteration `offset`."""
    k, d = len(weights), samples
    states = [c for c in itertools.product(range(d + 1), repeat=k) if sum(c) == d]
    transient = [s for s in states if max(s) < d]
    pos = {s: i for i, s in enumerate(transient)}
    q = np.zeros((len(transient), len(transient)))
    for s in transient:
        for target in transient:
            q[pos[s], pos[target]] = stats.multinomial.pmf(target, d, np.array(s) / d)
    eye = np.eye(len(transient))
    tau = np.linalg.solve(eye - q, np.ones(len(transient)))
    second = np.linalg.solve(eye - q, 1 + 2 * q @ tau)
    first = np.array([stats.multinomial.pmf(s, d, weights) for s in transient])
    e_tau, e_tau2 = first @ tau, first @ second
    mean = offset + e_tau
    var = offset**2 + 2 * offset * e_tau + e_tau2 - mean**2
    return mean, var


CASES = [
    ([0.5, 0.5], 2),
    ([0.5, 0.5], 12),
    ([0.3, 0.7], 9),
    ([0.2, 0.3, 0.5], 6),
    ([1 / 3, 1 / 3, 1 / 3], 9),
    ([0.05, 0.15, 0.8], 7),
]


@pytest.mark.parametrize(("weights", "samples"), CASES)
def test_exact_mean_and_variance_match_brute_force(weights, samples):
    setting = mc.Discrete(weights=weights, samples=samples)
    mean, var = brute_force(setting.weights, samples)
    assert theory.expected_collapse_time(setting, method="exact") == pytest.approx(mean, rel=1e-10)
    assert theory.collapse_time_variance(setting) == pytest.approx(var, rel=1e-10)


def test_two_atom_case_by_hand():
    # D = 2, p = (1/2, 1/2): every draw from (1, 1) collapses with probability 1/2, so T is
    # Geometric(1/2) on {1, 2, ...}: E[T] = 2, Var T = 2
    setting = mc.Discrete(weights=[0.5, 0.5], samples=2)
    assert theory.expected_collapse_time(setting) == pytest.approx(2.0, rel=1e-12)
    assert theory.collapse_time_variance(setting) == pytest.approx(2.0, rel=1e-12)


def test_counts_settings_start_one_iteration_later():
    # N = D: iteration 1 is the state c itself; N != D: iteration 2 is the first draw
    same = mc.Discrete(counts=[2, 4], samples=6)
    mean, _ = brute_force(np.array([1 / 3, 2 / 3]), 6, offset=2)
    assert theory.expected_collapse_time(same) == pytest.approx(mean, rel=1e-10)
    other = mc.Discrete(counts=[1, 2], samples=6)
    assert theory.expected_collapse_time(other) == pytest.approx(mean, rel=1e-10)
    assert theory.expected_collapse_time(mc.Discrete(counts=[0, 5], samples=3)) == 0.0


@pytest.mark.parametrize(
    ("weights", "samples"),
    [([1.0] * 2, 50), ([1.0] * 10, 100), ([0.6, 0.3, 0.1], 80), (list(1 / np.arange(1, 21)), 60)],
)
def test_simulated_mean_collapse_time_within_four_standard_errors(weights, samples):
    setting = mc.Discrete(weights=weights, samples=samples)
    replicates = 20_000
    times = mc.collapse_times(setting, replicates=replicates, rng=11, progress=False)
    exact = theory.expected_collapse_time(setting)
    se = np.sqrt(theory.collapse_time_variance(setting) / replicates)
    assert abs(times.mean() - exact) < 4 * se, (times.mean(), exact, se)
    # the sample variance agrees with the exact one too (its relative SE is about 0.02 here)
    assert times.times.var(ddof=1) == pytest.approx(theory.collapse_time_variance(setting), rel=0.1)


def test_littler_is_close_for_large_d_and_saturates_at_2d():
    setting = mc.Discrete(weights=np.ones(10), samples=2000)
    exact = theory.expected_collapse_time(setting)
    assert abs(theory.littler(setting) - exact) / exact < 5e-3
    assert theory.expected_collapse_time(setting, method="diffusion") == theory.littler(setting)
    many = mc.Discrete(weights=np.ones(10_000), samples=1000)
    assert 1999 < theory.littler(many) < 2000


def test_curves_match_the_gini_simpson_identity_exactly():
    setting = mc.Discrete(weights=[0.5, 0.2, 0.2, 0.1], samples=40)
    curves = theory.discrete_curves(setting, 60)
    gs0 = 1 - np.sum(setting.weights**2)
    t = curves.iteration.values
    np.testing.assert_allclose(curves.gini_simpson, gs0 * (1 - 1 / 40) ** t, rtol=1e-12)


@pytest.mark.parametrize(
    "setting",
    [
        mc.Discrete(weights=[0.5, 0.3, 0.2], samples=30),
        mc.Discrete(weights=np.ones(8), samples=50),
        mc.Discrete(counts=[3, 5, 12], samples=20),
        mc.Discrete(counts=[3, 5, 12], samples=25),
    ],
    ids=["weights-K3", "uniform-K8", "counts-N=D", "counts-N!=D"],
)
def test_curves_match_simulation(setting):
    iterations = 60
    curves = theory.discrete_curves(setting, iterations)
    run = mc.simulate(
        setting, mc.Replace(), iterations=iterations, replicates=20_000, rng=5, progress=False
    )
    m = run.metrics
    for name in ("entropy", "support_size", "gini_simpson"):
        values = m[name].values.astype(float)
        mean = values.mean(axis=0)
        se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
        exact = curves[name].values
        z = np.abs(mean - exact) / np.maximum(se, 1e-12)
        assert np.all(z < 5), (name, z.max())
    collapsed = (m.max_weight.values == 1.0).mean(axis=0)
    se = np.sqrt(np.maximum(curves.collapse_cdf.values * (1 - curves.collapse_cdf.values), 1e-12))
    assert np.all(np.abs(collapsed - curves.collapse_cdf.values) < 5 * se / np.sqrt(20_000) + 1e-12)


def test_cdf_agrees_with_curves_and_with_collapse_times():
    setting = mc.Discrete(weights=[0.4, 0.4, 0.2], samples=25)
    t = np.array([0, 1, 5, 20, 50, 100])
    cdf = theory.collapse_time_cdf(setting, t)
    curves = theory.discrete_curves(setting, 100)
    np.testing.assert_allclose(cdf, curves.collapse_cdf.sel(iteration=t), rtol=1e-12)
    assert cdf[0] == 0.0 and np.all(np.diff(cdf) >= 0)
    times = mc.collapse_times(setting, replicates=20_000, rng=2, progress=False)
    empirical = np.array([(times.times <= ti).mean() for ti in t])
    se = np.sqrt(np.maximum(cdf * (1 - cdf), 1e-12) / 20_000)
    assert np.all(np.abs(empirical - cdf) < 5 * se + 1e-12)


def test_band_truncation_is_below_rounding():
    for d in (200, 1000, 3000):
        p = theory.discrete._transition(d)
        assert np.max(np.abs(np.asarray(p.sum(axis=1)).ravel() - 1)) < 1e-13


def test_bad_arguments():
    s = mc.Discrete(weights=[0.5, 0.5], samples=10)
    with pytest.raises(TypeError, match=r"mc\.Discrete"):
        theory.expected_collapse_time("histogram")
    with pytest.raises(ValueError, match="method must be one of"):
        theory.expected_collapse_time(s, method="magic")
    with pytest.raises(ValueError, match="beyond the exact solver"):
        theory.collapse_time_variance(mc.Discrete(weights=[0.5, 0.5], samples=10**6))
    with pytest.raises(ValueError, match="non-negative integers"):
        theory.collapse_time_cdf(s, [-1, 2])
    with pytest.raises(ValueError, match="non-negative integers"):
        theory.collapse_time_cdf(s, [0.5])
    with pytest.raises(ValueError, match="iterations must be at least 0"):
        theory.discrete_curves(s, -1)
    with pytest.raises(TypeError, match="iterations must be an integer"):
        theory.discrete_curves(s, 2.5)


@pytest.mark.parametrize(
    "weights", [[0.3, 0.7], [0.5, 0.3, 0.2], [1.0] * 10], ids=["K2", "K3", "uniform-K10"]
)
def test_diffusion_matches_exact_within_order_one_over_d(weights):
    """At D = 1000, with every atom holding at least 100 items, the diffusion limit is within
    a few units of 1/D of the exact chain: measured 1.5-1.7/D for P(T <= t), under 6/D per atom
    for E[support], and 1.6/D relative for E[T]."""
    d = 1000
    setting = mc.Discrete(weights=weights, samples=d)
    t = np.array([0, 1, 10, 100, 300, 700, 1000, 2000, 4000])
    exact = theory.discrete_curves(setting, t, method="exact")
    diffusion = theory.discrete_curves(setting, t, method="diffusion")
    assert diffusion.attrs["method"] == "diffusion"
    k = len(weights)
    np.testing.assert_allclose(diffusion.collapse_cdf, exact.collapse_cdf, atol=3 / d)
    np.testing.assert_allclose(diffusion.support_size, exact.support_size, atol=10 * k / d)
    # the closed form against 4000 steps of the banded chain: rounding accumulates absolutely
    np.testing.assert_allclose(diffusion.gini_simpson, exact.gini_simpson, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        theory.collapse_time_cdf(setting, t, method="diffusion"), diffusion.collapse_cdf
    )
    mean = theory.expected_collapse_time(setting, method="exact")
    assert abs(theory.littler(setting) - mean) / mean < 5 / d


def test_diffusion_breaks_down_for_atoms_with_few_items():
    """Zipf over 50 atoms at D = 1000: the rarest hold about 4 items, and in their first few
    generations the discrete chain loses them faster than the diffusion says."""
    setting = mc.Discrete(weights=1 / np.arange(1, 51), samples=1000)
    t = np.array([5, 10, 20])
    exact = theory.discrete_curves(setting, t, method="exact").support_size.values
    diffusion = theory.discrete_curves(setting, t, method="diffusion").support_size.values
    assert np.all(diffusion - exact > 0.5), (exact, diffusion)


def test_kimura_series_limits():
    p = np.array([0.01, 0.2, 0.5, 0.9])
    mult = np.ones(4, dtype=np.int64)
    tau = np.array([0.0, 1e-6, 1e-3, 0.05, 1.0, 50.0])
    fixed = np.array(
        [theory.discrete._kimura_fixation(p[i : i + 1], mult[:1], tau) for i in range(4)]
    )
    lost = np.array(
        [theory.discrete._kimura_fixation(1 - p[i : i + 1], mult[:1], tau) for i in range(4)]
    )
    assert np.all(fixed[:, 0] == 0) and np.all(lost[:, 0] == 0)
    assert np.all(fixed + lost <= 1 + 1e-12) and np.all(np.diff(fixed, axis=1) >= -1e-12)
    np.testing.assert_allclose(fixed[:, -1], p, atol=1e-12)  # fixation probability p at the end
    np.testing.assert_allclose(fixed[:, -1] + lost[:, -1], 1, atol=1e-12)


def test_diffusion_at_the_papers_scale_runs_in_seconds():
    """Zipf over 10^5 atoms at D = 10^15. The rarest atom holds about 8e8 items: every atom
    survives 10^8 generations, but by 10^12 only the ~1,200 atoms with p above ~1e-4 are left
    (the Feller limit: atom i survives tau with probability 1 - exp(-2 p_i / tau)). Total
    collapse waits for Littler's ~2 D generations."""
    setting = mc.Discrete(weights=1 / np.arange(1, 100_001), samples=10**15)
    t = np.array([0, 10**8, 10**12, 10**15, 10**16])
    curves = theory.discrete_curves(setting, t)
    assert curves.attrs["method"] == "diffusion"
    assert curves.support_size.values[1] == pytest.approx(100_000, rel=1e-3)
    p = setting.weights
    feller = np.sum(1 - np.exp(-2 * p / 1e-3))
    assert curves.support_size.values[2] == pytest.approx(feller, rel=0.05)
    assert curves.collapse_cdf.values[2] < 1e-12
    assert 0.9 < curves.collapse_cdf.values[-1] <= 1
    assert theory.expected_collapse_time(setting) == pytest.approx(theory.littler(setting))
    assert 1.9e15 < theory.littler(setting) < 2e15
