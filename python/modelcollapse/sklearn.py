"""scikit-learn estimators as `mc.Model` settings (needs ``pip install modelcollapse[sklearn]``).

- `Density`: any estimator with ``fit``, ``sample`` and ``score_samples`` (``GaussianMixture``,
  ``BayesianGaussianMixture``, ``KernelDensity``) refit to its own samples.
- `Regressor`: a linear regressor whose labels are redrawn from its fit plus Gaussian noise over
  a fixed design (Appendix A's setting with any scikit-learn regressor).
- `Classifier`: a probabilistic classifier (``LogisticRegression``, ...) whose labels are drawn
  from its own ``predict_proba`` over a fixed design.

Every fit works on a ``sklearn.base.clone`` of the estimator whose ``random_state`` (where it has
one) is drawn from the replicate's stream, and so is every sample: the runs are reproducible and
independent of workers and chunks like any `mc.Model`'s. The adapters are `mc.Model` subclasses,
so `mc.simulate`, `mc.sweep`, `mc.profile` and the definitions take them as they are.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any

import numpy as np

from . import _checks
from .models import Model
from .models._rows import data_rows
from .roles import Modes, NotApplicable, Quantity, Roles, metric

__all__ = ["Classifier", "Density", "Regressor"]

#: Points drawn from a fitted density to measure its spread (the diversity).
DIVERSITY_SAMPLE = 1000


def _sklearn() -> Any:
    try:
        import sklearn.base
    except ImportError:
        raise ImportError(
            "mc.sklearn needs scikit-learn: pip install 'modelcollapse[sklearn]'"
        ) from None
    return sklearn.base


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _fresh(estimator: Any, rng: np.random.Generator) -> Any:
    """A clone of `estimator`, its random_state (if it has one) drawn from `rng`."""
    est = _sklearn().clone(estimator)
    if "random_state" in est.get_params():
        est.set_params(random_state=_seed(rng))
    return est


def _check_estimator(estimator: Any, methods: tuple[str, ...], what: str) -> None:
    _sklearn()
    missing = [m for m in ("get_params", *methods) if not callable(getattr(estimator, m, None))]
    if missing:
        raise TypeError(
            f"estimator must be a scikit-learn {what} with {', '.join(methods)}; "
            f"{type(estimator).__name__} has no {', '.join(missing)}"
        )


def _name_after(model: Model, estimator: Any, name: str | None) -> None:
    """Keep the estimator on the adapter, and without a name show it in the repr, e.g.
    ``Density(GaussianMixture(n_components=2), samples=100, ...)``."""
    object.__setattr__(model, "estimator", estimator)
    if name is None:
        object.__setattr__(model, "name", repr(estimator))
        object.__setattr__(model, "_shown", repr(estimator))


# -- densities -----------------------------------------------------------------------------------


def _as_2d(rows: np.ndarray) -> np.ndarray:
    return rows.reshape(len(rows), -1)


def _draw_2d(draw: Any, rng: np.random.Generator) -> np.ndarray:
    return _as_2d(np.asarray(draw(rng), dtype=np.float64))


def _density_fit(estimator: Any, data: np.ndarray, rng: np.random.Generator) -> Any:
    return _fresh(estimator, rng).fit(data)


@functools.lru_cache(maxsize=64)
def _sample_takes_seed(kind: type) -> bool:
    return "random_state" in inspect.signature(kind.sample).parameters


def _density_sample(model: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points from a fitted density: ``sample(n, random_state=)`` where it takes a seed
    (KernelDensity), else with its random_state reset from `rng` (mixtures sample from their
    own); a mixture's (points, labels) pair gives the points, shuffled (they come grouped by
    component)."""
    seed = _seed(rng)
    if _sample_takes_seed(type(model)):
        drawn = model.sample(n, random_state=seed)
    else:
        if "random_state" in model.get_params():
            # on a shallow copy: the fitted model (perhaps the user's truth) stays as it was
            model = copy.copy(model).set_params(random_state=seed)
        drawn = model.sample(n)
    if isinstance(drawn, tuple):
        drawn = drawn[0]
    drawn = _as_2d(np.asarray(drawn, dtype=np.float64))
    return drawn[rng.permutation(len(drawn))]


def _nll_real(model: Any, context: Any) -> float:
    return float(-np.mean(model.score_samples(context.test)))


def _cov_trace(model: Any, context: Any) -> float:
    """Trace of the covariance of DIVERSITY_SAMPLE points drawn from the model."""
    points = _density_sample(model, DIVERSITY_SAMPLE, context.rng)
    return float(np.sum(np.var(points, axis=0, ddof=1)))


def _min_weight(model: Any, context: Any) -> float:
    return float(np.min(model.weights_))


def _weight_entropy(model: Any, context: Any) -> float:
    w = np.asarray(model.weights_, dtype=np.float64)
    w = w[w > 0]
    return float(-np.sum(w * np.log(w)))


class Density(Model):
    """A scikit-learn density estimator refit to its own samples (Shumailov et al.'s Gaussian
    mixture refit by EM; Kazdan et al.'s and the paper's KDE).

    ``estimator`` has ``fit``, ``sample`` and ``score_samples`` (``GaussianMixture``,
    ``BayesianGaussianMixture``, ``KernelDensity``). ``real``: rows (1-D data are taken as one
    column) or a callable ``real(rng)``; ``samples``: points per generation; ``test``: held-out
    real rows for ``nll_real``, or a callable; with a callable ``real`` and no ``test``, a second
    draw of ``real(rng)`` is the test set. ``truth`` as for `mc.Model`.

    Metrics: ``nll_real`` (mean negative ``score_samples`` on the test rows; the risk),
    ``cov_trace`` (the trace of the covariance of 1,000 points drawn from the model; the
    diversity), and for mixtures (estimators with ``n_components``) ``min_weight`` and
    ``weight_entropy``. Roles: the risk and its excess over iteration 0 (Definitions 1-3), the
    diversity (Definition 4), and for mixtures the modes as the weakest component's weight
    relative to iteration 0's (Definition 6: collapsed when its median falls below one half).
    A density without mixture weights (a KDE) declares no modes, so Definition 6 answers None,
    as do 5, 7 and 8 (no resize, tail or support roles).
    """

    def __init__(
        self,
        estimator: Any,
        real: Any,
        samples: int,
        test: Any = None,
        *,
        truth: Any = None,
        name: str | None = None,
    ) -> None:
        _check_estimator(estimator, ("fit", "sample", "score_samples"), "density estimator")
        if callable(real):
            real = functools.partial(_draw_2d, real)
            if test is None:
                test = real
        else:
            real = _as_2d(np.asarray(data_rows("real", real), dtype=np.float64))
            if test is None:
                raise TypeError(
                    "Density with real rows needs test=, held-out real rows for nll_real"
                )
        test = (
            functools.partial(_draw_2d, test)
            if callable(test)
            else _as_2d(np.asarray(data_rows("test", test), dtype=np.float64))
        )
        metrics = {"nll_real": _nll_real, "cov_trace": _cov_trace}
        mixture = "n_components" in estimator.get_params()
        if mixture:
            metrics |= {"min_weight": _min_weight, "weight_entropy": _weight_entropy}
        roles = Roles(
            risk=metric("nll_real"),
            excess_risk=Quantity(
                "nll_real - nll_real at iteration 0",
                ("nll_real",),
                lambda nll_real: nll_real - nll_real.sel(iteration=0),
            ),
            diversity=metric("cov_trace"),
            modes=(
                Modes(
                    "mass",
                    Quantity(
                        "min_weight / min_weight at iteration 0",
                        ("min_weight",),
                        lambda min_weight: min_weight / min_weight.sel(iteration=0),
                    ),
                    real=int(estimator.get_params()["n_components"]),
                    unit="components",
                    description="the weakest component's weight relative to iteration 0's",
                )
                if mixture
                else NotApplicable("a density without mixture weights has no modes to count")
            ),
        )
        super().__init__(
            functools.partial(_density_fit, estimator),
            _density_sample,
            real=real,
            samples=samples,
            metrics=metrics,
            roles=roles,
            test=test,
            truth=truth,
            name=name,
        )
        _name_after(self, estimator, name)


# -- regressors ----------------------------------------------------------------------------------


def _xy_fit(estimator: Any, data: np.ndarray, rng: np.random.Generator) -> Any:
    return _fresh(estimator, rng).fit(data[:, :-1], data[:, -1])


def _design_rows(design: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n design rows: the whole design as many times as it fits in n (Accumulate(growth=2)
    relabels it twice, as mc.LinearRegression stacks label vectors), and the rest drawn
    without replacement."""
    whole, rest = divmod(n, len(design))
    parts = [design] * whole
    if rest:
        parts.append(design[rng.choice(len(design), rest, replace=False)])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _FixedDesign(Model):
    """An adapter whose rows are [x, label] over a fixed design, the real rows in design order:
    MixReal relabels exactly the design rows its real rows leave out, so every training set
    holds each design row once, as for mc.LinearRegression."""

    _design: np.ndarray
    _labels: Any  # labels(fitted, x, rng) -> the label column for design rows x

    def _mixed_synthetic(
        self, fitted: Any, real_index: np.ndarray, count: int, rng: np.random.Generator
    ) -> np.ndarray | None:
        rest = np.setdiff1d(np.arange(len(self._design)), real_index)
        if rest.size != count:  # samples differs from the design's size: rows are drawn
            return None
        return _labelled(self._labels, fitted, self._design[rest], rng)


def _labelled(labels: Any, model: Any, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows [x, label] with labels drawn by ``labels(model, x, rng)``."""
    return np.column_stack([x, labels(model, x, rng)])


def _design_sample(
    design: np.ndarray, labels: Any, model: Any, n: int, rng: np.random.Generator
) -> np.ndarray:
    """A fixed-design adapter's ``sample``: n design rows (`_design_rows`), relabelled."""
    return _labelled(labels, model, _design_rows(design, n, rng), rng)


def _regression_real(design: np.ndarray, beta: np.ndarray, noise: float, rng: Any) -> np.ndarray:
    y = design @ beta + noise * rng.standard_normal(len(design))
    return np.column_stack([design, y])


def _regression_labels(noise: float, model: Any, x: np.ndarray, rng: Any) -> np.ndarray:
    return model.predict(x) + noise * rng.standard_normal(len(x))


def _excess_risk(design: np.ndarray, beta: np.ndarray, model: Any, context: Any) -> float:
    return float(np.mean((model.predict(design) - design @ beta) ** 2))


def _test_error(
    design: np.ndarray, beta: np.ndarray, noise: float, model: Any, context: Any
) -> float:
    return _excess_risk(design, beta, model, context) + noise**2


class Regressor(_FixedDesign):
    """A scikit-learn regressor refit to labels drawn from its own fit plus Gaussian noise, over
    a fixed design (the paper's Appendix A with any regressor: ``LinearRegression``, ``Ridge``).

    The real labels are y = ``design`` @ ``beta`` + ``noise`` N(0, 1), drawn once per replicate;
    a generation's synthetic labels are the model's predictions plus fresh noise. Rows are
    ``[x, y]``. ``samples`` defaults to the design's size: Replace and Accumulate relabel the
    whole design; a generation that needs fewer synthetic rows (MixReal) relabels that many
    design rows drawn without replacement. Metrics on ``test`` (a design, default the training
    design): ``excess_risk``, the mean of (f(x) - x beta)^2, and ``test_error``, that plus
    noise^2 (the expected squared error on a fresh label). Roles: the risk and the excess risk
    (Definitions 1-3; Definition 5 needs a resize role, which a Model does not declare).
    Every training set holds each design row once under MixReal (the real rows with their
    real labels, the others relabelled) and ``round(growth)`` times under Accumulate, as for
    `mc.LinearRegression`; a fraction of the design is drawn without replacement.
    """

    def __init__(
        self,
        estimator: Any,
        design: Any,
        beta: Any,
        noise: float,
        *,
        samples: int | None = None,
        test: Any = None,
        name: str | None = None,
    ) -> None:
        _check_estimator(estimator, ("fit", "predict"), "regressor")
        x = np.asarray(data_rows("design", design), dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"design must be a 2-D array (rows x features), got shape {x.shape}")
        b = _checks.real_array("beta", beta, ndims=(1,), bound=_checks.MAX_MAGNITUDE)
        if b.shape != (x.shape[1],):
            raise ValueError(
                f"beta must have one entry per design column ({x.shape[1]}), got shape {b.shape}"
            )
        noise = _checks.real("noise", noise, minimum=0.0, maximum=_checks.MAX_MAGNITUDE)
        t = x if test is None else np.asarray(data_rows("test", test), dtype=np.float64)
        if t.ndim != 2 or t.shape[1] != x.shape[1]:
            raise ValueError(f"test must be a design with {x.shape[1]} columns, got {t.shape}")
        relabel = functools.partial(_regression_labels, noise)
        super().__init__(
            functools.partial(_xy_fit, estimator),
            functools.partial(_design_sample, x, relabel),
            real=functools.partial(_regression_real, x, b, noise),
            samples=len(x) if samples is None else samples,
            metrics={
                "test_error": functools.partial(_test_error, t, b, noise),
                "excess_risk": functools.partial(_excess_risk, t, b),
            },
            roles={"risk": "test_error", "excess_risk": "excess_risk"},
            name=name,
        )
        _name_after(self, estimator, name)
        self._set(_design=x, _labels=relabel)


# -- classifiers ---------------------------------------------------------------------------------


class _Constant:
    """The model of a training set with a single class: it predicts that class with certainty
    (scikit-learn's classifiers refuse to fit one class; under collapse that happens)."""

    def __init__(self, label: int, classes: int) -> None:
        self.label, self.classes = label, classes

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.zeros((len(x), self.classes))
        p[:, self.label] = 1.0
        return p


def _class_fit(estimator: Any, classes: int, data: np.ndarray, rng: np.random.Generator) -> Any:
    labels = data[:, -1].astype(np.int64)
    present = np.unique(labels)
    if present.size == 1:
        return _Constant(int(present[0]), classes)
    return _fresh(estimator, rng).fit(data[:, :-1], labels)


def _probabilities(model: Any, x: np.ndarray, classes: int) -> np.ndarray:
    """P(class | x) over all `classes` label indices (a fit that saw fewer classes gives the
    others probability 0)."""
    p = model.predict_proba(x)
    if isinstance(model, _Constant) or p.shape[1] == classes:
        return p
    full = np.zeros((len(x), classes))
    full[:, np.asarray(model.classes_, dtype=np.int64)] = p
    return full


def _class_labels(classes: int, model: Any, x: np.ndarray, rng: Any) -> np.ndarray:
    """Label indices drawn from the model's P(class | x), as floats (the rows' dtype)."""
    cumulative = np.cumsum(_probabilities(model, x, classes), axis=1)
    u = rng.random(len(x))[:, None]
    return np.minimum((u > cumulative).sum(axis=1), classes - 1).astype(np.float64)


def _zero_one(x: np.ndarray, y: np.ndarray, classes: int, model: Any, context: Any) -> float:
    return float(np.mean(np.argmax(_probabilities(model, x, classes), axis=1) != y))


#: Probabilities are clipped to [EPS, 1] in the log loss (scikit-learn's convention), so a model
#: certain of the wrong class costs -log(EPS) = 34.5 per point, not infinity.
EPS = 1e-15


def _log_loss(x: np.ndarray, y: np.ndarray, classes: int, model: Any, context: Any) -> float:
    p = _probabilities(model, x, classes)[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(p, EPS, 1.0))))


def _prediction_entropy(x: np.ndarray, classes: int, model: Any, context: Any) -> float:
    p = _probabilities(model, x, classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return float(np.mean(terms.sum(axis=1)))


class Classifier(_FixedDesign):
    """A probabilistic scikit-learn classifier (``LogisticRegression``, ...) refit to labels
    drawn from its own ``predict_proba`` over a fixed design ``X`` (the real labels ``y``).

    Rows are ``[x, label index]`` (labels are stored as indices into their sorted distinct
    values). ``samples`` defaults to the design's size: Replace relabels the whole design; a
    generation that needs fewer synthetic rows relabels that many design rows drawn without
    replacement. When a training set holds a single class (labels collapse), the model predicts
    it with certainty (scikit-learn cannot fit one class). ``test`` = ``(X_test, y_test)``,
    held-out real data. Metrics: ``test_error`` (0-1 loss), ``log_loss`` (probabilities clipped
    at 1e-15) and ``prediction_entropy`` (the mean entropy of the predicted class distribution
    on X_test). Roles: the risk is the log loss (Definitions 1-3); the diversity the prediction
    entropy (Definition 4).
    """

    def __init__(
        self,
        estimator: Any,
        X: Any,  # noqa: N803 - scikit-learn's name for a design
        y: Any,
        *,
        test: tuple[Any, Any],
        samples: int | None = None,
        name: str | None = None,
    ) -> None:
        _check_estimator(estimator, ("fit", "predict_proba"), "classifier")
        x = np.asarray(data_rows("X", X), dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"X must be a 2-D array (rows x features), got shape {x.shape}")
        values, labels = np.unique(np.asarray(y), return_inverse=True)
        if labels.shape != (len(x),):
            raise ValueError(f"y must hold one label per row of X ({len(x)}), got {np.shape(y)}")
        if values.size < 2:
            raise ValueError(f"y must hold at least two classes, got {values.tolist()}")
        if not (isinstance(test, tuple) and len(test) == 2):
            raise TypeError("test must be a pair (X_test, y_test) of held-out real data")
        tx = np.asarray(data_rows("test[0]", test[0]), dtype=np.float64)
        if tx.ndim != 2 or tx.shape[1] != x.shape[1]:
            raise ValueError(f"X_test must have {x.shape[1]} columns, got shape {tx.shape}")
        ty_raw = np.asarray(test[1])
        unknown = ~np.isin(ty_raw, values)
        if ty_raw.shape != (len(tx),) or unknown.any():
            raise ValueError(
                f"y_test must hold one label per row of X_test ({len(tx)}), each one of y's "
                f"classes {values.tolist()}"
            )
        ty = np.searchsorted(values, ty_raw)
        k = int(values.size)
        relabel = functools.partial(_class_labels, k)
        super().__init__(
            functools.partial(_class_fit, estimator, k),
            functools.partial(_design_sample, x, relabel),
            real=np.column_stack([x, labels.astype(np.float64)]),
            samples=len(x) if samples is None else samples,
            metrics={
                "test_error": functools.partial(_zero_one, tx, ty, k),
                "log_loss": functools.partial(_log_loss, tx, ty, k),
                "prediction_entropy": functools.partial(_prediction_entropy, tx, k),
            },
            roles={"risk": "log_loss", "diversity": "prediction_entropy"},
            name=name,
        )
        _name_after(self, estimator, name)
        self._set(_design=x, _labels=relabel)
        object.__setattr__(self, "classes", values)
