"""The count of hand-picked hostile cases over all the test_hostile_*.py files."""

from __future__ import annotations

from _hostile import _fail_instead_of_hanging  # noqa: F401
from test_hostile_collapse_times import COLLAPSE_TIMES_ERRORS
from test_hostile_constructors import CONSTRUCTOR_ERRORS
from test_hostile_definitions import (
    DEFINITION_ERRORS,
    MISSING_METRIC,
    PROFILE_ERRORS,
    SCALING_ERRORS,
    VALID_DEFINITIONS,
)
from test_hostile_simulate import SIMULATE_ERRORS
from test_hostile_sizes import ABSURD_SIZES
from test_hostile_strategies import STRATEGY_ERRORS
from test_hostile_sweep import SWEEP_BUGS, SWEEP_ERRORS, VALID_SWEEP
from test_hostile_theory import THEORY_ERRORS, VALID_THEORY
from test_hostile_valid_weird import VALID_WEIRD

HAND_PICKED = {
    "constructors": len(CONSTRUCTOR_ERRORS),
    "simulate": len(SIMULATE_ERRORS),
    "absurd sizes": len(ABSURD_SIZES),
    "collapse_times and CollapseTimes": len(COLLAPSE_TIMES_ERRORS),
    "valid but weird": len(VALID_WEIRD),
    "theory": len(THEORY_ERRORS) + len(VALID_THEORY),
    "definitions": len(DEFINITION_ERRORS) + len(MISSING_METRIC) + len(SCALING_ERRORS),
    "profile and definitions, valid": len(PROFILE_ERRORS) + len(VALID_DEFINITIONS),
    "sweep": len(SWEEP_ERRORS) + len(SWEEP_BUGS) + len(VALID_SWEEP),
    "testing strategies": len(STRATEGY_ERRORS),
}


def test_case_count():
    total = sum(HAND_PICKED.values())
    print(f"\n{total} hand-picked hostile cases: {HAND_PICKED}")
    assert total >= 590
