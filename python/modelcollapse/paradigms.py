"""Paradigms: which data the next model trains on (paper Sec. 4.1-4.2, Fig. 3; DESIGN §3).

Generation 1's model is always fit to the real data: for ``mc.Discrete(weights=...)`` one
Multinomial(D, weights) draw of D items, for ``mc.Gaussian`` and ``mc.KDE`` without ``data``
``samples`` points from the real distribution, each drawn once per replicate and then kept (the
*real pool*); the given ``counts`` / ``data`` otherwise (the same for every replicate); for
``mc.LinearRegression`` the real labels y = X beta + noise on its design, drawn once per
replicate; for ``mc.Model`` its real rows (given, or drawn once per replicate by ``real(rng)``).
Every later generation draws its synthetic items from the previous generation's
model. With ``samples`` = n per generation and N real items:

* ``Replace()`` — the newest synthetic sample only: n items from the current model.
* ``Accumulate(growth=1.0)`` — every real item and every synthetic item so far: each generation
  draws ``round(growth * n)`` new items from the current model (which was fit to the whole pool)
  and adds them; nothing is ever dropped. (LinearRegression: whole-number growth, that many new
  label vectors over the fixed design per generation.)
* ``AccumulateSubsample(size)`` — the pool grows as under Accumulate(1.0) (the N real items plus
  n synthetic items per generation, drawn from the current model), and each model is fit to
  ``size`` items drawn uniformly *without* replacement from the whole pool, a fresh subsample
  every generation. (LinearRegression: the pool holds (design row, label) pairs.)
* ``MixReal(fraction)`` — every training set holds r = ``round(fraction * n)`` real items and
  n - r synthetic items drawn from the current model. The r real items are a fresh uniform
  subset of the real pool, drawn *without* replacement within a generation and independently
  of earlier generations (an item left out now may return later); the real pool never changes.
  (LinearRegression: the training set is always the n design rows, r of them, chosen afresh,
  carrying their real labels and the others synthetic labels.) ``fraction=1`` with N = n fits
  every model to the real data.

* ``FreshReal(fraction, weight=None)`` — every training set holds r = ``round(fraction * n)``
  real items drawn afresh from the real distribution each generation and n - r synthetic items
  from the current model; ``weight=w`` gives the real part total weight w in the fit.

Sizes are rounded half up. src/engine/paradigm.rs, and each setting's ``step`` in
src/settings/ (discrete/, gaussian.rs, regression.rs, kde.rs), and for ``mc.Model``
python/modelcollapse/models/_loop.py, implement these rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import _checks


@dataclass(frozen=True)
class Replace:
    """Train each model on the previous model's samples only (the "replace" paradigm): from
    generation 2 on, the training set is ``samples`` items drawn from the current model, and no
    real data remain."""


@dataclass(frozen=True)
class Accumulate:
    """Train on all real data plus every synthetic sample so far.

    Each generation draws ``round(growth * samples)`` items from the current model, which was
    fit to the whole pool (the real pool and every synthetic item drawn so far), adds them to
    the pool and refits on all of it; nothing is ever dropped. ``growth=0`` refits on the real
    pool alone. For ``mc.LinearRegression`` growth must be a whole number: that many label
    vectors over the fixed design per generation.

    growth: synthetic items added per generation, as a multiple of the setting's ``samples``.
    """

    growth: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "growth", _checks.real("growth", self.growth, minimum=0.0, maximum=1e9)
        )


@dataclass(frozen=True)
class AccumulateSubsample:
    """Train on a uniform subsample of ``size`` items from the accumulated pool.

    The pool starts as the real pool (N items) and grows by ``samples`` items per generation,
    drawn from the current model (growth 1, whatever ``size`` is). Each model from generation 2
    on is fit to ``size`` items drawn uniformly without replacement from the whole pool, a fresh
    subsample every generation; ``size`` may be at most N + ``samples`` (the pool when the first
    subsample is drawn), and must exceed the dimension for the Gaussian and regression fits.

    The pool's spread grows slowly (it mixes items centred on every past model), so a Gaussian's
    expected ``cov_trace`` drifts *above* the real one: with pool covariance C over N items
    (divisor N - 1), a subsample of s items and n new ones, E[tr C'] = tr C (1 + n (N - 2 s) /
    (s (N + n) (N + n - 1))) for the unbiased fit, so E[tr S_t] grows like t^(1/s) (d = 5,
    n = s = 20: 5.0 -> 5.9 after 300 generations and 6.5 after 2,000).
    tests/test_paradigm_rules.py checks this against simulation and against a numpy loop.
    """

    size: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _checks.integer("size", self.size, minimum=1))


@dataclass(frozen=True)
class MixReal:
    """Train on a fixed share ``fraction`` of real data, the rest fresh synthetic data.

    Every training set from generation 2 on holds r = ``round(fraction * samples)`` real items
    and ``samples`` - r items drawn from the current model. The real items are a uniform subset
    of the real pool (the real data generation 1 was fit to, kept for the whole replicate),
    drawn without replacement within a generation and afresh each generation, independently of
    earlier ones: an item missing from one training set may be back in the next, so under
    ``mc.Discrete`` a rare real atom can vanish from the model and come back. r may be at most
    the number of real items. For ``mc.LinearRegression`` the training set is always the n
    design rows, r of them (chosen afresh) with their real labels and the rest with synthetic
    labels.
    """

    fraction: float

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "fraction", _checks.real("fraction", self.fraction, minimum=0.0, maximum=1.0)
        )


@dataclass(frozen=True)
class FreshReal:
    """Train on a share ``fraction`` of real data drawn afresh every generation, the rest fresh
    synthetic data, optionally weighted.

    Every training set from generation 2 on holds r = ``round(fraction * samples)`` real items
    drawn anew from the real distribution (not from the fixed real pool that MixReal reuses) and
    ``samples`` - r items drawn from the current model. Generation 1 is fit to the real data, as
    under every paradigm.

    ``weight=None`` counts every item once. ``weight=w`` gives the real part total weight w and
    the synthetic part 1 - w in the fit, whatever their sizes: a weighted mean and covariance
    (``mc.Gaussian``: the covariance has the reliability-weight correction for the unbiased fit,
    1 / (1 - sum of squared item weights), and none for the MLE), or a mixture w (real counts / r)
    + (1 - w) (synthetic counts / (n - r)) (``mc.Discrete``). A weight needs both parts
    (0 < r < samples). He et al. (2025) give the weight that minimises the stationary error of
    the mean, ``mc.theory.optimal_real_weight(r / (samples - r))``.

    Needs a real distribution to draw from: ``mc.Discrete`` draws from its weights (or the
    proportions of its counts), ``mc.Gaussian`` from N(mean, cov), ``mc.KDE`` from its mixture,
    ``mc.LinearRegression`` gives a fresh uniform subset of r design rows fresh real labels.
    Not yet available: a weight for ``mc.LinearRegression`` and ``mc.KDE``, and ``mc.Model``.
    """

    fraction: float
    weight: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "fraction", _checks.real("fraction", self.fraction, minimum=0.0, maximum=1.0)
        )
        if self.weight is not None:
            object.__setattr__(
                self, "weight", _checks.real("weight", self.weight, minimum=0.0, maximum=1.0)
            )


Paradigm = Replace | Accumulate | AccumulateSubsample | MixReal | FreshReal
PARADIGMS = (Replace, Accumulate, AccumulateSubsample, MixReal, FreshReal)


def check_paradigm(paradigm: object) -> Paradigm:
    """Refuse anything that is not one of the four paradigm objects."""
    if not isinstance(paradigm, PARADIGMS):
        names = ", ".join(f"mc.{p.__name__}" for p in PARADIGMS)
        raise TypeError(f"paradigm must be one of {names}, got {paradigm!r}")
    return paradigm


def parameters(paradigm: Paradigm) -> dict[str, float | int]:
    """A paradigm's parameters by name, e.g. ``{"fraction": 0.1}`` (none for Replace)."""
    paradigm = check_paradigm(paradigm)
    return {f.name: getattr(paradigm, f.name) for f in dataclasses.fields(paradigm)}


def label(paradigm: Paradigm) -> str:
    """A short name that tells paradigms apart: the kind, with every parameter that differs from
    its default, e.g. ``"Replace"``, ``"Accumulate"``, ``"Accumulate(growth=2.0)"``,
    ``"MixReal(fraction=0.1)"``, ``"AccumulateSubsample(size=150)"`` (used by `mc.grid`)."""
    paradigm = check_paradigm(paradigm)
    shown = [
        f"{f.name}={getattr(paradigm, f.name)!r}"
        for f in dataclasses.fields(paradigm)
        if f.default is dataclasses.MISSING or getattr(paradigm, f.name) != f.default
    ]
    name = type(paradigm).__name__
    return f"{name}({', '.join(shown)})" if shown else name
