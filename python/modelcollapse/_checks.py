"""Argument checks shared by the public API: each raises TypeError/ValueError naming the argument
and the allowed range, so that bad input never reaches the Rust core."""

from __future__ import annotations

import math
import numbers
import operator
from concurrent.futures import Executor
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
    open_high: bool = False,
) -> float:
    """`value` as a finite float in [minimum, maximum] (open at either end with open_low or
    open_high)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond float's range
        value = math.inf if value > 0 else -math.inf
    low_ok = value > minimum if open_low else value >= minimum
    high_ok = value < maximum if open_high else value <= maximum
    if not (math.isfinite(value) and low_ok and high_ok):
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise ValueError(f"{name} must lie in {left}{minimum}, {maximum}{right}, got {value}")
    return value


def optional_threads(threads: Any) -> int | None:
    """`threads`: None (rayon's default: RAYON_NUM_THREADS or the core count) or
    1..``_core.MAX_THREADS`` (1024)."""
    if threads is None:
        return None
    from . import _core

    return integer("threads", threads, minimum=1, maximum=_core.MAX_THREADS)


def optional_workers(workers: Any) -> int | None:
    """`workers` (an `mc.Model`'s processes): None (one per core) or 1..1024."""
    if workers is None:
        return None
    return integer("workers", workers, minimum=1, maximum=1024)


def optional_executor(executor: Any) -> Executor | None:
    """`executor`: None or a ``concurrent.futures.Executor``."""
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor or None, got {executor!r}")
    return executor


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


def flag(name: str, value: Any) -> bool:
    """`value`, True or False (not merely truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def array(name: str, value: Any) -> np.ndarray:
    """`value` as a numpy array; ragged nesting and the like raise ValueError naming `name`."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a rectangular array of numbers: {err}") from None
    except MemoryError:  # e.g. range(2**62)
        raise ValueError(f"{name} is too large to hold in memory") from None


#: Largest magnitude of a location or scale (data, means, bandwidths, standard deviations): its
#: square, summed over many points, stays far from float64's overflow at 1.8e308.
MAX_MAGNITUDE = 1e100


def real_array(
    name: str, value: Any, *, ndims: tuple[int, ...], bound: float | None = None
) -> np.ndarray:
    """`value` as a finite float64 array with one of the dimension counts `ndims` (and entries
    in [-bound, bound] if given). Integer and float dtypes are real; bool, complex, datetimes,
    strings and objects are not."""
    arr = array(name, value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        shapes = " or ".join(("a scalar", "1-D", "2-D")[n] for n in ndims)
        raise ValueError(f"{name} must be {shapes}, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if bound is not None and arr.size and np.abs(arr).max() > bound:
        raise ValueError(
            f"{name} must lie in [-{bound:g}, {bound:g}], got an entry of {np.abs(arr).max():g}"
        )
    return arr
