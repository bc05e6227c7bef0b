"""The exact discrete theory at scale (issue 15, item 6): E[T], Var T, P(T <= t) and P(T = t)
come from the ancestral chain of the Wright-Fisher population (`theory.discrete`'s module
docstring), for D up to 100,000. Here they are checked against the full solves of the forward
chain where both run (the banded LU `_hitting_moments` for the moments, the stepped occupancy
chain `_run_chain` for the probabilities), against a brute-force chain over every count vector,
and against simulation; and the D = 100,000 end runs in seconds."""

from __future__ import annotations

import itertools
import math
import time
import tracemalloc

import numpy as np
import pytest
from _stats import Z
from scipy import stats

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.theory import discrete

#: Relative agreement required with the forward chain's full solves.
RTOL = 1e-9

SETTINGS = [
    mc.Discrete(weights=np.ones(10), samples=50),
    mc.Discrete(weights=[0.9, 0.1], samples=700),
    mc.Discrete(weights=1 / np.arange(1, 41), samples=2000),
    mc.Discrete(weights=[0.5, 0.3, 0.2], samples=3000),
    mc.Discrete(weights=np.ones(4), samples=6000),
    mc.Discrete(counts=[3, 5, 12], samples=20),  # N = D: the state c at iteration 1
    mc.Discrete(counts=[30, 50, 120, 1, 1], samples=400),  # N != D: a draw at iteration 2
]
IDS = ["uniform10-D50", "K2-D700", "zipf40-D2000", "K3-D3000", "uniform4-D6000", "N=D", "N!=D"]


def full_solve_moments(setting: mc.Discrete) -> tuple[float, float]:
    """E[T] and Var T from the banded LU of the forward chain (the solver these functions had
    before the ancestral chain): y = E[tau 1{fix}], z = E[tau^2 1{fix}] averaged over the start."""
    start = discrete._start(setting)
    d = setting.samples
    y, z = discrete._hitting_moments(d)
    m = discrete._occupancy(start, d)
    o = start.offset
    e_tau = float(m @ y)
    mean = o + e_tau
    second = o * o + 2 * o * e_tau + float(m @ z)
    return mean, second - mean * mean


def full_solve_cdf(setting: mc.Discrete, t: np.ndarray) -> np.ndarray:
    """P(T <= t) by stepping the forward chain's occupancy (sorted, distinct t)."""
    start = discrete._start(setting)
    d = setting.samples
    at_d = np.zeros((d + 1, 1))
    at_d[d] = 1.0
    out = np.zeros(t.size)
    late = t >= start.offset
    m0 = discrete._occupancy(start, d)
    out[late] = discrete._run_chain(m0, d, start.offset, t[late], at_d)[:, 0]
    return out


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_moments_match_the_full_solve(setting):
    mean, var = full_solve_moments(setting)
    exact, method = theory.expected_collapse_time(setting, method="exact", return_method=True)
    assert method == "exact"
    assert exact == pytest.approx(mean, rel=RTOL, abs=0)
    assert theory.collapse_time_variance(setting) == pytest.approx(var, rel=RTOL, abs=0)
    # in fact to rounding
    assert abs(exact / mean - 1) < 1e-11


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_cdf_matches_the_full_solve(setting):
    d = setting.samples
    if d <= 1000:  # the forward chain steps to absorption (about 40 D steps) in a second
        t = np.unique(np.r_[0:6, 10, 30, 100, d // 3, d, 2 * d, 5 * d, 20 * d, 10**12])
    else:  # a few hundred steps of it
        t = np.array([0, 1, 2, 3, 5, 10, 30, 100, 300])
    cdf = theory.collapse_time_cdf(setting, t, method="exact")
    full = full_solve_cdf(setting, t)
    # relative wherever the probability is resolved (above 1e-20), and the forward chain's
    # rounding, which accumulates absolutely over its steps, far below 1e-12
    resolved = full > 1e-20
    np.testing.assert_allclose(cdf[resolved], full[resolved], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(cdf, full, rtol=0, atol=1e-12)
    assert np.all(np.diff(cdf) >= 0)
    if t[-1] == 10**12:
        assert cdf[-1] == pytest.approx(1.0, abs=1e-15)


def test_group_probabilities_match_the_full_solve():
    """loss_probability and fixation_probability: the lumped group against the forward chain."""
    setting = mc.Discrete(weights=1 / np.arange(1, 21), samples=500, tail=0.2)
    t = np.array([1, 2, 5, 20, 100, 500, 2000, 10**6])
    group = theory.tail_atoms(setting)
    mass = math.fsum(setting.weights[group])
    start = discrete._StartState(1, np.array([mass]), np.ones(1, dtype=np.int64), None, False)
    m0 = discrete._occupancy(start, 500)
    ends = np.zeros((501, 2))
    ends[0, 0] = ends[500, 1] = 1.0
    full = discrete._run_chain(m0, 500, 1, t, ends)
    lost = theory.loss_probability(setting, t, method="exact")
    fixed = theory.fixation_probability(setting, t, method="exact")
    np.testing.assert_allclose(lost, full[:, 0], rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(fixed, full[:, 1], rtol=RTOL, atol=1e-13)


def brute_force_pmf(weights, samples, horizon):
    """P(T = t), t = 0..horizon, by powers of the transition matrix over every count vector of
    the K-atom chain (Multinomial(D, counts / D) steps), from Multinomial(D, weights) at t = 1:
    the mass that enters a collapsed state at t, a sum of positive terms."""
    k, d = len(weights), samples
    states = [c for c in itertools.product(range(d + 1), repeat=k) if sum(c) == d]
    step = np.array(
        [[stats.multinomial.pmf(b, d, np.array(a) / d) for b in states] for a in states]
    )
    collapsed = np.array([max(c) == d for c in states])
    into = step[~collapsed][:, collapsed].sum(axis=1)  # per transient state
    first = np.array([stats.multinomial.pmf(c, d, weights) for c in states])
    pmf = [0.0, float(first[collapsed].sum())]
    dist = first[~collapsed]
    inner = step[~collapsed][:, ~collapsed]
    for _ in range(horizon - 1):
        pmf.append(float(dist @ into))
        dist = dist @ inner
    return np.array(pmf)


@pytest.mark.parametrize(
    ("weights", "samples"), [([0.5, 0.3, 0.2], 7), ([0.25, 0.25, 0.5], 9), ([0.6, 0.4], 30)]
)
def test_pmf_matches_a_dense_brute_force_chain(weights, samples):
    setting = mc.Discrete(weights=weights, samples=samples)
    t = np.arange(0, 120)
    pmf, method = theory.collapse_time_pmf(setting, t, return_method=True)
    assert method == "exact"
    expected = brute_force_pmf(setting.weights, samples, t[-1])
    np.testing.assert_allclose(pmf, expected, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("setting", SETTINGS[:4] + SETTINGS[5:], ids=IDS[:4] + IDS[5:])
def test_pmf_adds_up_to_the_cdf(setting):
    d = setting.samples
    t = np.arange(0, 4 * d)
    pmf = theory.collapse_time_pmf(setting, t)
    cdf = theory.collapse_time_cdf(setting, t)
    np.testing.assert_allclose(np.cumsum(pmf), cdf, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pmf[1:], np.diff(cdf), rtol=1e-9, atol=1e-16)
    assert np.all(pmf >= 0)
    # far out, where P(T <= t) rounds to 1, the pmf still has full relative precision:
    # P(T = t + 1) / P(T = t) tends to the chain's slowest rate, 1 - 1/D
    late = theory.collapse_time_pmf(setting, [60 * d, 60 * d + 1])
    assert late[0] > 0 and late[1] / late[0] == pytest.approx(1 - 1 / d, rel=1e-9)


def test_pmf_matches_simulation():
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=12)
    replicates = 20_000
    times = mc.collapse_times(setting, replicates=replicates, rng=17, progress=False)
    assert times.n_censored == 0
    t = np.arange(0, 40)
    pmf = theory.collapse_time_pmf(setting, t)
    empirical = np.array([(times.times == ti).mean() for ti in t])
    se = np.sqrt(np.maximum(pmf * (1 - pmf), 1e-12) / replicates)
    z = np.abs(empirical - pmf) / se
    assert np.all(z < Z), (t[z.argmax()], empirical[z.argmax()], pmf[z.argmax()])
    far = np.arange(0, 2000)
    assert float(far @ theory.collapse_time_pmf(setting, far)) == pytest.approx(
        theory.expected_collapse_time(setting), rel=1e-12
    )


def test_pmf_arguments_are_checked_like_the_cdf():
    setting = mc.Discrete(weights=[0.5, 0.5], samples=10)
    values, method = theory.collapse_time_pmf(
        setting, np.array([[1, 2], [3, 4]]), return_method=True
    )
    assert values.shape == (2, 2) and method == "exact"
    assert theory.collapse_time_pmf(setting, []).shape == (0,)
    with pytest.raises(TypeError, match=r"mc\.Discrete"):
        theory.collapse_time_pmf("histogram", [1])
    with pytest.raises(ValueError, match="method must be one of"):
        theory.collapse_time_pmf(setting, [1], method="magic")
    with pytest.raises(ValueError, match="non-negative integers"):
        theory.collapse_time_pmf(setting, [-1, 2])
    with pytest.raises(ValueError, match="non-negative integers"):
        theory.collapse_time_pmf(setting, [0.5])
    with pytest.raises(TypeError, match="return_method"):
        theory.collapse_time_pmf(setting, [1], return_method="yes")
    with pytest.raises(ValueError, match="beyond the exact solver"):
        theory.collapse_time_pmf(
            mc.Discrete(weights=[0.5, 0.5], samples=10**6), [1], method="exact"
        )
    # one atom: T = 0
    single = mc.Discrete(weights=[1.0, 0.0], samples=10)
    for method in ("exact", "diffusion"):
        assert theory.collapse_time_pmf(single, [0, 1, 5], method=method).tolist() == [1, 0, 0]


def test_diffusion_pmf_is_the_increment_of_kimuras_series():
    """Far beyond the exact chain the increments of P(T <= t) are of order 1/D: differencing
    the CDF would leave rounding; the series differenced term by term does not."""
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=10**15)
    t = np.array([10**13, 10**14, 10**15, 3 * 10**15])
    pmf, method = theory.collapse_time_pmf(setting, t, return_method=True)
    assert method == "diffusion"
    # the density: P(T = t) ~ dP/dtau / D, the derivative by a central difference in tau
    h = 10**10
    slope = (
        theory.collapse_time_cdf(setting, t + h, method="diffusion")
        - theory.collapse_time_cdf(setting, t - h, method="diffusion")
    ) / (2 * h)
    np.testing.assert_allclose(pmf, slope, rtol=1e-5, atol=1e-25)
    small = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=400)
    t = np.arange(0, 3000)
    diffusion = theory.collapse_time_pmf(small, t, method="diffusion")
    cdf = theory.collapse_time_cdf(small, t, method="diffusion")
    np.testing.assert_allclose(np.cumsum(diffusion), cdf, atol=1e-12)


def test_values_do_not_depend_on_the_other_iterations_asked_for():
    """Past a few hundred ancestors the chain jumps by powers of its matrix; the path to each t
    is fixed, so a dense grid and a sparse one agree exactly where they meet."""
    setting = mc.Discrete(weights=[0.7, 0.2, 0.1], samples=3000)
    dense = theory.collapse_time_cdf(setting, np.arange(0, 9001))
    sparse = theory.collapse_time_cdf(setting, [5, 333, 4097, 9000, 10**9])
    assert np.array_equal(sparse[:4], dense[[5, 333, 4097, 9000]])
    assert np.array_equal(
        theory.collapse_time_pmf(setting, [4097]),
        theory.collapse_time_pmf(setting, [4097, 9000])[:1],
    )


def test_auto_is_exact_to_d_100000_and_the_forward_chain_keeps_its_cap():
    big = mc.Discrete(weights=np.ones(10), samples=100_000)
    assert discrete.exact_seconds(big, "mean") <= discrete.EXACT_SECONDS
    assert discrete.exact_seconds(big, "curves", 10**12) <= discrete.EXACT_SECONDS
    assert discrete.exact_seconds(big, "occupancy", 10) == math.inf
    beyond = mc.Discrete(weights=np.ones(10), samples=100_001)
    assert discrete.exact_seconds(beyond, "mean") == math.inf
    middle = mc.Discrete(weights=np.ones(10), samples=20_000)
    assert theory.discrete_curves(middle, [10, 100]).attrs["method"] == "diffusion"
    with pytest.raises(ValueError, match=r"beyond the exact solver \(D <= 10,000\)"):
        theory.discrete_curves(middle, [10], method="exact")
    with pytest.raises(ValueError, match="what must be"):
        discrete.exact_seconds(big, "steps")


def test_d_100000_in_seconds():
    """The issue's end: D = 10^5 (K = 10 uniform atoms). E[T] within a few units of 1/D
    relative of Littler's diffusion value, P(T <= t) within a few units of 1/D of Kimura's
    series, in a few seconds and a bounded amount of memory."""
    d = 100_000
    setting = mc.Discrete(weights=np.ones(10), samples=d)
    t = np.array([1000, d // 2, d, 2 * d, 10 * d, 10**12])
    for name in ("_lineage", "_lineage_moments"):
        getattr(discrete, name).cache_clear()
    started = time.perf_counter()
    mean, method = theory.expected_collapse_time(setting, return_method=True)
    var = theory.collapse_time_variance(setting)
    pmf = theory.collapse_time_pmf(setting, [d, 2 * d])
    seconds = time.perf_counter() - started
    assert seconds < 30  # about 1.5 s on an idle 2-core machine
    tracemalloc.start()
    try:
        cdf, cdf_method = theory.collapse_time_cdf(setting, t, return_method=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert method == cdf_method == "exact"
    littler = theory.littler(setting)
    assert abs(mean - littler) / mean < 5 / d
    assert 0.3 < math.sqrt(var) / mean < 0.7
    kimura = theory.collapse_time_cdf(setting, t, method="diffusion")
    np.testing.assert_allclose(cdf, kimura, atol=3 / d)
    assert cdf[0] < 1e-100 and cdf[-1] == 1.0
    np.testing.assert_allclose(
        pmf, theory.collapse_time_pmf(setting, [d, 2 * d], method="diffusion"), rtol=0.01
    )
