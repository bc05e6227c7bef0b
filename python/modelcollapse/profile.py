"""The model collapse profile: all eight definitions for one setting under several paradigms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from . import _checks
from . import definitions as d
from ._rng import RNGLike, seed_sequence
from .paradigms import PARADIGMS, Accumulate, Paradigm, Replace, check_paradigm
from .settings import KDE, Discrete, Gaussian, LinearRegression, Setting, check_setting
from .simulate import Run, simulate

__all__ = ["Profile", "profile"]

#: (iterations, replicates) by setting: each profile runs in well under a minute on 2 cores.
DEFAULTS = {
    LinearRegression: (100, 2000),
    Gaussian: (200, 2000),
    Discrete: (200, 2000),
    KDE: (60, 100),
}

#: The excess risk each setting's scaling-law runs record.
SCALING = {
    LinearRegression: ["excess_risk"],
    Gaussian: ["w2sq"],
    Discrete: ["tv_to_real"],
    KDE: ["nll_real"],
}

#: What each setting's runs record for the eight definitions.
NEEDED = {
    LinearRegression: ["test_error", "excess_risk", "param_error"],
    Gaussian: ["w2sq", "cov_trace", "tail_mass", "hallucinated_mass"],
    Discrete: ["tv_to_real", "entropy", "support_size", "tail_mass"],
    KDE: ["nll_real", "tail_mass", "support_spread", "mode_mass"],
}


def _fixed_real_data(setting: Setting) -> bool:
    """Whether the real data are given (counts, a design, data points) rather than drawn: then
    there is no law of risk against the sample size to fit."""
    if isinstance(setting, LinearRegression):
        return not isinstance(setting.design, str)
    if isinstance(setting, Discrete):
        return setting.counts is not None
    return setting.data is not None


def _with_samples(setting: Setting, n: int) -> Setting:
    """The same setting with `n` samples per generation (and n real points drawn)."""
    if isinstance(setting, LinearRegression):
        return LinearRegression(
            setting.dim, n, setting.noise, setting.beta, setting.design, setting.noise_model
        )
    if isinstance(setting, Gaussian):
        return Gaussian(
            setting.mean if not setting.univariate else setting.mean[0],
            setting.cov if not setting.univariate else setting.cov[0, 0],
            n,
            estimator=setting.estimator,
            tail=setting.tail,
            hallucination=setting.hallucination,
        )
    if isinstance(setting, KDE):
        return KDE(
            sampler=setting.sampler,
            bandwidth=setting.bandwidth,
            samples=n,
            test_size=setting.test_size,
            tail=setting.tail,
        )
    return Discrete(weights=setting.weights, samples=n, tail=setting.tail)


def _ends(
    setting: Setting,
    paradigm: Paradigm,
    replicates: int,
    seed: np.random.SeedSequence,
    metrics: list[str],
    iterations: int,
    threads: int | None,
    progress: bool | None,
) -> Run:
    """A run recording only iterations 0, 1 and `iterations` (what the scaling law needs): two
    simulations with the same seed, so the same replicates; the short one gives iteration 1."""
    kw = {"replicates": replicates, "metrics": metrics, "threads": threads, "progress": progress}
    head = simulate(setting, paradigm, iterations=1, rng=seed, **kw)
    tail = simulate(setting, paradigm, iterations=iterations, stride=iterations, rng=seed, **kw)
    both = xr.concat([head.metrics, tail.metrics.sel(iteration=[iterations])], dim="iteration")
    return Run(metrics=both, setting=setting, paradigm=paradigm)


def _sizes(sizes: Any) -> tuple[int, ...]:
    """The scaling law's sample sizes: three or more distinct positive integers."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise TypeError(f"sizes must be a sequence of sample sizes, got {sizes!r}")
    checked = tuple(_checks.integer("sizes", n, minimum=1) for n in sizes)
    if len(set(checked)) < 3:
        raise ValueError(f"sizes must hold 3 or more distinct sample sizes, got {checked}")
    return checked


def _default_sizes(setting: Setting) -> tuple[int, ...]:
    n = setting.samples
    low = setting.dim + 3 if isinstance(setting, (Gaussian, LinearRegression)) else 2
    return tuple(sorted({max(n // 2, low), n, 2 * n, 4 * n}))


@dataclass(frozen=True, eq=False)
class Profile:
    """The eight verdicts for each paradigm (paper Sec. 2, Table 1), with the runs behind them."""

    setting: Setting
    verdicts: dict[str, list[d.Verdict]]
    runs: dict[str, Run]

    def table(self) -> pd.DataFrame:
        """Definitions 1..8 by paradigm: True (collapse), False, or None (not applicable)."""
        data = {name: [v.collapsed for v in verdicts] for name, verdicts in self.verdicts.items()}
        frame = pd.DataFrame(data, index=pd.Index(range(1, 9), name="definition"), dtype=object)
        return frame

    def details(self) -> pd.DataFrame:
        """One row per (paradigm, definition): statistic, interval, test, parameters, evidence."""
        rows = [
            {"paradigm": name, **v.to_dict()}
            for name, verdicts in self.verdicts.items()
            for v in verdicts
        ]
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """The table as markdown: yes / no / n.a., with each cell's statistic."""
        names = list(self.verdicts)
        lines = [
            "| Definition | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        for i in range(8):
            cells = []
            for name in names:
                v = self.verdicts[name][i]
                word = {True: "yes", False: "no", None: "n.a."}[v.collapsed]
                stat = "" if v.statistic is None else f" ({v.statistic:.3g})"
                cells.append(word + stat)
            lines.append(f"| {i + 1}. {d.NAMES[i + 1]} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def plot(self, ax: Any = None) -> Any:
        """The table as a grid of coloured cells (red: collapse, green: no, grey: n.a.)."""
        import matplotlib.pyplot as plt

        table = self.table()
        if ax is None:
            _, ax = plt.subplots(figsize=(1.6 + 1.4 * table.shape[1], 4.2))
        colours = {True: "#d9534f", False: "#5cb85c", None: "#bbbbbb"}
        for j, name in enumerate(table.columns):
            for i, value in enumerate(table[name]):
                ax.add_patch(plt.Rectangle((j, i), 1, 1, color=colours[value], ec="white"))
                word = {True: "yes", False: "no", None: "n.a."}[value]
                ax.text(j + 0.5, i + 0.5, word, ha="center", va="center", color="white")
        ax.set_xlim(0, table.shape[1])
        ax.set_ylim(8, 0)
        ax.set_xticks(np.arange(table.shape[1]) + 0.5, table.columns)
        ax.set_yticks(np.arange(8) + 0.5, [f"{i}. {d.NAMES[i]}" for i in range(1, 9)])
        ax.set_title(f"model collapse profile: {self.setting!r}", fontsize=9)
        return ax


def profile(
    setting: Setting,
    paradigms: Sequence[Paradigm] = (Accumulate(), Replace()),
    *,
    iterations: int | None = None,
    replicates: int | None = None,
    rng: RNGLike = None,
    sizes: Sequence[int] | None = None,
    threads: int | None = None,
    progress: bool | None = False,
) -> Profile:
    """Run what the eight definitions need and return the model collapse profile.

    For each paradigm: one run of ``iterations`` generations over ``replicates`` replicates
    recording the setting's risk, diversity, mode and tail metrics, and runs at the sample sizes
    ``sizes`` for the scaling law (default: n/2, n, 2n, 4n). ``None`` picks per-setting defaults
    (``DEFAULTS``) that run in well under a minute on a 2-core machine. Each definition uses its
    documented defaults (see `modelcollapse.definitions`). Deterministic for a given ``rng``.
    """
    setting = check_setting(setting)
    if isinstance(paradigms, PARADIGMS) or not isinstance(paradigms, Iterable):
        raise TypeError(
            "paradigms must be a sequence of paradigm objects, e.g. [mc.Accumulate(), "
            f"mc.Replace()], got {paradigms!r}"
        )
    paradigms = [check_paradigm(p) for p in paradigms]
    if not paradigms:
        raise ValueError("paradigms must hold at least one paradigm")
    names = [type(p).__name__ for p in paradigms]
    if len(set(names)) != len(names):
        raise ValueError(f"paradigms must be of different kinds, got {names}")
    default_t, default_r = DEFAULTS[type(setting)]
    iterations = default_t if iterations is None else iterations
    replicates = default_r if replicates is None else replicates
    iterations = _checks.integer("iterations", iterations, minimum=0)
    if iterations < 4:
        raise ValueError(f"iterations must be at least 4 (doubling horizons), got {iterations}")
    # the definitions' confidence intervals need two replicates
    replicates = _checks.integer("replicates", replicates, minimum=2)
    sizes = _sizes(sizes) if sizes is not None else _default_sizes(setting)
    scaled: dict[int, Setting] = {}
    if not _fixed_real_data(setting):
        for n in sizes:
            try:
                scaled[n] = _with_samples(setting, n)
            except (TypeError, ValueError) as err:
                raise ValueError(
                    f"sizes: samples={n:,} does not make a valid setting: {err}"
                ) from None
    seeds = seed_sequence(rng).spawn(len(paradigms))
    metrics = NEEDED[type(setting)]
    verdicts: dict[str, list[d.Verdict]] = {}
    runs: dict[str, Run] = {}
    for name, paradigm, seed in zip(names, paradigms, seeds, strict=True):
        main_seed, *size_seeds = seed.spawn(1 + len(sizes))
        kw = {"iterations": iterations, "threads": threads, "progress": progress}
        run = simulate(
            setting, paradigm, replicates=replicates, rng=main_seed, metrics=metrics, **kw
        )
        runs[name] = run
        if _fixed_real_data(setting):
            why = "not applicable: the real data are given, so the sample size cannot vary"
            scaling = d.Verdict(5, None, None, None, "scaling law in n", {}, None, why)
        else:
            by_size = {
                n: _ends(
                    scaled[n],
                    paradigm,
                    replicates,
                    s,
                    SCALING[type(setting)],
                    iterations,
                    threads,
                    progress,
                )
                for n, s in zip(sizes, size_seeds, strict=True)
            }
            scaling = d.scaling_law_change(by_size)
        verdicts[name] = [
            d.catastrophic_risk_increase(run),
            d.any_risk_increase(run),
            d.diverging_risk(run),
            d.collapsing_variance(run),
            scaling,
            d.lost_modes(run),
            d.lost_tails(run),
            d.hallucinated_data(run),
        ]
    return Profile(setting=setting, verdicts=verdicts, runs=runs)
