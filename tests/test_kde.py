"""Kernel density estimators (paper Sec. 4.4, after Kazdan et al.): metrics against brute force,
and the spread's exact expected recursion under Replace and Accumulate."""

from __future__ import annotations

import numpy as np
import pytest
from _stats import Z, assert_mean, mean_se
from scipy import integrate, special, stats

import modelcollapse as mc


def run(setting, paradigm, **kw):
    kw.setdefault("progress", False)
    return mc.simulate(setting, paradigm, **kw).metrics


def brute_force_nll(centres: np.ndarray, h: float, test: np.ndarray) -> float:
    logk = stats.norm.logpdf(test[:, None], centres[None, :], h)
    return float(-np.mean(special.logsumexp(logk, axis=1) - np.log(centres.size)))


def test_given_data_metrics_match_brute_force():
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(-3, 0.5, 300), rng.normal(4, 2, 200)])
    test = np.concatenate([rng.normal(-3, 0.5, 100), rng.normal(4, 2, 100), [40.0, -25.0]])
    h = 0.3
    k = mc.KDE(data, test=test, bandwidth=h, tail=0.2)
    m = run(k, mc.Replace(), iterations=1, replicates=2, rng=1)
    first = m.isel(iteration=0)
    np.testing.assert_allclose(first.nll_real.values, brute_force_nll(data, h, test), rtol=1e-12)
    a, b = np.quantile(data, [0.1, 0.9])
    mass = np.mean(stats.norm.cdf(a, data, h) + stats.norm.sf(b, data, h))
    np.testing.assert_allclose(first.tail_mass.values, mass, rtol=1e-12)
    np.testing.assert_allclose(first.support_spread.values, np.sqrt(data.var() + h * h))
    # iteration 1 is the fit to the same data
    np.testing.assert_array_equal(m.nll_real.values[:, 0], m.nll_real.values[:, 1])


def test_mixture_iteration_zero_is_the_sampler():
    k = mc.KDE(bandwidth=0.2, samples=200, test_size=500)
    m = run(k, mc.Replace(), iterations=1, replicates=400, rng=2).isel(iteration=0)
    np.testing.assert_allclose(m.tail_mass.values, 0.1)
    np.testing.assert_allclose(m.support_spread.values, np.sqrt(5.0))
    mix = mc.KDE(bandwidth=0.2, samples=1).sampler
    entropy = integrate.quad(lambda x: -mix.pdf(x) * np.log(mix.pdf(x)), -15, 15, limit=200)[0]
    assert_mean(m.nll_real.values, entropy, "NLL of the sampler on its own test sets")


def spread_theory(n: int, h: float, var0: float, iterations: int, growth: int | None):
    """Exact E[support_spread^2] for t = 1..iterations. V is the population variance of the
    training points; a point drawn from the KDE is a uniform centre plus N(0, h^2) noise."""
    v = np.empty(iterations + 1)
    v[1] = (1 - 1 / n) * var0  # n real points
    size = n
    for t in range(1, iterations):
        if growth is None:  # Replace: n fresh points from the KDE
            v[t + 1] = (1 - 1 / n) * (v[t] + h * h)
        else:  # Accumulate: m points join the pool of `size`
            m = growth
            total = v[t] * size + m * (v[t] + h * h) - (v[t] + h * h) * m / (size + m)
            size += m
            v[t + 1] = total / size
    return v + h * h


@pytest.mark.parametrize("paradigm", [mc.Replace(), mc.Accumulate()], ids=["replace", "acc"])
def test_spread_follows_its_exact_recursion(paradigm):
    n, h = 40, 0.5
    k = mc.KDE(bandwidth=h, samples=n, test_size=1)
    m = run(k, paradigm, iterations=60, replicates=20_000, rng=3, metrics="support_spread")
    growth = None if isinstance(paradigm, mc.Replace) else n
    want = spread_theory(n, h, 5.0, 60, growth)
    for t in (1, 10, 60):
        assert_mean(m.support_spread.sel(iteration=t).values ** 2, want[t], f"spread^2 t={t}")


def test_nll_rises_under_replace_and_stays_bounded_under_accumulate():
    """Replace: the NLL of real data climbs (the KDE wanders off and spreads out), in most
    replicates. Accumulate: it rises only glacially (Kazdan et al.), by under 0.05 nats over
    200 generations, far below Replace's median rise."""
    k = mc.KDE(bandwidth=0.3, samples=200, test_size=300)
    kw = {"iterations": 200, "replicates": 200, "rng": 4, "stride": 50, "metrics": "nll_real"}
    rep = run(k, mc.Replace(), **kw).nll_real.values
    acc = run(k, mc.Accumulate(), **kw).nll_real.values
    rise = rep[:, -1] - rep[:, 0]  # against the sampler's own NLL on the same test set
    assert stats.binomtest(int((rise > 0).sum()), rise.size).pvalue < 1e-6
    assert np.median(rise) > 0.5
    acc_rise = acc[:, -1] - acc[:, 0]
    m, se = mean_se(acc_rise)
    assert m + Z * se < 0.05
    assert np.all(np.diff(np.median(acc, axis=0)[1:]) < 0.01)


def test_all_paradigms_run_and_are_thread_independent():
    # test_size x samples >= 2**18 exercises the parallel NLL path
    k = mc.KDE(bandwidth=0.2, samples=600, test_size=600)
    for paradigm in (
        mc.Replace(),
        mc.Accumulate(0.5),
        mc.AccumulateSubsample(700),
        mc.MixReal(0.2),
    ):
        a = run(k, paradigm, iterations=12, replicates=4, rng=5, threads=1, stride=4)
        b = run(k, paradigm, iterations=12, replicates=4, rng=5, threads=2, stride=4)
        c = run(k, paradigm, iterations=12, replicates=range(2, 4), rng=5, threads=2, stride=4)
        for name in k.metric_names:
            assert np.isfinite(a[name].values).all()
            np.testing.assert_array_equal(a[name].values, b[name].values)
            np.testing.assert_array_equal(a[name].values[2:], c[name].values)
