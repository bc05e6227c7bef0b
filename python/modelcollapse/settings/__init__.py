"""Settings: the model family, its real (generation-0) distribution, the fit rule and the sample
size per generation (DESIGN §3). Each setting knows its metrics, how to call its kernel and what
its metrics mean (its roles); the `Setting` base says what every setting offers."""

from __future__ import annotations

from ._base import Setting
from .discrete import Discrete
from .gaussian import Gaussian
from .kde import KDE, GaussianMixture
from .regression import LinearRegression

__all__ = [
    "KDE",
    "Discrete",
    "Gaussian",
    "GaussianMixture",
    "LinearRegression",
    "Setting",
    "check_setting",
]


def check_setting(setting: object) -> Setting:
    """Refuse anything that is not a setting object."""
    if not isinstance(setting, Setting):
        names = ", ".join(f"mc.{s.__name__}" for s in Setting.__subclasses__())
        raise TypeError(f"setting must be a setting ({names}), got {type(setting).__name__}")
    return setting
