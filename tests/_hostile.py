"""Shared pieces of the hostile-input tests, ``tests/test_hostile_*.py``.

Every case either raises a TypeError or ValueError whose message names the offending parameter,
or gives a correct result (checked against the same call with plain, well-formed input): never a
Rust panic (``pyo3_runtime.PanicException``, which is not an ``Exception`` and so is never caught
by ``pytest.raises((TypeError, ValueError))``), a crash, a hang or a silent wrong answer.

The hand-picked cases live in module-level lists in each file (counted by ``test_case_count`` in
``test_hostile_count.py``); hypothesis tests in each file throw arbitrary values (``ANY``) at the
same arguments. Every valid input is small, so all the files run in seconds; a case that hangs
fails after ``HANG_SECONDS`` (every file imports the autouse fixture ``_fail_instead_of_hanging``;
the Rust kernels answer the alarm as they answer Ctrl-C). ``sweep``'s ``checkpoint`` argument is
not tested here.
"""

from __future__ import annotations

import signal
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

import modelcollapse as mc

#: A case that runs longer than this has hung.
HANG_SECONDS = 60
#: Refusals of absurd sizes must come at once, before any allocation or work.
QUICK_SECONDS = 2.0


@pytest.fixture(autouse=True)
def _fail_instead_of_hanging():
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError(f"hostile case still running after {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- small valid settings and runs ---------------------------------------------------------------

KW = {"iterations": 3, "replicates": 2, "rng": 0, "progress": False}
SPD = np.array([[2.0, 0.5], [0.5, 1.0]])
D = mc.Discrete([0.5, 0.5], samples=10)
G = mc.Gaussian([1.0, -1.0], SPD, 10)
R = mc.LinearRegression(2, 10)
K = mc.KDE(bandwidth=0.5, samples=10, test_size=10)
RNG = np.random.default_rng(20250101)
X = RNG.standard_normal((10, 2))
DATA = RNG.standard_normal((7, 2))
MIX = mc.GaussianMixture([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0])


def sim(setting: Any = D, paradigm: Any = None, **kw: Any) -> mc.Run:
    return mc.simulate(setting, paradigm or mc.Replace(), **{**KW, **kw})


def times(**kw: Any) -> mc.CollapseTimes:
    return mc.collapse_times(D, **{"replicates": 20, "rng": 0, "progress": False, **kw})


RUN = sim(D, iterations=8, replicates=5)
CT = times()
CENSORED = times(paradigm=mc.MixReal(0.5), max_iterations=2)


def same_runs(a: mc.Run, b: mc.Run) -> None:
    assert list(a.metrics.data_vars) == list(b.metrics.data_vars)
    for name in a.metrics.data_vars:
        np.testing.assert_array_equal(a.metrics[name].values, b.metrics[name].values, name)
    np.testing.assert_array_equal(a.metrics.iteration.values, b.metrics.iteration.values)
    np.testing.assert_array_equal(a.metrics.replicate.values, b.metrics.replicate.values)


def readonly(a: Any) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


def unaligned(a: Any) -> np.ndarray:
    """A float64 copy of `a` at an odd byte offset (numpy's ALIGNED flag off)."""
    a = np.asarray(a, dtype=np.float64)
    out = np.ndarray(a.shape, dtype=np.float64, buffer=np.zeros(a.nbytes + 1, np.uint8), offset=1)
    out[...] = a
    assert not out.flags.aligned
    return out


def strided(a: Any) -> np.ndarray:
    """`a` as a non-contiguous view (every other element of a doubled array)."""
    a = np.asarray(a)
    doubled = np.repeat(a, 2, axis=0)[::2]
    if a.ndim == 2:
        doubled = np.repeat(doubled, 2, axis=1)[:, ::2]
    assert not doubled.flags.c_contiguous or a.size <= 1
    return doubled


def refuses(call: Any, exc: type[Exception], match: str) -> None:
    """call() raises exc with a message matching `match`, written as prose: no runs of spaces
    (a Rust string continued without its backslash once left 26 spaces mid-sentence)."""
    with pytest.raises(exc, match=match) as info:
        call()
    assert "  " not in str(info.value), f"runs of spaces in: {info.value}"


def e(id_: str, call: Any, exc: type[Exception], match: str) -> Any:
    return pytest.param(call, exc, match, id=id_)


def ct(setting: Any = D, paradigm: Any = None, **kw: Any) -> mc.CollapseTimes:
    return mc.collapse_times(
        setting, paradigm or mc.Replace(), **{"replicates": 3, "rng": 0, "progress": False, **kw}
    )


def v(id_: str, check: Any) -> Any:
    return pytest.param(check, id=id_)


#: Values of every kind, with integers either small (valid ones run in milliseconds) or beyond
#: every limit: never a valid but huge size.
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.integers(2**62, 2**70),
    st.integers(-(2**70), -(2**62)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.integers(-3, 12), max_size=4),
    st.sampled_from(
        [np.int64(3), np.uint8(2), np.float32(0.5), np.bool_(True), np.array(2), np.array([1, 2])]
    ),
    st.sampled_from(
        ["entropy", "w2sq", "auto", "samples", "statistics", range(0, 3), range(2**62)]
    ),
)
