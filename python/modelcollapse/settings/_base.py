"""The `Setting` base: what every setting offers the engine, the theory and the definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from ._common import readonly

if TYPE_CHECKING:
    from ..paradigms import Paradigm
    from ..roles import Roles
    from ._common import KernelRun


class Setting:
    """A model family, its real (generation-0) distribution, its fit rule and the sample size
    per generation (DESIGN §3).

    A setting knows its metrics (``metric_names``), how to run its kernel (``_simulate``),
    what its metrics mean (``roles()``, read by `modelcollapse.definitions`) and, where exact
    results are known, its expected curves (``_expected_curve``, behind
    ``mc.theory.expected_curve``). Settings are immutable; unpickled arrays are made contiguous,
    aligned and read-only again (Dask's serialisation hands over arrays at unaligned offsets,
    which the Rust kernels cannot take).
    """

    samples: int
    metric_names: tuple[str, ...]
    #: (iterations, replicates) `mc.profile` runs by default: well under a minute on 2 cores.
    profile_defaults: ClassVar[tuple[int, int]] = (200, 2000)

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                value = readonly(value)
            object.__setattr__(self, name, value)

    @property
    def default_metrics(self) -> tuple[str, ...]:
        """What `simulate` and `sweep` record when ``metrics=`` is not given: every metric but
        those far costlier than the rest (recorded when asked for)."""
        return tuple(self.metric_names)

    def roles(self) -> Roles:
        """What the recorded metrics mean for the eight definitions (see `modelcollapse.roles`)."""
        raise NotImplementedError(f"{type(self).__name__} declares no roles")

    def _expected_curve(
        self, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], str]:
        """The exact E[metric] at the iterations `grid` and a line saying what it is; a
        ValueError naming what is supported where no exact result is known for this paradigm
        or metric. A family without exact theory leaves it unimplemented."""
        raise NotImplementedError

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """About how many bytes one replicate holds while it runs."""
        raise NotImplementedError

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        """The kernel's metrics as (replicates, metrics, recorded iterations)."""
        raise NotImplementedError
