"""Throughput of modelcollapse's discrete engine against a strong pure-numpy baseline.

Run as ``python benches/bench_discrete.py [--quick] [--repeats N]``.

Cases (both under Replace, i.e. Wright-Fisher resampling: each generation's counts are
Multinomial(D, counts / D) of the previous generation's counts):

1. "run to total collapse": uniform weights over K = 100 atoms, D = 1,000 samples per generation,
   2,000 replicates, each run until one atom holds all the mass (``mc.collapse_times``). A
   replicate's cost grows with its collapse time T, whose standard deviation is about 0.55 E[T],
   so a run's work is its expected work only to about 1.2% (one standard error of its mean T):
   the details show each implementation's mean T beside the exact E[T]. (More replicates would
   shrink that, but they also make numpy's per-generation Python overhead a smaller share: at
   10,000 its rate rises by 5-8%.)
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
    exact: float | None = None  # the exact expectation of what `check` compares, if known


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


# --- the draw limit ---------------------------------------------------------------------------


def chain_draw_parameters(
    k: int, d: int, replicates: int, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """The conditional binomial draws a chain to total collapse needs, from numpy runs of case 1:
    every generation draws atoms in increasing order of count, Binomial(n_left, c / mass_left),
    except the last atom with items left (it takes the rest). Returns the draws per replicate
    and their (n_left, c, mass_left) as rows of a uint64 array."""
    counts = rng.multinomial(d, np.full(k, 1.0 / k), size=replicates)  # generation 1
    triples, draws, kept = [], 0, 0
    while True:
        counts = counts[counts.max(axis=1) < d]  # drop collapsed replicates
        if not counts.size:
            break
        counts = np.sort(counts, axis=1)
        counts = counts[:, counts.any(axis=0)]
        nxt = rng.multinomial(d, counts / d)
        # before atom i: items left n_left and mass left (atoms before i taken)
        n_left = d - np.cumsum(nxt, axis=1) + nxt
        mass_left = d - np.cumsum(counts, axis=1) + counts
        # a draw for every atom with mass that is not the last with mass, while items are left
        last = counts.shape[1] - 1
        drawn = (counts > 0) & (n_left > 0) & (np.arange(counts.shape[1]) < last)
        draws += int(drawn.sum())
        if kept < 2_000_000:  # enough to time; the count above covers every draw
            triples.append(np.stack([n_left[drawn], counts[drawn], mass_left[drawn]], axis=1))
            kept += len(triples[-1])
        counts = nxt
    return draws / replicates, np.concatenate(triples).astype(np.uint64)


def draw_limit(k: int, d: int, repeats: int) -> tuple[float, float, float]:
    """(draws per replicate, seconds per draw, the replicates per second per core that draws
    alone would allow) for case 1: the draws from `chain_draw_parameters`, each timed through
    the library's own sampler (the best of `repeats` passes over them)."""
    per_replicate, triples = chain_draw_parameters(k, d, 200, np.random.default_rng(1))
    n_left, mass, mass_left = (np.ascontiguousarray(triples[:, j]) for j in range(3))
    seconds, _ = best_of(
        {"draws": lambda: mc._core.conditional_binomials(n_left, mass, mass_left, (1, 2, 3, 4))},
        repeats,
    )["draws"]
    cost = seconds / len(triples)
    return per_replicate, cost, 1.0 / (per_replicate * cost)


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
    k, d = 100, 1000
    run_numpy, run_library, last = collapse_runs(k, d)

    def check() -> tuple[str, float, float, float]:
        return "mean collapse time", *compare(last["numpy"], last["library"])

    exact = mc.theory.expected_collapse_time(mc.Discrete(weights=np.ones(k), samples=d))
    return Case("1 run to total collapse", replicates, 6.0, run_numpy, run_library, check, exact)


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


def table_rows(case: Case, best: dict[str, tuple[float, float]], limit: float | None) -> list[str]:
    """The case's two ratio rows; the first also gives the throughputs, the library's
    replicates per second per core (2 threads) and the draw limit per core where known."""
    rate = {name: case.replicates / t for name, (t, _) in best.items()}
    per_core = rate["mc 2t"] / 2
    rows = [
        ("mc 2t / numpy", rate["mc 2t"] / rate["numpy"], case.target_vs_numpy),
        ("mc 2t / mc 1t", rate["mc 2t"] / rate["mc 1t"], TARGET_THREADS),
    ]
    lines = []
    for i, (label, ratio, target) in enumerate(rows):
        if i == 0:
            limit_text = f"{limit:>11,.0f}" if limit else f"{'-':>11}"
            head = (
                f"{case.name:<27}{rate['numpy']:>10,.0f}{rate['mc 1t']:>10,.0f}"
                f"{rate['mc 2t']:>10,.0f}{per_core:>10,.0f}{limit_text}"
            )
        else:
            head = " " * 78
        met = "yes" if ratio >= target else "NO"
        lines.append(f"{head}  {label:<14}{ratio:>6.2f}x{'>= ' + f'{target:.1f}x':>8}  {met}")
    return lines


def print_ratio_table(table: list[str], details: list[str]) -> None:
    """The throughput table (rows from `table_rows`) and the details under it."""
    print()
    print(
        f"{'':<27}{'numpy':>10}{'mc 1t':>10}{'mc 2t':>10}{'mc 2t':>10}{'draw limit':>11}"
        f"  {'ratio':<14}{'value':>7}{'target':>8}  met?"
    )
    print(f"{'case':<27}{'rep/s':>10}{'rep/s':>10}{'rep/s':>10}{'per core':>10}{'per core':>11}")
    print("\n".join(table))
    print()
    print("\n".join(details))
    print("(cores = CPU time / wall time; well under 2 for mc 2t means other processes competed)")
    print(
        "(draw limit: the replicates per second one core would reach if the chain cost nothing "
        "but its conditional binomial draws, k - 1 per generation with k atoms alive)"
    )


def main() -> None:
    quick, scale, repeats = quick_options(__doc__, 10)
    cases = [make_collapse_case(2000 // scale), make_simulate_case(200 // scale)]

    print(banner(repeats, quick))
    start = time.perf_counter()
    per_replicate, cost, limit = draw_limit(100, 1000, repeats)
    limits = {cases[0].name: limit}
    table, details = [], []
    for case in cases:
        best = measure(case, repeats)
        table += table_rows(case, best, limits.get(case.name))
        what, m_np, m_lib, z = case.check()
        status = "ok" if z < MAX_Z else "MISMATCH"
        runs = ", ".join(f"{name} {t:.3f} s on {c:.2f} cores" for name, (t, c) in best.items())
        details.append(
            f"{case.name} ({case.replicates:,} replicates): {runs}\n"
            f"    {what}: numpy {m_np:.4f}, library {m_lib:.4f} ({z:.2f} SE apart, {status})"
        )
        if case.exact is not None:
            off = ", ".join(
                f"{name} {m / case.exact - 1:+.2%}"
                for name, m in [("numpy", m_np), ("library", m_lib)]
            )
            details.append(f"    exact {case.exact:.4f}; the runs' means are off it by {off}")
    details.append(
        f"case 1 draw limit: {per_replicate:,.0f} conditional binomial draws per replicate "
        f"x {cost * 1e9:.1f} ns per draw = {limit:,.0f} replicates/s per core"
    )
    print_ratio_table(table, details)
    print(footer(start))


if __name__ == "__main__":
    main()
