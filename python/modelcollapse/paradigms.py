"""Paradigms: which data the next model trains on (paper Sec. 4.1-4.2, Fig. 3; DESIGN §3).

Generation 1's model is always fit to the real data. After that:

* ``Replace()`` — only the newest synthetic sample (``samples`` items from the current model).
* ``Accumulate(growth=1.0)`` — all real data and every synthetic sample so far; each generation
  adds ``round(growth * samples)`` synthetic items.
* ``AccumulateSubsample(size)`` — the pool grows as under Accumulate (``samples`` synthetic items
  per generation), and each model is fit to ``size`` items drawn uniformly without replacement
  from it.
* ``MixReal(fraction)`` — every training set holds ``round(fraction * samples)`` items of real
  data (drawn without replacement) and ``samples`` minus that many fresh synthetic items.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _checks


@dataclass(frozen=True)
class Replace:
    """Train each model on the previous model's samples only (the "replace" paradigm)."""


@dataclass(frozen=True)
class Accumulate:
    """Train on all real data plus every synthetic sample so far.

    growth: synthetic items added per generation, as a multiple of the setting's ``samples``.
    """

    growth: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "growth", _checks.real("growth", self.growth, minimum=0.0, maximum=1e9)
        )


@dataclass(frozen=True)
class AccumulateSubsample:
    """Train on a uniform subsample of ``size`` items from the accumulated pool."""

    size: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _checks.integer("size", self.size, minimum=1))


@dataclass(frozen=True)
class MixReal:
    """Train on a fixed share ``fraction`` of real data, the rest fresh synthetic data."""

    fraction: float

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "fraction", _checks.real("fraction", self.fraction, minimum=0.0, maximum=1.0)
        )


Paradigm = Replace | Accumulate | AccumulateSubsample | MixReal
PARADIGMS = (Replace, Accumulate, AccumulateSubsample, MixReal)


def check_paradigm(paradigm: object) -> Paradigm:
    """Refuse anything that is not one of the four paradigm objects."""
    if not isinstance(paradigm, PARADIGMS):
        names = ", ".join(f"mc.{p.__name__}" for p in PARADIGMS)
        raise TypeError(f"paradigm must be one of {names}, got {paradigm!r}")
    return paradigm
