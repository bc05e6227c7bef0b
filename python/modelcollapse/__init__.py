"""modelcollapse: simulate model-data feedback loops fast, and judge them under every definition
of "model collapse" (Position: Model Collapse Does Not Mean What You Think)."""

from . import definitions, roles, theory
from ._core import __version__
from .logged import LoggedRun, read_runs
from .paradigms import Accumulate, AccumulateSubsample, MixReal, Replace
from .profile import Profile, profile, profile_runs
from .settings import KDE, Discrete, Gaussian, GaussianMixture, LinearRegression
from .simulate import CollapseTimes, Run, collapse_times, simulate
from .sweep import Point, grid, sweep

__all__ = [
    "KDE",
    "Accumulate",
    "AccumulateSubsample",
    "CollapseTimes",
    "Discrete",
    "Gaussian",
    "GaussianMixture",
    "LinearRegression",
    "LoggedRun",
    "MixReal",
    "Point",
    "Profile",
    "Replace",
    "Run",
    "__version__",
    "collapse_times",
    "definitions",
    "grid",
    "profile",
    "profile_runs",
    "read_runs",
    "roles",
    "simulate",
    "sweep",
    "theory",
]
