"""The discrete setting and the simulation entry points, called as a user would."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import modelcollapse as mc

UNIFORM = mc.Discrete(weights=[0.1] * 10, samples=100)
PARADIGMS = [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(150), mc.MixReal(0.3)]


def test_discrete_normalises_weights_and_reads_counts():
    s = mc.Discrete(weights=[1, 3], samples=5)
    np.testing.assert_allclose(s.weights, [0.25, 0.75])
    assert s.counts is None and s.real_size == 5 and s.atoms == 2
    c = mc.Discrete(counts=[2, 0, 6], samples=4)
    np.testing.assert_allclose(c.weights, [0.25, 0.0, 0.75])
    assert c.counts.dtype == np.uint64 and c.real_size == 8
    assert c == mc.Discrete(counts=np.array([2.0, 0.0, 6.0]), samples=4)
    assert hash(c) == hash(mc.Discrete(counts=[2, 0, 6], samples=4))
    assert "counts=[2, 0, 6]" in repr(c)
    with pytest.raises(ValueError, match="read-only"):
        s.weights[0] = 1.0


def test_paradigms_are_frozen_dataclasses():
    assert mc.Accumulate() == mc.Accumulate(growth=1.0)
    with pytest.raises(AttributeError):
        mc.MixReal(0.5).fraction = 0.1  # type: ignore[misc]
    assert repr(mc.AccumulateSubsample(7)) == "AccumulateSubsample(size=7)"


@pytest.mark.parametrize("paradigm", PARADIGMS, ids=lambda p: type(p).__name__)
def test_run_dataset_layout(paradigm):
    run = mc.simulate(UNIFORM, paradigm, iterations=20, replicates=7, rng=3, stride=4)
    ds = run.metrics
    assert isinstance(ds, xr.Dataset)
    assert set(ds.data_vars) == set(mc.Discrete.metric_names)
    assert ds.entropy.dims == ("replicate", "iteration")
    np.testing.assert_array_equal(ds.iteration, [0, 1, 4, 8, 12, 16, 20])  # 1: real data only
    np.testing.assert_array_equal(ds.replicate, np.arange(7))
    assert ds.support_size.dtype == np.int64
    # iteration 0 is the real distribution itself
    first = ds.isel(iteration=0)
    np.testing.assert_allclose(first.entropy, np.log(10))
    np.testing.assert_allclose(first.tv_to_real, 0.0, atol=1e-15)
    np.testing.assert_allclose(first.tail_mass, 0.1)
    assert ds.attrs["paradigm"] == repr(paradigm)
    assert ds.attrs["seed"] == "3"
    assert ds.attrs["modelcollapse_version"] == mc.__version__
    assert len(ds.attrs["rng_key"]) == 64
    frame = run.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 7 * 7
    assert {"replicate", "iteration", "entropy", "max_weight"} <= set(frame.columns)


def test_generation_one_is_the_same_fit_under_every_paradigm():
    firsts = [
        mc.simulate(UNIFORM, p, iterations=1, replicates=5, rng=11).metrics.isel(iteration=1)
        for p in PARADIGMS
    ]
    for other in firsts[1:]:
        xr.testing.assert_identical(firsts[0].drop_attrs(), other.drop_attrs())


def test_metric_selection_and_zero_iterations():
    run = mc.simulate(UNIFORM, mc.Replace(), iterations=0, replicates=3, metrics="entropy", rng=0)
    assert list(run.metrics.data_vars) == ["entropy"]
    assert run.metrics.entropy.shape == (3, 1)
    run = mc.simulate(
        UNIFORM, mc.Replace(), iterations=5, replicates=2, metrics=["max_weight", "entropy"], rng=0
    )
    assert list(run.metrics.data_vars) == ["max_weight", "entropy"]


def test_counts_setting_first_model_is_the_counts():
    s = mc.Discrete(counts=[5, 3, 2], samples=10)
    run = mc.simulate(s, mc.Replace(), iterations=1, replicates=4, rng=0)
    np.testing.assert_allclose(run.metrics.tv_to_real.sel(iteration=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(run.metrics.max_weight.sel(iteration=1), 0.5)


def test_accumulate_with_zero_growth_keeps_the_real_data():
    run = mc.simulate(UNIFORM, mc.Accumulate(growth=0.0), iterations=30, replicates=5, rng=1)
    m = run.metrics.max_weight
    np.testing.assert_array_equal(m.isel(iteration=slice(1, None)), m.isel(iteration=[1] * 30))


def test_mix_real_with_all_real_data_keeps_the_real_data():
    run = mc.simulate(UNIFORM, mc.MixReal(1.0), iterations=30, replicates=5, rng=1)
    e = run.metrics.entropy
    np.testing.assert_array_equal(e.isel(iteration=slice(1, None)), e.isel(iteration=[1] * 30))


def test_mix_real_with_no_real_data_is_replace():
    a = mc.simulate(UNIFORM, mc.MixReal(0.0), iterations=50, replicates=6, rng=4).metrics
    b = mc.simulate(UNIFORM, mc.Replace(), iterations=50, replicates=6, rng=4).metrics
    np.testing.assert_array_equal(a.support_size, b.support_size)


def test_large_samples_and_many_atoms():
    big_d = mc.Discrete(weights=np.ones(1000), samples=10**12)
    run = mc.simulate(big_d, mc.Replace(), iterations=5, replicates=2, rng=0)
    # with 10^12 draws per generation nothing is lost and the fit stays within 1e-4 of uniform
    assert (run.metrics.support_size == 1000).all()
    assert float(run.metrics.tv_to_real.max()) < 1e-3
    many = mc.Discrete(weights=np.ones(10**6), samples=10**6)
    run = mc.simulate(many, mc.Replace(), iterations=3, replicates=2, rng=0, metrics="support_size")
    # E[support] after one draw of n = K items is K (1 - (1 - 1/K)^K) ~ 0.632 K
    assert 0.62e6 < int(run.metrics.support_size.isel(iteration=1)[0]) < 0.64e6


def test_collapse_times_object():
    times = mc.collapse_times(mc.Discrete(weights=[0.5, 0.5], samples=10), replicates=500, rng=0)
    assert len(times) == 500 and times.n_censored == 0
    assert times.times.dtype == np.int64 and (times.times >= 1).all()
    assert times.mean() == pytest.approx(times.times.mean())
    assert times.sem() > 0
    assert times.quantile(0.5) == np.quantile(times.times, 0.5, method="inverted_cdf")
    surv = times.survival()
    assert list(surv.columns) == ["time", "survival", "lower", "upper"]
    assert surv.survival.iloc[-1] == 0.0 and (np.diff(surv.survival) <= 0).all()
    frame = times.to_pandas()
    assert list(frame.columns) == ["replicate", "time", "censored"] and len(frame) == 500


def test_collapse_time_zero_when_the_real_distribution_has_one_atom():
    times = mc.collapse_times(mc.Discrete(weights=[0, 1, 0], samples=10), replicates=3, rng=0)
    np.testing.assert_array_equal(times.times, 0)


def test_censored_collapse_times_refuse_a_plain_mean():
    setting = mc.Discrete(weights=np.ones(5), samples=50)
    with pytest.raises(ValueError, match="max_iterations is required"):
        mc.collapse_times(setting, mc.Accumulate(), replicates=3)
    times = mc.collapse_times(setting, mc.Accumulate(), replicates=20, max_iterations=30, rng=0)
    assert times.n_censored == 20 and (times.times == 30).all()
    with pytest.raises(ValueError, match="censored"):
        times.mean()
    with pytest.raises(ValueError, match="censored"):
        times.sem()
    assert times.mean(lower_bound=True) == 30
    with pytest.raises(ValueError, match="beyond max_iterations"):
        times.quantile(0.5, censored="raise")
    replace = mc.collapse_times(setting, replicates=400, rng=0, max_iterations=40)
    assert 0 < replace.n_censored < 400
    surv = replace.survival()
    assert surv.time.max() == 40
    # Kaplan-Meier equals the empirical survival when every replicate is censored at one time
    empirical = np.mean(replace.times > 20) + 0 * np.mean(replace.censored)
    assert surv[surv.time <= 20].survival.iloc[-1] == pytest.approx(empirical)


def test_progress_bar(capsys):
    mc.simulate(UNIFORM, mc.Replace(), iterations=50, replicates=50, rng=0, progress=True)
    assert "simulate" in capsys.readouterr().err
    mc.simulate(UNIFORM, mc.Replace(), iterations=50, replicates=50, rng=0, progress=False)
    assert capsys.readouterr().err == ""


def test_cli_demo(capsys):
    from modelcollapse.cli import main

    assert main(["demo", "--replicates", "200"]) == 0
    out = capsys.readouterr().out
    assert "collapse time under Replace" in out and "Accumulate" in out


def test_ten_million_collapse_times_fit_in_well_under_a_gigabyte():
    """Only the times are stored: 10^7 replicates take 9 bytes each (run in a fresh process so
    that its peak resident memory can be read)."""
    import subprocess
    import sys

    script = (
        "import resource, modelcollapse as mc\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t = mc.collapse_times(mc.Discrete(weights=[0.5, 0.5], samples=2), replicates=10**7,"
        " rng=0, progress=False)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(t), (after - before) / 1024, t.times.nbytes + t.censored.nbytes)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(out[0]) == 10**7
    assert int(out[2]) == 9 * 10**7
    assert float(out[1]) < 300, f"peak memory grew by {float(out[1]):.0f} MiB"


def test_the_chains_draws_have_the_binomial_law_and_refuse_bad_parameters():
    # the batch entry that benches/bench_discrete.py times: Binomial(n_left, mass / mass_left)
    # drawn as the chain draws them (inversion from 0, from the mode, BTRS, flipped p > 1/2)
    draws = 200_000
    for n_left, mass, mass_left in [(30, 1, 10), (1000, 30, 1000), (900, 700, 1000), (5000, 3, 7)]:
        x = mc._core.conditional_binomials(
            np.full(draws, n_left, np.uint64),
            np.full(draws, mass, np.uint64),
            np.full(draws, mass_left, np.uint64),
            (1, 2, 3, 4),
        ).astype(float)
        p = mass / mass_left
        mean, var = n_left * p, n_left * p * (1 - p)
        assert abs(x.mean() - mean) < 5 * np.sqrt(var / draws)
        # the sample variance's standard error is about var sqrt(2 / draws)
        assert abs(x.var() - var) < 5 * var * np.sqrt(2 / draws)
    one = np.ones(2, np.uint64)
    with pytest.raises(ValueError, match="mass: each mass must lie in"):
        mc._core.conditional_binomials(one, one * 3, one, (0, 0, 0, 0))
    with pytest.raises(ValueError, match="same length"):
        mc._core.conditional_binomials(one, one[:1], one, (0, 0, 0, 0))
    huge = np.full(2, 2**63 + 5, np.uint64)
    with pytest.raises(ValueError, match="mass_left: each entry must be at most 2\\^62"):
        mc._core.conditional_binomials(one * 1000, one * (3 << 61), huge, (0, 0, 0, 0))
