"""Helpers shared by the benches: timing (wall clock and the CPU cores kept busy), the best of
interleaved rounds, comparing two samples' means in standard errors, the ``--quick`` and
``--repeats`` options, and the first and last lines of a bench's output.

The benches import it as ``from _harness import ...``: ``python benches/X.py`` puts ``benches/``
on ``sys.path`` by itself.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

import numpy as np

import modelcollapse as mc

#: Sanity checks pass when the two means (or proportions) differ by less than this many standard
#: errors.
MAX_Z = 4.0


# --- timing -------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User plus system CPU time of this process, all threads (not its child or worker
    processes)."""
    t = os.times()
    return t.user + t.system


def timed(f: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock seconds of f() and the CPU cores this process kept busy on average (CPU time /
    wall)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    f()
    wall = time.perf_counter() - start
    return wall, (cpu_seconds() - cpu) / wall


def best_of(
    runs: dict[str, Callable[[], object]],
    repeats: int,
    timer: Callable[[Callable[[], object]], tuple[float, float]] = timed,
) -> dict[str, tuple[float, float]]:
    """Best (wall seconds, cores busy) of each run over `repeats` interleaved rounds (so that a
    burst of load hits every run alike), each run measured by `timer`."""
    best = dict.fromkeys(runs, (math.inf, math.nan))
    for _ in range(repeats):
        for name, run in runs.items():
            best[name] = min(best[name], timer(run))
    return best


# --- sanity checks ------------------------------------------------------------------------------


def mean_and_se(x: np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error."""
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def compare(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Means of a and b and their difference in standard errors."""
    (ma, sa), (mb, sb) = mean_and_se(a), mean_and_se(b)
    return ma, mb, abs(ma - mb) / math.hypot(sa, sb)


# --- options and output -------------------------------------------------------------------------


def quick_options(doc: str, scale: int) -> tuple[bool, int, int]:
    """Parse a timing bench's options, ``--quick`` (1/`scale` of the replicates, 1 round) and
    ``--repeats N``: (quick, the divisor of the replicate counts, rounds)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"1/{scale} of the replicates, 1 round"
    )
    parser.add_argument("--repeats", type=int, default=None, help="rounds (default 3, quick 1)")
    args = parser.parse_args()
    return args.quick, scale if args.quick else 1, args.repeats or (1 if args.quick else 3)


def banner(repeats: int, quick: bool) -> str:
    """A timing bench's first line: versions, cores, rounds and the load average."""
    return (
        f"modelcollapse {mc.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"best of {repeats}, load average {os.getloadavg()[0]:.2f}" + (" (quick)" if quick else "")
    )


def footer(start: float, now: bool = True) -> str:
    """A bench's last line: the seconds since `start` (a time.perf_counter()) and the load
    average ("load average now" unless `now` is false)."""
    load = "load average now" if now else "load average"
    return f"\ntotal {time.perf_counter() - start:.1f} s, {load} {os.getloadavg()[0]:.2f}"
