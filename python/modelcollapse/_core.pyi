"""The compiled core. Users call the `modelcollapse` package; these signatures are internal."""

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "__version__",
    "collapse_times_discrete",
    "discrete_metric_names",
    "simulate_discrete",
]

__version__: str

def simulate_discrete(
    weights: npt.NDArray[np.float64],
    counts: npt.NDArray[np.uint64] | None,
    samples: int,
    tail: float,
    paradigm_name: str,
    paradigm_value: int,
    metrics: Sequence[str],
    iterations: int,
    stride: int,
    key: tuple[int, int, int, int],
    first: int,
    replicates: int,
    threads: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> npt.NDArray[np.float64]: ...
def collapse_times_discrete(
    weights: npt.NDArray[np.float64],
    counts: npt.NDArray[np.uint64] | None,
    samples: int,
    paradigm_name: str,
    paradigm_value: int,
    max_iterations: int | None,
    key: tuple[int, int, int, int],
    first: int,
    replicates: int,
    threads: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]: ...
def discrete_metric_names() -> list[str]: ...
