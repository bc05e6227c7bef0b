"""The simulation entry points: `simulate` (metrics per replicate and iteration) and
`collapse_times` (the first iteration at which one atom holds all mass)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from . import _checks
from ._progress import Progress
from ._rng import RNGLike, root_key
from .models import Model
from .paradigms import Accumulate, Paradigm, Replace, check_paradigm
from .roles import Roles
from .settings import Discrete, Setting, check_setting
from .settings._common import METHODS, KernelRun, recorded_count, recorded_iterations

__all__ = ["CollapseTimes", "Run", "collapse_times", "simulate"]


def _version() -> str:
    from . import __version__

    return __version__


#: Where a container's memory limit is found (cgroup v2, then v1).
CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def _memory_limit() -> int:
    """Bytes a single result may take: half of the least of the machine's physical memory, the
    process's address-space limit (``ulimit -v``) and its container's memory limit (8 GiB if
    none is known). The kernels also allocate their results fallibly: what still fails then
    raises MemoryError."""
    limits = []
    with contextlib.suppress(ValueError, OSError, AttributeError):
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(soft)
    except (ImportError, ValueError, OSError):  # no such limit on this platform
        pass
    for path in CGROUP_LIMITS:
        try:
            with open(path) as file:
                text = file.read().strip()
        except OSError:
            continue
        if text.isdigit():  # "max" means none
            limits.append(int(text))
    return min(limits) // 2 if limits else 8 * 2**30


#: Most replicates one call may run (a count that fits a signed 64-bit size); their indices lie
#: below 2**63 (int64 coordinates).
MAX_REPLICATES = 2**63 - 1


def _replicate_range(replicates: Any) -> range:
    """`replicates` as a range of replicate indices: an int n means range(n)."""
    if isinstance(replicates, range):
        # (len() of a range beyond 2**63 items raises OverflowError: compare the ends instead)
        if replicates.step != 1 or replicates.stop <= replicates.start or replicates.start < 0:
            raise ValueError(
                "replicates given as a range must be non-empty, start at 0 or above and have "
                f"step 1, got {replicates!r}"
            )
        if replicates.stop > 2**63 or replicates.stop - replicates.start > MAX_REPLICATES:
            raise ValueError(
                f"replicates must index below 2**63, at most 2**63 - 1 of them, got {replicates!r}"
            )
        return replicates
    n = _checks.integer("replicates", replicates, minimum=1, maximum=MAX_REPLICATES)
    return range(n)


def _metric_list(
    known: Sequence[str], metrics: Any, owner: str, default: Sequence[str] | None = None
) -> list[str]:
    """`metrics` (None: `default`, else all of `known`) as a list of distinct names from
    `known`, the metrics of `owner` (named in the messages)."""
    if metrics is None:
        return list(known if default is None else default)
    if isinstance(metrics, (bytes, bytearray)) or not isinstance(metrics, (str, Iterable)):
        raise TypeError(
            "metrics must be a metric name or a sequence of names, got "
            f"{type(metrics).__name__} {metrics!r}"
        )
    # at most one more name than there are metrics (an endless iterable is refused, not read)
    try:
        names = (
            [metrics]
            if isinstance(metrics, str)
            else list(itertools.islice(metrics, len(known) + 1))
        )
    except TypeError:  # e.g. a 0-d numpy array
        raise TypeError(
            f"metrics must be a metric name or a sequence of names, got {metrics!r}"
        ) from None
    if len(names) > len(known):
        raise ValueError(
            f"metrics names more than the {len(known)} metrics of {owner}: {', '.join(known)}"
        )
    if not names:
        raise ValueError(f"metrics must name at least one of: {', '.join(known)}")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"metrics must be metric names (str), got {name!r}")
        if name not in known:
            raise ValueError(
                f"metrics: unknown metric {name!r} for {owner}; known: {', '.join(known)}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"metrics names a metric twice: {names}")
    return names


@dataclass(frozen=True, eq=False)
class Run:
    """The result of `simulate`: ``metrics`` is an xarray.Dataset with dims
    ("replicate", "iteration"); iteration 0 is the real distribution. Its attributes record the
    setting, paradigm, seed, root key and library version."""

    metrics: xr.Dataset
    setting: Setting = field(repr=False)
    paradigm: Paradigm

    def __post_init__(self) -> None:
        if not isinstance(self.metrics, xr.Dataset):
            raise TypeError(
                "Run(metrics=...) must be an xarray.Dataset over (replicate, iteration), got "
                f"{type(self.metrics).__name__}"
            )
        if not isinstance(self.setting, Setting):
            raise TypeError(
                "Run(setting=...) must be a setting object such as mc.Discrete(...) (the "
                "definitions read its roles), got "
                f"{type(self.setting).__name__} {repr(self.setting)[:60]}; for runs without a "
                "setting use mc.read_runs"
            )
        check_paradigm(self.paradigm)

    def __repr__(self) -> str:
        sizes = dict(self.metrics.sizes)
        iterations = self.metrics.coords.get("iteration")
        span = ""
        if iterations is not None and iterations.size:
            span = f", iterations={int(iterations[0])}..{int(iterations[-1])}"
        return (
            f"Run(setting={self.setting!r}, paradigm={self.paradigm!r}, "
            f"replicates={sizes.get('replicate', 0):,}{span}, "
            f"metrics=[{', '.join(map(str, self.metrics.data_vars))}])"
        )

    @property
    def roles(self) -> Roles:
        """What the metrics mean for the eight definitions: the setting's roles."""
        return self.setting.roles()

    def to_pandas(
        self, metrics: str | Sequence[str] | None = None, *, replicates: range | None = None
    ) -> pd.DataFrame:
        """A tidy frame: one row per (replicate, iteration), one column per metric.

        ``metrics`` names the columns to keep (default: all) and ``replicates`` a ``range`` of
        replicate indices to keep (default: all). A frame that would take more than half the
        memory (its rows, each with an index and a float per metric, plus a copy while it is
        built) is refused with its size: choose fewer metrics or replicates, or work on the
        Dataset ``run.metrics`` itself.
        """
        ds = self.metrics
        if metrics is not None:
            ds = ds[_metric_list(list(map(str, ds.data_vars)), metrics, "this run")]
        if replicates is not None:
            if not isinstance(replicates, range) or replicates.step != 1:
                raise TypeError(
                    f"replicates must be a range of replicate indices (step 1), got {replicates!r}"
                )
            labels = ds["replicate"].values
            ds = ds.isel(
                replicate=np.flatnonzero((labels >= replicates.start) & (labels < replicates.stop))
            )
        rows = 1
        for size in ds.sizes.values():
            rows *= int(size)
        columns = len(ds.sizes) + len(ds.data_vars)
        nbytes = 2 * 8 * rows * columns
        limit = _memory_limit()
        if nbytes > limit:
            raise ValueError(
                f"the frame would have {rows:,} rows x {columns} columns and take about "
                f"{nbytes / 2**30:,.1f} GiB while it is built, more than the "
                f"{limit / 2**30:,.1f} GiB allowed (half the memory); keep fewer "
                "columns with to_pandas(metrics=[...]), fewer replicates with "
                "to_pandas(replicates=range(0, 1000)), or work on the Dataset run.metrics "
                "itself (e.g. run.metrics.mean('replicate'))"
            )
        return ds.to_dataframe().reset_index()


def simulate(
    setting: Setting,
    paradigm: Paradigm,
    *,
    iterations: int,
    replicates: int | range,
    rng: RNGLike = None,
    metrics: str | Sequence[str] | None = None,
    stride: int = 1,
    method: str = "auto",
    threads: int | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> Run:
    """Run the model-data feedback loop and record metrics per replicate and iteration.

    Parameters
    ----------
    setting, paradigm
        What is refit (e.g. ``mc.Discrete``) and which data each model trains on
        (``mc.Replace()``, ``mc.Accumulate()``, ``mc.AccumulateSubsample(size)``,
        ``mc.MixReal(fraction)``).
    iterations
        Generations after the real distribution; iterations 0..iterations are recorded.
    replicates
        Number of independent replicates, or a ``range`` of replicate indices: replicate r
        always draws from the same stream, so ``range(1000, 2000)`` extends a 1000-replicate run.
    rng
        None, an int, a ``numpy.random.SeedSequence`` or ``numpy.random.Generator`` (SPEC 7).
    metrics
        Names to record (default: ``setting.default_metrics``, every metric but those far
        costlier than the rest, such as a Gaussian's tail integrals; each setting's docstring
        gives the costs).
    stride
        Record iterations 0, stride, 2*stride, ... only (to save memory on long runs), and
        always iteration 1 (the real-data-only model, which the definitions compare with) and
        the last, ``iterations``.
    method
        How a generation is drawn where the setting offers a choice: ``"statistics"`` from the
        exact sampling law of the fit's sufficient statistics (e.g. a Gaussian's mean and
        Wishart scatter), ``"samples"`` point by point, or ``"auto"`` (the default):
        statistics wherever they are exact. Both give the same law; the samples path is the
        reference the fast path is tested against.
    threads
        Worker threads of the built-in settings (default: rayon's, i.e. ``RAYON_NUM_THREADS`` or
        the core count). Results do not depend on it.
    workers, executor
        Where an `mc.Model`'s replicates run: ``workers`` processes (default: one per core;
        ``workers=1`` runs them in this process), or any ``concurrent.futures.Executor`` (a Dask
        ``Client.get_executor()`` too), to which the replicates go in 8 chunks per ``workers``
        (default: per core here; raise it for a large cluster). Results do not depend on
        either. The built-in settings run on Rust threads and refuse both.
    progress
        None (the default): in a terminal or notebook, a tqdm bar for runs longer than about
        two seconds; when stderr is not a terminal (batch jobs, CI logs), no bar but a plain
        line on stderr at most every 30 seconds (e.g. ``modelcollapse simulate:
        450,000/1,000,000 generations (45%), 31 s elapsed, about 38 s left``), and nothing for
        runs shorter than that. True: a tqdm bar at once, even off a terminal. False: never.
    """
    setting = check_setting(setting)
    paradigm = check_paradigm(paradigm)
    iterations = _checks.integer("iterations", iterations, minimum=0, maximum=2**62)
    stride = _checks.integer("stride", stride, minimum=1, maximum=2**62)
    reps = _replicate_range(replicates)
    names = _metric_list(
        setting.metric_names, metrics, type(setting).__name__, setting.default_metrics
    )
    threads = _checks.optional_threads(threads)
    workers, executor = _processes(setting, workers, executor)
    mode = _checks.progress_mode(progress)
    method = _checks.choice("method", method, METHODS)
    recorded = recorded_count(iterations, stride)
    nbytes = len(reps) * len(names) * recorded * 8
    limit = _memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"the result would take {nbytes / 2**30:,.1f} GiB ({len(reps):,} replicates x "
            f"{len(names)} metrics x {recorded:,} recorded iterations x 8 bytes), more than "
            f"{limit / 2**30:,.1f} GiB; record fewer iterations with stride=, fewer "
            "metrics with metrics=, or run the replicates in ranges"
        )
    at_once = min(len(reps), workers or threads or os.cpu_count() or 1)
    working = setting._working_bytes(paradigm, method, iterations) * at_once
    if working + nbytes > limit:
        raise ValueError(
            f"{type(setting).__name__} with samples={setting.samples:,} under {paradigm!r} needs "
            f"about {working / 2**30:,.1f} GiB of working memory for {at_once} replicates at "
            f"once (plus {nbytes / 2**30:,.1f} GiB of results), more than "
            f"{limit / 2**30:,.1f} GiB; use fewer samples (or a smaller test set), "
            "fewer threads= or fewer iterations"
            + (", or a smaller growth=" if isinstance(paradigm, Accumulate) else "")
        )
    key = root_key(rng)
    with Progress(mode, len(reps) * iterations, "generation", "simulate") as bar:
        run = KernelRun(
            names,
            iterations,
            stride,
            key,
            reps.start,
            len(reps),
            threads,
            bar.callback,
            workers,
            executor,
        )
        values = setting._simulate(paradigm, method, run)
    coords = {
        "replicate": np.arange(reps.start, reps.stop, dtype=np.int64),
        "iteration": recorded_iterations(iterations, stride),
    }
    data = {}
    for k, name in enumerate(names):
        column = values[:, k, :]
        if name == "support_size":
            column = column.astype(np.int64)
        data[name] = (("replicate", "iteration"), column)
    attrs = {
        "setting": repr(setting),
        "paradigm": repr(paradigm),
        "seed": key.seed,
        "rng_key": key.hex,
        "iterations": iterations,
        "stride": stride,
        "modelcollapse_version": _version(),
    }
    return Run(
        metrics=xr.Dataset(data, coords=coords, attrs=attrs), setting=setting, paradigm=paradigm
    )


def _processes(setting: Setting, workers: Any, executor: Any) -> tuple[int | None, Any]:
    """`workers` and `executor` checked: only an `mc.Model` runs in processes."""
    if workers is None and executor is None:
        return None, None
    if not isinstance(setting, Model):
        raise TypeError(
            f"workers= and executor= are for mc.Model (Python replicates in processes); "
            f"{type(setting).__name__} runs on Rust threads: use threads="
        )
    return _checks.optional_workers(workers), _checks.optional_executor(executor)


@dataclass(frozen=True, eq=False)
class CollapseTimes:
    """Per-replicate times to an event: ``times[r]`` is the first iteration at which it happened;
    where ``censored[r]`` is True it had not happened by ``max_iterations`` and ``times[r]``
    equals ``max_iterations``.

    From `collapse_times` the event is total collapse (one atom holds all mass; time 0 if the
    real distribution has one atom); from `mc.first_passage` it is a metric meeting a condition
    (``attrs["event"]`` says which). ``replicates`` is the replicates' range of indices, or an
    array of their labels (logged runs).
    """

    times: npt.NDArray[np.int64]
    censored: npt.NDArray[np.bool_]
    max_iterations: int | None
    replicates: range | npt.NDArray[Any]
    attrs: dict[str, Any]

    def __len__(self) -> int:
        return int(self.times.size)

    @property
    def n_censored(self) -> int:
        """How many replicates had no event by ``max_iterations``."""
        return int(np.count_nonzero(self.censored))

    @property
    def labels(self) -> npt.NDArray[Any]:
        """The replicates' labels, one per time (indices 2**63 - 1 and below stay exact)."""
        if isinstance(self.replicates, range):
            return np.int64(self.replicates.start) + np.arange(len(self.replicates), dtype=np.int64)
        return np.asarray(self.replicates)

    @property
    def _event(self) -> str:
        return str(self.attrs.get("event", "collapsed"))

    def _refuse_censored(self, what: str, lower_bound: bool) -> None:
        lower_bound = _checks.flag("lower_bound", lower_bound)
        if self.n_censored and not lower_bound:
            raise ValueError(
                f"{self.n_censored:,} of {len(self):,} replicates had not {self._event} by "
                f"max_iterations={self.max_iterations}, so their times are censored and the "
                f"{what} is unknown; raise max_iterations, or pass lower_bound=True for a lower "
                "bound that counts censored replicates as ending at max_iterations"
            )

    def mean(self, *, lower_bound: bool = False) -> float:
        """Mean time. Refuses censored data unless ``lower_bound=True``, which returns a lower
        bound (censored replicates counted at ``max_iterations``)."""
        self._refuse_censored("mean", lower_bound)
        return float(self.times.mean())

    def sem(self, *, lower_bound: bool = False) -> float:
        """Standard error of the mean (sample standard deviation / sqrt(n)); NaN for one
        replicate (one replicate has no standard error). With censored data it needs
        ``lower_bound=True`` and then describes the lower-bound estimate only."""
        self._refuse_censored("standard error", lower_bound)
        if len(self) < 2:
            return float("nan")
        return float(self.times.std(ddof=1) / np.sqrt(len(self)))

    def quantile(
        self, q: float | npt.ArrayLike, *, censored: str = "inf"
    ) -> float | npt.NDArray[np.float64]:
        """The q-quantile(s) of the time: the smallest t with P(T <= t) >= q under the empirical
        (Kaplan-Meier) distribution. Censoring is exact here (every censored replicate is known
        to exceed max_iterations), so a quantile is unknown only when it lies beyond
        max_iterations. There it is ``inf`` by default (``censored="inf"``: the time exceeds
        every recorded iteration, so a loop over runs goes on), NaN with ``censored="nan"``, and
        ``censored="raise"`` raises a ValueError instead."""
        censored = _checks.choice("censored", censored, ("inf", "nan", "raise"))
        qs = _checks.array("q", q)
        if qs.dtype.kind not in "iuf":
            raise TypeError(f"q must be a real number or an array of them, got {q!r}")
        qs = qs.astype(np.float64)
        if not np.all((qs >= 0) & (qs <= 1)):
            raise ValueError(f"q must lie in [0, 1], got {q!r}")
        t = self.times.astype(np.float64)
        t[self.censored] = np.inf
        out = np.quantile(t, qs, method="inverted_cdf")
        beyond = np.isinf(out)
        if np.any(beyond):
            if censored == "raise":
                raise ValueError(
                    f"the requested quantile lies beyond max_iterations={self.max_iterations}: "
                    f"{self.n_censored:,} of {len(self):,} replicates are censored"
                )
            if censored == "nan":
                out = np.where(beyond, np.nan, out)
        return float(out) if np.ndim(out) == 0 else out

    def survival(self) -> pd.DataFrame:
        """Kaplan-Meier estimate of P(T > t) with 95% confidence bounds (Greenwood's formula,
        scipy.stats.ecdf), at each distinct event or censoring time. Where the estimate has
        reached 0 the bounds are 0 too (Greenwood's interval is undefined there)."""
        import warnings

        from scipy import stats

        data = stats.CensoredData(
            uncensored=self.times[~self.censored], right=self.times[self.censored]
        )
        sf = stats.ecdf(data).sf
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The confidence interval is undefined")
            ci = sf.confidence_interval(0.95)
        survival = sf.probabilities
        ended = survival == 0
        return pd.DataFrame(
            {
                "time": sf.quantiles,
                "survival": survival,
                "lower": np.where(ended, 0.0, ci.low.probabilities),
                "upper": np.where(ended, 0.0, ci.high.probabilities),
            }
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per replicate: replicate, time, censored."""
        return pd.DataFrame(
            {"replicate": self.labels, "time": self.times, "censored": self.censored}
        )

    def __repr__(self) -> str:
        event = self.attrs.get("metric")
        what = f"{event!r} {self.attrs.get('when', '')}, " if event is not None else ""
        return (
            f"CollapseTimes({what}replicates={len(self):,}, censored={self.n_censored:,}, "
            f"max_iterations={self.max_iterations})"
        )


def collapse_times(
    setting: Setting,
    paradigm: Paradigm = Replace(),  # noqa: B008 - frozen, so one shared default is safe
    *,
    replicates: int | range,
    rng: RNGLike = None,
    max_iterations: int | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> CollapseTimes:
    """Iterations until total collapse (one atom holds all mass), per replicate.

    Under Replace (the default) every replicate collapses with probability one, so
    ``max_iterations=None`` runs each to collapse; that takes about 2 D generations
    (``mc.theory.expected_collapse_time(setting)`` says how many before you start, and a long run
    answers Ctrl-C). Paradigms that
    keep real data may never collapse: they require ``max_iterations``, and replicates still
    alive then are marked ``censored``. Only the times are stored (9 bytes per replicate).
    """
    setting = check_setting(setting)
    if not isinstance(setting, Discrete):
        raise TypeError(
            f"collapse_times needs a mc.Discrete setting (total collapse: one atom holds all the "
            f"mass), got {type(setting).__name__}; record the metrics with mc.simulate instead"
        )
    paradigm = check_paradigm(paradigm)
    reps = _replicate_range(replicates)
    if max_iterations is not None:
        max_iterations = _checks.integer("max_iterations", max_iterations, minimum=0, maximum=2**62)
    elif not isinstance(paradigm, Replace):
        raise ValueError(
            f"max_iterations is required under {type(paradigm).__name__}: paradigms that keep "
            "real data may never collapse"
        )
    nbytes = 9 * len(reps)
    if nbytes > _memory_limit():
        raise ValueError(
            f"{len(reps):,} replicates would take {nbytes / 2**30:,.1f} GiB; run them in ranges"
        )
    threads = _checks.optional_threads(threads)
    mode = _checks.progress_mode(progress)
    key = root_key(rng)
    with Progress(mode, len(reps), "replicate", "collapse_times") as bar:
        run = KernelRun([], 0, 1, key, reps.start, len(reps), threads, bar.callback)
        times, censored = setting._collapse_times(paradigm, max_iterations, run)
    attrs = {
        "setting": repr(setting),
        "paradigm": repr(paradigm),
        "seed": key.seed,
        "rng_key": key.hex,
        "modelcollapse_version": _version(),
    }
    return CollapseTimes(
        times=times.view(np.int64),
        censored=censored,
        max_iterations=max_iterations,
        replicates=reps,
        attrs=attrs,
    )
