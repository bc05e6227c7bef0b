"""The recursion behind the expected curves of pooled (Accumulate) fits.

Under Accumulate a fit's expected spread x_t (E tr S_t for a Gaussian, E sigma_t^2 for a
regression's noise) shrinks by a factor per generation, and its mean's expected squared drift y_t
gains a term proportional to the previous spread:

    x_t = x_{t-1} (1 - s(t)),    y_t = y_{t-1} + g(t) x_{t-1}    (t >= 2).

`pooled_recursion` evaluates it at any iterations, vectorised over chunks of generations (a
horizon of 10^6 takes a few hundredths of a second). s(t) falls like 1/t^2, below the rounding
of 1 - s(t) within 10^8 generations, so the product is kept as a sum of log1p(-s(t)); each
chunk's terms are summed from zero before they join the running totals, so the rounding error of
the totals grows with the number of chunks, not of generations.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

#: Longest horizon the recursion runs to (about two seconds).
MAX_RECURSION = 10**8
#: Generations per vectorised chunk.
CHUNK = 2**18

Terms = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]


def pooled_recursion(
    x1: float,
    y1: float,
    shrink: Terms,
    increment: Terms,
    times: npt.NDArray[np.int64],
    what: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(x_t, y_t) at `times` (each >= 1) from (x_1, y_1) and the recursion above; `shrink` and
    `increment` map an array of generations t (as floats) to s(t) in [0, 1) and g(t). `what`
    names the curve in the error raised beyond `MAX_RECURSION`."""
    xs, ys = np.full(times.shape, float(x1)), np.full(times.shape, float(y1))
    horizon = int(times.max()) if times.size else 0
    if horizon > MAX_RECURSION:
        raise ValueError(
            f"{what} is computed by an exact recursion over generations, up to iteration "
            f"{MAX_RECURSION:,}; got {horizon:,}"
        )
    log_x, y = math.log(x1) if x1 > 0 else -math.inf, float(y1)
    for start in range(2, horizon + 1, CHUNK):
        stop = min(start + CHUNK, horizon + 1)
        t = np.arange(start, stop, dtype=np.float64)
        log_chunk = log_x + np.cumsum(np.log1p(-shrink(t)))
        x_chunk = np.exp(log_chunk)
        previous = np.concatenate(([math.exp(log_x)], x_chunk[:-1]))
        y_chunk = y + np.cumsum(increment(t) * previous)
        inside = (times >= start) & (times < stop)
        xs[inside] = x_chunk[times[inside] - start]
        ys[inside] = y_chunk[times[inside] - start]
        log_x, y = float(log_chunk[-1]), float(y_chunk[-1])
    return xs, ys
