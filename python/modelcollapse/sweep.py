"""Sweeps: many (setting, paradigm) points, their replicates split into chunks that run as tasks
on any `concurrent.futures.Executor` (in-process by default; a Dask ``Client.get_executor()`` for
a cluster), gathered into one `xarray.Dataset` with a ``point`` dimension (DESIGN §6).

Point i of a sweep seeded with ``rng`` draws from ``SeedSequence(rng).spawn(...)[i]``, and each of
its replicates from that point's stream for the replicate's index, so the result does not depend
on the executor, the chunk size or the number of workers.

`sweep` records metrics, `sweep_collapse_times` collapse times (both in chunks, on any executor,
with checkpoints); `point_run` and `point_times` hand back one point's `Run` or `CollapseTimes`.
"""

from __future__ import annotations

import itertools
import math
import os
import pickle
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from . import _checks
from ._checkpoint import ChunkStore, describe
from ._progress import Progress
from ._rng import RNGLike, seed_sequence
from .models import Model
from .models._workers import default_workers, snapshot, stop_pool, worker_pool
from .paradigms import Paradigm, Replace, check_paradigm, label, parameters
from .settings import Discrete, Setting, check_setting
from .settings._common import recorded_count, recorded_iterations
from .simulate import (
    CollapseTimes,
    Run,
    _memory_limit,
    _metric_list,
    _version,
    collapse_times,
    simulate,
)

__all__ = ["Point", "grid", "point_run", "point_times", "sweep", "sweep_collapse_times"]


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
#: The variables of a `sweep_collapse_times` result, which labels may not take either.
TIMES = ("time", "censored")


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
    """The product of named settings and paradigms. Each point is labelled ``setting`` (its
    name) and ``paradigm`` (the paradigm's kind with the parameters that differ from their
    defaults, e.g. ``"Replace"``, ``"MixReal(fraction=0.1)"``; see
    `modelcollapse.paradigms.label`), and carries the paradigm's parameters as labels of their
    own (``growth``, ``size``, ``fraction``; NaN in a sweep's result where a point's paradigm
    has no such parameter). So (setting, paradigm) tells the points apart, and a sweep's
    ``point`` dimension unstacks into a table::

        ds = mc.sweep(mc.grid({"n=50": a, "n=100": b}, [mc.MixReal(0.1), mc.MixReal(0.5)]), ...)
        table = ds.set_index(point=["setting", "paradigm"]).unstack("point")
        table.entropy.mean("replicate").sel(iteration=100).to_pandas()  # setting x paradigm
    """
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a mapping of names to settings, got {settings!r}")
    if isinstance(paradigms, (str, bytes)) or not isinstance(paradigms, Iterable):
        raise TypeError(f"paradigms must be a list of paradigms, got {paradigms!r}")
    paradigms = [check_paradigm(p) for p in paradigms]
    labels = [label(p) for p in paradigms]
    twice = sorted({name for name in labels if labels.count(name) > 1})
    if twice:
        raise ValueError(f"paradigms lists the same paradigm more than once: {', '.join(twice)}")
    return [
        Point(
            setting,
            paradigm,
            {"setting": name, "paradigm": label(paradigm), **parameters(paradigm)},
        )
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
    """One task: replicates start..stop of a point, as plain arrays (picklable, no code). An
    `mc.Model`'s chunk runs in the process the task runs in (the sweep's workers)."""
    python = isinstance(point.setting, Model)
    run = simulate(
        point.setting,
        point.paradigm,
        iterations=iterations,
        replicates=range(start, stop),
        rng=seed,
        metrics=metrics,
        stride=stride,
        threads=None if python else threads,
        workers=1 if python else None,
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
    workers: int | None = None,
) -> xr.Dataset:
    """Run every point's replicates in chunks on ``executor`` and gather one Dataset with dims
    (point, replicate, iteration); coordinates along ``point`` are each point's labels and the
    reprs ``setting_repr`` and ``paradigm_repr``.

    ``points`` are `Point` objects or ``(setting, paradigm[, labels])`` tuples (see `grid`).
    Labels are checked before any work: they may not be named like the result's dimensions,
    coordinates or metrics. With `grid`'s labels the ``point`` dimension unstacks into one
    dimension per label::

        points = mc.grid({"D=50": d50, "D=100": d100}, [mc.Replace(), mc.MixReal(0.1)])
        ds = mc.sweep(points, replicates=100, iterations=50, rng=0)
        table = ds.set_index(point=["setting", "paradigm"]).unstack("point")
        table.entropy.mean("replicate").sel(iteration=50).to_pandas()  # setting x paradigm
        run = mc.point_run(ds, points, 3)  # point 3 as a mc.Run (for the definitions)

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

    Points whose setting is an `mc.Model` (Python code) run their chunks in worker processes:
    without an ``executor``, the sweep starts ``workers`` of them (default: one per core) and
    runs every chunk there, stopping them on an error or Ctrl-C.
    """
    points = [_as_point(p) for p in _non_empty(points)]
    iterations = _checks.integer("iterations", iterations, minimum=0, maximum=2**40)
    stride = _checks.integer("stride", stride, minimum=1, maximum=2**40)
    replicates, chunk, threads, mode = _execution(
        replicates, chunk, threads, progress, executor, checkpoint, rng
    )
    root = seed_sequence(rng)
    spawned_before = root.n_children_spawned
    seeds = root.spawn(len(points))
    if metrics is not None:
        # the names every point's settings record, in their order of first appearance
        known = list(dict.fromkeys(m for p in points for m in p.setting.metric_names))
        metrics = _metric_list(known, metrics, "the points' settings")
    names = [_point_metrics(i, point, metrics) for i, point in enumerate(points)]
    _check_label_names(points, {n for point_names in names for n in point_names}, "metric")
    recorded = recorded_count(iterations, stride)
    _check_result_size(points, names, replicates, recorded)
    workers = _checks.optional_workers(workers)
    python = any(isinstance(p.setting, Model) for p in points)
    runs = _snapshots(points, executor, workers)
    store = None
    if checkpoint is not None:
        manifest = {
            "modelcollapse_version": _version(),
            "replicates": replicates,
            "iterations": iterations,
            "stride": stride,
            "chunk": chunk,
            "seed": _seed_manifest(root, spawned_before),
            "points": [{**_point_manifest(p), "metrics": names[i]} for i, p in enumerate(points)],
        }
        store = ChunkStore(checkpoint, manifest)

    # the result's arrays, allocated once; each chunk is written into them as it arrives and
    # then dropped, so a sweep holds its result plus the chunks in flight, never the chunks too
    data = _allocate(points, names, replicates, recorded)

    def load(i: int, start: int, stop: int) -> dict[str, np.ndarray] | None:
        return store.load(i, start, stop, names[i], recorded) if store else None

    def task(i: int, start: int, stop: int) -> tuple[Any, ...]:
        return (runs[i], seeds[i], start, stop, iterations, stride, names[i], threads)

    todo = _pending(len(points), replicates, chunk, data, load)
    if executor is not None or not python or workers == 1 or not todo:
        _execute(_run_chunk, task, todo, data, store, executor, mode, "sweep")
    else:
        pool = worker_pool(min(workers or default_workers(), len(todo)))
        try:
            _execute(_run_chunk, task, todo, data, store, pool, mode, "sweep")
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    return _gather(points, data, replicates, iterations, stride, seeds)


def _snapshots(points: list[Point], executor: Any, workers: int | None) -> list[Point]:
    """The points the tasks run: an `mc.Model` that goes to other processes is pickled once
    here (refused, before any work, if it cannot be), so that every chunk runs that snapshot
    whatever changes later; threads of this process run the model itself."""
    if isinstance(executor, ThreadPoolExecutor) or (executor is None and workers == 1):
        return points
    runs = list(points)
    for i, point in enumerate(points):
        if isinstance(point.setting, Model):
            try:
                frozen = pickle.loads(snapshot(point.setting))
            except TypeError as exc:
                raise TypeError(f"point {i}: {exc}") from None
            runs[i] = Point(frozen, point.paradigm, point.labels)
    return runs


def _pending(
    n_points: int,
    replicates: int,
    chunk: int,
    data: dict[str, np.ndarray],
    load: Any,
) -> list[tuple[int, int, int]]:
    """The chunks (point, start, stop) still to run; those a checkpoint holds (``load`` gives
    them, or None) are written into ``data`` instead."""
    todo = []
    for i in range(n_points):
        for start in range(0, replicates, chunk):
            stop = min(start + chunk, replicates)
            known = load(i, start, stop)
            if known is not None:
                _place(data, i, start, known)
            else:
                todo.append((i, start, stop))
    return todo


def _execute(
    function: Any,
    task: Any,
    todo: list[tuple[int, int, int]],
    data: dict[str, np.ndarray],
    store: ChunkStore | None,
    executor: Executor | None,
    mode: bool | None,
    name: str,
) -> None:
    """Run ``function(*task(i, start, stop))`` for every chunk in ``todo``, in process or on
    ``executor``, and write each result into ``data`` (and the checkpoint) as it arrives."""

    def finish(i: int, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        if store is not None:
            store.save(i, start, stop, arrays)
        _place(data, i, start, arrays)

    # one bar over the chunks, counted in replicates so that tqdm shows replicates per second
    with Progress(mode, sum(stop - start for _, start, stop in todo), "replicate", name) as bar:
        done = 0
        if executor is None:
            for i, start, stop in todo:  # each chunk is saved before the next one starts
                finish(i, start, stop, function(*task(i, start, stop)))
                done += stop - start
                bar(done)
        else:
            futures: dict[Future[Any], tuple[int, int, int]] = {}
            try:
                for i, start, stop in todo:
                    futures[executor.submit(function, *task(i, start, stop))] = (i, start, stop)
                for future in as_completed(futures):
                    i, start, stop = futures.pop(future)  # a kept future keeps its result alive
                    finish(i, start, stop, future.result())
                    done += stop - start
                    bar(done)
            except BaseException:
                for future in futures:
                    future.cancel()  # chunks not yet started never start
                raise


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
    """The metrics recorded at point i: the requested ones its setting has (default: its
    setting's `default_metrics`)."""
    if metrics is None:
        return list(point.setting.default_metrics)
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
    limit = _memory_limit()
    if size > limit:
        raise ValueError(
            f"this sweep's result would take {size / 2**30:,.1f} GiB ({len(points)} points x "
            f"{replicates:,} replicates x {recorded:,} recorded iterations x {metrics} metrics, "
            f"float64), more than the {limit / 2**30:,.1f} GiB allowed (half the "
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
        "iteration": recorded_iterations(iterations, stride),
        "setting_repr": ("point", [repr(p.setting) for p in points]),
        "paradigm_repr": ("point", [repr(p.paradigm) for p in points]),
    }
    coords.update(_label_coords(points))
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


def _execution(
    replicates: Any,
    chunk: Any,
    threads: Any,
    progress: Any,
    executor: Any,
    checkpoint: Any,
    rng: Any,
) -> tuple[int, int, int | None, bool | None]:
    """The arguments `sweep` and `sweep_collapse_times` share, checked: replicates, chunk
    (default: a quarter of the replicates), threads and the progress mode."""
    replicates = _checks.integer("replicates", replicates, minimum=1, maximum=2**40)
    chunk = _checks.integer(
        "chunk", chunk if chunk is not None else max(math.ceil(replicates / 4), 1), minimum=1
    )
    threads = _checks.optional_threads(threads)
    mode = _checks.progress_mode(progress)
    _check_execution(executor, checkpoint, rng)
    return replicates, chunk, threads, mode


def _check_execution(executor: Any, checkpoint: Any, rng: Any) -> None:
    """Refuse an executor that is not one, a checkpoint that is no path, or a checkpoint
    without a fixed seed."""
    _checks.optional_executor(executor)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"checkpoint must be a directory path (str or Path) or None, got {checkpoint!r}"
        )
    if checkpoint is not None and rng is None:
        raise ValueError(
            "checkpoint needs a fixed rng seed (an int or a SeedSequence): with rng=None every "
            "run draws fresh entropy, so a rerun could not continue the sweep"
        )


def _seed_manifest(root: np.random.SeedSequence, spawned_before: int) -> dict[str, Any]:
    return {
        "entropy": describe(root.entropy),
        "spawn_key": describe(root.spawn_key),
        "children_spawned_before": spawned_before,
    }


def _point_manifest(point: Point) -> dict[str, Any]:
    return {
        "setting": describe(point.setting),
        "paradigm": describe(point.paradigm),
        "labels": describe(dict(point.labels)),
    }


def _check_label_names(points: list[Point], taken: Iterable[str], what: str) -> None:
    """Refuse, before any work, a label named like one of the result's variables (``taken``):
    xarray could not hold both."""
    taken = set(taken)
    for i, point in enumerate(points):
        for key in point.labels:
            if key in taken:
                raise ValueError(
                    f"point {i} has a label named {key!r}, like a {what} of the result, which "
                    f"cannot also be a coordinate; rename the label (e.g. {key + '_label'!r})"
                )


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _label_coords(points: list[Point]) -> dict[str, Any]:
    """One coordinate along ``point`` per label name; where a point lacks a numeric label (a
    paradigm without that parameter) it is NaN, a missing label of another kind None."""
    coords: dict[str, Any] = {}
    for key in sorted({k for p in points for k in p.labels}):
        present = [p.labels[key] for p in points if key in p.labels]
        if len(present) < len(points) and all(_is_real(v) for v in present):
            coords[key] = ("point", [float(p.labels.get(key, np.nan)) for p in points])
        else:
            coords[key] = ("point", [p.labels.get(key) for p in points])
    return coords


def _sweep_points(dataset: Any, points: Any, point: Any, what: str) -> tuple[Point, int]:
    """Point number ``point`` of a sweep's result, checked against the points it ran."""
    if not isinstance(dataset, xr.Dataset) or "point" not in dataset.dims:
        raise TypeError(
            f"dataset must be the xarray.Dataset {what} returned (with a point dimension), got "
            f"{type(dataset).__name__}"
        )
    checked = [_as_point(p) for p in _non_empty(points)]
    n = dataset.sizes["point"]
    if len(checked) != n:
        raise ValueError(
            f"points must be the {n} points the sweep ran, in their order; got {len(checked)}"
        )
    i = _checks.integer("point", point, minimum=0, maximum=n - 1)
    chosen = checked[i]
    for name, obj in (("setting", chosen.setting), ("paradigm", chosen.paradigm)):
        ran = dataset.coords.get(f"{name}_repr")
        if ran is not None and str(ran.values[i]) != repr(obj):
            raise ValueError(
                f"points[{i}] has {name} {obj!r}, but the sweep's point {i} ran {ran.values[i]}: "
                "pass the points the sweep ran, in their order"
            )
    return chosen, i


def point_run(dataset: xr.Dataset, points: Iterable[Point | tuple[Any, ...]], point: int) -> Run:
    """Point ``point`` (its index along ``point``) of a `sweep` result as a `Run`, which the
    definitions, `mc.profile_runs` and `mc.first_passage` accept: its metrics over (replicate,
    iteration), without those its setting lacks, with the point's setting and paradigm.

    ``points`` are the points the sweep ran, in their order (the result stores only their
    reprs, which are checked against them)::

        points = mc.grid({"small": s, "large": l}, [mc.Replace(), mc.MixReal(0.1)])
        ds = mc.sweep(points, replicates=200, iterations=100, rng=0)
        runs = {p.labels["paradigm"]: mc.point_run(ds, points, i) for i, p in enumerate(points)
                if p.labels["setting"] == "small"}
        mc.profile_runs(runs).table()
    """
    chosen, i = _sweep_points(dataset, points, point, "mc.sweep")
    if "time" in dataset.data_vars and "iteration" not in dataset.dims:
        raise TypeError(
            "dataset holds collapse times (from mc.sweep_collapse_times): use mc.point_times"
        )
    ds = dataset.isel(point=i)
    keep = [str(n) for n in ds.data_vars if n in chosen.setting.metric_names]
    ds = ds[keep]
    ds = ds.drop_vars([c for c in ds.coords if c not in ("replicate", "iteration")])
    if "support_size" in ds.data_vars and bool(np.isfinite(ds["support_size"]).all()):
        ds["support_size"] = ds["support_size"].astype(np.int64)  # as simulate records it
    ds.attrs = {
        **dataset.attrs,
        "setting": repr(chosen.setting),
        "paradigm": repr(chosen.paradigm),
        "point": i,
    }
    return Run(metrics=ds, setting=chosen.setting, paradigm=chosen.paradigm)


def _times_chunk(
    point: Point,
    seed: np.random.SeedSequence,
    start: int,
    stop: int,
    max_iterations: int | None,
    threads: int | None,
) -> dict[str, np.ndarray]:
    """One task of `sweep_collapse_times`: replicates start..stop of a point (picklable)."""
    times = collapse_times(
        point.setting,
        point.paradigm,
        replicates=range(start, stop),
        rng=seed,
        max_iterations=max_iterations,
        threads=threads,
        progress=False,
    )
    return {"time": times.times.reshape(-1, 1), "censored": times.censored.reshape(-1, 1)}


def sweep_collapse_times(
    points: Iterable[Point | tuple[Any, ...]],
    *,
    replicates: int,
    max_iterations: int | None = None,
    rng: RNGLike = None,
    chunk: int | None = None,
    executor: Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """`mc.collapse_times` at every point, in chunks on ``executor``, gathered into one Dataset
    with dims (point, replicate): ``time`` (int64, the first iteration at which one atom holds
    all mass) and ``censored`` (bool: not collapsed by ``max_iterations``, where ``time`` equals
    it), with the points' labels and reprs as coordinates along ``point``, as in `sweep`.

    Every point must have a `mc.Discrete` setting; ``max_iterations`` may be None only if every
    paradigm is Replace (which always collapses). ``chunk``, ``executor``, ``checkpoint``
    (a directory of Parquet chunks; a rerun with the same arguments computes only the missing
    ones), ``threads`` and ``progress`` work as in `sweep`, and point i draws from the same
    stream as in `sweep`, so the result is bit-identical for any executor, chunk size and worker
    count. Everything is checked before any work. `point_times` gives one point's
    `CollapseTimes` (``.survival()``, ``.quantile()``, ``.mean()``)::

        points = mc.grid({f"D={d}": mc.Discrete(weights=[0.5, 0.5], samples=d) for d in (10, 20)},
                         [mc.Replace()])
        ds = mc.sweep_collapse_times(points, replicates=1000, rng=0)
        ds.time.mean("replicate").to_pandas()
        mc.point_times(ds, 1).quantile(0.5)
    """
    checked: list[Point] = [_as_point(p) for p in _non_empty(points)]
    if max_iterations is not None:
        max_iterations = _checks.integer("max_iterations", max_iterations, minimum=0, maximum=2**62)
    replicates, chunk, threads, mode = _execution(
        replicates, chunk, threads, progress, executor, checkpoint, rng
    )
    for i, p in enumerate(checked):
        if not isinstance(p.setting, Discrete):
            raise TypeError(
                f"point {i}: collapse times need a mc.Discrete setting (total collapse: one atom "
                f"holds all the mass), got {type(p.setting).__name__}; use mc.sweep for metrics"
            )
        if max_iterations is None and not isinstance(p.paradigm, Replace):
            raise ValueError(
                f"point {i}: max_iterations is required under {type(p.paradigm).__name__}: "
                "paradigms that keep real data may never collapse"
            )
    _check_label_names(checked, TIMES, "variable")
    size = 9 * len(checked) * replicates
    limit = _memory_limit()
    if size > limit:
        raise ValueError(
            f"this sweep's collapse times would take {size / 2**30:,.1f} GiB ({len(checked)} "
            f"points x {replicates:,} replicates x 9 bytes), more than the "
            f"{limit / 2**30:,.1f} GiB allowed (half the memory): fewer replicates"
        )
    root = seed_sequence(rng)
    spawned_before = root.n_children_spawned
    seeds = root.spawn(len(checked))
    store = None
    if checkpoint is not None:
        manifest = {
            "kind": "collapse_times",
            "modelcollapse_version": _version(),
            "replicates": replicates,
            "max_iterations": max_iterations,
            "chunk": chunk,
            "seed": _seed_manifest(root, spawned_before),
            "points": [_point_manifest(p) for p in checked],
        }
        store = ChunkStore(checkpoint, manifest)
    data = {
        "time": np.empty((len(checked), replicates, 1), dtype=np.int64),
        "censored": np.empty((len(checked), replicates, 1), dtype=np.bool_),
    }
    dtypes = {"time": np.dtype(np.int64), "censored": np.dtype(np.bool_)}

    def load(i: int, start: int, stop: int) -> dict[str, np.ndarray] | None:
        return store.load(i, start, stop, list(TIMES), 1, dtypes) if store else None

    def task(i: int, start: int, stop: int) -> tuple[Any, ...]:
        return (checked[i], seeds[i], start, stop, max_iterations, threads)

    todo = _pending(len(checked), replicates, chunk, data, load)
    _execute(_times_chunk, task, todo, data, store, executor, mode, "sweep_collapse_times")
    coords: dict[str, Any] = {
        "point": np.arange(len(checked)),
        "replicate": np.arange(replicates),
        "setting_repr": ("point", [repr(p.setting) for p in checked]),
        "paradigm_repr": ("point", [repr(p.paradigm) for p in checked]),
        **_label_coords(checked),
    }
    attrs: dict[str, Any] = {
        "modelcollapse_version": _version(),
        "seed_entropy": str(seeds[0].entropy),
    }
    if max_iterations is not None:
        attrs["max_iterations"] = max_iterations
    return xr.Dataset(
        {name: (("point", "replicate"), values[:, :, 0]) for name, values in data.items()},
        coords=coords,
        attrs=attrs,
    )


def point_times(dataset: xr.Dataset, point: int) -> CollapseTimes:
    """Point ``point`` (its index along ``point``) of a `sweep_collapse_times` result as
    `CollapseTimes`, for ``.survival()``, ``.quantile()`` and ``.mean()``."""
    if not isinstance(dataset, xr.Dataset) or not {"time", "censored"} <= set(dataset.data_vars):
        raise TypeError(
            "dataset must be the xarray.Dataset mc.sweep_collapse_times returned (with time and "
            f"censored over point and replicate), got {type(dataset).__name__}"
        )
    n = dataset.sizes["point"]
    i = _checks.integer("point", point, minimum=0, maximum=n - 1)
    ds = dataset.isel(point=i)
    attrs = {str(k): v for k, v in dataset.attrs.items()}
    for name in ("setting", "paradigm"):
        if f"{name}_repr" in ds.coords:
            attrs[name] = str(ds.coords[f"{name}_repr"].values)
    attrs["point"] = i
    labels = ds["replicate"].values
    return CollapseTimes(
        times=np.asarray(ds["time"].values, dtype=np.int64),
        censored=np.asarray(ds["censored"].values, dtype=np.bool_),
        max_iterations=dataset.attrs.get("max_iterations"),
        replicates=range(int(labels[0]), int(labels[-1]) + 1),
        attrs=attrs,
    )
