"""mc.Model, a researcher's own model: the same law as the built-in settings under every paradigm
(against mc.Gaussian(method="samples"), mc.Discrete and exact theory), and the same numbers for
any workers, chunking, executor, metrics and stride."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _models import (
    WEIGHTS,
    D,
    categorical_model,
    gauss_fit,
    gauss_fit_mle,
    gauss_sample,
    gauss_var,
    gaussian_model,
)
from _stats import Z, assert_mean, mean_se
from scipy import stats

import modelcollapse as mc

PARADIGMS = [mc.Replace(), mc.Accumulate(), mc.AccumulateSubsample(20), mc.MixReal(0.5)]
#: A KS p-value below this fails; 24 comparisons at fixed seeds, each would fail by chance with
#: probability 1e-3.
P_MIN = 1e-3


@pytest.fixture(scope="module")
def gaussian_runs():
    """2,000 replicates of the numpy Gaussian refit and of mc.Gaussian's sample-by-sample path
    under each paradigm, 50 generations, recording iterations 1, 10 and 50."""
    model = gaussian_model()
    twin = mc.Gaussian(0.0, 1.0, 20)
    out = {}
    for i, paradigm in enumerate(PARADIGMS):
        ours = mc.simulate(model, paradigm, iterations=50, replicates=2000, rng=i, stride=10)
        ref = mc.simulate(
            twin,
            paradigm,
            iterations=50,
            replicates=2000,
            rng=100 + i,
            stride=10,
            method="samples",
            metrics=["cov_trace", "w2sq_mean"],
        )
        out[type(paradigm).__name__] = (ours, ref)
    return out


@pytest.mark.parametrize("paradigm", [type(p).__name__ for p in PARADIGMS])
@pytest.mark.parametrize("t", [1, 10, 50])
def test_gaussian_model_has_the_built_in_law(gaussian_runs, paradigm, t):
    ours, ref = gaussian_runs[paradigm]
    pairs = (("var", "cov_trace"), ("mean_sq", "w2sq_mean"))
    for mine, theirs in pairs:
        a = ours.metrics[mine].sel(iteration=t).values
        b = ref.metrics[theirs].sel(iteration=t).values
        p = stats.ks_2samp(a, b).pvalue
        assert p > P_MIN, f"{paradigm}, iteration {t}: {mine} vs {theirs}, KS p = {p:.2g}"


def test_the_gaussian_comparison_can_fail():
    """The MLE fit (divisor n) against the unbiased built-in: the KS test sees it at t = 10."""
    ours = mc.simulate(
        gaussian_model(fit=gauss_fit_mle), mc.Replace(), iterations=10, replicates=2000, rng=7
    )
    ref = mc.simulate(
        mc.Gaussian(0.0, 1.0, 20),
        mc.Replace(),
        iterations=10,
        replicates=2000,
        rng=8,
        method="samples",
        metrics=["cov_trace"],
    )
    a = ours.metrics["var"].sel(iteration=10).values
    b = ref.metrics["cov_trace"].sel(iteration=10).values
    assert stats.ks_2samp(a, b).pvalue < 1e-6


def test_gaussian_model_unbiased_variance_matches_theory(gaussian_runs):
    """Replace with the unbiased fit: E[sigma_t^2] = 1 for every t; E[mu_t^2] = t / n."""
    ours, _ = gaussian_runs["Replace"]
    for t in (1, 10, 50):
        assert_mean(ours.metrics["var"].sel(iteration=t).values, 1.0, f"E[var] at t={t}")
        assert_mean(ours.metrics["mean_sq"].sel(iteration=t).values, t / 20, f"E[mu^2] t={t}")


def test_iteration_zero_is_the_truth_and_one_the_real_data_fit(gaussian_runs):
    ours, _ = gaussian_runs["Replace"]
    assert np.all(ours.metrics["var"].sel(iteration=0).values == 1.0)
    assert np.all(ours.metrics["mean_sq"].sel(iteration=0).values == 0.0)
    # iteration 1: the fit to 20 real N(0, 1) points, whose variance is chi2(19)/19
    v1 = ours.metrics["var"].sel(iteration=1).values
    assert stats.kstest(v1, stats.chi2(19, scale=1 / 19).cdf).pvalue > P_MIN


def test_without_truth_iteration_zero_is_the_real_data_fit():
    model = mc.Model(
        gauss_fit,
        gauss_sample,
        real=np.arange(10.0),
        samples=10,
        metrics={"var": gauss_var},
        roles={"risk": "var"},
    )
    run = mc.simulate(model, mc.Replace(), iterations=3, replicates=3, rng=0, workers=1)
    v = run.metrics["var"]
    assert np.array_equal(v.sel(iteration=0).values, v.sel(iteration=1).values)
    assert np.allclose(v.sel(iteration=1).values, np.var(np.arange(10.0), ddof=1))


# -- the categorical twin of mc.Discrete -----------------------------------------------------------


@pytest.fixture(scope="module")
def categorical_runs():
    model, twin = categorical_model(), mc.Discrete(weights=WEIGHTS, samples=D)
    out = {}
    for i, paradigm in enumerate([mc.Replace(), mc.Accumulate()]):
        kw = {"iterations": 50, "replicates": 3000, "stride": 10}
        ours = mc.simulate(model, paradigm, rng=i, **kw)
        ref = mc.simulate(twin, paradigm, rng=50 + i, metrics=["entropy", "support_size"], **kw)
        out[type(paradigm).__name__] = (ours, ref)
    return out


def test_categorical_model_follows_exact_theory(categorical_runs):
    ours, _ = categorical_runs["Replace"]
    setting = mc.Discrete(weights=WEIGHTS, samples=D)
    grid = np.array([0, 1, 10, 50])
    for name in ("entropy", "support_size"):
        exact = mc.theory.expected_curve(setting, mc.Replace(), name, grid)
        for t, value in zip(grid, exact, strict=True):
            x = ours.metrics[name].sel(iteration=int(t)).values
            if t == 0:
                assert np.allclose(x, value)
            else:
                assert_mean(x, float(value), f"{name} at t={t}")


@pytest.mark.parametrize("paradigm", ["Replace", "Accumulate"])
def test_categorical_model_agrees_with_discrete(categorical_runs, paradigm):
    ours, ref = categorical_runs[paradigm]
    for name in ("entropy", "support_size"):
        for t in (1, 10, 50):
            a, sa = mean_se(ours.metrics[name].sel(iteration=t).values.astype(float))
            b, sb = mean_se(ref.metrics[name].sel(iteration=t).values.astype(float))
            assert abs(a - b) <= Z * np.hypot(sa, sb), f"{paradigm} {name} t={t}: {a} vs {b}"


# -- the same numbers however the run is cut ----------------------------------------------------


def _cut(**kw) -> mc.Run:
    """The same run (seed 3, AccumulateSubsample(25), 12 generations) however it is cut."""
    kw.setdefault("replicates", 24)
    return mc.simulate(gaussian_model(), mc.AccumulateSubsample(25), iterations=12, rng=3, **kw)


@pytest.fixture(scope="module")
def reference_run():
    return _cut(workers=1)


def _same(a: mc.Run, b: mc.Run) -> None:
    for name in b.metrics.data_vars:
        assert a.metrics[name].values.tobytes() == b.metrics[name].values.tobytes(), name


def test_two_workers_give_the_same_bytes(reference_run):
    _same(_cut(workers=2), reference_run)


def test_an_executor_and_replicate_ranges_give_the_same_bytes(reference_run):
    with ThreadPoolExecutor(3) as pool:  # 24 chunks of one replicate, three at a time
        _same(_cut(executor=pool, workers=3), reference_run)
    halves = [_cut(replicates=r, workers=1).metrics for r in (range(0, 7), range(7, 24))]
    joined = np.concatenate([h["var"].values for h in halves])
    assert joined.tobytes() == reference_run.metrics["var"].values.tobytes()


def test_metrics_and_stride_do_not_change_the_trajectory(reference_run):
    only = _cut(workers=1, metrics=["noisy"], stride=5)
    full = reference_run.metrics["noisy"].sel(iteration=only.metrics.iteration)
    assert only.metrics["noisy"].values.tobytes() == full.values.tobytes()


def test_a_dask_executor_gives_the_same_bytes(reference_run):
    import distributed

    with distributed.Client(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as client:
        _same(_cut(executor=client.get_executor()), reference_run)


def test_accumulate_grows_the_pool_in_place():
    """Accumulate hands fit the whole pool: real rows first, then each generation's rows."""
    seen = []

    def fit(data, rng):
        seen.append(data)
        return float(data.mean())

    def sample(m, n, rng):
        return np.full(n, float(len(seen)))

    model = mc.Model(
        fit,
        sample,
        real=np.zeros(4),
        samples=2,
        metrics={"m": lambda m, c: m},
        roles={"risk": "m"},
    )
    mc.simulate(model, mc.Accumulate(1.5), iterations=4, replicates=1, rng=0, workers=1)
    assert [len(d) for d in seen] == [4, 7, 10, 13]  # round(1.5 * 2) = 3 rows a generation
    assert seen[-1].tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert not seen[-1].flags.writeable
    assert seen[1].tolist() == [0, 0, 0, 0, 1, 1, 1]  # views handed out earlier are intact


def test_mix_real_and_subsample_sizes():
    sizes: dict[str, list[int]] = {}

    def make(key):
        def fit(data, rng):
            sizes.setdefault(key, []).append(len(data))
            return float(data.mean())

        return fit

    def sample(m, n, rng):
        return rng.normal(m, 1.0, n)

    for key, paradigm in (("mix", mc.MixReal(0.25)), ("sub", mc.AccumulateSubsample(7))):
        model = mc.Model(
            make(key),
            sample,
            real=np.arange(12.0),
            samples=10,
            metrics={"m": lambda m, c: m},
            roles={"risk": "m"},
        )
        mc.simulate(model, paradigm, iterations=3, replicates=1, rng=0, workers=1)
    assert sizes == {"mix": [12, 10, 10], "sub": [12, 7, 7]}


# -- sweeps, checkpoints and the definitions -----------------------------------------------------


def _points():
    return mc.grid({"gauss": gaussian_model()}, [mc.Replace(), mc.MixReal(0.5)])


def test_sweep_with_checkpoint_resumes_to_the_same_bytes(tmp_path: Path):
    kw = {"replicates": 12, "iterations": 6, "rng": 4, "chunk": 5}
    plain = mc.sweep(_points(), **kw, workers=1)
    first = mc.sweep(_points(), **kw, checkpoint=tmp_path / "ck", workers=2)
    chunks = sorted((tmp_path / "ck").glob("*.parquet"))
    assert len(chunks) == 6
    for path in chunks[::2]:
        path.unlink()
    resumed = mc.sweep(_points(), **kw, checkpoint=tmp_path / "ck", workers=2)
    for name in plain.data_vars:
        assert first[name].values.tobytes() == plain[name].values.tobytes()
        assert resumed[name].values.tobytes() == plain[name].values.tobytes()
    shutil.rmtree(tmp_path / "ck")


def test_a_changed_model_is_refused_on_resume(tmp_path: Path):
    kw = {"replicates": 4, "iterations": 3, "rng": 4, "workers": 1}
    mc.sweep(_points(), **kw, checkpoint=tmp_path)
    changed = mc.grid({"gauss": gaussian_model(fit=gauss_fit_mle)}, [mc.Replace(), mc.MixReal(0.5)])
    with pytest.raises(ValueError, match="points"):
        mc.sweep(changed, **kw, checkpoint=tmp_path)


def test_point_run_and_the_definitions_take_a_model():
    points = _points()
    ds = mc.sweep(points, replicates=30, iterations=40, rng=5, workers=1)
    run = mc.point_run(ds, points, 0)
    verdict = mc.definitions.collapsing_variance(run)
    assert verdict.collapsed is not None
    assert isinstance(run.setting, mc.Model)


def test_profile_of_a_model_answers_from_its_roles():
    prof = mc.profile(
        gaussian_model(),
        [mc.Replace(), mc.Accumulate()],
        iterations=60,
        replicates=200,
        rng=6,
        workers=1,
    )
    table = prof.table()
    assert table.loc[5, "Replace"] is None  # no resize role: Definition 5 does not apply
    assert table.loc[2, "Replace"] is True  # E[mu_t^2] = t / n grows
    assert table.loc[1, "Accumulate"] is False


def test_a_models_checkpoint_identity_is_the_same_in_every_process():
    """A sweep resumed by another process must recognise the model: its description (code
    digests, data digests, the estimator's repr) does not depend on the process."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "import numpy as np, modelcollapse as mc; from _models import gaussian_model;"
        "from modelcollapse._checkpoint import describe;"
        "from sklearn.neighbors import KernelDensity;"
        "d = mc.sklearn.Density(KernelDensity(bandwidth=0.2), np.arange(5.0), 5, test=np.ones(3));"
        "print(json.dumps([describe(gaussian_model()), describe(d)]))"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert outputs[0] == outputs[1]
    assert "0x" not in json.dumps(outputs[0])  # no object addresses


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_a_models_generations(monkeypatch, workers):
    from modelcollapse._progress import Progress

    counts: list[int] = []
    monkeypatch.setattr(Progress, "__call__", lambda self, done: counts.append(done))
    mc.simulate(
        gaussian_model(),
        mc.Replace(),
        iterations=5,
        replicates=3,
        rng=0,
        workers=workers,
        progress=True,
    )
    assert counts == sorted(counts) and counts[-1] == 15
