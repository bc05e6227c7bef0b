"""Helpers shared by the settings."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .. import _core
from .._rng import RootKey
from ..paradigms import Accumulate, AccumulateSubsample, FreshReal, MixReal, Paradigm, Replace

ProgressCallback = Callable[[int], object]

#: Most synthetic items one generation may add (the kernels count in 64 bits).
MAX_PER_GENERATION = 2**62

#: The ways to draw a generation: "auto" picks the exact sufficient-statistic path where one
#: exists, else samples.
METHODS = ("auto", "statistics", "samples")


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def readonly(a: np.ndarray) -> np.ndarray:
    """A C-contiguous, aligned, read-only copy-or-view of `a` (settings are immutable)."""
    a = np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])
    a.flags.writeable = False
    return a


def recorded_iterations(iterations: int, stride: int) -> npt.NDArray[np.int64]:
    """The iterations a run records: 0 (the real distribution), 1 (the real-data-only model),
    every multiple of `stride` and the last, `iterations` (the kernels' `Recording::slot`)."""
    # integer arithmetic: np.arange(0, iterations + 1, stride) sizes itself in floating point
    # and drops the last step near 2**62
    steps = np.arange(iterations // stride + 1, dtype=np.int64) * stride
    extra = [t for t in (1, iterations) if t <= iterations and t % stride]
    return np.union1d(steps, np.asarray(extra, dtype=np.int64)) if extra else steps


def recorded_count(iterations: int, stride: int) -> int:
    """How many iterations a run records (without building them: `iterations` may be 2**62)."""
    return (
        iterations // stride
        + 1
        + sum(1 for t in {1, iterations} if 0 < t <= iterations and t % stride)
    )


def single_method(setting: object, method: str) -> None:
    """Refuse a method choice for settings that have a single exact way to draw a generation."""
    if method != "auto":
        raise ValueError(
            f"method must be 'auto' for {type(setting).__name__}: it has a single exact way to "
            f"draw a generation, got {method!r}"
        )


@dataclass(frozen=True)
class KernelRun:
    """What every simulate kernel takes after its setting and paradigm arguments (the kernel
    reads it by attribute, as one typed ``RunSpec``: src/py/mod.rs), and the shape of what it
    returns. ``workers`` and ``executor`` are for `mc.Model` (Python replicates in processes);
    the Rust kernels take ``threads``."""

    metrics: list[str]
    iterations: int
    stride: int
    key: RootKey
    first: int
    replicates: int
    threads: int | None
    progress: ProgressCallback | None
    workers: int | None = None
    executor: Executor | None = None

    @property
    def key_words(self) -> tuple[int, int, int, int]:
        """The root key as four 64-bit words (what the kernels read: `src/py/mod.rs`,
        ``RunSpec``, takes this object itself)."""
        return self.key.words

    def shape(self, flat: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The kernel's flat output as (replicates, metrics, recorded iterations)."""
        recorded = recorded_count(self.iterations, self.stride)
        return flat.reshape(self.replicates, len(self.metrics), recorded)


def paradigm_count(paradigm: Paradigm, real: int, samples: int, *, unit: str, dim: int = 0) -> int:
    """The paradigm's item count (0 for Replace), checked against a setting with `real` real
    items and `samples` synthetic items per generation (`dim` > 0: a fit needs more items than
    dimensions), with errors in the user's terms (growth, size, fraction)."""
    if isinstance(paradigm, Replace):
        return 0
    if isinstance(paradigm, Accumulate):
        count = round_half_up(paradigm.growth * samples)
        if count > MAX_PER_GENERATION:
            raise ValueError(
                f"growth={paradigm.growth:g} asks for round(growth * samples) = {count:,} "
                f"synthetic {unit} per generation; at most 2**62 = {MAX_PER_GENERATION:,} fit"
            )
        return count
    if isinstance(paradigm, AccumulateSubsample):
        low, high = dim + 1, real + samples
        if not low <= paradigm.size <= high:
            why = "more points than dimensions, and at most" if dim else "at most"
            raise ValueError(
                f"size must lie in [{low}, {high:,}]: {why} the pool, which holds the {real:,} "
                f"real {unit} plus {samples:,} synthetic ones when the first subsample is drawn, "
                f"got {paradigm.size:,}"
            )
        return paradigm.size
    if isinstance(paradigm, MixReal):
        count = round_half_up(paradigm.fraction * samples)
        if count > real:
            raise ValueError(
                f"fraction={paradigm.fraction} asks for round(fraction * samples) = {count:,} "
                f"real {unit} per generation, but the real data hold only {real:,}"
            )
        return count
    if isinstance(paradigm, FreshReal):
        count = round_half_up(paradigm.fraction * samples)
        if paradigm.weight is not None and not 0 < count < samples:
            raise ValueError(
                f"weight={paradigm.weight} weighs the real part of each training set against "
                f"the synthetic part, so both must be there, but fraction={paradigm.fraction} "
                f"makes round(fraction * samples) = {count:,} of the {samples:,} {unit} real"
            )
        return count
    raise TypeError(f"unknown paradigm {paradigm!r}")


def kernel_paradigm(
    paradigm: Paradigm, real: int, samples: int, *, unit: str, dim: int = 0
) -> _core.Paradigm:
    """The paradigm as the kernels take it, typed (`_core.Paradigm`), after `paradigm_count`'s
    checks."""
    count = paradigm_count(paradigm, real, samples, unit=unit, dim=dim)
    if isinstance(paradigm, Replace):
        return _core.Paradigm.replace()
    if isinstance(paradigm, Accumulate):
        return _core.Paradigm.accumulate(count)
    if isinstance(paradigm, AccumulateSubsample):
        return _core.Paradigm.accumulate_subsample(count)
    if isinstance(paradigm, FreshReal):
        return _core.Paradigm.fresh_real(count, paradigm.weight)
    return _core.Paradigm.mix_real(count)
