"""Cost of modelcollapse's exact discrete theory, and the simulation it predicts, against numpy.

Run as ``python benches/bench_theory.py [--quick] [--repeats N] [--slow] [--theory-only]``
(``--theory-only``: part 1 alone).

Part 1 times the exact solvers of ``mc.theory`` on cold calls: the lru caches of
``mc.theory.discrete`` (``CACHES``: the ancestral chain and its occupation times; the forward
chain's band, step and transition matrices and hitting moments) are cleared before every timed
call, so each time includes building what the call needs. Cases, for uniform weights over K = 10
atoms at D = 10^3, 10^4 and 10^5 (the ancestral chain, issue 15 item 6: at most 10 s each):

* ``expected_collapse_time(setting, method="exact")``;
* ``collapse_time_variance(setting)``;
* ``collapse_time_cdf(setting, t, method="exact")`` at every t up to 2 D (about the mean
  collapse time), and at 300 t up to 10^12 (every t to 100, then log-spaced);

and the forward chain: ``discrete_curves(setting, 2 D, method="exact")`` for the uniform weights
at D = 1,000 and 5,000 and for the non-uniform weights [0.5, 0.3, 0.2] at D = 1,000 (three
distinct starting marginals, so three chains are iterated). ``--slow`` adds the non-uniform case
at D = 5,000, which takes about two minutes.

Each call is the best of ``--repeats`` runs, but a call stops repeating once its runs add up to
more than ``THEORY_BUDGET`` seconds (the "runs" column says how many it got). One small call of
each function is made first so one-off import and first-use costs are not timed.

Part 2 is case 1 of ``bench_discrete.py`` (run to total collapse under Replace, i.e.
Wright-Fisher resampling, ``mc.collapse_times``) with K = 10 uniform atoms at D = 10^4 and
D = 10^5, where collapse takes 2 D (K - 1) ln(K / (K - 1)) ~ 1.9 D generations on average
(Littler). It reuses that script's numpy baseline, measuring and table: throughput in replicates
per second, best of ``--repeats`` interleaved runs after a warm-up, with the library at threads=1
and threads=2 and the ratio column comparing 2 library threads with numpy. As a sanity check the
simulated mean collapse times are printed next to ``mc.theory.expected_collapse_time(setting)``
(exact at both D, D <= 100,000); standard errors come from the exact
``mc.theory.collapse_time_variance``, and every pair of means (numpy, library, theory) must agree
within 4 standard errors.

``--quick`` runs 1/5 of the replicates, one round, and discrete_curves at D = 5,000 for only
1,000 iterations, in well under 30 s.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# benches/ is on sys.path when this file runs as a script: the helpers import normally
from _harness import MAX_Z, mean_and_se, timed
from bench_discrete import Case, collapse_runs, measure, print_ratio_table, table_rows

import modelcollapse as mc

#: Atoms (uniform weights) in every uniform case.
K = 10
#: A theory call stops repeating once its runs add up to more than this many seconds.
THEORY_BUDGET = 10.0
#: Required speed-up of 2 library threads over numpy, as in bench_discrete.py's collapse case.
TARGET_VS_NUMPY = 4.0


# --- part 1: exact theory ---------------------------------------------------------------------


@dataclass(frozen=True)
class TheoryCase:
    function: str
    weights: str  # label
    samples: int
    iterations: int | str | None  # None for expected_collapse_time, the t for the CDF
    call: Callable[[], str]  # runs the call, returns a short description of its result


#: The theory's per-D caches, cleared before every timed call.
CACHES = (
    "_lineage",
    "_lineage_moments",
    "_band",
    "_step_matrix",
    "_transition",
    "_hitting_moments",
)
#: D of the ancestral chain's cases.
SCALES = (1_000, 10_000, 100_000)


def clear_caches() -> None:
    for name in CACHES:
        getattr(mc.theory.discrete, name).cache_clear()


def expected_time_case(d: int) -> TheoryCase:
    setting = mc.Discrete(weights=np.ones(K), samples=d)

    def call() -> str:
        return f"E[T] = {mc.theory.expected_collapse_time(setting, method='exact'):,.2f}"

    return TheoryCase("expected_collapse_time", f"uniform K={K}", d, None, call)


def variance_case(d: int) -> TheoryCase:
    setting = mc.Discrete(weights=np.ones(K), samples=d)

    def call() -> str:
        return f"sd T = {math.sqrt(mc.theory.collapse_time_variance(setting)):,.2f}"

    return TheoryCase("collapse_time_variance", f"uniform K={K}", d, None, call)


#: The sparse grid of the CDF cases: every t to 100, then 200 log-spaced t up to 10^12.
LOG_GRID = np.unique(np.r_[np.arange(101), np.geomspace(1, 1e12, 200).astype(np.int64)])


def cdf_case(d: int, dense: bool) -> TheoryCase:
    setting = mc.Discrete(weights=np.ones(K), samples=d)
    t = np.arange(2 * d + 1) if dense else LOG_GRID
    at = int(np.searchsorted(t, 2 * d, side="right")) - 1  # the last t <= 2 D
    label = f"0..{2 * d:,}" if dense else f"{t.size} to 1e12"

    def call() -> str:
        cdf = mc.theory.collapse_time_cdf(setting, t, method="exact")
        return f"P(T <= {int(t[at]):,}) = {float(cdf[at]):.4f}"

    return TheoryCase("collapse_time_cdf", f"uniform K={K}", d, label, call)


def curves_case(
    weights: list[float] | np.ndarray, label: str, d: int, iterations: int
) -> TheoryCase:
    setting = mc.Discrete(weights=np.asarray(weights, dtype=np.float64), samples=d)

    def call() -> str:
        curves = mc.theory.discrete_curves(setting, iterations, method="exact")
        return f"P(T <= {iterations:,}) = {float(curves['collapse_cdf'][-1]):.4f}"

    return TheoryCase("discrete_curves", label, d, iterations, call)


def theory_cases(quick: bool, slow: bool) -> list[TheoryCase]:
    uniform, label = np.ones(K), f"uniform K={K}"
    skewed, skewed_label = [0.5, 0.3, 0.2], "[0.5, 0.3, 0.2]"
    cases = []
    for d in SCALES:
        cases += [expected_time_case(d), variance_case(d), cdf_case(d, True), cdf_case(d, False)]
    cases.append(curves_case(uniform, label, 1000, 2000))
    cases.append(curves_case(uniform, label, 5000, 1000 if quick else 10_000))
    cases.append(curves_case(skewed, skewed_label, 1000, 2000))
    if slow:
        cases.append(curves_case(skewed, skewed_label, 5000, 10_000))
    return cases


def warm_up_theory() -> None:
    """Pay one-off import and first-use costs (scipy, xarray) outside the timings."""
    setting = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=600)
    mc.theory.expected_collapse_time(setting, method="exact")
    mc.theory.collapse_time_variance(setting)
    mc.theory.collapse_time_cdf(setting, [10, 10**6], method="exact")
    mc.theory.discrete_curves(setting, 10, method="exact")
    clear_caches()


def time_theory(case: TheoryCase, repeats: int) -> tuple[float, int, str]:
    """Best cold wall time, number of runs and the result description."""
    best, spent, results = math.inf, 0.0, []
    while len(results) < repeats and spent <= THEORY_BUDGET:
        clear_caches()
        wall, _ = timed(lambda: results.append(case.call()))
        best, spent = min(best, wall), spent + wall
    clear_caches()
    return best, len(results), results[-1]


def theory_table(cases: list[TheoryCase], repeats: int) -> list[str]:
    lines = [
        f"{'theory call (cold)':<24}{'weights':<17}{'D':>8}{'iterations / t':>15}{'best s':>10}"
        f"{'runs':>6}  result"
    ]
    for case in cases:
        best, runs, result = time_theory(case, repeats)
        its = case.iterations
        its = "-" if its is None else its if isinstance(its, str) else f"{its:,}"
        lines.append(
            f"{case.function:<24}{case.weights:<17}{case.samples:>8,}{its:>15}{best:>10.3f}"
            f"{runs:>6}  {result}"
        )
    return lines


# --- part 2: simulated collapse times against numpy -------------------------------------------


@dataclass(frozen=True)
class Theory:
    mean: float
    sd: float | None  # None beyond the exact solver
    method: str
    seconds: float


def theory_of(setting: mc.Discrete) -> Theory:
    """E[T] (exact or Littler) and, where the exact solver reaches, sd T."""
    start = time.perf_counter()
    mean, method = mc.theory.expected_collapse_time(setting, return_method=True)
    exact = method == "exact"
    sd = math.sqrt(mc.theory.collapse_time_variance(setting)) if exact else None
    return Theory(mean, sd, "exact" if exact else "Littler", time.perf_counter() - start)


def standard_error(times: np.ndarray, theory: Theory) -> float:
    """Standard error of the mean of `times`: exact sd where known, else the sample's."""
    if theory.sd is not None:
        return theory.sd / math.sqrt(times.size)
    return mean_and_se(times)[1]


def make_collapse_case(d: int, replicates: int, theory: Theory) -> tuple[Case, dict]:
    """bench_discrete's collapse case at K uniform atoms and D = d, and its latest times."""
    run_numpy, run_library, last = collapse_runs(K, d)

    def check() -> tuple[str, float, float, float]:
        a, b = last["numpy"], last["library"]
        gap = abs(a.mean() - b.mean()) / math.hypot(
            standard_error(a, theory), standard_error(b, theory)
        )
        return "mean collapse time", float(a.mean()), float(b.mean()), gap

    name = f"collapse D=10^{round(math.log10(d))} K={K}"
    return Case(name, replicates, TARGET_VS_NUMPY, run_numpy, run_library, check), last


def status(z: float) -> str:
    return "ok" if z < MAX_Z else "MISMATCH"


def sanity_lines(case: Case, last: dict, theory: Theory) -> list[str]:
    what, m_np, m_lib, z = case.check()
    sd = f"sd {theory.sd:,.1f} exact" if theory.sd is not None else "sample sd"
    lines = [
        f"    theory E[T] {theory.mean:,.1f} ({theory.method}, {theory.seconds:.1f} s; "
        f"standard errors from {sd})"
    ]
    for label, mean in (("numpy", m_np), ("library", m_lib)):
        z_theory = abs(mean - theory.mean) / standard_error(last[label], theory)
        lines.append(
            f"    {what}: {label} {mean:,.1f} ({z_theory:.2f} SE from theory, {status(z_theory)})"
        )
    lines.append(f"    numpy vs library: {z:.2f} SE apart, {status(z)}")
    return lines


def collapse_section(replicates: dict[int, int], repeats: int) -> tuple[list[str], list[str]]:
    table, details = [], []
    for d, reps in replicates.items():
        theory = theory_of(mc.Discrete(weights=np.ones(K), samples=d))
        case, last = make_collapse_case(d, reps, theory)
        best = measure(case, repeats)
        table += table_rows(case, best)
        runs = ", ".join(f"{name} {t:.3f} s on {c:.2f} cores" for name, (t, c) in best.items())
        details.append(f"{case.name} ({case.replicates:,} replicates): {runs}")
        details += sanity_lines(case, last, theory)
    return table, details


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/5 of the replicates, 1 round")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (default 3, quick 1)")
    parser.add_argument("--slow", action="store_true", help="add the ~2 min non-uniform D=5000")
    parser.add_argument("--theory-only", action="store_true", help="part 1 only (no simulation)")
    args = parser.parse_args()
    scale = 5 if args.quick else 1
    repeats = args.repeats or (1 if args.quick else 3)
    replicates = {10_000: 200 // scale, 100_000: 20 // scale}

    print(
        f"modelcollapse {mc.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"best of {repeats}, load average {os.getloadavg()[0]:.2f}"
        + (" (quick)" if args.quick else "")
    )
    start = time.perf_counter()
    warm_up_theory()
    theory = theory_table(theory_cases(args.quick, args.slow), repeats)
    print()
    print("\n".join(theory))
    print(
        f"(cold: mc.theory.discrete's {', '.join(CACHES)} caches cleared before every call; "
        f"a call stops repeating after {THEORY_BUDGET:.0f} s)"
    )
    if not args.theory_only:
        table, details = collapse_section(replicates, repeats)
        print_ratio_table(table, details)
    print(f"\ntotal {time.perf_counter() - start:.1f} s, load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
