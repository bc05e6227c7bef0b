"""Helpers shared by the settings."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

ProgressCallback = Callable[[int], object]

#: The ways to draw a generation: "auto" picks the exact sufficient-statistic path where one
#: exists, else samples.
METHODS = ("auto", "statistics", "samples")


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def readonly(a: np.ndarray) -> np.ndarray:
    """A C-contiguous, read-only copy-or-view of `a` (settings are immutable)."""
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def single_method(setting: object, method: str) -> None:
    """Refuse a method choice for settings that have a single exact way to draw a generation."""
    if method != "auto":
        raise ValueError(
            f"method must be 'auto' for {type(setting).__name__}: it has a single exact way to "
            f"draw a generation, got {method!r}"
        )
