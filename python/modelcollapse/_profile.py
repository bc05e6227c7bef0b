"""The model collapse profile: all eight definitions for one setting under several paradigms
(`profile`), or for runs a researcher already has (`profile_runs`).

(This module is private, ``modelcollapse._profile``, so that ``modelcollapse.profile`` is only
ever the function; use ``mc.profile``, ``mc.profile_runs`` and ``mc.Profile``.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from . import _checks
from . import definitions as d
from ._rng import RNGLike, seed_sequence
from .paradigms import PARADIGMS, Accumulate, Paradigm, Replace, check_paradigm
from .roles import NotApplicable, Resize
from .settings import Setting, check_setting
from .simulate import Run, simulate

__all__ = ["Profile", "profile", "profile_runs"]


def _ends(
    setting: Setting,
    paradigm: Paradigm,
    replicates: int,
    seed: np.random.SeedSequence,
    metrics: list[str],
    iterations: int,
    execution: dict[str, Any],
) -> Run:
    """A run recording only iterations 0, 1 and `iterations` (what the scaling law needs): two
    simulations with the same seed, so the same replicates; the short one gives iteration 1.
    ``execution`` holds simulate's threads, workers and progress."""
    kw = {"replicates": replicates, "metrics": metrics, **execution}
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


def _default_sizes(n: int, resize: Resize) -> tuple[tuple[int, ...], str]:
    """The default sizes n/2, n, 2n, 4n, and a note saying so, or saying how they were moved
    where n/2 lies below the smallest size the setting allows (``resize.minimum``)."""
    sizes = tuple(sorted({max(n // 2, resize.minimum), n, 2 * n, 4 * n}))
    if n // 2 >= resize.minimum:
        return sizes, f"sizes {', '.join(map(str, sizes))} (the defaults n/2, n, 2n, 4n)"
    listed = ", ".join(map(str, sizes))
    return sizes, (
        f"sizes {listed}: the defaults n/2, n, 2n, 4n with n/2 = {n // 2} raised to "
        f"{resize.minimum}, the smallest sample size this setting allows"
    )


def _check_pairs(scaled: Mapping[int, Setting], paradigms: Sequence[Paradigm], note: str) -> None:
    """Refuse, before any run, a paradigm that a scaling-law size cannot take (e.g.
    AccumulateSubsample(150) at n = 50), naming the sizes and where they come from."""
    for n, setting in scaled.items():
        check = getattr(setting, "_paradigm_args", None)
        if check is None:
            continue
        for paradigm in paradigms:
            try:
                check(paradigm)
            except (TypeError, ValueError) as err:
                raise ValueError(
                    f"{paradigm!r} cannot run at the scaling law's sample size {n:,} ({note}): "
                    f"{err}; pass sizes= that every paradigm can take"
                ) from None


def verdicts(run: d.RunLike, scaling: d.Verdict) -> list[d.Verdict]:
    """The eight verdicts on one run with each definition's defaults; Definition 5's comes from
    runs at several sizes, so it is passed in."""
    return [
        d.catastrophic_risk_increase(run),
        d.any_risk_increase(run),
        d.diverging_risk(run),
        d.collapsing_variance(run),
        scaling,
        d.lost_modes(run),
        d.lost_tails(run),
        d.hallucinated_data(run),
    ]


@dataclass(frozen=True, eq=False)
class Profile:
    """The eight verdicts for each paradigm (paper Sec. 2, Table 1), with the runs behind them.
    ``setting`` is None for logged runs (`profile_runs`). ``scaling_runs`` holds, per paradigm,
    the runs at each sample size behind Definition 5 (by `profile`; each records iterations 0,
    1 and the last only), and is empty for runs you passed in."""

    setting: Setting | None
    verdicts: dict[str, list[d.Verdict]]
    runs: dict[str, d.RunLike]
    scaling_runs: dict[str, dict[int, Run]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """What was profiled: the setting, or "logged runs"."""
        return "logged runs" if self.setting is None else repr(self.setting)

    def table(self) -> pd.DataFrame:
        """Definitions 1..8 by paradigm: True (collapse), False, or None (not applicable)."""
        data = {name: [v.collapsed for v in verdicts] for name, verdicts in self.verdicts.items()}
        frame = pd.DataFrame(data, index=pd.Index(range(1, 9), name="definition"), dtype=object)
        return frame

    def details(self) -> pd.DataFrame:
        """One row per (paradigm, definition): statistic, interval (as ``ci_low`` and
        ``ci_high``, the ends of each verdict's ``ci``), test, parameters, evidence."""
        rows = []
        for name, verdicts in self.verdicts.items():
            for v in verdicts:
                row: dict[str, Any] = {"paradigm": name}
                for key, value in v.to_dict().items():
                    if key == "ci":
                        row["ci_low"], row["ci_high"] = value or (None, None)
                    else:
                        row[key] = value
                rows.append(row)
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
        """The table as a grid of coloured cells (red: collapse, green: no, grey: n.a.), on a
        new figure or on ``ax``; returns the Axes (`modelcollapse.plotting.profile_grid`)."""
        from . import plotting  # loads matplotlib: only when a figure is asked for

        return plotting.profile_grid(
            self.table(), title=f"model collapse profile: {self.title}", ax=ax
        )


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
    workers: int | None = None,
) -> Profile:
    """Run what the eight definitions need and return the model collapse profile.

    For each paradigm: one run of ``iterations`` generations over ``replicates`` replicates
    recording the setting's risk, diversity, mode and tail metrics, and runs at the sample sizes
    ``sizes`` for the scaling law (default: n/2, n, 2n, 4n, with n/2 raised to the smallest size
    the setting allows, e.g. dim + 3 for a regression; Definition 5's parameters and evidence
    name the sizes used and say when they were moved). Every paradigm is checked against every
    size before anything runs. The runs behind Definition 5 are kept in
    ``Profile.scaling_runs``. ``None`` picks per-setting defaults
    (``DEFAULTS``) that run in well under a minute on a 2-core machine. Each definition uses its
    documented defaults (see `modelcollapse.definitions`). Deterministic for a given ``rng``.
    ``threads`` are the built-in settings' Rust threads, ``workers`` an `mc.Model`'s worker
    processes (see `mc.simulate`).
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
    roles = setting.roles()
    default_t, default_r = setting.profile_defaults
    iterations = default_t if iterations is None else iterations
    replicates = default_r if replicates is None else replicates
    iterations = _checks.integer("iterations", iterations, minimum=0)
    if iterations < 4:
        raise ValueError(f"iterations must be at least 4 (doubling horizons), got {iterations}")
    # the definitions' confidence intervals need two replicates
    replicates = _checks.integer("replicates", replicates, minimum=2)
    resize = roles.resize
    scaled: dict[int, Setting] = {}
    note = ""
    if isinstance(resize, Resize):
        if sizes is None:
            sizes, note = _default_sizes(setting.samples, resize)
        else:
            sizes = _sizes(sizes)
            note = f"sizes {', '.join(map(str, sizes))}, as given"
        for n in sizes:
            try:
                scaled[n] = resize.build(n)
            except (TypeError, ValueError) as err:
                raise ValueError(
                    f"sizes: samples={n:,} does not make a valid setting: {err}"
                ) from None
        _check_pairs(scaled, paradigms, note)
    elif sizes is not None:
        _sizes(sizes)  # checked, though this setting cannot use them
    seeds = seed_sequence(rng).spawn(len(paradigms))
    execution = {"threads": threads, "workers": workers, "progress": progress}
    results: dict[str, list[d.Verdict]] = {}
    runs: dict[str, Run] = {}
    scaling_runs: dict[str, dict[int, Run]] = {}
    for name, paradigm, seed in zip(names, paradigms, seeds, strict=True):
        main_seed, *size_seeds = seed.spawn(1 + len(scaled))
        run = simulate(
            setting,
            paradigm,
            iterations=iterations,
            replicates=replicates,
            rng=main_seed,
            metrics=roles.needs(),
            **execution,
        )
        runs[name] = run
        if isinstance(resize, NotApplicable):
            why = f"not applicable: {resize.reason}"
            scaling = d.Verdict(5, None, None, None, "scaling law in n", {}, None, why)
        else:
            by_size = {
                n: _ends(
                    s,
                    paradigm,
                    replicates,
                    seed_n,
                    roles.scaling_needs(),
                    iterations,
                    execution,
                )
                for (n, s), seed_n in zip(scaled.items(), size_seeds, strict=True)
            }
            scaling_runs[name] = by_size
            scaling = _noted(d.scaling_law_change(by_size), note)
        results[name] = verdicts(run, scaling)
    return Profile(setting=setting, verdicts=results, runs=runs, scaling_runs=scaling_runs)


def _noted(verdict: d.Verdict, note: str) -> d.Verdict:
    """Definition 5's verdict with the note on its sizes in its evidence and parameters."""
    evidence = f"{verdict.evidence}; {note}" if verdict.evidence else note
    parameters = {**verdict.parameters, "sizes_note": note}
    return dataclasses.replace(verdict, evidence=evidence, parameters=parameters)


def profile_runs(runs: Mapping[str, d.RunLike]) -> Profile:
    """The model collapse profile of runs you already have: ``runs`` maps paradigm labels to
    runs, as `mc.read_runs` returns them (or simulated `Run` objects). Each definition uses its
    documented defaults; Definition 5 needs runs read with a size column, and answers None with
    the reason otherwise. A definition that needs more recorded iterations than a run has
    answers None, and the others still answer."""
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(
            "runs must be a non-empty mapping from paradigm labels to runs, as mc.read_runs "
            f"returns, got {runs!r}"
        )
    results: dict[str, list[d.Verdict]] = {}
    for name, run in runs.items():
        if not isinstance(name, str):
            raise TypeError(f"runs' keys must be paradigm labels (str), got {name!r}")
        run = d._check_run(run)
        results[name] = verdicts(run, d.scaling_law_change(run))
    return Profile(setting=None, verdicts=results, runs=dict(runs))
