"""Random streams: SPEC 7 `rng` arguments, and bit-identical results for any thread count,
RAYON_NUM_THREADS and chunking of the replicates."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import modelcollapse as mc

SETTING = mc.Discrete(weights=[0.4, 0.3, 0.2, 0.1], samples=25)
PARADIGMS = [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(30), mc.MixReal(0.4)]


def values(run):
    return np.stack([run.metrics[name].values.astype(float) for name in run.metrics.data_vars])


@pytest.mark.parametrize("paradigm", PARADIGMS, ids=repr)
def test_same_seed_same_numbers_for_any_thread_count(paradigm):
    runs = [
        values(mc.simulate(SETTING, paradigm, iterations=60, replicates=37, rng=123, threads=t))
        for t in (None, 1, 2, 3)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)


@pytest.mark.parametrize("paradigm", PARADIGMS, ids=repr)
def test_chunks_give_the_same_replicates(paradigm):
    whole = mc.simulate(SETTING, paradigm, iterations=40, replicates=20, rng=7)
    parts = [
        mc.simulate(SETTING, paradigm, iterations=40, replicates=range(a, b), rng=7)
        for a, b in ((0, 3), (3, 11), (11, 20))
    ]
    joined = xr.concat([p.metrics for p in parts], dim="replicate")
    xr.testing.assert_identical(whole.metrics.drop_attrs(), joined.drop_attrs())


def test_collapse_times_are_independent_of_threads_and_chunks():
    setting = mc.Discrete(weights=np.ones(6), samples=40)
    base = mc.collapse_times(setting, replicates=50, rng=3, threads=1)
    two = mc.collapse_times(setting, replicates=50, rng=3, threads=2)
    tail = mc.collapse_times(setting, replicates=range(20, 50), rng=3)
    np.testing.assert_array_equal(base.times, two.times)
    np.testing.assert_array_equal(base.times[20:], tail.times)
    # and they are the collapse iterations of the same replicates in simulate
    run = mc.simulate(setting, mc.Replace(), iterations=int(base.times.max()), replicates=50, rng=3)
    first = (run.metrics.max_weight.values == 1.0).argmax(axis=1)
    np.testing.assert_array_equal(first, base.times)


def test_rng_forms_follow_spec_7():
    def run(rng):
        return values(mc.simulate(SETTING, mc.Replace(), iterations=10, replicates=5, rng=rng))

    np.testing.assert_array_equal(run(42), run(np.random.SeedSequence(42)))
    np.testing.assert_array_equal(run(42), run(np.int64(42)))
    assert not np.array_equal(run(42), run(43))
    np.testing.assert_array_equal(run(np.random.default_rng(5)), run(np.random.default_rng(5)))
    gen = np.random.default_rng(5)
    assert not np.array_equal(run(gen), run(gen)), "a Generator advances"
    fresh = mc.simulate(SETTING, mc.Replace(), iterations=10, replicates=5)
    entropy = int(fresh.metrics.attrs["seed"].split("=")[1].rstrip(")"))
    np.testing.assert_array_equal(values(fresh), run(np.random.SeedSequence(entropy)))


#: Every setting under every paradigm, small enough to run many times.
ALL_SETTINGS = {
    "discrete": mc.Discrete(weights=np.arange(1, 30), samples=200),
    "gaussian": mc.Gaussian(np.zeros(3), np.eye(3) + 0.5, 30),
    "regression": mc.LinearRegression(4, 40, noise_model="estimated"),
    "kde": mc.KDE(bandwidth=0.3, samples=60, test_size=50),
}
ALL_PARADIGMS = [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(50), mc.MixReal(0.4)]

SCRIPT = """
import hashlib, sys, numpy as np, modelcollapse as mc
sys.path.insert(0, {tests!r})
from test_streams import ALL_PARADIGMS, ALL_SETTINGS
h = hashlib.sha256()
def add(ds):
    for name in sorted(ds.data_vars):
        h.update(np.ascontiguousarray(ds[name].values).tobytes())
for setting in ALL_SETTINGS.values():
    for paradigm in ALL_PARADIGMS:
        add(mc.simulate(setting, paradigm, iterations=12, replicates=9, rng=99).metrics)
t = mc.collapse_times(ALL_SETTINGS["discrete"], replicates=64, rng=99)
h.update(t.times.tobytes())
add(mc.sweep(mc.grid(ALL_SETTINGS, ALL_PARADIGMS), replicates=5, iterations=6, rng=7, chunk=2))
print(h.hexdigest())
"""


def test_rayon_num_threads_does_not_change_results():
    digests = set()
    script = SCRIPT.format(tests=os.path.dirname(__file__))
    for threads in ("1", "2", "4"):
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


@pytest.mark.parametrize("paradigm", ALL_PARADIGMS, ids=repr)
@pytest.mark.parametrize("name", ALL_SETTINGS)
def test_repeated_calls_give_identical_bytes(name, paradigm):
    setting = ALL_SETTINGS[name]
    digests = set()
    for threads in (None, 1, 2, None):
        run = mc.simulate(setting, paradigm, iterations=15, replicates=10, rng=1, threads=threads)
        digests.add(hashlib.sha256(values(run).tobytes()).hexdigest())
    assert len(digests) == 1
