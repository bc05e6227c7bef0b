"""modelcollapse: simulate model-data feedback loops fast, and judge them under every definition
of "model collapse" (Position: Model Collapse Does Not Mean What You Think)."""

from . import definitions, roles, sklearn, theory
from ._core import __version__
from ._profile import Profile, profile, profile_runs
from .logged import LoggedRun, read_runs
from .models import Context, Model, ModelError
from .paradigms import Accumulate, AccumulateSubsample, FreshReal, MixReal, Replace
from .passage import first_passage
from .settings import KDE, Discrete, Gaussian, GaussianMixture, LinearRegression
from .simulate import CollapseTimes, Run, collapse_times, simulate
from .sweep import Point, grid, point_run, point_times, sweep, sweep_collapse_times

__all__ = [
    "KDE",
    "Accumulate",
    "AccumulateSubsample",
    "CollapseTimes",
    "Context",
    "Discrete",
    "FreshReal",
    "Gaussian",
    "GaussianMixture",
    "LinearRegression",
    "LoggedRun",
    "MixReal",
    "Model",
    "ModelError",
    "Point",
    "Profile",
    "Replace",
    "Run",
    "__version__",
    "collapse_times",
    "definitions",
    "first_passage",
    "grid",
    "point_run",
    "point_times",
    "profile",
    "profile_runs",
    "read_runs",
    "roles",
    "simulate",
    "sklearn",
    "sweep",
    "sweep_collapse_times",
    "theory",
]
