"""Strided runs: iterations 0, 1 and the last are recorded whatever the stride, so every
definition works on them; the definitions share one horizon rule, and a verdict's first iteration
never lies beyond its horizon."""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse import definitions as d

G = mc.Gaussian(0.0, 1.0, 20)
NEEDS = G.roles().needs()  # what the definitions read (the tail integrals are not by default)
SINGLE = [
    d.catastrophic_risk_increase,
    d.any_risk_increase,
    d.diverging_risk,
    d.collapsing_variance,
    d.lost_modes,
    d.lost_tails,
    d.hallucinated_data,
]


@pytest.mark.parametrize(
    ("iterations", "stride", "recorded"),
    [
        (400, 50, [0, 1, 50, 100, 150, 200, 250, 300, 350, 400]),
        (130, 50, [0, 1, 50, 100, 130]),
        (3, 10, [0, 1, 3]),
        (1, 5, [0, 1]),
        (0, 5, [0]),
        (6, 1, [0, 1, 2, 3, 4, 5, 6]),
    ],
)
def test_iterations_0_1_and_the_last_are_always_recorded(iterations, stride, recorded):
    for setting in (G, mc.Discrete(weights=[0.5, 0.5], samples=10)):
        run = mc.simulate(
            setting, mc.Replace(), iterations=iterations, replicates=3, stride=stride, rng=0
        )
        assert run.metrics.iteration.values.tolist() == recorded
    points = mc.grid({"g": G}, [mc.Replace()])
    ds = mc.sweep(points, replicates=3, iterations=iterations, stride=stride, rng=0)
    assert ds.iteration.values.tolist() == recorded


def test_a_strided_run_records_the_same_values_as_the_full_run():
    full = mc.simulate(G, mc.MixReal(0.2), iterations=130, replicates=20, rng=1)
    strided = mc.simulate(G, mc.MixReal(0.2), iterations=130, replicates=20, stride=50, rng=1)
    np.testing.assert_array_equal(
        strided.metrics.w2sq.values, full.metrics.w2sq.sel(iteration=[0, 1, 50, 100, 130]).values
    )


def test_every_definition_works_on_a_strided_run():
    """The issue's example: MixReal(0.2), 400 iterations, stride 50."""
    kw = {"iterations": 400, "replicates": 300, "metrics": NEEDS, "rng": 2}
    run = mc.simulate(G, mc.MixReal(0.2), stride=50, **kw)
    full = mc.simulate(G, mc.MixReal(0.2), **kw)
    for definition in SINGLE:
        v = definition(run)
        assert v.collapsed is not None or "not applicable" in v.evidence, definition.__name__
    # the endpoint comparisons see the same numbers as with stride=1
    for definition in (d.catastrophic_risk_increase, d.any_risk_increase, d.lost_tails):
        a, b = definition(run), definition(full)
        assert (a.collapsed, a.statistic, a.ci) == (b.collapsed, b.statistic, b.ci)


def test_first_iteration_never_lies_beyond_the_horizon():
    disc = mc.Discrete(weights=[0.1] * 10, samples=20)
    run = mc.simulate(disc, mc.Replace(), iterations=200, replicates=100, rng=3)
    for horizon in (8, 64, 200):
        for definition in SINGLE:
            v = definition(run, horizon=horizon)
            assert v.first_iteration is None or 1 <= v.first_iteration <= horizon, (
                definition.__name__,
                horizon,
                v.first_iteration,
            )
    # diversity falls below a tenth only late: never reported before the horizon it is judged at
    late = d.collapsing_variance(run, horizon=64)
    assert late.first_iteration is None or late.first_iteration <= 64


@pytest.mark.parametrize("definition", SINGLE, ids=lambda f: f.__name__)
def test_one_horizon_rule_for_every_definition(definition):
    run = mc.simulate(G, mc.Replace(), iterations=8, replicates=20, metrics=NEEDS, rng=4)
    for bad, match in ((0, "horizon"), (9, "not a recorded iteration"), (-1, "horizon")):
        with pytest.raises(ValueError, match=match):
            definition(run, horizon=bad)
    v = definition(run, horizon=1)  # allowed everywhere; doubling horizons then do not apply
    assert v.collapsed is not None or "distinct recorded iterations" in v.evidence
    real_only = mc.simulate(G, mc.Replace(), iterations=0, replicates=20, rng=4)
    with pytest.raises(ValueError, match="only iteration 0"):
        definition(real_only)


def test_absorbed_chains_finish_at_once_with_their_rows_filled():
    """Under Replace a chain whose model is one atom never leaves it: a run of 10**10 or 2**62
    generations ends at once, and a strided run records the same values as the full one."""
    two = mc.Discrete(weights=[0.5, 0.5], samples=2)
    run = mc.simulate(two, mc.Replace(), iterations=10**10, stride=10**10, replicates=4, rng=0)
    assert run.metrics.iteration.values.tolist() == [0, 1, 10**10]
    assert (run.metrics.support_size.sel(iteration=10**10) == 1).all()
    one = mc.Discrete(weights=[1.0], samples=5)
    run = mc.simulate(one, mc.Replace(), iterations=2**62, stride=2**61, replicates=2, rng=0)
    assert run.metrics.iteration.values.tolist() == [0, 1, 2**61, 2**62]
    assert (run.metrics.entropy == 0).all()
    ds = mc.sweep(
        mc.grid({"d": two}, [mc.Replace()]), replicates=3, iterations=2**40, stride=2**39, rng=0
    )
    assert (ds.max_weight.sel(iteration=2**40) == 1).all()
    # filling equals stepping: the metrics of an absorbed model never change
    small = mc.Discrete(weights=[0.3, 0.7], samples=6)
    full = mc.simulate(small, mc.Replace(), iterations=300, replicates=40, rng=1)
    assert (full.metrics.support_size.sel(iteration=300) == 1).all()
    strided = mc.simulate(small, mc.Replace(), iterations=300, replicates=40, stride=7, rng=1)
    for name in full.metrics.data_vars:
        np.testing.assert_array_equal(
            strided.metrics[name].values,
            full.metrics[name].sel(iteration=strided.metrics.iteration).values,
        )
