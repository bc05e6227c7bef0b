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
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from . import _checks
from ._progress import Progress
from .paradigms import Paradigm, check_paradigm
from .settings import Setting, check_setting
from .simulate import simulate

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


def grid(settings: Mapping[str, Setting], paradigms: Sequence[Paradigm]) -> list[Point]:
    """The product of named settings and paradigms, labelled ``setting`` and ``paradigm``."""
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
    return {name: run.metrics[name].values.astype(np.float64) for name in run.metrics.data_vars}


class _InProcess(Executor):
    """Runs each task when it is submitted (the Rust thread pool parallelises within it)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # handed to the caller through the future
            future.set_exception(err)
        # KeyboardInterrupt is not caught: Ctrl-C stops the sweep at once
        return future


def sweep(
    points: Iterable[Point],
    *,
    replicates: int,
    iterations: int,
    rng: int | np.random.SeedSequence | None = None,
    metrics: Sequence[str] | None = None,
    stride: int = 1,
    chunk: int | None = None,
    executor: Executor | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Run every point's replicates in chunks on ``executor`` and gather one Dataset with dims
    (point, replicate, iteration); coordinates along ``point`` are each point's labels and the
    reprs ``setting_repr`` and ``paradigm_repr``.

    ``metrics`` names metrics to record wherever a point's setting has them (default: all of each
    setting's); a metric a point's setting lacks is NaN there. ``chunk`` is the replicates per
    task (default: a quarter of a point's replicates, at least 1). The result is bit-identical for
    any executor, chunk and worker count.
    """
    points = list(points)
    if not points or not all(isinstance(p, Point) for p in points):
        raise TypeError("points must be a non-empty list of mc.sweep Point objects (see mc.grid)")
    replicates = _checks.integer("replicates", replicates, minimum=1, maximum=2**40)
    iterations = _checks.integer("iterations", iterations, minimum=0, maximum=2**40)
    stride = _checks.integer("stride", stride, minimum=1, maximum=2**40)
    chunk = _checks.integer(
        "chunk", chunk if chunk is not None else max(math.ceil(replicates / 4), 1), minimum=1
    )
    root = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
    seeds = root.spawn(len(points))
    executor = executor if executor is not None else _InProcess()
    tasks = []
    for i, point in enumerate(points):
        names = None
        if metrics is not None:
            names = [m for m in metrics if m in point.setting.metric_names]
            if not names:
                raise ValueError(f"none of metrics={list(metrics)} applies to point {i}")
        for start in range(0, replicates, chunk):
            stop = min(start + chunk, replicates)
            args = (point, seeds[i], start, stop, iterations, stride, names, threads)
            tasks.append((i, start, args))
    results: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    mode = _checks.progress_mode(progress)
    # one bar over the chunks, counted in replicates so that tqdm shows replicates per second
    with Progress(mode, len(points) * replicates, "replicate", "sweep") as bar:
        futures: list[tuple[int, int, Future[Any]]] = []
        try:
            futures += [(i, start, executor.submit(_run_chunk, *args)) for i, start, args in tasks]
            done = 0
            for i, start, future in futures:
                results[(i, start)] = future.result()
                done += min(chunk, replicates - start)
                if bar.callback is not None:
                    bar.callback(done)
        except KeyboardInterrupt:
            for _, _, future in futures:
                future.cancel()  # chunks not yet started never start
            raise
    return _gather(points, results, replicates, iterations, stride, seeds)


def _gather(
    points: list[Point],
    results: dict[tuple[int, int], dict[str, np.ndarray]],
    replicates: int,
    iterations: int,
    stride: int,
    seeds: list[np.random.SeedSequence],
) -> xr.Dataset:
    recorded = iterations // stride + 1
    names = sorted({name for chunk in results.values() for name in chunk})
    data = {name: np.full((len(points), replicates, recorded), np.nan) for name in names}
    for (i, start), chunk in results.items():
        for name, values in chunk.items():
            data[name][i, start : start + values.shape[0]] = values
    coords: dict[str, Any] = {
        "point": np.arange(len(points)),
        "replicate": np.arange(replicates),
        "iteration": np.arange(0, iterations + 1, stride),
        "setting_repr": ("point", [repr(p.setting) for p in points]),
        "paradigm_repr": ("point", [repr(p.paradigm) for p in points]),
    }
    for key in sorted({k for p in points for k in p.labels}):
        coords[key] = ("point", [p.labels.get(key) for p in points])
    from . import __version__

    attrs = {
        "modelcollapse_version": __version__,
        "seed_entropy": str(seeds[0].entropy),
        "iterations": iterations,
        "stride": stride,
    }
    return xr.Dataset(
        {name: (("point", "replicate", "iteration"), values) for name, values in data.items()},
        coords=coords,
        attrs=attrs,
    )
