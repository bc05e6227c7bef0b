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
  atom's marginal chain.

Here X_i is atom i's count at the first iteration that is a multinomial draw of D items: iteration
1 (offset 1) when the setting has weights, X_i ~ Binomial(D, p_i); with real data given as counts
of total N, iteration 1 is their empirical distribution and iteration 2 the first draw (offset 2,
X_i ~ Binomial(D, c_i / N)), unless N = D, when iteration 1 is already the state X = c (offset 1).

The transition matrix is banded to within rounding: a step from j moves more than
``BAND_SDS`` times the largest standard deviation (sqrt(D) / 2, at j = D / 2) with probability
below 1e-30, so the solves keep a band of half-width about 6.5 sqrt(D) and cost O(D^2) rather
than O(D^3); D = 5000 takes a couple of seconds.

For D beyond that (up to 10^15 and more) method="diffusion" uses the diffusion limit, with time
in units of D generations (tau = t / D): Littler's (1975) mean, and Kimura's (1955) series for the
probability that an atom at frequency p has fixed by tau,

    P_fix(p, tau) = p + sum_{i>=1} (2i+1) p (1-p) (-1)^i P_{i-1}^{(1,1)}(1-2p) / i e^{-i(i+1) tau/2}

(P^{(1,1)} a Jacobi polynomial; Kimura writes it with F(1-i, i+2; 2; p) = P_{i-1}^{(1,1)}(1-2p)/i),
and P_loss(p, tau) = P_fix(1-p, tau). The series needs about sqrt(80 / tau) terms; below
tau = 2e-5 the Feller limit of the boundary, P_loss(p, tau) = exp(-2 p / tau), takes over. The
diffusion is accurate to O(1/D) where every atom has many items (D p >> 1); it breaks down for
atoms with a handful of items during their first few D p generations, where the discrete chain
loses them at rate e^{-D p} per generation, not as exp(-2 D p / t).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy import linalg, sparse, stats

from ..paradigms import Paradigm, Replace
from ..settings import Discrete

__all__ = [
    "collapse_time_cdf",
    "collapse_time_variance",
    "discrete_curves",
    "expected_collapse_time",
    "littler",
]

#: Half-width of the band, in standard deviations of the largest step (j = D/2).
BAND_SDS = 13.0
#: Largest D the exact solvers accept.
MAX_EXACT_D = 10_000

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


def _half_width(d: int) -> int:
    return min(d, math.ceil(BAND_SDS * math.sqrt(d) / 2) + 8)


@functools.lru_cache(maxsize=4)
def _transition(d: int) -> sparse.csr_matrix:
    """The (d+1) x (d+1) Binomial(d, j/d) transition matrix, keeping the band of half-width
    `_half_width(d)` around the diagonal (outside it, every probability is below 1e-30)."""
    w = _half_width(d)
    rows, cols, vals = [], [], []
    states = np.arange(d + 1)
    for offset in range(-w, w + 1):
        src = states[(states + offset >= 0) & (states + offset <= d)]
        rows.append(src)
        cols.append(src + offset)
        vals.append(stats.binom.pmf(src + offset, d, src / d))
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(d + 1, d + 1)
    )


def _band(d: int) -> tuple[int, npt.NDArray[np.float64]]:
    """(w, ab): I - Q over the transient states 1..d-1 in `scipy.linalg.solve_banded` layout
    (ab[w + i - j, j] = A[i, j]) with w lower and w upper diagonals."""
    w = _half_width(d)
    q = _transition(d)[1:d, 1:d]
    n = d - 1
    ab = np.zeros((2 * w + 1, n))
    for offset in range(-min(w, n - 1), min(w, n - 1) + 1):
        ab[w - offset, max(0, offset) : min(n, n + offset)] = -q.diagonal(offset)
    ab[w] += 1.0
    return w, ab


@functools.lru_cache(maxsize=4)
def _hitting_moments(d: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """y = E[tau 1{fix}] and z = E[tau^2 1{fix}] on states 0..d (zero at 0 and d), read-only."""
    w, ab = _band(d)
    h = np.arange(1, d) / d
    y = linalg.solve_banded((w, w), ab, h)
    z = linalg.solve_banded((w, w), ab, 2 * y - h)
    pad = np.zeros(1)
    moments = np.concatenate([pad, y, pad]), np.concatenate([pad, z, pad])
    for m in moments:
        m.flags.writeable = False
    return moments


def _expectations(start: _StartState, d: int, values: npt.NDArray[np.float64]) -> float:
    """sum over atoms of E[values[X_i]] at the start iteration."""
    if start.fixed is not None:
        return float(values[start.fixed].sum())
    k = np.arange(d + 1)
    pmf = stats.binom.pmf(k[None, :], d, start.q[:, None])
    return float(start.multiplicity @ (pmf @ values))


def expected_collapse_time(setting: Discrete, *, method: Method = "auto") -> float:
    """E[T], the expected first iteration at which one atom holds all mass, under Replace.

    method="exact" (the default for D <= 10,000) solves the absorbing chain; the band truncation
    leaves a relative error below 1e-12 (rounding dominates). method="diffusion" returns Littler's
    approximation -2 D sum_i (1 - p_i) ln(1 - p_i), in generations; its error is O(1) generations,
    i.e. O(1/D) relative. The paper's D H[p0] is neither: see `littler`.
    """
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    if method == "diffusion" or (method == "auto" and setting.samples > MAX_EXACT_D):
        return littler(setting)
    _check_exact_size(setting)
    start = _start(setting)
    if start.collapsed_at_start:
        return 0.0
    y, _ = _hitting_moments(setting.samples)
    return start.offset + _expectations(start, setting.samples, y)


def collapse_time_variance(setting: Discrete) -> float:
    """Var T under Replace, exactly (second moments of the absorbing chain), so that tests and
    users get standard errors of simulated means from theory: sem = sqrt(Var T / replicates)."""
    setting = _check_discrete(setting)
    _check_exact_size(setting)
    start = _start(setting)
    if start.collapsed_at_start:
        return 0.0
    d = setting.samples
    y, z = _hitting_moments(d)
    o = start.offset
    e_tau = _expectations(start, d, y)
    mean = o + e_tau
    second = o * o + 2 * o * e_tau + _expectations(start, d, z)
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


#: Transient mass below which every atom's marginal chain counts as absorbed: from then on each
#: curve is constant to within this (absolute), far below float64's resolution of its values.
ABSORBED = 1e-300


def _absorption_bound(d: int) -> int:
    """Iterations after which the chains' transient mass is below `ABSORBED`: it decays like
    (1 - 1/d)^t, the largest eigenvalue of the Wright-Fisher chain's transient block."""
    return 1 if d <= 1 else math.ceil(-math.log(ABSORBED) / -math.log1p(-1 / d)) + 10


def _chain_values(
    start: _StartState,
    d: int,
    times: npt.NDArray[np.int64],
    evaluate: Callable[[npt.NDArray[np.float64], npt.NDArray[np.int64]], npt.NDArray[np.float64]],
) -> npt.NDArray[np.float64]:
    """evaluate(distribution rows, multiplicities), one row over {0..d} per distinct starting
    marginal, at each of the sorted, distinct iterations `times` (all >= start.offset): rows
    (len(times), values). The chains run to the last of `times` or until they are absorbed, when
    every later value equals the last one computed (to within `ABSORBED`), so that a horizon of
    10^12 costs no more than the absorption."""
    if start.fixed is not None:
        values, mult = np.unique(start.fixed, return_counts=True)
        dist = np.zeros((values.size, d + 1))
        dist[np.arange(values.size), values] = 1.0
    else:
        mult = start.multiplicity
        dist = stats.binom.pmf(np.arange(d + 1)[None, :], d, start.q[:, None])
    step = _transition(d).T.tocsr()
    t = start.offset
    current = evaluate(dist, mult)
    out = np.empty((times.size, current.size))
    for i, target in enumerate(times):
        while t < target:
            if float(mult @ dist[:, 1:d].sum(axis=1)) < ABSORBED:
                out[i:] = current  # absorbed: every later value is this one
                return out
            # one sparse matrix-vector product per row: scipy's sparse-times-dense-block is
            # several times slower per column (benches/bench_theory.py)
            dist = np.stack([step @ row for row in dist])
            t += 1
            current = evaluate(dist, mult)
        out[i] = current
    return out


#: Most terms of Kimura's series; below TAU_SERIES = 80 / SERIES_TERMS^2 the Feller limit is used.
SERIES_TERMS = 2000
TAU_SERIES = 80.0 / SERIES_TERMS**2


def _kimura_fixation(
    p: npt.NDArray[np.float64], mult: npt.NDArray[np.int64], tau: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """sum_u mult_u P_fix(p_u, tau) for each tau, by Kimura's series (Feller's limit for tiny
    tau)."""
    out = np.empty(tau.shape)
    small = tau < TAU_SERIES
    if np.any(small):
        # Feller: the winner must travel 1 - p; exp(-2 (1 - p) / tau), 0 at tau = 0
        with np.errstate(divide="ignore"):
            ratio = -2 * (1 - p)[None, :] / tau[small][:, None]
        out[small] = np.exp(ratio) @ mult
    big = ~small
    if np.any(big):
        terms = min(SERIES_TERMS, math.ceil(math.sqrt(80.0 / tau[big].min())) + 5)
        i = np.arange(1, terms + 1, dtype=np.float64)
        coeff = _jacobi_moments(p, p * (1 - p) * mult, terms)
        coeff *= (2 * i + 1) * (-1.0) ** i / i
        decay = np.exp(-np.outer(tau[big], i * (i + 1) / 2))
        out[big] = float(p @ mult) + decay @ coeff
    return np.clip(out, 0.0, float(mult.sum()))


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


#: The cost of one step of one marginal chain beyond its banded product, in the units of
#: `_exact_affordable` (a unit of banded work takes about 0.5 ns; the Python and scipy calls of
#: a step about 3 us).
STEP_OVERHEAD = 6000
#: Largest cost `method="auto"` spends on exact curves: a few seconds.
EXACT_BUDGET = 5e9


def _exact_affordable(setting: Discrete, iterations: int) -> bool:
    """Exact curves cost about (distinct atoms) x steps x (D x band + overhead), where the chains
    take at most `_absorption_bound(D)` steps whatever the horizon."""
    d = setting.samples
    if d > MAX_EXACT_D:
        return False
    distinct = np.unique(setting.weights[setting.weights > 0]).size
    steps = min(iterations, _absorption_bound(d)) + 1
    return distinct * steps * (d * (2 * _half_width(d) + 1) + STEP_OVERHEAD) <= EXACT_BUDGET


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


def collapse_time_cdf(
    setting: Discrete, t: npt.ArrayLike, *, method: Method = "auto"
) -> npt.NDArray[np.float64]:
    """P(T <= t) under Replace for an array of iterations t.

    method="exact": from powers of each atom's marginal chain (the events "atom i has fixed by t"
    are disjoint, so their probabilities add). method="diffusion": Kimura's series at tau = t / D
    (see the module docstring). "auto" is exact while that is affordable."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    times = _iterations_array("t", t, ValueError)
    if times.size == 0:
        return np.zeros(times.shape)
    horizon = int(times.max())
    if method == "diffusion" or (method == "auto" and not _exact_affordable(setting, horizon)):
        flat = _diffusion_curves(setting, times.ravel())["collapse_cdf"]
        return flat.reshape(times.shape)
    _check_exact_size(setting)
    start = _start(setting)
    if start.collapsed_at_start:
        return np.ones(times.shape)
    d = setting.samples
    wanted, where = np.unique(times, return_inverse=True)
    late = wanted >= start.offset
    cdf = np.zeros(wanted.size)
    cdf[late] = _chain_values(start, d, wanted[late], lambda dist, mult: mult @ dist[:, d:])[:, 0]
    return cdf[where].reshape(times.shape)


def discrete_curves(
    setting: Discrete, iterations: int | npt.ArrayLike, *, method: Method = "auto"
) -> xr.Dataset:
    """Expectations over iterations under Replace, as an xarray.Dataset over `iteration`:
    E[support_size], E[gini_simpson] and P(T <= t) ("collapse_cdf"), and with method="exact"
    also E[entropy] (nats).

    `iterations` is an int n (iterations 0..n) or an array of iterations (for long horizons,
    e.g. a log-spaced grid). method="exact" iterates each distinct atom's marginal chain with the
    banded transition matrix, O(iterations x D^1.5) per distinct starting probability;
    method="diffusion" uses Kimura's series (the module docstring says where it holds), and
    E[gini_simpson_t] = (1 - sum p0^2)(1 - 1/D)^t is exact under both. "auto" is exact while
    that is affordable (D <= 10,000 and about 5e9 operations)."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    grid = _iteration_grid(iterations)
    horizon = int(grid.max())
    if method == "diffusion" or (method == "auto" and not _exact_affordable(setting, horizon)):
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

        def evaluate(
            dist: npt.NDArray[np.float64], mult: npt.NDArray[np.int64]
        ) -> npt.NDArray[np.float64]:
            return np.array(
                [
                    float(mult @ (dist @ plogp)),
                    float(mult @ (1.0 - dist[:, 0])),
                    1.0 - float(mult @ (dist @ frac**2)),
                    float(mult @ dist[:, d]),
                ]
            )

        values[late] = _chain_values(start, d, times[late], evaluate)
    return xr.Dataset(
        {name: ("iteration", values[:, k]) for k, name in enumerate(names)},
        coords={"iteration": times},
        attrs={"setting": repr(setting), "paradigm": "Replace()", "method": "exact"},
    )


#: Metrics with exact expected curves under Replace.
CURVE_METRICS = ("entropy", "support_size", "gini_simpson")
SUPPORTED = (
    "mc.Discrete under mc.Replace(): the metrics entropy (exact chain, D <= 10,000), "
    "support_size and gini_simpson"
)


def expected_curve(
    setting: Discrete,
    paradigm: Paradigm,
    metric: str,
    grid: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], str]:
    """E[metric] at the iterations `grid` under Replace and the formula it comes from, from
    `discrete_curves` (exact while affordable, else the diffusion limit); a ValueError naming
    what is supported elsewhere."""
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
    curves = discrete_curves(setting, grid)
    chain = (
        "each atom's count a Wright-Fisher chain with Binomial(D, j/D) steps, "
        f"started from {start}, D = {d:,}"
    )
    if curves.attrs["method"] == "diffusion":
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
    return np.asarray(curves[metric].values, dtype=np.float64), why
