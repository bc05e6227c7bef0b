"""mc.FreshReal: fresh real data each generation, by count or by weight, in every setting that has
a real distribution to draw from; its limits, its refusals. The Gaussian and discrete laws against
exact theory are in test_fresh_real_theory.py."""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc

Z = 4.5  # standard errors a simulated mean may stray from its exact value


def within(values: np.ndarray, exact: float | np.ndarray) -> None:
    """The replicates' mean of `values` (replicates on axis 0) is within Z SE of `exact`."""
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    assert np.all(np.abs(mean - exact) <= Z * se), (mean, exact, se)


def test_discrete_all_fresh_real_is_a_fresh_multinomial_every_generation():
    # FreshReal(1): every model is fit to a new Multinomial(D, p0) draw, so the expected support
    # is sum_i 1 - (1 - p_i)^D at every iteration from 1 on
    p0 = np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.03, 0.02])
    d = 30
    setting = mc.Discrete(weights=p0, samples=d)
    run = mc.simulate(
        setting, mc.FreshReal(1.0), iterations=60, replicates=4000, rng=3,
        metrics=["support_size"],
    )  # fmt: skip
    exact = float(np.sum(1 - (1 - p0) ** d))
    support = run.metrics["support_size"].values
    for t in (1, 2, 30, 60):
        within(support[:, t], exact)


def test_discrete_fresh_real_brings_back_atoms_the_real_sample_missed():
    # D = 5 items, the real tail (two atoms of mass 0.05) missed by generation 1's sample in 59%
    # of replicates: MixReal's real pool is that sample, so those replicates never see the tail
    # again, while fresh real draws bring it back
    setting = mc.Discrete(weights=[0.9, 0.05, 0.05], samples=5, tail=0.1)
    common = dict(iterations=200, replicates=300, rng=1, metrics=["tail_mass"])
    for paradigm, returns in [(mc.MixReal(0.6), False), (mc.FreshReal(0.6), True),
                              (mc.FreshReal(0.6, 0.5), True)]:  # fmt: skip
        tail = mc.simulate(setting, paradigm, **common).metrics["tail_mass"].values
        missed = tail[:, 1] == 0
        assert 100 < missed.sum() < 250
        assert (tail[missed, 2:].max(axis=1) > 0).any() == returns, paradigm


def test_discrete_collapse_times_under_all_fresh_real_are_geometric():
    # FreshReal(1): generation t collapses when its fresh Multinomial(D, p0) lands on one atom,
    # probability q = sum p_i^D, independently each generation: P(censored at 10) = (1 - q)^10
    setting = mc.Discrete(weights=[0.5, 0.5], samples=4)
    reps = 4000
    times = mc.collapse_times(setting, mc.FreshReal(1.0), max_iterations=10, replicates=reps,
                              rng=4)  # fmt: skip
    q = 2 * 0.5**4
    alive = (1 - q) ** 10
    se = np.sqrt(alive * (1 - alive) / reps)
    assert abs(times.n_censored / reps - alive) <= Z * se
    first = np.mean(times.times == 1)
    assert abs(first - q) <= Z * np.sqrt(q * (1 - q) / reps)


def test_regression_all_fresh_real_keeps_the_first_generations_error():
    # FreshReal(1): every generation is OLS on fresh real labels over the same fixed design, so
    # E param_error = sigma^2 tr((X^T X)^-1) at every iteration
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    setting = mc.LinearRegression(3, 12, noise=0.7, beta=[1.0, -2.0, 0.5], design=x)
    run = mc.simulate(setting, mc.FreshReal(1.0), iterations=40, replicates=4000, rng=5,
                      metrics=["param_error"])  # fmt: skip
    exact = 0.7**2 * np.trace(np.linalg.inv(x.T @ x))
    values = run.metrics["param_error"].values
    for t in (1, 2, 40):
        within(values[:, t], exact)


def test_regression_fresh_real_stays_bounded_where_replace_grows():
    setting = mc.LinearRegression(dim=3, samples=12, noise=0.7)
    common = dict(iterations=200, replicates=400, rng=6, metrics=["param_error"])
    fresh = mc.simulate(setting, mc.FreshReal(0.5), **common).metrics["param_error"].values
    replace = mc.simulate(setting, mc.Replace(), **common).metrics["param_error"].values
    assert fresh[:, -1].mean() < 0.2 * replace[:, -1].mean()


def test_kde_all_fresh_real_is_stationary():
    setting = mc.KDE(bandwidth=0.3, samples=40, test_size=200)
    run = mc.simulate(setting, mc.FreshReal(1.0), iterations=30, replicates=1500, rng=7,
                      metrics=["nll_real"])  # fmt: skip
    nll = run.metrics["nll_real"].values
    # the same law at iterations 1 and 30: their difference has mean 0
    within(nll[:, 30] - nll[:, 1], 0.0)


def test_gaussian_fresh_real_samples_and_statistics_agree_on_the_mean_error():
    setting = mc.Gaussian(mean=np.zeros(2), cov=np.eye(2), samples=10)
    common = dict(iterations=30, replicates=3000, metrics=["w2sq_mean"])
    a = mc.simulate(setting, mc.FreshReal(0.3, 0.6), rng=8, **common)
    b = mc.simulate(setting, mc.FreshReal(0.3, 0.6), rng=9, method="samples", **common)
    diff = a.metrics["w2sq_mean"].values[:, -1].mean() - b.metrics["w2sq_mean"].values[:, -1].mean()
    se = np.hypot(*(r.metrics["w2sq_mean"].values[:, -1].std() / np.sqrt(3000) for r in (a, b)))
    assert abs(diff) <= Z * se


def test_weight_equal_to_the_real_share_is_the_unweighted_fit():
    # w = r/n gives every item the same weight: the same law as weight=None (and, drawn from
    # the same stream, the same numbers up to rounding)
    setting = mc.Gaussian(mean=[0.0, 1.0], cov=[[1.0, 0.3], [0.3, 2.0]], samples=20)
    common = dict(iterations=25, replicates=20, rng=10, metrics=["cov_trace", "w2sq_mean"])
    a = mc.simulate(setting, mc.FreshReal(0.25), **common)
    b = mc.simulate(setting, mc.FreshReal(0.25, 5 / 20), **common)
    for m in ("cov_trace", "w2sq_mean"):
        np.testing.assert_allclose(a.metrics[m].values, b.metrics[m].values, rtol=1e-9)
    d = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=20)
    common = dict(iterations=25, replicates=200, metrics=["gini_simpson"])
    a = mc.simulate(d, mc.FreshReal(0.25), rng=11, **common).metrics["gini_simpson"].values
    b = mc.simulate(d, mc.FreshReal(0.25, 0.25), rng=12, **common).metrics["gini_simpson"].values
    se = np.hypot(a[:, -1].std(), b[:, -1].std()) / np.sqrt(200)
    assert abs(a[:, -1].mean() - b[:, -1].mean()) <= Z * se


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: mc.FreshReal(1.5), ValueError, "fraction must lie in [0.0, 1.0]"),
        (lambda: mc.FreshReal(-0.1), ValueError, "fraction"),
        (lambda: mc.FreshReal(0.5, 1.2), ValueError, "weight must lie in [0.0, 1.0]"),
        (lambda: mc.FreshReal(0.5, float("nan")), ValueError, "weight"),
        (lambda: mc.FreshReal(0.5, "0.5"), TypeError, "weight must be a real number"),
    ],
)
def test_bad_fresh_real_parameters_are_refused(make, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        make()


@pytest.mark.parametrize(
    ("setting", "paradigm", "words"),
    [
        # a weight needs both parts
        (mc.Discrete(weights=[1.0, 1.0], samples=10), mc.FreshReal(0.01, 0.5), "both"),
        (mc.Discrete(weights=[1.0, 1.0], samples=10), mc.FreshReal(1.0, 0.5), "both"),
        # an effective size of 5 points cannot fit a 5-D covariance (needs 6)
        (mc.Gaussian(mean=np.zeros(5), cov=np.eye(5), samples=20), mc.FreshReal(0.25, 1.0),
         "effective training size of 5.000"),
        (mc.LinearRegression(dim=2, samples=10), mc.FreshReal(0.5, 0.5),
         "not available for LinearRegression"),
        (mc.KDE(bandwidth=0.3, samples=20), mc.FreshReal(0.5, 0.5), "not available for the KDE"),
        (mc.KDE(bandwidth=0.3, data=np.linspace(0, 1, 20), test=np.linspace(0, 1, 5)),
         mc.FreshReal(0.5), "given data has none"),
    ],
)  # fmt: skip
def test_fresh_real_is_refused_where_it_cannot_run(setting, paradigm, words):
    with pytest.raises(ValueError, match=words):
        mc.simulate(setting, paradigm, iterations=3, replicates=2, rng=0)


def test_models_refuse_fresh_real_for_now():
    model = mc.Model(
        lambda rows, rng: float(np.mean(rows)),
        lambda m, n, rng: rng.normal(m, 1.0, size=n),
        real=np.zeros(10),
        samples=10,
        metrics={"mean": lambda m, ctx: m},
        roles={"risk": "mean"},
    )
    with pytest.raises(ValueError, match=r"FreshReal is not available for mc\.Model"):
        mc.simulate(model, mc.FreshReal(0.5), iterations=3, replicates=2, rng=0, workers=1)


def test_fresh_real_labels_and_grids():
    assert mc.paradigms.label(mc.FreshReal(0.1)) == "FreshReal(fraction=0.1)"
    assert mc.paradigms.label(mc.FreshReal(0.1, 0.5)) == "FreshReal(fraction=0.1, weight=0.5)"
    assert mc.FreshReal(0.1) != mc.FreshReal(0.1, 0.1)
