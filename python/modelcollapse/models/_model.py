"""`mc.Model`: a researcher's own model, written as how it fits and how it samples, run by the
library with everything a built-in setting gets (paradigms, streams, worker processes, sweeps,
the definitions and the profile)."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import _checks
from ..paradigms import FreshReal
from ..roles import Roles, roles_from_mapping
from ..settings._base import Setting
from ..settings._common import KernelRun, paradigm_count, round_half_up, single_method
from ._identity import identity
from ._rows import ModelError, data_rows, where

if TYPE_CHECKING:
    from ..paradigms import Paradigm

#: Names a metric may not take: the result's dimensions.
RESERVED = ("replicate", "iteration", "point")
#: Most synthetic rows one generation may draw.
MAX_SAMPLES = 2**31


class Model(Setting):
    """A researcher's own model as a setting: ``fit(data, rng) -> model`` and
    ``sample(model, n, rng) -> rows``, refit generation after generation by `mc.simulate`,
    `mc.sweep` and `mc.profile` under any paradigm, with the same meaning as for the built-in
    settings.

    Parameters
    ----------
    fit
        ``fit(data, rng)``: a model (any Python object) fit to ``data``, a read-only array of
        rows shaped like the real rows. ``rng`` is the replicate's ``numpy.random.Generator``.
    sample
        ``sample(model, n, rng)``: ``n`` rows drawn from the model, shaped and typed like the
        real rows (a cast within the same kind, e.g. float32 to float64, is made), all finite.
    real
        The real data as an array of rows, shape ``(n_real, ...)``, the same for every
        replicate; or a callable ``real(rng)`` that draws them once per replicate. Generation
        1's model is fit to them; MixReal draws its real share from them.
    samples
        Synthetic rows per generation (Replace trains on this many; see `mc.paradigms`).
    metrics
        ``{name: metric(model, context) -> float}``, computed at every recorded iteration. The
        context (`Context`) holds ``real``, ``test``, ``train`` (the rows this model was fit
        to), ``iteration``, ``replicate`` and ``rng``, a Generator of the metric's own.
    roles
        What the metrics mean for the eight definitions: a mapping from role names
        (`modelcollapse.roles.ROLE_NAMES`) to metric names, e.g. ``{"risk": "nll_real",
        "diversity": "variance"}``, or a `modelcollapse.roles.Roles`.
    test
        Held-out real rows for the metrics (an array, or a callable ``test(rng)`` drawn once per
        replicate after the real rows), or None.
    truth
        The real distribution as a model object the metrics accept, or None. Iteration 0 (the
        real distribution) records the metrics of ``truth``; without it, those of generation 1's
        model (fit to the real rows), as a KDE on given data does.
    name
        What ``repr`` and a sweep's ``setting_repr`` call the model (default: the names of
        ``fit`` and ``sample``).

    Replicate r draws its real and test rows, fits and samples from one numpy Generator seeded
    by (the run's seed, r), and each metric from its own (seed, r, iteration, metric), so a run
    gives the same numbers for any number of workers, chunk size or executor, and whichever
    metrics or stride are recorded. Replicates run in worker processes by default
    (``mc.simulate(..., workers=)``; ``workers=1`` runs them in this process), each with its
    BLAS and OpenMP thread pools on one thread (unless ``OMP_NUM_THREADS`` and the like are set),
    so that sums come out the same wherever a replicate runs. A run pickles the model once, by
    cloudpickle: lambdas, local functions and notebook functions work; open files, locks and
    generators do not (an error says which part, before any work). In a script, the run must
    sit under ``if __name__ == "__main__":`` (worker processes import the main script).

    Errors in the model's code raise `ModelError` naming the callable, the generation and the
    replicate; rows of the wrong shape, dtype or count, NaN or inf, and metrics that return no
    number raise ValueError or TypeError naming the same.
    """

    fit: Callable[[np.ndarray, np.random.Generator], Any]
    sample: Callable[[Any, int, np.random.Generator], Any]
    real: np.ndarray | Callable[[np.random.Generator], Any]
    test: np.ndarray | Callable[[np.random.Generator], Any] | None
    truth: Any
    metrics: dict[str, Callable[[Any, Any], float]]
    name: str
    _shown: str
    _roles: Roles
    #: (iterations, replicates) `mc.profile` runs by default: a Python fit per generation.
    profile_defaults = (100, 100)

    def __init__(
        self,
        fit: Callable[[np.ndarray, np.random.Generator], Any],
        sample: Callable[[Any, int, np.random.Generator], Any],
        *,
        real: Any,
        samples: int,
        metrics: Mapping[str, Callable[[Any, Any], float]],
        roles: Roles | Mapping[str, Any],
        test: Any = None,
        truth: Any = None,
        name: str | None = None,
    ) -> None:
        for what, value in (("fit", fit), ("sample", sample)):
            if not callable(value):
                raise TypeError(f"{what} must be callable, got {type(value).__name__}")
        real = real if callable(real) else data_rows("real", real)
        if test is not None and not callable(test):
            test = data_rows("test", test)
            if not callable(real) and test.shape[1:] != real.shape[1:]:
                raise ValueError(
                    f"test rows must be shaped like the real rows, {real.shape[1:]}, got "
                    f"{test.shape[1:]}"
                )
        samples = _checks.integer("samples", samples, minimum=1, maximum=MAX_SAMPLES)
        metrics = _metric_functions(metrics)
        if isinstance(roles, Roles):
            for needed in roles.needs():
                _metric_name(metrics, "roles", needed)
        else:
            roles = roles_from_mapping(roles, lambda what, v: _metric_name(metrics, what, v))
        if name is None:
            shown = name = f"fit={_callable_name(fit)}, sample={_callable_name(sample)}"
        elif isinstance(name, str):
            shown = repr(name)
        else:
            raise TypeError(f"name must be a str or None, got {type(name).__name__}")
        self._set(
            fit=fit,
            sample=sample,
            real=real,
            test=test,
            truth=truth,
            samples=samples,
            metrics=metrics,
            metric_names=tuple(metrics),
            name=name,
            _shown=shown,
            _roles=roles,
        )

    def _set(self, **values: Any) -> None:
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one")

    def __repr__(self) -> str:
        real = "<callable>" if callable(self.real) else f"<{len(self.real)} rows>"
        return (
            f"{type(self).__name__}({self._shown}, samples={self.samples}, real={real}, "
            f"metrics=[{', '.join(self.metric_names)}])"
        )

    def roles(self) -> Roles:
        """The roles given to the constructor."""
        return self._roles

    # -- sending to worker processes and describing for checkpoints ----------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by cloudpickle, so that lambdas and notebook functions travel (a run pickles
        its model once, and every chunk runs that snapshot)."""
        import cloudpickle

        return (_restore, (cloudpickle.dumps((type(self), self.__dict__)),))

    def _unpicklable_part(self) -> str:
        """Which attribute cannot be pickled, for the error message."""
        import cloudpickle

        for key, value in self.__dict__.items():
            try:
                cloudpickle.dumps(value)
            except Exception:
                return f"its {key.lstrip('_')}"
        return "it"

    def _describe(self) -> dict[str, Any]:
        """What a sweep's checkpoint records: the code and data of every part, so that a resumed
        sweep refuses a model that changed (see `modelcollapse.models._identity`)."""
        parts = ("fit", "sample", "real", "test", "truth")
        return {
            "type": type(self).__name__,
            "name": self.name,
            "samples": self.samples,
            **{part: identity(getattr(self, part), what=part) for part in parts},
            "metrics": {k: identity(v, what=f"metrics[{k!r}]") for k, v in self.metrics.items()},
        }

    # -- what the loop reads -------------------------------------------------------------------

    def _mixed_synthetic(
        self, fitted: Any, real_index: np.ndarray, count: int, rng: np.random.Generator
    ) -> Any:
        """The synthetic rows of a MixReal training set whose real rows are
        ``real[real_index]``, or None for `count` rows drawn by ``sample`` (the default).
        `mc.sklearn`'s Regressor and Classifier relabel the design rows the real ones leave
        out, as `mc.LinearRegression` does."""
        return None

    def _draw(self, what: str, source: Any, rng: np.random.Generator, r: int) -> np.ndarray:
        try:
            drawn = source(rng)
        except Exception as exc:
            raise ModelError(
                f"{what}(rng) raised for replicate {r}: {type(exc).__name__}: {exc}"
            ) from exc
        return data_rows(what, drawn, replicate=r)

    def _real_rows(self, rng: np.random.Generator, r: int) -> np.ndarray:
        return self._draw("real", self.real, rng, r) if callable(self.real) else self.real

    def _test_rows(self, rng: np.random.Generator, r: int, real: np.ndarray) -> np.ndarray | None:
        if self.test is None:
            return None
        test = self._draw("test", self.test, rng, r) if callable(self.test) else self.test
        if test.shape[1:] != real.shape[1:]:
            raise ValueError(
                f"replicate {r}: the test rows are shaped {test.shape[1:]}, the real rows "
                f"{real.shape[1:]}; they must be alike"
            )
        return test

    def _row_bytes(self) -> int:
        if callable(self.real):
            return 8
        return max(int(self.real.itemsize * np.prod(self.real.shape[1:], dtype=np.int64)), 1)

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """The rows one replicate holds: its pool (doubling as it grows) and a training set."""
        from ..paradigms import Accumulate, AccumulateSubsample

        n = self.samples
        real = n if callable(self.real) else len(self.real)
        rows = real + 2 * n
        if isinstance(paradigm, Accumulate):
            rows = 2 * (real + iterations * round_half_up(paradigm.growth * n))
        elif isinstance(paradigm, AccumulateSubsample):
            rows = 2 * (real + iterations * n)
        return rows * self._row_bytes()

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        from ._workers import run_model

        single_method(self, method)
        if isinstance(paradigm, FreshReal):
            raise ValueError(
                "mc.FreshReal is not available for mc.Model yet (it needs real rows drawn afresh "
                "every generation); use mc.MixReal, which reuses the real rows"
            )
        if run.threads is not None:
            raise TypeError(
                "threads= is for the built-in settings' Rust threads; a Model runs its "
                "replicates in worker processes: pass workers= (or executor=)"
            )
        if not callable(self.real):
            paradigm_count(paradigm, len(self.real), self.samples, unit="rows")
        return run_model(self, paradigm, run)


def _restore(payload: bytes) -> Model:
    cls, state = pickle.loads(payload)
    model = cls.__new__(cls)
    for key, value in state.items():
        object.__setattr__(model, key, value)
    return model


def _metric_functions(metrics: Any) -> dict[str, Callable[[Any, Any], float]]:
    if not isinstance(metrics, Mapping):
        raise TypeError(
            "metrics must map names to functions metric(model, context) -> float, got "
            f"{type(metrics).__name__}"
        )
    if not metrics:
        raise ValueError("metrics must name at least one metric")
    out = {}
    for key, function in metrics.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"metrics: each name must be an identifier (str), got {key!r}")
        if key in RESERVED:
            raise ValueError(f"metrics: {key!r} is taken by the result's dimensions {RESERVED}")
        if not callable(function):
            raise TypeError(
                f"metrics[{key!r}] must be a function metric(model, context) -> float, got "
                f"{type(function).__name__}"
            )
        out[key] = function
    return out


def _metric_name(metrics: Mapping[str, Any], what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a metric name (str), got {type(value).__name__}")
    if value not in metrics:
        raise ValueError(f"{what}: no metric {value!r}; the metrics are: {', '.join(metrics)}")
    return value


def _callable_name(function: Any) -> str:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    if name is None:
        func = getattr(function, "func", None)  # functools.partial
        return f"partial({_callable_name(func)})" if func is not None else type(function).__name__
    return str(name)


__all__ = ["Model", "ModelError", "where"]
