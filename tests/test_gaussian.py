"""Gaussian refits (paper Sec. 2.1) against exact theory, and the sufficient-statistic path
against its sample-by-sample twin. Tolerances are 4.5 standard errors of the simulated mean."""

from __future__ import annotations

import numpy as np
import pytest
from _stats import Z, assert_mean, mean_se
from scipy import special, stats

import modelcollapse as mc


def run(setting, paradigm=None, **kw):
    """Every metric, the tail integrals included (they are not recorded by default)."""
    kw.setdefault("progress", False)
    kw.setdefault("metrics", setting.metric_names)
    return mc.simulate(setting, paradigm or mc.Replace(), **kw).metrics


def expected_log_chi2(df: float) -> float:
    return float(special.digamma(df / 2) + np.log(2))


#: The metrics that need no eigen-decomposition or tail integral.
CHEAP = ["w2sq_mean", "cov_trace", "logdet"]

SETTING_1D = mc.Gaussian(1.5, 2.0, 20)
SETTING_3D = mc.Gaussian(
    [1.0, -1.0, 0.5], [[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]], 15
)


def test_the_tail_integrals_are_recorded_only_when_asked_for():
    """They cost about 50 times the other metrics at d = 10: the default leaves them out."""
    g = SETTING_3D
    default = mc.simulate(g, mc.Replace(), iterations=2, replicates=2, rng=0).metrics
    assert set(default.data_vars) == set(g.default_metrics)
    assert set(g.metric_names) - set(g.default_metrics) == {"tail_mass", "hallucinated_mass"}
    assert "tail_mass" in run(g, iterations=2, replicates=2, rng=0)


def test_iteration_zero_is_the_real_distribution():
    g = SETTING_3D
    m = run(g, iterations=3, replicates=4, rng=0)
    first = m.isel(iteration=0)
    for name in ("w2sq", "w2sq_mean", "w2sq_cov"):
        np.testing.assert_allclose(first[name].values, 0.0, atol=1e-12)
    np.testing.assert_allclose(first.cov_trace.values, np.trace(g.cov))
    logdet0 = np.linalg.slogdet(g.cov)[1]
    np.testing.assert_allclose(first.logdet.values, logdet0, rtol=1e-12)
    entropy = 0.5 * (g.dim * np.log(2 * np.pi * np.e) + logdet0)
    np.testing.assert_allclose(first.nll_real.values, entropy, rtol=1e-12)
    np.testing.assert_allclose(first.tail_mass.values, g.tail, atol=1e-9)
    np.testing.assert_allclose(first.hallucinated_mass.values, g.hallucination, atol=1e-9)


@pytest.mark.parametrize("method", ["statistics", "samples"])
@pytest.mark.parametrize("setting", [SETTING_1D, SETTING_3D], ids=["1d", "3d"])
def test_replace_unbiased_variance_is_a_martingale_and_mean_walks(setting, method):
    """E[S_t] = S0 at every t, E|mu_t - mu0|^2 = t tr(S0)/n (paper Sec. 2.1)."""
    m = run(setting, iterations=40, replicates=20_000, rng=1, method=method, metrics=CHEAP)
    trace0, n = np.trace(setting.cov), setting.samples
    for t in (1, 5, 20, 40):
        assert_mean(m.cov_trace.sel(iteration=t).values, trace0, f"tr S_{t}")
        assert_mean(m.w2sq_mean.sel(iteration=t).values, t * trace0 / n, f"|mu_{t} - mu0|^2")


@pytest.mark.parametrize("method", ["statistics", "samples"])
def test_replace_log_determinant_drifts_down_exactly(method):
    """log det S_{t+1} = log det S_t + sum_j log chi2(n-1-j) - d log(n-1): exact mean and
    variance, so the typical (median) covariance collapses while its mean stays put."""
    g = SETTING_3D
    d, k = g.dim, g.samples - 1
    m = run(g, iterations=200, replicates=4000, rng=2, method=method, metrics=CHEAP)
    step = sum(expected_log_chi2(k - j) for j in range(d)) - d * np.log(k)
    logdet0 = np.linalg.slogdet(g.cov)[1]
    for t in (1, 50, 200):
        assert_mean(m.logdet.sel(iteration=t).values, logdet0 + t * step, f"log det S_{t}")
    variance = 200 * sum(special.polygamma(1, (k - j) / 2) for j in range(d))
    sd = m.logdet.sel(iteration=200).values.std(ddof=1)
    # the sample SD of 4000 near-normal values is within 5% of the truth at 4.5 SE
    assert abs(sd / np.sqrt(variance) - 1) < Z * np.sqrt(1 / (2 * 3999))
    median_trace = np.median(m.cov_trace.sel(iteration=200).values)
    assert median_trace < 1e-3 * np.trace(g.cov)


@pytest.mark.parametrize("method", ["statistics", "samples"])
def test_replace_mle_variance_shrinks_geometrically(method):
    """With the 1/n fit, E[S_t] = S0 ((n-1)/n)^t."""
    g = mc.Gaussian(0.0, 3.0, 10, estimator="mle")
    m = run(g, iterations=30, replicates=20_000, rng=3, method=method, metrics=CHEAP)
    for t in (1, 10, 30):
        assert_mean(m.cov_trace.sel(iteration=t).values, 3.0 * (9 / 10) ** t, f"E sigma_{t}^2")


def test_one_dimensional_w2_parts_match_their_closed_forms():
    g = SETTING_1D
    m = run(g, iterations=50, replicates=200, rng=4)
    sigma = np.sqrt(m.cov_trace.values)
    np.testing.assert_allclose(
        m.w2sq_cov.values, (sigma - np.sqrt(2.0)) ** 2, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(m.w2sq.values, m.w2sq_mean.values + m.w2sq_cov.values)
    mu = 1.5 + np.sqrt(m.w2sq_mean.values)  # |mu - mu0| only: check the NLL's symmetric form
    nll = 0.5 * (np.log(2 * np.pi * sigma**2) + (2.0 + (mu - 1.5) ** 2) / sigma**2)
    np.testing.assert_allclose(m.nll_real.values, nll, rtol=1e-9)
    edge = stats.norm.isf(g.tail / 2) * np.sqrt(2.0)
    for r in range(3):
        for t in (1, 10, 50):
            s, shift = sigma[r, t], np.sqrt(m.w2sq_mean.values[r, t])
            want = stats.norm.sf((edge - shift) / s) + stats.norm.cdf((-edge - shift) / s)
            assert m.tail_mass.values[r, t] == pytest.approx(want, rel=1e-9, abs=1e-14)


def test_long_replace_runs_stay_finite_and_w2_cov_tends_to_the_real_trace():
    """5,000 generations with n = 10: the covariance collapses by hundreds of orders of
    magnitude. Nothing becomes NaN, log det keeps falling, and W2's covariance part tends to
    tr(S0) (not to 0, as the paper's annotation says)."""
    g = mc.Gaussian(np.zeros(4), np.eye(4), 10)
    for method in ("statistics", "samples"):
        m = run(g, iterations=5000, replicates=50, rng=5, stride=500, method=method)
        for name in g.metric_names:
            assert not np.isnan(m[name].values).any(), (method, name)
        last = m.isel(iteration=-1)
        # exact drift of log det S per generation: sum_j E log chi2(9 - j) - 4 log 9
        drift = sum(expected_log_chi2(9 - j) for j in range(4)) - 4 * np.log(9)
        assert_mean(last.logdet.values, 5000 * drift, "log det S_5000")
        np.testing.assert_allclose(last.w2sq_cov.values, 4.0, rtol=1e-6)
        assert (last.nll_real.values == np.inf).all()
        # a collapsed fit is a point: all its mass is outside the real ellipsoid or none is
        outside = last.w2sq_mean.values > stats.chi2.isf(g.tail, 4)
        np.testing.assert_array_equal(last.tail_mass.values, outside.astype(float))


def accumulate_theory(n: int, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact E[tr S_t] / tr S0 and E|mu_t - mu0|^2 / (tr S0 / n), t = 1..iterations, under
    Accumulate (growth 1, unbiased). Model t is fit to N = t n pooled points; the next block of n
    has mean ~ N(mu_t, S_t / n) and scatter with mean (n - 1) S_t, so the pooled scatter M gains
    (n - 1 + N / (N + n)) S_t in expectation and the pooled mean moves by (xbar - mu_t) / (t + 1).
    """
    a = np.empty(iterations + 1)
    mean_err = np.empty(iterations + 1)
    a[1], mean_err[1] = 1.0, 1.0
    for t in range(1, iterations):
        big_n = t * n
        a[t + 1] = a[t] * (big_n - 1 + n - 1 + big_n / (big_n + n)) / (big_n + n - 1)
        mean_err[t + 1] = mean_err[t] + a[t] / (t + 1) ** 2
    return a, mean_err


@pytest.mark.parametrize("method", ["statistics", "samples"])
def test_accumulate_matches_its_exact_moments_and_the_mean_error_stays_bounded(method):
    """Accumulating all data: E|mu_t - mu0|^2 = tr(S0)/n sum_k a_k / k^2 < pi^2/6 tr(S0)/n,
    bounded, where Replace's grows like t tr(S0)/n."""
    g = SETTING_3D
    trace0, n = np.trace(g.cov), g.samples
    m = run(
        g, mc.Accumulate(), iterations=300, replicates=6000, rng=6, method=method, metrics=CHEAP
    )
    a, mean_err = accumulate_theory(n, 300)
    for t in (1, 10, 100, 300):
        assert_mean(m.cov_trace.sel(iteration=t).values, a[t] * trace0, f"E tr S_{t}")
        assert_mean(m.w2sq_mean.sel(iteration=t).values, mean_err[t] * trace0 / n, f"mean {t}")
    assert mean_err[300] < np.pi**2 / 6


@pytest.mark.parametrize(
    "paradigm",
    [mc.Replace(), mc.Accumulate(), mc.Accumulate(growth=0.2), mc.MixReal(0.5)],
    ids=["replace", "accumulate", "accumulate-small-blocks", "mix-real"],
)
def test_sufficient_statistics_agree_with_samples_in_distribution(paradigm):
    g = SETTING_3D
    kw = {"iterations": 25, "replicates": 6000, "metrics": ["cov_trace", "logdet", "w2sq"]}
    fast = run(g, paradigm, rng=7, method="statistics", **kw).isel(iteration=-1)
    slow = run(g, paradigm, rng=8, method="samples", **kw).isel(iteration=-1)
    for name in kw["metrics"]:
        a, b = fast[name].values, slow[name].values
        (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
        assert abs(ma - mb) <= Z * np.hypot(sa, sb), (name, ma, mb)
        assert stats.ks_2samp(a, b).pvalue > 1e-4, name


def test_subsample_runs_and_stays_between_replace_and_accumulate():
    g = mc.Gaussian(0.0, 1.0, 20)
    kw = {"iterations": 100, "replicates": 3000, "metrics": "w2sq_mean", "rng": 9}
    sub = run(g, mc.AccumulateSubsample(20), **kw).w2sq_mean.sel(iteration=100).values
    acc = run(g, mc.Accumulate(), **kw).w2sq_mean.sel(iteration=100).values
    rep = run(g, mc.Replace(), **kw).w2sq_mean.sel(iteration=100).values
    assert acc.mean() < sub.mean() < rep.mean()


def test_mix_real_with_all_real_data_refits_the_real_data():
    g = mc.Gaussian(0.0, 1.0, 20)
    m = run(g, mc.MixReal(1.0), iterations=20, replicates=5, rng=10)
    np.testing.assert_allclose(
        m.cov_trace.values[:, 1:], m.cov_trace.values[:, [1]].repeat(20, axis=1), rtol=1e-12
    )


def test_results_do_not_depend_on_threads_or_ranges():
    g = SETTING_3D
    for paradigm in (mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(20)):
        a = run(g, paradigm, iterations=30, replicates=12, rng=11, threads=1)
        b = run(g, paradigm, iterations=30, replicates=12, rng=11, threads=2)
        c = run(g, paradigm, iterations=30, replicates=range(5, 12), rng=11, threads=2)
        for name in g.metric_names:
            np.testing.assert_array_equal(a[name].values, b[name].values)
            np.testing.assert_array_equal(a[name].values[5:], c[name].values)


@pytest.mark.parametrize("method", ["statistics", "samples"])
def test_hundred_dimensions(method):
    """d = 100: the exact log-determinant drift holds, and every metric (SVDs and tail integrals
    of a 100-term quadratic form included) stays finite and in range."""
    d, n = 100, 150
    rng = np.random.default_rng(12)
    a = rng.standard_normal((d, d))
    cov = a @ a.T / d + np.eye(d)
    g = mc.Gaussian(rng.standard_normal(d), cov, n)
    m = run(g, iterations=20, replicates=300, rng=12, stride=10, method=method)
    step = sum(expected_log_chi2(n - 1 - j) for j in range(d)) - d * np.log(n - 1)
    logdet0 = np.linalg.slogdet(cov)[1]
    assert_mean(m.logdet.sel(iteration=20).values, logdet0 + 20 * step, "log det S_20")
    for name in g.metric_names:
        assert np.isfinite(m[name].values).all(), name
    for name in ("tail_mass", "hallucinated_mass"):
        assert ((m[name].values >= 0) & (m[name].values <= 1)).all()
    assert (m.w2sq_cov.values >= 0).all()


def test_given_real_data_are_fit_first_in_every_replicate():
    rng = np.random.default_rng(13)
    data = rng.standard_normal((40, 2)) @ np.array([[1.0, 0.0], [0.6, 0.5]])
    g = mc.Gaussian([0.0, 0.0], [[1.0, 0.6], [0.6, 0.61]], 25, data=data)
    fit_cov = np.cov(data.T)
    for paradigm in (mc.Replace(), mc.Accumulate(), mc.MixReal(0.4), mc.AccumulateSubsample(50)):
        m = run(g, paradigm, iterations=5, replicates=3, rng=14).sel(iteration=1)
        np.testing.assert_allclose(m.cov_trace.values, np.trace(fit_cov), rtol=1e-12)
        np.testing.assert_allclose(m.w2sq_mean.values, np.sum(data.mean(axis=0) ** 2))
    # later generations draw `samples` points: Replace's variance stays a martingale
    m = run(g, mc.Replace(), iterations=10, replicates=20_000, rng=15, metrics="cov_trace")
    assert_mean(m.cov_trace.sel(iteration=10).values, np.trace(fit_cov), "tr S_10 from data")
    with pytest.raises(ValueError, match="data must have shape"):
        mc.Gaussian([0.0, 0.0], np.eye(2), 10, data=np.ones((2, 2)))
    with pytest.raises(ValueError, match="hyperplane"):
        mc.Gaussian([0.0, 0.0], np.eye(2), 10, data=np.ones((5, 2)))
    with pytest.raises(ValueError, match="the real data hold only 40"):
        mc.simulate(
            mc.Gaussian(0.0, 1.0, 60, data=data[:, 0]), mc.MixReal(1.0), iterations=2, replicates=1
        )
