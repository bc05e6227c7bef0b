"""The discrete setting: a categorical distribution refit by multinomial resampling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from ..paradigms import Paradigm
from ..roles import Modes, Never, NotApplicable, Resize, Roles, Tails, metric
from ._base import Setting
from ._common import (
    KernelRun,
    kernel_paradigm,
    readonly,
    single_method,
)

#: Largest per-generation sample size: counts stay exact in float64 below 2**53.
MAX_SAMPLES = _core.DISCRETE_MAX_SAMPLES  # 2**53
#: Most atoms a discrete distribution may have.
MAX_ATOMS = 2**32 - 1


def _weights_array(weights: Any) -> npt.NDArray[np.float64]:
    arr = _checks.array("weights", weights)
    if arr.dtype.kind not in "iufb":  # not complex, datetimes, strings or objects
        raise TypeError(f"weights must be an array of real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"weights must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0 or arr.size > MAX_ATOMS:
        raise ValueError(f"weights must hold between 1 and {MAX_ATOMS:,} atoms, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("weights must be finite (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError(f"weights must be non-negative, found {arr[arr < 0][0]}")
    top = arr.max()
    if top <= 0:
        raise ValueError("weights must have a positive sum (they are all zero)")
    arr = arr / top  # scale first so that the sum cannot overflow
    return arr / arr.sum()


def _counts_array(counts: Any) -> npt.NDArray[np.uint64]:
    arr = _checks.array("counts", counts)
    if arr.dtype.kind not in "iuf":  # not bool, complex, datetimes, strings or objects
        raise TypeError(f"counts must be an array of integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"counts must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0 or arr.size > MAX_ATOMS:
        raise ValueError(f"counts must hold between 1 and {MAX_ATOMS:,} atoms, got {arr.size}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("counts must be finite integers (no NaN or inf)")
        if np.any(arr != np.floor(arr)):
            raise ValueError("counts must be integers, found a non-integer value")
    if np.any(arr < 0):
        raise ValueError("counts must be non-negative")
    if np.any(arr > 2**62):
        raise ValueError("counts must each be at most 2**62")
    out = arr.astype(np.uint64)
    total = int(out.sum(dtype=object))
    if not 1 <= total <= 2**62:
        raise ValueError(f"counts must sum to a value in [1, 2**62], got {total}")
    return out


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Discrete(Setting):
    """A categorical distribution refit by multinomial resampling (paper Sec. 4.4's histogram;
    under Replace, each atom's count is a Wright-Fisher chain).

    Give the real distribution either as ``weights`` (non-negative, finite, positive sum; they
    are normalised) or as integer real-data ``counts``. ``samples`` is D, the number of items
    drawn per generation. Iteration 0 is the real distribution (the weights, or the counts'
    proportions). The real data are the counts when given, else one Multinomial(D, weights) draw
    per replicate; generation 1's model is the empirical distribution of the real data.

    ``tail`` sets the tail set used by the ``tail_mass`` metric: the real distribution's rarest
    atoms (ascending probability, ties by index) taken until they hold at least ``tail`` of the
    real mass.

    Every metric costs one pass over the surviving atoms per recorded iteration: about 0.2 us
    (0.7 us for ``entropy``, which takes logarithms) at K = 10, D = 100, against the draw of a
    generation itself; all are recorded by default.
    """

    weights: npt.NDArray[np.float64]
    counts: npt.NDArray[np.uint64] | None
    samples: int
    tail: float

    #: Metrics recorded by ``simulate`` (all computed in Rust inside the loop).
    metric_names = tuple(_core.discrete_metric_names())

    def __init__(
        self,
        weights: Any = None,
        *,
        counts: Any = None,
        samples: int,
        tail: float = 0.1,
    ) -> None:
        if (weights is None) == (counts is None):
            raise TypeError("Discrete needs exactly one of weights or counts")
        samples = _checks.integer("samples", samples, minimum=1, maximum=MAX_SAMPLES)
        tail = _checks.real("tail", tail, minimum=0.0, maximum=1.0, open_low=True)
        if counts is not None:
            count_arr = _counts_array(counts)
            weight_arr = _weights_array(count_arr.astype(np.float64))
            object.__setattr__(self, "counts", readonly(count_arr))
        else:
            weight_arr = _weights_array(weights)
            object.__setattr__(self, "counts", None)
        object.__setattr__(self, "weights", readonly(weight_arr))
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "tail", tail)

    @property
    def atoms(self) -> int:
        """Number of atoms K (including atoms of zero real mass)."""
        return int(self.weights.size)

    @property
    def real_size(self) -> int:
        """Size N of the real data: the counts' sum, or ``samples`` when drawn from weights."""
        return self.samples if self.counts is None else int(self.counts.sum(dtype=object))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Discrete):
            return NotImplemented
        same_counts = (self.counts is None and other.counts is None) or (
            self.counts is not None
            and other.counts is not None
            and np.array_equal(self.counts, other.counts)
        )
        return (
            same_counts
            and np.array_equal(self.weights, other.weights)
            and self.samples == other.samples
            and self.tail == other.tail
        )

    def __hash__(self) -> int:
        counts = None if self.counts is None else self.counts.tobytes()
        return hash((self.weights.tobytes(), counts, self.samples, self.tail))

    def __repr__(self) -> str:
        source, arr = (
            ("counts", self.counts) if self.counts is not None else ("weights", self.weights)
        )
        shown = np.array2string(arr, precision=4, threshold=8, separator=", ")
        tail = "" if self.tail == 0.1 else f", tail={self.tail}"
        return f"Discrete({source}={shown}, samples={self.samples}{tail})"

    def roles(self) -> Roles:
        """The risk is the total-variation distance to the real distribution: the NLL is infinite
        as soon as a real atom is missing, which already happens at iteration 1 with positive
        probability, so its mean is infinite under every paradigm and every risk definition
        would answer yes for that reason alone. Every real atom is a mode."""
        tv = metric("tv_to_real")
        return Roles(
            risk=tv,
            excess_risk=tv,
            diversity=metric("entropy"),
            modes=Modes(
                "count",
                metric("support_size"),
                real=int(np.count_nonzero(self.weights > 0)),
                unit="atoms",
                description="atoms with positive mass",
            ),
            tails=Tails(
                metric("tail_mass"),
                real=metric("tail_mass"),
                region=f"the rarest real atoms holding {self.tail} of the mass",
            ),
            hallucination=Never("resampling never creates an atom outside the real support"),
            level_set=NotApplicable("no level-set mass is recorded for this setting"),
            resize=(
                Resize(lambda n: Discrete(weights=self.weights, samples=n, tail=self.tail), 2)
                if self.counts is None
                else NotApplicable("the real data are given, so the sample size cannot vary")
            ),
        )

    def _expected_curve(
        self, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], str]:
        from ..theory import discrete

        return discrete.expected_curve(self, paradigm, metric, grid)

    # -- the kernel interface used by simulate / collapse_times ---------------------------------

    def _paradigm_args(self, paradigm: Paradigm) -> _core.Paradigm:
        """The kernel's name and item count for `paradigm`, checked against this setting."""
        return kernel_paradigm(paradigm, self.real_size, self.samples, unit="items")

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """About how many bytes one replicate holds while it runs (arrays over the atoms)."""
        return 8 * 6 * self.atoms

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        single_method(self, method)
        kernel = self._paradigm_args(paradigm)
        args = (self.weights, self.counts, self.samples, self.tail, kernel)
        return run.shape(_core.simulate_discrete(*args, run))

    def _collapse_times(
        self, paradigm: Paradigm, max_iterations: int | None, run: KernelRun
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Collapse times of the replicates `run` names (its metrics and recording unused)."""
        kernel = self._paradigm_args(paradigm)
        return _core.collapse_times_discrete(
            self.weights, self.counts, self.samples, kernel, max_iterations, run
        )
