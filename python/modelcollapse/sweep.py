"""Sweeps: many (setting, paradigm) points, their replicates split into chunks that run as tasks
on any `concurrent.futures.Executor` (in-process by default; a Dask ``Client.get_executor()`` for
a cluster), gathered into one `xarray.Dataset` with a ``point`` dimension (DESIGN §6).

Point i of a sweep seeded with ``rng`` draws from ``SeedSequence(rng).spawn(...)[i]``, and each of
its replicates from that point's stream for the replicate's index, so the result does not depend
on the executor, the chunk size or the number of workers.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from . import _checks
from ._checkpoint import ChunkStore, describe
from ._progress import Progress
from ._rng import RNGLike, seed_sequence
from .paradigms import Paradigm, check_paradigm
from .settings import Setting, check_setting
from .simulate import _memory_limit, _metric_list, _version, simulate

__all__ = ["Point", "grid", "sweep"]


@dataclass(frozen=True)
class Point:
    """One point of a sweep: a setting, a paradigm, and ``labels`` that become the point's
    coordinates in the result (e.g. ``{"n": 100}``)."""

    setting: Setting
    paradigm: Paradigm
    labels: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_setting(self.setting)
        check_paradigm(self.paradigm)
        object.__setattr__(self, "labels", _check_labels(self.labels))


#: Names of the result's own dimensions and coordinates, which labels may not take.
RESERVED = ("point", "replicate", "iteration", "setting_repr", "paradigm_repr")


def _check_labels(labels: Any) -> dict[str, Any]:
    """`labels` as a dict of string names (not a reserved one) to scalar values."""
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a mapping of names to values, got {labels!r}")
    for key, value in labels.items():
        if not isinstance(key, str):
            raise TypeError(f"labels must have string names, got {key!r}")
        if key in RESERVED:
            raise ValueError(f"labels may not be named {key!r}: the result uses {RESERVED}")
        if np.ndim(value) != 0:
            raise TypeError(f"labels must have scalar values, got {key}={value!r}")
    return dict(labels)


def grid(settings: Mapping[str, Setting], paradigms: Sequence[Paradigm]) -> list[Point]:
    """The product of named settings and paradigms, labelled ``setting`` and ``paradigm``."""
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a mapping of names to settings, got {settings!r}")
    if isinstance(paradigms, (str, bytes)) or not isinstance(paradigms, Iterable):
        raise TypeError(f"paradigms must be a list of paradigms, got {paradigms!r}")
    return [
        Point(setting, paradigm, {"setting": name, "paradigm": type(paradigm).__name__})
        for (name, setting), paradigm in itertools.product(settings.items(), paradigms)
    ]


def _run_chunk(
    point: Point,
    seed: np.random.SeedSequence,
    start: int,
    stop: int,
    iterations: int,
    stride: int,
    metrics: Sequence[str] | None,
    threads: int | None,
) -> dict[str, np.ndarray]:
    """One task: replicates start..stop of a point, as plain arrays (picklable, no code)."""
    run = simulate(
        point.setting,
        point.paradigm,
        iterations=iterations,
        replicates=range(start, stop),
        rng=seed,
        metrics=metrics,
        stride=stride,
        threads=threads,
        progress=False,
    )
    # views of simulate's one (replicate, metric, iteration) buffer, not copies (only an integer
    # column such as support_size is converted); a view pickles just its own values
    return {
        name: np.asarray(run.metrics[name].values, dtype=np.float64)
        for name in run.metrics.data_vars
    }


def sweep(
    points: Iterable[Point | tuple[Any, ...]],
    *,
    replicates: int,
    iterations: int,
    rng: RNGLike = None,
    metrics: Sequence[str] | None = None,
    stride: int = 1,
    chunk: int | None = None,
    executor: Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Run every point's replicates in chunks on ``executor`` and gather one Dataset with dims
    (point, replicate, iteration); coordinates along ``point`` are each point's labels and the
    reprs ``setting_repr`` and ``paradigm_repr``.

    ``points`` are `Point` objects or ``(setting, paradigm[, labels])`` tuples (see `grid`).
    ``metrics`` names metrics to record wherever a point's setting has them (default: all of each
    setting's); a metric a point's setting lacks is NaN there. ``chunk`` is the replicates per
    task (default: a quarter of a point's replicates, at least 1). ``executor`` is any
    `concurrent.futures.Executor` (default: in-process, one chunk after another, each on the Rust
    thread pool); ``dask.distributed.Client(...).get_executor()`` runs the chunks on a cluster.
    The result is bit-identical for any executor, chunk and worker count.

    ``checkpoint`` is a directory: each finished chunk is written there as a Parquet file as it
    completes, beside ``sweep.json`` naming the sweep's arguments and library version. A rerun
    with the same arguments reads the finished chunks back and computes only the others, giving
    the same result as an uninterrupted run; a rerun with different arguments is refused with a
    ``ValueError``. A killed sweep loses only the chunks in flight. Checkpoints need a fixed
    ``rng`` seed, and a directory serves one sweep process at a time.

    ``progress`` counts finished chunks' replicates, as `simulate`'s does its generations: None
    shows a bar after about two seconds in a terminal and a plain stderr line at most every 30
    seconds elsewhere; True always a bar; False nothing.
    """
    points = [_as_point(p) for p in _non_empty(points)]
    replicates = _checks.integer("replicates", replicates, minimum=1, maximum=2**40)
    iterations = _checks.integer("iterations", iterations, minimum=0, maximum=2**40)
    stride = _checks.integer("stride", stride, minimum=1, maximum=2**40)
    chunk = _checks.integer(
        "chunk", chunk if chunk is not None else max(math.ceil(replicates / 4), 1), minimum=1
    )
    threads = _checks.optional_threads(threads)
    mode = _checks.progress_mode(progress)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor or None, got {executor!r}")
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"checkpoint must be a directory path (str or Path) or None, got {checkpoint!r}"
        )
    if checkpoint is not None and rng is None:
        raise ValueError(
            "checkpoint needs a fixed rng seed (an int or a SeedSequence): with rng=None every "
            "run draws fresh entropy, so a rerun could not continue the sweep"
        )
    root = seed_sequence(rng)
    spawned_before = root.n_children_spawned
    seeds = root.spawn(len(points))
    if metrics is not None:
        # the names every point's settings record, in their order of first appearance
        known = list(dict.fromkeys(m for p in points for m in p.setting.metric_names))
        metrics = _metric_list(known, metrics, "the points' settings")
    names = [_point_metrics(i, point, metrics) for i, point in enumerate(points)]
    recorded = iterations // stride + 1
    _check_result_size(points, names, replicates, recorded)
    store = None
    if checkpoint is not None:
        manifest = {
            "modelcollapse_version": _version(),
            "replicates": replicates,
            "iterations": iterations,
            "stride": stride,
            "chunk": chunk,
            "seed": {
                "entropy": describe(root.entropy),
                "spawn_key": describe(root.spawn_key),
                "children_spawned_before": spawned_before,
            },
            "points": [
                {
                    "setting": describe(p.setting),
                    "paradigm": describe(p.paradigm),
                    "labels": describe(dict(p.labels)),
                    "metrics": names[i],
                }
                for i, p in enumerate(points)
            ],
        }
        store = ChunkStore(checkpoint, manifest)

    # the result's arrays, allocated once; each chunk is written into them as it arrives and
    # then dropped, so a sweep holds its result plus the chunks in flight, never the chunks too
    data = _allocate(points, names, replicates, recorded)
    todo = []
    for i in range(len(points)):
        for start in range(0, replicates, chunk):
            stop = min(start + chunk, replicates)
            known = store.load(i, start, stop, names[i], recorded) if store else None
            if known is not None:
                _place(data, i, start, known)
            else:
                todo.append((i, start, stop))

    def finish(i: int, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        if store is not None:
            store.save(i, start, stop, arrays)
        _place(data, i, start, arrays)

    def task(i: int, start: int, stop: int) -> tuple[Any, ...]:
        return (points[i], seeds[i], start, stop, iterations, stride, names[i], threads)

    # one bar over the chunks, counted in replicates so that tqdm shows replicates per second
    with Progress(mode, sum(stop - start for _, start, stop in todo), "replicate", "sweep") as bar:
        done = 0
        if executor is None:
            for i, start, stop in todo:  # each chunk is saved before the next one starts
                finish(i, start, stop, _run_chunk(*task(i, start, stop)))
                done += stop - start
                bar(done)
        else:
            futures: dict[Future[Any], tuple[int, int, int]] = {}
            try:
                for i, start, stop in todo:
                    futures[executor.submit(_run_chunk, *task(i, start, stop))] = (i, start, stop)
                for future in as_completed(futures):
                    i, start, stop = futures.pop(future)  # a kept future keeps its result alive
                    finish(i, start, stop, future.result())
                    done += stop - start
                    bar(done)
            except BaseException:
                for future in futures:
                    future.cancel()  # chunks not yet started never start
                raise
    return _gather(points, data, replicates, iterations, stride, seeds)


def _non_empty(points: Any) -> list[Any]:
    what = "points must be a non-empty list of mc.Point (see mc.grid)"
    if isinstance(points, (str, bytes, Point)) or not isinstance(points, Iterable):
        raise TypeError(f"{what}, got {points!r}")
    points = list(points)
    if not points:
        raise TypeError(f"{what}, got none")
    return points


def _as_point(point: Any) -> Point:
    """A `Point`, or a (setting, paradigm[, labels]) tuple made into one."""
    if isinstance(point, Point):
        return point
    if isinstance(point, tuple) and len(point) in (2, 3):
        return Point(*point)
    raise TypeError(
        f"each point must be an mc.Point or a (setting, paradigm[, labels]) tuple, got {point!r}"
    )


def _point_metrics(i: int, point: Point, metrics: Sequence[str] | None) -> list[str]:
    """The metrics recorded at point i: the requested ones its setting has (default: all)."""
    if metrics is None:
        return list(point.setting.metric_names)
    names = [m for m in metrics if m in point.setting.metric_names]
    if not names:
        raise ValueError(f"none of metrics={list(metrics)} applies to point {i}")
    return names


def _check_result_size(
    points: list[Point], names: list[list[str]], replicates: int, recorded: int
) -> None:
    """Refuse a sweep whose result would not fit in memory, before any work is done."""
    metrics = len({n for point_names in names for n in point_names})
    size = 8 * len(points) * replicates * recorded * metrics
    if size > _memory_limit():
        raise ValueError(
            f"this sweep's result would take {size / 2**30:,.1f} GiB ({len(points)} points x "
            f"{replicates:,} replicates x {recorded:,} recorded iterations x {metrics} metrics, "
            f"float64), more than the {_memory_limit() / 2**30:,.1f} GiB allowed (half the "
            "memory): record fewer iterations with stride=, fewer metrics with metrics=, or "
            "fewer replicates"
        )


def _allocate(
    points: list[Point], names: list[list[str]], replicates: int, recorded: int
) -> dict[str, np.ndarray]:
    """One (point, replicate, iteration) array per metric recorded at any point; NaN at the
    points whose setting lacks the metric (only those slots are filled here)."""
    data = {}
    for name in sorted({n for point_names in names for n in point_names}):
        data[name] = np.empty((len(points), replicates, recorded))
        for i, point_names in enumerate(names):
            if name not in point_names:
                data[name][i] = np.nan
    return data


def _place(data: dict[str, np.ndarray], i: int, start: int, arrays: dict[str, np.ndarray]) -> None:
    """Write a chunk (replicates start.. of point i) into the result's arrays."""
    for name, values in arrays.items():
        data[name][i, start : start + values.shape[0]] = values


def _gather(
    points: list[Point],
    data: dict[str, np.ndarray],
    replicates: int,
    iterations: int,
    stride: int,
    seeds: list[np.random.SeedSequence],
) -> xr.Dataset:
    coords: dict[str, Any] = {
        "point": np.arange(len(points)),
        "replicate": np.arange(replicates),
        "iteration": np.arange(0, iterations + 1, stride),
        "setting_repr": ("point", [repr(p.setting) for p in points]),
        "paradigm_repr": ("point", [repr(p.paradigm) for p in points]),
    }
    for key in sorted({k for p in points for k in p.labels}):
        coords[key] = ("point", [p.labels.get(key) for p in points])
    attrs = {
        "modelcollapse_version": _version(),
        "seed_entropy": str(seeds[0].entropy),
        "iterations": iterations,
        "stride": stride,
    }
    return xr.Dataset(
        {name: (("point", "replicate", "iteration"), values) for name, values in data.items()},
        coords=coords,
        attrs=attrs,
    )
