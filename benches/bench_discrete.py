"""Throughput of modelcollapse's discrete engine against a strong pure-numpy baseline.

Run as ``python benches/bench_discrete.py [--quick] [--repeats N]``.

Cases (both under Replace, i.e. Wright-Fisher resampling: each generation's counts are
Multinomial(D, counts / D) of the previous generation's counts):

1. "run to total collapse": uniform weights over K = 100 atoms, D = 1,000 samples per generation,
   2,000 replicates, each run until one atom holds all the mass (``mc.collapse_times``).
2. "simulate with entropy and support": Zipf weights p_i ~ 1/i over K = 10,000 atoms,
   D = 100,000, 100 iterations, 200 replicates, recording the entropy (nats) and support size of
   every replicate at every iteration 0..100 (``mc.simulate``).

As in the library, generation 1 is itself a Multinomial(D, p0) draw (the real data) and iteration
0 of case 2 is the real distribution p0; collapse time t means generation t is the first with a
single atom.

The numpy baseline is what a careful researcher would write: one
``Generator.multinomial(D, pvals)`` call per generation with a 2-D ``pvals`` (one row per live
replicate), so the per-replicate work runs in numpy's C loop. Finished (collapsed) replicates are
dropped. Every few generations each row is sorted in decreasing order (collapse time, entropy and
support size do not depend on atom labels) and the all-zero columns at the end are cut off, so
the arrays shrink as atoms die and numpy's conditional-binomial chain stops early in every row.
Entropy uses a table of c*log(c) for integer counts: H = log D - sum_i c_i log c_i / D.

Throughput is replicates per second, the best of ``--repeats`` interleaved runs of each
measurement (time.perf_counter), after one small warm-up run of each implementation. The library
runs with threads=1 and threads=2; the ratio column compares 2 library threads with numpy. The
details list how many cores each best run kept busy (CPU time / wall time): if the 2-thread run
got well under 2, other processes were competing and its numbers understate the library.
Sanity checks: case 1's mean collapse time and case 2's mean final entropy must agree between
numpy and the library within 4 standard errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _harness import MAX_Z, banner, best_of, compare, footer, quick_options
from _harness import mean_and_se as mean_and_se  # re-exported: bench_theory.py imports it
from _harness import timed as timed  # re-exported: bench_theory.py imports it

import modelcollapse as mc

#: Sort rows and cut extinct columns every this many generations (numpy baseline).
SORT_EVERY = 8
#: Required speed-up of 2 library threads over 1.
TARGET_THREADS = 1.7


@dataclass(frozen=True)
class Case:
    name: str
    replicates: int
    target_vs_numpy: float  # required speed-up of 2 library threads over numpy
    run_numpy: Callable[[int], None]  # (replicates)
    run_library: Callable[[int, int], None]  # (replicates, threads)
    check: Callable[[], tuple[str, float, float, float]]  # compares the latest runs


# --- numpy baseline ---------------------------------------------------------------------------


def shrink(counts: np.ndarray) -> np.ndarray:
    """Each row sorted in decreasing order, without the columns that are zero in every row."""
    counts = np.sort(counts, axis=1)[:, ::-1]
    width = int(np.count_nonzero(counts, axis=1).max())
    return counts[:, :width]


def numpy_collapse_times(k: int, d: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Generation at which each replicate first has a single atom (uniform p0 over k atoms)."""
    counts = rng.multinomial(d, np.full(k, 1.0 / k), size=replicates)  # generation 1
    times = np.empty(replicates, dtype=np.int64)
    live = np.arange(replicates)
    generation = 1
    while True:
        done = counts.max(axis=1) == d
        if done.any():
            times[live[done]] = generation
            live, counts = live[~done], counts[~done]
            if live.size == 0:
                return times
        if generation % SORT_EVERY == 0:
            counts = shrink(counts)
        counts = rng.multinomial(d, counts / d)
        generation += 1


def entropy_table(d: int) -> np.ndarray:
    """c * log(c) for c = 0..d (0 for c = 0)."""
    c = np.arange(d + 1, dtype=np.float64)
    c[0] = 1.0
    return c * np.log(c)


def numpy_simulate(
    p0: np.ndarray, d: int, iterations: int, replicates: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Entropy (nats) and support size per (replicate, iteration 0..iterations)."""
    entropy = np.empty((replicates, iterations + 1))
    support = np.empty((replicates, iterations + 1), dtype=np.int64)
    positive = p0[p0 > 0]
    entropy[:, 0] = -np.sum(positive * np.log(positive))
    support[:, 0] = positive.size
    clogc, log_d = entropy_table(d), math.log(d)
    counts = rng.multinomial(d, p0, size=replicates)  # generation 1
    for generation in range(1, iterations + 1):
        entropy[:, generation] = log_d - clogc[counts].sum(axis=1) / d
        support[:, generation] = np.count_nonzero(counts, axis=1)
        if generation == iterations:
            break
        if generation % SORT_EVERY == 1:
            counts = shrink(counts)
        counts = rng.multinomial(d, counts / d)
    return entropy, support


# --- the cases --------------------------------------------------------------------------------


def collapse_runs(
    k: int, d: int
) -> tuple[Callable[[int], None], Callable[[int, int], None], dict[str, np.ndarray]]:
    """Runners to total collapse from uniform weights over k atoms with D = d: numpy (reps) and
    the library (reps, threads), and the dict where each leaves its latest collapse times."""
    setting = mc.Discrete(weights=np.ones(k), samples=d)
    last: dict[str, np.ndarray] = {}

    def run_numpy(reps: int) -> None:
        last["numpy"] = numpy_collapse_times(k, d, reps, np.random.default_rng(0))

    def run_library(reps: int, threads: int) -> None:
        result = mc.collapse_times(
            setting, mc.Replace(), replicates=reps, rng=0, threads=threads, progress=False
        )
        last["library"] = result.times

    return run_numpy, run_library, last


def make_collapse_case(replicates: int) -> Case:
    run_numpy, run_library, last = collapse_runs(100, 1000)

    def check() -> tuple[str, float, float, float]:
        return "mean collapse time", *compare(last["numpy"], last["library"])

    return Case("1 run to total collapse", replicates, 4.0, run_numpy, run_library, check)


def make_simulate_case(replicates: int) -> Case:
    k, d, iterations = 10_000, 100_000, 100
    w = 1.0 / np.arange(1, k + 1)
    setting = mc.Discrete(weights=w, samples=d)
    metrics = ["entropy", "support_size"]
    last: dict[str, np.ndarray] = {}

    def run_numpy(reps: int) -> None:
        entropy, _ = numpy_simulate(w / w.sum(), d, iterations, reps, np.random.default_rng(0))
        last["numpy"] = entropy[:, -1]

    def run_library(reps: int, threads: int) -> None:
        run = mc.simulate(
            setting,
            mc.Replace(),
            iterations=iterations,
            replicates=reps,
            rng=0,
            metrics=metrics,
            threads=threads,
            progress=False,
        )
        last["library"] = run.metrics["entropy"].values[:, -1]

    def check() -> tuple[str, float, float, float]:
        return "mean final entropy", *compare(last["numpy"], last["library"])

    return Case("2 simulate entropy+support", replicates, 3.0, run_numpy, run_library, check)


# --- measuring --------------------------------------------------------------------------------


def measure(case: Case, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall seconds, cores busy) of each implementation over `repeats` interleaved rounds,
    after a warm-up."""
    warm = max(case.replicates // 10, 2)
    case.run_library(warm, 2)
    case.run_numpy(warm)
    runs = {
        "numpy": lambda: case.run_numpy(case.replicates),
        "mc 1t": lambda: case.run_library(case.replicates, 1),
        "mc 2t": lambda: case.run_library(case.replicates, 2),
    }
    return best_of(runs, repeats)


def table_rows(case: Case, best: dict[str, tuple[float, float]]) -> list[str]:
    rate = {name: case.replicates / t for name, (t, _) in best.items()}
    rows = [
        ("mc 2t / numpy", rate["mc 2t"] / rate["numpy"], case.target_vs_numpy),
        ("mc 2t / mc 1t", rate["mc 2t"] / rate["mc 1t"], TARGET_THREADS),
    ]
    lines = []
    for i, (label, ratio, target) in enumerate(rows):
        head = (
            f"{case.name:<27}{rate['numpy']:>13,.1f}{rate['mc 1t']:>13,.1f}{rate['mc 2t']:>13,.1f}"
            if i == 0
            else " " * 66
        )
        met = "yes" if ratio >= target else "NO"
        lines.append(f"{head}  {label:<14}{ratio:>7.2f}x{'>= ' + f'{target:.1f}x':>9}  {met}")
    return lines


def print_ratio_table(table: list[str], details: list[str]) -> None:
    """The throughput table (rows from `table_rows`) and the details under it."""
    print()
    print(
        f"{'case':<27}{'numpy rep/s':>13}{'mc 1t rep/s':>13}{'mc 2t rep/s':>13}  "
        f"{'ratio':<14}{'value':>8}{'target':>9}  met?"
    )
    print("\n".join(table))
    print()
    print("\n".join(details))
    print("(cores = CPU time / wall time; well under 2 for mc 2t means other processes competed)")


def main() -> None:
    quick, scale, repeats = quick_options(__doc__, 10)
    cases = [make_collapse_case(2000 // scale), make_simulate_case(200 // scale)]

    print(banner(repeats, quick))
    start = time.perf_counter()
    table, details = [], []
    for case in cases:
        best = measure(case, repeats)
        table += table_rows(case, best)
        what, m_np, m_lib, z = case.check()
        status = "ok" if z < MAX_Z else "MISMATCH"
        runs = ", ".join(f"{name} {t:.3f} s on {c:.2f} cores" for name, (t, c) in best.items())
        details.append(
            f"{case.name} ({case.replicates:,} replicates): {runs}\n"
            f"    {what}: numpy {m_np:.4f}, library {m_lib:.4f} ({z:.2f} SE apart, {status})"
        )
    print_ratio_table(table, details)
    print(footer(start))


if __name__ == "__main__":
    main()
