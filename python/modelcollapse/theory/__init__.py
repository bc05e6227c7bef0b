"""Exact theory (DESIGN §5): where an expectation is known exactly, it decides.

* `expected_curve(setting, paradigm, metric, iterations)`: E[metric_t] of a recorded metric at
  the given iterations, for the settings, paradigms and metrics whose expectation is known in
  closed form or by an exact recursion (a ValueError names them elsewhere):

  - `mc.Discrete` under Replace: entropy, support_size, gini_simpson (`theory.discrete`);
  - `mc.Gaussian` with real data drawn per replicate: under Replace w2sq_mean, cov_trace,
    logdet, nll_real; under Accumulate(growth) w2sq_mean, cov_trace (`theory.gaussian`);
  - `mc.LinearRegression` under Replace and Accumulate (whole-number growth): excess_risk,
    test_error, param_error, noise_estimate (`theory.regression`).

* The discrete setting's collapse time under Replace: `expected_collapse_time`,
  `collapse_time_variance`, `collapse_time_cdf`, `littler`, and every curve at once by
  `discrete_curves`; parts of the distribution: `loss_probability` and `fixation_probability`
  of a group of atoms (by default `tail_atoms`, the real tail set of the ``tail_mass`` metric).
  Each chooses between the exact chain and the diffusion limit by one documented rule and says
  which it used (``return_method=True``, or ``attrs["method"]``; see `theory.discrete`).

Each family module exposes ``expected_curve(setting, paradigm, metric, grid)`` returning the
values and a line saying which formula they come from (the evidence a definition quotes).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..paradigms import Paradigm, check_paradigm
from ..settings import check_setting
from . import discrete, gaussian, regression
from .discrete import (
    _iteration_grid,
    collapse_time_cdf,
    collapse_time_pmf,
    collapse_time_variance,
    discrete_curves,
    expected_collapse_time,
    fixation_probability,
    littler,
    loss_probability,
    tail_atoms,
)

__all__ = [
    "collapse_time_cdf",
    "collapse_time_pmf",
    "collapse_time_variance",
    "discrete_curves",
    "expected_collapse_time",
    "expected_curve",
    "fixation_probability",
    "littler",
    "loss_probability",
    "tail_atoms",
]

#: What has exact curves, for the message of a setting that has none.
_SUPPORTED = "; ".join(module.SUPPORTED for module in (discrete, gaussian, regression))


def expected_curve(
    setting: object,
    paradigm: object,
    metric: str,
    iterations: int | npt.ArrayLike,
    *,
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """The exact expectation E[metric_t] over replicates at the given iterations, as `simulate`
    records the metric (iteration 0 is the real distribution, iteration 1 the fit to the real
    data).

    `iterations` is an int n (iterations 0..n) or a 1-D array of iterations; the result is a
    float64 array of the same length. Exact curves are known for

    * ``mc.Discrete`` under ``Replace()``: ``entropy``, ``support_size``, ``gini_simpson``
      (from `discrete_curves`; E[entropy] needs the exact chain, D <= 10,000);
    * ``mc.Gaussian`` with real data drawn per replicate (``data=None``), either estimator:
      under ``Replace()`` ``w2sq_mean``, ``cov_trace``, ``logdet``, ``nll_real``; under
      ``Accumulate(growth)`` ``w2sq_mean``, ``cov_trace``;
    * ``mc.LinearRegression`` under ``Replace()`` and ``Accumulate(growth)`` (whole-number
      growth), either design and noise model: ``excess_risk``, ``test_error``, ``param_error``,
      and ``noise_estimate`` with ``noise_model="estimated"``.

    Each setting supplies its own (``setting._expected_curve``). Anything else raises a
    ValueError naming what is supported; arguments of the wrong type raise a TypeError naming
    the parameter.

    With ``return_method=True`` the result is ``(values, method)``: "exact" for the closed forms
    and recursions, and for ``mc.Discrete``'s support_size either "exact" or "diffusion" by the
    one rule of `theory.discrete` (beyond D = 10,000 or an affordable horizon, the diffusion
    limit, accurate to O(1/D)).
    """
    return_method = discrete._check_flag("return_method", return_method)
    values, _ = _curve(setting, paradigm, metric, iterations)
    if not return_method:
        return values
    method = "exact"
    if isinstance(setting, discrete.Discrete):
        method = discrete.curve_method(setting, metric, _iteration_grid(iterations))
    return values, method


def _curve(
    setting: object,
    paradigm: object,
    metric: str,
    iterations: int | npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], str]:
    """`expected_curve` and a line saying which formula the values come from (for the evidence
    of a verdict). `iterations` may already be a grid of iterations."""
    checked_setting = check_setting(setting)
    checked: Paradigm = check_paradigm(paradigm)
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a str (a recorded metric's name), got {metric!r}")
    grid = _iteration_grid(iterations)
    try:
        values, why = checked_setting._expected_curve(checked, metric, grid)
    except NotImplementedError:
        raise ValueError(
            f"no exact expected curves are known for {type(setting).__name__}; they exist for "
            f"{_SUPPORTED}"
        ) from None
    return np.asarray(values, dtype=np.float64), why
