"""Throughput of modelcollapse's continuous settings against strong pure-numpy baselines.

Run as ``python benches/bench_continuous.py [--quick] [--repeats N]``.

Each row runs the same loop, recording the same metrics at the same iterations, once with numpy
(``benches/numpy_continuous.py``: vectorised over replicates, preallocated buffers, blocks of
replicates sized for the cache) and once with the library on 1 and 2 threads, all in this
process:

* Gaussian refits, d = 10, n = 100, 1,000 generations under Replace, recording w2sq_mean,
  cov_trace and logdet at every iteration. Two baselines: numpy's sufficient-statistic (Bartlett)
  loop, and numpy refitting from samples (draw 100 points, mean, covariance, Cholesky; it turns
  NaN after a few hundred generations, when the covariance is too ill-conditioned for a
  Cholesky in double precision, but its cost per generation does not change).
* Linear regression, d = 10, n = 100, Gaussian design, known noise, 100 generations under
  Replace and under Accumulate, recording param_error and test_error at every iteration, against
  numpy's sufficient-statistic loop and against numpy refitting OLS from labels (a precomputed
  batched (X^T X)^-1 X^T).
* KDE, n = 1,000 points, bandwidth 0.2, 100 generations under Replace, nll_real on 1,000
  held-out points every 10th iteration, against numpy's log-sum-exp over the full kernel matrix.

The library uses its default method (sufficient statistics where they are exact). Throughput is
replicates per second, best of ``--repeats`` interleaved rounds after a warm-up. The
"ns/iter" column is the library's single-thread time per replicate and generation (including
recording). The last rows record every metric of the setting at every iteration (library only),
to show what the expensive metrics cost: the Gaussian's w2sq_cov (an SVD), tail and
hallucinated mass (an SVD and two tail integrals of a quadratic form).

Sanity checks: a final-iteration mean must agree between numpy and the library within 4
standard errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy_continuous as npc
from _harness import MAX_Z, banner, best_of, compare, footer, quick_options

import modelcollapse as mc

D_GAUSS, N_GAUSS, T_GAUSS = 10, 100, 1000
D_REG, N_REG, T_REG = 10, 100, 100
N_KDE, H_KDE, T_KDE, STRIDE_KDE = 1000, 0.2, 100, 10
GAUSS_METRICS = ["w2sq_mean", "cov_trace", "logdet"]
REG_METRICS = ["param_error", "test_error"]


@dataclass
class Case:
    name: str
    iterations: int
    replicates: int  # library
    numpy_replicates: int  # numpy (the slow baselines run fewer; rates are per replicate)
    target: float  # required speed-up of 2 library threads over numpy; 0 = library only
    run_numpy: Callable[[int], np.ndarray] | None  # (reps) -> checked final values
    run_library: Callable[[int, int], np.ndarray]  # (reps, threads) -> checked final values
    checked: str
    last: dict[str, np.ndarray] = field(default_factory=dict)


def library(setting, paradigm, metrics, checked, iterations, stride=1):
    def run(reps: int, threads: int) -> np.ndarray:
        m = mc.simulate(
            setting,
            paradigm,
            iterations=iterations,
            replicates=reps,
            rng=1,
            metrics=metrics,
            stride=stride,
            threads=threads,
            progress=False,
        ).metrics
        return m[checked].values[:, -1]

    return run


def numpy_run(fn, checked, *args, **kwargs):
    def run(reps: int) -> np.ndarray:
        out = fn(*args, replicates=reps, rng=np.random.default_rng(2), **kwargs)
        return out[checked][:, -1]

    return run


def cases(scale: int) -> list[Case]:
    g = mc.Gaussian(np.zeros(D_GAUSS), np.eye(D_GAUSS), N_GAUSS)
    reg = mc.LinearRegression(D_REG, N_REG)
    kde = mc.KDE(bandwidth=H_KDE, samples=N_KDE, test_size=1000)
    mu0, s0 = np.zeros(D_GAUSS), np.eye(D_GAUSS)
    g_args = (mu0, s0, N_GAUSS, T_GAUSS)
    gauss_lib = library(g, mc.Replace(), GAUSS_METRICS, "logdet", T_GAUSS)
    out = [
        Case(
            "gaussian vs numpy Bartlett",
            T_GAUSS,
            4000 // scale,
            2000 // scale,
            3.0,
            numpy_run(npc.gaussian_bartlett, "logdet", *g_args),
            gauss_lib,
            "logdet",
        ),
        Case(
            "gaussian vs numpy refit",
            T_GAUSS,
            4000 // scale,
            max(200 // scale, 20),
            50.0,
            # the refit loop is NaN after a few hundred generations: check the mean drift
            numpy_run(npc.gaussian_refit_samples, "w2sq_mean", *g_args),
            library(g, mc.Replace(), GAUSS_METRICS, "w2sq_mean", T_GAUSS),
            "w2sq_mean",
        ),
    ]
    for paradigm, label in ((mc.Replace(), "replace"), (mc.Accumulate(), "accumulate")):
        reg_args = (D_REG, N_REG, 1.0, T_REG)
        reg_lib = library(reg, paradigm, REG_METRICS, "param_error", T_REG)
        out += [
            Case(
                f"regression {label} vs numpy stats",
                T_REG,
                100_000 // scale,
                20_000 // scale,
                1.5,
                numpy_run(npc.regression_sufficient, "param_error", *reg_args, paradigm=label),
                reg_lib,
                "param_error",
            ),
            Case(
                f"regression {label} vs numpy lstsq",
                T_REG,
                100_000 // scale,
                10_000 // scale,
                20.0,
                numpy_run(npc.regression_lstsq, "param_error", *reg_args, paradigm=label),
                reg_lib,
                "param_error",
            ),
        ]
    out.append(
        Case(
            "kde replace vs numpy",
            T_KDE,
            max(200 // scale, 20),
            max(40 // scale, 8),
            5.0,
            numpy_run(npc.kde_replace, "nll_real", N_KDE, H_KDE, T_KDE, stride=STRIDE_KDE),
            library(kde, mc.Replace(), ["nll_real"], "nll_real", T_KDE, STRIDE_KDE),
            "nll_real",
        )
    )
    out += [
        Case(
            f"gaussian, all {len(g.metric_names)} metrics",
            T_GAUSS,
            max(100 // scale, 10),
            0,
            0.0,
            None,
            library(g, mc.Replace(), list(g.metric_names), "logdet", T_GAUSS),
            "logdet",
        ),
        Case(
            f"regression, all {len(reg.metric_names)} metrics",
            T_REG,
            100_000 // scale,
            0,
            0.0,
            None,
            library(reg, mc.Replace(), list(reg.metric_names), "param_error", T_REG),
            "param_error",
        ),
        Case(
            f"kde, all {len(kde.metric_names)} metrics",
            T_KDE,
            max(200 // scale, 20),
            0,
            0.0,
            None,
            library(kde, mc.Replace(), list(kde.metric_names), "nll_real", T_KDE, STRIDE_KDE),
            "nll_real",
        ),
    ]
    return out


def measure(case: Case, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall seconds, cores busy) of each implementation over interleaved rounds."""
    case.run_library(max(case.replicates // 20, 2), 2)
    runs: dict[str, Callable[[], object]] = {
        "mc 1t": lambda: case.last.__setitem__("library", case.run_library(case.replicates, 1)),
        "mc 2t": lambda: case.last.__setitem__("library", case.run_library(case.replicates, 2)),
    }
    if case.run_numpy is not None:
        case.run_numpy(max(case.numpy_replicates // 20, 2))
        runs["numpy"] = lambda: case.last.__setitem__(
            "numpy", case.run_numpy(case.numpy_replicates)
        )
    return best_of(runs, repeats)


def main() -> None:
    quick, scale, repeats = quick_options(__doc__, 10)
    print(banner(repeats, quick))
    start = time.perf_counter()
    header = (
        f"{'case':<34}{'numpy rep/s':>12}{'mc 1t rep/s':>13}{'mc 2t rep/s':>13}"
        f"{'ns/iter':>9}{'mc2t/numpy':>12}{'target':>8}  met?"
    )
    rows, details = [], []
    for case in cases(scale):
        best = measure(case, repeats)
        rate = {
            name: (case.numpy_replicates if name == "numpy" else case.replicates) / t
            for name, (t, _) in best.items()
        }
        ns_iter = 1e9 / (rate["mc 1t"] * case.iterations)
        if "numpy" in rate:
            ratio = rate["mc 2t"] / rate["numpy"]
            tail = f"{rate['numpy']:>12,.1f}"
            verdict = (
                f"{ratio:>11.2f}x{case.target:>7.1f}x  {'yes' if ratio >= case.target else 'NO'}"
            )
            what, m_np, m_lib, z = case.checked, *compare(case.last["numpy"], case.last["library"])
            ok = "ok" if z < MAX_Z or not np.isfinite(z) else "MISMATCH"
            if not np.isfinite(m_np):
                ok = "numpy NaN (ill-conditioned), not compared"
            details.append(
                f"{case.name}: final {what} numpy {m_np:.4f}, library {m_lib:.4f} "
                f"({z:.2f} SE apart, {ok}); mc 2t on {best['mc 2t'][1]:.2f} cores"
            )
        else:
            tail = f"{'-':>12}"
            verdict = f"{'':>12}{'':>8}"
        rows.append(
            f"{case.name:<34}{tail}{rate['mc 1t']:>13,.1f}{rate['mc 2t']:>13,.1f}"
            f"{ns_iter:>9,.0f}{verdict}"
        )
    print()
    print(header)
    print("\n".join(rows))
    print()
    print("\n".join(details))
    print(footer(start, now=False))


if __name__ == "__main__":
    main()
