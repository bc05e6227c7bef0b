"""`mc.theory.expected_curve`: every exact curve against simulation (tolerance 4.5 standard errors
of the simulated mean), its limits against the paper's closed forms, and its refusals, which
name what is supported."""

from __future__ import annotations

import numpy as np
import pytest
from _stats import assert_mean
from scipy import special

import modelcollapse as mc
from modelcollapse import theory

COV_3D = [[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]]


def gaussian(d: int, n: int, estimator: str) -> mc.Gaussian:
    if d == 1:
        return mc.Gaussian(1.5, 2.0, n, estimator=estimator)
    return mc.Gaussian([1.0, -1.0, 0.5], COV_3D, n, estimator=estimator)


def simulated(setting, paradigm, metrics, iterations, replicates, rng, method="auto"):
    run = mc.simulate(
        setting,
        paradigm,
        iterations=iterations,
        replicates=replicates,
        rng=rng,
        metrics=metrics,
        method=method,
        progress=False,
    )
    return run.metrics


def check_curves(setting, paradigm, metrics, times, replicates, rng, method="auto"):
    """Each metric's simulated mean at each of `times` lies within Z SE of the exact curve;
    where the metric is not random (iteration 0, the real distribution; iteration 1 fit to given
    real counts) it equals the curve."""
    m = simulated(setting, paradigm, metrics, max(times), replicates, rng, method)
    for name in metrics:
        exact = theory.expected_curve(setting, paradigm, name, np.asarray(times))
        assert exact.dtype == np.float64 and exact.shape == (len(times),)
        for t, value in zip(times, exact, strict=True):
            x = m[name].sel(iteration=t).values
            if np.ptp(x) <= 1e-12 * abs(value):
                np.testing.assert_allclose(x, value, rtol=1e-12, atol=1e-12)
            else:
                assert_mean(x, value, f"{setting!r} {paradigm!r} {name} at t = {t}")


# --- Gaussian -------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_replace(d, estimator):
    """E|mu_t - mu0|^2, E tr S_t and E log det S_t at n = 8, where (n-1)/n = 0.875 per
    generation separates the estimators."""
    check_curves(
        gaussian(d, 8, estimator),
        mc.Replace(),
        ["w2sq_mean", "cov_trace", "logdet"],
        [0, 1, 2, 5, 12, 20],
        20_000,
        rng=10 + d,
    )


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_replace_nll(d, estimator):
    """The cross-entropy's mean grows like r^t, r = m/(n-d-2); it is carried by the replicates
    whose covariance collapsed most, so it is checked over the first generations, where its
    variance is moderate."""
    check_curves(
        gaussian(d, 20, estimator), mc.Replace(), ["nll_real"], [0, 1, 2, 4], 20_000, rng=20 + d
    )


@pytest.mark.parametrize("growth", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_accumulate(d, estimator, growth):
    check_curves(
        gaussian(d, 8, estimator),
        mc.Accumulate(growth),
        ["w2sq_mean", "cov_trace"],
        [0, 1, 2, 5, 20],
        20_000,
        rng=30 + d,
    )


def test_gaussian_accumulate_pooled_divisor():
    """n = 3, where dividing the pooled scatter by N_t - 1 rather than N_t changes E tr S_t by
    about 8 standard errors of this run: the curve must use the kernel's N_t - 1."""
    check_curves(
        mc.Gaussian(0.0, 1.0, 3),
        mc.Accumulate(1.0),
        ["w2sq_mean", "cov_trace"],
        [0, 1, 2, 5, 10],
        200_000,
        rng=45,
    )


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_gaussian_accumulate_sample_by_sample(estimator):
    """The same curves from the twin that draws every point, an independent path."""
    check_curves(
        gaussian(3, 10, estimator),
        mc.Accumulate(1.0),
        ["w2sq_mean", "cov_trace"],
        [0, 1, 3, 10],
        10_000,
        rng=40,
        method="samples",
    )


def test_gaussian_closed_forms():
    n, trace0 = 15, float(np.trace(COV_3D))
    g = gaussian(3, n, "unbiased")
    t = np.arange(50)
    # unbiased Replace: E tr S_t = tr S0 (martingale), E|mu_t - mu0|^2 = t tr(S0)/n
    np.testing.assert_allclose(theory.expected_curve(g, mc.Replace(), "cov_trace", 49), trace0)
    w2 = theory.expected_curve(g, mc.Replace(), "w2sq_mean", 49)
    np.testing.assert_allclose(w2, t * trace0 / n, rtol=1e-13)
    # MLE: tr(S0) ((n-1)/n)^t, and the mean's drift tends to tr(S0)
    mle = gaussian(3, n, "mle")
    c = (n - 1) / n
    np.testing.assert_allclose(
        theory.expected_curve(mle, mc.Replace(), "cov_trace", t), trace0 * c**t, rtol=1e-13
    )
    far = theory.expected_curve(mle, mc.Replace(), "w2sq_mean", [10**6])
    np.testing.assert_allclose(far, trace0, rtol=1e-12)
    # log det: the Bartlett drift sum_i E log(chi2(n - i)/(n - 1)) per generation
    drift = sum(special.digamma((n - i) / 2) + np.log(2 / (n - 1)) for i in (1, 2, 3))
    logdet = theory.expected_curve(g, mc.Replace(), "logdet", [0, 7])
    np.testing.assert_allclose(np.diff(logdet), 7 * drift, rtol=1e-12)
    # Accumulate, growth 1: bounded by (pi^2/6) tr(S0)/n, and E tr S_1 = tr S0 for the unbiased fit
    acc = theory.expected_curve(g, mc.Accumulate(), "w2sq_mean", [1, 10**5])
    assert acc[0] == pytest.approx(trace0 / n) and trace0 / n < acc[1] < np.pi**2 / 6 * trace0 / n
    tr = theory.expected_curve(g, mc.Accumulate(), "cov_trace", [0, 1, 2, 10**5])
    assert tr[0] == tr[1] == pytest.approx(trace0) and tr[1] > tr[2] > tr[3] > 0.9 * trace0
    # growth 0: the pool never grows, the first fit is kept
    still = theory.expected_curve(g, mc.Accumulate(0.0), "cov_trace", [1, 5, 100])
    np.testing.assert_allclose(still, trace0)
    # E nll_real is infinite from t = 1 when n <= d + 2 (E (A A^T)^-1 does not exist)
    small = mc.Gaussian([0.0, 0.0], np.eye(2), 4)
    nll = theory.expected_curve(small, mc.Replace(), "nll_real", 2)
    assert np.isfinite(nll[0]) and np.isinf(nll[1:]).all()


# --- linear regression ----------------------------------------------------------------------

DESIGN = np.random.default_rng(7).normal(size=(12, 3)) * [1.0, 2.0, 0.5]


@pytest.mark.parametrize(
    "paradigm", [mc.Replace(), mc.Accumulate(1), mc.Accumulate(2)], ids=["replace", "acc1", "acc2"]
)
@pytest.mark.parametrize("noise_model", ["known", "estimated"])
@pytest.mark.parametrize("design", ["gaussian", "given"])
def test_regression(design, noise_model, paradigm):
    """Appendix A with d = 3, n = 12: E tr((X^T X)^-1) = d/(n-d-1) for the Gaussian design; a
    given design's excess risk is in-sample, (1/n)|X (beta_hat - beta)|^2."""
    setting = mc.LinearRegression(
        3,
        12,
        noise=1.3,
        design=DESIGN if design == "given" else "gaussian",
        noise_model=noise_model,
    )
    check_curves(setting, paradigm, list(setting.metric_names), [0, 1, 2, 5, 20], 20_000, rng=50)


def test_regression_sample_by_sample():
    setting = mc.LinearRegression(3, 12, noise=0.7, noise_model="estimated")
    for paradigm in (mc.Replace(), mc.Accumulate(1)):
        check_curves(
            setting, paradigm, list(setting.metric_names), [0, 1, 4, 12], 10_000, 60, "samples"
        )


def test_regression_closed_forms():
    d, n, sigma2 = 3, 12, 1.3**2
    s = mc.LinearRegression(d, n, noise=1.3)
    t = np.arange(30)
    # Replace: sigma^2 d/(n-d-1) per generation, linear growth
    np.testing.assert_allclose(
        theory.expected_curve(s, mc.Replace(), "excess_risk", 29),
        t * sigma2 * d / (n - d - 1),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        theory.expected_curve(s, mc.Replace(), "test_error", 29),
        sigma2 + t * sigma2 * d / (n - d - 1),
        rtol=1e-13,
    )
    # Accumulate, growth 1: the first model's risk times sum_{k<=t} 1/k^2 -> pi^2/6
    acc = theory.expected_curve(s, mc.Accumulate(), "excess_risk", t)
    ratio = acc[1:] / acc[1]
    np.testing.assert_allclose(ratio, np.cumsum(1 / np.arange(1, 30) ** 2), rtol=1e-12)
    far = theory.expected_curve(s, mc.Accumulate(), "excess_risk", [1, 10**7])
    assert far[1] / far[0] == pytest.approx(np.pi**2 / 6, rel=1e-6)
    # a given design: in-sample excess risk t sigma^2 d/n; parameter error t sigma^2 tr(G^-1)
    given = mc.LinearRegression(d, n, noise=1.3, design=DESIGN)
    np.testing.assert_allclose(
        theory.expected_curve(given, mc.Replace(), "excess_risk", t), t * sigma2 * d / n
    )
    trace = np.trace(np.linalg.inv(DESIGN.T @ DESIGN))
    np.testing.assert_allclose(
        theory.expected_curve(given, mc.Replace(), "param_error", t), t * sigma2 * trace
    )
    # the estimated noise is a martingale under Replace, and shrinks under Accumulate
    est = mc.LinearRegression(d, n, noise=1.3, noise_model="estimated")
    np.testing.assert_allclose(
        theory.expected_curve(est, mc.Replace(), "noise_estimate", t), sigma2
    )
    noise = theory.expected_curve(est, mc.Accumulate(), "noise_estimate", [0, 1, 2, 100])
    assert noise[0] == noise[1] == pytest.approx(sigma2)
    # two vectors: residuals 2 (n - d) sigma^2 plus spread d sigma^2/2, over 2n - d
    assert noise[2] == pytest.approx(sigma2 * (2 * (n - d) + d / 2) / (2 * n - d), rel=1e-13)
    assert noise[3] < noise[2]
    # n = d + 1 with a Gaussian design: E tr((X^T X)^-1) is infinite
    edge = theory.expected_curve(mc.LinearRegression(2, 3), mc.Replace(), "excess_risk", 2)
    assert edge[0] == 0 and np.isinf(edge[1:]).all()


# --- discrete -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [mc.Discrete([0.5, 0.3, 0.2], samples=20), mc.Discrete(counts=[7, 2, 1, 0, 5], samples=12)],
    ids=["weights", "counts"],
)
def test_discrete_replace(setting):
    check_curves(
        setting,
        mc.Replace(),
        ["entropy", "support_size", "gini_simpson"],
        [0, 1, 2, 10, 40],
        20_000,
        rng=70,
    )


def test_discrete_matches_discrete_curves():
    setting = mc.Discrete([0.4, 0.3, 0.2, 0.1], samples=30)
    grid = np.array([0, 3, 17, 100])
    curves = theory.discrete_curves(setting, grid, method="exact")
    for name in ("entropy", "support_size", "gini_simpson"):
        values = theory.expected_curve(setting, mc.Replace(), name, grid)
        np.testing.assert_allclose(values, curves[name].values, rtol=1e-12)
    # beyond the exact chain: support from the diffusion limit, Gini-Simpson exactly
    big = mc.Discrete([0.5, 0.5], samples=10**9)
    support, why = theory._curve(big, mc.Replace(), "support_size", [0, 10**9])
    assert support[0] == 2 and 1 < support[1] < 2 and "diffusion" in why
    gs = theory.expected_curve(big, mc.Replace(), "gini_simpson", [10**9])
    np.testing.assert_allclose(gs, 0.5 * (1 - 1e-9) ** 1e9, rtol=1e-12)


# --- the interface --------------------------------------------------------------------------


def test_iterations_and_explanations():
    g = gaussian(1, 10, "unbiased")
    assert theory.expected_curve(g, mc.Replace(), "w2sq_mean", 4).shape == (5,)
    values = theory.expected_curve(g, mc.Replace(), "w2sq_mean", [9, 0, 3])
    np.testing.assert_allclose(values, np.array([9, 0, 3]) * 2.0 / 10)
    for setting, paradigm, metric, words in [
        (g, mc.Replace(), "w2sq_mean", "t tr(S0)/n"),
        (g, mc.Accumulate(), "cov_trace", "E tr S_t"),
        (mc.LinearRegression(3, 12), mc.Accumulate(), "excess_risk", "pi^2/6"),
        (mc.Discrete([0.5, 0.5], samples=10), mc.Replace(), "entropy", "Wright-Fisher"),
    ]:
        values, why = theory._curve(setting, paradigm, metric, np.arange(4))
        assert values.shape == (4,) and words in why


def test_existing_names_still_resolve():
    """The theory became a package: today's public names are reachable as before, the discrete
    chain's helpers under theory.discrete."""
    for name in (
        "collapse_time_cdf",
        "collapse_time_variance",
        "discrete_curves",
        "expected_collapse_time",
        "littler",
        "expected_curve",
    ):
        assert name in theory.__all__ and callable(getattr(mc.theory, name))
    for name in ("_transition", "_hitting_moments", "_kimura_fixation", "_iteration_grid"):
        assert callable(getattr(theory.discrete, name))


G = mc.Gaussian(0.0, 1.0, 10)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((G, mc.MixReal(0.5), "w2sq_mean"), ["Replace", "Accumulate", "w2sq_mean"]),
        ((G, mc.AccumulateSubsample(12), "cov_trace"), ["Replace", "Accumulate"]),
        ((G, mc.Accumulate(), "logdet"), ["Accumulate(growth) the metrics w2sq_mean, cov_trace"]),
        ((G, mc.Replace(), "w2sq_cov"), ["w2sq_mean, cov_trace, logdet, nll_real"]),
        ((G, mc.Replace(), "nonsense"), ["not a mc.Gaussian metric", "w2sq_mean"]),
        (
            (mc.Gaussian(0.0, 1.0, 10, data=np.arange(6.0)), mc.Replace(), "w2sq_mean"),
            ["data=None", "Replace"],
        ),
        (
            (mc.LinearRegression(2, 6), mc.Replace(), "noise_estimate"),
            ["noise_model='estimated'", "excess_risk"],
        ),
        (
            (mc.LinearRegression(2, 6), mc.Accumulate(1.5), "excess_risk"),
            ["whole number", "excess_risk"],
        ),
        ((mc.LinearRegression(2, 6), mc.MixReal(0.5), "excess_risk"), ["Replace", "Accumulate"]),
        ((mc.Discrete([1, 1], samples=4), mc.Accumulate(), "entropy"), ["Replace", "entropy"]),
        ((mc.Discrete([1, 1], samples=4), mc.Replace(), "tv_to_real"), ["support_size"]),
        (
            (mc.Discrete([1, 1], samples=10**7), mc.Replace(), "entropy"),
            ["method='exact'", "support_size"],
        ),
        (
            (mc.KDE(bandwidth=0.5, samples=20), mc.Replace(), "nll_real"),
            ["KDE", "mc.Gaussian", "mc.LinearRegression", "mc.Discrete"],
        ),
    ],
)
def test_unsupported_names_what_is(args, words):
    with pytest.raises(ValueError, match="exact") as err:
        theory.expected_curve(*args, 5)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "name"),
    [
        (("gaussian", mc.Replace(), "w2sq_mean", 3), {}, TypeError, "setting"),
        ((G, "replace", "w2sq_mean", 3), {}, TypeError, "paradigm"),
        ((G, mc.Replace(), 3, 3), {}, TypeError, "metric"),
        ((G, mc.Replace(), "w2sq_mean", 2.5), {}, TypeError, "iterations"),
        ((G, mc.Replace(), "w2sq_mean", [[1, 2]]), {}, TypeError, "iterations"),
        ((G, mc.Replace(), "w2sq_mean", -1), {}, ValueError, "iterations"),
    ],
)
def test_wrong_arguments(args, kwargs, error, name):
    with pytest.raises(error, match=name):
        theory.expected_curve(*args, **kwargs)
