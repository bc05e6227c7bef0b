"""The discrete engine against exact theory (DESIGN §5). Tolerances are 5 standard errors of the
simulated mean, with fixed seeds; the exact values come from closed forms or from brute-force
absorbing-chain algebra on the full multinomial state space."""

import itertools

import numpy as np
import pytest
from scipy import stats

import modelcollapse as mc

SE_TOL = 5.0


def assert_mean_within(samples, expected, label):
    """The mean of `samples` (axis 0) lies within SE_TOL standard errors of `expected`."""
    samples = np.asarray(samples, dtype=float)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    z = np.abs(mean - expected) / np.maximum(se, 1e-300)
    assert np.all(z < SE_TOL), f"{label}: worst z = {z.max():.2f} (mean {mean}, exact {expected})"


ZIPF_200 = list(1.0 / np.arange(1, 201))


@pytest.mark.parametrize(
    ("weights", "samples", "replicates"),
    [
        ([0.5, 0.3, 0.2], 20, 20_000),
        ([1.0] * 6, 30, 20_000),
        ([0.7, 0.2, 0.05, 0.05], 8, 20_000),
        # larger D: binomials by BTRS, alias tables for Binomial(D, j/D), grouped small atoms
        ([1.0] * 5, 1000, 20_000),
        (ZIPF_200, 2000, 5_000),
        # D beyond the tables: BTRS through Stirling's series
        ([0.5, 0.3, 0.2], 5000, 20_000),
    ],
    ids=["K3-D20", "K6-D30", "K4-D8", "K5-D1000", "zipf200-D2000", "K3-D5000"],
)
def test_gini_simpson_decays_geometrically_under_replace(weights, samples, replicates):
    """E[1 - sum p_t^2] = (1 - sum p_0^2) (1 - 1/D)^t for multinomial resampling."""
    setting = mc.Discrete(weights=weights, samples=samples)
    run = mc.simulate(setting, mc.Replace(), iterations=40, replicates=replicates, rng=1, stride=4)
    gs = run.metrics.gini_simpson
    t = gs.iteration.values
    p0 = setting.weights
    exact = (1 - np.sum(p0**2)) * (1 - 1 / samples) ** t
    assert_mean_within(gs.values[:, 1:], exact[1:], "gini_simpson")
    np.testing.assert_allclose(gs.values[:, 0], exact[0])


PARADIGMS = [
    mc.Replace(),
    mc.Accumulate(),
    mc.Accumulate(growth=0.5),
    mc.AccumulateSubsample(12),
    mc.MixReal(0.25),
]


def test_large_d_atom_probabilities_are_martingales():
    """The martingale at D = 1979 with a long tail of small counts (grouped draws)."""
    counts = np.concatenate([np.ones(300, dtype=int), np.arange(2, 40), [400, 500]])
    setting = mc.Discrete(counts=counts, samples=int(counts.sum()), tail=0.2)
    run = mc.simulate(setting, mc.Replace(), iterations=30, replicates=4000, rng=3, stride=5)
    mass = run.metrics.tail_mass.values
    exact = mass[0, 0]  # iteration 0: the real distribution's mass on its tail set
    assert exact >= 0.2
    np.testing.assert_allclose(mass[:, 1], exact)  # iteration 1: the counts' own fit
    assert_mean_within(mass[:, 2:], exact, "tail mass at D = 1979")


@pytest.mark.parametrize("paradigm", PARADIGMS, ids=repr)
def test_atom_probabilities_are_martingales(paradigm):
    """With real data given as counts, E[p_t] = p_0 under every paradigm. The tail set makes the
    linear statistics observable: tail=0.2 selects atom 2 alone, tail=0.5 atoms 1 and 2."""
    counts = [5, 3, 2]
    means = {}
    for tail, exact in ((0.2, 0.2), (0.5, 0.5)):
        setting = mc.Discrete(counts=counts, samples=10, tail=tail)
        run = mc.simulate(
            setting, paradigm, iterations=24, replicates=20_000, rng=5, metrics="tail_mass"
        )
        mass = run.metrics.tail_mass.values
        np.testing.assert_allclose(mass[:, :2], exact)  # the real distribution and the first fit
        assert_mean_within(mass[:, 2:], exact, f"tail={tail}")
        means[tail] = mass.mean()
    assert means[0.5] > means[0.2]


def test_weights_setting_is_unbiased_too():
    setting = mc.Discrete(weights=[0.6, 0.3, 0.1], samples=15, tail=0.1)
    run = mc.simulate(setting, mc.Replace(), iterations=20, replicates=20_000, rng=9, stride=5)
    assert_mean_within(run.metrics.tail_mass.values[:, 1:], 0.1, "tail mass")


def exact_collapse_time(weights, samples):
    """E[T] by brute force: enumerate all count vectors of the K-atom chain with D items, build
    the multinomial transition matrix, solve (I - Q) tau = 1 over the non-collapsed states, and
    average 1 + tau over the first draw X ~ Multinomial(D, p0) (tau = 0 on collapsed states)."""
    k, d = len(weights), samples
    states = [c for c in itertools.product(range(d + 1), repeat=k) if sum(c) == d]
    index = {s: i for i, s in enumerate(states)}
    transient = [s for s in states if max(s) < d]
    tpos = {s: i for i, s in enumerate(transient)}
    q = np.zeros((len(transient), len(transient)))
    for s in transient:
        probs = np.array(s) / d
        for target in transient:
            q[tpos[s], tpos[target]] = stats.multinomial.pmf(target, d, probs)
    tau = np.linalg.solve(np.eye(len(transient)) - q, np.ones(len(transient)))
    tau_all = np.zeros(len(states))
    for s in transient:
        tau_all[index[s]] = tau[tpos[s]]
    first = np.array([stats.multinomial.pmf(s, d, weights) for s in states])
    return float(1 + first @ tau_all)


def test_brute_force_collapse_time_for_two_atoms_matches_hand_algebra():
    # D = 2, p0 = (1/2, 1/2): the chain sits in (1, 1) with probability 1/2 per step, so
    # E[T] = 1 + P(X = (1,1)) * 2 = 1 + 0.5 * 2 = 2.
    assert exact_collapse_time([0.5, 0.5], 2) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("weights", "samples"), [([0.5, 0.5], 10), ([0.5, 0.3, 0.2], 8), ([0.25, 0.25, 0.5], 6)]
)
def test_mean_collapse_time_matches_the_absorbing_chain(weights, samples):
    exact = exact_collapse_time(np.array(weights) / np.sum(weights), samples)
    times = mc.collapse_times(
        mc.Discrete(weights=weights, samples=samples), replicates=40_000, rng=2
    )
    assert times.n_censored == 0
    z = abs(times.mean() - exact) / times.sem()
    assert z < SE_TOL, f"mean {times.mean():.3f} vs exact {exact:.3f} (z = {z:.2f})"


def test_collapse_time_distribution_matches_simulate():
    """collapse_times and simulate agree: T <= t exactly when max_weight_t == 1."""
    setting = mc.Discrete(weights=[0.4, 0.35, 0.25], samples=12)
    times = mc.collapse_times(setting, replicates=300, rng=8, max_iterations=60)
    run = mc.simulate(
        setting, mc.Replace(), iterations=60, replicates=300, rng=8, metrics="max_weight"
    )
    collapsed = (run.metrics.max_weight.values == 1.0).argmax(axis=1)
    never = ~(run.metrics.max_weight.values == 1.0).any(axis=1)
    np.testing.assert_array_equal(times.censored, never)
    np.testing.assert_array_equal(times.times[~never], collapsed[~never])


def test_support_under_replace_matches_the_marginal_chain():
    """E[support_t] = sum_i P(atom i alive at t), from powers of each atom's two-allele chain."""
    weights = np.array([0.5, 0.3, 0.2])
    d, iterations = 10, 15
    setting = mc.Discrete(weights=weights, samples=d)
    run = mc.simulate(setting, mc.Replace(), iterations=iterations, replicates=20_000, rng=4)
    j = np.arange(d + 1)
    transition = stats.binom.pmf(j[None, :], d, j[:, None] / d)
    expected = []
    for t in range(1, iterations + 1):
        alive = 0.0
        for p in weights:
            dist = stats.binom.pmf(j, d, p) @ np.linalg.matrix_power(transition, t - 1)
            alive += 1 - dist[0]
        expected.append(alive)
    assert_mean_within(run.metrics.support_size.values[:, 1:], np.array(expected), "support")
