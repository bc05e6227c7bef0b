"""Researchers' models written in plain numpy, shared by the mc.Model tests (module-level
functions, so that worker processes find them by name)."""

from __future__ import annotations

import numpy as np

import modelcollapse as mc

# -- a 1-D Gaussian refit (unbiased variance), the twin of mc.Gaussian(method="samples") --------

N_GAUSS = 20


def gauss_real(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, 1.0, N_GAUSS)


def gauss_fit(data: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    return float(data.mean()), float(data.var(ddof=1))


def gauss_fit_mle(data: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    return float(data.mean()), float(data.var())


def gauss_sample(model: tuple[float, float], n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(model[0], np.sqrt(model[1]), n)


def gauss_var(model: tuple[float, float], context: mc.Context) -> float:
    return model[1]


def gauss_mean_sq(model: tuple[float, float], context: mc.Context) -> float:
    return model[0] ** 2


def gauss_noisy(model: tuple[float, float], context: mc.Context) -> float:
    """A metric that draws from its own stream."""
    return float(context.rng.normal(model[0], 1.0))


def gaussian_model(fit=gauss_fit, **kw) -> mc.Model:
    return mc.Model(
        fit,
        gauss_sample,
        real=gauss_real,
        samples=N_GAUSS,
        metrics={"var": gauss_var, "mean_sq": gauss_mean_sq, "noisy": gauss_noisy},
        roles={"risk": "mean_sq", "diversity": "var"},
        truth=(0.0, 1.0),
        **kw,
    )


# -- a categorical refit, the twin of mc.Discrete ------------------------------------------------

WEIGHTS = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
D = 30


def cat_real(rng: np.random.Generator) -> np.ndarray:
    return np.repeat(np.arange(WEIGHTS.size), rng.multinomial(D, WEIGHTS))


def cat_fit(data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.bincount(data, minlength=WEIGHTS.size) / data.size


def cat_sample(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.repeat(np.arange(p.size), rng.multinomial(n, p))


def cat_entropy(p: np.ndarray, context: mc.Context) -> float:
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())


def cat_support(p: np.ndarray, context: mc.Context) -> float:
    return float(np.count_nonzero(p))


def cat_tv(p: np.ndarray, context: mc.Context) -> float:
    return float(0.5 * np.abs(p - WEIGHTS).sum())


def categorical_model() -> mc.Model:
    return mc.Model(
        cat_fit,
        cat_sample,
        real=cat_real,
        samples=D,
        metrics={"entropy": cat_entropy, "support_size": cat_support, "tv": cat_tv},
        roles={"risk": "tv", "mode_count": "support_size"},
        truth=WEIGHTS,
    )
