"""Settings: the model family, its real (generation-0) distribution, the fit rule and the sample
size per generation (DESIGN §3). Each setting knows its metrics and how to call its kernel."""

from __future__ import annotations

from .discrete import Discrete
from .gaussian import Gaussian
from .kde import KDE, GaussianMixture
from .regression import LinearRegression

__all__ = [
    "KDE",
    "SETTINGS",
    "Discrete",
    "Gaussian",
    "GaussianMixture",
    "LinearRegression",
    "Setting",
    "check_setting",
]

Setting = Discrete | Gaussian | LinearRegression | KDE
SETTINGS = (Discrete, Gaussian, LinearRegression, KDE)


def check_setting(setting: object) -> Setting:
    """Refuse anything that is not a setting object."""
    if not isinstance(setting, SETTINGS):
        names = ", ".join(f"mc.{s.__name__}" for s in SETTINGS)
        raise TypeError(f"setting must be one of {names}, got {type(setting).__name__}")
    return setting
