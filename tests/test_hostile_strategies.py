"""Hostile arguments to the hypothesis strategies of modelcollapse.testing."""

from __future__ import annotations

import pytest
from _hostile import (
    ANY,
    e,
    refuses,
)
from hypothesis import given
from hypothesis import strategies as st

from modelcollapse import testing

STRATEGY_ERRORS = [
    e("paradigms-for-None", lambda: testing.paradigms_for(None), TypeError, "setting"),
    e("paradigms-for-str", lambda: testing.paradigms_for("x"), TypeError, "setting"),
    e("gaussian-max-dim-0", lambda: testing.gaussian_settings(0).example(), ValueError, "max_dim"),
    e("gaussian-max-dim-str", lambda: testing.gaussian_settings("3").example(), TypeError, "max"),
    e(
        "gaussian-max-dim-10**6",
        lambda: testing.gaussian_settings(10**6).example(),
        ValueError,
        "max_dim",
    ),
    e("regression-max-dim-2.5", lambda: testing.regression_settings(2.5).example(), TypeError, "m"),
    e("regression-max-dim--1", lambda: testing.regression_settings(-1).example(), ValueError, "m"),
]


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@pytest.mark.parametrize(("call", "exc", "match"), STRATEGY_ERRORS)
def test_strategies_refuse_hostile_arguments(call, exc, match):
    refuses(call, exc, match)


@given(ANY, st.sampled_from(["gaussian", "regression"]), st.data())
def test_any_max_dim_for_the_setting_strategies(max_dim, which, data):
    strategy = {"gaussian": testing.gaussian_settings, "regression": testing.regression_settings}
    try:
        setting = data.draw(strategy[which](max_dim))
    except (TypeError, ValueError) as err:
        assert "max_dim" in str(err), err
        return
    assert 1 <= setting.dim <= int(max_dim)
