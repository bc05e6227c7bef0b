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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import xarray as xr

if TYPE_CHECKING:
    from .settings import Setting

__all__ = [
    "Hallucination",
    "Modes",
    "Never",
    "NotApplicable",
    "Quantity",
    "Resize",
    "Roles",
    "Tails",
    "metric",
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
