"""Exact expected curves of linear-regression refits (paper Appendix A), as the kernel
(src/settings/regression.rs) runs them: a fixed design X (n x d, drawn once per replicate with rows
N(0, I), or given), G = X^T X = L L^T, and each fit is OLS; iteration 1 is the fit to the real
labels X beta + sigma eps.

Everything follows from one fact: the OLS fit to labels X b + s eps is b + s L^-T z,
z ~ N(0, I_d), with residual sum of squares s^2 chi2(n - d) independent of z. In whitened
coordinates w = L^T (beta_hat - beta) every fit moves by s z, so the law of w and of the noise
estimates does not involve the design at all; w's law is rotation invariant, hence
E w w^T = (E|w|^2 / d) I. With P_t = E|w_t|^2 the metrics are

* excess_risk: (beta_hat - beta)^T Sigma_x (beta_hat - beta) with Sigma_x = I (Gaussian design,
  test inputs N(0, I)): E w^T G^-1 w = P_t / (n - d - 1), since E G^-1 = I/(n - d - 1) for
  G ~ Wishart(n, I) independent of w (infinite for n = d + 1); with a given design the kernel
  records |X (beta_hat - beta)|^2 / n = |w|^2 / n, whose mean is P_t / n;
* param_error = |beta_hat - beta|^2: P_t / (n - d - 1) (Gaussian design), P_t tr(G^-1) / d (given);
* test_error = noise^2 + excess_risk;
* noise_estimate: Q_t = E sigma_t^2, the fit's RSS / (N - d) (noise_model="estimated").

Replace: w_t = w_{t-1} + sigma_{t-1} z, so P_t = d sum_{k<t} E sigma_k^2. With a known noise
sigma_k = sigma. With an estimated one, sigma_t^2 = sigma_{t-1}^2 chi2(n - d)/(n - d) with the
chi-square independent of the past, so E sigma_t^2 = E sigma_{t-1}^2 = sigma^2 (a martingale) and
z is independent of sigma_{t-1}: P_t = t d sigma^2 under both noise models, and Q_t = sigma^2.

Accumulate(growth g, a whole number): V_t = 1 + (t - 1) g label vectors over the stacked design
(one real, then g from each model). The fit is the mean of the vectors' own fits u_v (whitened),
each u_v = w_(k-1) + sigma_(k-1) z_v for a vector drawn at generation k, so, like the pooled
Gaussian mean, P_t = P_{t-1} + g d Q_{t-1} / V_t^2. The stacked RSS is the vectors' own residuals
plus sum_v |u_v - w_t|^2; a generation adds g (n - d) Q_{t-1} of the first and g d Q_{t-1}
(V_t - 1)/V_t of the second in expectation, so with RSS_t = (V_t n - d) sigma_t^2:
Q_t = Q_{t-1} (1 - g d / (V_t (V_t n - d))), Q_1 = sigma^2, P_1 = d sigma^2. With a known noise
Q = sigma^2 throughout and P_t = d sigma^2 sum_{k<=t} b_k / V_k^2
= d sigma^2 (1 + (psi1(1 + 1/g) - psi1(t + 1/g)) / g) (b_1 = 1, b_k = g), which for g = 1 is
d sigma^2 sum_{k<=t} 1/k^2 -> (pi^2/6) d sigma^2: Appendix A's pi^2/6.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from ..paradigms import Accumulate, Paradigm, Replace
from ..settings import LinearRegression
from ._pooled import pooled_recursion

METRICS = ("excess_risk", "test_error", "param_error", "noise_estimate")
SUPPORTED = (
    "mc.LinearRegression (either design, either noise_model) under mc.Replace() and "
    "mc.Accumulate(growth) with a whole-number growth: the metrics excess_risk, test_error, "
    "param_error, and noise_estimate with noise_model='estimated'"
)


def expected_curve(
    setting: LinearRegression, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], str]:
    """E[metric] at the iterations `grid` and the formula it comes from; a ValueError naming
    what is supported where no exact result is known here."""
    if not isinstance(paradigm, (Replace, Accumulate)):
        raise ValueError(
            f"no exact expected curve for mc.LinearRegression under {paradigm!r}; exact curves "
            f"exist for {SUPPORTED}"
        )
    if metric not in METRICS or (metric == "noise_estimate" and setting.noise_model == "known"):
        why = (
            " (it is recorded only with noise_model='estimated')"
            if metric == "noise_estimate"
            else ""
            if metric in METRICS
            else " (not a mc.LinearRegression metric)"
        )
        raise ValueError(
            f"no exact expected curve for metric {metric!r}{why} of {setting!r}: exact curves "
            f"exist for {SUPPORTED}"
        )
    n, d, sigma2 = setting.samples, setting.dim, setting.noise**2
    t = grid.astype(np.float64)
    if isinstance(paradigm, Replace):
        whitened = t * d * sigma2
        noise = np.full(t.shape, sigma2)
        how = (
            "Replace: each generation adds sigma_t^2 d to E|L^T (beta_hat - beta)|^2, "
            "sigma_t = noise"
            if setting.noise_model == "known"
            else "Replace: each generation adds sigma_t^2 d to E|L^T (beta_hat - beta)|^2, "
            "where E sigma_t^2 = noise^2 (the estimate RSS/(n-d) is a martingale)"
        ) + f": E|L^T (beta_hat - beta)|^2 = t d noise^2 = {d * sigma2:.6g} t"
    else:
        whitened, noise, how = _accumulate(setting, paradigm, grid)
    design = _design_terms(setting)
    excess = _times(whitened, design.excess)
    noise_text = f"noise^2 = {sigma2:.6g}, n = {n}, d = {d}, {setting.noise_model} noise"
    if metric == "noise_estimate":
        return noise, f"E sigma_t^2 (RSS_t / (N_t - d)): {how}; {noise_text}"
    if metric == "param_error":
        values = _times(whitened, design.param)
        return values, f"E|beta_hat_t - beta|^2 = {design.param_text}; {how}; {noise_text}"
    if metric == "excess_risk":
        return excess, f"E excess_risk_t = {design.excess_text}; {how}; {noise_text}"
    return sigma2 + excess, (
        f"E test_error_t = noise^2 + E excess_risk_t, E excess_risk_t = "
        f"{design.excess_text}; {how}; {noise_text}"
    )


def _times(whitened: npt.NDArray[np.float64], factor: float) -> npt.NDArray[np.float64]:
    """whitened x factor, 0 where whitened is (iteration 0) even for an infinite factor."""
    with np.errstate(invalid="ignore"):
        return np.where(whitened > 0, whitened * factor, 0.0)


class _Design(NamedTuple):
    """Factors turning E|w|^2 into the expected excess risk and parameter error, and why."""

    excess: float
    excess_text: str
    param: float
    param_text: str


def _design_terms(setting: LinearRegression) -> _Design:
    """How E|w|^2 (w = L^T (beta_hat - beta)) turns into the excess risk and the parameter
    error for this design."""
    n, d = setting.samples, setting.dim
    if isinstance(setting.design, str):
        # G ~ Wishart(n, I), independent of w: E w^T G^-1 w = E|w|^2 / (n - d - 1)
        inverse = 1 / (n - d - 1) if n > d + 1 else math.inf
        text = (
            "E|L^T (beta_hat - beta)|^2 / (n - d - 1) (Gaussian design: E (X^T X)^-1 = "
            f"I/(n-d-1){', infinite for n = d + 1' if n == d + 1 else ''}; test inputs N(0, I))"
        )
        return _Design(inverse, text, inverse, text)
    x = np.asarray(setting.design)
    trace_inverse = float(np.trace(np.linalg.inv(x.T @ x)))
    return _Design(
        1 / n,
        "E|X (beta_hat - beta)|^2 / n = E|L^T (beta_hat - beta)|^2 / n (given design, test "
        "inputs its rows)",
        trace_inverse / d,
        "E|L^T (beta_hat - beta)|^2 tr((X^T X)^-1) / d (given design; the whitened error is "
        f"isotropic), tr((X^T X)^-1) = {trace_inverse:.6g}",
    )


def _accumulate(
    setting: LinearRegression, paradigm: Accumulate, grid: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str]:
    """(E|w_t|^2, E sigma_t^2, explanation) under Accumulate."""
    n, d, sigma2 = setting.samples, setting.dim, setting.noise**2
    if paradigm.growth != int(paradigm.growth):
        raise ValueError(
            f"no exact expected curve for mc.LinearRegression under {paradigm!r}: growth must be "
            f"a whole number of label vectors per generation (as simulate requires); exact curves "
            f"exist for {SUPPORTED}"
        )
    rows = setting._paradigm_args(paradigm).count
    g = rows // n
    late = grid >= 1
    t = np.maximum(grid, 1).astype(np.float64)
    vectors = f"V_t = 1 + (t-1) g label vectors, g = {g}"
    if g == 0:
        whitened, noise = np.full(t.shape, d * sigma2), np.full(t.shape, sigma2)
        how = f"Accumulate with growth 0: the fit to the real labels is kept ({vectors})"
    elif setting.noise_model == "known":
        # sum_{k=2}^t g / (1 + (k-1) g)^2 = (psi1(1 + 1/g) - psi1(t + 1/g)) / g
        tail = (special.polygamma(1, 1 + 1 / g) - special.polygamma(1, t + 1 / g)) / g
        whitened = d * sigma2 * (1 + tail)
        noise = np.full(t.shape, sigma2)
        limit = d * sigma2 * (1 + float(special.polygamma(1, 1 + 1 / g)) / g)
        how = (
            f"Accumulate ({vectors}): E|L^T (beta_hat - beta)|^2 = d noise^2 sum_(k<=t) b_k/V_k^2 "
            f"= d noise^2 (1 + (psi1(1 + 1/g) - psi1(t + 1/g))/g) -> {limit:.6g}"
            + (" (= (pi^2/6) x the first model's)" if g == 1 else "")
        )
    else:

        def stacked(k: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return 1 + (k - 1) * g

        noise, whitened = pooled_recursion(
            sigma2,
            d * sigma2,
            lambda k: g * d / (stacked(k) * (stacked(k) * n - d)),
            lambda k: g * d / stacked(k) ** 2,
            np.maximum(grid, 1),
            "E[metric] of mc.LinearRegression under Accumulate with an estimated noise",
        )
        how = (
            f"Accumulate ({vectors}), estimated noise: Q_t = E sigma_t^2 = Q_(t-1) "
            "(1 - g d/(V_t (V_t n - d))) (the stacked RSS adds the new vectors' residuals and "
            "their spread around the pooled fit), E|L^T (beta_hat - beta)|^2 = P_t = P_(t-1) "
            "+ g d Q_(t-1)/V_t^2, Q_1 = noise^2, P_1 = d noise^2"
        )
    whitened = np.where(late, whitened, 0.0)
    noise = np.where(late, noise, sigma2)
    return whitened, noise, how
