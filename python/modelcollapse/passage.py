"""First passages: per replicate, the first recorded iteration at which a metric meets a
condition, as `CollapseTimes` (censored where it never does), so that ``.survival()``,
``.quantile()`` and ``.mean()`` answer questions such as "how long until the rarest atoms are
gone?" in one line::

    run = mc.simulate(setting, mc.Replace(), iterations=500, replicates=1000, rng=0)
    gone = mc.first_passage(run, "tail_mass", ("==", 0))
    gone.quantile(0.5), gone.survival()
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from . import _checks
from .simulate import CollapseTimes

__all__ = ["first_passage"]

#: The comparisons a ``(op, value)`` condition may use.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

Condition = tuple[str, float] | Callable[[npt.NDArray[Any]], npt.ArrayLike]


def _dataset(run: Any) -> xr.Dataset:
    """The metrics of a run (anything with ``.metrics``) or a Dataset, over (replicate,
    iteration) with integer iteration labels."""
    ds = run if isinstance(run, xr.Dataset) else getattr(run, "metrics", None)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(
            "run must be a mc.Run (from mc.simulate), a logged run (from mc.read_runs) or an "
            f"xarray.Dataset over (replicate, iteration), got {type(run).__name__}"
        )
    if set(ds.dims) != {"replicate", "iteration"}:
        raise ValueError(
            f"run's metrics must have dims (replicate, iteration), got {tuple(ds.dims)}"
            + (
                "; select one point of a sweep first, e.g. ds.isel(point=0) or mc.point_run"
                if "point" in ds.dims
                else ""
            )
        )
    if ds["iteration"].dtype.kind not in "iu":
        raise TypeError(f"run's iterations must be integers, got dtype {ds['iteration'].dtype}")
    return ds


def _condition(when: Any) -> tuple[Callable[[npt.NDArray[Any]], Any], str]:
    """`when` as a function of the values array and a description."""
    if isinstance(when, tuple):
        if len(when) != 2 or not isinstance(when[0], str):
            raise TypeError(
                f"when given as a tuple must be (op, value) with op one of {list(OPERATORS)}, "
                f"e.g. ('==', 0) or ('<=', 0.01), got {when!r}"
            )
        op, value = when
        if op not in OPERATORS:
            raise ValueError(f"when: unknown comparison {op!r}; use one of {list(OPERATORS)}")
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"when: the value must be a real number, got {value!r}")
        value = _checks.real("when's value", value, minimum=-math.inf, maximum=math.inf)
        compare = OPERATORS[op]
        return (lambda values: compare(values, value)), f"{op} {value:g}"
    if callable(when):
        return when, getattr(when, "__name__", "when(values)")
    raise TypeError(
        "when must be a callable on the values array (e.g. lambda v: v == 0) or an (op, value) "
        f"tuple with op one of {list(OPERATORS)}, got {when!r}"
    )


def _replicates(labels: npt.NDArray[Any]) -> range | npt.NDArray[Any]:
    """Replicate labels as a range where they are consecutive integers, else as they are."""
    if labels.dtype.kind in "iu" and labels.size and np.all(np.diff(labels) == 1):
        return range(int(labels[0]), int(labels[-1]) + 1)
    return labels


def first_passage(run: Any, metric: str, when: Condition, *, start: int = 1) -> CollapseTimes:
    """Per replicate, the first recorded iteration (from ``start`` on) at which ``metric``
    meets the condition ``when``.

    Parameters
    ----------
    run
        A `mc.Run` (from `mc.simulate`), a logged run (from `mc.read_runs`), or any object with
        a ``metrics`` Dataset over (replicate, iteration); an ``xarray.Dataset`` itself too
        (e.g. one point of a sweep, ``ds.isel(point=0)``).
    metric
        The name of one of the run's metrics, e.g. ``"tail_mass"``.
    when
        The condition: an ``(op, value)`` tuple with ``op`` one of ``"=="``, ``"!="``,
        ``"<"``, ``"<="``, ``">"``, ``">="`` (e.g. ``("==", 0)``: the rarest atoms are gone;
        ``("<=", 0.01)``), or a callable that takes the values as a float array of shape
        (replicates, iterations) and returns a boolean array of that shape (e.g.
        ``lambda v: v == 0``, or ``lambda v: np.isclose(v, 0)``). NaN never meets a tuple
        condition.
    start
        The first iteration considered: 1 (the default) is the first model, fit to real data
        alone; 0 also counts the real distribution (as `mc.collapse_times` does).

    Returns
    -------
    CollapseTimes
        ``times`` holds iteration labels, not positions: under ``stride=`` a passage is seen at
        the first *recorded* iteration at or after it, so a time is an upper bound, exact to
        the stride. Replicates that never meet the condition are ``censored`` at
        ``max_iterations``, the run's last recorded iteration. ``attrs`` records the metric,
        the condition and the run's attributes; ``replicates`` is a range of replicate indices
        (or the logged run's replicate labels).
    """
    ds = _dataset(run)
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name (str), got {metric!r}")
    names = [str(name) for name in ds.data_vars]
    if metric not in names:
        raise ValueError(f"metric: unknown metric {metric!r}; this run has: {', '.join(names)}")
    test, description = _condition(when)
    start = _checks.integer("start", start, minimum=0)
    if not bool(ds.indexes["iteration"].is_monotonic_increasing):
        ds = ds.sortby("iteration")
    iterations = np.asarray(ds["iteration"].values, dtype=np.int64)
    if iterations.size == 0 or iterations[-1] < start:
        last = "none" if iterations.size == 0 else int(iterations[-1])
        raise ValueError(
            f"the run records no iteration at or after start={start} (its last is {last})"
        )
    keep = iterations >= start
    values = ds[metric].transpose("replicate", "iteration").values[:, keep]
    hit = np.asarray(test(values))
    if hit.shape != values.shape:
        raise ValueError(
            f"when must return an array of the values' shape {values.shape} (replicates, "
            f"iterations), got shape {hit.shape}"
        )
    if hit.dtype != np.bool_:
        raise TypeError(f"when must return booleans, got dtype {hit.dtype}")
    labels = iterations[keep]
    met = hit.any(axis=1)
    last = int(labels[-1])
    times = np.where(met, labels[hit.argmax(axis=1)], last).astype(np.int64)
    attrs = {
        **{str(k): v for k, v in ds.attrs.items()},
        "metric": metric,
        "when": description,
        "start": start,
        "event": f"met {metric} {description}",
    }
    return CollapseTimes(
        times=times,
        censored=np.logical_not(met),
        max_iterations=last,
        replicates=_replicates(np.asarray(ds["replicate"].values)),
        attrs=attrs,
    )
