"""Argument checks shared by the public API: each raises TypeError/ValueError naming the argument
and the allowed range, so that bad input never reaches the Rust core."""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy as np


def integer(name: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """`value` as a Python int in [minimum, maximum]; bools and floats are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        kind = type(value).__name__
        raise TypeError(f"{name} must be an integer, got {kind} {value!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "inf" if maximum is None else f"{maximum:,}"
        raise ValueError(f"{name} must lie in [{minimum:,}, {upper}], got {value:,}")
    return value


def real(
    name: str,
    value: Any,
    *,
    minimum: float = -math.inf,
    maximum: float = math.inf,
    open_low: bool = False,
) -> float:
    """`value` as a finite float in [minimum, maximum] (or (minimum, maximum] with open_low)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    low_ok = value > minimum if open_low else value >= minimum
    if not (math.isfinite(value) and low_ok and value <= maximum):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must lie in {bracket}{minimum}, {maximum}], got {value}")
    return value


def optional_threads(threads: Any) -> int | None:
    """`threads`: None (rayon's default: RAYON_NUM_THREADS or the core count) or 1..1024."""
    if threads is None:
        return None
    return integer("threads", threads, minimum=1, maximum=1024)


def progress_mode(progress: Any) -> bool | None:
    """`progress`: None (a bar for runs longer than about two seconds), True or False."""
    if progress is None or isinstance(progress, bool):
        return progress
    raise TypeError(f"progress must be None, True or False, got {progress!r}")


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """`value`, one of the strings `options`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {options}, got {value!r}")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def real_array(name: str, value: Any, *, ndims: tuple[int, ...]) -> np.ndarray:
    """`value` as a finite float64 array with one of the dimension counts `ndims`."""
    arr = np.asarray(value)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        shapes = " or ".join(("a scalar", "1-D", "2-D")[n] for n in ndims)
        raise ValueError(f"{name} must be {shapes}, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr
