"""Figures. `timescales` redraws the paper's Figure 4 (Sec. 4.4: how many refits until a histogram
collapses) with exact theory beside the simulations, and `zipf_survival` carries the question to
the paper's scale (D up to 10^15) with the diffusion limit.

Both return a `matplotlib.figure.Figure` built without pyplot, so they work in scripts,
notebooks and the command line alike; `save` writes PNG and SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from . import theory
from .paradigms import Replace
from .settings import Discrete
from .simulate import collapse_times, simulate

__all__ = ["save", "timescales", "zipf_survival"]


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def timescales(
    ks: Sequence[int] = (2, 6, 60),
    ds: Sequence[int] = (10, 20, 50, 100, 200, 500, 1000, 2000),
    *,
    d_fixed: int = 1000,
    d_entropy: int = 100,
    replicates: int = 100,
    rng: int = 0,
) -> Figure:
    """Figure 4 of the paper, checked against theory, in three panels:

    (a) E[T] against D for uniform starts over K atoms: simulated means of `replicates` runs
        with +-2 standard errors, the exact absorbing-chain value, Littler's diffusion
        approximation, and the paper's D H[p0];
    (b) E[T] against the entropy H[p0] at D = `d_fixed`, for uniform starts (K = 2..1000) and
        two-atom starts (p, 1 - p): does the entropy dependence hold?
    (c) E[H_t] / H_0 against t (top axis: t / D) at D = `d_entropy`: simulation (mean, +-2 SE
        band) and the exact curve.
    """
    fig = Figure(figsize=(15, 4.6), layout="constrained")
    ax_d, ax_h, ax_t = fig.subplots(1, 3)
    colors = dict(zip(ks, ("C0", "C1", "C2", "C3", "C4", "C5"), strict=False))
    d_grid = np.asarray(ds)
    for k in ks:
        c = colors[k]
        sim_mean, sim_se, exact, little = [], [], [], []
        for d in d_grid:
            setting = Discrete(weights=np.ones(k), samples=int(d))
            times = collapse_times(setting, replicates=replicates, rng=rng, progress=False)
            sim_mean.append(times.mean())
            sim_se.append(times.sem())
            exact.append(theory.expected_collapse_time(setting))
            little.append(theory.littler(setting))
        ax_d.errorbar(
            d_grid, sim_mean, yerr=2 * np.asarray(sim_se), fmt="o", ms=4, color=c, capsize=2,
            label=f"K={k}: simulation ({replicates} runs, ±2 SE)",
        )  # fmt: skip
        ax_d.plot(d_grid, exact, "-", color=c, label=f"K={k}: exact")
        ax_d.plot(d_grid, little, ":", color=c, lw=2, label=f"K={k}: Littler")
        ax_d.plot(d_grid, d_grid * np.log(k), "--", color=c, alpha=0.6, label=f"K={k}: D·H[p0]")
    ax_d.set(
        xscale="log", yscale="log", xlabel="samples per generation D",
        ylabel="E[T]: generations to total collapse", title="(a) E[T] grows linearly in D",
    )  # fmt: skip
    ax_d.legend(fontsize=6, ncol=2)

    uniform_k = np.unique(np.geomspace(2, 1000, 14).astype(int))
    h_uniform = np.log(uniform_k)
    t_uniform = [
        theory.expected_collapse_time(Discrete(weights=np.ones(k), samples=d_fixed))
        for k in uniform_k
    ]
    two_p = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5])
    h_two = np.array([_entropy(np.array([p, 1 - p])) for p in two_p])
    t_two = [
        theory.expected_collapse_time(Discrete(weights=[p, 1 - p], samples=d_fixed)) for p in two_p
    ]
    h_line = np.linspace(0, h_uniform.max(), 50)
    ax_h.plot(h_uniform, t_uniform, "o-", label="uniform over K atoms (exact)")
    ax_h.plot(h_two, t_two, "s-", label="two atoms (p, 1-p) (exact)")
    ax_h.plot(h_line, d_fixed * h_line, "--", color="grey", label="paper: D·H[p0]")
    ax_h.axhline(2 * d_fixed, color="k", lw=0.8, ls=":", label="2D (Littler's limit)")
    ax_h.set(
        xlabel="entropy H[p0] (nats)", ylabel="E[T] (generations)",
        title=f"(b) E[T] saturates in H (D = {d_fixed})",
    )  # fmt: skip
    ax_h.legend(fontsize=7)

    horizon = 6 * d_entropy
    for k in ks:
        c = colors[k]
        setting = Discrete(weights=np.ones(k), samples=d_entropy)
        run = simulate(
            setting, Replace(), iterations=horizon, replicates=max(replicates, 200), rng=rng,
            metrics="entropy", progress=False,
        )  # fmt: skip
        h = run.metrics.entropy.values / np.log(k)
        mean = h.mean(axis=0)
        se = h.std(axis=0, ddof=1) / np.sqrt(h.shape[0])
        t = run.metrics.iteration.values
        ax_t.fill_between(t, mean - 2 * se, mean + 2 * se, color=c, alpha=0.25, lw=0)
        ax_t.plot(t, mean, color=c, lw=1, label=f"K={k}: simulation (±2 SE)")
        curves = theory.discrete_curves(setting, horizon)
        ax_t.plot(t, curves.entropy.values / np.log(k), "--", color="k", lw=0.8)
    ax_t.plot([], [], "--", color="k", lw=0.8, label="exact")
    ax_t.set(
        xlabel="generation t", ylabel="E[H_t] / H_0",
        title=f"(c) entropy decays on the scale of D = {d_entropy}",
    )  # fmt: skip
    top = ax_t.secondary_xaxis("top", functions=(lambda x: x / d_entropy, lambda x: x * d_entropy))
    top.set_xlabel("t / D")
    ax_t.legend(fontsize=7)
    return fig


def zipf_survival(
    atoms: int = 10_000,
    ds: Sequence[int] = (10**6, 10**15),
    *,
    simulate_d: int = 10**6,
    simulate_iterations: int = 2000,
    replicates: int = 3,
    rng: int = 0,
) -> Figure:
    """Surviving atoms and P(total collapse by t) for Zipf weights (p_i ~ 1/i over `atoms`
    atoms) at each D in `ds`, by the diffusion limit over t up to 5 D, with a simulation of the
    first `simulate_iterations` generations at D = `simulate_d` where that is feasible."""
    weights = 1.0 / np.arange(1, atoms + 1)
    fig = Figure(figsize=(11, 4.3), layout="constrained")
    ax_s, ax_c = fig.subplots(1, 2)
    for j, d in enumerate(ds):
        setting = Discrete(weights=weights, samples=int(d))
        grid = np.unique(np.geomspace(1, 5 * d, 300).astype(np.int64))
        curves = theory.discrete_curves(setting, grid, method="diffusion")
        label = f"D = {d:.0e}: diffusion"
        ax_s.plot(grid, curves.support_size.values, color=f"C{j}", label=label)
        ax_c.plot(grid, curves.collapse_cdf.values, color=f"C{j}", label=label)
        ax_c.axvline(theory.littler(setting), color=f"C{j}", ls=":", lw=1)
        if d == simulate_d:
            run = simulate(
                setting, Replace(), iterations=simulate_iterations, replicates=replicates,
                rng=rng, metrics="support_size", stride=max(1, simulate_iterations // 100),
                progress=False,
            )  # fmt: skip
            t = run.metrics.iteration.values[1:]
            support = run.metrics.support_size.values[:, 1:]
            ax_s.plot(
                t, support.mean(axis=0), "o", ms=3, color=f"C{j}", mfc="none",
                label=f"D = {d:.0e}: simulation ({replicates} runs)",
            )  # fmt: skip
    ax_s.set(
        xscale="log", yscale="log", xlabel="generation t",
        ylabel="E[surviving atoms]", title=f"Zipf over {atoms:,} atoms: the tail goes first",
    )  # fmt: skip
    ax_c.set(
        xscale="log", xlabel="generation t", ylabel="P(total collapse by t)",
        title="P(total collapse by t); dotted: Littler's E[T] ≈ 2D",
    )  # fmt: skip
    ax_s.legend(fontsize=7)
    ax_c.legend(fontsize=7)
    return fig


def save(fig: Figure, stem: str | Path) -> list[Path]:
    """Write `fig` as `stem`.png (150 dpi) and `stem`.svg; returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
