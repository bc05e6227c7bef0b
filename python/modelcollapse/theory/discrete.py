"""Exact theory for the discrete setting under Replace (paper Sec. 4.4; DESIGN §5).

Under Replace every atom's count is a two-allele Wright-Fisher chain on {0, ..., D} with
Binomial(D, j/D) steps, and total collapse happens when the eventual winner fixes. So the time T
of total collapse is the fixation time of the winning atom, and with Q the chain's transient block
(states 1..D-1):

* y = E[tau 1{fix}] solves (I - Q) y = h, h_j = j/D (the chance of fixing from j), and
  E[T] = offset + sum_i E[y[X_i]];
* z = E[tau^2 1{fix}] solves (I - Q) z = h + 2 Q y = 2 y - h, which gives Var T;
* P(T <= t) = sum_i P(atom i has fixed by t), the events being disjoint;
* E[entropy_t], E[support_t] and E[gini_simpson_t] are sums over atoms of expectations under each
  atom's marginal chain. Every such sum is m_t @ f for the *occupancy* m_t (m_t[j] = the expected
  number of atoms holding j items at iteration t), and m_t = m_start P^t: one vector is iterated,
  however many atoms there are;
* a group of atoms (`loss_probability`, `fixation_probability`) lumps into one such chain too:
  the group's total count is again Wright-Fisher with Binomial(D, j/D) steps. It is lost when the
  count hits 0 and holds all the mass when it hits D.

Here X_i is atom i's count at the first iteration that is a multinomial draw of D items: iteration
1 (offset 1) when the setting has weights, X_i ~ Binomial(D, p_i); with real data given as counts
of total N, iteration 1 is their empirical distribution and iteration 2 the first draw (offset 2,
X_i ~ Binomial(D, c_i / N)), unless N = D, when iteration 1 is already the state X = c (offset 1).

The transition matrix is banded to within rounding: by Hoeffding's inequality a step moves more
than ``BAND_SDS`` = 10 times the largest standard deviation (sqrt(D) / 2, at j = D / 2) with
probability below 2 exp(-50) < 4e-22, so the computations keep a band of half-width about
5 sqrt(D) (relative effect on E[T] below 1e-17). The LU factorisation of the band (LAPACK
``dgbtrf``) costs O(D^2); one step of the chain O(D^1.5). Once the chain's transient mass (the
expected number of atoms, or the probability, still strictly between 0 and D) is below
``TAIL_MASS`` = 1e-15 it is extrapolated: what is left is absorbed at D with probability j/D
(exactly) and decays like (1 - 1/D)^t, the transient block's largest eigenvalue, so a horizon of
10^12 costs no more than the steps to that point, about D ln(D K / TAIL_MASS) with K atoms; each
curve is then within 1e-15 (absolute) of the chain.

For D beyond that (up to 10^15 and more) the diffusion limit applies, with time in units of D
generations (tau = t / D): Littler's (1975) mean, and Kimura's (1955) series for the probability
that an atom at frequency p has fixed by tau,

    P_fix(p, tau) = p + sum_{i>=1} (2i+1) p (1-p) (-1)^i P_{i-1}^{(1,1)}(1-2p) / i e^{-i(i+1) tau/2}

(P^{(1,1)} a Jacobi polynomial; Kimura writes it with F(1-i, i+2; 2; p) = P_{i-1}^{(1,1)}(1-2p)/i),
and P_loss(p, tau) = P_fix(1-p, tau). The series needs about sqrt(80 / tau) terms; below
tau = 2e-5 the Feller limit of the boundary, P_loss(p, tau) = exp(-2 p / tau), takes over. The
diffusion is accurate to O(1/D) where every atom has many items (D p >> 1); it breaks down for
atoms with a handful of items during their first few D p generations, where the discrete chain
loses them at rate e^{-D p} per generation, not as exp(-2 D p / t).

Exact or diffusion: the one rule
--------------------------------
Every function here that can answer either way (`expected_collapse_time`, `collapse_time_cdf`,
`discrete_curves`, `loss_probability`, `fixation_probability`, and `mc.theory.expected_curve` for a
``mc.Discrete``) takes ``method="auto" | "exact" | "diffusion"`` and says which it used:
`discrete_curves` in ``attrs["method"]``, the others when called with ``return_method=True``
(they then return ``(value, method)``). ``method="auto"`` takes the exact chain when

    D <= MAX_EXACT_D (10,000)  and  exact_seconds(...) <= EXACT_SECONDS (3 s),

and the diffusion limit otherwise. `exact_seconds` predicts the exact computation's time on the
machine its constants were measured on (a 2-core x86-64 server): building the band, the starting
occupancy (a binomial pmf per distinct atom probability over the counts it can reach), and then
either the banded LU (E[T]) or min(horizon, steps to TAIL_MASS) steps of the chain (every curve
and probability over time). It depends on D, the distinct atom probabilities and the horizon (the
largest t asked for), never on how many t are asked for: a dense grid and a sparse one with the
same largest t get the same method, hence the same values at the t they share. Measured (cold, no
cache, an otherwise idle 2-core machine; a few times longer under load): E[T] takes 0.04 s at
D = 1,000, 0.3 s at D = 5,000 and 0.8 s at D = 10,000; one step of the chain 0.2 ms at D = 1,000
and 12 ms at D = 10,000, so under "auto" the curves are exact to a horizon of about 8,000 at
D = 1,000 and 230 at D = 10,000, and any horizon is exact for D up to about 450 (the chain is
absorbed within the budget); ``method="exact"`` goes further at that cost per step.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy import sparse, stats
from scipy.linalg import lapack

from ..paradigms import Paradigm, Replace
from ..settings import Discrete

__all__ = [
    "collapse_time_cdf",
    "collapse_time_variance",
    "discrete_curves",
    "exact_seconds",
    "expected_collapse_time",
    "fixation_probability",
    "littler",
    "loss_probability",
    "tail_atoms",
]

#: Half-width of the band, in standard deviations of the largest step (j = D/2).
BAND_SDS = 10.0
#: Largest D the exact solvers accept.
MAX_EXACT_D = 10_000
#: Transient mass (expected atoms, or probability) below which a chain is extrapolated.
TAIL_MASS = 1e-15
#: Most float64 values in one temporary array (32 MiB): atoms and iterations are taken in chunks.
CHUNK = 2**22

#: The cost model behind method="auto" (seconds, measured on a 2-core x86-64 server).
SECONDS_PER_PMF = 1.2e-7  # one scipy binomial pmf value
SECONDS_PER_RECURRENCE = 6e-9  # one (atom, count) of the small-mean pmf recurrence
SECONDS_PER_BAND_ENTRY = 1e-9  # one entry of the band in a step of the chain
SECONDS_PER_STEP = 3e-5  # the Python and scipy overhead of a step
SECONDS_PER_LU_FLOP = 5e-11  # the banded LU
#: The most predicted seconds method="auto" spends on an exact answer.
EXACT_SECONDS = 3.0

Method = Literal["auto", "exact", "diffusion"]


def _check_discrete(setting: object) -> Discrete:
    if not isinstance(setting, Discrete):
        raise TypeError(
            f"setting must be a mc.Discrete for the discrete theory, got {type(setting).__name__}"
        )
    return setting


def _check_method(method: object, allowed: tuple[str, ...]) -> str:
    if method not in allowed:
        raise ValueError(f"method must be one of {', '.join(map(repr, allowed))}, got {method!r}")
    return str(method)


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_exact_size(setting: Discrete) -> None:
    if setting.samples > MAX_EXACT_D:
        raise ValueError(
            f"samples = {setting.samples:,} is beyond the exact solver (D <= {MAX_EXACT_D:,}); "
            "use method='diffusion' or littler(setting)"
        )


@dataclass(frozen=True)
class _StartState:
    """Where the chain starts: each distinct atom probability q (with its multiplicity) such that
    atom counts at iteration `offset` are Binomial(D, q), or fixed at `fixed` counts."""

    offset: int
    q: npt.NDArray[np.float64]
    multiplicity: npt.NDArray[np.int64]
    fixed: npt.NDArray[np.int64] | None
    collapsed_at_start: bool


def _start(setting: Discrete) -> _StartState:
    d = setting.samples
    if setting.counts is None:
        p = setting.weights[setting.weights > 0]
        q, mult = np.unique(p, return_counts=True)
        return _StartState(1, q, mult, None, p.size <= 1)
    c = setting.counts[setting.counts > 0].astype(np.int64)
    n = int(c.sum())
    if n == d:
        return _StartState(1, np.empty(0), np.empty(0, dtype=np.int64), c, c.size <= 1)
    q, mult = np.unique(c / n, return_counts=True)
    return _StartState(2, q, mult, None, c.size <= 1)


# -- the banded chain ------------------------------------------------------------------------------


def _half_width(d: int) -> int:
    return min(d, math.ceil(BAND_SDS * math.sqrt(d) / 2) + 8)


@functools.lru_cache(maxsize=2)
def _band(d: int) -> tuple[int, npt.NDArray[np.float64]]:
    """(w, B): B[w + k, j] = P(j -> j + k) for |k| <= w = `_half_width(d)`, states j = 0..d
    (zero where j + k leaves 0..d), read-only. Only k >= 0 is evaluated: the chain is symmetric,
    P(j -> j - k) = P(d - j -> d - j + k)."""
    w = _half_width(d)
    j = np.arange(d + 1)
    band = np.zeros((2 * w + 1, d + 1))
    for k in range(w + 1):
        row = stats.binom.pmf(j + k, d, j / d)
        band[w + k] = row
        band[w - k] = row[::-1]
    band.flags.writeable = False
    return w, band


@functools.lru_cache(maxsize=2)
def _step_matrix(d: int) -> sparse.dia_matrix:
    """P^T in diagonal storage: m @ P = P^T @ m, the fastest sparse product for a band."""
    w, band = _band(d)
    return sparse.dia_matrix((band, -np.arange(-w, w + 1)), shape=(d + 1, d + 1))


@functools.lru_cache(maxsize=2)
def _transition(d: int) -> sparse.csr_matrix:
    """The (d+1) x (d+1) Binomial(d, j/d) transition matrix, keeping the band of half-width
    `_half_width(d)` around the diagonal (outside it, every row holds below 4e-22)."""
    return sparse.csr_matrix(_step_matrix(d).T)


@functools.lru_cache(maxsize=4)
def _hitting_moments(d: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """y = E[tau 1{fix}] and z = E[tau^2 1{fix}] on states 0..d (zero at 0 and d), read-only:
    one banded LU of I - Q (LAPACK dgbtrf) and two solves with it."""
    y = np.zeros(d + 1)
    z = np.zeros(d + 1)
    n = d - 1
    if n >= 1:
        w, band = _band(d)
        k = min(w, n - 1)
        # A = I - Q over states 1..d-1 in dgbtrf's layout: A[r, c] at ab[2k + r - c, c]
        ab = np.zeros((3 * k + 1, n))
        for off in range(-k, k + 1):
            c0, c1 = max(0, off), min(n, n + off)
            ab[2 * k - off, c0:c1] = -band[w + off, c0 - off + 1 : c1 - off + 1]
        ab[2 * k] += 1.0
        lu, piv, info = lapack.dgbtrf(ab, k, k, overwrite_ab=True)
        if info != 0:  # pragma: no cover - I - Q is a nonsingular M-matrix
            raise RuntimeError(f"LAPACK dgbtrf failed (info = {info}) for D = {d}")
        h = np.arange(1, d) / d
        y[1:d], _ = lapack.dgbtrs(lu, k, k, h, piv)
        z[1:d], _ = lapack.dgbtrs(lu, k, k, 2 * y[1:d] - h, piv)
    for m in (y, z):
        m.flags.writeable = False
    return y, z


#: Atoms whose expected count D q is at most this take the pmf recurrence from count 0.
SMALL_MEAN = 50.0


def _count_range(d: int, q: npt.NDArray[np.float64]) -> tuple[npt.NDArray, npt.NDArray]:
    """Counts outside [lo, hi] have Binomial(d, q) probability below 1e-32 (Bernstein)."""
    mean = d * q
    spread = 40 * np.sqrt(mean * (1 - q)) + 50
    lo = np.maximum(np.floor(mean - spread), 0).astype(np.int64)
    hi = np.minimum(np.ceil(mean + spread), d).astype(np.int64)
    return lo, hi


def _occupancy(start: _StartState, d: int) -> npt.NDArray[np.float64]:
    """m[j] = the expected number of atoms holding j items at iteration `start.offset`, summed
    over atoms in chunks (never a (atoms x (d + 1)) table): the scipy pmf over each atom's
    reachable counts, or for atoms of small mean the recurrence pmf(j + 1) = pmf(j) (d - j) /
    (j + 1) q / (1 - q) from pmf(0) = (1 - q)^d (relative rounding below 1e-13)."""
    if start.fixed is not None:
        return np.bincount(start.fixed, minlength=d + 1).astype(np.float64)
    m = np.zeros(d + 1)
    q, mult = start.q, start.multiplicity.astype(np.float64)
    small = (d * q <= SMALL_MEAN) & (q <= 0.5)
    qs, ms = q[small], mult[small]
    for a in range(0, qs.size, CHUNK // 8):
        qc, mc = qs[a : a + CHUNK // 8], ms[a : a + CHUNK // 8]
        pk = np.exp(d * np.log1p(-qc))
        ratio = qc / (1 - qc)
        top = float(d * qc.max())
        for j in range(d + 1):
            m[j] += mc @ pk
            if j >= top and float(pk.max()) < 1e-40:
                break
            pk = pk * ((d - j) / (j + 1)) * ratio
    ql, ml = q[~small], mult[~small]
    lo, hi = _count_range(d, ql)
    rows = max(1, CHUNK // (d + 1))
    for a in range(0, ql.size, rows):
        b = slice(a, a + rows)
        first, last = int(lo[b].min()), int(hi[b].max())
        counts = np.arange(first, last + 1)
        m[first : last + 1] += ml[b] @ stats.binom.pmf(counts[None, :], d, ql[b, None])
    return m


def _start_seconds(start: _StartState, d: int) -> float:
    """Predicted seconds of `_occupancy`."""
    if start.fixed is not None:
        return 0.0
    q = start.q
    small = (d * q <= SMALL_MEAN) & (q <= 0.5)
    lo, hi = _count_range(d, q)
    reach = (hi - lo + 1).astype(np.float64)
    return float(
        SECONDS_PER_RECURRENCE * reach[small].sum() + SECONDS_PER_PMF * reach[~small].sum()
    )


def _heterozygosity(start: _StartState, d: int) -> float:
    """sum over atoms of E[X (d - X)] at the start, which bounds the transient mass after t
    steps by (1 - 1/d)^t times it over (d - 1) (Markov: X (d - X) >= d - 1 off 0 and d)."""
    if start.fixed is not None:
        c = start.fixed.astype(np.float64)
        return float(np.sum(c * (d - c)))
    return float(d * (d - 1) * np.sum(start.multiplicity * start.q * (1 - start.q)))


def _steps_to_tail(start: _StartState, d: int) -> int:
    """Steps after which the chain's transient mass is below `TAIL_MASS`, at the latest."""
    if d < 2:
        return 0
    bound = _heterozygosity(start, d) / (d - 1)
    if bound <= TAIL_MASS:
        return 0
    return math.ceil(math.log(bound / TAIL_MASS) / -math.log1p(-1 / d)) + 1


def exact_seconds(setting: Discrete, what: str = "curves", horizon: int = 0) -> float:
    """Predicted seconds of the exact computation (the cost model of method="auto"): `what` is
    "mean" (E[T] by the banded LU) or "curves" (the chain run to iteration `horizon`, or until
    its transient mass is below `TAIL_MASS`, whichever comes first). Infinite beyond
    `MAX_EXACT_D`."""
    setting = _check_discrete(setting)
    if what not in ("mean", "curves"):
        raise ValueError(f"what must be 'mean' or 'curves', got {what!r}")
    horizon = int(_iterations_array("horizon", horizon, ValueError))
    return _exact_seconds(_start(setting), setting.samples, what, horizon)


def _exact_seconds(start: _StartState, d: int, what: str, horizon: int) -> float:
    if d > MAX_EXACT_D:
        return math.inf
    w = _half_width(d)
    seconds = SECONDS_PER_PMF * (w + 1) * (d + 1) + _start_seconds(start, d)
    if what == "mean":
        k = min(w, max(d - 2, 0))
        return seconds + SECONDS_PER_LU_FLOP * 2.0 * d * k * k
    steps = min(max(horizon - start.offset, 0), _steps_to_tail(start, d))
    return seconds + steps * (SECONDS_PER_BAND_ENTRY * (2 * w + 1) * (d + 1) + SECONDS_PER_STEP)


def _resolve(method: str, start: _StartState, d: int, what: str, horizon: int) -> str:
    """The one rule: "auto" is exact when D <= MAX_EXACT_D and the exact computation is
    predicted to take at most EXACT_SECONDS; else the diffusion limit."""
    if method != "auto":
        return method
    return "exact" if _exact_seconds(start, d, what, horizon) <= EXACT_SECONDS else "diffusion"


def _run_chain(
    m0: npt.NDArray[np.float64],
    d: int,
    offset: int,
    times: npt.NDArray[np.int64],
    functionals: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """m_t @ functionals, (len(times), columns), for the occupancy m_t = m0 P^(t - offset) at
    the sorted, distinct iterations `times` (all >= offset). The chain steps until its transient
    mass is below `TAIL_MASS`; later values are extrapolated (see the module docstring), so a
    horizon of 10^12 costs no more than that."""
    out = np.empty((times.size, functionals.shape[1]))
    if d < 2:  # every state absorbs
        out[:] = m0 @ functionals
        return out
    step = _step_matrix(d)
    m, t, i = m0.copy(), offset, 0
    while i < times.size:
        transient = float(m[1:d].sum())
        if transient <= TAIL_MASS:
            to_d = float(m[1:d] @ (np.arange(1, d) / d))  # absorbed at d with chance j/d
            to_0 = transient - to_d
            inner = m[1:d] @ functionals[1:d]
            decay = np.exp((times[i:] - t) * math.log1p(-1 / d))[:, None]
            out[i:] = (
                (m[0] + to_0 * (1 - decay)) * functionals[0]
                + (m[d] + to_d * (1 - decay)) * functionals[d]
                + decay * inner
            )
            return out
        if times[i] == t:
            out[i] = m @ functionals
            i += 1
            continue
        m = step @ m
        t += 1
    return out


def _expectations(start: _StartState, d: int, values: npt.NDArray[np.float64]) -> float:
    """sum over atoms of E[values[X_i]] at the start iteration."""
    return float(_occupancy(start, d) @ values)


def _answer(value, method: str, return_method: bool):  # type: ignore[no-untyped-def]
    return (value, method) if return_method else value


# -- the mean and variance of the collapse time ----------------------------------------------------


def expected_collapse_time(
    setting: Discrete, *, method: Method = "auto", return_method: bool = False
) -> float | tuple[float, str]:
    """E[T], the expected first iteration at which one atom holds all mass, under Replace.

    method="exact" solves the absorbing chain (a banded LU; the band truncation leaves a relative
    error below 1e-17, so rounding dominates); it takes about 0.04 s at D = 1,000, 0.3 s at
    D = 5,000 and 0.8 s at D = 10,000, the largest D it accepts. method="diffusion" returns
    Littler's approximation -2 D sum_i (1 - p_i) ln(1 - p_i), in generations; its error is O(1)
    generations, i.e. O(1/D) relative. The paper's D H[p0] is neither: see `littler`.
    method="auto" follows the module's one rule (exact for D <= 10,000 unless the starting
    distribution over very many distinct atoms is predicted to take more than 3 s).

    With ``return_method=True`` the result is ``(E[T], method)``, method "exact" or "diffusion".
    """
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    return_method = _check_flag("return_method", return_method)
    start = _start(setting)
    d = setting.samples
    method = _resolve(method, start, d, "mean", 0)
    if method == "diffusion":
        return _answer(littler(setting), method, return_method)
    _check_exact_size(setting)
    if start.collapsed_at_start:
        return _answer(0.0, method, return_method)
    y, _ = _hitting_moments(d)
    return _answer(start.offset + _expectations(start, d, y), method, return_method)


def collapse_time_variance(setting: Discrete) -> float:
    """Var T under Replace, exactly (second moments of the absorbing chain, D <= 10,000), so that
    tests and users get standard errors of simulated means from theory:
    sem = sqrt(Var T / replicates)."""
    setting = _check_discrete(setting)
    _check_exact_size(setting)
    start = _start(setting)
    if start.collapsed_at_start:
        return 0.0
    d = setting.samples
    y, z = _hitting_moments(d)
    m = _occupancy(start, d)
    o = start.offset
    e_tau = float(m @ y)
    mean = o + e_tau
    second = o * o + 2 * o * e_tau + float(m @ z)
    return max(second - mean * mean, 0.0)


def littler(setting: Discrete) -> float:
    """Littler's (1975) diffusion approximation of E[T]: -2 D sum_i (1 - p_i) ln(1 - p_i).

    It saturates at about 2D as the number of atoms grows, so E[T] is proportional to D but not
    to the entropy H[p0] (the paper's Sec. 4.4 claims D H[p0])."""
    setting = _check_discrete(setting)
    p = setting.weights[setting.weights > 0]
    if p.size <= 1:
        return 0.0
    # (1 - p) ln(1 - p) -> 0 as p -> 1: an atom whose weight rounds to 1 (the others' below
    # 1e-16) contributes 0, not 0 x -inf = NaN
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p < 1, (1 - p) * np.log1p(-p), 0.0)
    return float(-2 * setting.samples * np.sum(terms))


# -- the diffusion limit ---------------------------------------------------------------------------

#: Most terms of Kimura's series; below TAU_SERIES = 80 / SERIES_TERMS^2 the Feller limit is used.
SERIES_TERMS = 2000
TAU_SERIES = 80.0 / SERIES_TERMS**2
#: exp(-x) is exactly 0 in float64 beyond this x: atoms this far from the boundary add nothing.
_EXP_UNDERFLOW = 750.0


def _kimura_fixation(
    p: npt.NDArray[np.float64], mult: npt.NDArray[np.int64], tau: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """sum_u mult_u P_fix(p_u, tau) for each tau, by Kimura's series (Feller's limit for tiny
    tau), in chunks of atoms and of tau (no temporary beyond `CHUNK` values)."""
    p = np.asarray(p, dtype=np.float64)
    mult = np.asarray(mult)
    out = np.empty(tau.shape)
    small = tau < TAU_SERIES
    if np.any(small):
        # Feller: the winner must travel 1 - p; exp(-2 (1 - p) / tau), 0 at tau = 0
        out[small] = _feller(1 - p, mult, tau[small])
    big = ~small
    if np.any(big):
        tb = tau[big]
        terms = min(SERIES_TERMS, math.ceil(math.sqrt(80.0 / tb.min())) + 5)
        i = np.arange(1, terms + 1, dtype=np.float64)
        coeff = _jacobi_moments(p, p * (1 - p) * mult, terms)
        coeff *= (2 * i + 1) * (-1.0) ** i / i
        rate = i * (i + 1) / 2
        series = np.empty(tb.size)
        rows = max(1, CHUNK // terms)
        for a in range(0, tb.size, rows):
            series[a : a + rows] = np.exp(-np.outer(tb[a : a + rows], rate)) @ coeff
        out[big] = float(p @ mult) + series
    return np.clip(out, 0.0, float(mult.sum()))


def _feller(
    x: npt.NDArray[np.float64], mult: npt.NDArray[np.int64], tau: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """sum_u mult_u exp(-2 x_u / tau) (1 where x_u = 0) for each tau. Only atoms with
    2 x / tau < 750 add anything in float64, so each tau sums over the atoms nearest the
    boundary, in chunks: the answer is the full sum, at the cost of the atoms that count."""
    order = np.argsort(x, kind="stable")
    xs, ms = x[order], mult[order].astype(np.float64)
    out = np.zeros(tau.size)
    by_tau = np.argsort(tau, kind="stable")
    block = 64
    for a in range(0, tau.size, block):
        idx = by_tau[a : a + block]
        tb = tau[idx]
        count = int(np.searchsorted(xs, _EXP_UNDERFLOW / 2 * tb.max(), side="right"))
        width = max(1, CHUNK // idx.size)
        acc = np.zeros(idx.size)
        for b in range(0, count, width):
            xb = xs[b : min(b + width, count)]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(xb[None, :] == 0, 0.0, -2 * xb[None, :] / tb[:, None])
            acc += np.exp(ratio) @ ms[b : min(b + width, count)]
        out[idx] = acc
    return out


def _jacobi_moments(
    p: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], terms: int
) -> npt.NDArray[np.float64]:
    """sum_u weight_u P_{i-1}^{(1,1)}(1 - 2 p_u) for i = 1..terms, by the three-term recurrence
    P_n = [(n+1)(2n+1) x P_{n-1} - n(n+1) P_{n-2}] / (n(n+2)), P_0 = 1, P_1 = 2x (stable
    upwards on [-1, 1]); O(terms x atoms) without storing the table."""
    x = 1 - 2 * p
    out = np.empty(terms)
    prev, cur = np.zeros_like(x), np.ones_like(x)
    for n in range(terms):
        if n > 0:
            prev, cur = cur, ((n + 1) * (2 * n + 1) * x * cur - n * (n + 1) * prev) / (n * (n + 2))
        out[n] = weight @ cur
    return out


def _diffusion_start(
    setting: Discrete,
) -> tuple[int, npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(iteration at which the diffusion starts, distinct frequencies, multiplicities)."""
    if setting.counts is None:
        p, offset = setting.weights[setting.weights > 0], 0
    else:
        c = setting.counts[setting.counts > 0]
        p, offset = c / c.sum(), 1
    q, mult = np.unique(p, return_counts=True)
    return offset, q, mult


def _diffusion_curves(
    setting: Discrete, times: npt.NDArray[np.int64]
) -> dict[str, npt.NDArray[np.float64]]:
    """P(T <= t) and E[support_size_t] in the diffusion limit at integer iterations `times`."""
    offset, q, mult = _diffusion_start(setting)
    tau = np.maximum(times - offset, 0) / setting.samples
    if mult.sum() <= 1:
        ones = np.ones(times.shape)
        return {"collapse_cdf": ones, "support_size": ones}
    cdf = _kimura_fixation(q, mult, tau)
    lost = _kimura_fixation(1 - q, mult, tau)
    before = times < offset
    cdf[before] = 0.0
    lost[before] = 0.0
    return {"collapse_cdf": cdf, "support_size": float(mult.sum()) - lost}


# -- probabilities and curves over iterations ------------------------------------------------------

#: Largest iteration the theory accepts (as `t`, or in `iterations`).
MAX_ITERATION = 2**62
#: Most iterations an int `iterations` (meaning 0..n) may ask `discrete_curves` for: the result
#: holds them all.
MAX_CURVE_POINTS = 10**6


def _iterations_array(
    name: str, values: object, dtype_error: type[Exception] = TypeError
) -> npt.NDArray[np.int64]:
    """`values` as an int64 array of iterations in [0, MAX_ITERATION] (any shape); a value of the
    wrong type raises `dtype_error`."""
    what = f"{name} must hold non-negative integers (iterations) up to 2**62"
    if isinstance(values, (bool, np.bool_)):
        raise dtype_error(f"{what}, got {values!r}")
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as err:
        raise dtype_error(f"{what}: {err}") from None
    except MemoryError:  # e.g. range(2**62)
        raise ValueError(f"{name} is too large to hold in memory") from None
    if arr.size and arr.dtype == object:
        # Python ints beyond int64 (anything else in an object array is refused below)
        ints = [
            v for v in arr.ravel() if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        ]
        if len(ints) == arr.size:
            bad = next((v for v in ints if not 0 <= v <= MAX_ITERATION), None)
            if bad is not None:
                raise ValueError(f"{what}, got {bad:,}")
            arr = arr.astype(np.int64)
    if arr.size and arr.dtype.kind not in "iu":
        raise dtype_error(f"{what}, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > MAX_ITERATION):
        low, high = int(arr.min()), int(arr.max())
        raise ValueError(f"{what}, got {low if low < 0 else high:,}")
    return arr.astype(np.int64)


def _iteration_grid(iterations: object) -> npt.NDArray[np.int64]:
    """The iterations asked for: an int n means 0..n; an array means those iterations."""
    if isinstance(iterations, (bool, np.bool_)):
        raise TypeError(
            f"iterations must be an integer or an array of integers, got {iterations!r}"
        )
    if isinstance(iterations, (int, np.integer)):
        if iterations < 0:
            raise ValueError(f"iterations must be at least 0, got {iterations}")
        if iterations > MAX_CURVE_POINTS:
            raise ValueError(
                f"iterations must lie in [0, {MAX_CURVE_POINTS:,}] as an int (the curves at every "
                f"iteration 0..n), got {iterations:,}; for longer horizons pass an array of "
                "iterations, e.g. numpy.geomspace(1, 1e12, 200).astype(int)"
            )
        return np.arange(int(iterations) + 1)
    if np.ndim(iterations) != 1:
        raise TypeError(
            "iterations must be an integer or a 1-D array of integers, got "
            f"{type(iterations).__name__} {iterations!r}"
        )
    grid = _iterations_array("iterations", iterations)
    if grid.size == 0:
        raise TypeError("iterations must be an integer or a non-empty 1-D array of integers")
    return grid


def _horizon(times: npt.NDArray[np.int64]) -> int:
    return int(times.max()) if times.size else 0


def collapse_time_cdf(
    setting: Discrete,
    t: npt.ArrayLike,
    *,
    method: Method = "auto",
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(T <= t) under Replace for an array of iterations t (any shape; the result has it).

    method="exact": the occupancy chain (the events "atom i has fixed by t" are disjoint, so
    their probabilities add). method="diffusion": Kimura's series at tau = t / D (see the module
    docstring). method="auto" follows the module's one rule: exact when D <= 10,000 and the
    chain to the largest t (or to absorption, whichever is sooner) is predicted to take at most
    3 s; it depends on the largest t, never on how many t are asked for.

    With ``return_method=True`` the result is ``(P, method)``, method "exact" or "diffusion".
    """
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    return_method = _check_flag("return_method", return_method)
    times = _iterations_array("t", t, ValueError)
    start = _start(setting)
    d = setting.samples
    method = _resolve(method, start, d, "curves", _horizon(times))
    if times.size == 0:
        return _answer(np.zeros(times.shape), method, return_method)
    if method == "diffusion":
        flat = _diffusion_curves(setting, times.ravel())["collapse_cdf"]
        return _answer(flat.reshape(times.shape), method, return_method)
    _check_exact_size(setting)
    if start.collapsed_at_start:
        return _answer(np.ones(times.shape), method, return_method)
    wanted, where = np.unique(times, return_inverse=True)
    late = wanted >= start.offset
    cdf = np.zeros(wanted.size)
    at_d = np.zeros((d + 1, 1))
    at_d[d] = 1.0
    if np.any(late):
        cdf[late] = _run_chain(_occupancy(start, d), d, start.offset, wanted[late], at_d)[:, 0]
    return _answer(cdf[where].reshape(times.shape), method, return_method)


def discrete_curves(
    setting: Discrete, iterations: int | npt.ArrayLike, *, method: Method = "auto"
) -> xr.Dataset:
    """Expectations over iterations under Replace, as an xarray.Dataset over `iteration`:
    E[support_size], E[gini_simpson] and P(T <= t) ("collapse_cdf"), and with method="exact"
    also E[entropy] (nats). ``attrs["method"]`` says which method was used.

    `iterations` is an int n (iterations 0..n) or an array of iterations (for long horizons,
    e.g. a log-spaced grid). method="exact" iterates the occupancy chain (one vector over the
    counts 0..D, whatever the number of atoms) with the banded transition matrix, O(D^1.5) per
    iteration up to the largest one asked for or to absorption (see the module docstring);
    method="diffusion" uses Kimura's series (the module docstring says where it holds), and
    E[gini_simpson_t] = (1 - sum p0^2)(1 - 1/D)^t is exact under both. "auto" follows the
    module's one rule (exact when D <= 10,000 and predicted to take at most 3 s); it depends on
    the largest iteration, never on how many are asked for."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    grid = _iteration_grid(iterations)
    method = _resolve(method, _start(setting), setting.samples, "curves", _horizon(grid))
    if method == "diffusion":
        data = _diffusion_curves(setting, grid)
        data["gini_simpson"] = _gini_simpson_identity(setting, grid)
        return xr.Dataset(
            {name: ("iteration", values) for name, values in data.items()},
            coords={"iteration": grid},
            attrs={"setting": repr(setting), "paradigm": "Replace()", "method": "diffusion"},
        )
    _check_exact_size(setting)
    return _exact_curves(setting, np.unique(grid)).sel(iteration=grid)


def _gini_simpson_identity(
    setting: Discrete, times: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """E[1 - sum p_t^2] = GS(p at the first iteration) (1 - 1/D)^(draws since), exactly."""
    if setting.counts is None:
        p, offset = setting.weights, 0
    else:
        p, offset = setting.counts / setting.real_size, 1
    gs0 = 1 - float(np.sum(setting.weights**2))
    gs = (1 - float(np.sum(p**2))) * (1 - 1 / setting.samples) ** np.maximum(times - offset, 0)
    return np.where(times == 0, gs0, gs)


def _exact_curves(setting: Discrete, times: npt.NDArray[np.int64]) -> xr.Dataset:
    """The exact curves at the sorted, distinct iterations `times`."""
    d = setting.samples
    names = ("entropy", "support_size", "gini_simpson", "collapse_cdf")
    values = np.empty((times.size, len(names)))

    def summary(p: npt.NDArray[np.float64]) -> list[float]:
        """Entropy, support, Gini-Simpson and collapse of one distribution."""
        p = p[p > 0]
        return [float(-np.sum(p * np.log(p))), p.size, 1 - float(np.sum(p**2)), float(p.size <= 1)]

    start = _start(setting)
    values[times == 0] = summary(setting.weights)
    if start.offset == 2:
        # iteration 1 is the empirical distribution of the real counts
        values[times == 1] = summary(setting.counts / setting.real_size)
    late = times >= start.offset
    if start.collapsed_at_start:
        values[late] = [0.0, 1.0, 0.0, 1.0]
    elif np.any(late):
        frac = np.arange(d + 1) / d
        plogp = np.zeros(d + 1)
        plogp[1:] = -frac[1:] * np.log(frac[1:])
        support = (np.arange(d + 1) > 0).astype(np.float64)
        at_d = np.zeros(d + 1)
        at_d[d] = 1.0
        # 1 - sum p^2 = sum p (1 - p): no cancellation as the model collapses
        functionals = np.stack([plogp, support, frac * (1 - frac), at_d], axis=1)
        values[late] = _run_chain(_occupancy(start, d), d, start.offset, times[late], functionals)
    return xr.Dataset(
        {name: ("iteration", values[:, k]) for k, name in enumerate(names)},
        coords={"iteration": times},
        attrs={"setting": repr(setting), "paradigm": "Replace()", "method": "exact"},
    )


# -- parts of the distribution: the tail set, loss and fixation of a group of atoms --------------


def tail_atoms(setting: Discrete) -> npt.NDArray[np.int64]:
    """The atoms of the real tail set that the ``tail_mass`` metric sums: the real distribution's
    rarest atoms (ascending probability, ties by index), taken until they hold at least
    ``setting.tail`` of the real mass, as sorted indices into ``setting.weights``.

    The same floating-point steps as the kernel (src/metrics.rs, ``RealReference::new``): the
    weights are normalised by their sum taken in order, and atoms are added while the running
    sum is below ``tail * (1 - 1e-12)``."""
    setting = _check_discrete(setting)
    w = setting.weights
    p0 = w / np.add.accumulate(w)[-1]  # the kernel's sum, added left to right
    index = np.flatnonzero(p0 > 0)
    order = index[np.lexsort((index, p0[index]))]
    held = np.add.accumulate(p0[order])
    before = np.concatenate(([0.0], held[:-1]))
    target = setting.tail * (1.0 - 1e-12)
    return np.sort(order[before < target]).astype(np.int64)


def _group_atoms(setting: Discrete, atoms: object) -> npt.NDArray[np.int64]:
    if atoms is None:
        return tail_atoms(setting)
    what = f"atoms must be a non-empty 1-D array of atom indices in [0, {setting.atoms})"
    if isinstance(atoms, (bool, np.bool_)):
        raise TypeError(f"{what}, got {atoms!r}")
    try:
        arr = np.asarray(atoms)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{what}: {err}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what}, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what}, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= setting.atoms:
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(f"{what}, got {bad}")
    return np.unique(arr.astype(np.int64))


def _group_probability(
    setting: object,
    t: npt.ArrayLike,
    atoms: object,
    event: str,
    method: object,
    return_method: object,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(the group is lost by t) (event "loss") or P(it holds all the mass by t) ("fixation")."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    return_method = _check_flag("return_method", return_method)
    times = _iterations_array("t", t, ValueError)
    group = _group_atoms(setting, atoms)
    d = setting.samples
    inside = np.zeros(setting.atoms, dtype=bool)
    inside[group] = True
    positive = setting.weights > 0
    if setting.counts is None:
        mass = math.fsum(setting.weights[group])
        start = _StartState(1, np.array([mass]), np.ones(1, dtype=np.int64), None, False)
        frequency, diffusion_offset = mass, 0
    else:
        held = int(setting.counts[group].sum(dtype=object))
        real = setting.real_size
        frequency, diffusion_offset = held / real, 1
        if real == d:
            fixed = np.array([held], dtype=np.int64)
            start = _StartState(1, np.empty(0), np.empty(0, dtype=np.int64), fixed, False)
        else:
            start = _StartState(2, np.array([frequency]), np.ones(1, dtype=np.int64), None, False)
    method = _resolve(method, start, d, "curves", _horizon(times))
    # a group without real mass is lost from the start; one with all of it has fixed
    if not np.any(positive & inside) or not np.any(positive & ~inside):
        lost = not np.any(positive & inside)
        value = float(lost == (event == "loss"))
        return _answer(np.full(times.shape, value), method, return_method)
    flat = np.unique(times)
    late = flat >= (diffusion_offset if method == "diffusion" else start.offset)
    probability = np.zeros(flat.size)
    if method == "diffusion":
        x = frequency if event == "fixation" else 1.0 - frequency
        tau = (flat[late] - diffusion_offset) / d
        probability[late] = _kimura_fixation(np.array([x]), np.ones(1, dtype=np.int64), tau)
    else:
        _check_exact_size(setting)
        target = np.zeros((d + 1, 1))
        target[0 if event == "loss" else d] = 1.0
        if np.any(late):
            m0 = _occupancy(start, d)
            probability[late] = _run_chain(m0, d, start.offset, flat[late], target)[:, 0]
    values = probability[np.searchsorted(flat, times)]
    return _answer(np.clip(values, 0.0, 1.0), method, return_method)


def loss_probability(
    setting: Discrete,
    t: npt.ArrayLike,
    atoms: npt.ArrayLike | None = None,
    *,
    method: Method = "auto",
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(every atom in `atoms` has been lost by iteration t) under Replace, for an array of
    iterations t (any shape; the result has it): the chance that the model at iteration t puts
    no mass on any of them (lost atoms never come back under Replace).

    `atoms` are indices into ``setting.weights``; by default the real tail set that the
    ``tail_mass`` metric sums (`tail_atoms`), so that this is P(tail_mass_t == 0). The group's
    total count is itself a Wright-Fisher chain with Binomial(D, j/D) steps, started at
    iteration 1 from Binomial(D, g) for weights with group mass g (for counts: at iteration 1
    from the group's real count when N = D, else at iteration 2 from Binomial(D, c_g / N)), so
    method="exact" iterates that one chain, and method="diffusion" takes Kimura's series,
    P_loss(g, tau) = P_fix(1 - g, tau) at tau = t / D (t - 1 for counts). method="auto" follows
    the module's one rule. With ``return_method=True`` the result is ``(P, method)``.

    Unlike `collapse_time_cdf` of a two-atom lumping (group against the rest), which counts the
    group *fixing* as a collapse too, this is the loss alone; see `fixation_probability`.
    """
    return _group_probability(setting, t, atoms, "loss", method, return_method)


def fixation_probability(
    setting: Discrete,
    t: npt.ArrayLike,
    atoms: npt.ArrayLike | None = None,
    *,
    method: Method = "auto",
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(the atoms in `atoms` together hold all the mass by iteration t) under Replace: every
    other atom has been lost. Same chain, arguments and methods as `loss_probability` (default
    `atoms`: the real tail set); for one atom it is P(that atom alone is left), and P(T <= t) is
    its sum over atoms (`collapse_time_cdf`)."""
    return _group_probability(setting, t, atoms, "fixation", method, return_method)


# -- expected curves for mc.theory.expected_curve --------------------------------------------------

#: Metrics with exact expected curves under Replace.
CURVE_METRICS = ("entropy", "support_size", "gini_simpson")
SUPPORTED = (
    "mc.Discrete under mc.Replace(): the metrics entropy (exact chain, D <= 10,000), "
    "support_size and gini_simpson"
)


def curve_method(setting: Discrete, metric: str, grid: npt.NDArray[np.int64]) -> str:
    """Which method `expected_curve` uses for `metric` at the iterations `grid`: gini_simpson is
    an exact identity; the rest follow the module's one rule."""
    if metric == "gini_simpson":
        return "exact"
    return _resolve("auto", _start(setting), setting.samples, "curves", _horizon(grid))


def expected_curve(
    setting: Discrete,
    paradigm: Paradigm,
    metric: str,
    grid: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], str]:
    """E[metric] at the iterations `grid` under Replace and the formula it comes from, from
    `discrete_curves` (exact or the diffusion limit by the module's one rule, `curve_method`);
    a ValueError naming what is supported elsewhere."""
    if not isinstance(paradigm, Replace):
        raise ValueError(
            f"no exact expected curve for mc.Discrete under {paradigm!r}; exact curves exist "
            f"for {SUPPORTED}"
        )
    if metric not in CURVE_METRICS:
        known = "" if metric in Discrete.metric_names else " (not a mc.Discrete metric)"
        raise ValueError(
            f"no exact expected curve for metric {metric!r}{known} of mc.Discrete: exact "
            f"curves exist for {SUPPORTED}"
        )
    d = setting.samples
    start = "p_0" if setting.counts is None else "the real counts' proportions at iteration 1"
    if metric == "gini_simpson":
        why = (
            f"E[1 - sum p_t^2] = (1 - sum p^2)(1 - 1/D)^(draws so far), p = {start}, D = {d:,}: "
            "each multinomial draw of D items keeps a pair of items distinct with chance 1 - 1/D"
        )
        return _gini_simpson_identity(setting, grid), why
    method = curve_method(setting, metric, grid)
    chain = (
        "each atom's count a Wright-Fisher chain with Binomial(D, j/D) steps, "
        f"started from {start}, D = {d:,}"
    )
    if method == "diffusion":
        if metric == "entropy":
            raise ValueError(
                f"E[entropy] is exact only from the Wright-Fisher chain (discrete_curves with "
                f"method='exact': D <= {MAX_EXACT_D:,} and an affordable horizon), beyond which "
                f"this setting lies (D = {d:,}); exact curves exist for {SUPPORTED}"
            )
        why = (
            "E[support_t] = sum_i (1 - P_loss(p_i, t/D)) in the diffusion limit (Kimura's "
            f"1955 series), accurate to O(1/D); {chain}"
        )
    elif metric == "entropy":
        why = f"E[H_t] = sum_i E[-(X_i/D) ln(X_i/D)] by powers of the transition matrix; {chain}"
    else:
        why = f"E[support_t] = sum_i P(X_i,t > 0) by powers of the transition matrix; {chain}"
    curves = discrete_curves(setting, grid, method=method)
    return np.asarray(curves[metric].values, dtype=np.float64), why
