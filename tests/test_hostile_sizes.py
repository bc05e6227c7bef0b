"""Valid but absurd sizes (memory and work limits), refused at once before any work."""

from __future__ import annotations

import time

import pytest
from _hostile import (
    QUICK_SECONDS,
    D,
    K,
    R,
    e,
    refuses,
    sim,
)

import modelcollapse as mc

#: Valid but absurd sizes: refused at once (before any allocation or work) with a ValueError.
ABSURD_SIZES = [
    e(
        "accumulate-pool-past-2**62-values",
        lambda: sim(mc.Discrete(weights=[1, 1], samples=10**15), mc.Accumulate(), iterations=10**5),
        ValueError,
        "iterations: the pool would grow past .* over 100000 generations; use fewer",
    ),
    e(
        "replicates-10**12-iterations-10**6",
        lambda: sim(replicates=10**12, iterations=10**6),
        ValueError,
        "replicates",
    ),
    e("replicates-2**62", lambda: sim(replicates=2**62, iterations=0), ValueError, "GiB"),
    e("iterations-2**62", lambda: sim(iterations=2**62), ValueError, "iterations"),
    e(
        "iterations-2**62-stride-1",
        lambda: sim(iterations=2**62, stride=1, replicates=10**6),
        ValueError,
        "stride",
    ),
    e(
        "gaussian-samples-2**32-points",
        lambda: sim(mc.Gaussian(0.0, 1.0, 2**32), method="samples"),
        ValueError,
        "samples",
    ),
    e(
        "kde-test-size-2**31",
        lambda: sim(mc.KDE(bandwidth=0.5, samples=10, test_size=2**31)),
        ValueError,
        "test",
    ),
    e(
        "regression-samples-2**32-rows",
        lambda: sim(mc.LinearRegression(1, 2**32), mc.Accumulate(1e9), method="samples"),
        ValueError,
        "samples",
    ),
    e(
        "regression-subsample-every-label-kept",
        lambda: sim(R, mc.AccumulateSubsample(5), iterations=2**40, stride=2**40),
        ValueError,
        "iterations",
    ),
    e(
        "kde-accumulate-pool",
        lambda: sim(K, mc.Accumulate(1e9), iterations=2**20, stride=2**20),
        ValueError,
        "iterations|memory",
    ),
    e(
        "discrete-accumulate-pool-beyond-2**62",
        lambda: sim(mc.Discrete([1, 1], samples=2**20), mc.Accumulate(1e9), iterations=2**30),
        ValueError,
        "iterations",
    ),
    e(
        "collapse-times-replicates-10**12",
        lambda: mc.collapse_times(D, replicates=10**12),
        ValueError,
        "replicates",
    ),
    e(
        "collapse-times-replicates-2**63",
        lambda: mc.collapse_times(D, replicates=2**63),
        ValueError,
        "replicates",
    ),
]


@pytest.mark.parametrize(("call", "exc", "match"), ABSURD_SIZES)
def test_absurd_sizes_are_refused_at_once(call, exc, match):
    start = time.perf_counter()
    refuses(call, exc, match)
    assert time.perf_counter() - start < QUICK_SECONDS
