"""The eight definitions of "model collapse" (paper Sec. 2) as statistical tests on runs.

Each function takes a run, simulated (`mc.simulate`) or logged (`mc.read_runs`), and returns a
`Verdict`: the statistic, its confidence interval over replicates, the test, its parameters, the
first iteration at which it held where that applies, and the answer, which is None when the
definition does not apply (the verdict says why). The real-data-only model is iteration 1.

What each definition reads is the run's *roles* (`modelcollapse.roles`): a simulated run's come
from its setting (``setting.roles()``, where each setting explains its choices: for instance why
the discrete risk is the total-variation distance), a logged run's from the columns named when it
was read. A role that is not declared makes its definition answer None with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import xarray as xr
from scipy import stats

from . import _checks
from .roles import Hallucination, Modes, Never, NotApplicable, Quantity, Roles, Tails

__all__ = [
    "NAMES",
    "Verdict",
    "any_risk_increase",
    "catastrophic_risk_increase",
    "collapsing_variance",
    "diverging_risk",
    "hallucinated_data",
    "lost_modes",
    "lost_tails",
    "scaling_law_change",
]

#: Definition number -> function name (paper Sec. 2 order).
NAMES = {
    1: "catastrophic_risk_increase",
    2: "any_risk_increase",
    3: "diverging_risk",
    4: "collapsing_variance",
    5: "scaling_law_change",
    6: "lost_modes",
    7: "lost_tails",
    8: "hallucinated_data",
}


@dataclass(frozen=True)
class Verdict:
    """One definition's answer on one run: never a bare yes/no.

    ``collapsed`` is True or False, or None when the definition does not apply to the setting
    (``evidence`` says why). ``statistic`` and ``ci`` (a two-sided confidence interval at
    1 - ``parameters["level"]`` over replicates) are what the test looked at.
    """

    definition: int
    collapsed: bool | None
    statistic: float | None
    ci: tuple[float, float] | None
    test: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    first_iteration: int | None = None
    evidence: str = ""

    def __post_init__(self) -> None:
        number = self.definition
        if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, np.integer)):
            raise TypeError(
                f"definition must be an int, the definition's number 1..8, got {number!r}"
            )
        if number not in NAMES:
            listed = ", ".join(f"{k} {v}" for k, v in NAMES.items())
            raise ValueError(f"definition must be one of 1..8 ({listed}), got {number}")
        object.__setattr__(self, "definition", int(number))
        if not (self.collapsed is None or isinstance(self.collapsed, (bool, np.bool_))):
            raise TypeError(f"collapsed must be True, False or None, got {self.collapsed!r}")

    @property
    def name(self) -> str:
        """The definition's function name, e.g. ``"collapsing_variance"``."""
        return NAMES[self.definition]

    @property
    def applicable(self) -> bool:
        return self.collapsed is not None

    def to_dict(self) -> dict[str, Any]:
        """The verdict as a dict keyed by its attributes' names (``ci`` the interval as a
        (low, high) tuple or None), plus ``name``. `Profile.details` spreads ``ci`` into
        ``ci_low`` and ``ci_high`` columns."""
        return {
            "definition": self.definition,
            "name": self.name,
            "collapsed": self.collapsed,
            "statistic": self.statistic,
            "ci": None if self.ci is None else tuple(self.ci),
            "test": self.test,
            "first_iteration": self.first_iteration,
            "evidence": self.evidence,
            "parameters": dict(self.parameters),
        }


#: Most bootstrap resamples `scaling_law_change` draws (each takes about 0.1 ms).
MAX_BOOTSTRAP = 100_000

#: Most bootstrap resamples `scaling_law_change` draws (each takes about 0.1 ms).
MAX_BOOTSTRAP = 100_000


class RunLike(Protocol):
    """What the definitions read: metrics over (replicate, iteration) and what they mean. A
    simulated run also has a ``setting`` and ``paradigm`` (for exact theory)."""

    @property
    def metrics(self) -> xr.Dataset: ...

    @property
    def roles(self) -> Roles: ...


def _check_run(run: object, *, replicates: int = 2) -> RunLike:
    """Refuse anything but a run (metrics and roles) with at least `replicates` replicates (a
    confidence interval over replicates needs two)."""
    metrics = getattr(run, "metrics", None)
    if not isinstance(metrics, xr.Dataset) or not isinstance(getattr(run, "roles", None), Roles):
        raise TypeError(
            "run must be a mc.Run (from mc.simulate) or a logged run (from mc.read_runs), got "
            f"{type(run).__name__}"
        )
    if "replicate" not in metrics.dims or metrics.sizes["replicate"] < replicates:
        got = metrics.sizes.get("replicate", 0)
        raise ValueError(
            f"run must have at least {replicates} replicates for a confidence interval, got {got}"
        )
    if "iteration" not in metrics.dims:
        raise ValueError("run must have an iteration dimension")
    return run  # type: ignore[return-value]


def _positive(name: str, value: Any) -> float:
    """A positive, finite real parameter (a threshold or factor)."""
    return _checks.real(name, value, minimum=0.0, open_low=True)


def _recorded(run: RunLike) -> np.ndarray:
    return np.asarray(run.metrics.iteration.values)


def _listed(recorded: np.ndarray) -> str:
    """The recorded iterations, shortened for a message."""
    if recorded.size <= 6:
        return ", ".join(str(int(i)) for i in recorded)
    return f"{recorded.size} iterations from {int(recorded[0])} to {int(recorded[-1])}"


def _at(run: RunLike, quantity: Quantity, iteration: int) -> np.ndarray:
    """`quantity` at `iteration`, over replicates."""
    recorded = _recorded(run)
    if iteration not in recorded:
        raise ValueError(
            f"the run did not record iteration {iteration}, which this definition compares "
            f"(it records {_listed(recorded)})"
        )
    return np.asarray(quantity.of(run.metrics).sel(iteration=iteration).values, dtype=np.float64)


def _horizon(run: RunLike, horizon: int | None) -> int:
    """The horizon T every definition shares: a recorded iteration from 1 on (default: the
    last). Iteration 1 is the real-data-only model that the definitions compare with."""
    recorded = _recorded(run)
    last = int(recorded[-1])
    if last < 1:
        raise ValueError(
            "the run records no model fit to data (only iteration 0, the real distribution): "
            "run at least one iteration"
        )
    if horizon is None:
        return last
    horizon = _checks.integer("horizon", horizon, minimum=1)
    if horizon not in recorded:
        raise ValueError(
            f"horizon={horizon} is not a recorded iteration (the run records {_listed(recorded)})"
        )
    return int(horizon)


def _reference(run: RunLike) -> tuple[int, str]:
    """The iteration the model is compared with: 0 (the real distribution) when recorded, else
    1 (the real-data-only model), as in logs that have no iteration 0."""
    if 0 in _recorded(run):
        return 0, "the real distribution (iteration 0)"
    return 1, "the real-data-only model (iteration 1; the run records no iteration 0)"


def _level(level: float) -> float:
    return _checks.real("level", level, minimum=0.0, maximum=0.5, open_low=True, open_high=True)


def _mean_ci(x: np.ndarray, level: float) -> tuple[float, tuple[float, float], float]:
    """Mean, its two-sided (1 - level) t interval, and its standard error."""
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.inf
    q = float(stats.t.ppf(1 - level / 2, max(x.size - 1, 1)))
    return m, (m - q * se, m + q * se), se


def _greater_p(x: np.ndarray) -> float:
    """p-value of a one-sided t-test that mean(x) > 0 (0 or 1 when x does not vary)."""
    if x.std():
        return float(stats.ttest_1samp(x, 0.0, alternative="greater").pvalue)
    return 0.0 if x.mean() > 0 else 1.0


def _median_ci(x: np.ndarray, level: float) -> tuple[float, tuple[float, float]]:
    """Median and its distribution-free (1 - level) interval from order statistics."""
    s = np.sort(x)
    n = s.size
    lo = int(stats.binom.ppf(level / 2, n, 0.5))
    hi = int(stats.binom.isf(level / 2, n, 0.5))
    return float(np.median(s)), (float(s[max(lo - 1, 0)]), float(s[min(hi, n - 1)]))


def _ratio_ci(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, tuple[float, float]]:
    """mean(a) / mean(b) for paired samples, with a delta-method (1 - level) interval."""
    ma, mb = float(a.mean()), float(b.mean())
    ratio = ma / mb
    n = a.size
    cov = np.cov(a, b) / n
    # ratio^2 (c_aa / ma^2 + c_bb / mb^2 - 2 c_ab / (ma mb)), without dividing by ma (0 when the
    # risk at the horizon is 0 in every replicate)
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / mb**2
    half = float(stats.norm.isf(level / 2)) * math.sqrt(max(var, 0.0))
    return ratio, (ratio - half, ratio + half)


def _not_applicable(definition: int, test: str, params: dict[str, Any], why: str) -> Verdict:
    """The verdict of a definition that does not apply, with the reason."""
    return Verdict(definition, None, None, None, test, params, None, f"not applicable: {why}")


def _undeclared(
    definition: int, role: NotApplicable | Never, test: str, params: dict[str, Any]
) -> Verdict:
    """The verdict for a role the run does not declare (None) or that cannot change (False)."""
    if isinstance(role, Never):
        return Verdict(definition, False, 0.0, (0.0, 0.0), test, params, None, role.reason)
    return _not_applicable(definition, test, params, role.reason)


def _first(run: RunLike, quantity: Quantity, holds: Any, horizon: int) -> int | None:
    """First recorded iteration in 1..horizon at which `holds(values over replicates)` is true."""
    series = quantity.of(run.metrics)
    for t in _recorded(run):
        if 1 <= t <= horizon and holds(np.asarray(series.sel(iteration=t).values, np.float64)):
            return int(t)
    return None


# --- family (i): population risk ---------------------------------------------------------------


def _infinite_risk(
    definition: int,
    risk: np.ndarray,
    t: int,
    test: str,
    params: dict[str, Any],
    first: int | None,
) -> Verdict:
    """The verdict when the risk at the horizon is infinite in some replicates (so is its mean)."""
    share = float(np.mean(~np.isfinite(risk)))
    evidence = f"the risk is infinite in {share:.1%} of replicates at iteration {t}"
    return Verdict(definition, True, math.inf, (math.inf, math.inf), test, params, first, evidence)


def catastrophic_risk_increase(
    run: RunLike, *, factor: float = 2.0, horizon: int | None = None, level: float = 0.05
) -> Verdict:
    """Definition 1: the population risk at the horizon exceeds the real-data-only model's
    (iteration 1) by more than ``factor``.

    The paper notes that "catastrophic" is left undefined, so the threshold is explicit. The
    default, 2 (risk more than doubles), separates Appendix A's two loops: Accumulate's ratio
    tends to pi^2/6 = 1.64, Replace's grows without bound. Collapse is declared when the lower
    end of the (1 - level) interval for mean(risk_T) / mean(risk_1) is above ``factor``.
    """
    run = _check_run(run)
    factor = _positive("factor", factor)
    level = _level(level)
    risk, t = run.roles.risk, _horizon(run, horizon)
    r1, rt = _at(run, risk, 1), _at(run, risk, t)
    params = {"factor": factor, "horizon": t, "level": level, "risk": risk.label}
    test = f"mean {risk.label} at iteration {t} / at iteration 1 (real data only) > {factor}"
    if not np.isfinite(rt).all():
        first = _first(run, risk, lambda v: not np.isfinite(v).all(), t)
        return _infinite_risk(1, rt, t, test, params, first)
    mean1 = float(r1.mean())
    if mean1 == 0.0:
        # the real-data-only model is exact (e.g. real counts with N = D): no ratio exists
        if float(rt.mean()) == 0.0:
            why = f"the risk is 0 at iteration 1 and at iteration {t}: no increase"
            return Verdict(1, False, 1.0, (1.0, 1.0), test, params, None, why)
        why = (
            "the real-data-only model has zero risk, so the ratio is undefined "
            "(any_risk_increase tests the increase itself)"
        )
        return _not_applicable(1, test, params, why)
    ratio, ci = _ratio_ci(rt, r1, level)
    first = _first(run, risk, lambda v: float(v.mean()) > factor * mean1, t)
    return Verdict(
        1,
        ci[0] > factor,
        ratio,
        ci,
        test,
        params,
        first,
        f"mean risk {float(rt.mean()):.4g} vs {mean1:.4g} for the real-only model",
    )


def any_risk_increase(run: RunLike, *, horizon: int | None = None, level: float = 0.05) -> Verdict:
    """Definition 2: any increase of population risk over the real-data-only model: a one-sided
    paired t-test that mean(risk_T - risk_1) > 0 at significance ``level``."""
    run = _check_run(run)
    level = _level(level)
    risk, t = run.roles.risk, _horizon(run, horizon)
    r1, rt = _at(run, risk, 1), _at(run, risk, t)
    params = {"horizon": t, "level": level, "risk": risk.label}
    test = f"one-sided paired t-test: mean({risk.label}_{t} - {risk.label}_1) > 0"
    if not np.isfinite(rt).all():
        return _infinite_risk(2, rt, t, test, params, None)
    diff = rt - r1
    m, ci, _ = _mean_ci(diff, level)
    p = _greater_p(diff) if diff.std() else 1.0
    return Verdict(2, p < level, m, ci, test, params, None, f"p = {p:.3g}")


def _doubling(run: RunLike, t: int, parts: tuple[int, ...]) -> tuple[int, ...] | None:
    """The recorded iterations at or below T / part for each part (e.g. (4, 2, 1): T/4, T/2,
    T), from iteration 1 on; None when two of them coincide (too few recorded iterations)."""
    recorded = _recorded(run)
    picked = []
    for part in parts:
        below = recorded[(recorded <= max(t // part, 1)) & (recorded >= 1)]
        picked.append(int(below[-1]))
    return tuple(picked) if len(set(picked)) == len(picked) else None


def _too_short(
    definition: int, what: str, t: int, test: str, params: dict[str, Any], run: RunLike
) -> Verdict:
    """The verdict when the run records too few iterations below the horizon."""
    why = (
        f"this definition compares {what} for T = {t}, which must be distinct recorded "
        f"iterations from 1 on; the run records {_listed(_recorded(run))}"
    )
    return _not_applicable(definition, test, params, why)


#: Exact theory judges divergence from the expected risk's increments over these doubling
#: horizons (scaled up for large samples, whose curves bend later: see `_theory_horizons`).
THEORY_HORIZONS = (2**18, 2**19, 2**20)


def _theory_horizons(samples: int) -> np.ndarray:
    """Doubling horizons long after a setting with `samples` points per generation has settled:
    curves that converge do so on a scale of about `samples` generations (the MLE's
    ((n - 1) / n)^t) or faster."""
    scale = 1
    while THEORY_HORIZONS[0] * scale < 256 * samples and scale < 2**40:
        scale *= 2
    return np.asarray(THEORY_HORIZONS, dtype=np.int64) * scale


def _theory_diverges(run: RunLike, ratio: float) -> tuple[bool, str] | None:
    """Whether the expected risk diverges, where exact theory says (`mc.theory.expected_curve`
    for each metric of the roles' ``risk_theory``): judged by the exact increments over doubling
    horizons, with the same rule as the test. None where no exact curve is known."""
    from . import theory

    setting, paradigm = getattr(run, "setting", None), getattr(run, "paradigm", None)
    names = run.roles.risk_theory
    if setting is None or paradigm is None or not names:
        return None
    horizons = _theory_horizons(int(getattr(setting, "samples", 1)))
    judged = []
    for name in names:
        try:
            values, formula = theory._curve(setting, paradigm, name, horizons)
        except ValueError:  # no exact result for this paradigm, or beyond its reach
            return None
        d1, d2 = values[1] - values[0], values[2] - values[1]
        judged.append((bool(d2 > 0 and d2 > ratio * d1), formula))
    diverging = [formula for diverges, formula in judged if diverges]
    if diverging:
        return True, "theory: " + "; ".join(diverging)
    return False, "theory: " + "; ".join(formula for _, formula in judged) + " (bounded)"


def diverging_risk(
    run: RunLike,
    *,
    horizon: int | None = None,
    level: float = 0.05,
    ratio: float = 2**-0.5,
    theory: bool = True,
) -> Verdict:
    """Definition 3: the population risk grows without bound rather than settling.

    Decided from the increments of mean risk over doubling horizons T/4 -> T/2 -> T. A risk that
    settles like a convergent series (Appendix A's Accumulate: increments ~ 1/t) has its
    increment halve with each doubling; one that grows linearly doubles it, logarithmically keeps
    it. Diverging when two one-sided paired t-tests at ``level`` both hold: the last increment is
    larger than ``ratio`` (default 2^-1/2, halfway in exponent between "halves" and "stays")
    times the previous one, mean(d2 - ratio d1) > 0, and the last increment is itself positive,
    mean(d2) > 0 (a falling or flat risk, whose earlier increment is negative or zero, satisfies
    the first alone). (Linear tests, not a ratio: heavy-tailed risks, such as W2^2 under Replace,
    whose mean is carried by rare replicates, keep them well behaved.) A finite horizon cannot
    tell a very slow divergence from a slow convergence; the verdict reports the increments so
    that the reader can judge.

    With ``theory`` (the default), where exact theory settles the question for a simulated run
    (the roles' ``risk_theory`` curves from `mc.theory.expected_curve`), it decides, and the
    test's outcome stays in the evidence: Replace's expected W2^2 for an unbiased Gaussian fit
    grows like t tr(S0)/n, yet it is carried by rare replicates whose variance has not
    collapsed, so a sample of a thousand replicates often cannot see it.
    """
    run = _check_run(run)
    level = _level(level)
    ratio = _checks.real("ratio", ratio, minimum=0.0)
    theory = _checks.flag("theory", theory)
    risk, t = run.roles.risk, _horizon(run, horizon)
    params: dict[str, Any] = {"horizon": t, "level": level, "ratio": ratio, "risk": risk.label}
    three = _doubling(run, t, (4, 2, 1))
    test = (
        f"one-sided paired t-tests: the increment of {risk.label} over T/2->T > 0 and > "
        f"{ratio:.3g} x the increment over T/4->T/2"
    )
    if three is None:
        return _too_short(3, "iterations T/4, T/2 and T", t, test, params, run)
    a, b, c = three
    params["horizons"] = three
    test = (
        f"one-sided paired t-tests: the increment of {risk.label} over {b}->{c} > 0 and > "
        f"{ratio:.3g} x the increment over {a}->{b}"
    )
    ra, rb, rc = (_at(run, risk, i) for i in three)
    if not np.isfinite(rc).all():
        return Verdict(
            3,
            True,
            math.inf,
            (math.inf, math.inf),
            test,
            params,
            None,
            f"the risk is infinite in some replicates at iteration {c}",
        )
    d1, d2 = rb - ra, rc - rb
    m1, m2 = float(d1.mean()), float(d2.mean())
    p_faster, p_rising = _greater_p(d2 - ratio * d1), _greater_p(d2)
    if m1 > 0:
        growth, ci = _ratio_ci(d2, d1, level)
    else:
        growth, ci = (math.inf, (math.inf, math.inf)) if m2 > 0 else (0.0, (0.0, 0.0))
    collapsed = p_faster < level and p_rising < level
    evidence = (
        f"mean risk {float(ra.mean()):.4g}, {float(rb.mean()):.4g}, {float(rc.mean()):.4g} at "
        f"{a}, {b}, {c}; increments {m1:.3g} then {m2:.3g} (ratio {growth:.3g}); "
        f"p = {p_faster:.3g} (not slowing), {p_rising:.3g} (rising)"
    )
    exact = _theory_diverges(run, ratio) if theory else None
    if exact is not None:
        params["theory"] = True
        evidence = f"{exact[1]}; the test alone says {'yes' if collapsed else 'no'}: {evidence}"
        collapsed = exact[0]
    return Verdict(3, collapsed, growth, ci, test, params, None, evidence)


# --- family (ii): the distribution's shape ------------------------------------------------------


def collapsing_variance(
    run: RunLike, *, threshold: float = 0.1, horizon: int | None = None, level: float = 0.05
) -> Verdict:
    """Definition 4: the model's variance (diversity) trends to 0.

    The diversity is the roles' (a setting's own: the entropy of a discrete model, a Gaussian's
    covariance trace, a KDE's variance, a regression's output noise variance). Its ratio to the
    real distribution's (iteration 0; a log without iteration 0: the real-data-only model's) is
    taken per replicate, and its *median* is the statistic: under Replace a Gaussian's variance is
    a martingale whose mean never moves while almost every path goes to 0 (Sec. 2.1). Collapsed
    when the upper end of the median's (1 - level) interval is below ``threshold`` (default: 90 %
    of the diversity gone) and the median has not risen from T/2 to T (it may have reached 0).
    """
    run = _check_run(run)
    threshold = _positive("threshold", threshold)
    level = _level(level)
    t = _horizon(run, horizon)
    params: dict[str, Any] = {"threshold": threshold, "horizon": t, "level": level}
    test = f"median over replicates of diversity_{t} / diversity_real < {threshold}, not rising"
    role = run.roles.diversity
    if not isinstance(role, Quantity):
        return _undeclared(4, role, test, params)
    ref, ref_name = _reference(run)
    halves = _doubling(run, t, (2, 1))
    if halves is None:
        return _too_short(4, "iterations T/2 and T", t, test, params, run)
    values = role.of(run.metrics)
    real = np.asarray(values.sel(iteration=ref).values, dtype=np.float64)
    if not np.all(real > 0):
        why = (
            f"{role.label} of {ref_name} is {float(real.min()):.3g} in "
            f"{int(np.sum(~(real > 0))):,} replicates: there is no diversity to lose"
        )
        return _not_applicable(4, test, params, why)
    at_t = np.asarray(values.sel(iteration=t).values, dtype=np.float64)
    at_half = np.asarray(values.sel(iteration=halves[0]).values, dtype=np.float64)
    median, ci = _median_ci(at_t / real, level)
    falling = float(np.median(at_t)) <= float(np.median(at_half))
    collapsed = ci[1] < threshold and falling
    first = next(
        (
            int(i)
            for i in _recorded(run)
            if 1 <= i <= t
            and np.median(np.asarray(values.sel(iteration=i).values) / real) < threshold
        ),
        None,
    )
    evidence = (
        f"{role.label} relative to {ref_name}: median ratio {median:.3g}; "
        f"{'not rising' if falling else 'rising again'}"
    )
    params |= {"diversity": role.label, "reference_iteration": ref}
    return Verdict(4, collapsed, median, ci, test, params, first, evidence)


def _size_runs(runs: object) -> Mapping[int, RunLike] | None:
    """Definition 5's runs by sample size: a mapping, or a logged run read with a size column;
    None for a single run of one size."""
    if isinstance(runs, Mapping):
        return runs
    if isinstance(getattr(runs, "metrics", None), xr.Dataset):
        return getattr(runs, "by_size", None)
    raise TypeError(
        "runs must map sample sizes to runs ({n: mc.Run}) or be a logged run read with a "
        f"size column (mc.read_runs(..., size=COLUMN)), got {type(runs).__name__}"
    )


def scaling_law_change(
    runs: Mapping[int, RunLike] | RunLike,
    *,
    horizon: int | None = None,
    level: float = 0.05,
    bootstrap: int = 400,
) -> Verdict:
    """Definition 5: the scaling law of risk against training-set size changes.

    ``runs`` maps sample sizes n to runs of the same loop (or is a logged run read with a size
    column). For the real-data-only model (iteration 1) and the model at the horizon, log(mean
    excess risk) is fit against log n by least squares (log n centred, so the intercept is the
    log risk at the geometric-mean size). Collapse when the exponent or the prefactor differs
    between the two beyond a (1 - level) bootstrap interval over replicates (paired: the same
    replicates give both fits). The excess risk is the roles' ``excess_risk``; where none is
    declared the risk itself is fit, which assumes its floor is 0 (the evidence says so).
    """
    level = _level(level)
    by_size = _size_runs(runs)
    test = "log mean excess risk ~ a + b log n: (a, b) at the horizon vs at iteration 1"
    if by_size is None:
        why = (
            "the run has a single training size: pass runs at several sizes ({n: run}), or read "
            "a log with its size column (mc.read_runs(..., size=COLUMN))"
        )
        return _not_applicable(5, test, {}, why)
    if len(by_size) < 3:
        if isinstance(runs, Mapping):
            raise ValueError("scaling_law_change needs runs at 3 or more sample sizes")
        why = f"the scaling law needs runs at 3 or more sample sizes, got {len(by_size)}"
        return _not_applicable(5, test, {}, why)
    for n, run in by_size.items():
        _checks.integer("runs' sample sizes (keys)", n, minimum=1)
        _check_run(run)
    kinds = {type(getattr(run, "setting", None)).__name__ for run in by_size.values()}
    if len(kinds) > 1:
        raise ValueError(f"runs must all be of one setting type, got {sorted(kinds)}")
    bootstrap = _checks.integer("bootstrap", bootstrap, minimum=1, maximum=MAX_BOOTSTRAP)
    sizes = sorted(by_size)
    first = by_size[sizes[0]]
    t = _horizon(first, horizon)
    params = {"sizes": tuple(sizes), "horizon": t, "level": level, "bootstrap": bootstrap}
    roles = first.roles
    excess = roles.excess_risk if isinstance(roles.excess_risk, Quantity) else roles.risk
    floor = (
        ""
        if isinstance(roles.excess_risk, Quantity)
        else f"; no excess risk is declared, so {excess.label} itself is fit (its floor taken as 0)"
    )
    params["excess_risk"] = excess.label
    pairs = [(_at(by_size[n], excess, 1), _at(by_size[n], excess, t)) for n in sizes]
    if any(not (np.isfinite(p).all() and p.mean() > 0) for pair in pairs for p in pair):
        why = "the excess risk is not positive and finite at every size"
        return _not_applicable(5, test, params, why)
    x = np.log(np.asarray(sizes, dtype=np.float64))
    x -= x.mean()

    def fit(means: np.ndarray) -> tuple[float, float]:
        if not np.all(means > 0):  # a resample with no excess risk at some size: no log-law
            return math.nan, math.nan
        slope, intercept = np.polyfit(x, np.log(means), 1)
        return float(intercept), float(slope)

    def fits(index: list[np.ndarray] | None) -> np.ndarray:
        chosen = index or [None] * len(pairs)
        real = np.array(
            [(p[0] if i is None else p[0][i]).mean() for p, i in zip(pairs, chosen, strict=True)]
        )
        loop = np.array(
            [(p[1] if i is None else p[1][i]).mean() for p, i in zip(pairs, chosen, strict=True)]
        )
        (a0, b0), (a1, b1) = fit(real), fit(loop)
        return np.array([a1 - a0, b1 - b0, a0, b0, a1, b1])

    point = fits(None)
    gen = np.random.default_rng(20250000 + len(sizes))
    boot = np.array(
        [fits([gen.integers(0, p[0].size, p[0].size) for p in pairs]) for _ in range(bootstrap)]
    )
    usable = np.isfinite(boot[:, :2]).all(axis=1)
    if usable.sum() < bootstrap / 2:
        why = (
            f"the excess risk is 0 at some size in {np.sum(~usable)} of "
            f"{bootstrap} bootstrap resamples (too few replicates?)"
        )
        return _not_applicable(5, test, params, why)
    lo, hi = np.quantile(boot[usable, :2], [level / 2, 1 - level / 2], axis=0)
    prefactor_changed = not lo[0] <= 0 <= hi[0]
    exponent_changed = not lo[1] <= 0 <= hi[1]
    evidence = (
        f"real only: exponent {point[3]:.3f}, log prefactor {point[2]:.3f}; at iteration {t}: "
        f"exponent {point[5]:.3f}, log prefactor {point[4]:.3f}; differences: log prefactor "
        f"{point[0]:.3f} [{lo[0]:.3f}, {hi[0]:.3f}], exponent {point[1]:.3f} "
        f"[{lo[1]:.3f}, {hi[1]:.3f}]{floor}"
    )
    return Verdict(
        5,
        prefactor_changed or exponent_changed,
        float(point[0]),
        (float(lo[0]), float(hi[0])),
        test,
        params,
        None,
        evidence,
    )


def lost_modes(run: RunLike, *, horizon: int | None = None, level: float = 0.05) -> Verdict:
    """Definition 6: real modes disappear (or merge).

    The roles say what a mode is. Counted modes (a discrete model's atoms: every atom of the real
    distribution is a mode): the statistic is the mean number of modes that the real-data-only
    model (iteration 1) has and the model at the horizon has lost, collapse when it is
    significantly above 0 (one-sided t-test); modes missing from the real data themselves are not
    the synthetic data's doing. Mode mass (a KDE on a mixture): a mode is lost when the model
    keeps less than half the real mass around it; the statistic is the median over replicates of
    the weakest mode's relative mass, collapse when its interval lies below one half. A setting
    whose fits keep their single mode by construction (a Gaussian) answers no, saying so.
    """
    run = _check_run(run)
    level = _level(level)
    t = _horizon(run, horizon)
    params = {"horizon": t, "level": level}
    role = run.roles.modes
    if not isinstance(role, Modes):
        return _undeclared(6, role, "count of real modes lost", params)
    q = role.quantity
    if role.kind == "mass":
        test = f"median over replicates of {q.label} (the weakest real mode) < 0.5"
        weakest = _at(run, q, t)
        median, ci = _median_ci(weakest, level)
        first = _first(run, q, lambda v: float(np.median(v)) < 0.5, t)
        return Verdict(6, ci[1] < 0.5, median, ci, test, params, first, role.description or q.label)
    learned = _at(run, q, 1)
    lost = learned - _at(run, q, t)
    m, ci, _ = _mean_ci(lost, level)
    p = _greater_p(lost)
    mean_learned = float(learned.mean())
    first = _first(run, q, lambda v: float(v.mean()) < mean_learned, t)
    real = "" if role.real is None else f"{role.real} real {role.unit}, "
    return Verdict(
        6,
        p < level,
        m,
        ci,
        f"one-sided t-test: mean {role.unit} lost since the real-only model (iteration 1) > 0",
        params,
        first,
        f"{real}{mean_learned:.4g} in the real-only model on average; "
        f"{np.mean(lost > 0):.1%} of replicates lost some",
    )


def lost_tails(
    run: RunLike,
    *,
    factor: float = 0.5,
    horizon: int | None = None,
    level: float = 0.05,
) -> Verdict:
    """Definition 7: the model stops covering the real distribution's tails.

    The roles name the real tail region (a setting's ``tail`` parameter sets it: the rarest
    atoms of a discrete distribution, a Gaussian's shell between the real ellipsoids holding
    1 - tail and 1 - hallucination of the mass, a KDE's outside of the real central interval,
    a regression's real conditional tails of y given x), the model's mass there and the real
    mass there. The statistic is the median over replicates of the model's mass there relative
    to the real's; collapse when the upper end of its (1 - level) interval is below ``factor``.
    """
    run = _check_run(run)
    factor = _positive("factor", factor)
    level = _level(level)
    t = _horizon(run, horizon)
    params: dict[str, Any] = {"factor": factor, "horizon": t, "level": level}
    test = f"median model mass on the real tails / real tail mass < {factor}"
    role = run.roles.tails
    if not isinstance(role, Tails):
        return _undeclared(7, role, test, params)
    real = _at(run, role.real, 0) if isinstance(role.real, Quantity) else role.real
    coverage = _at(run, role.model, t) / real
    median, ci = _median_ci(coverage, level)
    return Verdict(
        7,
        ci[1] < factor,
        median,
        ci,
        test,
        params | {"region": role.region},
        None,
        f"real tails: {role.region}",
    )


def hallucinated_data(
    run: RunLike,
    *,
    level_set: bool = False,
    factor: float = 2.0,
    horizon: int | None = None,
    level: float = 0.05,
) -> Verdict:
    """Definition 8: the model puts mass where the real distribution has none.

    By default "none" means outside the real support (the paper's "not supported by the original
    real data's distribution"): resampling never creates an atom outside the real support, and
    Gaussians, KDEs and linear-Gaussian regressions have full support, so in the built-in
    settings this is False by construction, with that as the evidence. With ``level_set=True``,
    "none" means beyond the real highest-density region holding 1 - hallucination of the mass
    (a setting's ``hallucination``). Collapse when the (1 - level) interval's lower end of the
    median model mass there is above ``factor`` times the real mass there (above 0 where the real
    mass is 0); the statistic is the median ratio (the median mass where the real mass is 0).
    """
    run = _check_run(run)
    level_set = _checks.flag("level_set", level_set)
    factor = _positive("factor", factor)
    level = _level(level)
    t = _horizon(run, horizon)
    params = {"level_set": level_set, "factor": factor, "horizon": t, "level": level}
    role = run.roles.level_set if level_set else run.roles.hallucination
    region = "beyond the real level set" if level_set else "outside the real support"
    if not isinstance(role, Hallucination):
        return _undeclared(8, role, f"model mass {region} > 0", params)
    mass = _at(run, role.model, t)
    if role.real > 0:
        test = f"median model mass {region} / real mass there > {factor}"
        median, ci = _median_ci(mass / role.real, level)
        collapsed = ci[0] > factor
        evidence = f"median model mass {role.region} is {median:.3g} x the real's"
    else:
        test = f"median model mass {region} > 0"
        median, ci = _median_ci(mass, level)
        collapsed = ci[0] > 0
        evidence = f"median model mass {role.region} is {median:.3g} (the real mass there is 0)"
    return Verdict(8, collapsed, median, ci, test, params | {"region": role.region}, None, evidence)
