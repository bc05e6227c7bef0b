"""The public hypothesis strategies of `modelcollapse.testing`, used as a user would."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import modelcollapse as mc
from modelcollapse import testing


@given(testing.setting_and_paradigm())
def test_every_drawn_setting_and_paradigm_runs(sp):
    setting, paradigm = sp
    run = mc.simulate(setting, paradigm, iterations=3, replicates=2, rng=0, progress=False)
    for name in setting.default_metrics:
        values = run.metrics[name].values
        assert values.shape == (2, 4)
        assert not np.isnan(values[:, 0]).any(), name  # the real distribution is never NaN


@given(testing.invalid_settings())
def test_every_invalid_setting_raises_a_clear_error(call):
    make, kwargs = call
    with pytest.raises((TypeError, ValueError)):
        make(**kwargs)
