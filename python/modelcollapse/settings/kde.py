"""Kernel density estimators with a fixed bandwidth (paper Sec. 4.4, after Kazdan et al.)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from .. import _checks, _core
from ..paradigms import Accumulate, AccumulateSubsample, Paradigm
from ..roles import Modes, Never, NotApplicable, Quantity, Resize, Roles, Tails, metric
from ._base import Setting
from ._common import KernelRun, kernel_paradigm, readonly, round_half_up

#: Largest per-generation sample size.
MAX_SAMPLES = _core.KDE_MAX_SAMPLES  # 2**32

#: Smallest ratio of a mixture component's standard deviation to its mean's magnitude: ulp(x)
#: is 2.2e-16 |x|, so a narrower component rounds to a few values (points drawn from
#: N(1e15, 1e-3) are all 1e15), and its tail quantiles and one-sd window cannot be told from
#: its mean. The Rust kernel (``src/settings/kde.rs``, ``RESOLUTION``) refuses the same.
RESOLUTION = _core.KDE_RESOLUTION  # 1e-12


@dataclass(frozen=True, init=False, eq=False)
class GaussianMixture:
    """A one-dimensional Gaussian mixture, the real distribution of a `KDE` setting."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def __init__(self, weights: Any, means: Any, stds: Any) -> None:
        w = _checks.real_array("weights", weights, ndims=(1,))
        m = _checks.real_array("means", means, ndims=(1,), bound=_checks.MAX_MAGNITUDE)
        s = _checks.real_array("stds", stds, ndims=(1,), bound=_checks.MAX_MAGNITUDE)
        if not (w.size == m.size == s.size) or w.size == 0:
            raise ValueError(
                "weights, means and stds must have the same positive length, got "
                f"{w.size}, {m.size}, {s.size}"
            )
        if np.any(w < 0) or not np.any(w > 0):
            raise ValueError("weights must be non-negative with a positive sum")
        if np.any(s < 1 / _checks.MAX_MAGNITUDE):
            raise ValueError(f"stds must be positive, in [1e-100, 1e+100], got {s.min():g}")
        narrow = np.flatnonzero(s < RESOLUTION * np.abs(m))
        if narrow.size:
            k = int(narrow[0])
            raise ValueError(
                f"stds must be at least {RESOLUTION:g} times the magnitude of their means: "
                f"component {k}, N({m[k]:g}, {s[k]:g}^2), is not resolved in double precision "
                "(its points round to a few values); shift the data towards 0 or widen it"
            )
        w = w / w.max()  # first, so that the sum cannot overflow
        object.__setattr__(self, "weights", tuple(float(x) for x in w / w.sum()))
        object.__setattr__(self, "means", tuple(float(x) for x in m))
        object.__setattr__(self, "stds", tuple(float(x) for x in s))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GaussianMixture):
            return NotImplemented
        return (self.weights, self.means, self.stds) == (other.weights, other.means, other.stds)

    def __hash__(self) -> int:
        return hash((self.weights, self.means, self.stds))

    def pdf(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The density at x (any shape)."""
        x = _points_at(x)
        return sum(
            w * stats.norm.pdf(x, m, s)
            for w, m, s in zip(self.weights, self.means, self.stds, strict=True)
        )

    def cdf(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The distribution function at x (any shape)."""
        x = _points_at(x)
        return sum(
            w * stats.norm.cdf(x, m, s)
            for w, m, s in zip(self.weights, self.means, self.stds, strict=True)
        )

    def ppf(self, q: float) -> float:
        """The q-quantile (by root finding on the cdf); -inf and inf for q = 0 and 1."""
        q = _checks.real("q", q, minimum=0.0, maximum=1.0)
        if q in (0.0, 1.0):
            return -math.inf if q == 0.0 else math.inf
        return self._solve(lambda x: float(self.cdf(x)) - q, q)

    def _isf(self, q: float) -> float:
        """The upper q-quantile, solved on the survival function (1 - q rounds to 1 for tiny q)."""
        if q == 0.0:
            return math.inf

        def excess(x: float) -> float:
            sf = sum(
                w * stats.norm.sf(x, m, s)
                for w, m, s in zip(self.weights, self.means, self.stds, strict=True)
            )
            return q - float(sf)

        return self._solve(excess, q)

    def _solve(self, f: Any, q: float) -> float:
        """The root of the increasing `f` between 40 sds below the lowest component and 40 above
        the highest: f is negative at the one end and positive at the other, as every component
        is resolved (`RESOLUTION`) and 0 < q < 1."""
        lo = min(m - 40 * s for m, s in zip(self.means, self.stds, strict=True))
        hi = max(m + 40 * s for m, s in zip(self.means, self.stds, strict=True))
        f_lo, f_hi = f(lo), f(hi)
        if not (f_lo <= 0.0 <= f_hi):  # cannot happen for a resolved mixture; say so if it does
            raise ValueError(
                f"the {q:g}-quantile of {self!r} cannot be bracketed in [{lo:g}, {hi:g}]"
            )
        if f_lo == 0.0 or f_hi == 0.0:
            return lo if f_lo == 0.0 else hi
        # to 1e-14 of the narrowest component (brentq adds a relative tolerance of 4 ulp)
        return float(optimize.brentq(f, lo, hi, xtol=1e-14 * min(self.stds)))

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        """`size` points drawn with the numpy Generator `rng`."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        size = _checks.integer("size", size, minimum=0, maximum=2**31)
        k = rng.choice(len(self.weights), size=size, p=self.weights)
        return rng.normal(np.asarray(self.means)[k], np.asarray(self.stds)[k])


def _points_at(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Where a mixture's pdf or cdf is evaluated: real numbers of any shape (NaN gives NaN)."""
    arr = _checks.array("x", x)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"x must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


#: The default real distribution: two well-separated unit-variance modes.
TWO_MODES = GaussianMixture([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0])


def _points(name: str, value: Any) -> npt.NDArray[np.float64]:
    arr = _checks.real_array(name, value, ndims=(1,), bound=_checks.MAX_MAGNITUDE)
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one point")
    return readonly(arr)


@dataclass(frozen=True, init=False, eq=False, repr=False)
class KDE(Setting):
    """A one-dimensional Gaussian kernel density estimator with a fixed ``bandwidth`` h, refit to
    its training set and sampled by picking a training point and adding N(0, h^2) noise (paper
    Sec. 4.4, after Kazdan et al. 2024).

    The real distribution is either ``sampler`` (a `GaussianMixture`; the default is two unit
    modes at -2 and 2), from which each replicate draws ``samples`` real points and a held-out
    test set of ``test_size`` points, or given ``data`` with a held-out real ``test`` set (both
    1-D; ``samples`` then defaults to the data's size). ``nll_real`` is the model's mean negative
    log-density on the test set; ``tail_mass`` its mass outside the real central interval that
    holds 1 - ``tail`` of the real mass (the sampler's exact quantiles, or the data's empirical
    ones); ``support_spread`` its standard deviation, sqrt(var(training points) + h^2).

    With a sampler, ``mode_mass`` is the smallest over the mixture's components of the model's
    mass within one sd of the component's mean, relative to the real mass there. Given data have
    no known modes, so such a KDE does not offer ``mode_mass`` (its ``metric_names`` leave it
    out; ``KDE.metric_names``, on the class, lists every KDE metric).

    Iteration 0 is the sampler itself, or, with given data, the KDE on the data (which is then
    also iteration 1).

    Costs per recorded iteration grow with the training set (which Accumulate grows every
    generation): ``nll_real`` sums the kernels within reach of each of the ``test_size`` points
    (about 7.6 ms at n = 200, 1,000 test points, 20 generations of Accumulate; a few us a test
    point under Replace), ``mode_mass`` and ``tail_mass`` pass over the training points (1.2 and
    0.8 ms there), ``support_spread`` keeps running sums (37 us). Record long runs with
    ``stride=``.

    ``bandwidth`` must lie in [1e-100, 1e100], and ``data`` and ``test`` within +-1e100 (as must a
    mixture's means; its stds lie in [1e-100, 1e100]). Far from the origin a mixture's
    components must be resolved in double precision: each std at least 1e-12 (``RESOLUTION``)
    times its mean's magnitude, so that its one-sd window and tail quantiles differ from the
    mean. (A bandwidth may be as small as you like: a kernel narrower than the spacing of
    floating-point numbers around its centre samples the centre itself, as rounding
    c + h z to the nearest double gives, and the log-densities stay exact.)
    """

    data: npt.NDArray[np.float64] | None
    test: npt.NDArray[np.float64] | None
    sampler: GaussianMixture | None
    bandwidth: float
    samples: int
    test_size: int
    tail: float

    metric_names = tuple(_core.kde_metric_names())
    profile_defaults = (60, 100)

    def __init__(
        self,
        data: Any = None,
        *,
        sampler: GaussianMixture | None = None,
        bandwidth: float,
        samples: int | None = None,
        test: Any = None,
        test_size: int = 1000,
        tail: float = 0.1,
    ) -> None:
        bandwidth = _checks.real(
            "bandwidth", bandwidth, minimum=1 / _checks.MAX_MAGNITUDE, maximum=_checks.MAX_MAGNITUDE
        )
        tail = _checks.real("tail", tail, minimum=0.0, maximum=1.0, open_low=True)
        if tail == 1.0:
            raise ValueError("tail must lie in (0, 1), got 1.0")
        test_size = _checks.integer("test_size", test_size, minimum=1, maximum=2**31)
        if data is None:
            if test is not None:
                raise TypeError("test is for given data; a sampler draws its own test set")
            if sampler is None:
                sampler = TWO_MODES
            if not isinstance(sampler, GaussianMixture):
                raise TypeError(
                    f"sampler must be a modelcollapse.GaussianMixture, got {type(sampler).__name__}"
                )
            if samples is None:
                raise TypeError("KDE needs samples= (points per generation) with a sampler")
            data_arr = test_arr = None
        else:
            if sampler is not None:
                raise TypeError("KDE needs data or a sampler, not both")
            data_arr = _points("data", data)
            if test is None:
                raise TypeError(
                    "KDE with given data needs test=, a held-out real sample for nll_real"
                )
            test_arr = _points("test", test)
            if samples is None:
                samples = data_arr.size
        samples = _checks.integer("samples", samples, minimum=1, maximum=MAX_SAMPLES)
        for name, value in (
            ("data", data_arr),
            ("test", test_arr),
            ("sampler", sampler),
            ("bandwidth", bandwidth),
            ("samples", samples),
            ("test_size", test_size if data_arr is None else int(test_arr.size)),
            ("tail", tail),
        ):
            object.__setattr__(self, name, value)
        if data_arr is not None:  # given data have no known modes: no mode_mass
            names = tuple(m for m in KDE.metric_names if m != "mode_mass")
            object.__setattr__(self, "metric_names", names)

    @property
    def real_size(self) -> int:
        """Number of real points: the data's size, or ``samples`` with a sampler."""
        return self.samples if self.data is None else int(self.data.size)

    def tail_interval(self) -> tuple[float, float]:
        """The real central interval holding 1 - tail of the real mass."""
        q = self.tail / 2
        if self.sampler is not None:
            return self.sampler.ppf(q), self.sampler._isf(q)
        assert self.data is not None
        lo, hi = np.quantile(self.data, [q, 1 - q])
        return float(lo), float(hi)

    def _key(self) -> tuple[object, ...]:
        data = None if self.data is None else self.data.tobytes()
        test = None if self.test is None else self.test.tobytes()
        return (data, test, self.sampler, self.bandwidth, self.samples, self.test_size, self.tail)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KDE):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        source = (
            f"data=<{self.real_size} points>, test=<{self.test_size} points>"
            if self.data is not None
            else f"sampler={self.sampler!r}"
        )
        return f"KDE({source}, bandwidth={self.bandwidth:g}, samples={self.samples})"

    def roles(self) -> Roles:
        """The risk is the NLL of held-out real points; its floor is the real density's own NLL
        (iteration 0). The diversity is the variance, support_spread^2."""
        nll = metric("nll_real")
        return Roles(
            risk=nll,
            excess_risk=Quantity(
                "nll_real - nll_real at iteration 0",
                ("nll_real",),
                lambda nll_real: nll_real - nll_real.sel(iteration=0),
            ),
            diversity=Quantity(
                "support_spread^2", ("support_spread",), lambda support_spread: support_spread**2
            ),
            modes=(
                Modes(
                    "mass",
                    metric("mode_mass"),
                    real=sum(w > 0 for w in self.sampler.weights),
                    description=(
                        "model mass within one sd of the weakest real mode, relative to the real's"
                    ),
                )
                if self.sampler is not None
                else NotApplicable("the modes of given data are not known")
            ),
            tails=Tails(
                metric("tail_mass"),
                real=self.tail,
                region=f"outside the real central {1 - self.tail:g} interval",
            ),
            hallucination=Never(
                "the real distribution has full support, so no model mass lies outside it"
            ),
            level_set=NotApplicable("no level-set mass is recorded for this setting"),
            resize=(
                Resize(self._with_samples, 2)
                if self.sampler is not None
                else NotApplicable("the real data are given, so the sample size cannot vary")
            ),
        )

    def _with_samples(self, n: int) -> KDE:
        return KDE(
            sampler=self.sampler,
            bandwidth=self.bandwidth,
            samples=n,
            test_size=self.test_size,
            tail=self.tail,
        )

    # -- the kernel interface used by simulate -------------------------------------------------

    def _paradigm_args(self, paradigm: Paradigm) -> _core.Paradigm:
        """The kernel's name and point count for `paradigm`, checked against this setting."""
        return kernel_paradigm(paradigm, self.real_size, self.samples, unit="points")

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """About how many bytes one replicate holds while it runs."""
        n, real = self.samples, self.real_size
        pool = real + n
        if isinstance(paradigm, Accumulate):
            pool = real + iterations * round_half_up(paradigm.growth * n)
        elif isinstance(paradigm, AccumulateSubsample):
            pool = real + iterations * n
        return 8 * (3 * pool + 2 * n + self.test_size + real)

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        if method == "statistics":
            raise ValueError(
                "method='statistics' is not available for KDE: a KDE is its training points, "
                "so they are drawn (use method='auto' or 'samples')"
            )
        kernel = self._paradigm_args(paradigm)
        mixture = None
        if self.sampler is not None:
            mixture = tuple(
                np.asarray(v) for v in (self.sampler.weights, self.sampler.means, self.sampler.stds)
            )
        flat = _core.simulate_kde(
            mixture,
            self.data,
            self.test,
            self.test_size,
            self.bandwidth,
            self.samples,
            self.tail,
            self.tail_interval(),
            kernel,
            run,
        )
        return run.shape(flat)
