"""Hypothesis properties of the discrete engine, over random settings and paradigms."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import testing

#: Small discrete settings from weights or counts (the library's public strategy).
settings = testing.discrete_settings


@st.composite
def setting_and_paradigm(draw):
    setting = draw(settings())
    n, d = setting.real_size, setting.samples
    paradigm = draw(
        st.one_of(
            st.just(mc.Replace()),
            st.builds(mc.Accumulate, st.floats(min_value=0.0, max_value=3.0)),
            st.builds(mc.AccumulateSubsample, st.integers(min_value=1, max_value=n + d)),
            st.builds(mc.MixReal, st.floats(min_value=0.0, max_value=min(1.0, n / d))),
        )
    )
    return setting, paradigm


def training_size(setting, paradigm, t):
    """Items in generation t's training set (t >= 1)."""
    n, d = setting.real_size, setting.samples
    if t == 1:
        return n
    if isinstance(paradigm, mc.Accumulate):
        return n + (t - 1) * int(np.floor(paradigm.growth * d + 0.5))
    if isinstance(paradigm, mc.AccumulateSubsample):
        return paradigm.size
    return d


@given(setting_and_paradigm(), st.integers(min_value=0, max_value=40), st.integers(0, 2**32))
def test_metrics_lie_in_range_and_counts_sum_to_the_training_size(sp, iterations, seed):
    setting, paradigm = sp
    run = mc.simulate(setting, paradigm, iterations=iterations, replicates=3, rng=seed)
    m = run.metrics
    k = setting.atoms
    assert ((m.entropy >= 0) & (m.entropy <= np.log(k) + 1e-12)).all()
    assert ((m.support_size >= 1) & (m.support_size <= k)).all()
    assert ((m.gini_simpson >= 0) & (m.gini_simpson <= 1 - 1 / k + 1e-12)).all()
    assert ((m.tv_to_real >= 0) & (m.tv_to_real <= 1)).all()
    assert ((m.tail_mass >= 0) & (m.tail_mass <= 1)).all()
    assert ((m.max_weight >= 1 / k - 1e-12) & (m.max_weight <= 1)).all()
    assert (m.nll_real >= m.entropy.isel(iteration=0) - 1e-9).all(), "Gibbs' inequality"
    # every model is an empirical distribution of its training set: weights are multiples of
    # 1/size, so max_weight * size is an integer
    for t in range(1, iterations + 1):
        size = training_size(setting, paradigm, t)
        scaled = m.max_weight.sel(iteration=t).values * size
        np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-6 * size)


@given(settings(), st.integers(min_value=1, max_value=60), st.integers(0, 2**32))
def test_replace_never_grows_support_and_collapse_is_absorbing(setting, iterations, seed):
    run = mc.simulate(setting, mc.Replace(), iterations=iterations, replicates=4, rng=seed)
    support = run.metrics.support_size.values[:, 1:]
    assert (np.diff(support, axis=1) <= 0).all()
    collapsed = run.metrics.max_weight.values[:, 1:] == 1.0
    # once collapsed, every later iteration is collapsed: the flags are non-decreasing
    assert (np.diff(collapsed.astype(int), axis=1) >= 0).all()


@given(settings(), st.floats(min_value=0.1, max_value=3.0), st.integers(0, 2**32))
def test_accumulate_never_loses_a_real_atom(setting, growth, seed):
    run = mc.simulate(setting, mc.Accumulate(growth), iterations=30, replicates=3, rng=seed)
    support = run.metrics.support_size.values[:, 1:]
    assert (support == support[:, :1]).all()
    if setting.counts is not None:
        assert np.isfinite(run.metrics.nll_real.values).all()


@given(setting_and_paradigm(), st.integers(0, 2**32), st.sampled_from([1, 2, 3]))
def test_same_seed_same_result(sp, seed, threads):
    setting, paradigm = sp
    a = mc.simulate(setting, paradigm, iterations=15, replicates=5, rng=seed)
    b = mc.simulate(setting, paradigm, iterations=15, replicates=5, rng=seed, threads=threads)
    for name in a.metrics.data_vars:
        np.testing.assert_array_equal(a.metrics[name].values, b.metrics[name].values)


@given(
    st.one_of(
        st.none(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=3),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
        st.booleans(),
    ),
    st.sampled_from(["samples", "iterations", "replicates", "stride", "threads", "weights"]),
)
def test_random_arguments_raise_clear_errors_or_work(value, name):
    """Whatever is passed, the result is a valid run or a TypeError/ValueError naming the
    argument: never a panic, a crash or another exception type."""
    setting_kwargs = {"weights": [0.3, 0.7], "samples": 8}
    call_kwargs = {"iterations": 3, "replicates": 2, "stride": 1, "threads": None}
    if name in setting_kwargs:
        setting_kwargs[name] = value
    else:
        call_kwargs[name] = value
    try:
        setting = mc.Discrete(**setting_kwargs)
        run = mc.simulate(setting, mc.Replace(), rng=0, **call_kwargs)
    except (TypeError, ValueError) as err:
        assert name in str(err)
    else:
        assert run.metrics.entropy.notnull().all()
