"""The eight definitions of "model collapse" (paper Sec. 2) as statistical tests on runs.

Each function takes a `Run` (or, for the scaling law, runs at several sample sizes) and returns a
`Verdict`: the statistic, its confidence interval over replicates, the test, its parameters, the
first iteration at which it held where that applies, and the answer, which is None when the
definition does not apply to the setting (the verdict says why). The real-data-only model is
iteration 1, the fit to the real data alone, recorded in every run. Population risk is the
setting's own: NLL of real data (KDE), W2^2 to the real distribution (Gaussian), test error
(LinearRegression), and for Discrete the total-variation distance to the real distribution: its
NLL is infinite as soon as a real atom is missing, which already happens at iteration 1 with
positive probability, so its mean is infinite under every paradigm and every risk definition
would answer yes for that reason alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from . import _checks
from .paradigms import Accumulate, Replace
from .settings import KDE, Discrete, Gaussian, LinearRegression
from .simulate import Run

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

    @property
    def name(self) -> str:
        return NAMES[self.definition]

    @property
    def applicable(self) -> bool:
        return self.collapsed is not None

    def to_dict(self) -> dict[str, Any]:
        low, high = self.ci if self.ci is not None else (None, None)
        return {
            "definition": self.definition,
            "name": self.name,
            "collapsed": self.collapsed,
            "statistic": self.statistic,
            "ci_low": low,
            "ci_high": high,
            "test": self.test,
            "first_iteration": self.first_iteration,
            "evidence": self.evidence,
            "parameters": dict(self.parameters),
        }


#: Most bootstrap resamples `scaling_law_change` draws (each takes about 0.1 ms).
MAX_BOOTSTRAP = 100_000

# --- what each setting calls risk and diversity ------------------------------------------------

RISK_METRIC = {
    Discrete: "tv_to_real",
    Gaussian: "w2sq",
    LinearRegression: "test_error",
    KDE: "nll_real",
}


def _check_run(run: object, *, replicates: int = 2) -> Run:
    """Refuse anything but a Run with at least `replicates` replicates (a confidence interval
    over replicates needs two)."""
    if not isinstance(run, Run):
        raise TypeError(f"run must be a mc.Run (from mc.simulate), got {type(run).__name__}")
    if "replicate" not in run.metrics.dims or run.metrics.sizes["replicate"] < replicates:
        got = run.metrics.sizes.get("replicate", 0)
        raise ValueError(
            f"run must have at least {replicates} replicates for a confidence interval, got {got}"
        )
    return run


def _positive(name: str, value: Any) -> float:
    """A positive, finite real parameter (a threshold or factor)."""
    return _checks.real(name, value, minimum=0.0, open_low=True)


def _metric(run: Run, name: str) -> Any:
    if name not in run.metrics:
        kind = type(run.setting).__name__
        raise ValueError(f"the run must record {name!r} for this definition on {kind}")
    return run.metrics[name]


def _at(run: Run, name: str, iteration: int) -> np.ndarray:
    recorded = run.metrics.iteration.values
    if iteration not in recorded:
        raise ValueError(
            f"the run did not record iteration {iteration} (recorded: {recorded[0]}, "
            f"{recorded[1] if recorded.size > 1 else ''}, ..., {recorded[-1]}); use stride=1"
        )
    return np.asarray(_metric(run, name).sel(iteration=iteration).values, dtype=np.float64)


def _horizon(run: Run, horizon: int | None) -> int:
    last = int(run.metrics.iteration.values[-1])
    if horizon is None:
        return last
    horizon = _checks.integer("horizon", horizon, minimum=0)
    if horizon not in run.metrics.iteration.values:
        raise ValueError(f"horizon={horizon} is not a recorded iteration (last: {last})")
    return int(horizon)


def _risk(run: Run) -> str:
    return RISK_METRIC[type(run.setting)]


def _level(level: float) -> float:
    return _checks.real("level", level, minimum=0.0, maximum=0.5, open_low=True, open_high=True)


def _mean_ci(x: np.ndarray, level: float) -> tuple[float, tuple[float, float], float]:
    """Mean, its two-sided (1 - level) t interval, and its standard error."""
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.inf
    q = float(stats.t.ppf(1 - level / 2, max(x.size - 1, 1)))
    return m, (m - q * se, m + q * se), se


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
    return Verdict(definition, None, None, None, test, params, None, why)


def _first(run: Run, name: str, holds: Any) -> int | None:
    """First recorded iteration >= 1 at which `holds(values over replicates)` is true."""
    series = _metric(run, name)
    for t in run.metrics.iteration.values:
        if t >= 1 and holds(np.asarray(series.sel(iteration=t).values, dtype=np.float64)):
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
    run: Run, *, factor: float = 2.0, horizon: int | None = None, level: float = 0.05
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
    name, t = _risk(run), _horizon(run, horizon)
    r1, rt = _at(run, name, 1), _at(run, name, t)
    params = {"factor": factor, "horizon": t, "level": level, "risk": name}
    test = f"mean {name} at iteration {t} / at iteration 1 (real data only) > {factor}"
    if not np.isfinite(rt).all():
        first = _first(run, name, lambda v: not np.isfinite(v).all())
        return _infinite_risk(1, rt, t, test, params, first)
    mean1 = float(r1.mean())
    if mean1 == 0.0:
        # the real-data-only model is exact (e.g. real counts with N = D): no ratio exists
        if float(rt.mean()) == 0.0:
            why = f"the risk is 0 at iteration 1 and at iteration {t}: no increase"
            return Verdict(1, False, 1.0, (1.0, 1.0), test, params, None, why)
        why = (
            "not applicable: the real-data-only model has zero risk, so the ratio is undefined "
            "(any_risk_increase tests the increase itself)"
        )
        return _not_applicable(1, test, params, why)
    ratio, ci = _ratio_ci(rt, r1, level)
    first = _first(run, name, lambda v: float(v.mean()) > factor * mean1)
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


def any_risk_increase(run: Run, *, horizon: int | None = None, level: float = 0.05) -> Verdict:
    """Definition 2: any increase of population risk over the real-data-only model: a one-sided
    paired t-test that mean(risk_T - risk_1) > 0 at significance ``level``."""
    run = _check_run(run)
    level = _level(level)
    name, t = _risk(run), _horizon(run, horizon)
    r1, rt = _at(run, name, 1), _at(run, name, t)
    params = {"horizon": t, "level": level, "risk": name}
    test = f"one-sided paired t-test: mean({name}_{t} - {name}_1) > 0"
    if not np.isfinite(rt).all():
        return _infinite_risk(2, rt, t, test, params, None)
    diff = rt - r1
    m, ci, _ = _mean_ci(diff, level)
    p = float(stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue) if diff.std() else 1.0
    return Verdict(2, p < level, m, ci, test, params, None, f"p = {p:.3g}")


def _three_horizons(run: Run, t: int, who: str) -> tuple[int, int, int]:
    recorded = run.metrics.iteration.values
    pick = [int(recorded[recorded <= max(h, 1)][-1]) for h in (t // 4, t // 2, t)]
    if len(set(pick)) < 3:
        raise ValueError(
            f"{who} needs a horizon of at least 4 recorded steps (iterations T/4, T/2 and T must "
            f"differ), got horizon {t}"
        )
    return pick[0], pick[1], pick[2]


def _theory_diverges(run: Run) -> tuple[bool, str] | None:
    """Whether the expected risk diverges, where exact theory says (Sec. 2.1, Appendix A)."""
    s, p = run.setting, run.paradigm
    if isinstance(s, LinearRegression) and isinstance(p, Replace):
        return True, "theory: each generation adds noise^2 tr((X^T X)^-1) of expected excess risk"
    if (
        isinstance(s, LinearRegression)
        and isinstance(p, Accumulate)
        and p.growth == 1.0
        and s.noise_model == "known"
    ):
        return False, "theory: expected excess risk -> (pi^2/6) x the first model's"
    if isinstance(s, Gaussian) and isinstance(p, Replace):
        if s.estimator == "unbiased":
            return True, "theory: E|mu_t - mu0|^2 = t tr(S0)/n (E S_t = S0, a martingale)"
        return False, "theory: E|mu_t - mu0|^2 = tr(S0)/n sum_k ((n-1)/n)^k < tr(S0)"
    if isinstance(s, Gaussian) and isinstance(p, Accumulate) and p.growth == 1.0:
        return False, "theory: E|mu_t - mu0|^2 <= (pi^2/6) tr(S0)/n, E tr S_t <= tr(S0)"
    return None


def diverging_risk(
    run: Run,
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
    it. Diverging when a one-sided paired t-test at ``level`` finds the last increment larger than
    ``ratio`` (default 2^-1/2, halfway in exponent between "halves" and "stays") times the
    previous one: mean(d2 - ratio d1) > 0. (A linear test, not a ratio: heavy-tailed risks, such
    as W2^2 under Replace, whose mean is carried by rare replicates, keep it well behaved.) A
    finite horizon cannot tell a very slow divergence from a slow convergence; the verdict
    reports the increments so that the reader can judge.

    With ``theory`` (the default), where the setting's exact theory settles the question, it
    decides, and the test's outcome stays in the evidence: Replace's expected W2^2 for an
    unbiased Gaussian fit grows like t tr(S0)/n, yet it is carried by rare replicates whose
    variance has not collapsed, so a sample of a thousand replicates often cannot see it.
    """
    run = _check_run(run)
    level = _level(level)
    ratio = _checks.real("ratio", ratio, minimum=0.0)
    theory = _checks.flag("theory", theory)
    name, t = _risk(run), _horizon(run, horizon)
    a, b, c = _three_horizons(run, t, "diverging_risk")
    params = {"horizon": t, "level": level, "ratio": ratio, "risk": name, "horizons": (a, b, c)}
    test = (
        f"one-sided paired t-test: increment of {name} over {b}->{c} > {ratio:.3g} x the "
        f"increment over {a}->{b}"
    )
    ra, rb, rc = (_at(run, name, i) for i in (a, b, c))
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
    excess = d2 - ratio * d1
    p = (
        float(stats.ttest_1samp(excess, 0.0, alternative="greater").pvalue)
        if excess.std()
        else (0.0 if excess.mean() > 0 else 1.0)
    )
    if m1 > 0:
        growth, ci = _ratio_ci(d2, d1, level)
    else:
        growth, ci = (math.inf, (math.inf, math.inf)) if m2 > 0 else (0.0, (0.0, 0.0))
    collapsed = p < level
    evidence = (
        f"mean risk {float(ra.mean()):.4g}, {float(rb.mean()):.4g}, {float(rc.mean()):.4g} at "
        f"{a}, {b}, {c}; increments {m1:.3g} then {m2:.3g} (ratio {growth:.3g}); p = {p:.3g}"
    )
    exact = _theory_diverges(run) if theory else None
    if exact is not None:
        params["theory"] = True
        evidence = f"{exact[1]}; the test alone says {'yes' if collapsed else 'no'}: {evidence}"
        collapsed = exact[0]
    return Verdict(3, collapsed, growth, ci, test, params, None, evidence)


# --- family (ii): the distribution's shape ------------------------------------------------------


def _diversity(run: Run) -> tuple[np.ndarray | None, str]:
    """Per (replicate, iteration) diversity of the model, or None with the reason it is constant."""
    s = run.setting
    if isinstance(s, Discrete):
        return np.asarray(_metric(run, "entropy").values), "entropy"
    if isinstance(s, Gaussian):
        return np.asarray(_metric(run, "cov_trace").values), "cov_trace"
    if isinstance(s, KDE):
        return np.asarray(_metric(run, "support_spread").values) ** 2, "support_spread^2"
    if s.noise_model == "estimated":
        return np.asarray(_metric(run, "noise_estimate").values), "noise_estimate"
    return None, "the model's output variance is the known noise^2 at every iteration"


def collapsing_variance(
    run: Run, *, threshold: float = 0.1, horizon: int | None = None, level: float = 0.05
) -> Verdict:
    """Definition 4: the model's variance (diversity) trends to 0.

    Diversity is the entropy (Discrete), the covariance trace (Gaussian), the variance
    (KDE), the output noise variance (LinearRegression). Its ratio to the real distribution's is
    taken per replicate, and its *median* is the statistic: under Replace a Gaussian's variance is
    a martingale whose mean never moves while almost every path goes to 0 (Sec. 2.1). Collapsed
    when the upper end of the median's (1 - level) interval is below ``threshold`` (default: 90 %
    of the diversity gone) and the median has not risen from T/2 to T (it may have reached 0).
    """
    run = _check_run(run)
    threshold = _positive("threshold", threshold)
    level = _level(level)
    t = _horizon(run, horizon)
    params = {"threshold": threshold, "horizon": t, "level": level}
    values, what = _diversity(run)
    test = f"median over replicates of diversity_{t} / diversity_0 < {threshold}, not rising"
    if values is None:
        return Verdict(4, False, 1.0, (1.0, 1.0), test, params, None, what)
    iterations = list(run.metrics.iteration.values)
    k, half = (
        iterations.index(t),
        iterations.index(_three_horizons(run, t, "collapsing_variance")[1]),
    )
    ratio = values[:, k] / values[:, 0]
    median, ci = _median_ci(ratio, level)
    falling = float(np.median(values[:, k])) <= float(np.median(values[:, half]))
    collapsed = ci[1] < threshold and falling
    first = next(
        (
            int(iterations[j])
            for j in range(1, len(iterations))
            if np.median(values[:, j] / values[:, 0]) < threshold
        ),
        None,
    )
    evidence = f"{what}: median ratio {median:.3g}; {'not rising' if falling else 'rising again'}"
    return Verdict(4, collapsed, median, ci, test, params | {"diversity": what}, first, evidence)


def _excess(run: Run, iteration: int) -> np.ndarray | None:
    """Excess population risk over the best possible (0 at the real distribution)."""
    s = run.setting
    if isinstance(s, LinearRegression):
        return _at(run, "excess_risk", iteration)
    if isinstance(s, Gaussian):
        return _at(run, "w2sq", iteration)
    if isinstance(s, KDE):
        return _at(run, "nll_real", iteration) - _at(run, "nll_real", 0)
    return _at(run, "tv_to_real", iteration)


def scaling_law_change(
    runs: Mapping[int, Run],
    *,
    horizon: int | None = None,
    level: float = 0.05,
    bootstrap: int = 400,
) -> Verdict:
    """Definition 5: the scaling law of risk against training-set size changes.

    ``runs`` maps sample sizes n to runs of the same loop. For the real-data-only model
    (iteration 1) and the model at the horizon, log(mean excess risk) is fit against log n by
    least squares (log n centred, so the intercept is the log risk at the geometric-mean size).
    Collapse when the exponent or the prefactor differs between the two beyond a (1 - level)
    bootstrap interval over replicates (paired: the same replicates give both fits).
    """
    level = _level(level)
    if not isinstance(runs, Mapping):
        raise TypeError(
            f"runs must map sample sizes to runs ({{n: mc.Run}}), got {type(runs).__name__}"
        )
    if len(runs) < 3:
        raise ValueError("scaling_law_change needs runs at 3 or more sample sizes")
    for n, run in runs.items():
        _checks.integer("runs' sample sizes (keys)", n, minimum=1)
        _check_run(run)
    kinds = {type(run.setting).__name__ for run in runs.values()}
    if len(kinds) > 1:
        raise ValueError(f"runs must all be of one setting type, got {sorted(kinds)}")
    bootstrap = _checks.integer("bootstrap", bootstrap, minimum=1, maximum=MAX_BOOTSTRAP)
    sizes = sorted(runs)
    first = runs[sizes[0]]
    t = _horizon(first, horizon)
    params = {"sizes": tuple(sizes), "horizon": t, "level": level, "bootstrap": bootstrap}
    test = "log mean excess risk ~ a + b log n: (a, b) at the horizon vs at iteration 1"
    pairs = [(_excess(runs[n], 1), _excess(runs[n], t)) for n in sizes]
    if any(not (np.isfinite(p).all() and p.mean() > 0) for pair in pairs for p in pair):
        return _not_applicable(
            5,
            test,
            params,
            "not applicable: the excess risk is not positive and finite at every size",
        )
    x = np.log(np.asarray(sizes, dtype=np.float64))
    x -= x.mean()

    def fit(means: np.ndarray) -> tuple[float, float]:
        if not np.all(means > 0):  # a resample with no excess risk at some size: no log-law
            return math.nan, math.nan
        slope, intercept = np.polyfit(x, np.log(means), 1)
        return float(intercept), float(slope)

    def fits(index: list[np.ndarray] | None) -> np.ndarray:
        real = np.array(
            [
                (p[0] if index is None else p[0][i]).mean()
                for p, i in zip(pairs, index or [None] * len(pairs), strict=True)
            ]
        )
        loop = np.array(
            [
                (p[1] if index is None else p[1][i]).mean()
                for p, i in zip(pairs, index or [None] * len(pairs), strict=True)
            ]
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
            f"not applicable: the excess risk is 0 at some size in {np.sum(~usable)} of "
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
        f"[{lo[1]:.3f}, {hi[1]:.3f}]"
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


def lost_modes(run: Run, *, horizon: int | None = None, level: float = 0.05) -> Verdict:
    """Definition 6: real modes disappear (or merge).

    KDE on a mixture: a component's mode is lost when the model keeps less than half the real
    mass within one sd of its mean (``mode_mass``, the weakest component). Discrete: every atom
    of the real distribution is a mode; the statistic is the mean number of
    atoms that the real-data-only model (iteration 1) has and the model at the horizon has lost,
    collapse when it is significantly above 0 (one-sided t-test). (Atoms missing from the real
    data themselves are not the synthetic data's doing. A Gaussian or a linear-Gaussian
    regression has one real mode, which every fit keeps, so neither can lose or merge modes.
    """
    run = _check_run(run)
    level = _level(level)
    t = _horizon(run, horizon)
    s = run.setting
    params = {"horizon": t, "level": level}
    if isinstance(s, (Gaussian, LinearRegression)):
        what = "Gaussian" if isinstance(s, Gaussian) else "the conditional law of y given x"
        return Verdict(
            6,
            False,
            0.0,
            (0.0, 0.0),
            "count of real modes lost",
            params,
            None,
            f"{what} has a single mode, and every fit keeps exactly one",
        )
    if isinstance(s, KDE):
        test = "median over replicates of mode_mass (the weakest real mode) < 0.5"
        if s.sampler is None:
            return _not_applicable(
                6,
                test,
                params,
                "not applicable: the modes of given data are not known",
            )
        weakest = _at(run, "mode_mass", t)
        median, ci = _median_ci(weakest, level)
        first = _first(run, "mode_mass", lambda v: float(np.median(v)) < 0.5)
        return Verdict(
            6,
            ci[1] < 0.5,
            median,
            ci,
            test,
            params,
            first,
            "model mass within one sd of the weakest real mode, relative to the real's",
        )
    real = int(np.count_nonzero(s.weights > 0))
    learned = _at(run, "support_size", 1)
    lost = learned - _at(run, "support_size", t)
    m, ci, _ = _mean_ci(lost, level)
    p = (
        float(stats.ttest_1samp(lost, 0.0, alternative="greater").pvalue)
        if lost.std()
        else (0.0 if m > 0 else 1.0)
    )
    mean_learned = float(learned.mean())
    first = _first(run, "support_size", lambda v: float(v.mean()) < mean_learned)
    return Verdict(
        6,
        p < level,
        m,
        ci,
        "one-sided t-test: mean atoms lost since the real-only model (iteration 1) > 0",
        params,
        first,
        f"{real} real atoms, {mean_learned:.4g} in the real-only model on average; "
        f"{np.mean(lost > 0):.1%} of replicates lost some",
    )


def _regression_residual_sd(run: Run, t: int) -> np.ndarray:
    """Per replicate: the sd of model y minus true x beta over Gaussian test inputs."""
    s = run.setting
    return np.sqrt(s.noise**2 + _at(run, "param_error", t))


def lost_tails(
    run: Run,
    *,
    factor: float = 0.5,
    horizon: int | None = None,
    level: float = 0.05,
    tail: float = 0.1,
    hallucination: float = 0.001,
) -> Verdict:
    """Definition 7: the model stops covering the real distribution's tails.

    The real tail region holds ``tail`` of the real mass: the rarest atoms (Discrete), the shell
    between the real ellipsoids holding 1 - tail and 1 - hallucination of the real mass (Gaussian:
    mass beyond the outer one is counted as hallucinated, not as covered tail), outside the real
    central interval (KDE), or the real conditional tails of y given x (LinearRegression with a
    Gaussian design, from the exact law of the model's residual). The statistic is the median over
    replicates of the model's mass there relative to the real's; collapse when the upper end of its
    (1 - level) interval is below ``factor``.
    """
    run = _check_run(run)
    factor = _positive("factor", factor)
    level = _level(level)
    tail = _checks.real("tail", tail, minimum=0.0, maximum=1.0, open_low=True)
    hallucination = _checks.real(
        "hallucination", hallucination, minimum=0.0, maximum=1.0, open_low=True
    )
    if not hallucination < tail < 1:
        raise ValueError(
            f"tail and hallucination must satisfy 0 < hallucination < tail < 1, got "
            f"tail={tail}, hallucination={hallucination}"
        )
    t = _horizon(run, horizon)
    s = run.setting
    params = {"factor": factor, "horizon": t, "level": level}
    test = f"median model mass on the real tails / real tail mass < {factor}"
    if isinstance(s, Discrete):
        coverage = _at(run, "tail_mass", t) / _at(run, "tail_mass", 0)
        where = f"the rarest real atoms holding {s.tail} of the mass"
    elif isinstance(s, Gaussian):
        shell = _at(run, "tail_mass", t) - _at(run, "hallucinated_mass", t)
        coverage = shell / (s.tail - s.hallucination)
        where = f"the shell between the real {1 - s.tail} and {1 - s.hallucination} ellipsoids"
    elif isinstance(s, KDE):
        coverage = _at(run, "tail_mass", t) / s.tail
        where = f"outside the real central {1 - s.tail} interval"
    elif isinstance(s.design, str):
        zq, zh = stats.norm.isf(tail / 2), stats.norm.isf(hallucination / 2)
        sd = _regression_residual_sd(run, t)
        shell = 2 * (stats.norm.cdf(zh * s.noise / sd) - stats.norm.cdf(zq * s.noise / sd))
        coverage = shell / (tail - hallucination)
        params |= {"tail": tail, "hallucination": hallucination}
        where = f"the real conditional shell |y - x beta| in ({zq:.2f}, {zh:.2f}) noise sds"
    else:
        return _not_applicable(
            7,
            test,
            params,
            "not applicable: with a given design the residual law is a mixture over "
            "its rows, not recorded",
        )
    median, ci = _median_ci(coverage, level)
    return Verdict(
        7,
        ci[1] < factor,
        median,
        ci,
        test,
        params | {"region": where},
        None,
        f"real tails: {where}",
    )


def hallucinated_data(
    run: Run,
    *,
    level_set: bool = False,
    factor: float = 2.0,
    horizon: int | None = None,
    level: float = 0.05,
) -> Verdict:
    """Definition 8: the model puts mass where the real distribution has none.

    By default "none" means outside the real support (the paper's "not supported by the original
    real data's distribution"). Resampling never creates an atom outside the real support, and
    Gaussians, Gaussian mixtures and linear-Gaussian regressions have full support, so in these
    settings this is False by construction, with that as the evidence. With ``level_set=True``,
    "none" means beyond the real highest-density region holding 1 - hallucination of the mass
    (Gaussian: the setting's ``hallucination``; LinearRegression: 0.001 of the conditional law):
    collapse when the median model mass there is above ``factor`` times the real's, at the
    (1 - level) interval's lower end.
    """
    run = _check_run(run)
    level_set = _checks.flag("level_set", level_set)
    factor = _positive("factor", factor)
    level = _level(level)
    t = _horizon(run, horizon)
    s = run.setting
    params = {"level_set": level_set, "factor": factor, "horizon": t, "level": level}
    if not level_set:
        why = (
            "resampling never creates an atom outside the real support"
            if isinstance(s, Discrete)
            else "the real distribution has full support, so no model mass lies outside it"
        )
        return Verdict(
            8, False, 0.0, (0.0, 0.0), "model mass outside the real support > 0", params, None, why
        )
    test = f"median model mass beyond the real level set / real mass there > {factor}"
    if isinstance(s, Gaussian):
        ratio = _at(run, "hallucinated_mass", t) / s.hallucination
    elif isinstance(s, LinearRegression) and isinstance(s.design, str):
        zh = stats.norm.isf(0.001 / 2)
        ratio = 2 * stats.norm.sf(zh * s.noise / _regression_residual_sd(run, t)) / 0.001
    else:
        return _not_applicable(
            8,
            test,
            params,
            "not applicable: no level-set mass is recorded for this setting",
        )
    median, ci = _median_ci(ratio, level)
    return Verdict(
        8,
        ci[0] > factor,
        median,
        ci,
        test,
        params,
        None,
        f"median model mass beyond the level set is {median:.3g} x the real's",
    )
