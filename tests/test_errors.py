"""Bad input gets a clear ValueError/TypeError naming the argument, never a panic or a crash."""

import numpy as np
import pytest

import modelcollapse as mc

OK = mc.Discrete(weights=[0.5, 0.5], samples=10)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"weights": [0.5, -0.1], "samples": 10}, ValueError, "weights must be non-negative"),
        ({"weights": [0.5, np.nan], "samples": 10}, ValueError, "weights must be finite"),
        ({"weights": [0.5, np.inf], "samples": 10}, ValueError, "weights must be finite"),
        ({"weights": [0, 0, 0], "samples": 10}, ValueError, "weights must have a positive sum"),
        ({"weights": [], "samples": 10}, ValueError, "weights must hold between 1"),
        ({"weights": [[0.5, 0.5]], "samples": 10}, ValueError, "one-dimensional"),
        ({"weights": ["a", "b"], "samples": 10}, TypeError, "weights must be an array of real"),
        ({"weights": [1 + 1j], "samples": 10}, TypeError, "weights must be an array of real"),
        ({"counts": [1.5, 2], "samples": 10}, ValueError, "counts must be integers"),
        ({"counts": [-1, 2], "samples": 10}, ValueError, "counts must be non-negative"),
        ({"counts": [0, 0], "samples": 10}, ValueError, "counts must sum"),
        ({"counts": [True, False], "samples": 10}, TypeError, "counts must be an array of int"),
        ({"counts": [2**63, 1], "samples": 10}, ValueError, "at most 2\\*\\*62"),
        ({"weights": [1.0], "samples": 0}, ValueError, "samples must lie in \\[1"),
        ({"weights": [1.0], "samples": -5}, ValueError, "samples must lie in \\[1"),
        ({"weights": [1.0], "samples": 2**60}, ValueError, "samples must lie in"),
        ({"weights": [1.0], "samples": 10.5}, TypeError, "samples must be an integer"),
        ({"weights": [1.0], "samples": True}, TypeError, "samples must be an integer"),
        ({"weights": [1.0], "samples": 10, "tail": 0.0}, ValueError, "tail must lie in \\(0"),
        ({"weights": [1.0], "samples": 10, "tail": np.nan}, ValueError, "tail must lie"),
        ({"weights": [1.0], "counts": [1], "samples": 10}, TypeError, "exactly one of"),
        ({"samples": 10}, TypeError, "exactly one of"),
    ],
)
def test_bad_settings(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mc.Discrete(**kwargs)


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: mc.Accumulate(growth=-1), ValueError, "growth must lie in"),
        (lambda: mc.Accumulate(growth=np.inf), ValueError, "growth must lie in"),
        (lambda: mc.Accumulate(growth="1"), TypeError, "growth must be a real number"),
        (lambda: mc.AccumulateSubsample(0), ValueError, "size must lie in"),
        (lambda: mc.AccumulateSubsample(2.5), TypeError, "size must be an integer"),
        (lambda: mc.MixReal(1.5), ValueError, "fraction must lie in \\[0.0, 1.0\\]"),
        (lambda: mc.MixReal(-0.1), ValueError, "fraction must lie in"),
        (lambda: mc.MixReal(np.nan), ValueError, "fraction must lie in"),
    ],
)
def test_bad_paradigms(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def simulate(**overrides):
    kwargs = {
        "setting": OK,
        "paradigm": mc.Replace(),
        "iterations": 5,
        "replicates": 3,
        "rng": 0,
    }
    kwargs.update(overrides)
    return mc.simulate(kwargs.pop("setting"), kwargs.pop("paradigm"), **kwargs)


@pytest.mark.parametrize(
    ("overrides", "exc", "match"),
    [
        ({"iterations": -1}, ValueError, "iterations must lie in \\[0"),
        ({"iterations": 2.0}, TypeError, "iterations must be an integer"),
        ({"replicates": 0}, ValueError, "replicates must lie in \\[1"),
        ({"replicates": range(5, 5)}, ValueError, "replicates given as a range"),
        ({"replicates": range(0, 10, 2)}, ValueError, "step 1"),
        ({"stride": 0}, ValueError, "stride must lie in \\[1"),
        ({"metrics": ["entropy", "nope"]}, ValueError, "unknown metric 'nope'"),
        ({"metrics": []}, ValueError, "metrics must name at least one"),
        ({"metrics": ["entropy", "entropy"]}, ValueError, "twice"),
        ({"metrics": [3]}, TypeError, "metrics must be metric names"),
        ({"threads": 0}, ValueError, "threads must lie in \\[1"),
        ({"progress": "yes"}, TypeError, "progress must be None, True or False"),
        ({"rng": -1}, ValueError, "rng must be a non-negative"),
        ({"rng": "seed"}, TypeError, "rng must be None"),
        ({"rng": True}, TypeError, "not a bool"),
        ({"setting": "histogram"}, TypeError, "setting must be a setting"),
        ({"paradigm": "replace"}, TypeError, "paradigm must be one of"),
        ({"paradigm": mc.AccumulateSubsample(21)}, ValueError, "size must lie in \\[1, 20\\]"),
        ({"iterations": 10**7, "replicates": 10**7}, ValueError, "stride="),
        ({"paradigm": mc.Accumulate(growth=1e9), "iterations": 2**40}, ValueError, "iterations"),
    ],
)
def test_bad_simulate_arguments(overrides, exc, match):
    with pytest.raises(exc, match=match):
        simulate(**overrides)


def test_mix_real_needs_enough_real_data():
    setting = mc.Discrete(counts=[1, 1], samples=10)
    with pytest.raises(ValueError, match="real data hold only 2"):
        mc.simulate(setting, mc.MixReal(0.5), iterations=3, replicates=1)
    mc.simulate(setting, mc.MixReal(0.2), iterations=3, replicates=1)


def test_bad_collapse_time_arguments():
    with pytest.raises(ValueError, match="max_iterations must lie in"):
        mc.collapse_times(OK, replicates=2, max_iterations=-1)
    with pytest.raises(ValueError, match="max_iterations is required"):
        mc.collapse_times(OK, mc.MixReal(0.5), replicates=2)
    with pytest.raises(ValueError, match="replicates must lie in"):
        mc.collapse_times(OK, replicates=0)
    with pytest.raises(ValueError, match="run them in ranges"):
        mc.collapse_times(OK, replicates=2**62)
    with pytest.raises(ValueError, match="q must lie in"):
        mc.collapse_times(OK, replicates=5, rng=0).quantile(1.5)


def test_the_core_checks_its_own_arguments():
    """The binding layer refuses what the Python layer would have caught, without panicking."""
    from modelcollapse import _core
    from modelcollapse._rng import RootKey
    from modelcollapse.settings._common import KernelRun

    w = np.array([0.5, 0.5])
    key = (1, 2, 3, 4)

    def run(metrics=("entropy",), iterations=3, stride=1):
        return KernelRun(list(metrics), iterations, stride, RootKey(key, "test"), 0, 1, None, None)

    with pytest.raises(ValueError, match="weights: must be finite"):
        _core.simulate_discrete(np.array([np.nan]), None, 5, 0.1, _core.Paradigm.replace(), run())
    with pytest.raises(ValueError, match="samples"):
        _core.simulate_discrete(w, None, 0, 0.1, _core.Paradigm.replace(), run())
    with pytest.raises(ValueError, match="stride"):
        _core.simulate_discrete(w, None, 5, 0.1, _core.Paradigm.replace(), run(stride=0))
    with pytest.raises(ValueError, match=r"unknown discrete metric .x.; known: entropy"):
        _core.simulate_discrete(w, None, 5, 0.1, _core.Paradigm.replace(), run(["x"]))
    with pytest.raises(TypeError, match="Paradigm"):  # a paradigm is typed, not a name
        _core.simulate_discrete(w, None, 5, 0.1, "swap", run())
    with pytest.raises(ValueError, match="size"):
        _core.simulate_discrete(w, None, 5, 0.1, _core.Paradigm.accumulate_subsample(99), run())
    with pytest.raises(ValueError, match="counts"):
        _core.simulate_discrete(
            w, np.array([0, 0], dtype=np.uint64), 5, 0.1, _core.Paradigm.replace(), run()
        )
    with pytest.raises(AttributeError, match="metrics"):  # not a run: refused, no panic
        _core.simulate_discrete(w, None, 5, 0.1, _core.Paradigm.replace(), object())
    with pytest.raises(ValueError, match="max_iterations"):
        _core.collapse_times_discrete(w, None, 5, _core.Paradigm.accumulate(5), None, run())
    with pytest.raises(OverflowError):
        _core.simulate_discrete(w, None, -1, 0.1, _core.Paradigm.replace(), run())
    with pytest.raises(TypeError):
        _core.simulate_discrete([0.5, 0.5], None, 5, 0.1, _core.Paradigm.replace(), run())
