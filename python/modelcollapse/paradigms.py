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

import dataclasses
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
