"""The replicate loop for a researcher's own model: the four paradigms over rows, in Python.

It follows the built-in settings' rules (`modelcollapse.paradigms`): generation 1 is fit to the
real rows alone; Replace trains on ``samples`` new rows; Accumulate appends ``round(growth *
samples)`` rows a generation to a pool that is never copied (it grows in place, doubling its
capacity); AccumulateSubsample appends ``samples`` rows and trains on ``size`` rows drawn without
replacement from the whole pool; MixReal trains on ``round(fraction * samples)`` real rows drawn
without replacement from the real rows, afresh each generation, and the synthetic rest.

Streams: replicate r's data, fits, samples and the paradigm's draws use one numpy Generator
seeded by SeedSequence(root key, spawn_key=(r, 0)); metric k at iteration t draws (if it does)
from spawn_key (r, 1, t, k), so that which metrics are recorded, and at which stride, never
changes the trajectory. Nothing depends on the worker, the chunk or the order of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..paradigms import Accumulate, AccumulateSubsample, MixReal, Paradigm
from ..settings._common import paradigm_count, recorded_iterations
from ._rows import ModelError, metric_value, synthetic_rows, where

if TYPE_CHECKING:
    from ._model import Model

Words = tuple[int, ...]
#: The recorded metrics: (name, index among the model's metrics (its stream), function, label).
Metrics = list[tuple[str, int, Callable[[Any, Any], Any], str]]


def stream(key: Words, *spawn_key: int) -> np.random.Generator:
    """The Generator for (root key, spawn key): a function of these numbers only."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(list(key), spawn_key=spawn_key))
    )


class Context:
    """What a metric sees beside the model: ``real`` (the replicate's real rows), ``test`` (its
    held-out real rows, or None), ``train`` (the rows this generation's model was fit to),
    ``iteration`` (0: the real distribution), ``replicate``, and ``rng``: a numpy Generator of
    the metric's own, made on first use from (seed, replicate, iteration, metric), so a metric
    that draws (e.g. a diversity from a fixed-size sample) changes no other number."""

    __slots__ = ("_key", "_metric", "_rng", "iteration", "real", "replicate", "test", "train")

    def __init__(
        self,
        real: np.ndarray,
        test: np.ndarray | None,
        train: np.ndarray,
        iteration: int,
        replicate: int,
        key: Words,
        metric: int,
    ) -> None:
        self.real, self.test, self.train = real, test, train
        self.iteration, self.replicate = iteration, replicate
        self._key, self._metric = key, metric
        self._rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = stream(self._key, self.replicate, 1, self.iteration, self._metric)
        return self._rng

    def __repr__(self) -> str:
        test = "None" if self.test is None else f"<{len(self.test)} rows>"
        return (
            f"Context(iteration={self.iteration}, replicate={self.replicate}, "
            f"real=<{len(self.real)} rows>, test={test}, train=<{len(self.train)} rows>)"
        )


class RowPool:
    """Rows appended in place: a buffer whose capacity doubles, so a generation costs its own
    rows, never a copy of the pool. ``rows`` is a read-only view of what it holds."""

    def __init__(self, first: np.ndarray) -> None:
        self._data = np.empty((max(2 * len(first), 16), *first.shape[1:]), dtype=first.dtype)
        self._data[: len(first)] = first
        self.size = len(first)

    def append(self, rows: np.ndarray) -> None:
        end = self.size + len(rows)
        if end > len(self._data):
            grown = np.empty(
                (max(2 * len(self._data), end), *self._data.shape[1:]), self._data.dtype
            )
            grown[: self.size] = self._data[: self.size]
            self._data = grown  # views handed out before keep the old buffer alive
        self._data[self.size : end] = rows
        self.size = end

    @property
    def rows(self) -> np.ndarray:
        view = self._data[: self.size]
        view.flags.writeable = False
        return view

    def take(self, index: np.ndarray) -> np.ndarray:
        return self._data[index]


def _call(what: str, r: int, t: int, function: Callable[..., Any], *args: Any) -> Any:
    """Call the researcher's `function`; what it raises becomes a ModelError naming `what`, the
    generation and the replicate (KeyboardInterrupt and other BaseExceptions pass untouched)."""
    try:
        return function(*args)
    except Exception as exc:
        raise ModelError(f"{what} raised at {where(r, t)}: {type(exc).__name__}: {exc}") from exc


class Replicate:
    """One replicate's data and the paradigm's rule for the next training set."""

    def __init__(self, model: Model, paradigm: Paradigm, key: Words, r: int) -> None:
        self.model, self.paradigm, self.key, self.r = model, paradigm, key, r
        self.rng = stream(key, r, 0)
        self.real = model._real_rows(self.rng, r)
        self.test = model._test_rows(self.rng, r, self.real)
        try:
            self.count = paradigm_count(paradigm, len(self.real), model.samples, unit="rows")
        except ValueError as exc:
            raise ValueError(f"replicate {r}: {exc}") from None
        self.pool = (
            RowPool(self.real) if isinstance(paradigm, (Accumulate, AccumulateSubsample)) else None
        )

    def fit(self, train: np.ndarray, t: int) -> Any:
        fitted = _call("fit", self.r, t, self.model.fit, train, self.rng)
        if fitted is None:
            raise ModelError(
                f"fit returned None at {where(self.r, t)}: it must return the fitted model "
                "(a scikit-learn estimator's fit returns self)"
            )
        return fitted

    def sample(self, fitted: Any, count: int, t: int) -> np.ndarray:
        got = _call("sample", self.r, t, self.model.sample, fitted, count, self.rng)
        return synthetic_rows(got, count, self.real, self.r, t)

    def training_set(self, fitted: Any, t: int) -> np.ndarray:
        """Generation t's training rows (t >= 2, read-only), drawing from the previous model
        `fitted`."""
        n = self.model.samples
        if self.pool is not None:
            if isinstance(self.paradigm, Accumulate):
                if self.count:
                    self.pool.append(self.sample(fitted, self.count, t))
                return self.pool.rows
            self.pool.append(self.sample(fitted, n, t))
            rows = self.pool.take(self.rng.choice(self.pool.size, self.count, replace=False))
        elif isinstance(self.paradigm, MixReal):
            rows = self.mixed(fitted, t)
        else:
            rows = self.sample(fitted, n, t).view()
        rows.flags.writeable = False
        return rows

    def mixed(self, fitted: Any, t: int) -> np.ndarray:
        """MixReal's training set: `count` real rows drawn without replacement, then the
        synthetic rest (the model's `_mixed_synthetic` may choose them: a fixed design relabels
        the design rows the real ones leave out)."""
        index = self.rng.choice(len(self.real), self.count, replace=False)
        real = self.real[index]
        rest = self.model.samples - self.count
        if rest == 0:
            return real
        own = _call("sample", self.r, t, self.model._mixed_synthetic, fitted, index, rest, self.rng)
        if own is None:
            synthetic = self.sample(fitted, rest, t)
        else:
            synthetic = synthetic_rows(own, rest, self.real, self.r, t)
        return np.concatenate([real, synthetic])

    def measure(self, fitted: Any, train: np.ndarray, t: int, metrics: Metrics) -> list[float]:
        out = []
        for name, k, function, label in metrics:
            context = Context(self.real, self.test, train, t, self.r, self.key, k)
            value = _call(label, self.r, t, function, fitted, context)
            out.append(metric_value(value, name, self.r, t))
        return out


def run_replicates(
    model: Model,
    paradigm: Paradigm,
    names: Sequence[str],
    iterations: int,
    stride: int,
    key: Words,
    start: int,
    stop: int,
    progress: Callable[[int], object] | None = None,
) -> npt.NDArray[np.float64]:
    """Replicates start..stop as (replicates, metrics, recorded iterations). ``progress`` is
    called with the generations done so far (a worker process's task runs without it)."""
    grid = recorded_iterations(iterations, stride)
    metrics = [
        (name, model.metric_names.index(name), model.metrics[name], f"metric {name!r}")
        for name in names
    ]
    out = np.empty((stop - start, len(names), grid.size))
    for i, r in enumerate(range(start, stop)):
        rep = Replicate(model, paradigm, key, r)
        train = rep.real
        fitted = rep.fit(train, 1) if (iterations >= 1 or model.truth is None) else None
        real_model = model.truth if model.truth is not None else fitted
        out[i, :, 0] = rep.measure(real_model, train, 0, metrics)
        slot = 1
        for t in range(1, iterations + 1):
            if t >= 2:
                train = rep.training_set(fitted, t)
                fitted = rep.fit(train, t)
            if slot < grid.size and grid[slot] == t:
                out[i, :, slot] = rep.measure(fitted, train, t, metrics)
                slot += 1
            if progress is not None:
                progress(i * iterations + t)
    return out


__all__ = ["Context", "RowPool", "run_replicates", "stream"]
