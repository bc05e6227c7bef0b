"""Exact theory for the discrete setting under Replace (paper Sec. 4.4; DESIGN §5).

Under Replace every atom's count is a two-allele Wright-Fisher chain on {0, ..., D} with
Binomial(D, j/D) steps, and total collapse happens when the eventual winner fixes. Two exact
chains answer the questions here.

The ancestral chain: E[T], Var T, P(T <= t), P(T = t), loss and fixation probabilities
-----------------------------------------------------------------------------------------
Each generation, each of the D items picks its parent among the D items before it at random.
Follow the D items of iteration t back to the first iteration that is a multinomial draw (the
start iteration, `offset`): they descend from A_s distinct ancestors there, s = t - offset, and
all of them belong to one atom exactly when all A_s ancestors do (the genealogy does not depend
on the atoms under Replace). A_s is a Markov chain from A_0 = D, the same for every setting of
this D: given A_s = a, A_{s+1} is the number of distinct parents of a items, i.e. the number of
boxes that a balls thrown into D boxes occupy (K(a, b) = P(A_{s+1} = b | A_s = a), lower
triangular, K(a, a) = prod_{i<a} (1 - i/D)). The a ancestors are a sample of the start
iteration's items: iid draws from p when the start is a multinomial draw, without replacement
from the real counts c when it is the state c itself. So, with phi(a) = sum_u p_u^a (or
sum_i (c_i)_a / (D)_a),

* P(T <= offset + s) = E[phi(A_s)] (the duality of the Wright-Fisher chain and its ancestral
  process), and P(T > offset + s) = E[1 - phi(A_s)], with 1 - phi(a) = sum_u p_u
  (1 - p_u^(a-1)) evaluated by expm1, so that neither the CDF nor its complement loses
  precision;
* E[T] = offset + sum_a G(a) (1 - phi(a)) and E[T^2] from G1, where G(a) is the expected
  number of steps the chain spends in a and G1(a) the expected sum of those steps: both solve
  triangular systems, (I - K^T) G = e_D and (I - K^T) G1 = K^T G, once per D for every
  setting;
* a group of atoms of mass g (`loss_probability`, `fixation_probability`) is lost by
  offset + s with probability E[(1 - g)^(A_s)] and holds all the mass with E[g^(A_s)].

Row a + 1 of K follows from row a by one more ball (a recurrence of positive terms, relative
rounding below a x 1e-16). Entries below ``LINEAGE_CUT`` = 1e-30 are dropped (a row then misses
less than 1e-24 of its mass, a relative effect below 1e-18 on the answers); the rows hold about
4.6 D^1.5 values in all (1.5e8 at D = 100,000), so they are kept only at checkpoints every
``LINEAGE_BLOCK`` = 512 states and rebuilt by block when a computation reaches them: memory stays
O(D^1.5 / 512 + 512 sqrt(D)) (at most about 75 MB at D = 100,000). The expected occupation times
come block by block from a = D down (a triangular solve within a block, a matrix product into
the blocks below), skipping the states the chain reaches with probability below
``LINEAGE_TINY`` = 1e-300. The distribution of A_s is carried forward one step at a time until at
most ``LINEAGE_DENSE`` = 256 ancestors are left (about 0.032 D steps); from there A_{s0 + r} comes
from A_{s0} by the powers K^(2^j) of the set bits j of r, highest first, so that any t up to
2**62 costs a few dozen small matrix products, and the value at each t is the same whichever
other t are asked for. The answers are exact up to rounding: against the banded LU of the
Wright-Fisher chain below (`_hitting_moments`) E[T] and Var T agree to 2e-13 relative at
D = 3,000 and 2e-12 at D = 6,000 (the LU's own rounding grows with D), and P(T <= t) agrees with
the stepped forward chain to 1e-12 relative wherever it is above 1e-20 (see
tests/test_theory_scale.py). Probabilities far below that (e.g. 1e-200 for collapse within a few
iterations) are not resolved to relative precision, as both chains drop transitions rarer than
1e-30; they are right to far better than 1e-25 absolutely.

The forward chain: `discrete_curves` (E[entropy_t], E[support_t], E[gini_simpson_t], P(T <= t))
---------------------------------------------------------------------------------------------
E[entropy_t], E[support_t] and E[gini_simpson_t] are sums over atoms of expectations under each
atom's marginal Wright-Fisher chain. Every such sum is m_t @ f for the *occupancy* m_t (m_t[j] =
the expected number of atoms holding j items at iteration t), and m_t = m_start P^t: one vector
is iterated, however many atoms there are (X_i, atom i's count at the start iteration, is
Binomial(D, p_i) when it is a multinomial draw: iteration 1 (offset 1) when the setting has
weights; with real data given as counts of total N, iteration 1 is their empirical distribution
and iteration 2 the first draw (offset 2, X_i ~ Binomial(D, c_i / N)), unless N = D, when
iteration 1 is already the state X = c (offset 1)).

The transition matrix is banded to within rounding: by Hoeffding's inequality a step moves more
than ``BAND_SDS`` = 10 times the largest standard deviation (sqrt(D) / 2, at j = D / 2) with
probability below 2 exp(-50) < 4e-22, so the computations keep a band of half-width about
5 sqrt(D). One step of the chain costs O(D^1.5). Once the chain's transient mass (the expected
number of atoms still strictly between 0 and D) is below ``TAIL_MASS`` = 1e-15 it is
extrapolated: what is left is absorbed at D with probability j/D (exactly) and decays like
(1 - 1/D)^t, the transient block's largest eigenvalue, so a horizon of 10^12 costs no more than
the steps to that point, about D ln(D K / TAIL_MASS) with K atoms; each curve is then within
1e-15 (absolute) of the chain. The same band's LU factorisation (LAPACK ``dgbtrf``, O(D^2))
gives y = E[tau 1{fix}] from (I - Q) y = h, h_j = j/D, and z = E[tau^2 1{fix}] from
(I - Q) z = 2 y - h (Q the transient block), the independent check of the ancestral chain's
moments that the tests use (`_hitting_moments`, D <= 10,000).

The diffusion limit
-------------------
For D beyond the exact chains (up to 10^15 and more) the diffusion limit applies, with time in
units of D generations (tau = t / D): Littler's (1975) mean, and Kimura's (1955) series for the
probability that an atom at frequency p has fixed by tau,

    P_fix(p, tau) = p + sum_{i>=1} (2i+1) p (1-p) (-1)^i P_{i-1}^{(1,1)}(1-2p) / i e^{-i(i+1) tau/2}

(P^{(1,1)} a Jacobi polynomial; Kimura writes it with F(1-i, i+2; 2; p) = P_{i-1}^{(1,1)}(1-2p)/i),
and P_loss(p, tau) = P_fix(1-p, tau). The series needs about sqrt(80 / tau) terms; below
tau = 2e-5 the Feller limit of the boundary, P_loss(p, tau) = exp(-2 p / tau), takes over.
P(T = t) differences the series term by term (expm1). The diffusion is accurate to O(1/D) where
every atom has many items (D p >> 1); it breaks down for atoms with a handful of items during
their first few D p generations, where the discrete chain loses them at rate e^{-D p} per
generation, not as exp(-2 D p / t).

Exact or diffusion: the one rule
--------------------------------
Every function here that can answer either way (`expected_collapse_time`, `collapse_time_cdf`,
`collapse_time_pmf`, `discrete_curves`, `loss_probability`, `fixation_probability`, and
`mc.theory.expected_curve` for a ``mc.Discrete``) takes ``method="auto" | "exact" |
"diffusion"`` and says which it used: `discrete_curves` in ``attrs["method"]``, the others when
called with ``return_method=True`` (they then return ``(value, method)``). ``method="auto"``
takes the exact chain when

    D <= MAX_EXACT_D (100,000; MAX_OCCUPANCY_D = 10,000 for the forward chain)
    and  exact_seconds(...) <= EXACT_SECONDS (3 s),

and the diffusion limit otherwise. `exact_seconds` predicts the exact computation's time on the
machine its constants were measured on (a 2-core x86-64 server): for the ancestral chain
(``what="mean"``: E[T] and Var T; ``what="curves"``: P(T <= t), P(T = t), loss and fixation),
building its rows (twice, at most), phi for each distinct atom probability (up to the a where
p^a underflows) and the steps to the largest t (at most about 0.032 D steps, then at most 62
squarings); for the forward chain (``what="occupancy"``: `discrete_curves`, `expected_curve`),
building the band, the starting occupancy (a binomial pmf per distinct atom probability over the
counts it can reach) and min(horizon, steps to TAIL_MASS) steps of the chain. It depends on D,
the distinct atom probabilities and the horizon (the largest t asked for), never on how many t
are asked for: a dense grid and a sparse one with the same largest t get the same method, hence
the same values at the t they share. Measured (cold, no cache, an otherwise idle 2-core machine;
a few times longer under load): E[T] takes 0.01 s at D = 1,000, 0.07 s at D = 10,000 and
0.7 s at D = 100,000 (Var T the same); P(T <= t) at 267 t up to 10^12 0.04 s, 0.12 s and 1 s,
and at every t up to 2 D 0.03 s, 0.24 s and 2.4 s (benches/bench_theory.py): so under "auto"
all of these are exact for D up to 100,000 unless very many distinct atoms make phi expensive.
One step of the forward chain takes 0.2 ms at D = 1,000 and 12 ms at D = 10,000, so under
"auto" `discrete_curves` is exact to a horizon of about 8,000 at D = 1,000 and 230 at
D = 10,000, and any horizon for D up to about 450 (the chain is absorbed within the budget);
``method="exact"`` goes further at that cost per step.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy import sparse, stats
from scipy.linalg import lapack, solve_triangular

from ..paradigms import Paradigm, Replace
from ..settings import Discrete

__all__ = [
    "collapse_time_cdf",
    "collapse_time_pmf",
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
#: Largest D the exact ancestral chain accepts (E[T], Var T, P(T <= t), P(T = t), loss and
#: fixation probabilities).
MAX_EXACT_D = 100_000
#: Largest D the exact forward chain of the occupancy accepts (`discrete_curves`, E[entropy_t]).
MAX_OCCUPANCY_D = 10_000
#: Transient mass (expected atoms, or probability) below which a chain is extrapolated.
TAIL_MASS = 1e-15
#: Most float64 values in one temporary array (32 MiB): atoms and iterations are taken in chunks.
CHUNK = 2**22

#: The cost model behind method="auto" (seconds, measured on a 2-core x86-64 server).
SECONDS_PER_PMF = 1.2e-7  # one scipy binomial pmf value
SECONDS_PER_RECURRENCE = 6e-9  # one (atom, count) of the small-mean pmf recurrence
SECONDS_PER_BAND_ENTRY = 1e-9  # one entry of the band in a step of the chain
SECONDS_PER_STEP = 3e-5  # the Python and scipy overhead of a step
SECONDS_PER_LINEAGE_ROW = 4e-6  # one row of the ancestral chain's matrix, built
SECONDS_PER_LINEAGE_STEP = 3e-5  # the Python overhead of a step of the ancestral chain
SECONDS_PER_LINEAGE_SPREAD = 8.5e-7  # its matrix products, per sqrt(D)
SECONDS_PER_SQUARING = 1e-3  # one power of the ancestral chain's dense matrix
SECONDS_PER_POWER = 1e-8  # one (atom, ancestors) value q^a
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


def _check_exact_size(setting: Discrete, limit: int = MAX_EXACT_D) -> None:
    if setting.samples > limit:
        raise ValueError(
            f"samples = {setting.samples:,} is beyond the exact solver (D <= {limit:,}); "
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
    one banded LU of I - Q (LAPACK dgbtrf) and two solves with it. The independent check of the
    ancestral chain's moments (tests): O(D^2) time and 15 sqrt(D) D values of memory, so keep
    D <= MAX_OCCUPANCY_D (0.7 s and 60 MB at D = 10,000)."""
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


# -- the ancestral chain ---------------------------------------------------------------------------

#: Entries of the ancestral chain's transition matrix below this are dropped (a row then misses
#: less than 1e-24 of its mass, counting what the rows it is built from missed).
LINEAGE_CUT = 1e-30
#: Probabilities of the ancestral chain's state below this are set to 0.
LINEAGE_TINY = 1e-300
#: Rows of the ancestral chain's transition matrix are rebuilt in blocks of this many states.
LINEAGE_BLOCK = 512
#: With at most this many ancestors left, the chain is advanced by powers of its dense matrix.
LINEAGE_DENSE = 256


class _Lineage:
    """The ancestral chain for D = `d`: A_{s+1}, given A_s = a, is the number of distinct parents
    of a individuals that each pick one of d parents at random, i.e. the number of boxes that a
    balls thrown into d boxes occupy. Row a + 1 of its transition matrix K follows from row a by
    one more ball, which lands in one of the b occupied boxes with chance b / d: a recurrence of
    positive terms (relative rounding below a x 1e-16). Entries below `LINEAGE_CUT` are dropped;
    rows are kept at checkpoints only (every `LINEAGE_BLOCK` states, O(d^1.5) values in all) and
    rebuilt block by block when a computation reaches them."""

    def __init__(self, d: int) -> None:
        self.d = d
        b = np.arange(d + 2, dtype=np.float64)
        self._occupied = b / d
        self._empty = (d - b) / d
        # K(a, a) = prod_{i < a} (1 - i/d): no two of the a individuals share a parent
        log_stay = np.zeros(d + 1)
        log_stay[1:] = np.cumsum(np.log1p(-np.arange(d) / d))
        self.stay = np.exp(log_stay)
        self.leave = -np.expm1(log_stay)
        self._checkpoints: dict[int, tuple[int, npt.NDArray[np.float64]]] = {}
        lo, row = 1, np.ones(1)
        for a in range(1, d + 1):
            if a == 1 or a % LINEAGE_BLOCK == 0:
                self._checkpoints[a] = (lo, row)
            if a < d:
                lo, row = self._next(lo, row)
        self.blocks = d // LINEAGE_BLOCK + 1

    def _next(self, lo: int, row: npt.NDArray[np.float64]) -> tuple[int, npt.NDArray[np.float64]]:
        """Row a + 1 from row a (K(a, b) at b = lo, lo + 1, ...)."""
        size = row.size
        new = np.empty(size + 1)
        np.multiply(row, self._occupied[lo : lo + size], out=new[:size])
        new[size] = 0.0
        new[1:] += row * self._empty[lo : lo + size]
        first, last = 0, size + 1
        while new[first] < LINEAGE_CUT:
            first += 1
        while new[last - 1] < LINEAGE_CUT:
            last -= 1
        return lo + first, new[first:last]

    def block(self, k: int) -> tuple[int, int, int, npt.NDArray[np.float64]]:
        """(a0, a1, b0, M): M[a - a0, b - b0] = K(a, b) for the states a0 <= a < a1 of block k."""
        a0, a1 = max(1, k * LINEAGE_BLOCK), min(self.d + 1, (k + 1) * LINEAGE_BLOCK)
        lo, row = self._checkpoints[a0]
        rows = [(lo, row)]
        for _ in range(a0 + 1, a1):
            lo, row = self._next(lo, row)
            rows.append((lo, row))
        b0 = rows[0][0]
        matrix = np.zeros((a1 - a0, rows[-1][0] + rows[-1][1].size - b0))
        for i, (lo, row) in enumerate(rows):
            matrix[i, lo - b0 : lo - b0 + row.size] = row
        return a0, a1, b0, matrix


@functools.lru_cache(maxsize=2)
def _lineage(d: int) -> _Lineage:
    return _Lineage(d)


@functools.lru_cache(maxsize=4)
def _lineage_moments(d: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(G, G1) on the states a = 0..d, read-only: G(a) = E[number of s >= 0 with A_s = a] and
    G1(a) = E[sum of those s], for the ancestral chain from A_0 = d (0 at a = 0 and 1).

    G solves (I - K^T) G = e_d and G1 solves (I - K^T) G1 = K^T G; K is lower triangular, so
    both are found block by block from a = d down, by a triangular solve within each block and a
    matrix product into the blocks below. Blocks that the chain reaches with probability below
    `LINEAGE_TINY` are skipped."""
    lineage = _lineage(d)
    into = np.zeros(d + 1)  # sum over higher blocks of K(a, b) G(a)
    into_first = np.zeros(d + 1)  # the same for G + G1
    into[d] = 1.0
    g_all, g1_all = np.zeros(d + 1), np.zeros(d + 1)
    for k in range(lineage.blocks - 1, -1, -1):
        a0, a1 = max(1, k * LINEAGE_BLOCK), min(d + 1, (k + 1) * LINEAGE_BLOCK)
        if not (np.any(into[a0:a1] > LINEAGE_TINY) or np.any(into_first[a0:a1] > LINEAGE_TINY)):
            continue
        a0, a1, b0, matrix = lineage.block(k)
        n = a1 - a0
        inner = np.zeros((n, n))  # K within the block
        c0, c1 = max(a0, b0), min(a1, b0 + matrix.shape[1])
        if c1 > c0:
            inner[:, c0 - a0 : c1 - a0] = matrix[:, c0 - b0 : c1 - b0]
        np.fill_diagonal(inner, 0.0)
        system = -inner.T  # (I - K)^T within the block, with 1 - K(a, a) to full precision
        np.fill_diagonal(system, lineage.leave[a0:a1])
        if a0 == 1:
            system[0, 0] = 1.0  # a = 1 absorbs; its G is never used
        g = solve_triangular(system, into[a0:a1], lower=False)
        g1 = solve_triangular(
            system,
            into_first[a0:a1] + lineage.stay[a0:a1] * g + inner.T @ g,
            lower=False,
        )
        if a0 == 1:
            g[0] = g1[0] = 0.0
        g_all[a0:a1], g1_all[a0:a1] = g, g1
        below = min(a0, b0 + matrix.shape[1]) - b0
        if below > 0:
            into[b0 : b0 + below] += g @ matrix[:, :below]
            into_first[b0 : b0 + below] += (g + g1) @ matrix[:, :below]
    for m in (g_all, g1_all):
        m.flags.writeable = False
    return g_all, g1_all


def _lineage_run(
    d: int, steps: npt.NDArray[np.int64], functionals: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """E[functionals[A_s]], (len(steps), columns), at the sorted, distinct steps s >= 0 of the
    ancestral chain from A_0 = d: the state's distribution is carried forward one step at a time
    (a matrix product per block of states it occupies) until at most `LINEAGE_DENSE` ancestors
    are possible, and from there by binary powers of the dense matrix, so that any step up to
    2**62 costs a few dozen small matrix products."""
    lineage = _lineage(d)
    out = np.empty((steps.size, functionals.shape[1]))
    lo, prob = d, np.ones(1)  # P(A_s = a) for a = lo, lo + 1, ...
    s, i = 0, 0
    blocks: dict[int, tuple[int, int, int, npt.NDArray[np.float64]]] = {}
    while i < steps.size and lo + prob.size - 1 > LINEAGE_DENSE:
        if steps[i] == s:
            out[i] = prob @ functionals[lo : lo + prob.size]
            i += 1
            continue
        hi = lo + prob.size - 1
        for k in [k for k in blocks if blocks[k][0] > hi]:
            del blocks[k]
        used = []
        for k in range(hi // LINEAGE_BLOCK, lo // LINEAGE_BLOCK - 1, -1):
            if k not in blocks:
                blocks[k] = lineage.block(k)
            used.append(blocks[k])
        start = min(b0 for _, _, b0, _ in used)
        end = max(b0 + m.shape[1] for _, _, b0, m in used)
        new = np.zeros(end - start)
        for a0, a1, b0, matrix in used:
            r0, r1 = max(lo, a0), min(hi + 1, a1)
            new[b0 - start : b0 - start + matrix.shape[1]] += (
                prob[r0 - lo : r1 - lo] @ matrix[r0 - a0 : r1 - a0]
            )
        kept = np.flatnonzero(new >= LINEAGE_TINY)
        lo, prob = start + int(kept[0]), new[kept[0] : kept[-1] + 1]
        prob /= prob.sum()  # the mass that rounding (and the 1e-30 cut) loses
        s += 1
    if i == steps.size:
        return out
    # at most LINEAGE_DENSE ancestors: the chain on 0..n-1 as a dense matrix, and the state at
    # step s0 + r from the state at s0 by the powers K^(2^j) of the set bits j of r, highest
    # first. The path to each r is the same whichever other steps are asked for (the states
    # after each prefix of r's bits are kept for the next r), so every value is too.
    n = lo + prob.size
    dense = np.zeros((n, n))
    for k in range((n - 1) // LINEAGE_BLOCK + 1):
        a0, a1, b0, matrix = blocks[k] if k in blocks else lineage.block(k)
        for a in range(a0, min(a1, n)):
            width = min(matrix.shape[1], a + 1 - b0)
            dense[a, b0 : b0 + width] = matrix[a - a0, :width]
    state = np.zeros(n)
    state[lo:] = prob
    powers = [dense]
    path: list[tuple[int, npt.NDArray[np.float64]]] = [(-1, state)]  # (bit, state after it)
    while i < steps.size:
        r = int(steps[i]) - s
        bits = [j for j in range(r.bit_length() - 1, -1, -1) if r >> j & 1]
        kept = 0
        while kept < len(bits) and kept + 1 < len(path) and path[kept + 1][0] == bits[kept]:
            kept += 1
        del path[kept + 1 :]
        state = path[-1][1]
        for j in bits[kept:]:
            while j >= len(powers):
                powers.append(powers[-1] @ powers[-1])
            m = state.size
            state = state @ powers[j][:m, :m]
            while m > 2 and state[m - 1] < LINEAGE_TINY:
                m -= 1
            state = state[:m] / state[:m].sum()
            path.append((j, state))
        out[i] = state @ functionals[: state.size]
        i += 1
    return out


def _power_functionals(
    q: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], d: int, complement: bool
) -> npt.NDArray[np.float64]:
    """f(a) = sum_u weight_u q_u^a (or, with `complement`, sum_u weight_u (1 - q_u^(a-1)), with
    expm1, no cancellation) for a = 0..d, in chunks of atoms that never hold more than `CHUNK`
    values. Only a up to each atom's `reach` (where q^a underflows) are evaluated."""
    out = np.zeros(d + 1)
    keep = (q > 0) & (weight != 0)
    q, weight = q[keep], weight[keep]
    if q.size == 0:
        return out
    with np.errstate(divide="ignore"):
        log_q = np.log(q)
    reach = np.full(q.size, d, dtype=np.int64)
    inside = log_q < 0
    reach[inside] = np.minimum(d, 1 + np.floor(_EXP_UNDERFLOW / -log_q[inside])).astype(np.int64)
    if complement:  # beyond its reach an atom adds its whole weight
        tail = np.zeros(d + 2)
        np.add.at(tail, reach + 1, weight)
        out += np.cumsum(tail)[: d + 1]
    order = np.argsort(-reach, kind="stable")
    a = 0
    while a < order.size:
        top = int(reach[order[a]])
        chunk = order[a : a + max(1, CHUNK // (top + 1))]
        a += chunk.size
        exponent = np.arange(top + 1, dtype=np.float64)[:, None]
        if complement:
            values = -np.expm1((exponent - 1) * log_q[chunk])
            values[exponent > reach[chunk]] = 0.0
        else:
            values = np.exp(exponent * log_q[chunk])
        out[: top + 1] += values @ weight[chunk]
    return out


def _falling_functionals(
    counts: npt.NDArray[np.int64], weight: npt.NDArray[np.float64], d: int, complement: bool
) -> npt.NDArray[np.float64]:
    """f(a) = sum_i weight_i (c_i)_a / (d)_a, the chance that a of the d items (drawn without
    replacement) all lie in c_i (or, with `complement`, sum_i weight_i (1 - (c_i - 1)_(a-1) /
    (d - 1)_(a-1)), by expm1), for a = 0..d."""
    out = np.zeros(d + 1)
    k = np.arange(d, dtype=np.float64)
    for c, w in zip(counts.tolist(), weight.tolist(), strict=True):
        if c <= 0 or w == 0:
            continue
        c = min(c, d)
        if complement:
            # 1 - prod_{k=1}^{a-1} (c - k)/(d - k) = -expm1(sum_k log1p(-(d - c)/(d - k))),
            # and 1 for a > c
            out[2 : c + 1] -= w * np.expm1(np.cumsum(np.log1p(-(d - c) / (d - k[1:c]))))
            out[c + 1 :] += w
        else:
            out[0] += w
            out[1 : c + 1] += w * np.cumprod((c - k[:c]) / (d - k[:c]))
    return out


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
    "mean" (E[T] and Var T: the ancestral chain's occupation times), "curves" (P(T <= t),
    P(T = t), loss and fixation probabilities to iteration `horizon`: the ancestral chain) or
    "occupancy" (`discrete_curves` and `expected_curve`: the forward chain run to iteration
    `horizon`, or until its transient mass is below `TAIL_MASS`, whichever comes first).
    Infinite beyond `MAX_EXACT_D` (`MAX_OCCUPANCY_D` for "occupancy")."""
    setting = _check_discrete(setting)
    if what not in ("mean", "curves", "occupancy"):
        raise ValueError(f"what must be 'mean', 'curves' or 'occupancy', got {what!r}")
    horizon = int(_iterations_array("horizon", horizon, ValueError))
    return _exact_seconds(_start(setting), setting.samples, what, horizon)


def _exact_seconds(start: _StartState, d: int, what: str, horizon: int) -> float:
    if what == "occupancy":
        if d > MAX_OCCUPANCY_D:
            return math.inf
        w = _half_width(d)
        seconds = SECONDS_PER_PMF * (w + 1) * (d + 1) + _start_seconds(start, d)
        steps = min(max(horizon - start.offset, 0), _steps_to_tail(start, d))
        return seconds + steps * (SECONDS_PER_BAND_ENTRY * (2 * w + 1) * (d + 1) + SECONDS_PER_STEP)
    if d > MAX_EXACT_D:
        return math.inf
    # the matrix's rows once (checkpoints), and at most once more by block
    seconds = 2 * SECONDS_PER_LINEAGE_ROW * d + _functional_seconds(start, d)
    if what == "mean":
        return seconds
    steps = max(horizon - start.offset, 0)
    # steps while the chain has many states, then at most 62 squarings of its dense matrix
    sparse = min(steps, _lineage_sparse_steps(d))
    squarings = 0 if steps <= sparse else min(62, (steps - sparse).bit_length())
    step_seconds = SECONDS_PER_LINEAGE_STEP + SECONDS_PER_LINEAGE_SPREAD * math.sqrt(d)
    return seconds + sparse * step_seconds + squarings * SECONDS_PER_SQUARING


def _lineage_sparse_steps(d: int) -> int:
    """Steps of the ancestral chain before at most `LINEAGE_DENSE` ancestors are left (at
    probability `LINEAGE_TINY`): 0.032 D, measured for D from 1,000 to 100,000."""
    return 0 if d <= LINEAGE_DENSE else math.ceil(0.032 * d) + 10


def _functional_seconds(start: _StartState, d: int) -> float:
    """Predicted seconds of the chances of collapse given the number of ancestors."""
    if start.fixed is not None:
        return SECONDS_PER_POWER * 2 * np.unique(start.fixed).size * d
    with np.errstate(divide="ignore"):  # q = 0 (a group without mass) costs nothing
        reach = _EXP_UNDERFLOW / np.maximum(-np.log(start.q), 1e-300)
    return float(SECONDS_PER_POWER * 2 * np.minimum(reach, d).sum())


def _resolve(method: str, start: _StartState, d: int, what: str, horizon: int) -> str:
    """The one rule: "auto" is exact when D <= MAX_EXACT_D (MAX_OCCUPANCY_D for "occupancy")
    and the exact computation is predicted to take at most EXACT_SECONDS; else the diffusion
    limit."""
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


def _answer(value, method: str, return_method: bool):  # type: ignore[no-untyped-def]
    return (value, method) if return_method else value


# -- the mean and variance of the collapse time ----------------------------------------------------


def _collapse_chances(start: _StartState, d: int, complement: bool) -> npt.NDArray[np.float64]:
    """P(the population at a step with a ancestors at the start iteration has collapsed), for
    a = 0..d (with `complement`, P(not collapsed), to full relative precision). The a ancestors
    are a sample of the start iteration's items without replacement: iid atoms drawn from q for
    a multinomial start (collapsed with chance sum_u q_u^a), the fixed counts c otherwise (sum_i
    (c_i)_a / (D)_a)."""
    if start.fixed is not None:
        counts, mult = np.unique(start.fixed, return_counts=True)
        weight = mult.astype(np.float64)
        if complement:
            weight = weight * counts / d
        return _falling_functionals(counts, weight, d, complement)
    weight = start.multiplicity.astype(np.float64)
    if complement:
        weight = weight * start.q
    return _power_functionals(start.q, weight, d, complement)


def expected_collapse_time(
    setting: Discrete, *, method: Method = "auto", return_method: bool = False
) -> float | tuple[float, str]:
    """E[T], the expected first iteration at which one atom holds all mass, under Replace.

    method="exact" sums P(T > t) over t by the ancestral chain (see the module docstring; the
    truncation of its matrix leaves a relative error below 1e-18, so rounding, about 1e-13,
    dominates); it takes about 0.01 s at D = 1,000, 0.07 s at D = 10,000 and 0.7 s at
    D = 100,000, the largest D it accepts. method="diffusion" returns Littler's approximation
    -2 D sum_i (1 - p_i) ln(1 - p_i), in generations; its error is O(1) generations, i.e.
    O(1/D) relative. The paper's D H[p0] is neither: see `littler`. method="auto" follows the
    module's one rule (exact for D <= 100,000 unless the starting distribution over very many
    distinct atoms is predicted to take more than 3 s).

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
    time_at, _ = _lineage_moments(d)
    alive = _collapse_chances(start, d, complement=True)
    return _answer(start.offset + float(time_at @ alive), method, return_method)


def collapse_time_variance(setting: Discrete) -> float:
    """Var T under Replace, exactly (the ancestral chain, D <= 100,000, about as fast as
    `expected_collapse_time`), so that tests and users get standard errors of simulated means
    from theory: sem = sqrt(Var T / replicates)."""
    setting = _check_discrete(setting)
    _check_exact_size(setting)
    start = _start(setting)
    if start.collapsed_at_start:
        return 0.0
    d = setting.samples
    time_at, time_sum = _lineage_moments(d)
    alive = _collapse_chances(start, d, complement=True)
    # T = offset + S with P(S > s) = E[alive(A_s)]: E[S] = sum_s P(S > s) and
    # E[S^2] = sum_s (2 s + 1) P(S > s)
    mean = float(time_at @ alive)
    second = 2 * float(time_sum @ alive) + mean
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
        coeff, rate = _kimura_terms(p, mult, tb.min())
        series = np.empty(tb.size)
        rows = max(1, CHUNK // rate.size)
        for a in range(0, tb.size, rows):
            series[a : a + rows] = np.exp(-np.outer(tb[a : a + rows], rate)) @ coeff
        out[big] = float(p @ mult) + series
    return np.clip(out, 0.0, float(mult.sum()))


def _kimura_terms(
    p: npt.NDArray[np.float64], mult: npt.NDArray[np.int64], tau_min: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Coefficients and decay rates of Kimura's series (enough terms for tau >= tau_min)."""
    terms = min(SERIES_TERMS, math.ceil(math.sqrt(80.0 / tau_min)) + 5)
    i = np.arange(1, terms + 1, dtype=np.float64)
    coeff = _jacobi_moments(p, p * (1 - p) * mult, terms)
    coeff *= (2 * i + 1) * (-1.0) ** i / i
    return coeff, i * (i + 1) / 2


def _kimura_increment(
    p: npt.NDArray[np.float64],
    mult: npt.NDArray[np.int64],
    tau0: npt.NDArray[np.float64],
    step: float,
) -> npt.NDArray[np.float64]:
    """sum_u mult_u [P_fix(p_u, tau0 + step) - P_fix(p_u, tau0)] (elementwise in tau0) without
    cancellation: Feller's limit where tau0 + step < TAU_SERIES and Kimura's series where
    tau0 >= TAU_SERIES, each term differenced by expm1 of the step itself (tau0 + step - tau0
    would round); a plain difference in between."""
    p = np.asarray(p, dtype=np.float64)
    mult = np.asarray(mult)
    out = np.empty(tau0.shape)
    tau1 = tau0 + step
    small = tau1 < TAU_SERIES
    if np.any(small):
        out[small] = _feller(1 - p, mult, tau1[small], step)
    big = tau0 >= TAU_SERIES
    if np.any(big):
        t0 = tau0[big]
        coeff, rate = _kimura_terms(p, mult, t0.min())
        rows = max(1, CHUNK // rate.size)
        part = np.empty(t0.size)
        for a in range(0, t0.size, rows):
            decay = np.exp(-np.outer(t0[a : a + rows], rate))
            part[a : a + rows] = (decay * np.expm1(-step * rate)) @ coeff
        out[big] = part
    between = ~small & ~big
    if np.any(between):
        out[between] = _kimura_fixation(p, mult, tau1[between]) - _kimura_fixation(
            p, mult, tau0[between]
        )
    return np.maximum(out, 0.0)


def _feller(
    x: npt.NDArray[np.float64],
    mult: npt.NDArray[np.int64],
    tau: npt.NDArray[np.float64],
    step: float | None = None,
) -> npt.NDArray[np.float64]:
    """sum_u mult_u exp(-2 x_u / tau) (1 where x_u = 0) for each tau; with `step`, the increment
    sum_u mult_u [exp(-2 x_u / tau) - exp(-2 x_u / (tau - step))], by expm1. Only atoms with
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
            xb = xs[b : min(b + width, count)][None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(xb == 0, 0.0, -2 * xb / tb[:, None])
                values = np.exp(ratio)
                if step is not None:
                    # exp(-2x/tau) (1 - exp(-2x (1/tau0 - 1/tau))), tau0 = tau - step; 0 at x = 0
                    gap = 2 * xb * step / ((tb[:, None] - step) * tb[:, None])
                    values = np.where(xb == 0, 0.0, -values * np.expm1(-gap))
            acc += values @ ms[b : min(b + width, count)]
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


def _time_arguments(
    setting: Any, t: Any, method: Any, return_method: Any
) -> tuple[Discrete, npt.NDArray[np.int64], Any, str, bool]:
    """The arguments `collapse_time_cdf` and `collapse_time_pmf` share, checked, with the method
    "auto" resolves to for the largest t."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    return_method = _check_flag("return_method", return_method)
    times = _iterations_array("t", t, ValueError)
    start = _start(setting)
    method = _resolve(method, start, setting.samples, "curves", _horizon(times))
    return setting, times, start, method, return_method


def collapse_time_cdf(
    setting: Discrete,
    t: npt.ArrayLike,
    *,
    method: Method = "auto",
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(T <= t) under Replace for an array of iterations t (any shape; the result has it).

    method="exact": the ancestral chain (see the module docstring): P(T <= t) = E[sum_u
    q_u^(A_s)] with A_s the number of ancestors, at the start iteration, of the population s
    draws later; any t up to 2**62, D <= 100,000 (about 1 s at D = 100,000 for a few hundred
    t, a few seconds for every t up to 2 D). method="diffusion": Kimura's series at
    tau = t / D (see the module docstring). method="auto" follows the module's one rule: exact
    when D <= 100,000 and predicted to take at most 3 s; it depends on the largest t, never on
    how many t are asked for.

    With ``return_method=True`` the result is ``(P, method)``, method "exact" or "diffusion".
    """
    setting, times, start, method, return_method = _time_arguments(
        setting, t, method, return_method
    )
    d = setting.samples
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
    if np.any(late):
        chances = np.stack(
            [
                _collapse_chances(start, d, complement=False),
                _collapse_chances(start, d, complement=True),
            ],
            axis=1,
        )
        values = _lineage_run(d, wanted[late] - start.offset, chances)
        # each to full relative precision: P(T <= t) while small, 1 - P(T > t) once large
        cdf[late] = np.where(values[:, 0] <= 0.5, values[:, 0], 1.0 - values[:, 1])
    return _answer(np.clip(cdf[where], 0.0, 1.0).reshape(times.shape), method, return_method)


def collapse_time_pmf(
    setting: Discrete,
    t: npt.ArrayLike,
    *,
    method: Method = "auto",
    return_method: bool = False,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], str]:
    """P(T = t) under Replace for an array of iterations t (any shape; the result has it):
    P(T <= t) - P(T <= t - 1), with the same arguments, methods and rule as
    `collapse_time_cdf` (the largest t decides "auto").

    method="exact" takes the difference of P(T <= t) where that is below 1/2 and of
    P(T > t - 1) - P(T > t) (each to full relative precision) above, so the answer loses at
    most a factor P(T <= t) / P(T = t) <= about D of relative precision (1e-11 at
    D = 100,000). method="diffusion" differences Kimura's series term by term (expm1), so it
    stays accurate where P(T = t) is of order 1/D, and far below.

    With ``return_method=True`` the result is ``(P, method)``, method "exact" or "diffusion".
    """
    setting, times, start, method, return_method = _time_arguments(
        setting, t, method, return_method
    )
    d = setting.samples
    if times.size == 0:
        return _answer(np.zeros(times.shape), method, return_method)
    wanted, where = np.unique(times, return_inverse=True)
    if method == "diffusion":
        pmf = _diffusion_pmf(setting, wanted)
        return _answer(pmf[where].reshape(times.shape), method, return_method)
    _check_exact_size(setting)
    if start.collapsed_at_start:
        return _answer((times == 0).astype(np.float64), method, return_method)
    pmf = np.zeros(wanted.size)
    late = wanted >= start.offset
    if np.any(late):
        s = wanted[late] - start.offset
        steps = np.union1d(s, s[s > 0] - 1)
        chances = np.stack(
            [
                _collapse_chances(start, d, complement=False),
                _collapse_chances(start, d, complement=True),
            ],
            axis=1,
        )
        values = _lineage_run(d, steps, chances)
        now = values[np.searchsorted(steps, s)]
        before = np.zeros_like(now)
        before[:, 1] = 1.0  # P(T <= offset - 1) = 0
        before[s > 0] = values[np.searchsorted(steps, s[s > 0] - 1)]
        pmf[late] = np.where(now[:, 0] <= 0.5, now[:, 0] - before[:, 0], before[:, 1] - now[:, 1])
    return _answer(np.clip(pmf[where], 0.0, 1.0).reshape(times.shape), method, return_method)


def _diffusion_pmf(setting: Discrete, times: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """P(T = t) in the diffusion limit: the increment of Kimura's series (Feller's limit) from
    tau = (t - 1) / D to t / D, at the sorted, distinct integer iterations `times`."""
    offset, q, mult = _diffusion_start(setting)
    if mult.sum() <= 1:
        return (times == 0).astype(np.float64)
    pmf = np.zeros(times.size)
    late = times > offset
    if np.any(late):
        tau0 = (times[late] - 1 - offset) / setting.samples
        pmf[late] = _kimura_increment(q, mult, tau0, 1 / setting.samples)
    return np.clip(pmf, 0.0, 1.0)


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
    module's one rule (exact when D <= 10,000 and predicted to take at most 3 s: ``what=
    "occupancy"`` in `exact_seconds`); it depends on the largest iteration, never on how many
    are asked for. Its P(T <= t) agrees with `collapse_time_cdf`, which takes the ancestral
    chain, to rounding (1e-13 relative)."""
    setting = _check_discrete(setting)
    method = _check_method(method, ("auto", "exact", "diffusion"))
    grid = _iteration_grid(iterations)
    method = _resolve(method, _start(setting), setting.samples, "occupancy", _horizon(grid))
    if method == "diffusion":
        data = _diffusion_curves(setting, grid)
        data["gini_simpson"] = _gini_simpson_identity(setting, grid)
        return xr.Dataset(
            {name: ("iteration", values) for name, values in data.items()},
            coords={"iteration": grid},
            attrs={"setting": repr(setting), "paradigm": "Replace()", "method": "diffusion"},
        )
    _check_exact_size(setting, MAX_OCCUPANCY_D)
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

    The same floating-point steps as the kernel (src/settings/discrete/metrics.rs,
    ``RealReference::new``): the weights are normalised by their sum taken in order, and atoms
    are added while the running sum is below ``tail * (1 - 1e-12)``."""
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
        missing = math.fsum(setting.weights[~inside])
    else:
        held = int(setting.counts[group].sum(dtype=object))
        real = setting.real_size
        frequency, diffusion_offset = held / real, 1
        missing = (real - held) / real
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
        x = frequency if event == "fixation" else missing
        tau = (flat[late] - diffusion_offset) / d
        probability[late] = _kimura_fixation(np.array([x]), np.ones(1, dtype=np.int64), tau)
    else:
        _check_exact_size(setting)
        if np.any(late):
            # the population has fixed (lost) the group when all its ancestors hold (miss) it
            if start.fixed is not None:
                held = int(start.fixed[0]) if event == "fixation" else d - int(start.fixed[0])
                chance = _falling_functionals(np.array([held]), np.ones(1), d, False)
            else:
                q = frequency if event == "fixation" else missing
                chance = _power_functionals(np.array([q]), np.ones(1), d, False)
            steps = flat[late] - start.offset
            probability[late] = _lineage_run(d, steps, chance[:, None])[:, 0]
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
    method="exact" takes the ancestral chain (the group is lost when none of the population's
    ancestors at the start holds it: E[(1 - g)^(A_s)], D <= 100,000, any t), and
    method="diffusion" takes Kimura's series, P_loss(g, tau) = P_fix(1 - g, tau) at tau = t / D
    (t - 1 for counts). method="auto" follows the module's one rule. With
    ``return_method=True`` the result is ``(P, method)``.

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
    return _resolve("auto", _start(setting), setting.samples, "occupancy", _horizon(grid))


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
                f"method='exact': D <= {MAX_OCCUPANCY_D:,} and an affordable horizon), beyond "
                f"which this setting lies (D = {d:,}); exact curves exist for {SUPPORTED}"
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
