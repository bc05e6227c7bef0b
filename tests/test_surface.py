"""The library's surface (issue 13): labelled sweeps and their runs, swept collapse times, seeds
numpy accepts, Run and Verdict, the profile's sizes and runs, KDE far from the origin,
RAYON_NUM_THREADS."""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xarray as xr

import modelcollapse as mc
from modelcollapse.definitions import Verdict

D20 = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=20)
D40 = mc.Discrete(weights=[0.5, 0.3, 0.2], samples=40)
PARADIGMS = [mc.Replace(), mc.MixReal(0.1), mc.MixReal(0.5), mc.Accumulate(2.0)]
POINTS = mc.grid({"D=20": D20, "D=40": D40}, PARADIGMS)
SWEEP = {"replicates": 6, "iterations": 10, "rng": 3, "progress": False}


@pytest.fixture(scope="module")
def swept() -> xr.Dataset:
    return mc.sweep(POINTS, **SWEEP)


# -- labelled sweeps ------------------------------------------------------------------------------


def test_grid_labels_tell_paradigms_apart_and_carry_their_parameters(swept):
    assert list(swept.paradigm.values[:4]) == [
        "Replace",
        "MixReal(fraction=0.1)",
        "MixReal(fraction=0.5)",
        "Accumulate(growth=2.0)",
    ]
    np.testing.assert_array_equal(swept.fraction.values[:4], [np.nan, 0.1, 0.5, np.nan])
    np.testing.assert_array_equal(swept.growth.values[:4], [np.nan, np.nan, np.nan, 2.0])
    table = swept.set_index(point=["setting", "paradigm"]).unstack("point")
    assert dict(table.sizes) == {"replicate": 6, "iteration": 11, "setting": 2, "paradigm": 4}
    cell = table.entropy.sel(setting="D=40", paradigm="MixReal(fraction=0.1)")
    np.testing.assert_array_equal(cell.values, swept.entropy.isel(point=5).values)
    with pytest.raises(ValueError, match=r"same paradigm more than once: MixReal"):
        mc.grid({"a": D20}, [mc.MixReal(0.1), mc.MixReal(0.1)])


def test_labels_named_like_a_metric_are_refused_before_any_work():
    # 2**40 replicates would be refused for their size too: the label is checked first
    with pytest.raises(ValueError, match=r"label named 'entropy', like a metric"):
        mc.sweep([(D20, mc.Replace(), {"entropy": 1})], replicates=2**40, iterations=10**9)
    with pytest.raises(ValueError, match=r"labels may not be named 'iteration'"):
        mc.sweep([(D20, mc.Replace(), {"iteration": 1})], replicates=2, iterations=2)
    with pytest.raises(ValueError, match=r"label named 'censored'"):
        mc.sweep_collapse_times([(D20, mc.Replace(), {"censored": 1})], replicates=2**40)


def test_point_run_is_a_run_the_definitions_and_profile_accept(swept):
    run = mc.point_run(swept, POINTS, 2)
    assert isinstance(run, mc.Run) and run.paradigm == mc.MixReal(0.5) and run.setting == D20
    np.testing.assert_array_equal(run.metrics.entropy.values, swept.entropy.isel(point=2).values)
    assert run.metrics.support_size.dtype == np.int64
    assert set(run.metrics.coords) == {"replicate", "iteration"}
    alone = mc.simulate(D20, mc.MixReal(0.5), iterations=10, replicates=6, rng=1)
    assert set(run.metrics.data_vars) == set(alone.metrics.data_vars)
    assert mc.definitions.collapsing_variance(run).definition == 4
    profile = mc.profile_runs({"MixReal(0.5)": run, "Replace": mc.point_run(swept, POINTS, 0)})
    assert profile.table().shape == (8, 2)
    with pytest.raises(ValueError, match=r"ran Replace"):
        mc.point_run(swept, POINTS[1:] + POINTS[:1], 0)
    with pytest.raises(ValueError, match=r"the 8 points the sweep ran"):
        mc.point_run(swept, POINTS[:3], 0)
    with pytest.raises(ValueError, match=r"point must lie in"):
        mc.point_run(swept, POINTS, 8)
    with pytest.raises(TypeError, match=r"xarray.Dataset mc.sweep returned"):
        mc.point_run(run.metrics, POINTS, 0)


# -- swept collapse times -------------------------------------------------------------------------

TIMES_POINTS = mc.grid({"D=10": mc.Discrete(weights=[0.5, 0.5], samples=10), "D=20": D20}, [
    mc.Replace(),
    mc.MixReal(0.2),
])  # fmt: skip
TIMES = {"replicates": 40, "max_iterations": 60, "rng": 9, "progress": False}


def test_swept_collapse_times_are_collapse_times_and_independent_of_how_they_ran(tmp_path):
    ds = mc.sweep_collapse_times(TIMES_POINTS, **TIMES)
    assert dict(ds.sizes) == {"point": 4, "replicate": 40}
    assert ds.time.dtype == np.int64 and ds.censored.dtype == bool
    seeds = np.random.SeedSequence(9).spawn(4)
    for i, point in enumerate(TIMES_POINTS):
        want = mc.collapse_times(
            point.setting, point.paradigm, replicates=40, rng=seeds[i], max_iterations=60
        )
        got = mc.point_times(ds, i)
        np.testing.assert_array_equal(got.times, want.times)
        np.testing.assert_array_equal(got.censored, want.censored)
        assert got.max_iterations == 60 and got.attrs["paradigm"] == repr(point.paradigm)
    with ThreadPoolExecutor(2) as pool:
        other = mc.sweep_collapse_times(TIMES_POINTS, chunk=7, executor=pool, **TIMES)
    xr.testing.assert_identical(ds, other)
    # a checkpoint: a rerun reads the chunks back; a lost chunk is recomputed, bit for bit
    first = mc.sweep_collapse_times(TIMES_POINTS, chunk=16, checkpoint=tmp_path, **TIMES)
    files = sorted(tmp_path.glob("*.parquet"))
    assert len(files) == 4 * 3
    files[5].unlink()
    xr.testing.assert_identical(
        first, mc.sweep_collapse_times(TIMES_POINTS, chunk=16, checkpoint=tmp_path, **TIMES)
    )
    xr.testing.assert_identical(first, ds)
    with pytest.raises(ValueError, match=r"max_iterations"):
        mc.sweep_collapse_times(
            TIMES_POINTS, chunk=16, checkpoint=tmp_path, **{**TIMES, "max_iterations": 61}
        )
    with pytest.raises(ValueError, match=r"holds a different sweep"):
        mc.sweep(TIMES_POINTS, replicates=40, iterations=3, rng=9, chunk=16, checkpoint=tmp_path)


def test_swept_collapse_times_check_every_point_first():
    gauss = mc.Gaussian(mean=np.zeros(2), cov=np.eye(2), samples=10)
    with pytest.raises(TypeError, match=r"point 1: collapse times need a mc.Discrete"):
        mc.sweep_collapse_times([(D20, mc.Replace()), (gauss, mc.Replace())], replicates=2)
    with pytest.raises(ValueError, match=r"point 1: max_iterations is required under MixReal"):
        mc.sweep_collapse_times([(D20, mc.Replace()), (D20, mc.MixReal(0.1))], replicates=2)
    ds = mc.sweep_collapse_times([(D20, mc.Replace())], replicates=5, rng=0, progress=False)
    assert not ds.censored.any() and "max_iterations" not in ds.attrs
    assert mc.point_times(ds, 0).max_iterations is None
    with pytest.raises(TypeError, match=r"sweep_collapse_times returned"):
        mc.point_times(ds.drop_vars("time"), 0)


# -- seeds ----------------------------------------------------------------------------------------


def test_rng_accepts_every_seed_numpy_does():
    kw = {"iterations": 3, "replicates": 3, "progress": False}
    want = mc.simulate(D20, mc.Replace(), rng=np.random.SeedSequence([1, 2]), **kw)
    for seed in ([1, 2], (1, 2), np.array([1, 2], dtype=np.uint32)):
        got = mc.simulate(D20, mc.Replace(), rng=seed, **kw)
        xr.testing.assert_identical(got.metrics.drop_attrs(), want.metrics.drop_attrs())
        assert got.metrics.attrs["seed"] == "[1, 2]"
    bit = mc.simulate(D20, mc.Replace(), rng=np.random.PCG64(4), **kw)
    again = mc.simulate(D20, mc.Replace(), rng=np.random.Generator(np.random.PCG64(4)), **kw)
    np.testing.assert_array_equal(bit.metrics.entropy, again.metrics.entropy)
    assert mc.sweep([(D20, mc.Replace())], rng=[7, 8], **kw).sizes["point"] == 1
    for bad, error in (([1.5], TypeError), ([-1], ValueError), ([True], TypeError)):
        with pytest.raises(error, match=r"rng"):
            mc.simulate(D20, mc.Replace(), rng=bad, **kw)


# -- Run, CollapseTimes, Verdict ------------------------------------------------------------------


def test_run_repr_validation_and_a_frame_too_large():
    run = mc.simulate(D20, mc.Replace(), iterations=3, replicates=2, rng=0, metrics=["entropy"])
    text = repr(run)
    assert text.startswith(f"Run(setting={D20!r}, paradigm=Replace(), replicates=2")
    assert "iterations=0..3" in text and "Dataset" not in text
    with pytest.raises(TypeError, match=r"Run\(setting=...\) must be a setting object.*str"):
        mc.Run(run.metrics, "Discrete", mc.Replace())
    with pytest.raises(TypeError, match=r"must be an xarray.Dataset"):
        mc.Run(run.metrics.entropy, D20, mc.Replace())
    with pytest.raises(TypeError, match=r"paradigm"):
        mc.Run(run.metrics, D20, "Replace")
    assert list(run.to_pandas(replicates=range(1, 2)).replicate.unique()) == [1]
    with pytest.raises(ValueError, match=r"unknown metric 'tail_mass'"):
        run.to_pandas(metrics=["tail_mass"])
    huge = xr.Dataset(  # 10**11 rows that take no memory (a broadcast view)
        {"entropy": (("replicate", "iteration"), np.broadcast_to(0.0, (10**6, 10**5)))}
    )
    with pytest.raises(ValueError, match=r"100,000,000,000 rows .*metrics=.*replicates=.*Dataset"):
        mc.Run(huge, D20, mc.Replace()).to_pandas()


def test_collapse_times_label_the_last_replicates_exactly():
    times = mc.collapse_times(D20, replicates=range(2**63 - 3, 2**63), rng=0)
    assert list(times.to_pandas().replicate) == [2**63 - 3, 2**63 - 2, 2**63 - 1]


def test_verdicts_check_their_definition_and_name_the_interval_as_the_attribute():
    with pytest.raises(ValueError, match=r"definition must be one of 1..8 .*got 9"):
        Verdict(9, None, None, None, "t")
    with pytest.raises(TypeError, match=r"definition must be an int"):
        Verdict(True, None, None, None, "t")
    v = Verdict(4, True, 0.05, (0.01, 0.09), "test", {"level": 0.05})
    assert v.name == "collapsing_variance"
    assert v.to_dict()["ci"] == v.ci and "ci_low" not in v.to_dict()
    assert Verdict(6, None, None, None, "t").to_dict()["ci"] is None


# -- the profile ----------------------------------------------------------------------------------


def test_profile_module_and_function_no_longer_shadow_each_other():
    assert callable(mc.profile) and mc.profile is importlib.import_module("modelcollapse").profile
    assert importlib.import_module("modelcollapse._profile").profile is mc.profile
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("modelcollapse.profile")


def test_profile_says_when_it_moves_the_sizes_and_keeps_their_runs():
    reg = mc.LinearRegression(dim=90, samples=100, noise=1.0)
    profile = mc.profile(reg, [mc.Replace()], iterations=4, replicates=3, rng=0)
    scaling = profile.verdicts["Replace"][4]
    assert scaling.parameters["sizes"] == (93, 100, 200, 400)
    assert "n/2 = 50 raised to 93" in scaling.evidence
    assert "raised to 93" in scaling.parameters["sizes_note"]
    runs = profile.scaling_runs["Replace"]
    assert sorted(runs) == [93, 100, 200, 400] and all(isinstance(r, mc.Run) for r in runs.values())
    assert runs[93].setting.samples == 93
    details = profile.details()
    assert {"ci_low", "ci_high"} <= set(details) and "ci" not in details


def test_profile_checks_every_size_and_paradigm_before_running():
    setting = mc.Discrete(weights=[0.1] * 10, samples=100)
    with pytest.raises(ValueError, match=r"sample size 50 \(sizes 50, 100, 200, 400 .*size must"):
        mc.profile(setting, [mc.AccumulateSubsample(150)], iterations=10**6, replicates=10**6)
    with pytest.raises(ValueError, match=r"sample size 60 \(sizes 60, 100, 200, as given\)"):
        mc.profile(setting, [mc.AccumulateSubsample(150)], sizes=[60, 100, 200])


# -- KDE far from the origin ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mixture", "match"),
    [
        (([1], [1e15], [1e-3]), "component 0, N\\(1e\\+15, 0.001\\^2\\), is not resolved"),
        (([0.5, 0.5], [-1e100, 1e100], [1.0, 1.0]), "not resolved"),
        (([1], [1e9], [1e-8]), "not resolved"),
    ],
)
def test_unresolved_mixtures_are_refused(mixture, match):
    with pytest.raises(ValueError, match=match):
        mc.GaussianMixture(*mixture)


def test_kde_far_from_the_origin_records_what_it_records_at_the_origin():
    kw = {"bandwidth": 0.2, "samples": 200, "test_size": 50}
    at_zero = mc.KDE(sampler=mc.GaussianMixture([0.5, 0.5], [-2, 2], [1.0, 1.0]), **kw)
    far = mc.KDE(sampler=mc.GaussianMixture([0.5, 0.5], [1e8 - 2, 1e8 + 2], [1.0, 1.0]), **kw)
    lo, hi = far.tail_interval()
    assert (lo - 1e8, hi - 1e8) == pytest.approx(at_zero.tail_interval(), abs=1e-6)
    sim = {"iterations": 3, "replicates": 2, "rng": 0, "progress": False}
    a = mc.simulate(at_zero, mc.Replace(), **sim).metrics
    b = mc.simulate(far, mc.Replace(), **sim).metrics
    assert float(b.support_spread[0, 0]) == pytest.approx(np.sqrt(5.0), rel=1e-12)
    for name in a.data_vars:  # the same draws, shifted by 1e8: the same numbers to ~1e-7
        np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-5, atol=1e-5)
    single = mc.KDE(sampler=mc.GaussianMixture([1], [1e8], [1.0]), **kw)
    spread = mc.simulate(single, mc.Replace(), **sim).metrics.support_spread.values
    assert spread[0, 0] == pytest.approx(1.0) and (np.abs(spread - 1) < 0.2).all()


def test_kde_modes_far_apart_and_tiny_bandwidths_far_out():
    mixture = mc.GaussianMixture([0.5, 0.5], [-1e100, 1e100], [1e99, 1e99])
    kde = mc.KDE(sampler=mixture, bandwidth=1e92, samples=50, test_size=10)
    lo, hi = kde.tail_interval()  # the 5% quantile: the left mode's 10% quantile
    assert lo == pytest.approx(-1e100 - 1.2815515655446004e99, rel=1e-12) and hi == -lo
    metrics = mc.simulate(kde, mc.Replace(), iterations=2, replicates=2, rng=0).metrics
    assert all(np.isfinite(metrics[name]).all() for name in metrics.data_vars)
    # a kernel far narrower than the spacing of doubles there samples its centre (the correctly
    # rounded c + h z), and every metric stays finite
    tiny = mc.KDE(sampler=mixture, bandwidth=1.0, samples=50, test_size=10)
    metrics = mc.simulate(tiny, mc.Replace(), iterations=2, replicates=2, rng=0).metrics
    assert all(np.isfinite(metrics[name]).all() for name in metrics.data_vars)


def test_kde_with_given_data_does_not_offer_mode_mass():
    kde = mc.KDE(np.linspace(-1, 1, 20), test=np.linspace(-1, 1, 7), bandwidth=0.3)
    assert "mode_mass" not in kde.metric_names and "mode_mass" in mc.KDE.metric_names
    metrics = mc.simulate(kde, mc.Replace(), iterations=2, replicates=2, rng=0).metrics
    assert "mode_mass" not in metrics and np.isfinite(metrics.to_array()).all()
    with pytest.raises(ValueError, match=r"unknown metric 'mode_mass'"):
        mc.simulate(kde, mc.Replace(), iterations=2, replicates=2, metrics=["mode_mass"])
    import pickle

    assert pickle.loads(pickle.dumps(kde)).metric_names == kde.metric_names


# -- RAYON_NUM_THREADS ----------------------------------------------------------------------------


def test_rayon_num_threads_is_checked_and_bounded(monkeypatch):
    kw = {"iterations": 5, "replicates": 20, "rng": 0, "progress": False}
    want = mc.simulate(D20, mc.Replace(), threads=1, **kw).metrics
    for value in ("100000", "1025", "-1", "two"):
        monkeypatch.setenv("RAYON_NUM_THREADS", value)
        with pytest.raises(ValueError, match=r"RAYON_NUM_THREADS: .*\[1, 1024\].*got \""):
            mc.simulate(D20, mc.Replace(), **kw)
        # threads= needs no default pool, so it still runs
        xr.testing.assert_identical(mc.simulate(D20, mc.Replace(), threads=2, **kw).metrics, want)
    for value in ("3", "0", ""):
        monkeypatch.setenv("RAYON_NUM_THREADS", value)
        xr.testing.assert_identical(mc.simulate(D20, mc.Replace(), **kw).metrics, want)
