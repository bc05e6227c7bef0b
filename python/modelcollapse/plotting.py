"""Figures. `timescales` redraws the paper's Figure 4 (Sec. 4.4: how many refits until a histogram
collapses) with exact theory beside the simulations, `zipf_survival` carries the question to
the paper's scale (D up to 10^15) with the diffusion limit, and `profile_grid` draws a model
collapse profile (Table 1: eight definitions by paradigm) as a grid of coloured cells,
`profile_panels` several of them side by side.

All of them build on a `matplotlib.figure.Figure` without pyplot, with constrained layout, so
they work in scripts, notebooks and the command line alike; `save` writes PNG and SVG. Every
curve is in a legend, and no text is clipped or overlaps another (tests/test_figures.py checks
this through matplotlib's renderer).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpecFromSubplotSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from . import theory
from .definitions import NAMES
from .paradigms import Replace
from .settings import Discrete
from .simulate import collapse_times, simulate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["profile_grid", "profile_panels", "save", "timescales", "zipf_survival"]

#: A verdict's word, cell colour and text colour: red for collapse, green for none, grey where
#: it does not apply.
VERDICT_STYLE = {
    True: ("yes", "#d9534f", "white"),
    False: ("no", "#5cb85c", "white"),
    None: ("n.a.", "#cccccc", "#333333"),
}

#: Font size of the profile grid's text, in points.
GRID_FONTSIZE = 9.0
#: Average width of a character of DejaVu Sans, in ems (a slight over-estimate, to be safe).
_CHAR_EM = 0.6
#: Column labels longer than this many characters are broken into lines (at CamelCase or _).
_COLUMN_CHARS = 11
#: Height of a grid row and the least width of a grid column, in inches.
_ROW_INCHES, _COLUMN_INCHES = 0.36, 1.0


def _text_inches(chars: int, fontsize: float = GRID_FONTSIZE) -> float:
    """An upper estimate of the width of `chars` characters at `fontsize` points."""
    return chars * _CHAR_EM * fontsize / 72


def _chars_in(inches: float, fontsize: float = GRID_FONTSIZE) -> int:
    """How many characters fit on a line `inches` wide (at least 12)."""
    return max(12, int(inches * 72 / (_CHAR_EM * fontsize)))


def _wrap_repr(text: str, width: int) -> str:
    """`text` (e.g. a setting's repr) broken into lines of at most `width` characters where that
    is possible, at ", " or ": " and preferring breaks outside brackets: ``Gaussian(mean=...,
    cov=..., samples=30)`` breaks between its arguments, not inside a tuple argument."""
    lines = []
    rest = text
    while len(rest) > width:
        depth, breaks = 0, []  # (depth, index of the space to break at)
        for i, ch in enumerate(rest):
            if ch in "([{<":
                depth += 1
            elif ch in ")]}>":
                depth = max(depth - 1, 0)
            elif ch == " " and i > 0 and rest[i - 1] in ",:":
                breaks.append((depth, i))
        fitting = [b for b in breaks if b[1] <= width]
        balanced = [b for b in fitting if b[1] >= width // 2] or fitting
        if balanced:
            cut = min(balanced, key=lambda b: (b[0], -b[1]))[1]
        elif breaks:  # an overlong first piece: break at the first chance
            cut = breaks[0][1]
        else:
            wrapped = textwrap.wrap(rest, width, break_on_hyphens=False)
            lines += wrapped[:-1]
            rest = wrapped[-1]
            break
        lines.append(rest[:cut])
        rest = rest[cut + 1 :]
    return "\n".join([*lines, rest])


def _column_label(name: str) -> str:
    """A paradigm name broken into lines of at most `_COLUMN_CHARS` characters at its CamelCase
    or underscore boundaries (``AccumulateSubsample`` -> ``Accumulate\\nSubsample``)."""
    name = str(name)
    if len(name) <= _COLUMN_CHARS:
        return name
    words = re.findall(r"[A-Z]?[a-z0-9.]+_?|[A-Z]+(?![a-z])_?|[^A-Za-z0-9.]+", name)
    if "".join(words) != name:
        words = [name]
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word) > _COLUMN_CHARS:
            lines.append("")
        lines[-1] += word
    return "\n".join(part for line in lines for part in textwrap.wrap(line, _COLUMN_CHARS))


def _check_table(table: Any) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (Profile.table()), got {table!r}")
    if list(table.index) != list(NAMES) or table.shape[1] < 1:
        raise ValueError(
            "table must have the definitions 1..8 as its index and one column per paradigm "
            f"(Profile.table()), got index {list(table.index)} and {table.shape[1]} columns"
        )
    for value in table.to_numpy().ravel():
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"table cells must be True, False or None, got {value!r}")
    return table


def _grid_widths(table: pd.DataFrame, row_labels: bool) -> tuple[float, float]:
    """(room for the row labels and the y label, width of the grid), in inches."""
    longest = max(len(f"{i}. {n}") for i, n in NAMES.items()) if row_labels else 2
    labels = _text_inches(longest) + 0.45
    column = max(
        _COLUMN_INCHES,
        *(_text_inches(max(map(len, _column_label(c).split("\n")))) + 0.2 for c in table.columns),
    )
    return labels, column * table.shape[1]


def profile_grid(
    table: pd.DataFrame, *, title: str, ax: Axes | None = None, row_labels: bool = True
) -> Axes:
    """A model collapse profile as a grid of coloured cells: definitions 1..8 down, paradigms
    across, each cell "yes" (red: collapse), "no" (green) or "n.a." (grey: does not apply).

    ``table`` is `Profile.table()`: index 1..8, one column per paradigm, cells True, False or
    None. ``title`` (e.g. the setting's repr) is wrapped to the grid's width. Without ``ax`` a
    new `Figure` (constrained layout) is sized so that the labels fit; with ``ax`` (a panel of a
    larger figure, which should use constrained layout), the caller sizes the figure:
    `profile_panels` does that for panels side by side. Long paradigm names are broken at their
    CamelCase boundaries, and the column labels stand upright where a panel is too narrow for
    them side by side. ``row_labels=False`` labels the rows with their numbers only (for the
    second and later panels of a row). Returns the Axes.
    """
    table = _check_table(table)
    labels, grid = _grid_widths(table, row_labels)
    if ax is None:
        grid = max(grid, 3.0)  # room for a two- or three-line title
        title_lines = len(_wrap_repr(title, _chars_in(grid)).split("\n"))
        height = 8 * _ROW_INCHES + 0.2 * title_lines + 0.9
        fig = Figure(figsize=(labels + grid + 0.3, height), layout="constrained")
        ax = fig.add_subplot()
    else:
        grid = max(_cell_inches(ax) - labels, 0.5)
    _draw_grid(ax, table, title, row_labels, grid)
    return ax


def _cell_inches(ax: Axes) -> float:
    """The width of the panel `ax` will get, in inches: its columns' share of its (sub)figure
    (constrained layout gives each grid cell its share, less the decorations' room)."""
    figure = ax.figure
    width = figure.bbox.width / figure.figure.dpi
    spec = ax.get_subplotspec()
    if spec is None:
        return ax.get_position().width * width
    grid = spec.get_gridspec()
    if isinstance(grid, GridSpecFromSubplotSpec):  # nested: the subplot parameters' guess
        return spec.get_position(figure).width * width
    ratios = grid.get_width_ratios()
    ratios = np.ones(grid.ncols) if ratios is None else np.asarray(ratios, float)
    return ratios[spec.colspan].sum() / ratios.sum() * width - 0.2


def _draw_grid(
    ax: Axes, table: pd.DataFrame, title: str, row_labels: bool, title_inches: float
) -> None:
    ncol = table.shape[1]
    for j, name in enumerate(table.columns):
        for i, value in enumerate(table[name]):
            word, colour, ink = VERDICT_STYLE[None if value is None else bool(value)]
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white", lw=1.5))
            ax.text(j + 0.5, i + 0.5, word, ha="center", va="center", color=ink,
                    fontsize=GRID_FONTSIZE, fontweight="bold")  # fmt: skip
    ax.set_xlim(0, ncol)
    ax.set_ylim(8, 0)
    columns = [_column_label(c) for c in table.columns]
    ax.set_xticks(np.arange(ncol) + 0.5, columns)
    widest = max(len(line) for c in columns for line in c.split("\n"))
    if _text_inches(widest) + 0.1 > title_inches / ncol:  # too narrow side by side: stand them up
        ax.tick_params(axis="x", labelrotation=90)
    rows = [f"{i}. {n}" if row_labels else str(i) for i, n in NAMES.items()]
    ax.set_yticks(np.arange(8) + 0.5, rows)
    ax.tick_params(length=0, labelsize=GRID_FONTSIZE)
    ax.set_xlabel("paradigm", fontsize=GRID_FONTSIZE)
    ax.set_ylabel("definition (paper Sec. 2)", fontsize=GRID_FONTSIZE)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(_wrap_repr(title, _chars_in(title_inches)), fontsize=GRID_FONTSIZE)


def profile_panels(tables: Sequence[pd.DataFrame], titles: Sequence[str]) -> Figure:
    """Several profile grids side by side (e.g. one per setting, the "collapse atlas"), each
    titled by ``titles``; row labels in full on the first panel, numbers on the others."""
    tables = [_check_table(t) for t in tables]
    if not tables or len(titles) != len(tables):
        raise ValueError(f"need one title per table, got {len(titles)} for {len(tables)}")
    first, _ = _grid_widths(tables[0], True)
    later, _ = _grid_widths(tables[0], False)
    grids = [max(_grid_widths(t, False)[1], 3.0) for t in tables]
    title_lines = max(
        len(_wrap_repr(t, _chars_in(g)).split("\n")) for t, g in zip(titles, grids, strict=True)
    )
    width = first + later * (len(tables) - 1) + sum(grids) + 0.3 * len(tables)
    height = 8 * _ROW_INCHES + 0.2 * title_lines + 0.9
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, len(tables), squeeze=False, width_ratios=grids)[0]
    for k, (ax, table, title, grid) in enumerate(zip(axes, tables, titles, grids, strict=True)):
        _draw_grid(ax, table, title, k == 0, grid)
    return fig


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def _legend(ax: Axes, **kwargs: Any) -> None:
    """A legend with one entry per distinct label (curves drawn once per case may share one),
    where the handles of artists sharing a label are drawn together (a line over its band)."""
    handles, labels = ax.get_legend_handles_labels()
    merged: dict[str, list[Any]] = {}
    for handle, label in zip(handles, labels, strict=True):
        merged.setdefault(label, []).append(handle)
    entries = [(h[0] if len(h) == 1 or _same_style(h) else tuple(h), k) for k, h in merged.items()]
    ax.legend([h for h, _ in entries], [k for _, k in entries], **kwargs)


def _same_style(handles: list[Any]) -> bool:
    """Whether artists sharing a label are copies of one style (one entry) or parts of one
    entry (a line and its band: drawn together)."""
    return len({type(h) for h in handles}) == 1


def _power_of_ten(d: int) -> str:
    """'$10^{6}$' for 1000000, '1,500' otherwise."""
    e = round(np.log10(d))
    return f"$10^{{{e}}}$" if 10**e == d else f"{d:,}"


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
    fig = Figure(figsize=(15, 5.6), layout="constrained")
    ax_d, ax_h, ax_t = fig.subplots(1, 3)
    colors = dict(zip(ks, ("C0", "C1", "C2", "C3", "C4", "C5"), strict=False))
    d_grid = np.asarray(ds)
    entries = []
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
        entries += [
            ax_d.errorbar(
                d_grid, sim_mean, yerr=2 * np.asarray(sim_se), fmt="o", ms=4, color=c, capsize=2,
                label=f"K={k}: simulation",
            ),
            ax_d.plot(d_grid, exact, "-", color=c, label=f"K={k}: exact")[0],
            ax_d.plot(d_grid, little, ":", color=c, lw=2, label=f"K={k}: Littler")[0],
            ax_d.plot(d_grid, d_grid * np.log(k), "--", color=c, alpha=0.6,
                      label=f"K={k}: D·H[p0]")[0],
        ]  # fmt: skip
    ax_d.set(
        xscale="log", yscale="log", xlabel="samples per generation D",
        ylabel="E[T]: generations to total collapse", title="(a) E[T] grows linearly in D",
    )  # fmt: skip
    # below panel (a), where it covers no curve: one column per K, in the order simulation,
    # exact, Littler, D·H
    fig.legend(
        entries, [e.get_label() for e in entries], fontsize=7, ncols=len(ks),
        loc="outside lower left", title=f"(a) simulation: mean of {replicates:,} runs, ±2 SE",
        title_fontsize=7,
    )  # fmt: skip

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
        title=f"(b) E[T] saturates in H (D = {d_fixed:,})",
    )  # fmt: skip
    ax_h.legend(fontsize=7, loc="upper left")

    horizon = 6 * d_entropy
    runs = max(replicates, 200)
    for k in ks:
        c = colors[k]
        setting = Discrete(weights=np.ones(k), samples=d_entropy)
        run = simulate(
            setting, Replace(), iterations=horizon, replicates=runs, rng=rng,
            metrics="entropy", progress=False,
        )  # fmt: skip
        h = run.metrics.entropy.values / np.log(k)
        mean = h.mean(axis=0)
        se = h.std(axis=0, ddof=1) / np.sqrt(h.shape[0])
        t = run.metrics.iteration.values
        label = f"K={k}: simulation (±2 SE)"
        ax_t.fill_between(t, mean - 2 * se, mean + 2 * se, color=c, alpha=0.25, lw=0, label=label)
        ax_t.plot(t, mean, color=c, lw=1, label=label)
        curves = theory.discrete_curves(setting, horizon)
        ax_t.plot(t, curves.entropy.values / np.log(k), "--", color="k", lw=0.8, label="exact")
    ax_t.set(
        xlabel="generation t", ylabel="$E[H_t] / H_0$: share of the entropy left",
        title=f"(c) entropy decays on the scale of D = {d_entropy:,}",
    )  # fmt: skip
    top = ax_t.secondary_xaxis("top", functions=(lambda x: x / d_entropy, lambda x: x * d_entropy))
    top.set_xlabel("t / D")
    _legend(ax_t, fontsize=7, title=f"simulation: mean of {runs:,} runs", title_fontsize=7)
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
    fig = Figure(figsize=(11, 5.0), layout="constrained")
    ax_s, ax_c = fig.subplots(1, 2)
    for j, d in enumerate(ds):
        setting = Discrete(weights=weights, samples=int(d))
        grid = np.unique(np.geomspace(1, 5 * d, 300).astype(np.int64))
        curves = theory.discrete_curves(setting, grid, method="diffusion")
        label = f"D = {_power_of_ten(int(d))}: diffusion limit"
        ax_s.plot(grid, curves.support_size.values, color=f"C{j}", label=label)
        ax_c.plot(grid, curves.collapse_cdf.values, color=f"C{j}", label=label)
        ax_c.axvline(theory.littler(setting), color=f"C{j}", ls=":", lw=1,
                     label=f"D = {_power_of_ten(int(d))}: Littler's E[T]")  # fmt: skip
        if d == simulate_d:
            run = simulate(
                setting, Replace(), iterations=simulate_iterations, replicates=replicates,
                rng=rng, metrics="support_size", stride=max(1, simulate_iterations // 100),
                progress=False,
            )  # fmt: skip
            t = run.metrics.iteration.values[1:]
            support = run.metrics.support_size.values[:, 1:]
            ax_s.plot(
                t, support.mean(axis=0), "o", ms=3, color=f"C{j}", mfc="none", zorder=3,
                label=f"D = {_power_of_ten(int(d))}: simulation (mean of {replicates} runs)",
            )  # fmt: skip
    ax_s.set(
        xscale="log", yscale="log", xlabel="generation t",
        ylabel="E[surviving atoms]", title=f"(a) Zipf over {atoms:,} atoms: the tail goes first",
    )  # fmt: skip
    ax_c.set(
        xscale="log", xlabel="generation t", ylabel="P(total collapse by t)",
        title=f"(b) total collapse, Zipf over {atoms:,} atoms",
    )  # fmt: skip
    # one legend for both panels, below them, where it covers no curve: a column per D
    handles: dict[str, Any] = {}
    for ax in (ax_s, ax_c):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    by_d = [[(h, k) for k, h in handles.items() if k.startswith(f"D = {_power_of_ten(int(d))}:")]
            for d in ds]  # fmt: skip
    rows = max(map(len, by_d))
    entries = [column[i] if i < len(column) else None for column in by_d for i in range(rows)]
    blank = Line2D([], [], alpha=0, label=" ")  # pads a short column
    fig.legend(
        [blank if e is None else e[0] for e in entries],
        [" " if e is None else e[1] for e in entries],
        fontsize=8, ncols=len(ds), loc="outside lower center",
    )  # fmt: skip
    return fig


def save(fig: Figure, stem: str | Path) -> list[Path]:
    """Write `fig` as `stem`.png (150 dpi) and `stem`.svg; returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
