"""Peak memory of long, wide runs: mc.sweep and mc.simulate at 10^6 replicates x 1000 iterations
recording strided or summary metrics, against a numpy loop doing the same.

Run as ``python benches/bench_memory.py [--quick] [--replicates R] [--iterations T]
[--cases a,b,...] [--threads N]``.

Requirement: a sweep of 10^6 replicates x 1000 iterations with ``stride`` or summary metrics stays
under 2 GB (2 * 10^9 bytes of resident memory, everything included).

Each case runs in a fresh child process (this script with ``--child CASE``), so its peak is its
own: the child's peak resident set size (RSS), ``VmHWM`` in /proc/self/status. The details
cross-check it against ``getrusage`` in the child and ``os.wait4`` in the parent (wait4 can read
a few MB higher for small runs: Linux carries the forking parent's RSS into the child's maximum).
RSS counts every page the process touched, whoever allocated it: Python objects, numpy buffers
and the Rust engine's output vectors (``mc.simulate`` hands them to numpy without a copy; the
details show how many of its result bytes Rust allocated, and that the peak exceeds the
import-only baseline by at least that much). The import-only case is the floor: the interpreter
with numpy, xarray, pandas, scipy and modelcollapse loaded.

The points are a one-dimensional Gaussian refit from n = 10 samples (``mc.Gaussian(0, 1, 10)``)
and a small discrete distribution (10 equal atoms, D = 100 per generation), both under Replace,
two of the cheapest settings per generation. ``stride`` defaults to iterations / 10 (100 at full
size), the summary stride to iterations (1000: the real distribution and the last generation
only); the summary metric is ``tail_mass``, which both settings record.

Cases:

* ``sweep-all``: ``mc.sweep`` over both points, every metric of each, at ``stride``. The
  Dataset has a variable for every metric of either setting (13), NaN where a point's setting
  lacks it.
* ``sweep-2gauss-all``: ``mc.sweep`` over two Gaussian points (n = 10 and 20), all 8 metrics,
  at ``stride``: the same result size per point, no NaN padding.
* ``sweep-one``: ``mc.sweep``, ``metrics=["tail_mass"]``, at ``stride``.
* ``sweep-summary``: ``mc.sweep``, ``metrics=["tail_mass"]``, at the summary stride.
* ``simulate-all``, ``simulate-summary``: the same two points via two plain ``mc.simulate``
  calls, both results kept (what sweep gathers).
* ``simulate-gauss``: ``mc.simulate`` of the Gaussian alone, ``w2sq_mean`` at ``stride``, the
  library side of the numpy comparison.
* ``numpy-samples``: what a careful researcher writes in numpy for the same loop: blocks of
  replicates, each run through all generations with preallocated buffers; every generation
  draws the n samples per replicate (``standard_normal(out=)``), scales and shifts them, and
  refits mean and unbiased variance; only the strided ``w2sq_mean = mu^2`` is kept.
* ``numpy-stats``: the stronger numpy loop from the fit's sufficient statistics (new mean
  ~ N(mu, s^2 / n), new variance ~ s^2 chi^2_{n-1} / (n - 1)): 2 draws instead of n.

"met?" is n/a where the result alone is larger than the budget (``sweep-all`` at full size: 13
metrics, 11 recorded iterations, 2 x 10^6 replicate rows); the requirement is about strided or
summary recording, which the other cases show. The "result MB" column is the bytes of the arrays
returned (NaN padding included), "extra MB" the peak minus the import-only peak minus the result:
what the run held beyond its answer.
Throughput is replicate-generations per second (points x replicates x iterations / wall time of
the run alone, imports excluded), one run per case; the library uses ``threads`` (default: all
cores), numpy one core. The cores column (CPU time / wall time) shows how busy each run kept the
machine. Sanity check: the fraction of replicates with final w2sq_mean < 1 must agree between
the library and each numpy loop within 4 standard errors (w2sq_mean itself is too heavy-tailed
for a test on its mean: the variance is a martingale with mean 1 that tends to 0).

At full size each case takes 25-120 s on 2 cores (7-10 minutes in all). Peak memory depends on
the number of recorded values, not on the iterations run: ``--iterations 10`` (stride 1, 11
recorded iterations) gives the full-size peaks in under two minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _harness import MAX_Z, cpu_seconds, footer

import modelcollapse as mc
from modelcollapse.settings._common import recorded_iterations

#: The requirement's budget for a whole process, in bytes (2 GB).
BUDGET = 2 * 10**9
MB = 10**6
#: Samples per generation of the Gaussian point.
N_GAUSS = 10
#: Threshold of the sanity check: final w2sq_mean below this.
CHECK_BELOW = 1.0
#: numpy loops run this many replicates at a time (the (block, n) sample buffer: 1.3 MB).
NUMPY_BLOCK = 16_384
SUMMARY_METRIC = "tail_mass"


@dataclass(frozen=True)
class Config:
    replicates: int
    iterations: int
    stride: int
    summary_stride: int
    threads: int | None


@dataclass(frozen=True)
class Outcome:
    """What a case's run returns: how many values were recorded, their bytes, and extras."""

    values: int
    nbytes: int
    points: int
    below: int = -1  # final w2sq_mean < CHECK_BELOW count (cases with a sanity check)
    rust_bytes: int = 0  # bytes of result buffers allocated by Rust (simulate cases)


@dataclass(frozen=True)
class Case:
    name: str
    stride: Callable[[Config], int]
    metrics: str
    run: Callable[[Config], Outcome]


# --- the library cases ------------------------------------------------------------------------


def gauss_point() -> mc.Point:
    return mc.Point(mc.Gaussian(0.0, 1.0, samples=N_GAUSS), mc.Replace(), {"setting": "gauss"})


def discrete_point() -> mc.Point:
    setting = mc.Discrete(weights=np.ones(10), samples=100)
    return mc.Point(setting, mc.Replace(), {"setting": "discrete"})


def points() -> list[mc.Point]:
    return [gauss_point(), discrete_point()]


def gauss_points() -> list[mc.Point]:
    wider = mc.Gaussian(0.0, 1.0, samples=2 * N_GAUSS)
    return [gauss_point(), mc.Point(wider, mc.Replace(), {"setting": "gauss20"})]


def run_sweep(selected, metrics: list[str] | None, stride: Callable[[Config], int]):
    def run(cfg: Config) -> Outcome:
        ds = mc.sweep(
            selected(),
            replicates=cfg.replicates,
            iterations=cfg.iterations,
            rng=0,
            metrics=metrics,
            stride=stride(cfg),
            threads=cfg.threads,
            progress=False,
        )
        arrays = [v.values for v in ds.data_vars.values()]
        return Outcome(sum(a.size for a in arrays), sum(a.nbytes for a in arrays), 2)

    return run


def base(a: np.ndarray) -> np.ndarray:
    """The array at the end of `a`'s chain of numpy bases (the one that owns or wraps the
    memory)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def rust_owned(a: np.ndarray) -> bool:
    """Whether `a`'s memory is a Rust vector handed over by rust-numpy without a copy."""
    return type(base(a).base).__name__ == "PySliceContainer"


def run_simulate(selected: list[mc.Point], metrics: list[str] | None, stride):
    def run(cfg: Config) -> Outcome:
        runs = [
            mc.simulate(
                p.setting,
                p.paradigm,
                iterations=cfg.iterations,
                replicates=cfg.replicates,
                rng=0,
                metrics=metrics,
                stride=stride(cfg),
                threads=cfg.threads,
                progress=False,
            ).metrics
            for p in selected
        ]
        arrays = [v.values for ds in runs for v in ds.data_vars.values()]
        # the buffers behind the arrays: the kernels' outputs (one per run, Rust-owned) and any
        # copies (Discrete's support_size column is converted to int64 by numpy)
        buffers = {id(base(a)): base(a) for a in arrays}.values()
        below = -1
        if metrics == ["w2sq_mean"]:
            below = int(np.count_nonzero(runs[0]["w2sq_mean"].values[:, -1] < CHECK_BELOW))
        return Outcome(
            values=sum(a.size for a in arrays),
            nbytes=sum(b.nbytes for b in buffers),
            points=len(selected),
            below=below,
            rust_bytes=sum(b.nbytes for b in buffers if rust_owned(b)),
        )

    return run


# --- the numpy baselines ----------------------------------------------------------------------


def numpy_gauss(cfg: Config, samples: bool) -> np.ndarray:
    """w2sq_mean (replicate, recorded iteration) of 1-D Gaussian refits from N(0, 1), n samples
    per generation, under Replace: refit from the samples, or from the sufficient statistics."""
    n, t_max, stride = N_GAUSS, cfg.iterations, stride_of(cfg)
    slot = {int(t): j for j, t in enumerate(recorded_iterations(t_max, stride))}
    out = np.empty((cfg.replicates, len(slot)))  # the iterations mc.simulate records
    out[:, 0] = 0.0  # iteration 0: the real distribution
    rng = np.random.default_rng(1)
    row_mean = np.full((n, 1), 1.0 / n)  # x @ row_mean: the row means (faster than x.mean(1))
    for start in range(0, cfg.replicates, NUMPY_BLOCK):
        b = min(NUMPY_BLOCK, cfg.replicates - start)
        rows = slice(start, start + b)
        mean, sd = np.zeros((b, 1)), np.ones((b, 1))  # the model: N(mean, sd^2)
        if samples:
            x, var = np.empty((b, n)), np.empty(b)
        else:
            z, g = np.empty((b, 1)), np.empty((b, 1))
        for t in range(1, t_max + 1):
            if samples:
                rng.standard_normal(out=x)
                x *= sd
                x += mean  # the n samples from the current model
                np.matmul(x, row_mean, out=mean)  # their mean
                x -= mean
                np.einsum("ij,ij->i", x, x, out=var)  # scatter
                var *= 1.0 / (n - 1)  # unbiased variance
                np.sqrt(var, out=sd[:, 0])
            else:
                rng.standard_normal(out=z)
                z *= sd
                z *= 1.0 / math.sqrt(n)
                mean += z  # sample mean ~ N(mean, sd^2 / n)
                rng.standard_gamma(0.5 * (n - 1), out=g)  # chi^2_{n-1} / 2
                g *= 2.0 / (n - 1)
                np.sqrt(g, out=g)
                sd *= g  # unbiased variance ~ sd^2 chi^2_{n-1} / (n - 1)
            if t in slot:
                np.square(mean[:, 0], out=out[rows, slot[t]])
    return out


def run_numpy(samples: bool):
    def run(cfg: Config) -> Outcome:
        out = numpy_gauss(cfg, samples)
        below = int(np.count_nonzero(out[:, -1] < CHECK_BELOW))
        return Outcome(out.size, out.nbytes, 1, below)

    return run


def run_import(cfg: Config) -> Outcome:
    return Outcome(0, 0, 0)


# --- the cases --------------------------------------------------------------------------------


def stride_of(cfg: Config) -> int:
    return cfg.stride


def summary_of(cfg: Config) -> int:
    return cfg.summary_stride


def no_stride(cfg: Config) -> int:
    return 0


ONE = [SUMMARY_METRIC]
CASES = [
    Case("import", no_stride, "-", run_import),
    Case("sweep-all", stride_of, "all", run_sweep(points, None, stride_of)),
    Case("sweep-2gauss-all", stride_of, "all", run_sweep(gauss_points, None, stride_of)),
    Case("sweep-one", stride_of, SUMMARY_METRIC, run_sweep(points, ONE, stride_of)),
    Case("sweep-summary", summary_of, SUMMARY_METRIC, run_sweep(points, ONE, summary_of)),
    Case("simulate-all", stride_of, "all", run_simulate(points(), None, stride_of)),
    Case("simulate-summary", summary_of, SUMMARY_METRIC, run_simulate(points(), ONE, summary_of)),
    Case(
        "simulate-gauss",
        stride_of,
        "w2sq_mean",
        run_simulate([gauss_point()], ["w2sq_mean"], stride_of),
    ),
    Case("numpy-samples", stride_of, "w2sq_mean", run_numpy(samples=True)),
    Case("numpy-stats", stride_of, "w2sq_mean", run_numpy(samples=False)),
]
BY_NAME = {case.name: case for case in CASES}


# --- the child: one case, measured ------------------------------------------------------------


def vm_hwm() -> int:
    """This process's peak resident set size in bytes (VmHWM), or -1 where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def child(name: str, cfg: Config) -> None:
    """Run one case and print one JSON line: its outcome, wall and CPU seconds, peak RSS."""
    cpu, start = cpu_seconds(), time.perf_counter()
    outcome = BY_NAME[name].run(cfg)
    wall = time.perf_counter() - start
    cores = (cpu_seconds() - cpu) / wall if wall > 0 else 0.0
    report = {
        **outcome.__dict__,
        "wall": wall,
        "cores": cores,
        "vm_hwm": vm_hwm(),
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # kB on Linux
    }
    print(json.dumps(report))


# --- the parent: one child per case, a table --------------------------------------------------


def run_child(name: str, cfg: Config) -> dict:
    """Run case `name` in a fresh interpreter; its report plus the kernel's peak RSS for it."""
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        name,
        "--replicates",
        str(cfg.replicates),
        "--iterations",
        str(cfg.iterations),
        "--stride",
        str(cfg.stride),
        "--summary-stride",
        str(cfg.summary_stride),
    ]
    if cfg.threads is not None:
        cmd += ["--threads", str(cfg.threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, as a cross-check
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode != 0:
        return {"error": f"exit status {proc.returncode}", "wait4": usage.ru_maxrss * 1024}
    report = json.loads(out.strip().splitlines()[-1])
    report["wait4"] = usage.ru_maxrss * 1024  # kB on Linux
    report["peak"] = report["vm_hwm"] if report["vm_hwm"] > 0 else report["wait4"]
    return report


def proportion_z(a: int, b: int, n: int) -> tuple[float, float, float]:
    """Proportions a/n and b/n and their difference in standard errors."""
    pa, pb = a / n, b / n
    se = math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n)
    return pa, pb, abs(pa - pb) / se if se > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 replicates x 100 iterations")
    parser.add_argument("--replicates", type=int, default=None, help="default 10^6 (quick 10^5)")
    parser.add_argument("--iterations", type=int, default=None, help="default 1000 (quick 100)")
    parser.add_argument("--stride", type=int, default=None, help="default iterations / 10")
    parser.add_argument(
        "--summary-stride", type=int, default=None, help="default iterations (first and last)"
    )
    parser.add_argument("--threads", type=int, default=None, help="library threads (all cores)")
    parser.add_argument(
        "--cases", default=",".join(BY_NAME), help=f"comma-separated, of: {', '.join(BY_NAME)}"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    replicates = args.replicates or (10**5 if args.quick else 10**6)
    iterations = args.iterations or (100 if args.quick else 1000)
    cfg = Config(
        replicates,
        iterations,
        args.stride or max(iterations // 10, 1),
        args.summary_stride or max(iterations, 1),
        args.threads,
    )
    if args.child is not None:
        child(args.child, cfg)
        return
    names = [s.strip() for s in args.cases.split(",") if s.strip()]
    unknown = [s for s in names if s not in BY_NAME]
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(BY_NAME)}")

    print(
        f"modelcollapse {mc.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"library threads {cfg.threads or 'all'}, load average {os.getloadavg()[0]:.2f}; "
        f"{cfg.replicates:,} replicates x {cfg.iterations:,} iterations, budget "
        f"{BUDGET / MB:,.0f} MB" + (" (quick)" if args.quick else "")
    )
    start = time.perf_counter()
    reports = {}
    for name in names:
        reports[name] = run_child(name, cfg)
        print(f"  {name}: done in {time.perf_counter() - start:.0f} s", file=sys.stderr)

    floor = reports.get("import", {}).get("peak")
    print()
    print(
        f"{'case':<18}{'points':>7}{'replicates':>11}{'iters':>7}{'stride':>7}  {'metrics':<10}"
        f"{'recorded':>14}{'result MB':>10}{'wall s':>8}{'cores':>6}{'rep-gen/s':>11}"
        f"{'peak MB':>9}{'extra MB':>9}{'budget':>8}  met?"
    )
    details = []
    for name in names:
        case, r = BY_NAME[name], reports[name]
        stride = case.stride(cfg)
        head = f"{name:<18}"
        if "error" in r:
            print(f"{head}{r['error']} (peak {r['wait4'] / MB:,.0f} MB)")
            continue
        gens = r["points"] * cfg.replicates * cfg.iterations
        rate = f"{gens / r['wall']:>11.3g}" if gens else f"{'-':>11}"
        # a result larger than the budget cannot fit in it, whatever the sweep does
        met = "yes" if r["peak"] <= BUDGET else "n/a" if r["nbytes"] > BUDGET else "NO"
        # beyond the interpreter and its imports, and the result itself
        extra = f"{(r['peak'] - floor - r['nbytes']) / MB:>9,.0f}" if floor else f"{'-':>9}"
        print(
            f"{head}{r['points']:>7}{cfg.replicates if gens else 0:>11,}"
            f"{cfg.iterations if gens else 0:>7,}{stride or '-':>7}  {case.metrics:<10}"
            f"{r['values']:>14,}{r['nbytes'] / MB:>10,.0f}{r['wall']:>8.1f}{r['cores']:>6.2f}"
            f"{rate}{r['peak'] / MB:>9,.0f}{extra}{BUDGET / MB:>8,.0f}  {met}"
        )
        details.append(
            f"{name}: peak RSS (VmHWM) {r['vm_hwm'] / MB:,.1f} MB, child's ru_maxrss "
            f"{r['ru_maxrss'] / MB:,.1f} MB, wait4 {r['wait4'] / MB:,.1f} MB"
        )
    print()
    print("\n".join(details))
    if floor is not None:
        for name in names:
            r = reports[name]
            if r.get("rust_bytes"):
                print(
                    f"{name}: {r['rust_bytes'] / MB:,.0f} MB of its {r['nbytes'] / MB:,.0f} MB "
                    f"of results were allocated by Rust; peak - import-only = "
                    f"{(r['peak'] - floor) / MB:,.0f} MB"
                )
    lib = reports.get("simulate-gauss")
    if lib is not None and "error" not in lib:
        for name in ("numpy-samples", "numpy-stats"):
            r = reports.get(name)
            if r is None or "error" in r:
                continue
            ratio = r["wall"] / lib["wall"]
            pa, pb, z = proportion_z(lib["below"], r["below"], cfg.replicates)
            ok = "ok" if z < MAX_Z else "MISMATCH"
            print(
                f"simulate-gauss / {name}: {ratio:.2f}x the throughput, "
                f"{lib['peak'] / r['peak']:.2f}x the peak RSS; P(final w2sq_mean < "
                f"{CHECK_BELOW:g}) library {pa:.4f}, numpy {pb:.4f} ({z:.2f} SE apart, {ok})"
            )
    print(footer(start))


if __name__ == "__main__":
    main()
