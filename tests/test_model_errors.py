"""Bad models, bad data and bad arguments for mc.Model: each a clear Python error naming the
callable or argument, the generation and the replicate; worker processes are shut down after an
error and after Ctrl-C."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from _models import gauss_fit, gauss_real, gauss_sample, gauss_var

import modelcollapse as mc

REAL = np.linspace(-1.0, 1.0, 10)


def model(fit=gauss_fit, sample=gauss_sample, *, real=REAL, metrics=None, **kw) -> mc.Model:
    return mc.Model(
        fit,
        sample,
        real=real,
        samples=10,
        metrics=metrics or {"var": gauss_var},
        roles=kw.pop("roles", {"risk": "var"}),
        **kw,
    )


def run(m: mc.Model, workers: int = 1, paradigm=None, **kw) -> mc.Run:
    return mc.simulate(
        m, paradigm or mc.Replace(), iterations=4, replicates=6, rng=0, workers=workers, **kw
    )


# -- module-level misbehaving callables (worker processes find them by name) --------------------


def fit_raises(data, rng):
    if len(data) and data[0] > 5:  # never on the real rows; always on generation 2's
        raise np.linalg.LinAlgError("singular matrix")
    return gauss_fit(data, rng)


def sample_far(m, n, rng):
    return np.full(n, 10.0)


def fit_none(data, rng):
    return None


def sample_wrong_shape(m, n, rng):
    return np.zeros((n, 2))


def sample_wrong_count(m, n, rng):
    return np.zeros(n - 1)


def sample_nan(m, n, rng):
    out = np.zeros(n)
    out[3] = np.nan
    return out


def sample_strings(m, n, rng):
    return np.array(["a"] * n)


def metric_string(m, c):
    return "high"


def metric_nan(m, c):
    return float("nan")


def metric_array(m, c):
    return np.zeros(3)


def metric_raises(m, c):
    raise KeyError("nll")


def real_raises(rng):
    raise OSError("data file missing")


def real_nan(rng):
    return np.array([1.0, np.nan])


def fit_dies(data, rng):
    os._exit(3)


# -- errors from the model's code ---------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_fit_raising_names_fit_generation_and_replicate(workers):
    with pytest.raises(mc.ModelError, match=r"fit raised at generation 2 of replicate \d+: "):
        run(model(fit_raises, sample_far), workers)
    assert not multiprocessing.active_children()


@pytest.mark.parametrize(
    ("sample", "error", "pattern"),
    [
        (sample_wrong_shape, ValueError, r"generation 2 of replicate 0 returned shape \(10, 2\)"),
        (sample_wrong_count, ValueError, r"sample\(model, 10, rng\).*shape \(9,\).*\(10,\)"),
        (sample_nan, ValueError, "1 NaN or infinite value.*first in row 3"),
        (sample_strings, TypeError, "returned dtype <U1; the real rows are float64"),
    ],
)
def test_bad_samples_are_named(sample, error, pattern):
    with pytest.raises(error, match=pattern):
        run(model(sample=sample))


def test_an_int_sample_for_float_rows_is_cast_and_float_for_int_refused():
    def int_sample(m, n, rng):
        return np.zeros(n, dtype=np.int32)

    run(model(sample=int_sample))  # int32 rows for float64 real rows: cast safely
    ints = np.arange(10)

    def float_sample(m, n, rng):
        return np.zeros(n)

    def fit(data, rng):
        return float(data.mean())

    m = mc.Model(
        fit, float_sample, real=ints, samples=10, metrics={"m": metric_m}, roles={"risk": "m"}
    )
    with pytest.raises(TypeError, match="returned dtype float64; the real rows are int64"):
        run(m)


def metric_m(m, c):
    return m


@pytest.mark.parametrize(
    ("metric", "error", "pattern"),
    [
        (metric_string, TypeError, r"metric 'var' at generation 0 of replicate \d+ returned str"),
        (metric_nan, ValueError, r"metric 'var' at generation 0 of replicate \d+ returned NaN"),
        (metric_array, TypeError, "returned ndarray"),
        (metric_raises, mc.ModelError, r"metric 'var' raised at generation 0 of replicate \d+"),
    ],
)
@pytest.mark.parametrize("workers", [1, 2])
def test_bad_metrics_are_named(metric, error, pattern, workers):
    with pytest.raises(error, match=pattern):
        run(model(metrics={"var": metric}), workers)
    assert not multiprocessing.active_children()


def test_fit_returning_none_is_refused():
    with pytest.raises(mc.ModelError, match="fit returned None at generation 1 of replicate 0"):
        run(model(fit_none))


def test_real_callables_that_fail_are_named():
    with pytest.raises(mc.ModelError, match=r"real.rng. raised for replicate 0: OSError"):
        run(model(real=real_raises))
    with pytest.raises(ValueError, match=r"real \(drawn for replicate 0\) holds 1 NaN"):
        run(model(real=real_nan))


def test_a_worker_that_dies_is_reported_and_the_pool_stopped():
    with pytest.raises(RuntimeError, match="a worker process died"):
        run(model(fit_dies), workers=2)
    assert not multiprocessing.active_children()


# -- what cannot travel to a worker -------------------------------------------------------------


def locked_model() -> mc.Model:
    """A model whose fit holds a lock: it cannot be pickled."""
    lock = threading.Lock()

    def fit_with_lock(data, rng):
        with lock:
            return gauss_fit(data, rng)

    return model(fit_with_lock)


def test_an_unpicklable_model_is_refused_before_any_work_and_runs_in_process():
    m = locked_model()
    with pytest.raises(TypeError, match=r"its fit cannot be pickled.*pass workers=1"):
        run(m, workers=2)
    assert not multiprocessing.active_children()
    assert run(m, workers=1).metrics["var"].shape == (6, 5)


def test_lambdas_and_local_functions_travel_by_cloudpickle():
    offset = 0.5

    def local_sample(m, n, rng):
        return rng.normal(m[0] + offset, 1.0, n)

    m = mc.Model(
        lambda data, rng: (float(data.mean()), 1.0),
        local_sample,
        real=gauss_real,
        samples=20,
        metrics={"mean": lambda m, c: m[0]},
        roles={"risk": "mean"},
    )
    a, b = run(m, workers=2), run(m, workers=1)
    assert a.metrics["mean"].values.tobytes() == b.metrics["mean"].values.tobytes()


# -- arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"fit": 3}, TypeError, "fit must be callable"),
        ({"real": np.zeros((0, 2))}, ValueError, "real must be an array of rows with at least one"),
        ({"real": [1.0, np.inf]}, ValueError, "real holds 1 NaN or infinite value"),
        ({"real": ["a", "b"]}, TypeError, "real must hold numbers"),
        ({"real": 3.0}, ValueError, "real must be an array of rows"),
        ({"metrics": {"var": 3}}, TypeError, r"metrics\['var'\] must be a function"),
        ({"metrics": {"not a name": gauss_var}}, ValueError, "each name must be an identifier"),
        ({"metrics": {"iteration": gauss_var}}, ValueError, "'iteration' is taken"),
        ({"roles": {"risk": "nll"}}, ValueError, r"roles\['risk'\]: no metric 'nll'"),
        ({"roles": {"diversity": "var"}}, ValueError, "roles must name the risk"),
        ({"roles": {"risk": "var", "speed": "var"}}, ValueError, "unknown role 'speed'"),
        ({"test": np.zeros((3, 2))}, ValueError, "test rows must be shaped like the real rows"),
        ({"name": 3}, TypeError, "name must be a str"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        model(**kwargs)


def test_bad_samples_argument():
    with pytest.raises(ValueError, match="samples must lie in"):
        mc.Model(
            gauss_fit,
            gauss_sample,
            real=REAL,
            samples=0,
            metrics={"v": gauss_var},
            roles={"risk": "v"},
        )


def test_execution_arguments():
    m = model()
    with pytest.raises(TypeError, match="threads= is for the built-in settings"):
        mc.simulate(m, mc.Replace(), iterations=2, replicates=2, rng=0, threads=2)
    with pytest.raises(ValueError, match="workers must lie in"):
        mc.simulate(m, mc.Replace(), iterations=2, replicates=2, rng=0, workers=0)
    with pytest.raises(TypeError, match=r"executor must be a concurrent.futures.Executor"):
        mc.simulate(m, mc.Replace(), iterations=2, replicates=2, rng=0, executor="pool")
    with pytest.raises(TypeError, match=r"workers= and executor= are for mc.Model"):
        mc.simulate(
            mc.Discrete(weights=[1, 1], samples=4),
            mc.Replace(),
            iterations=2,
            replicates=2,
            rng=0,
            workers=2,
        )
    with pytest.raises(ValueError, match="size must lie in"):
        run(m, paradigm=mc.AccumulateSubsample(50))
    with pytest.raises(ValueError, match=r"fraction=0.5 asks for .* 5 real rows"):
        mc.simulate(
            mc.Model(
                gauss_fit,
                gauss_sample,
                real=REAL[:3],
                samples=10,
                metrics={"v": gauss_var},
                roles={"risk": "v"},
            ),
            mc.MixReal(0.5),
            iterations=2,
            replicates=2,
            rng=0,
        )
    with pytest.raises(ValueError, match="method must be 'auto' for Model"):
        run(m, method="samples")


def test_a_real_callable_too_small_for_the_paradigm_names_the_replicate():
    m = model(real=lambda rng: rng.normal(size=3))
    with pytest.raises(ValueError, match="replicate 0: size must lie in"):
        run(m, paradigm=mc.AccumulateSubsample(20))


def test_model_is_immutable_and_has_a_readable_repr():
    m = model(name="gauss")
    with pytest.raises(AttributeError, match="immutable"):
        m.samples = 3  # type: ignore[misc]
    assert repr(m) == "Model('gauss', samples=10, real=<10 rows>, metrics=[var])"
    assert repr(model()).startswith("Model(fit=gauss_fit, sample=gauss_sample, samples=10, ")


# -- Ctrl-C --------------------------------------------------------------------------------------

SCRIPT = """
import os, sys, time, numpy as np, modelcollapse as mc

def fit(data, rng):
    with open(os.path.join({pids!r}, str(os.getpid())), "w"):
        pass
    t = time.monotonic()
    while time.monotonic() - t < 0.05:  # a 50 ms fit, in Python code
        pass
    return float(data.mean())

def sample(m, n, rng):
    return rng.normal(m, 1.0, n)

if __name__ == "__main__":
    model = mc.Model(fit, sample, real=np.zeros(10), samples=10,
                     metrics={{"m": lambda m, c: m}}, roles={{"risk": "m"}})
    print("started", flush=True)
    try:
        mc.simulate(model, mc.Replace(), iterations=10**6, replicates=8, rng=0,
                    workers={workers}, progress=False)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
        sys.exit(0)
    sys.exit(1)
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_a_model_run_and_leaves_no_worker(tmp_path, workers):
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(pids=str(pids), workers=workers)))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < workers and time.monotonic() < deadline:
        time.sleep(0.1)  # every worker is inside a fit
    time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, err
    stopped = float(out.split()[-1])
    assert stopped - sent < 3.0, f"took {stopped - sent:.1f} s"
    time.sleep(0.5)
    for pid in (int(p.name) for p in pids.iterdir()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    """SIGKILL gives the parent no chance to stop its pool: the workers notice it is gone and
    exit, rather than finish their chunk for nobody."""
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(pids=str(pids), workers=2)))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p.name) for p in pids.iterdir()]
    assert len(workers) == 2
    proc.kill()
    proc.communicate(timeout=10)
    deadline = time.monotonic() + 5
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in workers if _alive(pid)]
    assert not alive, f"workers {alive} outlived their parent"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


# -- what the review of the first version found -------------------------------------------------


def test_a_run_uses_the_model_as_it_is_when_the_run_starts():
    """No pickled copy outlives a run: a change to what fit reads shows in the next run, with
    any number of workers."""
    setting = {"level": 1.0}

    def fit(data, rng):
        return setting["level"]

    def sample(m, n, rng):
        return np.full(n, m)

    m = mc.Model(fit, sample, real=REAL, samples=10, metrics={"m": metric_m}, roles={"risk": "m"})
    assert np.all(run(m, workers=2).metrics["m"].values == 1.0)
    setting["level"] = 3.0
    for workers in (2, 1):
        assert np.all(run(m, workers=workers).metrics["m"].values == 3.0)


D_BLAS = 200


def blas_real(rng):
    return rng.standard_normal((2000, D_BLAS))


def blas_fit(data, rng):
    centred = data - data.mean(0)
    cov = centred.T @ centred / (len(data) - 1)
    return np.linalg.cholesky(cov + 1e-9 * np.eye(D_BLAS))


def blas_sample(m, n, rng):
    return rng.standard_normal((n, D_BLAS)) @ m.T


def blas_trace(m, c):
    return float(np.sum(m**2))


def test_blas_heavy_models_give_the_same_bytes_with_any_workers():
    """Every replicate runs BLAS on one thread, here as in a worker: a product summed over
    another number of threads would differ in the last bits."""
    m = mc.Model(
        blas_fit,
        blas_sample,
        real=blas_real,
        samples=2000,
        metrics={"tr": blas_trace},
        roles={"risk": "tr"},
    )
    kw = {"iterations": 2, "replicates": 4, "rng": 0}
    one = mc.simulate(m, mc.Replace(), workers=1, **kw).metrics["tr"].values
    two = mc.simulate(m, mc.Replace(), workers=2, **kw).metrics["tr"].values
    assert one.tobytes() == two.tobytes()


def test_integers_that_do_not_fit_the_real_dtype_are_refused():
    def fit(data, rng):
        return 0

    def wide(m, n, rng):
        return np.full(n, 300, dtype=np.int64)

    m = mc.Model(
        fit,
        wide,
        real=np.zeros(10, dtype=np.int8),
        samples=10,
        metrics={"m": metric_m},
        roles={"risk": "m"},
    )
    with pytest.raises(ValueError, match=r"int64 values that int8.*cannot hold"):
        run(m)


@pytest.mark.parametrize(
    "paradigm", [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(12), mc.MixReal(0.5)]
)
def test_training_rows_are_read_only_and_the_real_rows_a_copy(paradigm):
    writable = []

    def fit(data, rng):
        writable.append(data.flags.writeable)
        return gauss_fit(data, rng)

    real = REAL.copy()
    m = model(fit, real=real)
    real[:] = 100.0  # the user's array changes after the model was built
    result = run(m, paradigm=paradigm)
    assert not any(writable)
    assert np.all(result.metrics["var"].sel(iteration=1).values < 1.0)


def test_a_fixed_test_set_must_match_drawn_real_rows():
    m = model(real=lambda rng: rng.normal(size=(10, 2)), test=np.zeros(5))
    with pytest.raises(ValueError, match="replicate 0: the test rows are shaped"):
        run(m)


def test_a_metric_returning_a_huge_integer_is_named():
    m = model(metrics={"var": lambda m, c: 10**400})
    with pytest.raises(ValueError, match=r"metric 'var' .* integer too large"):
        run(m)


def test_thread_executors_take_unpicklable_models_and_process_executors_refuse_them():
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    m = locked_model()
    with ThreadPoolExecutor(2) as pool:
        threaded = run(m, executor=pool)
    assert threaded.metrics["var"].values.tobytes() == run(m).metrics["var"].values.tobytes()
    with (
        ProcessPoolExecutor(2) as pool,
        pytest.raises(TypeError, match=r"point 0: .*its fit cannot be pickled"),
    ):
        mc.sweep([(m, mc.Replace())], replicates=4, iterations=2, rng=0, executor=pool)
