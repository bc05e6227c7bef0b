"""Cost of running a researcher's own model (`mc.Model`) through the library, and its speed-up
from worker processes.

Run as ``python benches/bench_model.py [--quick] [--repeats N]``.

1. Library overhead per generation for a trivial model: a 1-D Gaussian refit (fit: the mean
   and standard deviation of the rows; sample: ``rng.normal``), 20 rows a generation, one metric
   (the model's variance), 100 generations, under Replace and under Accumulate, with
   ``workers=1`` (in this process). The baseline is the same loop written by hand in numpy in
   this process: per replicate, draw the real rows, fit, then each generation sample (and, under
   Accumulate, append to a preallocated pool), fit and write the metric into a preallocated
   array. The hand loop draws from the same per-replicate streams as the library, so the two
   must give identical numbers. Throughput is generations per second (replicates x generations
   / wall time); the target is the library at no less than half the hand loop's throughput
   (hand/mc <= 2).
2. Worker speed-up: the same Gaussian refit made to cost about 1 ms of CPU per fit (a busy loop
   of small numpy operations, calibrated at start-up; not time.sleep, which would not measure
   CPU parallelism), run with ``workers=1`` and ``workers=2``. Throughput is replicates per
   second; the timing of ``workers=2`` includes starting the run's worker pool, but a tiny
   warm-up run first starts the forkserver. Target: 2 workers >= 1.7x 1 worker, with identical
   numbers.

Each measurement is the best of ``--repeats`` interleaved rounds (time.perf_counter) after a
warm-up. Everything at the top level is under ``if __name__ == "__main__":`` because worker
processes import this script; the model's functions are module-level functions.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import banner, best_of, footer, quick_options, timed

import modelcollapse as mc
from modelcollapse._rng import root_key

#: Rows a generation (real rows too).
N = 20
#: Generations per replicate in case 1 (iterations 0..T are recorded).
T_OVERHEAD = 100
#: Generations per replicate in case 2.
T_WORKERS = 20
#: CPU time one fit costs in case 2.
FIT_SECONDS = 1e-3
#: Required: hand loop throughput / library throughput at most this (case 1).
TARGET_OVERHEAD = 2.0
#: Required: 2 workers' throughput / 1 worker's at least this (case 2).
TARGET_WORKERS = 1.7
#: The run's seed (library and hand loop).
SEED = 0


# --- the model: module-level functions (worker processes import this script) ---------------


def draw_real(rng: np.random.Generator) -> np.ndarray:
    """The real rows: N draws from the standard normal, drawn once per replicate."""
    return rng.normal(size=N)


def fit_gaussian(data: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    return data.mean(), data.std()


def sample_gaussian(model: tuple[float, float], n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(model[0], model[1], n)


def variance(model: tuple[float, float], context: Any) -> float:
    return model[1] * model[1]


def busy(work: np.ndarray, passes: int) -> None:
    """About `passes` times a few microseconds of single-threaded numpy work (no BLAS)."""
    for _ in range(passes):
        np.sin(work, out=work)


def fit_costly(data: np.ndarray, rng: np.random.Generator, passes: int) -> tuple[float, float]:
    """The Gaussian fit after `passes` passes of busy work (its result is not used)."""
    busy(np.full(256, 0.5), passes)
    return data.mean(), data.std()


def gaussian_model(fit: Callable[[np.ndarray, np.random.Generator], Any]) -> mc.Model:
    # the roles must name a risk; this benchmark only reads the metric
    return mc.Model(
        fit,
        sample_gaussian,
        real=draw_real,
        samples=N,
        metrics={"var": variance},
        roles={"risk": "var", "diversity": "var"},
    )


# --- the hand-written numpy loops -------------------------------------------------------------


def replicate_rng(words: tuple[int, ...], r: int) -> np.random.Generator:
    """Replicate r's stream, as the library makes it (so the numbers can be compared exactly)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words, spawn_key=(r, 0))))


def hand_replace(iterations: int, replicates: int, words: tuple[int, ...]) -> np.ndarray:
    """The variance per (replicate, iteration 0..iterations) under Replace."""
    out = np.empty((replicates, iterations + 1))
    for r in range(replicates):
        rng = replicate_rng(words, r)
        data = rng.normal(size=N)
        mu, sigma = data.mean(), data.std()
        out[r, 0] = out[r, 1] = sigma * sigma  # iteration 0: generation 1's model (no truth)
        for t in range(2, iterations + 1):
            data = rng.normal(mu, sigma, N)
            mu, sigma = data.mean(), data.std()
            out[r, t] = sigma * sigma
    return out


def hand_accumulate(iterations: int, replicates: int, words: tuple[int, ...]) -> np.ndarray:
    """The variance per (replicate, iteration 0..iterations) under Accumulate: a preallocated
    pool of every row so far, N more a generation."""
    out = np.empty((replicates, iterations + 1))
    pool = np.empty(N * max(iterations, 1))
    for r in range(replicates):
        rng = replicate_rng(words, r)
        pool[:N] = rng.normal(size=N)
        size = N
        mu, sigma = pool[:N].mean(), pool[:N].std()
        out[r, 0] = out[r, 1] = sigma * sigma
        for t in range(2, iterations + 1):
            pool[size : size + N] = rng.normal(mu, sigma, N)
            size += N
            rows = pool[:size]
            mu, sigma = rows.mean(), rows.std()
            out[r, t] = sigma * sigma
    return out


def library_run(
    model: mc.Model, paradigm: Any, iterations: int, replicates: int, workers: int
) -> np.ndarray:
    run = mc.simulate(
        model,
        paradigm,
        iterations=iterations,
        replicates=replicates,
        rng=SEED,
        workers=workers,
        progress=False,
    )
    return np.asarray(run.metrics["var"].values)


# --- measuring --------------------------------------------------------------------------------


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used (Linux /proc/stat; NaN elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return math.nan
    busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def machine_timed(f: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock seconds of f() and the CPU cores busy on the whole machine meanwhile."""
    machine = machine_cpu_seconds()
    wall, _ = timed(f)
    return wall, (machine_cpu_seconds() - machine) / wall


def calibrate_passes() -> tuple[int, float]:
    """Passes of `busy` that make one `fit_costly` cost about FIT_SECONDS, and the time one fit
    then takes (best of a few tries, CPU time of this process)."""
    data = np.zeros(N)

    def per_fit(passes: int, fits: int = 20) -> float:
        best = math.inf
        for _ in range(3):
            start = time.process_time()
            for _ in range(fits):
                fit_costly(data, None, passes)  # type: ignore[arg-type]
            best = min(best, (time.process_time() - start) / fits)
        return best

    passes = 200
    for _ in range(2):  # the cost is nearly linear in the passes: two steps suffice
        passes = max(1, round(passes * FIT_SECONDS / per_fit(passes)))
    return passes, per_fit(passes)


# --- the cases --------------------------------------------------------------------------------


def overhead_case(label: str, paradigm: Any, hand: Callable, replicates: int, repeats: int):
    """Case 1 under one paradigm: (table row, detail line)."""
    words = root_key(SEED).words
    model = gaussian_model(fit_gaussian)
    last: dict[str, np.ndarray] = {}
    warm = max(replicates // 10, 2)
    hand(T_OVERHEAD, warm, words)
    library_run(model, paradigm, T_OVERHEAD, warm, 1)
    best = best_of(
        {
            "hand": lambda: last.__setitem__("hand", hand(T_OVERHEAD, replicates, words)),
            "mc": lambda: last.__setitem__(
                "mc", library_run(model, paradigm, T_OVERHEAD, replicates, 1)
            ),
        },
        repeats,
        machine_timed,
    )
    generations = replicates * T_OVERHEAD
    rate = {name: generations / t for name, (t, _) in best.items()}
    us = {name: 1e6 / r for name, r in rate.items()}
    ratio = rate["hand"] / rate["mc"]
    met = "yes" if ratio <= TARGET_OVERHEAD else "NO"
    row = (
        f"{'1 gaussian ' + label:<26}{'gen/s':>6}{rate['hand']:>12,.0f}{rate['mc']:>12,.0f}"
        f"{us['mc']:>10.2f}  {'hand / mc':<12}{ratio:>7.2f}x{'<= ' + f'{TARGET_OVERHEAD:.1f}x':>9}"
        f"  {met}"
    )
    same = np.array_equal(last["hand"], last["mc"])
    detail = (
        f"1 gaussian {label} ({replicates:,} replicates x {T_OVERHEAD} generations, workers=1): "
        f"hand {us['hand']:.2f} us/gen, library {us['mc']:.2f} us/gen, overhead "
        f"{us['mc'] - us['hand']:.2f} us/gen; identical numbers: {same}"
    )
    return row, detail


def workers_case(replicates: int, repeats: int):
    """Case 2: (table row, detail lines)."""
    passes, fit_time = calibrate_passes()
    model = gaussian_model(functools.partial(fit_costly, passes=passes))
    # Warm-up: a tiny run on 2 workers starts the forkserver (which preloads the library), so
    # the timed runs pay for starting their own worker pool but not for the forkserver.
    library_run(model, mc.Replace(), 1, 2, 2)
    library_run(model, mc.Replace(), 1, 2, 1)
    last: dict[str, np.ndarray] = {}
    best = best_of(
        {
            f"{w}w": functools.partial(
                lambda w: last.__setitem__(
                    f"{w}w", library_run(model, mc.Replace(), T_WORKERS, replicates, w)
                ),
                w,
            )
            for w in (1, 2)
        },
        repeats,
        machine_timed,
    )
    rate = {name: replicates / t for name, (t, _) in best.items()}
    us = 1e6 / (rate["1w"] * T_WORKERS)
    ratio = rate["2w"] / rate["1w"]
    met = "yes" if ratio >= TARGET_WORKERS else "NO"
    row = (
        f"{'2 1 ms fit, 1 vs 2 workers':<26}{'rep/s':>6}{rate['1w']:>12,.2f}{rate['2w']:>12,.2f}"
        f"{us:>10.1f}  {'2w / 1w':<12}{ratio:>7.2f}x{'>= ' + f'{TARGET_WORKERS:.1f}x':>9}  {met}"
    )
    same = np.array_equal(last["1w"], last["2w"])
    details = [
        f"2 1 ms fit ({replicates:,} replicates x {T_WORKERS} generations): {passes} passes of "
        f"busy work per fit, {fit_time * 1e3:.3f} ms CPU per fit",
        f"    workers=1 {best['1w'][0]:.2f} s with {best['1w'][1]:.2f} cores busy machine-wide, "
        f"workers=2 {best['2w'][0]:.2f} s with {best['2w'][1]:.2f} (including the pool's "
        "start-up); well over 1 for workers=1 means other processes competed",
        f"    identical numbers with 1 and 2 workers (np.array_equal): {same}",
    ]
    return row, details


def main() -> None:
    quick, scale, repeats = quick_options(__doc__, 5)
    print(banner(repeats, quick))
    start = time.perf_counter()
    table, details = [], []
    for label, paradigm, hand, reps in (
        ("replace", mc.Replace(), hand_replace, 1000),
        ("accumulate", mc.Accumulate(), hand_accumulate, 600),
    ):
        row, detail = overhead_case(label, paradigm, hand, reps // scale, repeats)
        table.append(row)
        details.append(detail)
    # A run on 2 workers sends 16 near-equal chunks, 8 to each worker: 160 replicates make them
    # exactly equal (any count gives chunks that differ by at most one replicate).
    row, lines = workers_case(160 // scale, min(repeats, 2))
    table.append(row)
    details += lines
    print()
    print(
        f"{'case':<26}{'unit':>6}{'base':>12}{'mc':>12}{'us/gen':>10}  {'ratio':<12}"
        f"{'value':>8}{'target':>9}  met?"
    )
    print("\n".join(table))
    print()
    print("\n".join(details))
    print(
        "(case 1: base = hand-written numpy loop, mc = library with workers=1, us/gen = the "
        "library's;\n case 2: base = workers=1, mc = workers=2, us/gen = workers=1 time per "
        "replicate and generation)"
    )
    print(footer(start))


if __name__ == "__main__":
    main()
