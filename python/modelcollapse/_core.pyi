"""The compiled core. Users call the `modelcollapse` package; these signatures are internal."""

from typing import final

import numpy as np
import numpy.typing as npt

from modelcollapse.settings._common import KernelRun

__all__ = [
    "DISCRETE_MAX_SAMPLES",
    "GAUSSIAN_MAX_DIM",
    "GAUSSIAN_MAX_SAMPLES",
    "KDE_MAX_SAMPLES",
    "KDE_RESOLUTION",
    "MAX_THREADS",
    "REGRESSION_MAX_DIM",
    "REGRESSION_MAX_SAMPLES",
    "Paradigm",
    "__version__",
    "collapse_times_discrete",
    "conditional_binomials",
    "discrete_metric_names",
    "gaussian_metric_names",
    "kde_metric_names",
    "regression_metric_names",
    "simulate_discrete",
    "simulate_gaussian",
    "simulate_kde",
    "simulate_regression",
]

__version__: str
MAX_THREADS: int
DISCRETE_MAX_SAMPLES: int
GAUSSIAN_MAX_DIM: int
GAUSSIAN_MAX_SAMPLES: int
REGRESSION_MAX_DIM: int
REGRESSION_MAX_SAMPLES: int
KDE_MAX_SAMPLES: int
KDE_RESOLUTION: float

@final
class Paradigm:
    """A paradigm as the kernels take it: its kind and item count."""

    @staticmethod
    def replace() -> Paradigm: ...
    @staticmethod
    def accumulate(per_generation: int) -> Paradigm: ...
    @staticmethod
    def accumulate_subsample(size: int) -> Paradigm: ...
    @staticmethod
    def mix_real(real_per_generation: int) -> Paradigm: ...
    @staticmethod
    def fresh_real(real_per_generation: int, weight: float | None = None) -> Paradigm: ...
    @property
    def count(self) -> int: ...

def simulate_discrete(
    weights: npt.NDArray[np.float64],
    counts: npt.NDArray[np.uint64] | None,
    samples: int,
    tail: float,
    paradigm: Paradigm,
    run: KernelRun,
) -> npt.NDArray[np.float64]: ...
def collapse_times_discrete(
    weights: npt.NDArray[np.float64],
    counts: npt.NDArray[np.uint64] | None,
    samples: int,
    paradigm: Paradigm,
    max_iterations: int | None,
    run: KernelRun,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]: ...
def discrete_metric_names() -> list[str]: ...
def conditional_binomials(
    n_left: npt.NDArray[np.uint64],
    mass: npt.NDArray[np.uint64],
    mass_left: npt.NDArray[np.uint64],
    key_words: tuple[int, int, int, int],
) -> npt.NDArray[np.uint64]: ...
def simulate_gaussian(
    mean: npt.NDArray[np.float64],
    cov: npt.NDArray[np.float64],
    samples: int,
    estimator_name: str,
    tail_radius2: float,
    hallucination_radius2: float,
    data: npt.NDArray[np.float64] | None,
    paradigm: Paradigm,
    method_name: str,
    run: KernelRun,
) -> npt.NDArray[np.float64]: ...
def gaussian_metric_names() -> list[str]: ...
def simulate_regression(
    beta: npt.NDArray[np.float64],
    samples: int,
    noise: float,
    design: npt.NDArray[np.float64] | None,
    noise_model: str,
    paradigm: Paradigm,
    method_name: str,
    run: KernelRun,
) -> npt.NDArray[np.float64]: ...
def regression_metric_names() -> list[str]: ...
def simulate_kde(
    mixture: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    | None,
    data: npt.NDArray[np.float64] | None,
    test: npt.NDArray[np.float64] | None,
    test_size: int,
    bandwidth: float,
    samples: int,
    tail: float,
    tail_interval: tuple[float, float],
    paradigm: Paradigm,
    run: KernelRun,
) -> npt.NDArray[np.float64]: ...
def kde_metric_names() -> list[str]: ...
