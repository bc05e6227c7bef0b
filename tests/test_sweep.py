"""Sweeps: chunks of replicates as tasks on any executor, gathered bit-identically."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import modelcollapse as mc

SETTINGS = {
    "histogram": mc.Discrete(weights=[0.2] * 5, samples=30),
    "gaussian": mc.Gaussian(np.zeros(2), np.eye(2), 20),
}
GRID = mc.grid(SETTINGS, [mc.Replace(), mc.Accumulate()])
KW = {"replicates": 12, "iterations": 10, "rng": 5, "progress": False}


@pytest.fixture(scope="module")
def reference():
    return mc.sweep(GRID, chunk=5, **KW)


def test_each_point_equals_its_own_simulate(reference):
    seeds = np.random.SeedSequence(5).spawn(len(GRID))
    for i, point in enumerate(GRID):
        run = mc.simulate(point.setting, point.paradigm, iterations=10, replicates=12,
                          rng=seeds[i], progress=False)  # fmt: skip
        for name in reference.data_vars:
            got = reference[name].sel(point=i).values
            if name in point.setting.default_metrics:
                np.testing.assert_array_equal(got, run.metrics[name].values.astype(float))
            else:
                assert np.isnan(got).all(), (i, name)
    assert list(reference["setting_repr"].values) == [repr(p.setting) for p in GRID]
    assert list(reference["paradigm_repr"].values) == [repr(p.paradigm) for p in GRID]
    assert list(reference["setting"].values) == ["histogram"] * 2 + ["gaussian"] * 2
    assert list(reference["paradigm"].values) == ["Replace", "Accumulate"] * 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: ThreadPoolExecutor(2),
        lambda: ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")),
    ],
    ids=["threads", "processes"],
)
def test_any_executor_and_chunk_give_the_same_bytes(reference, make):
    with make() as executor:
        got = mc.sweep(GRID, chunk=3, executor=executor, threads=1, **KW)
    for name in reference.data_vars:
        np.testing.assert_array_equal(got[name].values, reference[name].values)


def test_metrics_are_recorded_where_they_apply():
    ds = mc.sweep(GRID, metrics=["entropy", "cov_trace"], stride=5, **KW)
    assert set(ds.data_vars) == {"entropy", "cov_trace"}
    assert list(ds.iteration.values) == [0, 1, 5, 10]
    assert np.isnan(ds.entropy.sel(point=2)).all() and np.isfinite(ds.entropy.sel(point=0)).all()


def test_bad_sweeps_are_refused():
    with pytest.raises(TypeError, match="non-empty list"):
        mc.sweep([], **KW)
    with pytest.raises(ValueError, match="none of metrics"):
        mc.sweep(GRID, metrics=["w2sq"], **KW)
    with pytest.raises(ValueError, match="chunk must lie in"):
        mc.sweep(GRID, chunk=0, **KW)


def test_a_dask_cluster_gives_the_in_process_result(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = mc.sweep(GRID, chunk=4, executor=client.get_executor(), checkpoint=tmp_path, **KW)
    for name in reference.data_vars:
        np.testing.assert_array_equal(got[name].values, reference[name].values)
    assert len(list(tmp_path.glob("*.parquet"))) == len(GRID) * 3  # 12 replicates, chunks of 4


@pytest.mark.parametrize("name", [*SETTINGS, "regression", "kde"])
def test_settings_unpickled_from_unaligned_buffers_still_run(name):
    """Dask hands pickled arrays over at unaligned offsets; settings realign them on load."""
    setting = {
        **SETTINGS,
        "regression": mc.LinearRegression(3, 10, design=np.ones((10, 3)) + np.eye(10, 3)),
        "kde": mc.KDE(
            np.linspace(-1, 1, 20), test=np.linspace(-2, 2, 9), bandwidth=0.3, samples=20
        ),
    }[name]
    buffers: list[pickle.PickleBuffer] = []
    blob = pickle.dumps(setting, protocol=5, buffer_callback=buffers.append)
    unaligned = [memoryview(bytearray(b"x" + bytes(b.raw())))[1:] for b in buffers]
    copy = pickle.loads(blob, buffers=unaligned)
    for value in vars(copy).values():
        if isinstance(value, np.ndarray):
            assert value.flags.aligned and value.flags.c_contiguous and not value.flags.writeable
    kw = {"iterations": 3, "replicates": 2, "rng": 1, "progress": False}
    want = mc.simulate(setting, mc.Replace(), **kw).metrics
    got = mc.simulate(copy, mc.Replace(), **kw).metrics
    for metric in want.data_vars:
        np.testing.assert_array_equal(got[metric].values, want[metric].values)


def test_rng_takes_every_form_simulate_takes():
    kw = {**KW, "replicates": 3}
    del kw["rng"]
    seeded = mc.sweep(GRID[:1], rng=np.random.SeedSequence(5), **kw)
    np.testing.assert_array_equal(mc.sweep(GRID[:1], rng=5, **kw).entropy, seeded.entropy)
    np.testing.assert_array_equal(mc.sweep(GRID[:1], rng=np.int64(5), **kw).entropy, seeded.entropy)
    a = mc.sweep(GRID[:1], rng=np.random.default_rng(1), **kw)
    b = mc.sweep(GRID[:1], rng=np.random.default_rng(1), **kw)
    np.testing.assert_array_equal(a.entropy, b.entropy)
    for bad, error in [(True, TypeError), (-1, ValueError), ("5", TypeError), (1.5, TypeError)]:
        with pytest.raises(error, match="rng must be"):
            mc.sweep(GRID[:1], rng=bad, **kw)


def test_a_result_too_large_for_memory_is_refused_before_any_work():
    with pytest.raises(ValueError, match="stride=") as err:
        mc.sweep(GRID, replicates=10**9, iterations=10**4, rng=1, progress=False)
    assert err.match("GiB")
