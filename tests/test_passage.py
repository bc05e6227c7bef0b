"""mc.first_passage: the first recorded iteration at which a metric meets a condition, as
CollapseTimes; and CollapseTimes.quantile's documented value where a quantile is censored."""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc

# a Zipf-like vocabulary whose rarest atoms (the real tail set of tail_mass) are soon lost
WEIGHTS = 1.0 / np.arange(1, 21)
SETTING = mc.Discrete(weights=WEIGHTS / WEIGHTS.sum(), samples=40)
KW = {"replicates": 300, "rng": 5, "progress": False}


@pytest.fixture(scope="module")
def full() -> mc.Run:
    return mc.simulate(SETTING, mc.Replace(), iterations=60, metrics=["tail_mass"], **KW)


def by_hand(run: mc.Run, metric: str, value: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The hand-written argmax the issue describes: iterations >= 1, first where v == value."""
    labels = run.metrics.iteration.values
    values = run.metrics[metric].values[:, labels >= 1]
    labels = labels[labels >= 1]
    hit = values == value
    met = hit.any(axis=1)
    return np.where(met, labels[hit.argmax(axis=1)], labels[-1]), ~met, int(labels[-1])


def test_first_passage_equals_a_hand_written_argmax(full):
    times, censored, last = by_hand(full, "tail_mass", 0.0)
    assert 0 < censored.sum() < len(censored)  # some replicates keep their tail to the end
    for when in (("==", 0), lambda v: v == 0, ("<=", 0.0)):
        got = mc.first_passage(full, "tail_mass", when)
        assert isinstance(got, mc.CollapseTimes)
        np.testing.assert_array_equal(got.times, times)
        np.testing.assert_array_equal(got.censored, censored)
        assert got.max_iterations == last == 60 and got.replicates == range(300)
    got = mc.first_passage(full, "tail_mass", ("==", 0))
    assert got.attrs["metric"] == "tail_mass" and got.attrs["setting"] == repr(SETTING)
    surv = got.survival()  # the rest of CollapseTimes works
    assert surv.survival.iloc[-1] == pytest.approx(censored.mean())
    with_inf = np.where(censored, np.inf, times)
    assert got.quantile(0.1) == np.quantile(with_inf, 0.1, method="inverted_cdf")
    assert "tail_mass" in repr(got)


def test_a_stride_gives_iteration_labels_not_positions(full):
    strided = mc.simulate(
        SETTING, mc.Replace(), iterations=60, stride=7, metrics=["tail_mass"], **KW
    )
    labels = strided.metrics.iteration.values
    got = mc.first_passage(strided, "tail_mass", ("==", 0))
    np.testing.assert_array_equal(got.times, by_hand(strided, "tail_mass", 0.0)[0])
    assert set(got.times) <= set(labels[labels >= 1])
    # a lost atom never returns under Replace, so the strided passage is the first recorded
    # iteration at or after the exact one (the same replicates: streams ignore the stride)
    exact = mc.first_passage(full, "tail_mass", ("==", 0))
    assert got.max_iterations == 60
    np.testing.assert_array_equal(got.censored, exact.censored)
    ups = labels[np.searchsorted(labels, exact.times[~exact.censored])]
    np.testing.assert_array_equal(got.times[~got.censored], ups)


def test_start_zero_reproduces_collapse_times():
    run = mc.simulate(SETTING, mc.Replace(), iterations=120, metrics=["support_size"], **KW)
    got = mc.first_passage(run, "support_size", ("==", 1), start=0)
    want = mc.collapse_times(SETTING, max_iterations=120, **KW)
    np.testing.assert_array_equal(got.times, want.times)
    np.testing.assert_array_equal(got.censored, want.censored)


def test_censoring_and_the_quantile_beyond_it(full):
    got = mc.first_passage(full, "tail_mass", ("==", 0))
    assert got.n_censored > 0 and (got.times[got.censored] == 60).all()
    with pytest.raises(ValueError, match=r"had not met tail_mass == 0 by max_iterations=60"):
        got.mean()
    assert got.mean(lower_bound=True) <= 60
    top = 1 - got.n_censored / len(got) / 2  # a quantile among the censored
    assert got.quantile(top) == np.inf  # the documented default
    assert np.isnan(got.quantile(top, censored="nan"))
    np.testing.assert_array_equal(got.quantile([0.0, top]), [got.times.min(), np.inf])
    with pytest.raises(ValueError, match=r"beyond max_iterations=60"):
        got.quantile(top, censored="raise")
    with pytest.raises(ValueError, match=r"censored must be one of"):
        got.quantile(0.5, censored="ignore")


def test_a_condition_never_met_censors_every_replicate(full):
    got = mc.first_passage(full, "tail_mass", (">", 1))
    assert got.n_censored == 300 and (got.times == 60).all()
    assert got.quantile(0.5) == np.inf


def test_logged_runs_and_datasets_with_their_labels(full):
    frame = full.to_pandas()
    frame["replicate"] = frame["replicate"] * 10 + 3  # labels that are not a range
    (logged,) = mc.read_runs(frame, roles={"risk": "tail_mass"}).values()
    got = mc.first_passage(logged, "tail_mass", ("==", 0))
    want = mc.first_passage(full, "tail_mass", ("==", 0))
    np.testing.assert_array_equal(got.times, want.times)
    np.testing.assert_array_equal(got.to_pandas().replicate, np.arange(300) * 10 + 3)
    from_ds = mc.first_passage(full.metrics, "tail_mass", ("==", 0))  # a Dataset itself
    np.testing.assert_array_equal(from_ds.times, want.times)


@pytest.mark.parametrize(
    ("metric", "when", "kw", "error", "match"),
    [
        ("entropy", ("==", 0), {}, ValueError, "unknown metric 'entropy'; this run has: tail_mass"),
        (3, ("==", 0), {}, TypeError, "metric must be a metric name"),
        ("tail_mass", ("=", 0), {}, ValueError, "unknown comparison '='"),
        ("tail_mass", ("==",), {}, TypeError, r"\(op, value\)"),
        ("tail_mass", ("==", "0"), {}, TypeError, "real number"),
        ("tail_mass", ("==", np.nan), {}, ValueError, "when's value"),
        ("tail_mass", ("==", True), {}, TypeError, "real number"),
        ("tail_mass", "== 0", {}, TypeError, "when must be a callable"),
        ("tail_mass", lambda v: v[:, 0] == 0, {}, ValueError, "values' shape"),
        ("tail_mass", lambda v: v * 0, {}, TypeError, "booleans"),
        ("tail_mass", ("==", 0), {"start": 61}, ValueError, "no iteration at or after start=61"),
        ("tail_mass", ("==", 0), {"start": -1}, ValueError, "start"),
    ],
)
def test_errors_name_what_is_wrong(full, metric, when, kw, error, match):
    with pytest.raises(error, match=match):
        mc.first_passage(full, metric, when, **kw)


def test_not_a_run_is_refused():
    with pytest.raises(TypeError, match=r"run must be a mc.Run"):
        mc.first_passage("run", "tail_mass", ("==", 0))
    ds = mc.sweep(
        [(SETTING, mc.Replace())], replicates=2, iterations=2, rng=0, metrics=["tail_mass"]
    )
    with pytest.raises(ValueError, match=r"select one point"):
        mc.first_passage(ds, "tail_mass", ("==", 0))
