"""The `modelcollapse` command line. `modelcollapse reproduce --out DIR` rebuilds the paper's
figures and Table 1, the Gaussian W2 decomposition and the collapse atlas, with a report;
`modelcollapse demo` runs a short, self-checking tour of the discrete engine; `modelcollapse
figure4 --out DIR` draws Figure 4 alone."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__
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
    print(
        f"collapse time under Replace: mean {times.mean():.1f} +/- {times.sem():.1f} (SE), "
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `modelcollapse` command."""
    parser = argparse.ArgumentParser(prog="modelcollapse", description=__doc__)
    parser.add_argument("--version", action="version", version=f"modelcollapse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="a short tour of the discrete engine")
    demo_parser.add_argument("--replicates", type=int, default=2000)
    demo_parser.add_argument("--rng", type=int, default=0)
    fig_parser = commands.add_parser(
        "figure4", help="Figure 4 (timescales of collapse) with exact theory, PNG and SVG"
    )
    fig_parser.add_argument("--out", type=Path, required=True, help="output directory")
    fig_parser.add_argument("--quick", action="store_true", help="smaller grids, a few seconds")
    rep_parser = commands.add_parser(
        "reproduce", help="the paper's figures, Table 1, the collapse atlas and report.md"
    )
    rep_parser.add_argument("--out", type=Path, required=True, help="output directory")
    rep_parser.add_argument("--quick", action="store_true", help="small runs, under a minute")
    rep_parser.add_argument("--seed", type=int, default=0, help="the root seed (default 0)")
    rep_parser.add_argument("--force", action="store_true", help="write into a non-empty --out")
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        from .reproduce import reproduce

        try:
            written = reproduce(args.out, quick=args.quick, seed=args.seed, force=args.force)
        except FileExistsError as err:
            parser.error(str(err))
        print(f"wrote {len(written)} files to {args.out}")
    elif args.command == "demo":
        demo(args.replicates, args.rng)
    elif args.command == "figure4":
        figure4(args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
