"""The `modelcollapse` command line. `modelcollapse reproduce --out DIR` rebuilds the paper's
figures and Table 1, the Gaussian W2 decomposition and the collapse atlas, with a report;
`modelcollapse demo` runs a short, self-checking tour of the discrete engine; `modelcollapse
figure4 --out DIR` draws Figure 4 alone; `modelcollapse profile RUNS.csv --risk COLUMN` profiles
runs logged elsewhere under the eight definitions."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .definitions import NAMES
from .paradigms import Accumulate, Replace
from .settings import Discrete
from .simulate import collapse_times, simulate


def demo(replicates: int, rng: int) -> None:
    """Shumailov's histogram (Sec. 4.4): 10 equally likely atoms, 100 samples per generation."""
    setting = Discrete(weights=np.full(10, 0.1), samples=100)
    print(f"modelcollapse {__version__} demo: {setting}, {replicates:,} replicates, rng={rng}")
    start = time.perf_counter()
    for paradigm in (Replace(), Accumulate()):
        run = simulate(setting, paradigm, iterations=400, replicates=replicates, rng=rng)
        m = run.metrics.mean("replicate")
        print(f"\n{paradigm}: mean over replicates")
        header = ("iteration", 9), ("entropy", 8), ("support", 8), ("gini_simpson", 12)
        print(" ".join(f"{name:>{width}}" for name, width in (*header, ("tv_to_real", 10))))
        for t in (0, 1, 10, 50, 100, 200, 400):
            row = m.sel(iteration=t)
            print(
                f"{t:>9} {float(row.entropy):>8.3f} {float(row.support_size):>8.2f} "
                f"{float(row.gini_simpson):>12.4f} {float(row.tv_to_real):>10.3f}"
            )
    gs0 = 1 - np.sum(setting.weights**2)
    print(
        f"\ntheory under Replace: E[gini_simpson_t] = {gs0:.2f} (1 - 1/D)^t, "
        f"{gs0 * (1 - 1 / setting.samples) ** 100:.4f} at t = 100"
    )
    times = collapse_times(setting, replicates=replicates, rng=rng)
    q = times.quantile([0.1, 0.5, 0.9])
    spread = (
        f"+/- {times.sem():.1f} (SE)" if len(times) > 1 else "(one replicate, so no standard error)"
    )
    print(
        f"collapse time under Replace: mean {times.mean():.1f} {spread}, "
        f"10/50/90% quantiles {q[0]:.0f} / {q[1]:.0f} / {q[2]:.0f} generations"
    )
    print(f"\nfinished in {time.perf_counter() - start:.1f} s")


def figure4(out: Path, quick: bool) -> None:
    """Figure 4 (timescales of collapse) and its Zipf companion, as PNG and SVG in `out`."""
    from . import plotting, theory

    start = time.perf_counter()
    if quick:
        fig = plotting.timescales(ds=(10, 30, 100, 300), replicates=30, d_entropy=50)
        zipf = plotting.zipf_survival(atoms=1000, simulate_iterations=200, replicates=2)
    else:
        fig = plotting.timescales()
        zipf = plotting.zipf_survival()
    written = plotting.save(fig, out / "figure4") + plotting.save(zipf, out / "figure4_zipf")
    for path in written:
        print(f"wrote {path}")
    d = 1000
    uniform = [(k, theory.expected_collapse_time(Discrete(weights=np.ones(k), samples=d)))
               for k in (2, 6, 60, 1000)]  # fmt: skip
    print(f"\nexact E[T] at D = {d}, uniform over K atoms (paper: D*H[p0] = D ln K):")
    for k, e in uniform:
        print(f"  K = {k:>4}: E[T] = {e:8.1f}   D ln K = {d * np.log(k):8.1f}   2D = {2 * d}")
    print(f"finished in {time.perf_counter() - start:.1f} s")


def profile_logged(args: argparse.Namespace) -> None:
    """Read a log, print its profile, and write table.csv, details.csv and profile.png."""
    from ._profile import profile_runs
    from .logged import read_runs

    roles: dict[str, object] = {"risk": args.risk}
    for role in ("excess_risk", "diversity", "tail_mass", "real_tail_mass"):
        if getattr(args, role) is not None:
            roles[role] = getattr(args, role)
    runs = read_runs(
        args.runs,
        roles=roles,
        iteration=args.iteration,
        replicate=args.replicate,
        paradigm=args.paradigm,
        size=args.size,
    )
    result = profile_runs(runs)
    table = result.table().rename(index=lambda i: f"{i}. {NAMES[i]}")
    print(f"model collapse profile of {args.runs}:")
    print(table.to_string())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        result.table().to_csv(args.out / "table.csv")
        result.details().to_csv(args.out / "details.csv", index=False)
        fig = result.plot().figure
        fig.savefig(args.out / "profile.png", dpi=150)
        for name in ("table.csv", "details.csv", "profile.png"):
            print(f"wrote {args.out / name}")


#: Most replicates `demo` runs (its runs hold 401 iterations of 4 metrics per replicate).
MAX_DEMO_REPLICATES = 10**6


def _integer(text: str, minimum: int, maximum: int | None, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
    return value


def _replicates(text: str) -> int:
    """--replicates: a count of at least 1 (argparse names the option in its message)."""
    return _integer(text, 1, MAX_DEMO_REPLICATES, f"a count in 1..{MAX_DEMO_REPLICATES:,}")


def _seed(text: str) -> int:
    """--rng, --seed: a non-negative integer seed."""
    return _integer(text, 0, None, "a non-negative integer seed")


def _folder(text: str) -> Path:
    """--out: a folder path (an empty string is refused rather than meaning the current one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "must name a folder, got an empty string (use . for the current folder)"
        )
    return Path(text)


def _output_folder(parser: argparse.ArgumentParser, out: Path) -> None:
    """Make sure `out` is a folder that can be written into, before any work is done; a
    parser error naming --out otherwise."""
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        parser.error(f"argument --out: cannot create the folder {out}: {err.strerror or err}")
    if not os.access(out, os.W_OK | os.X_OK):
        parser.error(f"argument --out: cannot write into the folder {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `modelcollapse` command. Bad input ends with argparse's one-line
    ``modelcollapse COMMAND: error: ...`` (after the usage line) and exit status 2."""
    parser = argparse.ArgumentParser(prog="modelcollapse", description=__doc__)
    parser.add_argument("--version", action="version", version=f"modelcollapse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="a short tour of the discrete engine")
    demo_parser.add_argument(
        "--replicates", type=_replicates, default=2000, help="replicates (default 2000)"
    )
    demo_parser.add_argument("--rng", type=_seed, default=0, help="the seed (default 0)")
    fig_parser = commands.add_parser(
        "figure4", help="Figure 4 (timescales of collapse) with exact theory, PNG and SVG"
    )
    fig_parser.add_argument("--out", type=_folder, required=True, help="output directory")
    fig_parser.add_argument("--quick", action="store_true", help="smaller grids, a few seconds")
    rep_parser = commands.add_parser(
        "reproduce", help="the paper's figures, Table 1, the collapse atlas and report.md"
    )
    rep_parser.add_argument("--out", type=_folder, required=True, help="output directory")
    rep_parser.add_argument("--quick", action="store_true", help="small runs, under a minute")
    rep_parser.add_argument("--seed", type=_seed, default=0, help="the root seed (default 0)")
    rep_parser.add_argument("--force", action="store_true", help="write into a non-empty --out")
    prof = commands.add_parser(
        "profile",
        help="the eight definitions on runs logged elsewhere (a CSV or Parquet file)",
        description="Profile logged runs: one row per (replicate, iteration[, paradigm][, size]) "
        "with metric columns; iteration 1 is the model trained on real data only.",
    )
    prof.add_argument("runs", type=Path, help="RUNS.csv or RUNS.parquet")
    prof.add_argument("--risk", required=True, help="column: population risk, lower is better")
    prof.add_argument("--excess-risk", help="column: the risk above its floor (Definition 5)")
    prof.add_argument("--diversity", help="column: the model's diversity (Definition 4)")
    prof.add_argument("--tail-mass", help="column: model mass on the real tails (Definition 7)")
    prof.add_argument(
        "--real-tail-mass", type=float, help="the real mass on those tails (with --tail-mass)"
    )
    prof.add_argument("--size", help="column: training-set size (Definition 5)")
    prof.add_argument("--paradigm", help="column: paradigm label (one profile column each)")
    prof.add_argument("--replicate", default="replicate", help="column: replicate (seed)")
    prof.add_argument("--iteration", default="iteration", help="column: generation (1 = real only)")
    prof.add_argument("--out", type=_folder, help="write table.csv, details.csv, profile.png here")
    args = parser.parse_args(argv)
    if args.command == "profile":
        if args.out is not None:
            _output_folder(prof, args.out)
        try:
            profile_logged(args)
        except (ValueError, TypeError, FileNotFoundError) as err:
            prof.error(str(err))
    elif args.command == "reproduce":
        from .reproduce import reproduce

        if args.out.exists() and not args.out.is_dir():
            rep_parser.error(f"argument --out: {args.out} is a file, not a folder")
        _output_folder(rep_parser, args.out)
        try:
            written = reproduce(args.out, quick=args.quick, seed=args.seed, force=args.force)
        except FileExistsError as err:
            rep_parser.error(f"argument --out: {err}")
        except OSError as err:
            rep_parser.error(f"cannot write {err.filename or args.out}: {err.strerror or err}")
        print(f"wrote {len(written)} files to {args.out}")
    elif args.command == "demo":
        try:
            demo(args.replicates, args.rng)
        except ValueError as err:
            demo_parser.error(str(err))
    elif args.command == "figure4":
        _output_folder(fig_parser, args.out)
        try:
            figure4(args.out, args.quick)
        except OSError as err:
            fig_parser.error(f"cannot write {err.filename or args.out}: {err.strerror or err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
