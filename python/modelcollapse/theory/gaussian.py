"""Exact expected curves of Gaussian refits (paper Sec. 2.1; DESIGN §5), as the kernel
(src/settings/gaussian/) runs them: real data are n = ``samples`` points from N(mu0, S0) drawn per
replicate, each model is the sample mean and the scatter divided by m (n - 1 "unbiased", n "mle"),
and iteration 1 is the fit to the real data.

Replace. n points from N(mu, S) have a mean ~ N(mu, S/n) and, independently, a scatter
W ~ Wishart(n - 1, S) = L A A^T L^T (A the Bartlett factor), so with c = (n - 1)/m:

* E S_t = c E S_{t-1}: E tr S_t = c^t tr S0 (a martingale for the unbiased fit);
* mu_t = mu_{t-1} + L_{t-1} z / sqrt(n): E|mu_t - mu0|^2 = tr(S0)/n sum_{k<t} c^k;
* log det S_t = log det S_{t-1} + sum_j log(A_jj^2 / m), A_jj^2 ~ chi2(n - 1 - j):
  E log det S_t = log det S0 + t sum_{i=1}^d [psi((n - i)/2) + log 2 - log m];
* nll_real = (d log 2 pi + log det S_t + tr(S_t^-1 S0) + D^T S_t^-1 D)/2, D = mu_t - mu0. With
  E (A A^T)^-1 = I/(n - d - 2), E tr(S_t^-1 S0) = d r^t and E D^T S_t^-1 D = (d/n) sum_{j=1}^t r^j,
  r = m/(n - d - 2) (infinite for n <= d + 2).

Accumulate(growth). The pool holds N_t = n + (t - 1) b points, b = round(growth n) synthetic
ones a generation, drawn from the previous fit; the fit is the pool's mean and its scatter
divided by N_t - delta (delta = 1 unbiased, 0 mle). With a_t = E tr S_t and M_t = E|mu_t - mu0|^2:
the new block's mean moves the pool's by b/N_t times a deviation of variance a_{t-1}/b, so
M_t = M_{t-1} + b a_{t-1}/N_t^2; the block adds its own scatter (b - 1) a_{t-1} and, between the
block and the old pool, (N_{t-1} b/N_t) a_{t-1}/b in expectation, so the expected scatter grows by
b a_{t-1} (N_t - 1)/N_t and a_t = a_{t-1} (1 - b/(N_t (N_t - delta))), from a_1 = c tr S0,
M_1 = tr(S0)/n.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special

from ..paradigms import Accumulate, Paradigm, Replace
from ..settings import Gaussian
from ._pooled import pooled_recursion

REPLACE_METRICS = ("w2sq_mean", "cov_trace", "logdet", "nll_real")
ACCUMULATE_METRICS = ("w2sq_mean", "cov_trace")
SUPPORTED = (
    f"mc.Gaussian with real data drawn per replicate (data=None): under mc.Replace() the "
    f"metrics {', '.join(REPLACE_METRICS)}; under mc.Accumulate(growth) the metrics "
    f"{', '.join(ACCUMULATE_METRICS)}"
)


def expected_curve(
    setting: Gaussian, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], str]:
    """E[metric] at the iterations `grid` and the formula it comes from; a ValueError naming
    what is supported where no exact result is known here."""
    if setting.data is not None:
        raise ValueError(
            f"no exact expected curve for a mc.Gaussian given real data (data=<{setting.real_size} "
            f"points>): the expectations would be conditional on those points; exact curves "
            f"exist for {SUPPORTED}"
        )
    if isinstance(paradigm, Replace):
        _check_metric(metric, REPLACE_METRICS, paradigm)
        return _replace(setting, metric, grid.astype(np.float64))
    if isinstance(paradigm, Accumulate):
        _check_metric(metric, ACCUMULATE_METRICS, paradigm)
        return _accumulate(setting, paradigm, metric, grid)
    raise ValueError(
        f"no exact expected curve for mc.Gaussian under {paradigm!r}; exact curves exist for "
        f"{SUPPORTED}"
    )


def _check_metric(metric: str, allowed: tuple[str, ...], paradigm: Paradigm) -> None:
    if metric not in allowed:
        known = "" if metric in Gaussian.metric_names else " (not a mc.Gaussian metric)"
        raise ValueError(
            f"no exact expected curve for metric {metric!r}{known} of mc.Gaussian under "
            f"{paradigm!r}: exact curves exist for {SUPPORTED}"
        )


def _replace(
    setting: Gaussian, metric: str, t: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], str]:
    n, d = setting.samples, setting.dim
    m = n - 1 if setting.estimator == "unbiased" else n
    c = (n - 1) / m
    trace0 = float(np.trace(setting.cov))
    fit = f"{setting.estimator} fit, n = {n}, d = {d}, tr(S0) = {trace0:.6g}"
    if metric == "cov_trace":
        if c == 1:
            return np.full(t.shape, trace0), f"E tr S_t = tr(S0) (E S_t = S0, a martingale; {fit})"
        return trace0 * c**t, f"E tr S_t = tr(S0) ((n-1)/n)^t (E S_t = (n-1)/n E S_(t-1); {fit})"
    if metric == "w2sq_mean":
        if c == 1:
            why = "E|mu_t - mu0|^2 = t tr(S0)/n: each generation adds tr(E S_t)/n = tr(S0)/n"
            return t * trace0 / n, f"{why} (E S_t = S0, a martingale; {fit})"
        values = trace0 / n * _geometric(c, t)
        why = "E|mu_t - mu0|^2 = tr(S0)/n sum_(k<t) ((n-1)/n)^k, bounded by tr(S0)"
        return values, f"{why} (E S_t = ((n-1)/n)^t S0 shrinks geometrically; {fit})"
    logdet0 = float(np.linalg.slogdet(setting.cov)[1])
    drift = float(np.sum(special.digamma((n - np.arange(1, d + 1)) / 2) + math.log(2 / m)))
    logdet = logdet0 + t * drift
    if metric == "logdet":
        why = (
            f"E log det S_t = log det S0 + t sum_(i=1..d) E log(chi2(n-i)/{m}) = "
            f"{logdet0:.6g} {drift:+.6g} t (Bartlett: log det S_t drifts to -inf although "
            f"E tr S_t {'stays' if c == 1 else 'shrinks'})"
        )
        return logdet, f"{why}; {fit}"
    # nll_real
    with np.errstate(over="ignore", invalid="ignore"):
        if n > d + 2:
            r = m / (n - d - 2)
            quad = d * r**t + d / n * r * _geometric(r, t)
        else:
            r = math.inf
            quad = np.where(t == 0, float(d), math.inf)
        values = 0.5 * (d * math.log(2 * math.pi) + logdet + quad)
    why = (
        "E nll_real_t = (d log 2pi + E log det S_t + d r^t + (d/n) sum_(j=1..t) r^j)/2, "
        f"r = m/(n-d-2) = {r:.6g} (E (A A^T)^-1 = I/(n-d-2) for the Bartlett factor; infinite "
        "for n <= d + 2): the cross-entropy grows exponentially as S_t collapses"
    )
    return values, f"{why}; {fit}"


def _geometric(c: float, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """sum_{k=0}^{t-1} c^k, accurately for c near 1."""
    if c == 1:
        return t.copy()
    return np.expm1(t * math.log(c)) / (c - 1)


def _accumulate(
    setting: Gaussian, paradigm: Accumulate, metric: str, grid: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], str]:
    n, d = setting.samples, setting.dim
    b = setting._paradigm_args(paradigm).count
    delta = 1 if setting.estimator == "unbiased" else 0
    trace0 = float(np.trace(setting.cov))
    a1, m1 = (n - 1) / (n - delta) * trace0, trace0 / n
    late = grid >= 1
    if b == 0:
        a, m = np.full(grid.shape, a1), np.full(grid.shape, m1)
    else:

        def pool(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return n + (t - 1) * b

        a, m = pooled_recursion(
            a1,
            m1,
            lambda t: b / (pool(t) * (pool(t) - delta)),
            lambda t: b / pool(t) ** 2,
            np.maximum(grid, 1),
            f"E[{metric}] of mc.Gaussian under Accumulate",
        )
    fit = (
        f"{setting.estimator} fit, n = {n} real points then b = round(growth n) = {b} synthetic "
        f"a generation, N_t = n + (t-1) b, d = {d}, tr(S0) = {trace0:.6g}"
    )
    if metric == "cov_trace":
        values = np.where(late, a, trace0)
        shrink = "N_t (N_t - 1)" if delta else "N_t^2"
        why = (
            f"E tr S_t = a_t = a_(t-1) (1 - b/({shrink})), a_1 = "
            f"{'tr(S0)' if delta else '(n-1)/n tr(S0)'}: a block adds b a_(t-1) (N_t - 1)/N_t "
            f"to the pooled scatter in expectation, so the spread settles instead of "
            f"collapsing{_last(values, grid)}"
        )
        return values, f"{why}; {fit}"
    values = np.where(late, m, 0.0)
    bound = " <= (pi^2/6) tr(S0)/n" if b == n else ""
    why = (
        "E|mu_t - mu0|^2 = sum_(k<=t) b_k a_(k-1)/N_k^2 (b_1 = n, a_k = E tr S_k <= tr(S0)): a "
        "block's mean moves the pool's by b/N_t times a deviation of variance a_(t-1)/b, so "
        f"the drift stays bounded{bound}{_last(values, grid)}"
    )
    return values, f"{why}; {fit}"


def _last(values: npt.NDArray[np.float64], grid: npt.NDArray[np.int64]) -> str:
    """A note of the curve's value at the last iteration asked for."""
    last = int(np.argmax(grid))
    return f" (at t = {int(grid[last]):,}: {float(values[last]):.6g})"
