"""Hypothesis strategies for settings and paradigms, for property tests of code built on
modelcollapse (and of modelcollapse itself). Needs ``hypothesis`` (``pip install
modelcollapse[test]``).

Valid strategies draw small settings that run in milliseconds; ``paradigms_for(setting)`` draws
paradigms that the setting accepts; ``invalid_settings()`` draws constructor calls that must raise
``TypeError`` or ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from . import _checks
from .paradigms import Accumulate, AccumulateSubsample, FreshReal, MixReal, Paradigm, Replace
from .settings import KDE, Discrete, Gaussian, LinearRegression, Setting, check_setting

__all__ = [
    "discrete_settings",
    "gaussian_settings",
    "invalid_settings",
    "kde_settings",
    "paradigms_for",
    "regression_settings",
    "setting_and_paradigm",
    "settings",
]

_weights = st.lists(st.floats(0.0, 100.0, allow_nan=False), min_size=1, max_size=12).filter(
    lambda w: sum(w) > 0
)


@st.composite
def discrete_settings(draw: st.DrawFn) -> Discrete:
    """Discrete settings from weights or counts, up to 12 atoms and 60 samples."""
    samples = draw(st.integers(1, 60))
    if draw(st.booleans()):
        return Discrete(weights=draw(_weights), samples=samples)
    counts = draw(st.lists(st.integers(0, 30), min_size=1, max_size=12).filter(lambda c: sum(c)))
    return Discrete(counts=counts, samples=samples)


def _max_dim(max_dim: Any) -> int:
    return _checks.integer("max_dim", max_dim, minimum=1, maximum=1024)


@st.composite
def gaussian_settings(draw: st.DrawFn, max_dim: int = 4) -> Gaussian:
    """Gaussians of dimension 1..max_dim (at most 1024) with a well-conditioned random
    covariance."""
    dim = draw(st.integers(1, _max_dim(max_dim)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dim, dim))
    cov = a @ a.T + np.eye(dim)
    mean = rng.standard_normal(dim)
    samples = draw(st.integers(dim + 1, max(40, 2 * dim)))
    estimator = draw(st.sampled_from(["unbiased", "mle"]))
    if dim == 1 and draw(st.booleans()):
        return Gaussian(float(mean[0]), float(cov[0, 0]), samples, estimator=estimator)
    return Gaussian(mean, cov, samples, estimator=estimator)


@st.composite
def regression_settings(draw: st.DrawFn, max_dim: int = 4) -> LinearRegression:
    """Linear regressions of dimension 1..max_dim (at most 1024) with a Gaussian design, known
    or estimated noise."""
    dim = draw(st.integers(1, _max_dim(max_dim)))
    return LinearRegression(
        dim,
        draw(st.integers(dim + 2, max(40, 2 * dim + 2))),
        noise=draw(st.floats(0.1, 3.0)),
        noise_model=draw(st.sampled_from(["known", "estimated"])),
    )


@st.composite
def kde_settings(draw: st.DrawFn) -> KDE:
    """One-dimensional KDEs on the default two-mode mixture."""
    return KDE(
        bandwidth=draw(st.floats(0.05, 2.0)),
        samples=draw(st.integers(2, 60)),
        test_size=draw(st.integers(1, 50)),
    )


def settings() -> st.SearchStrategy[Setting]:
    """Any of the four settings, small."""
    return st.one_of(discrete_settings(), gaussian_settings(), regression_settings(),
                     kde_settings())  # fmt: skip


def paradigms_for(setting: Setting) -> st.SearchStrategy[Paradigm]:
    """Paradigms that `setting` accepts (sizes within its limits)."""
    setting = check_setting(setting)
    n = setting.samples
    real = getattr(setting, "real_size", n)
    low = setting.dim + 1 if isinstance(setting, (Gaussian, LinearRegression)) else 1
    growth = (
        st.integers(0, 3).map(float)
        if isinstance(setting, LinearRegression)
        else st.floats(0.0, 3.0)
    )
    return st.one_of(
        st.just(Replace()),
        st.builds(Accumulate, growth),
        st.builds(AccumulateSubsample, st.integers(low, real + n)),
        st.builds(MixReal, st.floats(0.0, min(1.0, real / n))),
        _fresh_real(setting, low),
    )


@st.composite
def _fresh_real(draw: st.DrawFn, setting: Setting, low: int) -> FreshReal:
    """FreshReal for `setting`: weighted where the setting takes a weight (Discrete, Gaussian),
    with both parts present and an effective training size of at least `low`."""
    n = setting.samples
    weighs = isinstance(setting, (Discrete, Gaussian)) and n >= 2
    if not (weighs and draw(st.booleans())):
        return FreshReal(draw(st.floats(0.0, 1.0)))
    r = draw(st.integers(1, n - 1))
    s = n - r
    weight = draw(st.floats(0.0, 1.0))
    if 1 / (weight * weight / r + (1 - weight) ** 2 / s) < low:
        weight = r / n  # every item counts once: the effective size is n
    # a fraction that rounds (half up) to r real items
    return FreshReal((r - 0.25) / n, weight)


@st.composite
def setting_and_paradigm(draw: st.DrawFn) -> tuple[Setting, Paradigm]:
    """A small setting and a paradigm it accepts."""
    setting = draw(settings())
    return setting, draw(paradigms_for(setting))


_BAD_VALUES = st.one_of(
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(-1),
    st.just(0),
    st.just("x"),
    st.just(None),
    st.just([]),
)


@st.composite
def invalid_settings(draw: st.DrawFn) -> tuple[Callable[..., Any], dict[str, Any]]:
    """A constructor and keyword arguments with one bad value; calling it must raise TypeError or
    ValueError (never anything else)."""
    ok: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (Discrete, {"weights": [0.5, 0.5], "samples": 10}),
        (Gaussian, {"mean": [0.0, 0.0], "cov": np.eye(2), "samples": 10}),
        (LinearRegression, {"dim": 2, "samples": 10, "noise": 1.0}),
        (KDE, {"bandwidth": 0.5, "samples": 10}),
    ]
    make, kwargs = draw(st.sampled_from(ok))
    name = draw(st.sampled_from(sorted(kwargs)))
    value = draw(_BAD_VALUES)
    if name == "weights" and value is None:
        value = [float("nan")]
    return make, {**kwargs, name: value}
