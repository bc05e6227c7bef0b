"""Roles: what a run's recorded metrics *mean* for the eight definitions (paper Sec. 2).

A setting declares its roles once, beside its own code (``setting.roles()``); a logged run gets
them from the columns a researcher names (``mc.read_runs(frame, roles={"risk": "test_loss"})``).
The definitions read roles only, never a setting's class: a role that is not declared makes its
definition answer ``collapsed=None`` with the reason, and a role that cannot change by
construction (a Gaussian fit keeps its single mode) makes it answer ``False`` with the reason.

Each role names a `Quantity`: one recorded metric, or a function of several (a Gaussian's mass on
its real tail shell is ``tail_mass - hallucinated_mass``). Quantities are computed over the whole
(replicate, iteration) grid, so they may read iteration 0 (the real distribution).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import xarray as xr

from . import _checks

if TYPE_CHECKING:
    from .settings import Setting

__all__ = [
    "ROLE_NAMES",
    "Hallucination",
    "Modes",
    "Never",
    "NotApplicable",
    "Quantity",
    "Resize",
    "Roles",
    "Tails",
    "metric",
    "roles_from_mapping",
]


@dataclass(frozen=True)
class Quantity:
    """A per-(replicate, iteration) quantity read from recorded metrics.

    ``needs`` are the metric names (columns) it reads; ``compute`` receives them as keyword
    arguments (xarray DataArrays over replicate and iteration) and returns a DataArray of the same
    dims. Without ``compute`` the quantity is the single metric in ``needs`` itself.
    """

    label: str
    needs: tuple[str, ...]
    compute: Callable[..., xr.DataArray] | None = field(default=None, compare=False)

    def of(self, metrics: xr.Dataset) -> xr.DataArray:
        """The quantity over the run's (replicate, iteration) grid."""
        missing = [name for name in self.needs if name not in metrics]
        if missing:
            recorded = ", ".join(map(str, metrics.data_vars)) or "nothing"
            raise ValueError(
                f"the run must record {', '.join(map(repr, missing))} for {self.label} "
                f"(it records: {recorded}); simulate with metrics= naming them "
                "(setting.roles().needs() lists what the definitions read)"
            )
        if self.compute is None:
            return metrics[self.needs[0]].astype("float64")
        return self.compute(**{name: metrics[name].astype("float64") for name in self.needs})


def metric(name: str, label: str | None = None) -> Quantity:
    """The quantity that is one recorded metric (or logged column) itself."""
    return Quantity(label or name, (name,))


@dataclass(frozen=True)
class NotApplicable:
    """The role is not declared: its definition answers None (not applicable), with ``reason``."""

    reason: str


@dataclass(frozen=True)
class Never:
    """Collapse in this sense cannot happen by construction: the definition answers False, with
    ``reason`` (e.g. every Gaussian fit has exactly one mode)."""

    reason: str


@dataclass(frozen=True)
class Tails:
    """Definition 7: ``model`` is the model's mass on the real tail region ``region``, ``real``
    the real distribution's mass there (a number, or a quantity read at iteration 0)."""

    model: Quantity
    real: float | Quantity
    region: str


@dataclass(frozen=True)
class Modes:
    """Definition 6. ``kind="count"``: ``quantity`` counts the real modes the model keeps (a
    discrete model's atoms); collapse when the mean count lost since the real-data-only model is
    above 0. ``kind="mass"``: ``quantity`` is the weakest real mode's model mass relative to the
    real's; collapse when its median falls below one half. ``real`` is the number of real modes
    (for the evidence), ``unit`` what a mode is, ``description`` what the quantity measures."""

    kind: Literal["count", "mass"]
    quantity: Quantity
    real: int | None = None
    unit: str = "modes"
    description: str = ""


@dataclass(frozen=True)
class Hallucination:
    """Definition 8: ``model`` is the model's mass in ``region`` (outside the real support, or
    beyond a real level set), ``real`` the real distribution's mass there (0 outside its
    support)."""

    model: Quantity
    real: float
    region: str


@dataclass(frozen=True)
class Resize:
    """Definition 5's axis: ``build(n)`` is the same setting trained on n samples per generation
    (n >= ``minimum``)."""

    build: Callable[[int], Setting] = field(compare=False)
    minimum: int = 1


@dataclass(frozen=True)
class Roles:
    """What a run's metrics mean for the eight definitions.

    risk
        The population risk on real data (lower is better): Definitions 1-3.
    excess_risk
        The risk above its irreducible floor (Definition 5's scaling law); NotApplicable to fit
        the risk itself.
    diversity
        The model's variance or diversity (Definition 4), compared with the real's (iteration 0,
        else the real-data-only model at iteration 1).
    modes, tails, hallucination, level_set
        Definitions 6, 7 and 8 (mass outside the real support; with ``level_set=True``, beyond
        the real highest-density region).
    resize
        How to build the same setting at another training size (Definition 5), or NotApplicable.
    risk_theory
        Recorded metrics whose exact expected curves (``mc.theory.expected_curve``) decide
        whether the expected risk diverges: the expected risk is at most their sum plus a
        constant, and grows without bound when one of theirs does, so it diverges exactly when
        one of them does. Empty: no exact theory.
    """

    risk: Quantity
    excess_risk: Quantity | NotApplicable = NotApplicable("no excess risk is declared")
    diversity: Quantity | Never | NotApplicable = NotApplicable("no diversity is declared")
    modes: Modes | Never | NotApplicable = NotApplicable("no mode metric is declared")
    tails: Tails | Never | NotApplicable = NotApplicable("no tail mass is declared")
    hallucination: Hallucination | Never | NotApplicable = NotApplicable(
        "no mass outside the real support is declared"
    )
    level_set: Hallucination | NotApplicable = NotApplicable("no level-set mass is declared")
    resize: Resize | NotApplicable = NotApplicable(
        "no other training size is given (a logged run needs a size column)"
    )
    risk_theory: tuple[str, ...] = ()

    def needs(self) -> list[str]:
        """Every metric the declared roles read, in a stable order."""
        out: list[str] = []
        for role in (
            self.risk,
            self.excess_risk,
            self.diversity,
            self.modes,
            self.tails,
            self.hallucination,
            self.level_set,
        ):
            for q in _quantities(role):
                out += [n for n in q.needs if n not in out]
        return out

    def scaling_needs(self) -> list[str]:
        """The metrics Definition 5 reads: the excess risk's, else the risk's."""
        q = self.excess_risk if isinstance(self.excess_risk, Quantity) else self.risk
        return list(q.needs)


def _quantities(role: object) -> list[Quantity]:
    if isinstance(role, Quantity):
        return [role]
    if isinstance(role, Tails):
        return [role.model] + ([role.real] if isinstance(role.real, Quantity) else [])
    if isinstance(role, Modes):
        return [role.quantity]
    if isinstance(role, Hallucination):
        return [role.model]
    return []


#: The roles a mapping may name (`roles_from_mapping`), and what each takes: a metric (a logged
#: run's column, an `mc.Model`'s metric), or a number.
ROLE_NAMES = {
    "risk": "metric: the population risk on real data, lower is better (Definitions 1-3)",
    "excess_risk": "metric: the risk above its irreducible floor (Definition 5)",
    "diversity": "metric: the model's variance or diversity (Definition 4)",
    "tail_mass": "metric: the model's mass on the real tail region (Definition 7)",
    "real_tail_mass": "number: the real mass on that region (default: tail_mass at iteration 0)",
    "mode_count": "metric: how many real modes the model keeps (Definition 6)",
    "real_modes": "number: how many modes the real distribution has (for the evidence)",
    "mode_mass": "metric: the weakest real mode's model mass relative to the real's (Def. 6)",
    "hallucinated_mass": "metric: the model's mass outside the real support (Definition 8)",
    "level_set_mass": "metric: the model's mass beyond a real highest-density region (Def. 8)",
    "real_level_set_mass": "number: the real mass beyond that region (needed with level_set_mass)",
}
_NUMBERS = ("real_tail_mass", "real_modes", "real_level_set_mass")


def roles_from_mapping(mapping: Mapping[str, Any], name: Callable[[str, Any], str]) -> Roles:
    """Roles from {role name (`ROLE_NAMES`): metric or number}, e.g. ``{"risk": "test_loss",
    "diversity": "variance"}``. ``name(what, value)`` checks that ``value`` names a metric
    (``what`` says which argument named it, for the message) and returns the name."""
    if not isinstance(mapping, Mapping):
        raise TypeError(f"roles must map role names to metrics, got {type(mapping).__name__}")
    unknown = [k for k in mapping if k not in ROLE_NAMES]
    if unknown:
        allowed = "; ".join(f"{k} ({v})" for k, v in ROLE_NAMES.items())
        raise ValueError(f"roles: unknown role {unknown[0]!r}; the roles are: {allowed}")
    if "risk" not in mapping:
        raise ValueError("roles must name the risk, e.g. roles={'risk': 'test_loss'}")
    cols = {k: name(f"roles[{k!r}]", v) for k, v in mapping.items() if k not in _NUMBERS}
    numbers = {
        k: _checks.real(f"roles[{k!r}]", v, minimum=0.0)
        for k, v in mapping.items()
        if k in _NUMBERS
    }
    for number, needs in (
        ("real_tail_mass", "tail_mass"),
        ("real_modes", "mode_count"),
        ("real_level_set_mass", "level_set_mass"),
    ):
        if number in numbers and needs not in cols:
            raise ValueError(f"roles: {number} is given without {needs}")
    if "mode_count" in cols and "mode_mass" in cols:
        raise ValueError("roles: give mode_count or mode_mass, not both")
    if "level_set_mass" in cols and "real_level_set_mass" not in numbers:
        raise ValueError(
            "roles: level_set_mass needs real_level_set_mass, the real mass beyond that region"
        )
    kw: dict[str, Any] = {"risk": metric(cols["risk"])}
    if "excess_risk" in cols:
        kw["excess_risk"] = metric(cols["excess_risk"])
    if "diversity" in cols:
        kw["diversity"] = metric(cols["diversity"])
    if "tail_mass" in cols:
        tail = metric(cols["tail_mass"])
        real = numbers.get("real_tail_mass", tail)
        where = f"the region measured by {cols['tail_mass']!r}"
        kw["tails"] = Tails(tail, real=real, region=where)
    if "mode_count" in cols:
        real_modes = numbers.get("real_modes")
        kw["modes"] = Modes(
            "count",
            metric(cols["mode_count"]),
            real=None if real_modes is None else int(real_modes),
            description=f"modes counted by {cols['mode_count']!r}",
        )
    if "mode_mass" in cols:
        kw["modes"] = Modes("mass", metric(cols["mode_mass"]), description=cols["mode_mass"])
    if "hallucinated_mass" in cols:
        where = f"outside the real support (measured by {cols['hallucinated_mass']!r})"
        kw["hallucination"] = Hallucination(metric(cols["hallucinated_mass"]), 0.0, where)
    if "level_set_mass" in cols:
        where = f"beyond the real level set (measured by {cols['level_set_mass']!r})"
        real = numbers["real_level_set_mass"]
        kw["level_set"] = Hallucination(metric(cols["level_set_mass"]), real, where)
    return Roles(**kw)
