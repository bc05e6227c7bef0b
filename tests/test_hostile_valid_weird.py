"""Valid but weird input (array layouts, dtypes, scalars, edges) gives the plain answer."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from _hostile import (
    CENSORED,
    CT,
    DATA,
    MIX,
    RUN,
    SPD,
    D,
    G,
    K,
    R,
    X,
    _fail_instead_of_hanging,  # noqa: F401
    ct,
    readonly,
    same_runs,
    sim,
    strided,
    unaligned,
    v,
)

import modelcollapse as mc
from modelcollapse import definitions as d
from modelcollapse import theory


def _same(make: Any, plain: Any, weird: Any) -> None:
    same_runs(make(plain), make(weird))


W = np.array([0.1, 0.2, 0.3, 0.4])
COUNTS = np.array([3, 0, 7], dtype=np.int64)
MEAN = np.array([1.0, -1.0])
XS = np.linspace(-2.0, 2.0, 9)
TS = np.linspace(-1.0, 1.0, 5)


def _discrete(w: Any) -> mc.Run:
    return sim(mc.Discrete(w, samples=10))


def _counts(c: Any) -> mc.Run:
    return sim(mc.Discrete(counts=c, samples=10), mc.MixReal(0.5))


def _gaussian(arrays: tuple[Any, Any, Any]) -> mc.Run:
    mean, cov, data = arrays
    return sim(mc.Gaussian(mean, cov, 10, data=data), mc.MixReal(0.5))


def _regression(arrays: tuple[Any, Any]) -> mc.Run:
    design, beta = arrays
    return sim(mc.LinearRegression(2, 10, beta=beta, design=design), method="samples")


def _kde(arrays: tuple[Any, Any]) -> mc.Run:
    data, test = arrays
    return sim(mc.KDE(data, test=test, bandwidth=0.3))


def _layouts(transform: Any) -> None:
    """Every array argument of every setting, transformed, gives the same run as plain input."""
    _same(_discrete, W, transform(W))
    _same(_counts, COUNTS, transform(COUNTS))
    _same(_gaussian, (MEAN, SPD, DATA), (transform(MEAN), transform(SPD), transform(DATA)))
    _same(_regression, (X, MEAN), (transform(X), transform(MEAN)))
    _same(_kde, (XS, TS), (transform(XS), transform(TS)))


def _check_int_scalars(kind: Any) -> None:
    """numpy integer scalars work wherever an int does, with the same result."""
    plain = sim(iterations=4, replicates=3, stride=2, threads=1)
    weird = sim(iterations=kind(4), replicates=kind(3), stride=kind(2), threads=kind(1))
    same_runs(plain, weird)
    same_runs(sim(mc.Discrete(W, samples=10)), sim(mc.Discrete(W, samples=kind(10))))
    same_runs(sim(G), sim(mc.Gaussian(MEAN, SPD, kind(10))))
    same_runs(sim(mc.LinearRegression(2, 10)), sim(mc.LinearRegression(kind(2), kind(10))))
    same_runs(sim(D, mc.AccumulateSubsample(5)), sim(D, mc.AccumulateSubsample(kind(5))))
    kde = mc.KDE(bandwidth=0.5, samples=kind(10), test_size=kind(10))
    same_runs(sim(K), sim(kde))
    a, b = ct(max_iterations=50), ct(max_iterations=kind(50), replicates=kind(3))
    np.testing.assert_array_equal(a.times, b.times)
    assert d.lost_modes(RUN, horizon=kind(8)) == d.lost_modes(RUN, horizon=8)
    np.testing.assert_array_equal(
        theory.collapse_time_cdf(D, kind(5)), theory.collapse_time_cdf(D, 5)
    )


def _check_stride_beyond_iterations() -> None:
    # iterations 0, 1 and the last are recorded whatever the stride
    run = sim(iterations=3, stride=10)
    np.testing.assert_array_equal(run.metrics.iteration.values, [0, 1, 3])
    np.testing.assert_array_equal(sim(iterations=6, stride=6).metrics.iteration.values, [0, 1, 6])
    full = sim(iterations=7)
    same_runs(
        sim(iterations=7, stride=3),
        mc.Run(full.metrics.isel(iteration=[0, 1, 3, 6, 7]), D, full.paradigm),
    )


def _check_zero_iterations() -> None:
    for setting in (D, G, R, K):
        run = sim(setting, iterations=0)
        assert run.metrics.sizes["iteration"] == 1
        assert not any(np.isnan(run.metrics[m].values).any() for m in run.metrics.data_vars)


def _check_replicate_ranges() -> None:
    whole = sim(replicates=7)
    part = sim(replicates=range(5, 7))
    for name in whole.metrics.data_vars:
        np.testing.assert_array_equal(whole.metrics[name].values[5:], part.metrics[name].values)
    near_end = sim(replicates=range(2**63 - 3, 2**63 - 1))
    assert near_end.metrics.replicate.values.tolist() == [2**63 - 3, 2**63 - 2]


def _check_metric_containers() -> None:
    ref = sim(metrics=["entropy", "tv_to_real"])
    same_runs(ref, sim(metrics=("entropy", "tv_to_real")))
    same_runs(ref, sim(metrics=np.array(["entropy", "tv_to_real"])))
    same_runs(ref, sim(metrics=(m for m in ["entropy", "tv_to_real"])))
    same_runs(sim(metrics=["entropy"]), sim(metrics="entropy"))


def _check_float_dtypes() -> None:
    same_runs(sim(G), sim(mc.Gaussian(MEAN.astype(np.float32), SPD.astype(np.float32), 10)))
    same_runs(_discrete([1.0, 2.0, 3.0, 4.0]), _discrete(np.array([1, 2, 3, 4], np.int8)))
    same_runs(_discrete([1.0, 1.0]), _discrete(np.array([True, True])))
    same_runs(_counts(COUNTS), _counts(COUNTS.astype(np.float64)))
    same_runs(_counts(COUNTS), _counts(COUNTS.astype(">u4")))


def _check_translation_invariance() -> None:
    """A far-off mean or beta (1e16, 1e90 with unit variance) gives the same metrics as 0:
    the fits' deviations are not rounded away."""
    same_runs(sim(mc.Gaussian([1e16, -1e90], SPD, 10)), sim(mc.Gaussian([0.0, 0.0], SPD, 10)))
    far = mc.LinearRegression(2, 10, beta=[1e200, -1e200])
    same_runs(sim(far), sim(mc.LinearRegression(2, 10, beta=[0.0, 0.0])))


def _check_huge_but_cheap_sizes() -> None:
    """Sizes near the limits that cost nothing: each once panicked, hung or aborted."""
    for setting, paradigm in [
        (mc.Discrete(counts=[2**61, 2**61], samples=2**53), mc.MixReal(1.0)),
        (mc.Discrete([0.5, 0.5], samples=2**30), mc.AccumulateSubsample(1)),
        (mc.Discrete([0.5, 0.5], samples=2**52), mc.AccumulateSubsample(2**52)),
        (mc.Discrete([0.5, 0.5], samples=2**40), mc.MixReal(0.5)),
        (mc.Discrete([0.5, 0.5], samples=2**53), mc.Accumulate(100.0)),
    ]:
        run = sim(setting, paradigm, metrics=["entropy", "support_size"])
        entropy = run.metrics.entropy.values
        assert np.all((entropy >= 0) & (entropy <= np.log(2) + 1e-12))
    for paradigm, method in [(mc.Accumulate(1e9), "statistics"), (mc.Accumulate(1e3), "samples")]:
        for setting in (R, mc.LinearRegression(2, 10, noise_model="estimated")):
            values = sim(setting, paradigm, method=method).metrics.to_array().values
            assert np.isfinite(values).all()
    with pytest.raises(ValueError, match=r"growth=1e\+09 is too large for method='samples'"):
        sim(R, mc.Accumulate(1e9), method="samples")
    big = sim(mc.LinearRegression(1, 2**32), mc.Accumulate(1e9)).metrics.test_error.values
    assert np.isfinite(big).all() and (big >= 1.0).all()


def _check_extreme_bandwidths() -> None:
    """Bandwidths far below or above the data's scale give finite NLLs (tiny ones gave NaN)."""
    for h in (1e-100, 1e-10, 1e-5, 1e50, 1e100):
        run = sim(mc.KDE(bandwidth=h, samples=10, test_size=5), iterations=2)
        for name in run.metrics.data_vars:
            assert not np.isnan(run.metrics[name].values).any(), (h, name)
        assert np.isfinite(run.metrics.nll_real.values).all(), h
    tiny_tail = sim(mc.KDE(bandwidth=1.0, samples=5, test_size=5, tail=1e-300), iterations=2)
    assert np.isfinite(tiny_tail.metrics.tail_mass.values).all()


def _check_degenerate_settings() -> None:
    one = sim(mc.Discrete([1.0], samples=10), mc.Accumulate())
    assert (one.metrics.entropy.values == 0).all()
    assert (ct(mc.Discrete(counts=[0, 5, 0], samples=5)).times == 0).all()
    assert (ct(mc.Discrete([0.5, 0.5], samples=1)).times == 1).all()
    sim(mc.Discrete([0.5, 0.5], samples=1), mc.MixReal(1.0))
    sim(mc.KDE([1.0], test=[0.0], bandwidth=1.0))  # one real point
    sim(mc.Gaussian(0.0, 1.0, 2, estimator="mle"))
    sim(mc.LinearRegression(2, 3, noise_model="estimated"))
    sim(mc.Discrete([1, 1e-300], samples=10))


def _check_collapse_time_methods() -> None:
    assert CT.quantile(0) == CT.times.min() and CT.quantile(1) == CT.times.max()
    assert CT.quantile(np.float32(0.5)) == CT.quantile(0.5)
    assert CT.quantile([]).shape == (0,)
    q = CT.quantile([[0.1, 0.5], [0.9, 1.0]])
    assert q.shape == (2, 2) and np.all(np.diff(q.ravel()) >= 0)
    assert CT.quantile(readonly([0.5])[0]) == CT.quantile(0.5)
    assert CENSORED.mean(lower_bound=True) == 2.0 and CENSORED.mean(lower_bound=np.True_) == 2.0
    assert math.isnan(ct(replicates=1).sem())
    assert len(CENSORED.survival()) >= 1 and len(CT.to_pandas()) == 20
    near = ct(replicates=range(2**63 - 3, 2**63 - 1)).to_pandas()
    assert near.replicate.tolist() == [2**63 - 3, 2**63 - 2]


def _check_uncollapsible_replicates() -> None:
    """Replicates that keep enough real data never collapse: with max_iterations = 2**62 they
    are censored at once instead of running 2**62 generations."""
    for setting, paradigm, horizon in [
        (mc.Discrete(counts=[5, 5], samples=10), mc.MixReal(1.0), 2**62),
        (mc.Discrete(counts=[5, 5], samples=10), mc.MixReal(0.6), 2**62),
        (mc.Discrete([0.5, 0.5], samples=10), mc.Accumulate(0.05), 2**61),
    ]:
        out = ct(setting, paradigm, replicates=20, max_iterations=horizon)
        assert out.n_censored == 20 and (out.times == horizon).all()
        with pytest.raises(ValueError, match="lower_bound"):
            out.mean()


def _check_reals_of_every_kind() -> None:
    """Fractions, numpy floats and big ints are real numbers where a float is expected."""
    a = mc.Discrete([1.0, 1.0], samples=10, tail=Fraction(1, 4))
    assert a.tail == 0.25 and a == mc.Discrete([1.0, 1.0], samples=10, tail=np.float32(0.25))
    assert mc.Accumulate(growth=10**5).growth == 1e5
    assert mc.MixReal(np.float16(0.5)) == mc.MixReal(0.5)


def _check_mixture_methods() -> None:
    assert MIX.ppf(0) == -math.inf and MIX.ppf(1) == math.inf
    assert abs(MIX.ppf(0.5)) < 1e-9
    assert MIX.pdf([[0.0, 1.0]]).shape == (1, 2) and np.isnan(MIX.cdf(np.nan))
    assert MIX.sample(np.random.default_rng(0), 0).shape == (0,)
    huge = mc.GaussianMixture([1e308, 1e308], [0.0, 1.0], [1.0, 1.0])  # the sum overflowed
    assert huge.weights == (0.5, 0.5)


VALID_WEIRD = [
    v("read-only-arrays", lambda: _layouts(readonly)),
    v("non-contiguous-arrays", lambda: _layouts(strided)),
    v("fortran-order-arrays", lambda: _layouts(np.asfortranarray)),
    v("transposed-views", lambda: _layouts(lambda a: np.asarray(a).T.copy().T)),
    v("reversed-strides", lambda: _layouts(lambda a: np.asarray(a)[::-1].copy()[::-1])),
    v("unaligned-arrays", lambda: _layouts(unaligned)),
    v(
        "big-endian-arrays",
        lambda: _layouts(lambda a: np.asarray(a).astype(np.asarray(a).dtype.newbyteorder(">"))),
    ),
    v("lists-for-arrays", lambda: _layouts(lambda a: np.asarray(a).tolist())),
    v("np-int64-scalars", lambda: _check_int_scalars(np.int64)),
    v("np-uint8-scalars", lambda: _check_int_scalars(np.uint8)),
    v("np-int32-scalars", lambda: _check_int_scalars(np.int32)),
    v("0-d-int-arrays", lambda: _check_int_scalars(np.array)),
    v("stride-beyond-iterations", _check_stride_beyond_iterations),
    v("zero-iterations", _check_zero_iterations),
    v("replicate-ranges", _check_replicate_ranges),
    v("metric-containers", _check_metric_containers),
    v("other-dtypes", _check_float_dtypes),
    v("translation-invariance", _check_translation_invariance),
    v("huge-but-cheap-sizes", _check_huge_but_cheap_sizes),
    v("extreme-bandwidths", _check_extreme_bandwidths),
    v("degenerate-settings", _check_degenerate_settings),
    v("collapse-time-methods", _check_collapse_time_methods),
    v("uncollapsible-replicates", _check_uncollapsible_replicates),
    v("reals-of-every-kind", _check_reals_of_every_kind),
    v("mixture-methods", _check_mixture_methods),
]


@pytest.mark.parametrize("check", VALID_WEIRD)
def test_valid_but_weird_input_works_and_gives_the_plain_answer(check):
    check()
