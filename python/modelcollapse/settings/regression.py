"""The linear-regression setting (paper Appendix A)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy import stats

from .. import _checks, _core
from ..paradigms import Accumulate, AccumulateSubsample, Paradigm, Replace
from ..roles import Hallucination, Never, NotApplicable, Quantity, Resize, Roles, Tails, metric
from ._base import Setting
from ._common import KernelRun, kernel_paradigm, readonly

#: Largest dimension.
MAX_DIM = _core.REGRESSION_MAX_DIM  # 1024
#: Largest number of design rows.
MAX_SAMPLES = _core.REGRESSION_MAX_SAMPLES  # 2**32
NOISE_MODELS = ("known", "estimated")
_ALL_METRICS = tuple(_core.regression_metric_names())


#: Most labels method="samples" draws in one generation (about a second's work: Ctrl-C is
#: answered between generations).
MAX_LABELS_PER_GENERATION = 2**27


@dataclass(frozen=True, init=False, eq=False, repr=False)
class LinearRegression(Setting):
    """Linear regression refit by OLS on its own synthetic labels (paper Appendix A, after
    Gerstgrasser et al. and Dohmatob et al.).

    A fixed design X (``samples`` x ``dim``) carries real labels y = X beta + eps,
    eps ~ N(0, noise^2 I). Each model is the OLS fit beta_hat of its training set; synthetic labels
    are X beta_hat + N(0, sigma^2 I), with sigma the true ``noise`` (``noise_model="known"``) or
    the fit's residual estimate RSS / (N - d) (``"estimated"``). Accumulate stacks Appendix A's
    label vectors [y, y_1, ..., y_{t-1}] over repeated X; its ``growth`` must be a whole number of
    label vectors per generation.

    ``design="gaussian"`` draws X's rows iid N(0, I) once per replicate, and test inputs are
    N(0, I); an array gives X itself (the same for every replicate), and test inputs are its
    rows, uniformly. ``beta`` defaults to ones / sqrt(dim) (unit norm). Iteration 0 is the true
    model (beta_hat = beta), iteration 1 the fit to the real labels.

    ``tail`` and ``hallucination`` set the regions the tail and level-set definitions read (with
    the Gaussian design): the real conditional tails |y - x beta| beyond the central interval
    holding 1 - ``tail`` of the noise, and beyond the one holding 1 - ``hallucination``.

    Every metric is O(d) per recorded iteration (about 0.1 us at d = 10), all recorded by
    default.

    ``noise`` must lie in [1e-100, 1e100] and a given design's entries within +-1e100. The
    metrics depend on beta_hat - beta only, so the kernel runs at beta = 0 and a large ``beta``
    loses no precision.
    """

    dim: int
    samples: int
    noise: float
    beta: npt.NDArray[np.float64]
    design: str | npt.NDArray[np.float64]
    noise_model: str
    tail: float
    hallucination: float

    profile_defaults = (100, 2000)

    def __init__(
        self,
        dim: int,
        samples: int,
        noise: float = 1.0,
        beta: Any = None,
        design: Any = "gaussian",
        noise_model: str = "known",
        *,
        tail: float = 0.1,
        hallucination: float = 0.001,
    ) -> None:
        dim = _checks.integer("dim", dim, minimum=1, maximum=MAX_DIM)
        samples = _checks.integer("samples", samples, minimum=1, maximum=MAX_SAMPLES)
        if samples <= dim:
            raise ValueError(
                f"samples must be at least dim + 1 = {dim + 1}: with {samples} rows in {dim} "
                "dimensions OLS has no unique fit"
            )
        noise = _checks.real(
            "noise", noise, minimum=1 / _checks.MAX_MAGNITUDE, maximum=_checks.MAX_MAGNITUDE
        )
        if beta is None:
            beta_arr = np.full(dim, 1.0 / np.sqrt(dim))
        else:
            beta_arr = _checks.real_array("beta", beta, ndims=(1,))
            if beta_arr.shape != (dim,):
                raise ValueError(
                    f"beta must have shape ({dim},) to match dim, got {beta_arr.shape}"
                )
        if isinstance(design, str):
            design_value: str | npt.NDArray[np.float64] = _checks.choice(
                "design", design, ("gaussian",)
            )
        else:
            x = _checks.real_array("design", design, ndims=(2,), bound=_checks.MAX_MAGNITUDE)
            if x.shape != (samples, dim):
                raise ValueError(
                    f"design must have shape (samples, dim) = ({samples}, {dim}), got {x.shape}"
                )
            if np.linalg.matrix_rank(x) < dim:
                raise ValueError("design must have full column rank (X^T X is singular)")
            try:  # what the kernel factorises: X^T X can underflow where X has full rank
                np.linalg.cholesky(x.T @ x)
            except np.linalg.LinAlgError:
                raise ValueError(
                    "design must have full column rank with X^T X positive definite in float64 "
                    "(rescale its columns)"
                ) from None
            design_value = readonly(x)
        noise_model = _checks.choice("noise_model", noise_model, NOISE_MODELS)
        tail = _checks.real("tail", tail, minimum=0.0, maximum=1.0, open_low=True, open_high=True)
        hallucination = _checks.real(
            "hallucination", hallucination, minimum=0.0, maximum=tail, open_low=True, open_high=True
        )
        for name, value in (
            ("dim", dim),
            ("samples", samples),
            ("noise", noise),
            ("beta", readonly(beta_arr)),
            ("design", design_value),
            ("noise_model", noise_model),
            ("tail", tail),
            ("hallucination", hallucination),
        ):
            object.__setattr__(self, name, value)

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Metrics recorded by ``simulate``: ``noise_estimate`` only when it is estimated."""
        if self.noise_model == "estimated":
            return _ALL_METRICS
        return tuple(m for m in _ALL_METRICS if m != "noise_estimate")

    def _key(self) -> tuple[object, ...]:
        design = self.design if isinstance(self.design, str) else self.design.tobytes()
        return (
            self.dim,
            self.samples,
            self.noise,
            self.beta.tobytes(),
            design,
            self.noise_model,
            self.tail,
            self.hallucination,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinearRegression):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = "" if self.noise == 1.0 else f", noise={self.noise:g}"
        if not np.allclose(self.beta, 1.0 / np.sqrt(self.dim)):
            extra += ", beta=<given>"
        if not isinstance(self.design, str):
            extra += ", design=<given>"
        if self.noise_model != "known":
            extra += f", noise_model={self.noise_model!r}"
        extra += "" if self.tail == 0.1 else f", tail={self.tail}"
        extra += "" if self.hallucination == 0.001 else f", hallucination={self.hallucination}"
        return f"LinearRegression(dim={self.dim}, samples={self.samples}{extra})"

    def roles(self) -> Roles:
        """The risk is the test error sigma^2 + excess risk. The diversity is the model's output
        noise variance: constant with known noise. With the Gaussian design, the tails and the
        level set are read from the exact law of the model's residual y - x beta over test
        inputs, N(0, noise_model^2 + |beta_hat - beta|^2)."""
        known = self.noise_model == "known"
        gaussian_design = isinstance(self.design, str)
        return Roles(
            risk=metric("test_error"),
            excess_risk=metric("excess_risk"),
            diversity=(
                Never("the model's output variance is the known noise^2 at every iteration")
                if known
                else metric("noise_estimate")
            ),
            modes=Never(
                "the conditional law of y given x has a single mode, and every fit keeps "
                "exactly one"
            ),
            tails=(
                Tails(
                    self._residual_mass("tail shell", self._tail_shell),
                    real=self.tail - self.hallucination,
                    region=(
                        f"the real conditional shell |y - x beta| in "
                        f"({stats.norm.isf(self.tail / 2):.2f}, "
                        f"{stats.norm.isf(self.hallucination / 2):.2f}) noise sds"
                    ),
                )
                if gaussian_design
                else NotApplicable(
                    "with a given design the residual law is a mixture over its rows, not recorded"
                )
            ),
            hallucination=Never(
                "the real distribution has full support, so no model mass lies outside it"
            ),
            level_set=(
                Hallucination(
                    self._residual_mass("mass beyond the level set", self._beyond_level_set),
                    real=self.hallucination,
                    region=(
                        f"beyond the real conditional interval holding {1 - self.hallucination:g}"
                    ),
                )
                if gaussian_design
                else NotApplicable("no level-set mass is recorded with a given design")
            ),
            resize=(
                Resize(self._with_samples, self.dim + 3)
                if gaussian_design
                else NotApplicable("the design is given, so the sample size cannot vary")
            ),
            risk_theory=("excess_risk",),
        )

    def _residual_mass(self, label: str, mass: Any) -> Quantity:
        """A mass under the model's residual law N(0, s^2), s^2 = model noise^2 + param_error,
        with `mass(s^2)` taking and returning numpy arrays."""

        def of(variance: xr.DataArray) -> xr.DataArray:
            return variance.copy(data=mass(variance.values))

        if self.noise_model == "known":
            return Quantity(
                label, ("param_error",), lambda param_error: of(self.noise**2 + param_error)
            )
        return Quantity(
            label,
            ("param_error", "noise_estimate"),
            lambda param_error, noise_estimate: of(noise_estimate + param_error),
        )

    def _tail_shell(self, variance: Any) -> Any:
        scale = self.noise / np.sqrt(variance)
        zq, zh = stats.norm.isf(self.tail / 2), stats.norm.isf(self.hallucination / 2)
        return 2 * (stats.norm.cdf(zh * scale) - stats.norm.cdf(zq * scale))

    def _beyond_level_set(self, variance: Any) -> Any:
        zh = stats.norm.isf(self.hallucination / 2)
        return 2 * stats.norm.sf(zh * self.noise / np.sqrt(variance))

    def _with_samples(self, n: int) -> LinearRegression:
        return LinearRegression(
            self.dim,
            n,
            self.noise,
            self.beta,
            self.design,
            self.noise_model,
            tail=self.tail,
            hallucination=self.hallucination,
        )

    def _expected_curve(
        self, paradigm: Paradigm, metric: str, grid: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], str]:
        from ..theory import regression

        return regression.expected_curve(self, paradigm, metric, grid)

    # -- the kernel interface used by simulate -------------------------------------------------

    def _paradigm_args(self, paradigm: Paradigm) -> _core.Paradigm:
        """The kernel's name and row count for `paradigm`, checked against this setting."""
        if isinstance(paradigm, Accumulate) and paradigm.growth != int(paradigm.growth):
            raise ValueError(
                "growth must be a whole number for LinearRegression: each generation adds "
                f"whole label vectors over the fixed design, got {paradigm.growth}"
            )
        n = self.samples
        return kernel_paradigm(paradigm, n, n, unit="labelled rows", dim=self.dim)

    def _working_bytes(self, paradigm: Paradigm, method: str, iterations: int) -> int:
        """About how many bytes one replicate holds while it runs."""
        n, d = self.samples, self.dim
        rows = self._method(paradigm, method) == "samples" or not isinstance(self.design, str)
        values = (n * d + 3 * n if rows else 0) + 8 * d * d
        if isinstance(paradigm, AccumulateSubsample):
            # every label so far and its index
            values += 2 * (iterations + 1) * n + 2 * paradigm.size * (d + 1)
        return 8 * values

    def _method(self, paradigm: Paradigm, method: str) -> str:
        if isinstance(paradigm, (Replace, Accumulate)):
            chosen = "statistics" if method == "auto" else method
            labels = paradigm.growth * self.samples if isinstance(paradigm, Accumulate) else 0
            if chosen == "samples" and labels > MAX_LABELS_PER_GENERATION:
                raise ValueError(
                    f"growth={paradigm.growth:g} is too large for method='samples', which draws "
                    f"every label: growth * samples = {labels:,.0f} labels per generation, more "
                    f"than {MAX_LABELS_PER_GENERATION:,} (use method='auto', whose exact "
                    "statistics path draws a generation's label vectors at once)"
                )
            return chosen
        if method == "statistics":
            raise ValueError(
                f"method='statistics' is not available for LinearRegression under "
                f"{type(paradigm).__name__}: which labels are kept matters, so they are drawn "
                "(use method='auto' or 'samples')"
            )
        return "samples"

    def _simulate(self, paradigm: Paradigm, method: str, run: KernelRun) -> npt.NDArray[np.float64]:
        kernel = self._paradigm_args(paradigm)
        kernel_method = self._method(paradigm, method)
        if isinstance(paradigm, AccumulateSubsample) and (
            (run.iterations + 1) * self.samples > 2**29
        ):
            raise ValueError(
                f"iterations={run.iterations:,} is too many under AccumulateSubsample: every "
                "label is kept, more than 2**29 (4 GiB) per replicate"
            )
        design = None if isinstance(self.design, str) else self.design.reshape(-1)
        # Every metric depends on beta_hat - beta only, whose law does not involve beta (labels
        # are X beta plus noise, and OLS is linear), so the kernel runs at beta = 0: a large beta
        # would otherwise round the fits' deviations from it away.
        flat = _core.simulate_regression(
            np.zeros(self.dim),
            self.samples,
            self.noise,
            design,
            self.noise_model,
            kernel,
            kernel_method,
            run,
        )
        return run.shape(flat)
