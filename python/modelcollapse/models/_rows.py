"""Checks on the rows a researcher's model and data hand the loop: the real and test rows once,
every synthetic sample and every metric value as they come, each error naming where it came from
(the argument, or the replicate and generation)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

#: dtype kinds rows may have: booleans, integers, unsigned integers, floats.
NUMERIC = "biuf"


class ModelError(RuntimeError):
    """A researcher's ``fit``, ``sample``, metric or data callable raised: the message names which
    one, the replicate and the generation; the original exception is its ``__cause__`` (in a
    worker process: the remote traceback)."""


def where(replicate: int, generation: int) -> str:
    return f"generation {generation} of replicate {replicate}"


def data_rows(name: str, value: Any, *, replicate: int | None = None) -> np.ndarray:
    """Real or test data as a read-only array of at least one row of numbers, all finite."""
    at = "" if replicate is None else f" (drawn for replicate {replicate})"
    try:
        rows = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name}{at} must be an array of rows, got {exc}") from None
    if rows.ndim == 0 or rows.shape[0] == 0:
        raise ValueError(
            f"{name}{at} must be an array of rows with at least one row, shape (n, ...), got "
            f"shape {rows.shape}"
        )
    if rows.dtype.kind not in NUMERIC:
        raise TypeError(
            f"{name}{at} must hold numbers (bool, int or float), got dtype {rows.dtype}"
        )
    if rows.dtype.kind == "f":
        bad = ~np.isfinite(rows)
        if bad.any():
            first = np.argwhere(bad)[0].tolist()
            raise ValueError(
                f"{name}{at} holds {int(bad.sum()):,} NaN or infinite value(s), the first at "
                f"index {tuple(first)}"
            )
    rows = np.array(rows, order="C", copy=True)  # the caller's array may change later
    rows.flags.writeable = False
    return rows


def synthetic_rows(
    got: Any, count: int, like: np.ndarray, replicate: int, generation: int
) -> np.ndarray:
    """What ``sample(model, count, rng)`` returned, checked: ``count`` rows shaped and typed like
    the real rows ``like`` (a safe cast within the same kind is made), all finite."""
    expected = (count, *like.shape[1:])
    what = f"sample(model, {count}, rng) at {where(replicate, generation)}"
    try:
        rows = np.asarray(got)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} must return an array of rows, got {exc}") from None
    if rows.shape != expected:
        raise ValueError(
            f"{what} returned shape {rows.shape}; it must return {count} rows shaped like the "
            f"real rows, shape {expected}"
        )
    if rows.dtype != like.dtype:
        if rows.dtype.kind not in NUMERIC or not np.can_cast(rows.dtype, like.dtype, "same_kind"):
            raise TypeError(
                f"{what} returned dtype {rows.dtype}; the real rows are {like.dtype}, and the "
                f"synthetic rows must be of that kind (a {like.dtype} array)"
            )
        cast = rows.astype(like.dtype)
        if like.dtype.kind in "biu" and not np.array_equal(cast, rows):
            raise ValueError(
                f"{what} returned {rows.dtype} values that {like.dtype}, the real rows' dtype, "
                f"cannot hold (e.g. {rows[cast != rows].flat[0]!r})"
            )
        rows = cast
    if rows.dtype.kind == "f":
        bad = ~np.isfinite(rows)
        if bad.any():
            raise ValueError(
                f"{what} returned {int(bad.sum()):,} NaN or infinite value(s), the first in row "
                f"{int(np.argwhere(bad)[0][0])}"
            )
    return rows


def metric_value(value: Any, name: str, replicate: int, generation: int) -> float:
    """A metric's return value as a float: a real number (numpy scalars and 0-d arrays too);
    infinite values are kept, NaN is refused."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"metric {name!r} at {where(replicate, generation)} returned "
            f"{type(value).__name__} {str(value)[:60]!r}; a metric returns a real number"
        )
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise ValueError(
            f"metric {name!r} at {where(replicate, generation)} returned an integer too large "
            "for a float"
        ) from None
    if math.isnan(number):
        raise ValueError(
            f"metric {name!r} at {where(replicate, generation)} returned NaN; a metric returns "
            "a real number (infinite values are allowed)"
        )
    return number
