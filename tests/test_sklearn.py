"""mc.sklearn: scikit-learn estimators as mc.Model settings. Shumailov et al.'s mixture refit by
EM, the paper authors' KDE on 2-D moons, a regressor against exact theory, a classifier whose
labels collapse; all reproducible across workers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from _stats import Z, assert_mean, mean_se
from sklearn.datasets import make_moons
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity

import modelcollapse as mc

# -- Shumailov et al.'s mixture -----------------------------------------------------------------

N_MIX = 30


def two_modes(rng: np.random.Generator) -> np.ndarray:
    """N_MIX points from 0.5 N(-2, 1) + 0.5 N(2, 1)."""
    centre = np.where(rng.random(N_MIX) < 0.5, -2.0, 2.0)
    return centre + rng.standard_normal(N_MIX)


@pytest.fixture(scope="module")
def mixture_profile():
    model = mc.sklearn.Density(GaussianMixture(2, init_params="k-means++"), two_modes, N_MIX)
    return mc.profile(
        model, [mc.Replace(), mc.Accumulate()], iterations=100, replicates=30, rng=0, workers=2
    )


def test_the_mixture_collapses_in_variance_under_replace_only(mixture_profile):
    table = mixture_profile.table()
    assert table.loc[4, "Replace"] is True
    assert table.loc[4, "Accumulate"] is False
    for definition in (1, 2, 3, 4, 6):  # the roles the adapter declares
        for paradigm in ("Replace", "Accumulate"):
            assert table.loc[definition, paradigm] is not None, (definition, paradigm)
    spread = mixture_profile.runs["Replace"].metrics["cov_trace"].median("replicate")
    assert float(spread.sel(iteration=100)) < 0.01 * float(spread.sel(iteration=1))


def test_the_mixture_records_its_weights():
    model = mc.sklearn.Density(GaussianMixture(2), two_modes, N_MIX)
    assert model.metric_names == ("nll_real", "cov_trace", "min_weight", "weight_entropy")
    assert repr(model).startswith("Density(GaussianMixture(n_components=2), samples=30, ")
    metrics = mc.simulate(model, mc.Replace(), iterations=1, replicates=4, rng=0).metrics
    w = metrics["min_weight"].sel(iteration=1).values
    assert np.all((w > 0) & (w <= 0.5))
    h = metrics["weight_entropy"].sel(iteration=1).values
    assert np.all((h > 0) & (h <= np.log(2) + 1e-12))


# -- the paper authors' KDE on 2-D moons --------------------------------------------------------


def moons(rng: np.random.Generator) -> np.ndarray:
    """100 points of make_moons(noise=0.05), as in the authors' sweeps."""
    return make_moons(100, noise=0.05, random_state=int(rng.integers(2**31 - 1)))[0]


def test_kde_on_moons_accumulate_keeps_the_nll_below_replace():
    model = mc.sklearn.Density(KernelDensity(bandwidth=0.1), moons, samples=100)
    kw = {"iterations": 20, "replicates": 20, "rng": 1, "workers": 2, "stride": 5}
    replace = mc.simulate(model, mc.Replace(), **kw).metrics["nll_real"]
    accumulate = mc.simulate(model, mc.Accumulate(), **kw).metrics["nll_real"]
    assert np.array_equal(replace.sel(iteration=1), accumulate.sel(iteration=1))
    assert float(replace.sel(iteration=20).mean()) > float(accumulate.sel(iteration=20).mean())
    assert float(replace.sel(iteration=20).mean()) > float(replace.sel(iteration=1).mean())


def test_kernel_density_agrees_with_the_built_in_kde():
    """A 1-D KernelDensity through the adapter and mc.KDE on the same data and bandwidth: the
    same law, so the same mean NLL on the same test points, within 4.5 SE."""
    rng = np.random.default_rng(0)
    data, test = rng.normal(size=40), rng.normal(size=200)
    ours = mc.sklearn.Density(KernelDensity(bandwidth=0.3), data, samples=40, test=test)
    builtin = mc.KDE(data, test=test, bandwidth=0.3, samples=40)
    for paradigm in (mc.Replace(), mc.Accumulate()):
        a = mc.simulate(ours, paradigm, iterations=5, replicates=300, rng=2, workers=2)
        b = mc.simulate(builtin, paradigm, iterations=5, replicates=3000, rng=3)
        assert np.allclose(a.metrics["nll_real"].sel(iteration=1), b.metrics["nll_real"][0, 1])
        for t in (2, 5):
            ma, sa = mean_se(a.metrics["nll_real"].sel(iteration=t).values)
            mb, sb = mean_se(b.metrics["nll_real"].sel(iteration=t).values)
            assert abs(ma - mb) <= Z * np.hypot(sa, sb), (paradigm, t, ma, mb)


# -- a regressor against exact theory ---------------------------------------------------------


def test_regressor_excess_risk_grows_as_theory_says():
    """Fixed design X (n x d), Replace: each generation adds sigma^2 d / n to the expected
    in-sample excess risk, so E = t sigma^2 d / n."""
    rng = np.random.default_rng(1)
    n, d, sigma = 40, 4, 0.5
    x = rng.normal(size=(n, d))
    model = mc.sklearn.Regressor(LinearRegression(fit_intercept=False), x, np.ones(d), sigma)
    run = mc.simulate(model, mc.Replace(), iterations=8, replicates=2000, rng=4, workers=2)
    for t in (1, 4, 8):
        excess = run.metrics["excess_risk"].sel(iteration=t).values
        assert_mean(excess, t * sigma**2 * d / n, f"excess risk at t={t}")
        test_error = run.metrics["test_error"].sel(iteration=t).values
        assert np.allclose(test_error, excess + sigma**2)


# -- a classifier whose labels collapse ---------------------------------------------------------


def _classification(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = np.where(x[:, 0] + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    return x, y


def test_classifier_runs_to_a_single_class_and_is_reproducible():
    x, y = _classification(8, 0)
    tx, ty = _classification(200, 1)
    model = mc.sklearn.Classifier(LogisticRegression(), x, y, test=(tx, ty))
    kw = {"iterations": 60, "replicates": 12, "rng": 5}
    one = mc.simulate(model, mc.Replace(), workers=1, **kw)
    two = mc.simulate(model, mc.Replace(), workers=2, **kw)
    for name in one.metrics.data_vars:
        assert one.metrics[name].values.tobytes() == two.metrics[name].values.tobytes()
    error = one.metrics["test_error"].values
    assert np.all((error >= 0) & (error <= 1))
    assert np.all(np.isfinite(one.metrics["log_loss"].values))
    entropy = one.metrics["prediction_entropy"]
    # eight labels collapse to one class within 60 generations: a certain, constant model
    collapsed = (entropy.sel(iteration=60) == 0).values
    assert collapsed.mean() > 0.5
    shares = {float(np.mean(ty == "yes")), float(np.mean(ty == "no"))}
    for value in one.metrics["test_error"].sel(iteration=60).values[collapsed]:
        assert min(abs(value - s) for s in shares) < 1e-12


def test_classifier_metrics_at_iteration_one():
    x, y = _classification(200, 2)
    tx, ty = _classification(400, 3)
    model = mc.sklearn.Classifier(LogisticRegression(), x, y, test=(tx, ty))
    run = mc.simulate(model, mc.Replace(), iterations=1, replicates=2, rng=0, workers=1)
    reference = LogisticRegression().fit(x, y)
    expected_error = np.mean(reference.predict(tx) != ty)
    assert np.allclose(run.metrics["test_error"].sel(iteration=1), expected_error)
    p = reference.predict_proba(tx)[np.arange(len(ty)), np.searchsorted(reference.classes_, ty)]
    assert np.allclose(run.metrics["log_loss"].sel(iteration=1), -np.mean(np.log(p)))


# -- the adapters' contract ---------------------------------------------------------------------


def test_the_users_estimator_is_never_fitted():
    estimator = GaussianMixture(2)
    model = mc.sklearn.Density(estimator, two_modes, N_MIX)
    mc.simulate(model, mc.Replace(), iterations=2, replicates=2, rng=0, workers=1)
    assert not hasattr(estimator, "weights_")
    assert estimator.random_state is None


def test_adapter_arguments_are_checked():
    with pytest.raises(TypeError, match="needs test="):
        mc.sklearn.Density(KernelDensity(), np.zeros((5, 2)), 5)
    with pytest.raises(TypeError, match="has no sample"):
        mc.sklearn.Density(LinearRegression(), two_modes, 5)
    with pytest.raises(ValueError, match="beta must have one entry per design column"):
        mc.sklearn.Regressor(LinearRegression(), np.zeros((5, 2)), np.ones(3), 1.0)
    x, y = _classification(10, 0)
    with pytest.raises(ValueError, match="at least two classes"):
        mc.sklearn.Classifier(LogisticRegression(), x, np.zeros(10), test=(x, y))
    with pytest.raises(ValueError, match="each one of y's classes"):
        mc.sklearn.Classifier(LogisticRegression(), x, y, test=(x, np.full(10, "maybe")))


def test_without_scikit_learn_the_adapters_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.base", None)
    with pytest.raises(ImportError, match=r"pip install 'modelcollapse\[sklearn\]'"):
        mc.sklearn.Density(KernelDensity(), two_modes, 5)


@pytest.mark.parametrize("paradigm", [mc.MixReal(0.5), mc.Accumulate(2.0)])
def test_regressor_follows_the_built_in_regression_under_every_paradigm(paradigm):
    """The adapter with OLS on a fixed design has mc.LinearRegression's law: MixReal relabels
    the design rows its real rows leave out, Accumulate(2) relabels the design twice."""
    rng = np.random.default_rng(2)
    n, d, sigma = 12, 4, 1.0
    x = rng.normal(size=(n, d))
    beta = np.ones(d) / 2
    ours = mc.sklearn.Regressor(LinearRegression(fit_intercept=False), x, beta, sigma)
    builtin = mc.LinearRegression(d, n, sigma, beta=beta, design=x)
    a = mc.simulate(ours, paradigm, iterations=10, replicates=1500, rng=6, stride=5, workers=2)
    b = mc.simulate(
        builtin,
        paradigm,
        iterations=10,
        replicates=20_000,
        rng=7,
        stride=5,
        metrics=["excess_risk"],
    )
    for t in (1, 5, 10):
        ma, sa = mean_se(a.metrics["excess_risk"].sel(iteration=t).values)
        mb, sb = mean_se(b.metrics["excess_risk"].sel(iteration=t).values)
        assert abs(ma - mb) <= Z * np.hypot(sa, sb), (paradigm, t, ma, mb)


def test_a_density_leaves_the_users_truth_as_it_was():
    truth = GaussianMixture(2, random_state=5).fit(two_modes(np.random.default_rng(0))[:, None])
    before = (truth.random_state, truth.weights_.copy())
    model = mc.sklearn.Density(GaussianMixture(2), two_modes, N_MIX, truth=truth)
    mc.simulate(model, mc.Replace(), iterations=2, replicates=2, rng=0, workers=1)
    assert truth.random_state == before[0]
    assert np.array_equal(truth.weights_, before[1])
