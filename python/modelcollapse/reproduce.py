"""`modelcollapse reproduce`: the paper's figures and Table 1, the Gaussian W2 decomposition, the
model collapse profile of every setting under every paradigm (the "collapse atlas"), and a
report that says, result by result, what the paper says, what we measured and where they differ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import __version__, plotting, theory
from ._profile import Profile, profile
from .paradigms import Accumulate, AccumulateSubsample, MixReal, Replace
from .settings import KDE, Discrete, Gaussian, LinearRegression
from .simulate import simulate

__all__ = ["reproduce"]


@dataclass(frozen=True)
class Scale:
    """How big each part runs: ``full`` takes a few minutes on 2 cores, ``quick`` under one."""

    replicates: int
    fig3_iterations: int
    w2_iterations: int
    atlas_iterations: int | None
    atlas_replicates: int | None
    fig4: dict[str, Any]
    zipf: dict[str, Any]
    kde_samples: int
    kde_test_size: int


FULL = Scale(2000, 100, 1000, None, None, {}, {}, 500, 1000)
QUICK = Scale(
    300,
    60,
    300,
    40,
    40,
    {"ds": (10, 30, 100, 300), "replicates": 30, "d_entropy": 50},
    {"atoms": 1000, "simulate_iterations": 200, "replicates": 2},
    150,
    200,
)


class _Log:
    """Progress lines with elapsed time."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] {message}", flush=True)


def _figure3(scale: Scale, seed: np.random.SeedSequence) -> tuple[Figure, dict[str, float]]:
    """Figure 3's point in two settings: risk over iterations under Replace vs Accumulate."""
    fig = Figure(figsize=(11, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    numbers: dict[str, float] = {}
    cases: list[tuple[str, Any, str, str]] = [
        ("(a) linear regression (Appendix A), d = 10, n = 100", LinearRegression(10, 100),
         "excess_risk", "excess risk: test MSE minus noise variance"),
        ("(b) Gaussian (Sec. 2.1), d = 10, n = 100", Gaussian(np.zeros(10), np.eye(10), 100),
         "w2sq", "$W_2^2$(fitted, real distribution)"),
    ]  # fmt: skip
    seeds = seed.spawn(4)
    for ax, (title, setting, metric, ylabel) in zip(axes, cases, strict=True):
        for k, paradigm in enumerate((Replace(), Accumulate())):
            run = simulate(setting, paradigm, iterations=scale.fig3_iterations,
                           replicates=scale.replicates, rng=seeds.pop(), metrics=metric,
                           progress=None)  # fmt: skip
            mean = run.metrics[metric].mean("replicate")
            name = type(paradigm).__name__
            ax.plot(mean.iteration, mean, label=f"{name} (mean of {scale.replicates:,} runs)",
                    color=f"C{k}")  # fmt: skip
            numbers[f"{metric}/{name}/last"] = float(mean[-1])
            numbers[f"{metric}/{name}/first"] = float(mean.sel(iteration=1))
            exact_metric = metric if metric == "excess_risk" else "w2sq_mean"
            exact = theory.expected_curve(setting, paradigm, exact_metric, mean.iteration.values)
            what = "exact expectation" if metric == "excess_risk" else "exact E mean term (below)"
            ax.plot(mean.iteration[1:], exact[1:], "--", color=f"C{k}", lw=1,
                    label=f"{name}: {what}")  # fmt: skip
        ax.set(title=title, xlabel="model-fitting iteration t", ylabel=ylabel, yscale="log")
        # below the panel: the four curves fill it from corner to corner
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=2, fontsize=7)
    fig.suptitle("Figure 3: replacing data makes population risk diverge, accumulating does not")
    return fig, numbers


def _w2_decomposition(
    scale: Scale, seed: np.random.SeedSequence
) -> tuple[Figure, dict[str, float]]:
    """Sec. 2.1's decomposition of W2^2 into its mean and covariance terms, for the unbiased and
    the MLE fit, with the paper's annotated limits beside the exact expectations."""
    d, n, t_max = 10, 100, scale.w2_iterations
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    # separate y scales: the unbiased mean term's average is carried by rare replicates and can
    # reach 20 tr(S0) at 1000 iterations, which would flatten the MLE panel
    axes = fig.subplots(1, 2)
    numbers: dict[str, float] = {}
    t = np.arange(t_max + 1)
    panels = zip(axes, ("unbiased", "mle"), ("(a) unbiased fit", "(b) MLE fit"), seed.spawn(2),
                 strict=True)  # fmt: skip
    for ax, estimator, title, s in panels:
        g = Gaussian(np.zeros(d), np.eye(d), n, estimator=estimator)
        run = simulate(g, Replace(), iterations=t_max, replicates=scale.replicates // 2, rng=s,
                       metrics=["w2sq_mean", "w2sq_cov"], progress=None)  # fmt: skip
        m = run.metrics.mean("replicate")
        exact = theory.expected_curve(g, Replace(), "w2sq_mean", t_max)
        median_cov = run.metrics.w2sq_cov.median("replicate")
        ax.plot(t, m.w2sq_mean, color="C0", label=r"mean term $|\mu_t - \mu_0|^2$: simulated mean")
        ax.plot(t, exact, "k--", lw=1, label="mean term: exact expectation")
        ax.plot(t, m.w2sq_cov, color="C1", label="covariance term: simulated mean")
        ax.plot(t, median_cov, color="C2", ls="-.", label="covariance term: simulated median")
        ax.axhline(d, color="grey", ls=":", lw=1, label=r"tr$(S_0)$ = 10: covariance term's limit")
        ax.set(title=title, xlabel="model-fitting iteration t",
               ylabel=r"term of $W_2^2$(fit at t, real distribution)")  # fmt: skip
        ax.set_ylim(top=max(ax.get_ylim()[1], 1.1 * d))  # tr(S0) off the frame's edge
        numbers[f"{estimator}/mean_term"] = float(m.w2sq_mean[-1])
        numbers[f"{estimator}/mean_theory"] = float(exact[-1])
        numbers[f"{estimator}/cov_term"] = float(median_cov[-1])
    # one legend for both panels, below them, so that it covers no curve
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3,
               fontsize=8)  # fmt: skip
    fig.suptitle(
        f"Gaussian $W_2^2$ = mean term + covariance term under Replace (d = {d}, n = {n}, "
        f"{scale.replicates // 2:,} runs)\nthe paper annotates mean term → ∞, covariance term → 0",
        fontsize=11,
    )
    return fig, numbers


def _atlas(scale: Scale, seed: np.random.SeedSequence, log: _Log) -> dict[str, Profile]:
    settings = {
        "Discrete": Discrete(weights=np.full(10, 0.1), samples=100),
        "Gaussian": Gaussian(np.zeros(3), np.eye(3), 30),
        "KDE": KDE(bandwidth=0.2, samples=scale.kde_samples, test_size=scale.kde_test_size),
    }
    out = {}
    for (name, setting), s in zip(settings.items(), seed.spawn(len(settings)), strict=True):
        n = setting.samples
        paradigms = [Accumulate(), AccumulateSubsample(n), MixReal(0.5), Replace()]
        out[name] = profile(setting, paradigms, rng=s, iterations=scale.atlas_iterations,
                            replicates=scale.atlas_replicates)  # fmt: skip
        log(f"atlas: {name} profiled")
    return out


#: The paper's Table 1 (Appendix A): Accumulate, Replace for Definitions 1..8.
PAPER_TABLE_1 = [(False, True), (True, True), (False, True), (False, False), (True, True),
                 (False, False), (False, False), (False, False)]  # fmt: skip


def _table1_agreement(table1: Profile) -> str:
    got = list(zip(table1.table()["Accumulate"], table1.table()["Replace"], strict=True))
    wrong = [i + 1 for i, (a, b) in enumerate(zip(got, PAPER_TABLE_1, strict=True)) if a != b]
    if not wrong:
        return "All sixteen cells agree with the paper."
    return f"They differ from the paper for Definitions {wrong}: see table1_details.csv."


def _agreement(numbers: dict[str, float]) -> str:
    rep = numbers["excess_risk/Replace/last"] / numbers["excess_risk/Replace/first"]
    acc = numbers["excess_risk/Accumulate/last"] / numbers["excess_risk/Accumulate/first"]
    if rep > 5 and acc < 2:
        return "This agrees with the paper."
    return (
        f"This differs from the paper (growth x{rep:.3g} under Replace, x{acc:.3g} under "
        "Accumulate)."
    )


def numbers_fig4(numbers: dict[str, float]) -> list[tuple[int, float]]:
    return [(int(k.split("/")[1]), v) for k, v in numbers.items() if k.startswith("fig4/")]


def _atlas_notes(atlas: dict[str, Profile]) -> list[str]:
    """Sentences on the atlas cells that the paper's text would lead one to expect otherwise,
    written from the verdicts themselves."""
    notes = [
        "- Discrete: the risk is the total-variation distance (the NLL is infinite once any real "
        "atom is missing, already at iteration 1 with positive probability). It is at most 1, so "
        "it cannot diverge: a yes for Definition 3 only says that it is still rising at this "
        "horizon. Definitions 4, 6 and 7 (entropy, atoms, tails) are where the discrete loop "
        "collapses under Replace."
    ]
    gauss = atlas.get("Gaussian")
    if gauss is not None and "Replace" in gauss.verdicts:
        v = gauss.verdicts["Replace"][2]
        notes.append(
            "- Gaussian, Replace, Definition 3: decided by exact theory (E W2^2 grows like "
            "t tr(S0)/n). The expectation is carried by rare replicates whose variance has not "
            f"collapsed, so the sample test alone can miss it ({v.evidence})."
        )
    kde = atlas.get("KDE")
    if kde is not None and "Accumulate" in kde.verdicts:
        v2, v3 = kde.verdicts["Accumulate"][1], kde.verdicts["Accumulate"][2]
        notes.append(
            "- KDE, Accumulate: Kazdan et al. (Sec. 3) find that the NLL does diverge, at a "
            "glacial rate. "
            + (
                "Our test detects the slow rise at this horizon "
                if v3.collapsed
                else "At this horizon the increments are too small to show it "
            )
            + f"(Definition 3: {'yes' if v3.collapsed else 'no'}; {v3.evidence}). The mean NLL "
            f"change from the real-only model is {v2.statistic:.3g} nats"
            + (
                ", a slight improvement: the growing pool smooths the fixed-bandwidth estimate."
                if v2.statistic is not None and v2.statistic < 0
                else "."
            )
        )
    notes.append(
        "- Definition 8 is no everywhere by construction: resampling never leaves the real "
        "support, and the continuous real distributions have full support. For mass far in the "
        "tails use `hallucinated_data(run, level_set=True)`. Every cell's statistic, interval "
        "and test are in `mc.profile(...).details()`."
    )
    return notes


def _report(numbers: dict[str, float], table1: Profile, atlas: dict[str, Profile],
            quick: bool, seed: int) -> str:  # fmt: skip
    acc, rep = table1.verdicts["Accumulate"], table1.verdicts["Replace"]
    lines = [
        f"# modelcollapse {__version__}: reproduction report",
        "",
        f"Seed {seed}{' (quick mode: small runs, noisier numbers)' if quick else ''}. "
        "Every number below was measured by this run.",
        "",
        "## Figure 3: replace versus accumulate",
        "",
        "![figure 3](figure3.png)",
        "",
        "The paper says that replacing data makes population risk diverge while accumulating "
        "data keeps it bounded. We measured the regression excess risk rising from "
        f"{numbers['excess_risk/Replace/first']:.3g} to {numbers['excess_risk/Replace/last']:.3g} "
        "under Replace and from "
        f"{numbers['excess_risk/Accumulate/first']:.3g} to "
        f"{numbers['excess_risk/Accumulate/last']:.3g} under Accumulate (ratio "
        f"{numbers['excess_risk/Accumulate/last'] / numbers['excess_risk/Accumulate/first']:.3f}, "
        "pi^2/6 = 1.645 in the limit), and the Gaussian W2^2 from "
        f"{numbers['w2sq/Replace/first']:.3g} to {numbers['w2sq/Replace/last']:.3g} (Replace) "
        f"and {numbers['w2sq/Accumulate/last']:.3g} (Accumulate). " + _agreement(numbers),
        "",
        "## Figure 4: timescales of collapse",
        "",
        "![figure 4](figure4.png) ![figure 4, Zipf](figure4_zipf.png)",
        "",
        "The paper says the expected time to total collapse is proportional to D H[p0]. The exact "
        "absorbing-chain values beside the simulations grow linearly in D, but saturate at 2D in "
        "the number of atoms instead of growing with the entropy: at D = 1000, uniform over K "
        "atoms, exact E[T] is "
        + ", ".join(
            f"{e:.0f} for K = {k} (D H = {1000 * np.log(k):.0f})" for k, e in numbers_fig4(numbers)
        )
        + ". The claim holds in D, not in H. At the paper's scale (D = 10^15) the tails are "
        "lost long before total collapse (right panel).",
        "",
        "## Table 1: one loop, eight definitions",
        "",
        table1.to_markdown(),
        "The paper's Table 1 marks Accumulate / Replace as no/yes, yes/yes, no/yes, no/no, "
        "yes/yes and no/no for Definitions 6-8. We measured: "
        + ", ".join(
            f"Def. {i + 1} {'yes' if a.collapsed else 'no'}/{'yes' if r.collapsed else 'no'}"
            for i, (a, r) in enumerate(zip(acc, rep, strict=True))
        )
        + ". Definition 1 needs a threshold the paper leaves open (we use 'risk more than "
        f"doubles': Accumulate's ratio is {acc[0].statistic:.3g}, Replace's "
        f"{rep[0].statistic:.3g}). "
        + _table1_agreement(table1)
        + " [table1.csv](table1.csv), [table1.md](table1.md).",
        "",
        "## The Gaussian W2 decomposition (Sec. 2.1)",
        "",
        "![W2 decomposition](w2_decomposition.png)",
        "",
        "The paper annotates the mean term as going to infinity and the covariance term as going "
        "to 0. With the unbiased fit we measured a mean term of "
        f"{numbers['unbiased/mean_term']:.3g} (exact expectation "
        f"{numbers['unbiased/mean_theory']:.3g}, growing like t tr(S0)/n), but the covariance "
        "term tends to tr(S0) = 10, not to 0 (median measured "
        f"{numbers['unbiased/cov_term']:.3g}): "
        "W2 compares the collapsed fit with the real covariance, and a vanishing S_t leaves "
        "tr(S0) behind. With the MLE fit the mean term stays bounded (measured "
        f"{numbers['mle/mean_term']:.3g}, exact {numbers['mle/mean_theory']:.3g} < tr(S0)), so "
        "the divergence of Sec. 2.1 depends on the estimator.",
        "",
        "## The collapse atlas",
        "",
        "![atlas](atlas.png)",
        "",
        "The paper gives the eight-definition profile only for regression. Here it is for the "
        "discrete, Gaussian and KDE settings under all four paradigms ([atlas.csv](atlas.csv)):",
        "",
    ]
    for name, prof in atlas.items():
        lines += [f"### {name}: {prof.setting!r}", "", prof.to_markdown()]
    lines += ["Cells that need a word:", "", *_atlas_notes(atlas), ""]
    return "\n".join(lines)


def reproduce(out: Path, *, quick: bool = False, seed: int = 0, force: bool = False) -> list[Path]:
    """Write every figure (PNG and SVG), Table 1, the atlas and report.md into `out`."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} is not empty; pass --force to overwrite its files")
    out.mkdir(parents=True, exist_ok=True)
    scale = QUICK if quick else FULL
    log = _Log()
    root = np.random.SeedSequence(seed)
    s3, s4, s_t1, s_w2, s_atlas = root.spawn(5)
    written: list[Path] = []

    fig3, numbers = _figure3(scale, s3)
    written += plotting.save(fig3, out / "figure3")
    log("figure 3")

    fig4 = plotting.timescales(**scale.fig4, rng=int(s4.generate_state(1)[0]))
    zipf = plotting.zipf_survival(**scale.zipf)
    written += plotting.save(fig4, out / "figure4") + plotting.save(zipf, out / "figure4_zipf")
    for k in (2, 6, 60, 1000):
        numbers[f"fig4/{k}"] = theory.expected_collapse_time(
            Discrete(weights=np.ones(k), samples=1000)
        )
    log("figure 4")

    reg = LinearRegression(10, 100, noise=1.0)
    table1 = profile(reg, [Accumulate(), Replace()], rng=s_t1)
    frame = table1.table()
    frame.to_csv(out / "table1.csv")
    (out / "table1.md").write_text(table1.to_markdown())
    table1.details().to_csv(out / "table1_details.csv", index=False)
    written += [out / "table1.csv", out / "table1.md", out / "table1_details.csv"]
    grid = plotting.profile_grid(frame, title=f"model collapse profile: {reg!r}")
    written += plotting.save(grid.figure, out / "table1")
    log("table 1")

    w2, w2_numbers = _w2_decomposition(scale, s_w2)
    numbers |= w2_numbers
    written += plotting.save(w2, out / "w2_decomposition")
    log("W2 decomposition")

    atlas = _atlas(scale, s_atlas, log)
    pd.concat({k: p.table() for k, p in atlas.items()}, names=["setting"]).to_csv(out / "atlas.csv")
    atlas_fig = plotting.profile_panels(
        [p.table() for p in atlas.values()],
        [f"{name}: {p.setting!r}" for name, p in atlas.items()],
    )
    written += [out / "atlas.csv", *plotting.save(atlas_fig, out / "atlas")]

    report = out / "report.md"
    report.write_text(_report(numbers, table1, atlas, quick, seed))
    written.append(report)
    log(f"report: {report}")
    return written
