"""Runs logged elsewhere (an LLM's test loss per generation and seed, a diffusion model's FID),
read for the eight definitions and the profile.

A logged run is a tidy frame: one row per (replicate, iteration[, paradigm][, size]) with metric
columns, and roles that say which column means what. Iteration 1 is the model trained on real
data only, as in every simulated run; iteration 0, when logged, is the real distribution itself
(e.g. the real data's own diversity). A log that counts the real-data-only model as generation 0
maps onto this by adding 1: ``frame.assign(generation=frame.generation + 1)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .roles import ROLE_NAMES, Quantity, Roles, Tails, roles_from_mapping

__all__ = ["ROLE_NAMES", "LoggedRun", "read_runs"]


@dataclass(frozen=True, eq=False)
class LoggedRun:
    """A logged run: ``metrics`` over (replicate, iteration) and the ``roles`` that say what they
    mean, for every function in `modelcollapse.definitions`. Read with a size column, ``by_size``
    maps each training-set size to its run (Definition 5 reads them all), and ``metrics`` is the
    largest size's."""

    metrics: xr.Dataset
    roles: Roles
    paradigm: str | None = None
    size: int | None = None
    by_size: dict[int, LoggedRun] | None = field(default=None, repr=False)

    def to_pandas(self) -> pd.DataFrame:
        """A tidy frame: one row per (replicate, iteration), one column per metric."""
        return self.metrics.to_dataframe().reset_index()


def _frame(source: Any) -> pd.DataFrame:
    """`source` as a DataFrame: a DataFrame, or a CSV or Parquet path."""
    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "source must be a pandas DataFrame or the path of a .csv or .parquet file, got "
            f"{type(source).__name__}"
        )
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ValueError(f"source must be a .csv or .parquet file, got {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(f"source: no such file {str(path)!r}")
    return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)


def _column(frame: pd.DataFrame, what: str, column: Any) -> str:
    """`column` checked to name a column of `frame` (`what` says which argument named it)."""
    if not isinstance(column, str):
        raise TypeError(f"{what} must be a column name (str), got {type(column).__name__}")
    if column not in frame.columns:
        listed = ", ".join(map(str, frame.columns))
        raise ValueError(f"{what}: no column {column!r} in the frame; its columns: {listed}")
    return column


def _where(frame: pd.DataFrame, mask: Any, keys: list[str], limit: int = 3) -> str:
    """The first rows where `mask` holds, as 'key=value, ...' (for messages)."""
    rows = frame.loc[mask, keys].head(limit).to_dict("records")
    shown = "; ".join(
        ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in row.items())
        for row in rows
    )
    more = int(np.count_nonzero(mask)) - len(rows)
    return shown + (f"; and {more:,} more" if more > 0 else "")


def _metric_values(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """The metric columns as float64: refuses non-numeric values and NaN, naming where."""
    out = {}
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if frame[col].dtype == bool:
            raise ValueError(f"column {col!r} must hold numbers, got booleans")
        if bad.any():
            raise ValueError(
                f"column {col!r} must hold numbers, got {frame.loc[bad, col].iloc[0]!r} in "
                f"{int(bad.sum()):,} row(s), at {_where(frame, bad.to_numpy(), keys)}"
            )
        missing = values.isna()
        if missing.any():
            raise ValueError(
                f"column {col!r} has {int(missing.sum()):,} missing (NaN) value(s), at "
                f"{_where(frame, missing, keys)}; drop those rows or replicates first"
            )
        out[col] = values.astype(np.float64)
    return pd.DataFrame(out, index=frame.index)


def _one_run(
    frame: pd.DataFrame, roles: Roles, replicate: str, iteration: str, what: str
) -> xr.Dataset:
    """One paradigm's (and size's) rows as a Dataset over (replicate, iteration)."""
    keys = [replicate, iteration]
    columns = roles.needs()
    values = _metric_values(frame, columns, keys)
    for col in roles.risk.needs:
        inf = ~np.isfinite(values[col])
        if inf.any():
            raise ValueError(
                f"{what}: the risk column {col!r} is infinite in {int(inf.sum()):,} row(s), at "
                f"{_where(frame, inf.to_numpy(), keys)}"
            )
    reps = pd.unique(frame[replicate])
    if reps.size < 2:
        raise ValueError(
            f"{what}: the definitions need at least 2 replicates (column {replicate!r}), got "
            f"{reps.size}"
        )
    table = values.set_axis(pd.MultiIndex.from_frame(frame[keys]), axis=0)
    full = pd.MultiIndex.from_product([reps, np.sort(pd.unique(frame[iteration]))], names=keys)
    if len(table) != len(full):
        present = set(table.index)
        absent = [k for k in full if k not in present]
        listed = "; ".join(f"{replicate}={r!r}, {iteration}={i}" for r, i in absent[:3])
        raise ValueError(
            f"{what}: {len(absent):,} (replicate, iteration) row(s) are missing, e.g. {listed}"
            f"{'' if len(absent) <= 3 else '; ...'}: every replicate must record the same "
            "iterations (drop the replicates that stopped early, or keep the iterations all have)"
        )
    ds = xr.Dataset.from_dataframe(table.reindex(full))
    return ds.rename({replicate: "replicate", iteration: "iteration"})


def read_runs(
    source: Any,
    *,
    roles: Roles | Mapping[str, Any],
    iteration: str = "iteration",
    replicate: str = "replicate",
    paradigm: str | None = None,
    size: str | None = None,
) -> dict[str, LoggedRun]:
    """Read logged runs for the eight definitions and the profile.

    Parameters
    ----------
    source
        A tidy pandas DataFrame, or the path of a CSV or Parquet file: one row per (replicate,
        iteration[, paradigm][, size]), with metric columns.
    roles
        What the columns mean: a mapping from role names (`ROLE_NAMES`) to columns, e.g.
        ``{"risk": "test_loss", "diversity": "distinct_2"}``, or a `modelcollapse.roles.Roles`
        (a setting's own, ``setting.roles()``, reads a simulated run's ``to_pandas()`` frame).
    iteration, replicate
        The columns holding the generation (iteration 1 is the model trained on real data only;
        iteration 0, if present, the real distribution) and the replicate (seed) label.
    paradigm
        A column whose values label runs of different paradigms (e.g. "replace", "accumulate").
    size
        A column holding the training-set size of each model: runs at several sizes give
        Definition 5's scaling law.

    Returns
    -------
    dict
        Paradigm label -> `LoggedRun`; the single key is ``"run"`` without a paradigm column.
    """
    frame = _frame(source)
    replicate = _column(frame, "replicate", replicate)
    iteration = _column(frame, "iteration", iteration)
    groups = [
        _column(frame, name, col)
        for name, col in (("paradigm", paradigm), ("size", size))
        if col is not None
    ]
    if isinstance(roles, Roles):
        parsed = roles
        for col in parsed.needs():
            _column(frame, "roles", col)
    elif isinstance(roles, Mapping):
        parsed = roles_from_mapping(roles, lambda what, name: _column(frame, what, name))
    else:
        raise TypeError(
            f"roles must map role names to columns, or be a Roles, got {type(roles).__name__}"
        )
    if frame.empty:
        raise ValueError("source holds no rows")
    steps = pd.to_numeric(frame[iteration], errors="coerce")
    if steps.isna().any() or (steps < 0).any() or (steps != np.floor(steps)).any():
        bad = steps.isna() | (steps < 0) | (steps != np.floor(steps))
        raise ValueError(
            f"iteration column {iteration!r} must hold non-negative integers, got "
            f"{frame.loc[bad, iteration].iloc[0]!r}"
        )
    frame = frame.assign(**{iteration: steps.astype(np.int64)})
    tails = parsed.tails
    if isinstance(tails, Tails) and isinstance(tails.real, Quantity) and (steps != 0).all():
        raise ValueError(
            f"roles: the real tail mass is read from {tails.real.label!r} at iteration 0, which "
            f"column {iteration!r} does not have; give real_tail_mass, the real distribution's "
            "mass on the tail region"
        )
    keys = [*groups, replicate, iteration]
    dup = frame.duplicated(keys)
    if dup.any():
        raise ValueError(
            f"{int(dup.sum()):,} rows repeat the ({', '.join(keys)}) of an earlier row: each "
            f"must appear once, e.g. {_where(frame, dup.to_numpy(), keys, 2)}"
        )
    if size is not None:
        sizes = pd.to_numeric(frame[size], errors="coerce")
        if sizes.isna().any() or (sizes < 1).any() or (sizes != np.floor(sizes)).any():
            raise ValueError(f"size column {size!r} must hold positive integers (training sizes)")
        frame = frame.assign(**{size: sizes.astype(np.int64)})
    out: dict[str, LoggedRun] = {}
    labels = [None] if paradigm is None else list(pd.unique(frame[paradigm]))
    for label in labels:
        rows = frame if label is None else frame[frame[paradigm] == label]
        name = "run" if label is None else str(label)
        what = "the runs" if label is None else f"paradigm {name!r}"
        if size is None:
            out[name] = _logged(rows, parsed, replicate, iteration, what, name, None)
            continue
        by_size = {
            int(n): _logged(
                part, parsed, replicate, iteration, f"{what}, size {int(n)}", name, int(n)
            )
            for n, part in sorted(rows.groupby(size), key=lambda kv: kv[0])
        }
        largest = by_size[max(by_size)]
        out[name] = LoggedRun(largest.metrics, parsed, name, largest.size, by_size)
    return out


def _logged(
    rows: pd.DataFrame,
    roles: Roles,
    replicate: str,
    iteration: str,
    what: str,
    label: str,
    size: int | None,
) -> LoggedRun:
    if not (rows[iteration] == 1).any():
        raise ValueError(
            f"{what}: iteration 1 (the model trained on real data only) is not in column "
            f"{iteration!r}; if the log counts that model as 0, add 1 to the column"
        )
    ds = _one_run(rows, roles, replicate, iteration, what)
    return LoggedRun(ds, roles, label, size)
