"""Statistical assertions shared by the tests: simulated means against exact values, with
tolerances of Z standard errors."""

from __future__ import annotations

import numpy as np

#: Tolerance in standard errors.
Z = 4.5


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def assert_mean(x: np.ndarray, expected: float, what: str) -> None:
    """The mean of `x` lies within Z standard errors of `expected`."""
    m, se = mean_se(x)
    assert abs(m - expected) <= Z * se, (
        f"{what}: mean {m:.5g} vs exact {expected:.5g} (SE {se:.3g})"
    )
