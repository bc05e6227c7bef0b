"""Pure-numpy baselines for three continuous model-data feedback loops.

These are the strongest numpy implementations we could write of the loops that modelcollapse's
Rust engine is benchmarked against. Everything is vectorised over replicates: the state of a
batch of replicates lives in arrays with a leading replicate axis, each generation is a fixed
sequence of numpy calls writing into preallocated buffers (``Generator`` methods with ``out=``,
batched ``np.matmul`` with ``out=``), and the only loops are over generations and over blocks
of replicates. A block of replicates is run through all of its generations before the next block
starts, so that its working set stays in cache (``BLOCK_BYTES``); blocks hold hundreds or
thousands of replicates, so the per-call overhead of numpy is spread thin. Random numbers are
drawn from the ``np.random.Generator`` passed in, block after block.

Shared conventions. Iteration 0 is the real distribution itself (its metrics are the exact real
values, e.g. 0 for distances). The real data are ``n`` points drawn once per replicate from the
real distribution; iteration 1's model is the fit to the real data; iteration t's model is fit to
``n`` samples from model t-1 (the "replace" paradigm) unless stated otherwise. Metrics are
recorded at iterations 0, stride, 2 stride, ..., iterations (``iterations`` must be a multiple of
``stride``) and returned as a dict of float64 arrays of shape (replicates, recorded iterations).

1. Gaussian refits: ``gaussian_bartlett`` (sufficient statistics: mean shift and Bartlett factor
   of the Wishart scatter) and ``gaussian_refit_samples`` (draw the points, refit, refactorise).
2. Linear regression with a fixed Gaussian design (paper Appendix A), replace or accumulate:
   ``regression_sufficient`` (parameter-space random walk) and ``regression_lstsq`` (labels are
   built and refit each generation).
3. One-dimensional kernel density estimation of 0.5 N(-2, 1) + 0.5 N(2, 1), replace:
   ``kde_replace``.

Run ``python benches/numpy_continuous.py`` for the self-checks against exact theory (exit status 1
if any check is off by more than 4.5 standard errors) and ``python benches/numpy_continuous.py
--bench`` for the throughput of each baseline at the benchmark sizes.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from _harness import mean_and_se as mean_se
from numpy.typing import ArrayLike
from scipy import integrate, special, stats

from modelcollapse.settings._common import recorded_iterations as mc_recorded_iterations

Metrics = dict[str, np.ndarray]

#: A block of replicates is sized so that its state and buffers take about this many bytes
#: (measured: 1-16 MiB are within a few per cent of each other on a 1 MiB-L2, 32 MiB-L3 core;
#: smaller blocks pay numpy's per-call overhead, whole batches of 10^4 replicates spill to memory
#: and lose up to 40 %).
BLOCK_BYTES = 4 << 20
#: The KDE evaluates its (test points x centres) kernel matrix in pieces of about this size:
#: L2-sized pieces are as fast as whole 8 MB matrices single-threaded, and keep each BLAS call
#: below OpenBLAS's threading threshold (threaded calls stall badly when another process holds a
#: core: 15-60x slower on this 2-core machine).
KDE_PIECE_BYTES = 1 << 20
#: Largest replicate block, whatever the per-replicate size.
MAX_BLOCK = 8192

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)

_CHOLESKY_LO: np.ufunc | None = None
_EIGVALSH_LO: np.ufunc | None = None
try:  # numpy's own stacked gufuncs, behind np.linalg.cholesky and np.linalg.eigvalsh
    from numpy.linalg import _umath_linalg

    _CHOLESKY_LO, _EIGVALSH_LO = _umath_linalg.cholesky_lo, _umath_linalg.eigvalsh_lo
except (ImportError, AttributeError):  # pragma: no cover (private module moved)
    pass


# --- shared helpers ---------------------------------------------------------------------------


def recorded_iterations(iterations: int, stride: int = 1) -> np.ndarray:
    """The iterations at which metrics are recorded, as modelcollapse records them: 0, 1, every
    multiple of stride, and the last."""
    if iterations < 0 or stride < 1:
        raise ValueError(f"iterations ({iterations}) and stride ({stride}) must be >= 0 and >= 1")
    return mc_recorded_iterations(iterations, stride)


def slots(iterations: int, stride: int = 1) -> dict[int, int]:
    """Recorded iteration -> its column in the output."""
    return {int(t): j for j, t in enumerate(recorded_iterations(iterations, stride))}


def _blocks(replicates: int, bytes_per_replicate: int) -> Iterator[slice]:
    """Consecutive slices of the replicate axis, each about BLOCK_BYTES of working set."""
    if replicates < 1:
        raise ValueError(f"replicates must be positive, got {replicates}")
    size = int(min(MAX_BLOCK, max(1, BLOCK_BYTES // max(1, bytes_per_replicate))))
    # Even out the blocks so that the last one is not a tiny remainder.
    count = -(-replicates // size)
    size = -(-replicates // count)
    for start in range(0, replicates, size):
        yield slice(start, min(start + size, replicates))


def cholesky_or_nan(s: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of symmetric matrices, NaN for a matrix that is not
    positive definite in floating point, where ``np.linalg.cholesky`` raises for the whole stack
    (the same LAPACK gufunc, called with invalid-value errors ignored)."""
    if _CHOLESKY_LO is None:
        return np.linalg.cholesky(s)
    with np.errstate(invalid="ignore"):
        return _CHOLESKY_LO(s, signature="d->d")


def eigvalsh_or_nan(s: np.ndarray) -> np.ndarray:
    """Eigenvalues of a stack of symmetric matrices (lower triangles), NaN for a matrix with NaN
    entries instead of raising for the whole stack (as ``cholesky_or_nan``)."""
    if _EIGVALSH_LO is None:
        return np.linalg.eigvalsh(s)
    with np.errstate(invalid="ignore"):
        return _EIGVALSH_LO(s, signature="d->d")


def _outputs(names: list[str], recorded: int, replicates: int) -> Metrics:
    """Metric arrays (replicate, recorded iteration). Each record writes a strided column; within
    a block of replicates the lines it touches stay in cache for the next records, which is
    cheaper than filling (iteration, replicate) rows and transposing at the end."""
    return {name: np.empty((replicates, recorded)) for name in names}


class _Bartlett:
    """Buffers to draw b lower-triangular Bartlett factors A, scaled by ``scale``: A A^T is
    Wishart(df, I_d) times scale^2. A[i, i] = sqrt(chi^2_{df - i}) (0-based i) and A[i, j] ~
    N(0, 1) for i > j; the strict upper triangle stays zero."""

    def __init__(self, b: int, d: int, df: int, scale: float) -> None:
        if df < d:
            raise ValueError(f"a Wishart with {df} degrees of freedom is singular in dimension {d}")
        self.factor = np.zeros((b, d, d))
        self._flat = self.factor.reshape(b, d * d)
        rows, cols = np.tril_indices(d, -1)
        self._lower = rows * d + cols
        self._diag = np.arange(d) * (d + 1)
        self._normals = np.empty((b, self._lower.size))
        self._gammas = np.empty((b, d))
        self._shapes = 0.5 * (df - np.arange(d, dtype=np.float64))  # chi^2_k = 2 Gamma(k / 2)
        self._scale = scale

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        if self._lower.size:
            rng.standard_normal(out=self._normals)
            self._normals *= self._scale
            self._flat[:, self._lower] = self._normals
        rng.standard_gamma(self._shapes, out=self._gammas)
        self._gammas *= 2.0 * self._scale * self._scale
        np.sqrt(self._gammas, out=self._gammas)
        self._flat[:, self._diag] = self._gammas
        return self.factor


# --- 1. Gaussian refits -----------------------------------------------------------------------


def _gaussian_inputs(mu0: ArrayLike, s0: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu0 = np.atleast_1d(np.asarray(mu0, dtype=np.float64))
    if mu0.ndim != 1:
        raise ValueError("mu0 must be a vector")
    d = mu0.size
    s0 = np.asarray(s0, dtype=np.float64).reshape(d, d)
    if not np.allclose(s0, s0.T, rtol=1e-12, atol=0.0):
        raise ValueError("S0 must be symmetric")
    return mu0, s0, np.linalg.cholesky(s0)  # raises LinAlgError unless S0 is positive definite


def _divisor(n: int, estimator: str, d: int) -> int:
    if n <= d:
        raise ValueError(f"need n > d for a nonsingular sample covariance (n={n}, d={d})")
    if estimator == "unbiased":
        return n - 1
    if estimator == "mle":
        return n
    raise ValueError(f"estimator must be 'unbiased' or 'mle', got {estimator!r}")


class _GaussianRecorder:
    """Writes w2sq_mean, cov_trace, logdet (and w2sq_cov) of fits N(mu, L L^T) into row k."""

    def __init__(self, out: Metrics, s0: np.ndarray, chol0: np.ndarray, b: int) -> None:
        d = s0.shape[0]
        self.out = out
        self.trace0 = float(np.trace(s0))
        self.chol0_t = None if np.array_equal(chol0, np.eye(d)) else np.ascontiguousarray(chol0.T)
        self.logs = np.empty((b, d))
        self.prod = np.empty((b, d, d))
        self.gram = np.empty((b, d, d))

    def record(self, k: int, rows: slice, delta: np.ndarray, chol: np.ndarray) -> None:
        out = self.out
        np.einsum("ri,ri->r", delta, delta, out=out["w2sq_mean"][rows, k])
        trace = out["cov_trace"][rows, k]
        np.einsum("rij,rij->r", chol, chol, out=trace)
        logdet = out["logdet"][rows, k]
        np.log(chol.diagonal(axis1=1, axis2=2), out=self.logs)
        np.sum(self.logs, axis=1, out=logdet)
        logdet *= 2.0
        if "w2sq_cov" in out:
            # tr((S0^1/2 S S0^1/2)^1/2) = sum of square roots of the eigenvalues of M M^T with
            # M = L0^T L, which has the eigenvalues of S0^1/2 S S0^1/2 (S = L L^T, S0 = L0 L0^T).
            m = chol if self.chol0_t is None else np.matmul(self.chol0_t, chol, out=self.prod)
            np.matmul(m, m.transpose(0, 2, 1), out=self.gram)
            eig = eigvalsh_or_nan(self.gram)
            np.maximum(eig, 0.0, out=eig)
            np.sqrt(eig, out=eig)
            w2 = out["w2sq_cov"][rows, k]
            np.sum(eig, axis=1, out=w2)
            w2 *= -2.0
            w2 += trace
            w2 += self.trace0
            np.maximum(w2, 0.0, out=w2)


def _gaussian_start(
    s0: np.ndarray, iterations: int, stride: int, replicates: int, with_w2_cov: bool
) -> Metrics:
    names = ["w2sq_mean", "cov_trace", "logdet"] + (["w2sq_cov"] if with_w2_cov else [])
    out = _outputs(names, len(recorded_iterations(iterations, stride)), replicates)
    out["w2sq_mean"][:, 0] = 0.0
    out["cov_trace"][:, 0] = np.trace(s0)
    out["logdet"][:, 0] = np.linalg.slogdet(s0)[1]
    if with_w2_cov:
        out["w2sq_cov"][:, 0] = 0.0
    return out


def gaussian_bartlett(
    mu0: ArrayLike,
    S0: ArrayLike,  # noqa: N803 (the covariance's usual name)
    n: int,
    iterations: int,
    replicates: int,
    rng: np.random.Generator,
    stride: int = 1,
    estimator: str = "unbiased",
    with_w2_cov: bool = False,
) -> Metrics:
    """Gaussian refits through their sufficient statistics.

    Each replicate keeps the fitted mean mu (as mu - mu0) and the lower Cholesky factor L of the
    fitted covariance S = L L^T. The fit to n points from N(mu, S) has, exactly, mean
    mu + L z / sqrt(n) with z ~ N(0, I_d) and, independently, scatter matrix L A A^T L^T where A is
    the Bartlett factor of Wishart(n - 1, I_d). So one generation is

        mu' = mu + L z / sqrt(n),    L' = L A / sqrt(n - 1)   (sqrt(n) for estimator="mle"),

    with A lower triangular, A[i, i] = sqrt(chi^2_{n-1-i}), A[i, j] ~ N(0, 1) below the diagonal;
    L A is again lower triangular with a positive diagonal, hence the new Cholesky factor. No
    points are drawn and nothing is refactorised: d(d + 1)/2 + d random numbers and one batched
    d x d matmul per replicate and generation. Generation 1 starts from (mu0, chol(S0)): by
    sufficiency, the fit to the real data has exactly this law.

    Metrics: ``w2sq_mean`` = |mu_t - mu0|^2, ``cov_trace`` = tr S_t (= |L|_F^2), ``logdet`` =
    log det S_t (= 2 sum log diag L) and, with ``with_w2_cov``, ``w2sq_cov`` =
    tr(S_t + S0 - 2 (S0^1/2 S_t S0^1/2)^1/2) by batched ``eigvalsh``. The factor stays exactly
    triangular with a positive diagonal however ill-conditioned S_t becomes (at d = 10, n = 100,
    cond S_t grows like exp(0.09 t) and log det S_t drifts by -0.58 per generation), but no
    rescaling guards it against underflow: its smallest entries reach the subnormal range after
    about 10^4 generations at d = 10, n = 100.
    """
    mu0, s0, chol0 = _gaussian_inputs(mu0, S0)
    d = mu0.size
    divisor = _divisor(n, estimator, d)
    out = _gaussian_start(s0, iterations, stride, replicates, with_w2_cov)
    slot = slots(iterations, stride)
    mean_scale = 1.0 / math.sqrt(n)
    for rows in _blocks(replicates, 8 * (6 * d * d + 6 * d)):
        b = rows.stop - rows.start
        bartlett = _Bartlett(b, d, n - 1, 1.0 / math.sqrt(divisor))
        recorder = _GaussianRecorder(out, s0, chol0, b)
        delta = np.zeros((b, d))
        chol = np.empty((b, d, d))
        chol[:] = chol0
        nxt = np.empty_like(chol)
        z = np.empty((b, d, 1))
        shift = np.empty((b, d, 1))
        for t in range(1, iterations + 1):
            rng.standard_normal(out=z)
            z *= mean_scale
            np.matmul(chol, z, out=shift)  # with the old factor
            delta += shift[:, :, 0]
            np.matmul(chol, bartlett.draw(rng), out=nxt)
            chol, nxt = nxt, chol
            if t in slot:
                recorder.record(slot[t], rows, delta, chol)
    return out


def gaussian_refit_samples(
    mu0: ArrayLike,
    S0: ArrayLike,  # noqa: N803 (the covariance's usual name)
    n: int,
    iterations: int,
    replicates: int,
    rng: np.random.Generator,
    stride: int = 1,
    estimator: str = "unbiased",
    with_w2_cov: bool = False,
) -> Metrics:
    """Gaussian refits from explicit samples, as a researcher's vectorised loop would do them.

    Each generation draws X = mu + Z L^T of shape (replicates, n, d) (one batched matmul into a
    preallocated buffer), takes the sample means (a batched matmul by a row of 1/n, much faster
    than ``x.mean(axis=1)``), centres X in place, forms the scatter matrices X^T X by batched
    matmul, divides by n - 1 (or n for estimator="mle") and refactorises the stack with
    ``np.linalg.cholesky``'s gufunc (which allocates its result: it has no ``out=``). Same law,
    metrics and conventions as ``gaussian_bartlett``; the cost is dominated by the n d normals
    per replicate and generation.

    Forming X^T X squares the condition number, and cond S_t grows like exp(0.09 t) at d = 10,
    n = 100: the computed scatter matrix stops being positive definite in double precision after
    250-440 generations (median 330; measured over 200 replicates). Such a replicate's metrics
    are NaN from then on (``cholesky_or_nan``) instead of ``np.linalg.cholesky`` raising for the
    whole stack; the cost per generation is unchanged. ``gaussian_bartlett`` has no such limit.
    """
    mu0, s0, chol0 = _gaussian_inputs(mu0, S0)
    d = mu0.size
    divisor = _divisor(n, estimator, d)
    out = _gaussian_start(s0, iterations, stride, replicates, with_w2_cov)
    slot = slots(iterations, stride)
    inv_divisor = 1.0 / divisor
    for rows in _blocks(replicates, 8 * (2 * n * d + 5 * d * d + 4 * d)):
        b = rows.stop - rows.start
        recorder = _GaussianRecorder(out, s0, chol0, b)
        mu = np.empty((b, d))
        mu[:] = mu0
        delta = np.empty((b, d))
        chol = np.empty((b, d, d))
        chol[:] = chol0
        z = np.empty((b, n, d))
        x = np.empty((b, n, d))
        scatter = np.empty((b, d, d))
        weights = np.full((1, n), 1.0 / n)
        for t in range(1, iterations + 1):
            rng.standard_normal(out=z)
            np.matmul(z, chol.transpose(0, 2, 1), out=x)
            x += mu[:, None, :]  # the sample
            np.matmul(weights, x, out=mu[:, None, :])  # its mean (8x faster than x.mean(1))
            x -= mu[:, None, :]
            np.matmul(x.transpose(0, 2, 1), x, out=scatter)
            scatter *= inv_divisor
            chol = cholesky_or_nan(scatter)
            if t in slot:
                np.subtract(mu, mu0, out=delta)
                recorder.record(slot[t], rows, delta, chol)
    return out


# --- 2. Linear regression ---------------------------------------------------------------------


def _regression_inputs(
    d: int, n: int, sigma: float, paradigm: str, beta: ArrayLike | None
) -> tuple[bool, np.ndarray]:
    if paradigm not in ("replace", "accumulate"):
        raise ValueError(f"paradigm must be 'replace' or 'accumulate', got {paradigm!r}")
    if n < d:
        raise ValueError(f"need n >= d for a unique least-squares fit (n={n}, d={d})")
    if sigma < 0:
        raise ValueError("sigma must be non-negative")
    if beta is None:
        beta = np.full(d, 1.0 / math.sqrt(d))
    beta = np.asarray(beta, dtype=np.float64).reshape(d)
    return paradigm == "accumulate", beta


def _regression_finish(out: Metrics, sigma: float) -> Metrics:
    out["test_error"] = out["param_error"] + sigma * sigma
    return out


def regression_sufficient(
    d: int,
    n: int,
    sigma: float,
    iterations: int,
    replicates: int,
    rng: np.random.Generator,
    paradigm: str,
    stride: int = 1,
    beta: ArrayLike | None = None,
) -> Metrics:
    """Linear regression refits as a random walk in parameter space.

    With G = X^T X for the replicate's fixed design X, the OLS fit to labels X b + sigma eps is
    b + e with e = sigma G^-1 X^T eps ~ N(0, sigma^2 G^-1); writing G = A A^T (A lower
    triangular), e = C z with C = sigma A^-T and z ~ N(0, I_d). Only G enters, and for rows iid
    N(0, I_d), G ~ Wishart(n, I_d), so A is drawn directly as a Bartlett factor (no design or
    labels are materialised) and C is one batched inverse per replicate. With u_t = beta_t - beta:

    * replace: u_1 = e_0 (fit to the real data) and u_{t+1} = u_t + e_t;
    * accumulate: model t+1 is the OLS fit to all label vectors so far over the stacked design,
      i.e. to their running mean (the real labels give beta + e_0, model k's labels beta_k + e_k):
      beta_{t+1} = (beta + e_0 + sum_{k=1..t} (beta_k + e_k)) / (t+1). The running sum
      s_t = (t+1) u_{t+1} = e_0 + sum_{k=1..t} (u_k + e_k) obeys s_t = s_{t-1} + u_t + e_t
      = (t+1) u_t + e_t (as s_{t-1} = t u_t), so it collapses to u_{t+1} = u_t + e_t / (t+1):
      u_t = sum_{k<t} e_k / (k+1) and E|u_t|^2 = sigma^2 E tr G^-1 sum_{i=1..t} 1/i^2.

    Each generation is d normals and one batched matrix-vector product per replicate (about 14
    microseconds per replicate for 100 generations, 60 % of it drawing normals; vectorising over
    generations too, since the increments do not depend on the state, was measured no faster:
    ``np.cumsum`` along the generation axis costs more than the matrix-vector products it
    replaces). Metrics:
    ``param_error`` = |beta_t - beta|^2 and ``test_error`` = sigma^2 + |beta_t - beta|^2 (exact
    expected squared error on a fresh N(0, I_d) input); iteration 0 has beta_0 = beta. ``beta``
    (default: all entries 1/sqrt(d)) does not change the law of either metric.
    """
    accumulate, _ = _regression_inputs(d, n, sigma, paradigm, beta)
    out = _outputs(["param_error"], len(recorded_iterations(iterations, stride)), replicates)
    slot = slots(iterations, stride)
    out["param_error"][:, 0] = 0.0
    for rows in _blocks(replicates, 8 * (4 * d * d + 4 * d)):
        b = rows.stop - rows.start
        factor = _Bartlett(b, d, n, 1.0).draw(rng)  # G = A A^T ~ Wishart(n, I_d)
        noise_factor = np.linalg.inv(factor).transpose(0, 2, 1) * sigma  # C = sigma A^-T
        u = np.zeros((b, d))
        z = np.empty((b, d, 1))
        e = np.empty((b, d, 1))
        for t in range(1, iterations + 1):
            rng.standard_normal(out=z)
            np.matmul(noise_factor, z, out=e)  # e_{t-1}
            if accumulate:
                e *= 1.0 / t
            u += e[:, :, 0]
            if t in slot:
                np.einsum("ri,ri->r", u, u, out=out["param_error"][rows, slot[t]])
    return _regression_finish(out, sigma)


def regression_lstsq(
    d: int,
    n: int,
    sigma: float,
    iterations: int,
    replicates: int,
    rng: np.random.Generator,
    paradigm: str,
    stride: int = 1,
    beta: ArrayLike | None = None,
) -> Metrics:
    """Linear regression refit from explicit labels each generation.

    Per replicate the design X (n x d, rows iid N(0, I_d)) and the real labels
    y = X beta + sigma eps are drawn once. The least-squares operator P = (X^T X)^-1 X^T (d x n)
    is precomputed once per replicate with one batched ``np.linalg.solve`` of the normal
    equations (X^T X) P = X^T: about twice as fast as a batched ``np.linalg.qr`` followed by a
    solve with R, four times faster than ``np.linalg.pinv`` (batched SVD), and as accurate for
    these well-conditioned Gaussian designs (the three agree to 1e-15 at n = 100, d = 10); a
    careful researcher would switch to QR only for ill-conditioned designs. Each generation then
    builds y_t = X beta_t + sigma eps_t (n normals and one batched matrix-vector product) and
    refits with one batched matrix-vector product by P:

    * replace: beta_{t+1} = P y_t;
    * accumulate: the fit to the stacked data [y, y_1, ..., y_t] over [X; ...; X] is the fit to the
      running mean of the label vectors, so the running sum of labels is kept and
      beta_{t+1} = P (y + y_1 + ... + y_t) / (t + 1).

    Same metrics and law as ``regression_sufficient``; ``beta`` defaults to all entries
    1/sqrt(d).
    """
    accumulate, beta = _regression_inputs(d, n, sigma, paradigm, beta)
    out = _outputs(["param_error"], len(recorded_iterations(iterations, stride)), replicates)
    slot = slots(iterations, stride)
    out["param_error"][:, 0] = 0.0
    for rows in _blocks(replicates, 8 * (3 * n * d + 5 * n + 3 * d)):
        b = rows.stop - rows.start
        x = rng.standard_normal((b, n, d))
        xt = x.transpose(0, 2, 1)
        lstsq = np.linalg.solve(np.matmul(xt, x), xt)  # P = (X^T X)^-1 X^T, (b, d, n)
        labels = np.empty((b, n, 1))
        rng.standard_normal(out=labels)
        labels *= sigma
        labels += np.matmul(x, beta)[:, :, None]  # the real labels y
        total = labels.copy() if accumulate else labels
        coef = np.empty((b, d, 1))
        np.matmul(lstsq, labels, out=coef)  # model 1
        dev = np.empty((b, d))
        noise = np.empty((b, n, 1))
        for t in range(1, iterations + 1):
            if t in slot:
                np.subtract(coef[:, :, 0], beta, out=dev)
                np.einsum("ri,ri->r", dev, dev, out=out["param_error"][rows, slot[t]])
            if t == iterations:
                break
            rng.standard_normal(out=noise)
            noise *= sigma
            np.matmul(x, coef, out=labels)
            labels += noise  # y_t = X beta_t + sigma eps_t
            if accumulate:
                total += labels
                np.matmul(lstsq, total, out=coef)
                coef *= 1.0 / (t + 1)
            else:
                np.matmul(lstsq, labels, out=coef)
    return _regression_finish(out, sigma)


# --- 3. Kernel density estimation ---------------------------------------------------------------

#: The real distribution: 0.5 N(-MIX_MEAN, 1) + 0.5 N(MIX_MEAN, 1).
MIX_MEAN = 2.0


def mixture_sample(rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Draws from the real mixture 0.5 N(-2, 1) + 0.5 N(2, 1)."""
    x = rng.standard_normal(size)
    x += np.where(rng.random(size) < 0.5, -MIX_MEAN, MIX_MEAN)
    return x


def mixture_logpdf(x: np.ndarray) -> np.ndarray:
    """log of the real mixture density, stable for any x:
    log(0.5 phi(x + 2) + 0.5 phi(x - 2)) = log 0.5 - log sqrt(2 pi) - (x^2 + 4)/2
    + logaddexp(2x, -2x)."""
    x = np.asarray(x, dtype=np.float64)
    return (
        math.log(0.5)
        - _LOG_SQRT_2PI
        - 0.5 * (x * x + MIX_MEAN * MIX_MEAN)
        + np.logaddexp(MIX_MEAN * x, -MIX_MEAN * x)
    )


class KdeNll:
    """Mean over each row of ``test`` (replicates, m) of -log KDE(x), the KDE having the
    corresponding row of ``centres`` (replicates, N) and a Gaussian kernel of width
    ``bandwidth``: KDE(x) = (1/N) sum_i phi((x - c_i)/h) / h. Built once per test set, called
    once per evaluation; all buffers are kept between calls.

    Stable log-sum-exp with the exact maximum as shift: for each test point the nearest centre
    (sorted centres, ``searchsorted``) gives the largest term exp(-a dmin^2), a = 1/(2 h^2), and

        log sum_i exp(-a (x - c_i)^2) = -a dmin^2 + log sum_i exp(-a (x - c_i)^2 + a dmin^2),

    where the last sum lies in [1, N]. Its exponents, 2a x c_i - a c_i^2 - a x^2 + a dmin^2, form
    the rank-3 product [x, 1, a (dmin^2 - x^2)] [2a c, -a c^2, 1]^T, written by one batched BLAS
    matmul; then one in-place ``np.exp`` and one row sum: three passes over the m x N matrix
    instead of six for the broadcast (x - c)^2 form, about twice as fast. Test points and centres
    are first shifted by the row's test mean, so the cancellation error of an exponent is about
    1e-16 a max|x - mean|^2 (1e-13 here). The matrix is built in pieces of about
    KDE_PIECE_BYTES, so that the three passes run in cache: several replicates per batched matmul
    when m N is small, a replicate's test points in row chunks when it is large (at
    m = N = 1000, 131 test points per piece; the whole (replicates, m, N) array at once would be
    memory-bound and 1.5x slower, besides taking 8 MB per replicate).
    """

    def __init__(self, test: np.ndarray, centres_per_row: int, bandwidth: float) -> None:
        test = np.asarray(test, dtype=np.float64)
        r, m = test.shape
        count = centres_per_row
        self.a = 0.5 / (bandwidth * bandwidth)
        self.const = math.log(count * bandwidth) + _LOG_SQRT_2PI
        self.origin = test.mean(axis=1, keepdims=True)
        self.x = np.sort(test, axis=1)  # the NLL is a mean: order is free, sorted helps search
        self.x -= self.origin
        self.x2 = self.x * self.x
        self.c = np.empty((r, count))
        self.dmin2 = np.empty((r, m))
        self.lhs = np.empty((r, m, 3))
        self.lhs[:, :, 0] = self.x
        self.lhs[:, :, 1] = 1.0
        self.rhs = np.empty((r, 3, count))
        self.rhs[:, 2] = 1.0
        self.sums = np.empty((r, m))
        self.left, self.right = np.empty(m), np.empty(m)
        per_replicate = m * count * 8
        if per_replicate <= KDE_PIECE_BYTES:
            self.reps, self.chunk = min(r, max(1, KDE_PIECE_BYTES // per_replicate)), m
        else:
            self.reps, self.chunk = 1, max(1, KDE_PIECE_BYTES // (count * 8))
        self.piece = np.empty((self.reps, self.chunk, count))

    def __call__(self, centres: np.ndarray) -> np.ndarray:
        x, c, dmin2, a = self.x, self.c, self.dmin2, self.a
        lhs, rhs, sums = self.lhs, self.rhs, self.sums
        (r, m), count = x.shape, c.shape[1]
        np.subtract(centres, self.origin, out=c)
        c.sort(axis=1)
        if count == 1:
            np.subtract(x, c, out=dmin2)
        else:
            left, right = self.left, self.right
            # Each test point's nearest centre, O(m log N) per replicate; np.searchsorted is 1-D
            # (searching all rows at once in one offset, flattened array is no faster).
            for i in range(r):
                k = np.searchsorted(c[i], x[i])  # c[k-1] < x <= c[k] (no out= to reuse)
                np.clip(k, 1, count - 1, out=k)
                np.take(c[i], k, out=right)
                k -= 1
                np.take(c[i], k, out=left)
                np.subtract(x[i], left, out=left)
                np.subtract(right, x[i], out=right)
                np.abs(left, out=left)
                np.abs(right, out=right)
                np.minimum(left, right, out=dmin2[i])
        dmin2 *= dmin2
        np.subtract(dmin2, self.x2, out=lhs[:, :, 2])
        lhs[:, :, 2] *= a
        np.multiply(c, 2.0 * a, out=rhs[:, 0])
        np.multiply(c, c, out=rhs[:, 1])
        rhs[:, 1] *= -a
        for r0 in range(0, r, self.reps):
            r1 = min(r0 + self.reps, r)
            for j0 in range(0, m, self.chunk):
                j1 = min(j0 + self.chunk, m)
                block = self.piece[: r1 - r0, : j1 - j0]
                np.matmul(lhs[r0:r1, j0:j1], rhs[r0:r1], out=block)
                np.exp(block, out=block)
                np.sum(block, axis=2, out=sums[r0:r1, j0:j1])
        np.log(sums, out=sums)
        return self.const + a * dmin2.mean(axis=1) - sums.mean(axis=1)


def kde_nll(test: np.ndarray, centres: np.ndarray, bandwidth: float) -> np.ndarray:
    """Per row: mean over ``test`` of -log KDE(x) with the row's ``centres`` (see KdeNll)."""
    return KdeNll(test, centres.shape[1], bandwidth)(centres)


def kde_nll_direct(test: np.ndarray, centres: np.ndarray, bandwidth: float) -> np.ndarray:
    """Reference for ``kde_nll``: the broadcast (x - c)^2 form with scipy's log-sum-exp, one
    replicate at a time."""
    out = np.empty(test.shape[0])
    for i in range(test.shape[0]):
        z = (test[i, :, None] - centres[i, None, :]) / bandwidth
        log_kde = special.logsumexp(-0.5 * z * z, axis=1) - math.log(centres.shape[1] * bandwidth)
        out[i] = -np.mean(log_kde - _LOG_SQRT_2PI)
    return out


class _KdeSampler:
    """Draws n points from each row's KDE into a preallocated buffer: a training point picked
    uniformly with replacement (``Generator.integers``, exact; it has no ``out=``, so its index
    array is the one allocation per generation) plus N(0, h^2) noise."""

    def __init__(self, b: int, n: int, bandwidth: float) -> None:
        self.n = n
        self.bandwidth = bandwidth
        self.offsets = (np.arange(b) * n)[:, None]
        self.noise = np.empty((b, n))

    def draw(self, rng: np.random.Generator, centres: np.ndarray, out: np.ndarray) -> None:
        idx = rng.integers(0, self.n, size=centres.shape)
        idx += self.offsets
        np.take(centres.reshape(-1), idx, out=out)
        rng.standard_normal(out=self.noise)
        self.noise *= self.bandwidth
        out += self.noise


def kde_replace(
    n: int,
    bandwidth: float,
    iterations: int,
    replicates: int,
    rng: np.random.Generator,
    test_size: int = 1000,
    stride: int = 1,
) -> Metrics:
    """Kernel density estimation of 0.5 N(-2, 1) + 0.5 N(2, 1) with a fixed bandwidth h, replace.

    Per replicate the real training set (n points) and, independently, a held-out test set
    (``test_size`` points) are drawn once from the mixture. Model t is the KDE with centres at
    training set t - 1 (training set 0 being the real data); training set t is n points drawn from
    model t: a centre picked uniformly with replacement plus N(0, h^2) noise, all replicates of a
    block in one batched gather. Metric ``nll_real``: the mean over the test set of -log KDE_t(x)
    (``KdeNll``, a stable log-sum-exp over the m x n kernel matrix, the main cost); iteration 0
    is the NLL of the mixture density itself on the test set.
    """
    if n < 1 or test_size < 1 or not bandwidth > 0:
        raise ValueError("need n >= 1, test_size >= 1 and bandwidth > 0")
    out = _outputs(["nll_real"], len(recorded_iterations(iterations, stride)), replicates)
    slot = slots(iterations, stride)
    for rows in _blocks(replicates, 8 * (4 * n + 2 * test_size)):
        b = rows.stop - rows.start
        centres = mixture_sample(rng, (b, n))
        test = mixture_sample(rng, (b, test_size))
        out["nll_real"][rows, 0] = -mixture_logpdf(test).mean(axis=1)
        nll = KdeNll(test, n, bandwidth)
        sampler = _KdeSampler(b, n, bandwidth)
        nxt = np.empty_like(centres)
        for t in range(1, iterations + 1):
            if t in slot:
                out["nll_real"][rows, slot[t]] = nll(centres)
            if t < iterations:
                sampler.draw(rng, centres, nxt)
                centres, nxt = nxt, centres
    return out


# --- self-checks against exact theory ---------------------------------------------------------

#: A statistical check fails when its value is more than this many standard errors off.
MAX_Z = 4.5


@dataclass(frozen=True)
class Check:
    """One row of the self-check table. kind "mean": value ~ expected within MAX_Z standard
    errors; "exact": |value - expected| <= tol; "rise": value > expected by more than MAX_Z
    standard errors."""

    name: str
    value: float
    expected: float
    se: float = 0.0
    kind: str = "mean"
    tol: float = 0.0

    @property
    def z(self) -> float:
        return (self.value - self.expected) / self.se if self.se > 0 else math.nan

    @property
    def ok(self) -> bool:
        if self.kind == "exact":
            return abs(self.value - self.expected) <= self.tol
        if self.kind == "rise":
            return self.z > MAX_Z
        return abs(self.z) <= MAX_Z

    def row(self) -> str:
        if self.kind == "exact":
            diff = f"|d|={abs(self.value - self.expected):.1e}"
        else:
            diff = f"{self.z:+.2f} SE"
        status = "ok" if self.ok else "FAIL"
        return f"{self.name:<50} {self.value:>12.6g} {self.expected:>12.6g} {diff:>13}  {status}"


def check_mean(name: str, samples: np.ndarray, expected: float) -> Check:
    value, se = mean_se(samples)
    return Check(name, value, expected, se)


def check_same(name: str, a: np.ndarray, b: np.ndarray) -> Check:
    """Two-sample comparison: mean of a against mean of b, in standard errors of the difference."""
    (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
    return Check(name, ma, mb, math.hypot(sa, sb))


def check_rise(name: str, before: np.ndarray, after: np.ndarray) -> Check:
    value, se = mean_se(after - before)
    return Check(name, value, 0.0, se, kind="rise")


def gaussian_checks(rng: np.random.Generator) -> list[Check]:
    checks: list[Check] = []
    n, horizon, times = 100, 100, (1, 10, 100)
    cases = {
        1: (np.array([0.5]), np.array([[2.0]])),
        10: (np.linspace(-1.0, 1.0, 10), _spd(10, np.random.default_rng(12345))),
    }
    runs: dict[tuple[int, str, str], Metrics] = {}
    sizes = {"a": {1: 40_000, 10: 40_000}, "b": {1: 20_000, 10: 6_000}}
    for d, (mu0, s0) in cases.items():
        trace0, logdet0 = float(np.trace(s0)), float(np.linalg.slogdet(s0)[1])
        for est in ("unbiased", "mle"):
            divisor = n - 1 if est == "unbiased" else n
            c = (n - 1) / divisor  # E S_t = c^t S0
            # E log det of the new S given the old: sum_i E log chi^2_{n-1-i} - d log divisor.
            drift = sum(special.digamma((n - 1 - i) / 2) + math.log(2) for i in range(d))
            drift -= d * math.log(divisor)
            for impl, func in (("a", gaussian_bartlett), ("b", gaussian_refit_samples)):
                reps = sizes[impl][d] // (1 if est == "unbiased" else 2)
                out = func(mu0, s0, n, horizon, reps, rng, estimator=est, with_w2_cov=d == 1)
                runs[d, est, impl] = out
                tag = f"gauss d={d} {est[:3]} ({impl})"
                for t in times if est == "unbiased" else (10, 100):
                    checks.append(
                        check_mean(f"{tag} E tr S_{t}", out["cov_trace"][:, t], trace0 * c**t)
                    )
                real = {"w2sq_mean": 0.0, "cov_trace": trace0, "logdet": logdet0, "w2sq_cov": 0.0}
                err = max(
                    float(np.abs(out[k][:, 0] - v).max()) for k, v in real.items() if k in out
                )
                checks.append(Check(f"{tag} iteration 0 = real", err, 0.0, kind="exact", tol=1e-12))
                expected = logdet0 + horizon * drift
                checks.append(
                    check_mean(f"{tag} E logdet S_{horizon}", out["logdet"][:, horizon], expected)
                )
                if est == "mle":
                    continue
                for t in times:
                    expected = trace0 * t / n
                    checks.append(
                        check_mean(f"{tag} E|mu_{t}-mu0|^2", out["w2sq_mean"][:, t], expected)
                    )
                if d == 1:
                    # sigma_t = sigma0 prod_k sqrt(chi^2_{n-1} / (n-1)): E sigma_t = sigma0 c4^t
                    # and E (sigma_t - sigma0)^2 = sigma0^2 (2 - 2 c4^t) (unbiased).
                    log_c4 = 0.5 * math.log(2 / (n - 1)) + special.gammaln(n / 2)
                    log_c4 -= special.gammaln((n - 1) / 2)
                    for t in (1, horizon):
                        expected = trace0 * (2 - 2 * math.exp(t * log_c4))
                        checks.append(
                            check_mean(f"{tag} E w2sq_cov_{t}", out["w2sq_cov"][:, t], expected)
                        )
        for est in ("unbiased", "mle"):
            a, b = runs[d, est, "a"], runs[d, est, "b"]
            for metric in a:
                checks.append(
                    check_same(
                        f"gauss d={d} {est[:3]} (a)=(b) {metric}_{horizon}",
                        a[metric][:, -1],
                        b[metric][:, -1],
                    )
                )
    # w2sq_cov in d = 10 (eigvalsh of a 10 x 10 stack costs 3x a Bartlett step): short runs.
    mu0, s0 = cases[10]
    a = gaussian_bartlett(mu0, s0, n, 10, 20_000, rng, stride=10, with_w2_cov=True)
    b = gaussian_refit_samples(mu0, s0, n, 10, 4_000, rng, stride=10, with_w2_cov=True)
    checks.append(
        check_same("gauss d=10 unb (a)=(b) w2sq_cov_10", a["w2sq_cov"][:, 1], b["w2sq_cov"][:, 1])
    )
    return checks


def _spd(d: int, rng: np.random.Generator) -> np.ndarray:
    """A fixed, well-conditioned SPD matrix with eigenvalues spread over [0.5, 3]."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    s = (q * np.linspace(0.5, 3.0, d)) @ q.T
    return 0.5 * (s + s.T)


def regression_checks(rng: np.random.Generator) -> list[Check]:
    checks: list[Check] = []
    d, n, sigma, horizon = 10, 100, 1.0, 100
    tr_ginv = d / (n - d - 1)  # E tr (X^T X)^-1 for a Gaussian design: E W^-1 = I / (n - d - 1)
    sizes = {"a": 100_000, "b": 20_000}
    for paradigm in ("replace", "accumulate"):
        runs = {}
        for impl, func in (("a", regression_sufficient), ("b", regression_lstsq)):
            out = func(d, n, sigma, horizon, sizes[impl], rng, paradigm)
            runs[impl] = out
            for t in (1, 10, 100):
                factor = t if paradigm == "replace" else sum(1 / i**2 for i in range(1, t + 1))
                name = f"regr {paradigm[:3]} ({impl}) E|b_{t}-b|^2"
                checks.append(
                    check_mean(name, out["param_error"][:, t], sigma**2 * tr_ginv * factor)
                )
            err = float(np.abs(out["test_error"] - out["param_error"] - sigma**2).max())
            name = f"regr {paradigm[:3]} ({impl}) max|test-param_error-s^2|"
            checks.append(Check(name, err, 0.0, kind="exact", tol=1e-12))
        name = f"regr {paradigm[:3]} (a)=(b) param_error_{horizon}"
        checks.append(
            check_same(name, runs["a"]["param_error"][:, -1], runs["b"]["param_error"][:, -1])
        )
        # A long horizon, with a stride.
        out = regression_sufficient(d, n, sigma, 1000, 10_000, rng, paradigm, stride=250)
        for k, t in enumerate(recorded_iterations(1000, 250)[1:], start=1):
            factor = t if paradigm == "replace" else sum(1 / i**2 for i in range(1, t + 1))
            name = f"regr {paradigm[:3]} (a) E|b_{t}-b|^2"
            checks.append(check_mean(name, out["param_error"][:, k], sigma**2 * tr_ginv * factor))
    return checks


def mixture_entropy() -> float:
    """Differential entropy of the real mixture (nats), by quadrature."""

    def integrand(x: float) -> float:
        logp = float(mixture_logpdf(np.array(x)))
        return -math.exp(logp) * logp

    return integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13, limit=500)[0]


def kde_checks(rng: np.random.Generator) -> list[Check]:
    checks: list[Check] = []
    n, h, horizon, reps, m = 1000, 0.2, 100, 80, 1000
    out = kde_replace(n, h, horizon, reps, rng, test_size=m, stride=10)["nll_real"]
    entropy = mixture_entropy()
    checks.append(check_mean("kde E nll_real_0 = mixture entropy", out[:, 0], entropy))
    checks.append(check_rise("kde nll_real_10 - nll_real_0 > 0", out[:, 0], out[:, 1]))
    checks.append(check_rise(f"kde nll_real_{horizon} - nll_real_10 > 0", out[:, 1], out[:, -1]))
    # Iteration 0 is the mixture's own NLL on the test set (same draws, scipy's densities).
    seed = 2024
    first = kde_replace(n, h, 0, 3, np.random.default_rng(seed), test_size=m)["nll_real"][:, 0]
    again = np.random.default_rng(seed)
    mixture_sample(again, (3, n))  # the real training data come first
    test = mixture_sample(again, (3, m))
    density = 0.5 * stats.norm.pdf(test, -MIX_MEAN) + 0.5 * stats.norm.pdf(test, MIX_MEAN)
    expected = -np.log(density).mean(axis=1)
    diff = float(np.abs(first - expected).max())
    checks.append(
        Check("kde max|nll_real_0 - scipy mixture NLL|", diff, 0.0, kind="exact", tol=1e-12)
    )
    # The fast evaluator against the direct log-sum-exp: real data, generation-100 centres, small
    # m N (several replicates per piece) and large N (one test point per piece).
    centres, test = mixture_sample(rng, (4, n)), mixture_sample(rng, (4, m))
    evolved, sampler = centres.copy(), _KdeSampler(4, n, h)
    spare = np.empty_like(evolved)
    for _ in range(horizon - 1):
        sampler.draw(rng, evolved, spare)
        evolved, spare = spare, evolved
    cases = [
        ("real data", test, centres),
        (f"generation {horizon}", test, evolved),
        ("m = N = 50", mixture_sample(rng, (30, 50)), mixture_sample(rng, (30, 50))),
        ("m = 7, N = 300000", mixture_sample(rng, (2, 7)), mixture_sample(rng, (2, 300_000))),
        ("far test points", mixture_sample(rng, (2, 50)) * 6, mixture_sample(rng, (2, 60))),
    ]
    for label, x, c in cases:
        diff = np.abs(kde_nll(x, c, h) - kde_nll_direct(x, c, h)).max()
        checks.append(
            Check(f"kde fast = direct NLL, {label}", float(diff), 0.0, kind="exact", tol=1e-9)
        )
    return checks


def self_check() -> int:
    start = time.perf_counter()
    rng = np.random.default_rng(20240601)
    print(f"{'check':<50} {'value':>12} {'expected':>12} {'difference':>13}")
    checks: list[Check] = []
    for group in (gaussian_checks, regression_checks, kde_checks):
        began = time.perf_counter()
        for check in group(rng):
            print(check.row(), flush=True)
            checks.append(check)
        print(f"  ({group.__name__}: {time.perf_counter() - began:.1f} s)")
    failed = [c for c in checks if not c.ok]
    print(
        f"{len(checks) - len(failed)}/{len(checks)} checks passed "
        f"({time.perf_counter() - start:.0f} s; (a) = sufficient statistics, (b) = samples/lstsq)"
    )
    return 1 if failed else 0


# --- throughput -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    name: str
    replicates: int
    run: Callable[[int, np.random.Generator], Metrics]


def benches(scale: float) -> list[Bench]:
    mu0, s0 = np.zeros(10), np.eye(10)

    def reps(k: int) -> int:
        return max(1, round(k * scale))

    return [
        Bench(
            "gaussian_bartlett d=10 n=100 T=1000",
            reps(2000),
            lambda r, g: gaussian_bartlett(mu0, s0, 100, 1000, r, g),
        ),
        Bench(
            "gaussian_refit_samples d=10 n=100 T=1000",
            reps(200),
            lambda r, g: gaussian_refit_samples(mu0, s0, 100, 1000, r, g),
        ),
        Bench(
            "regression_sufficient replace d=10 n=100 T=100",
            reps(20_000),
            lambda r, g: regression_sufficient(10, 100, 1.0, 100, r, g, "replace"),
        ),
        Bench(
            "regression_sufficient accumulate",
            reps(20_000),
            lambda r, g: regression_sufficient(10, 100, 1.0, 100, r, g, "accumulate"),
        ),
        Bench(
            "regression_lstsq replace d=10 n=100 T=100",
            reps(10_000),
            lambda r, g: regression_lstsq(10, 100, 1.0, 100, r, g, "replace"),
        ),
        Bench(
            "regression_lstsq accumulate",
            reps(10_000),
            lambda r, g: regression_lstsq(10, 100, 1.0, 100, r, g, "accumulate"),
        ),
        Bench(
            "kde_replace n=m=1000 h=0.2 T=100 stride=10",
            reps(40),
            lambda r, g: kde_replace(1000, 0.2, 100, r, g, test_size=1000, stride=10),
        ),
    ]


def throughput(repeats: int, scale: float) -> None:
    """Best of ``repeats`` interleaved runs of each baseline (after a small warm-up run each):
    replicates per wall-clock second, and per CPU second of this process (less sensitive to
    other processes competing for the two cores; 'cores' = CPU time / wall time)."""
    cases = benches(scale)
    for case in cases:
        case.run(max(1, case.replicates // 50), np.random.default_rng(0))
    runs: dict[str, list[tuple[float, float]]] = {case.name: [] for case in cases}
    for repeat in range(repeats):  # interleaved, so that a burst of load hits every case alike
        for case in cases:
            wall, cpu = time.perf_counter(), time.process_time()
            case.run(case.replicates, np.random.default_rng(repeat))
            runs[case.name].append((time.perf_counter() - wall, time.process_time() - cpu))
    print(
        f"{'baseline':<48} {'replicates':>10} {'seconds':>8} {'reps/s':>10} {'reps/cpu-s':>10}"
        f" {'cores':>6}"
    )
    for case in cases:
        wall, cpu = min(runs[case.name])
        best_cpu = min(c for _, c in runs[case.name])
        print(
            f"{case.name:<48} {case.replicates:>10} {wall:>8.3f} {case.replicates / wall:>10.1f}"
            f" {case.replicates / best_cpu:>10.1f} {cpu / wall:>6.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", action="store_true", help="measure throughput instead")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the replicate counts")
    args = parser.parse_args()
    if args.bench:
        throughput(args.repeats, args.scale)
        return 0
    return self_check()


if __name__ == "__main__":
    sys.exit(main())
