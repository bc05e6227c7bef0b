"""The Gaussian setting: refit the sample mean and covariance, resample (paper Sec. 2.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from .. import _checks, _core
from ..paradigms import AccumulateSubsample, MixReal, Paradigm
from ..roles import Hallucination, Never, NotApplicable, Quantity, Resize, Roles, Tails, metric
from ._base import Setting
from ._common import KernelRun, kernel_paradigm, readonly

#: Largest dimension (the kernels are dense: O(d^3) per generation).
MAX_DIM = _core.GAUSSIAN_MAX_DIM  # 1024
#: Largest per-generation sample size.
MAX_SAMPLES = _core.GAUSSIAN_MAX_SAMPLES  # 2**32
ESTIMATORS = ("unbiased", "mle")


def _covariance(cov: Any, dim: int, univariate: bool) -> npt.NDArray[np.float64]:
    """`cov` checked: a positive variance (univariate) or a symmetric positive-definite d x d
    matrix; returned as a d x d array, exactly symmetric."""
    arr = _checks.real_array("cov", cov, ndims=(0, 2), bound=_checks.MAX_MAGNITUDE**2)
    if arr.ndim == 0 and not univariate:
        raise ValueError(
            f"cov must be 2-D, of shape ({dim}, {dim}) to match mean's {dim} entries, got a scalar"
        )
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.shape != (dim, dim):
        raise ValueError(f"cov must have shape ({dim}, {dim}) to match mean, got {arr.shape}")
    scale = np.abs(arr).max()
    if not np.allclose(arr, arr.T, rtol=0.0, atol=1e-12 * scale):
        worst = np.abs(arr - arr.T).max()
        raise ValueError(f"cov must be symmetric, but cov - cov.T has an entry of {worst:.3g}")
    arr = (arr + arr.T) / 2
    eigenvalues = np.linalg.eigvalsh(arr)
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    # singular to working precision counts as singular: Cholesky factorisations (numpy's here,
    # the kernel's nalgebra) may then succeed or fail on rounding alone
    if not low > dim * np.finfo(float).eps * high:
        raise ValueError(
            f"cov must be positive definite, but its smallest eigenvalue is {low:.3g} against a "
            f"largest of {high:.3g} (singular to working precision)"
        )
    return arr


def _real_data(data: Any, dim: int, univariate: bool) -> npt.NDArray[np.float64]:
    """Given real points: an (m, dim) array (1-D for one dimension), m > dim, not in a
    hyperplane."""
    arr = _checks.real_array(
        "data", data, ndims=(1, 2) if univariate else (2,), bound=_checks.MAX_MAGNITUDE
    )
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[1] != dim or arr.shape[0] <= dim:
        raise ValueError(
            f"data must have shape (m, {dim}) with m > {dim} real points, got {arr.shape}"
        )
    if np.linalg.matrix_rank(arr - arr.mean(axis=0)) < dim:
        raise ValueError("data must not lie in a hyperplane: its sample covariance is singular")
    return readonly(arr)


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Gaussian(Setting):
    """Gaussian refits (paper Sec. 2.1, after Shumailov et al.): each model is the sample mean
    and covariance of its training set; the next generation draws ``samples`` points from it.

    ``mean`` and ``cov`` give the real distribution N(mu0, S0): scalars for one dimension (``cov``
    is then the variance), or a vector and a symmetric positive-definite matrix. ``estimator``
    divides the scatter matrix by n - 1 (``"unbiased"``, the paper's choice) or by n (``"mle"``).
    The real data are ``samples`` points from N(mu0, S0), drawn once per replicate, or the given
    ``data`` (an (m, d) array, or 1-D for one dimension; the same for every replicate, m > d);
    iteration 0 is N(mu0, S0) itself, iteration 1 the fit to the real data.

    ``tail`` and ``hallucination`` set the regions of the ``tail_mass`` and
    ``hallucinated_mass`` metrics: the fit's mass outside the real central ellipsoid holding
    1 - ``tail`` of the real mass, and its mass where the real density is below the level of the
    ellipsoid holding 1 - ``hallucination`` (for a Gaussian both regions are complements of
    highest-density ellipsoids; the second is far out, where real data are almost never seen).

    Cost per replicate and iteration of each metric, measured at d = 1 and d = 10 (n = 100, one
    thread): ``w2sq_mean``, ``cov_trace``, ``logdet`` 0.1 / 0.5 us; ``nll_real`` 0.1 / 1.4 us;
    ``w2sq_cov`` 0.2 / 5 us and ``w2sq`` 4 / 5 us (a symmetric square root); ``tail_mass`` and
    ``hallucinated_mass`` 0.4 / 28 us each (a quadratic-form tail integral). The last two are not
    in ``default_metrics``: ask for them with ``metrics=`` (and a ``stride=`` on long runs).

    Entries of ``mean`` and ``data`` must lie within +-1e100 and those of ``cov`` within
    +-1e200, so that sums of squares stay finite. The kernel runs centred at ``mean`` (every
    metric is unchanged by a shift), so a mean far from 0 loses no precision.
    """

    mean: npt.NDArray[np.float64]
    cov: npt.NDArray[np.float64]
    samples: int
    estimator: str
    tail: float
    hallucination: float
    univariate: bool
    data: npt.NDArray[np.float64] | None

    #: Metrics ``simulate`` can record (all computed in Rust inside the loop).
    metric_names = tuple(_core.gaussian_metric_names())
    #: Recorded only when asked for: a tail integral each, about 50 times the cost of the rest.
    COSTLY = ("tail_mass", "hallucinated_mass")

    @property
    def default_metrics(self) -> tuple[str, ...]:
        """Every metric but the tail integrals ``tail_mass`` and ``hallucinated_mass``."""
        return tuple(m for m in self.metric_names if m not in self.COSTLY)

    def __init__(
        self,
        mean: Any = 0.0,
        cov: Any = 1.0,
        samples: int = 100,
        *,
        estimator: str = "unbiased",
        tail: float = 0.1,
        hallucination: float = 0.001,
        data: Any = None,
    ) -> None:
        mean_arr = _checks.real_array("mean", mean, ndims=(0, 1), bound=_checks.MAX_MAGNITUDE)
        univariate = mean_arr.ndim == 0
        mean_arr = mean_arr.reshape(-1)
        dim = mean_arr.size
        if not 1 <= dim <= MAX_DIM:
            raise ValueError(f"mean must have between 1 and {MAX_DIM} entries, got {dim}")
        cov_arr = _covariance(cov, dim, univariate)
        estimator = _checks.choice("estimator", estimator, ESTIMATORS)
        samples = _checks.integer("samples", samples, minimum=1, maximum=MAX_SAMPLES)
        if samples <= dim:
            raise ValueError(
                f"samples must be at least dim + 1 = {dim + 1}: with {samples} points in {dim} "
                f"dimensions the fitted ({estimator}) covariance is singular"
            )
        tail = _checks.real("tail", tail, minimum=0.0, maximum=1.0, open_low=True)
        hallucination = _checks.real(
            "hallucination", hallucination, minimum=0.0, maximum=1.0, open_low=True
        )
        if tail == 1.0 or hallucination == 1.0:
            raise ValueError("tail and hallucination must lie in (0, 1)")
        data_arr = None if data is None else _real_data(data, dim, univariate)
        for name, value in (
            ("mean", readonly(mean_arr)),
            ("cov", readonly(cov_arr)),
            ("samples", samples),
            ("estimator", estimator),
            ("tail", tail),
            ("hallucination", hallucination),
            ("univariate", univariate),
            ("data", data_arr),
        ):
            object.__setattr__(self, name, value)

    @property
    def dim(self) -> int:
        """Dimension d."""
        return int(self.mean.size)

    @property
    def real_size(self) -> int:
        """Number of real points: the given data's rows, or ``samples``."""
        return self.samples if self.data is None else int(self.data.shape[0])

    def _key(self) -> tuple[object, ...]:
        return (
            self.mean.tobytes(),
            self.cov.tobytes(),
            self.samples,
            self.estimator,
            self.tail,
            self.hallucination,
            self.univariate,
            None if self.data is None else self.data.tobytes(),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Gaussian):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self.univariate:
            where = f"mean={self.mean[0]:g}, cov={self.cov[0, 0]:g}"
        else:
            where = f"mean=<{self.dim}-vector>, cov=<{self.dim}x{self.dim} matrix>"
        extra = "" if self.estimator == "unbiased" else f", estimator={self.estimator!r}"
        extra += "" if self.tail == 0.1 else f", tail={self.tail}"
        extra += "" if self.hallucination == 0.001 else f", hallucination={self.hallucination}"
        extra += "" if self.data is None else f", data=<{self.real_size} points>"
        return f"Gaussian({where}, samples={self.samples}{extra})"

    profile_defaults = (200, 2000)

    def roles(self) -> Roles:
        """The risk is W2^2 to the real distribution; the diversity the covariance trace; the
        tails the shell between the real ellipsoids holding 1 - tail and 1 - hallucination of
        the real mass (mass beyond the outer one counts as hallucinated, not as covered tail)."""
        shell = Quantity(
            "tail_mass - hallucinated_mass",
            ("tail_mass", "hallucinated_mass"),
            lambda tail_mass, hallucinated_mass: tail_mass - hallucinated_mass,
        )
        return Roles(
            risk=metric("w2sq"),
            excess_risk=metric("w2sq"),
            diversity=metric("cov_trace"),
            modes=Never("a Gaussian has a single mode, and every fit keeps exactly one"),
            tails=Tails(
                shell,
                real=self.tail - self.hallucination,
                region=(
                    f"the shell between the real {1 - self.tail:g} and "
                    f"{1 - self.hallucination:g} ellipsoids"
                ),
            ),
            hallucination=Never(
                "the real distribution has full support, so no model mass lies outside it"
            ),
            level_set=Hallucination(
                metric("hallucinated_mass"),
                real=self.hallucination,
                region=f"beyond the real ellipsoid holding {1 - self.hallucination:g} of the mass",
            ),
            resize=(
                Resize(self._with_samples, self.dim + 3)
                if self.data is None
                else NotApplicable("the real data are given, so the sample size cannot vary")
            ),
            # W2^2 = |mu_t - mu0|^2 + a covariance term between (sqrt tr S_t - sqrt tr S0)^2
            # and tr S_t + tr S0: E W2^2 diverges exactly when E|mu_t - mu0|^2 or E tr S_t does
            risk_theory=("w2sq_mean", "cov_trace"),
        )

    def _with_samples(self, n: int) -> Gaussian:
        return Gaussian(
            self.mean[0] if self.univariate else self.mean,
            self.cov[0, 0] if self.univariate else self.cov,
            n,
            estimator=self.estimator,
            tail=self.tail,
            hallucination=self.hallucination,
        )

    def _expected_curve(
        self, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], str]:
        from ..theory import gaussian

        return gaussian.expected_curve(self, paradigm, metric, grid)

    # -- the kernel interface used by simulate -------------------------------------------------

    def _paradigm_args(self, paradigm: Paradigm) -> _core.Paradigm:
        """The kernel's name and point count for `paradigm`, checked against this setting."""
        return kernel_paradigm(paradigm, self.real_size, self.samples, unit="points", dim=self.dim)

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """About how many bytes one replicate holds while it runs."""
        n, d = self.samples, self.dim
        points = 0 if self._method(paradigm, method) == "statistics" else 2 * n * d
        if isinstance(paradigm, MixReal):
            points += 2 * max(n, self.real_size) * d
        if isinstance(paradigm, AccumulateSubsample):
            points += (self.real_size + iterations * n) * d
        return 8 * (points + 16 * d * d)

    def _method(self, paradigm: Paradigm, method: str) -> str:
        """The kernel's method: sufficient statistics wherever they are exact."""
        if isinstance(paradigm, AccumulateSubsample):
            if method == "statistics":
                raise ValueError(
                    "method='statistics' is not available under AccumulateSubsample: which "
                    "points the subsample keeps matters, so the points are drawn "
                    "(use method='auto' or 'samples')"
                )
            return "samples"
        return "statistics" if method == "auto" else method

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        kernel = self._paradigm_args(paradigm)
        kernel_method = self._method(paradigm, method)
        if isinstance(paradigm, AccumulateSubsample):
            stored = (self.real_size + run.iterations * self.samples) * self.dim
            if stored > 2**29:
                raise ValueError(
                    f"iterations={run.iterations:,} is too many under AccumulateSubsample: every "
                    f"point is kept, {stored:,} values per replicate, more than 2**29 (4 GiB)"
                )
        # Every metric is unchanged by a shift of the real distribution and its data, so the
        # kernel runs centred at 0: a mean far from 0 (1e16 against a variance of 1, say) would
        # otherwise round the fits' deviations from it away.
        data = None if self.data is None else (self.data - self.mean).reshape(-1)
        flat = _core.simulate_gaussian(
            np.zeros(self.dim),
            self.cov.reshape(-1),
            self.samples,
            self.estimator,
            float(stats.chi2.isf(self.tail, self.dim)),
            float(stats.chi2.isf(self.hallucination, self.dim)),
            data,
            kernel,
            kernel_method,
            run,
        )
        return run.shape(flat)
