"""Bad input to the continuous settings gets a clear ValueError/TypeError naming the argument;
hypothesis throws arbitrary values at every argument."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc

SPD = np.array([[2.0, 0.5], [0.5, 1.0]])


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: mc.Gaussian([0, 0], [[1, 0.5], [0.4, 1]], 10), ValueError, "cov must be symm"),
        (lambda: mc.Gaussian([0, 0], [[1, 2], [2, 1]], 10), ValueError, "positive definite"),
        (lambda: mc.Gaussian([0, 0], [[1, 0], [0, 0]], 10), ValueError, "positive definite"),
        (lambda: mc.Gaussian(0.0, -1.0, 10), ValueError, "positive definite"),
        (lambda: mc.Gaussian([0, 0], np.eye(3), 10), ValueError, "cov must have shape \\(2, 2\\)"),
        (lambda: mc.Gaussian([0, 0], 1.0, 10), ValueError, "cov must be 2-D"),
        (lambda: mc.Gaussian([[0.0]], 1.0, 10), ValueError, "mean must be a scalar or 1-D"),
        (lambda: mc.Gaussian([0, np.nan], SPD, 10), ValueError, "mean must be finite"),
        (lambda: mc.Gaussian([0, 0], SPD * np.nan, 10), ValueError, "cov must be finite"),
        (lambda: mc.Gaussian(["a"], SPD, 10), TypeError, "mean must hold real numbers"),
        (lambda: mc.Gaussian([0, 0], SPD, 2), ValueError, "samples must be at least dim \\+ 1"),
        (lambda: mc.Gaussian(np.zeros(5), np.eye(5), 5, estimator="mle"), ValueError, "samples"),
        (lambda: mc.Gaussian(0.0, 1.0, 0), ValueError, "samples must lie in"),
        (lambda: mc.Gaussian(0.0, 1.0, 10.5), TypeError, "samples must be an integer"),
        (lambda: mc.Gaussian(0.0, 1.0, 10, estimator="biased"), ValueError, "estimator must be"),
        (lambda: mc.Gaussian(0.0, 1.0, 10, estimator=1), TypeError, "estimator must be a str"),
        (lambda: mc.Gaussian(0.0, 1.0, 10, tail=0.0), ValueError, "tail must lie in"),
        (lambda: mc.Gaussian(0.0, 1.0, 10, tail=1.0), ValueError, "tail and hallucination"),
        (lambda: mc.Gaussian(0.0, 1.0, 10, hallucination=-1), ValueError, "hallucination must"),
        (lambda: mc.LinearRegression(10, 10), ValueError, "samples must be at least dim \\+ 1"),
        (lambda: mc.LinearRegression(0, 10), ValueError, "dim must lie in"),
        (lambda: mc.LinearRegression(2, 10, noise=0.0), ValueError, "noise must lie in"),
        (lambda: mc.LinearRegression(2, 10, noise=np.nan), ValueError, "noise must lie in"),
        (lambda: mc.LinearRegression(2, 10, beta=[1.0]), ValueError, "beta must have shape"),
        (lambda: mc.LinearRegression(2, 10, beta=[1.0, np.inf]), ValueError, "beta must be fin"),
        (lambda: mc.LinearRegression(2, 10, design="uniform"), ValueError, "design must be one"),
        (lambda: mc.LinearRegression(2, 10, design=np.ones((9, 2))), ValueError, "design must"),
        (lambda: mc.LinearRegression(2, 10, design=np.ones((10, 2))), ValueError, "full column"),
        (lambda: mc.LinearRegression(2, 10, noise_model="x"), ValueError, "noise_model must be"),
        (lambda: mc.KDE(bandwidth=0.0, samples=10), ValueError, "bandwidth must lie in"),
        (lambda: mc.KDE(bandwidth=-1.0, samples=10), ValueError, "bandwidth must lie in"),
        (lambda: mc.KDE(bandwidth=np.nan, samples=10), ValueError, "bandwidth must lie in"),
        (lambda: mc.KDE(bandwidth=0.1), TypeError, "needs samples="),
        (lambda: mc.KDE([1.0, 2.0], bandwidth=0.1), TypeError, "needs test="),
        (lambda: mc.KDE([1.0, np.nan], test=[1.0], bandwidth=0.1), ValueError, "data must be fin"),
        (lambda: mc.KDE([[1.0]], test=[1.0], bandwidth=0.1), ValueError, "data must be 1-D"),
        (lambda: mc.KDE([], test=[1.0], bandwidth=0.1), ValueError, "data must hold at least"),
        (lambda: mc.KDE(sampler=3, bandwidth=0.1, samples=5), TypeError, "sampler must be"),
        (lambda: mc.GaussianMixture([1, 1], [0, 1], [1, 0]), ValueError, "stds must be positive"),
        (lambda: mc.GaussianMixture([1], [0, 1], [1, 1]), ValueError, "same positive length"),
    ],
)
def test_bad_settings(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


G = mc.Gaussian([0.0, 0.0], SPD, 10)
REG = mc.LinearRegression(2, 10)
KDE = mc.KDE(bandwidth=0.5, samples=20)


@pytest.mark.parametrize(
    ("setting", "paradigm", "kw", "match"),
    [
        (G, mc.AccumulateSubsample(2), {}, "size must lie in \\[3, 20\\]"),
        (G, mc.AccumulateSubsample(21), {}, "size must lie in \\[3, 20\\]"),
        (G, mc.AccumulateSubsample(5), {"method": "statistics"}, "not available"),
        (G, mc.Replace(), {"method": "exact"}, "method must be one of"),
        (G, mc.AccumulateSubsample(5), {"iterations": 10**8, "stride": 10**8}, "working memory"),
        (REG, mc.Accumulate(growth=1.5), {}, "growth must be a whole number"),
        (REG, mc.MixReal(0.5), {"method": "statistics"}, "not available"),
        (REG, mc.AccumulateSubsample(25), {}, "size must lie in \\[3, 20\\]"),
        (KDE, mc.Replace(), {"method": "statistics"}, "not available for KDE"),
        (KDE, mc.AccumulateSubsample(41), {}, "size must lie in \\[1, 40\\]"),
        (mc.Discrete([0.5, 0.5], samples=4), mc.Replace(), {"method": "samples"}, "must be 'auto'"),
    ],
)
def test_bad_paradigm_or_method_for_the_setting(setting, paradigm, kw, match):
    kw = {"iterations": 3, "replicates": 2, "progress": False, **kw}
    with pytest.raises(ValueError, match=match):
        mc.simulate(setting, paradigm, **kw)


@pytest.mark.parametrize(
    ("setting", "paradigm", "method"),
    [
        (mc.LinearRegression(2, 2**31), mc.Replace(), "samples"),
        (mc.Gaussian(0.0, 1.0, 2**32), mc.MixReal(0.5), "auto"),
        (mc.KDE(bandwidth=0.5, samples=2**31), mc.Replace(), "auto"),
        (mc.KDE(bandwidth=0.5, samples=10, test_size=2**31), mc.Replace(), "auto"),
    ],
)
def test_runs_too_big_for_memory_are_refused_before_they_start(setting, paradigm, method):
    """Valid but huge sizes raise ValueError up front, never an out-of-memory abort."""
    with pytest.raises(ValueError, match="GiB of working memory"):
        mc.simulate(setting, paradigm, iterations=3, replicates=2, method=method)


def test_collapse_times_is_for_discrete_settings():
    with pytest.raises(TypeError, match=r"collapse_times needs a mc\.Discrete setting"):
        mc.collapse_times(G, replicates=2)


def test_unknown_metric_names_the_setting():
    with pytest.raises(ValueError, match="unknown metric 'entropy' for Gaussian"):
        mc.simulate(G, mc.Replace(), iterations=2, replicates=2, metrics="entropy")


ANY = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=2), min_size=2, max_size=2),
    st.booleans(),
)

BUILDERS = {
    "gaussian": (
        lambda **kw: mc.Gaussian(**{"mean": [0.0, 0.0], "cov": SPD, "samples": 10, **kw}),
        ["mean", "cov", "samples", "estimator", "tail", "hallucination", "data"],
    ),
    "regression": (
        lambda **kw: mc.LinearRegression(**{"dim": 2, "samples": 10, **kw}),
        ["dim", "samples", "noise", "beta", "design", "noise_model"],
    ),
    "kde": (
        lambda **kw: mc.KDE(**{"bandwidth": 0.5, "samples": 10, **kw}),
        ["data", "bandwidth", "samples", "test_size", "tail"],
    ),
}


@given(ANY, st.sampled_from(sorted(BUILDERS)), st.data())
def test_random_arguments_raise_clear_errors_or_work(value, kind, data):
    build, names = BUILDERS[kind]
    name = data.draw(st.sampled_from(names))
    try:
        setting = build(**{name: value})
    except (TypeError, ValueError) as err:
        text = str(err)
        assert name in text or "KDE" in text, text
        return
    small = setting.samples <= 10_000 and getattr(setting, "test_size", 0) <= 10_000
    if not small:  # valid but large: building it is the test, a run would only take long
        return
    run = mc.simulate(setting, mc.Replace(), iterations=3, replicates=2, rng=0, progress=False)
    for metric in setting.default_metrics:
        assert run.metrics[metric].shape == (2, 4)


@pytest.mark.parametrize("scale", [1.0, 205.0, 1e-30, 1e30])
def test_a_covariance_singular_to_rounding_is_refused_when_built(scale):
    """[[a, a], [a, a]] is singular, yet a Cholesky factorisation may succeed on rounding: the
    setting refuses it at once, naming cov (hypothesis found a = 205 reaching the kernel)."""
    with pytest.raises(ValueError, match=r"cov must be positive definite.*singular"):
        mc.Gaussian([0.0, 0.0], [[scale, scale], [scale, scale]], 10)


def test_a_huge_growth_is_refused_with_advice_that_names_growth():
    kde = mc.KDE(bandwidth=0.2, samples=100, test_size=10)
    with pytest.raises(ValueError, match=r"working memory.*a smaller growth="):
        mc.simulate(kde, mc.Accumulate(1e9), iterations=100, replicates=2, rng=0)
