"""The paradigms do with real data exactly what their docstrings say (python/modelcollapse/
paradigms.py).

* AccumulateSubsample: a Gaussian's cov_trace drifts above the real one, and that is right. With
  the pool's covariance C over N items (divisor N - 1), a model fit to s items drawn without
  replacement from the pool has E[S] = kappa C (kappa = 1 for the unbiased fit, (s - 1)/s for
  the MLE) and a mean m with E|m - M|^2 = tr C (N - s) / (N s) (the finite-population
  correction). Adding n points from N(m, S) to the pool gives, by the parallel-axis rule,

      E[tr C' | pool] (N + n - 1) = (N - 1) tr C + (n - 1) kappa tr C
                                    + N n / (N + n) (kappa tr C / n + tr C (N - s) / (N s)),

  linear in tr C, so E[tr C_t] follows an exact product and E[cov_trace_t] = kappa E[tr C_t].
  Its factor per generation is about 1 + 1 / (s k) at generation k: the pool mixes points
  centred on every past model, and the spread between their centres inflates it, like t^(1/s).
  The simulation agrees with that recursion and with an independent numpy loop of the rule.
* MixReal: the real share is a fresh subset of the fixed real pool each generation, drawn
  without replacement; the real pool is the data generation 1 was fit to.

Tolerances are 4.5 standard errors (tests/_stats.py), with fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from _stats import Z

import modelcollapse as mc


def pooled_cov_trace(dim: int, n: int, size: int, iterations: int, estimator: str) -> np.ndarray:
    """E[cov_trace_t] for t = 0..iterations under AccumulateSubsample(size) for N(0, I_dim) with
    real data of n points drawn per replicate, from the recursion in the module docstring."""

    def kappa(s: int) -> float:
        return 1.0 if estimator == "unbiased" else (s - 1) / s

    out = np.empty(iterations + 1)
    out[0] = dim
    pool, s = n, n  # generation 1: the fit to the n real points (the whole pool)
    c = float(dim)  # E tr C_1: the real points' unbiased covariance
    out[1] = kappa(s) * c
    for t in range(2, iterations + 1):
        k = kappa(s)
        grown = (pool - 1) + (n - 1) * k + pool * n / (pool + n) * (k / n + (pool - s) / (pool * s))
        c *= grown / (pool + n - 1)
        pool, s = pool + n, size
        out[t] = kappa(s) * c
    return out


def numpy_accumulate_subsample(
    dim: int, n: int, size: int, iterations: int, replicates: int, seed: int
) -> np.ndarray:
    """cov_trace (replicate, iteration 0..iterations) of the rule written directly: real data n
    points from N(0, I); generation 1 fits them; each later generation adds n points from the
    current fit to the pool and fits `size` points drawn without replacement from all of it."""
    rng = np.random.default_rng(seed)
    pool = np.empty((replicates, n * iterations, dim))
    pool[:, :n] = rng.standard_normal((replicates, n, dim))
    traces = np.empty((replicates, iterations + 1))
    traces[:, 0] = dim

    def fit(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = points.mean(axis=1)
        centred = points - mean[:, None, :]
        return mean, np.einsum("rij,rik->rjk", centred, centred) / (points.shape[1] - 1)

    mean, cov = fit(pool[:, :n])
    traces[:, 1] = np.trace(cov, axis1=1, axis2=2)
    held = n
    for t in range(2, iterations + 1):
        chol = np.linalg.cholesky(cov)
        z = rng.standard_normal((replicates, n, dim))
        pool[:, held : held + n] = mean[:, None, :] + np.einsum("rjk,rik->rij", chol, z)
        held += n
        keys = rng.random((replicates, held))
        chosen = np.argpartition(keys, size - 1, axis=1)[:, :size]
        mean, cov = fit(np.take_along_axis(pool[:, :held], chosen[:, :, None], axis=1))
        traces[:, t] = np.trace(cov, axis1=1, axis2=2)
    return traces


@pytest.mark.parametrize(
    ("dim", "n", "size", "estimator", "iterations"),
    [(5, 20, 20, "unbiased", 300), (2, 10, 4, "mle", 200)],
    ids=["d5-n20-size20", "d2-n10-size4-mle"],
)
def test_accumulate_subsample_cov_trace_follows_the_pool_recursion(
    dim, n, size, estimator, iterations
):
    g = mc.Gaussian(np.zeros(dim), np.eye(dim), samples=n, estimator=estimator)
    replicates = 3000
    run = mc.simulate(
        g,
        mc.AccumulateSubsample(size),
        iterations=iterations,
        replicates=replicates,
        rng=21,
        metrics="cov_trace",
        stride=25,
        progress=False,
    )
    trace = run.metrics.cov_trace
    t = trace.iteration.values
    exact = pooled_cov_trace(dim, n, size, iterations, estimator)[t]
    mean = trace.mean("replicate").values
    se = trace.std("replicate", ddof=1).values / np.sqrt(replicates)
    z = np.abs(mean - exact)[1:] / se[1:]
    assert np.all(z < Z), f"worst z = {z.max():.2f}: " + str(np.c_[t, mean, exact])
    if estimator == "unbiased":
        # the drift is real: far above the real trace, by many standard errors
        assert exact[-1] > 1.15 * dim and (mean[-1] - dim) / se[-1] > 10
    else:
        # the MLE's shrinkage (s - 1)/s wins: the trace falls, far slower than under Replace
        assert exact[-1] < dim and exact[-1] > dim * ((size - 1) / size) ** iterations


def test_accumulate_subsample_matches_a_numpy_loop_of_the_rule():
    """The issue's case (d = 5, n = size = 20): the kernel and an independent numpy loop of the
    documented rule agree in distribution (means, and the fractions below the pooled quartiles),
    and both follow the recursion."""
    dim, n, size, iterations = 5, 20, 20, 60
    ours = mc.simulate(
        mc.Gaussian(np.zeros(dim), np.eye(dim), samples=n),
        mc.AccumulateSubsample(size),
        iterations=iterations,
        replicates=3000,
        rng=4,
        metrics="cov_trace",
        progress=False,
    ).metrics.cov_trace.values
    loop = numpy_accumulate_subsample(dim, n, size, iterations, replicates=1500, seed=5)
    exact = pooled_cov_trace(dim, n, size, iterations, "unbiased")
    for t in (2, 10, 30, 60):
        a, b = ours[:, t], loop[:, t]
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) < Z * se, (t, a.mean(), b.mean())
        se_loop = b.std(ddof=1) / np.sqrt(b.size)
        assert abs(b.mean() - exact[t]) < Z * se_loop, (t, b.mean(), exact[t])
        for q in np.quantile(np.concatenate([a, b]), [0.25, 0.5, 0.75]):
            pa, pb = (a <= q).mean(), (b <= q).mean()
            pooled = (a <= q).sum() + (b <= q).sum()
            p = pooled / (a.size + b.size)
            se = np.sqrt(p * (1 - p) * (1 / a.size + 1 / b.size))
            assert abs(pa - pb) < Z * se, (t, q, pa, pb)


def test_mix_real_draws_a_fresh_subset_without_replacement_every_generation():
    """Real counts [1, 9] (N = 10), D = 10, MixReal(0.5): 5 real items per generation. Once the
    rare atom is lost from the model, the 5 synthetic items cannot bring it back, so it is back
    exactly when the fresh real subset holds its one item: with probability 5/10 (without
    replacement; with replacement 1 - 0.9^5 = 0.41, and two copies possible), independently of
    earlier generations (a subset fixed once would never bring it back)."""
    setting = mc.Discrete(counts=[1, 9], samples=10, tail=0.1)
    run = mc.simulate(
        setting,
        mc.MixReal(0.5),
        iterations=40,
        replicates=20_000,
        rng=8,
        metrics="tail_mass",
        progress=False,
    )
    tail = run.metrics.tail_mass.values
    before, after = tail[:, 1:-1], tail[:, 2:]
    lost = before == 0
    assert lost.sum() > 50_000
    back = after[lost]
    assert set(np.unique(back)) <= {0.0, 0.1}  # at most the one real item of the rare atom
    share = (back > 0).mean()
    se = np.sqrt(0.25 / back.size)
    assert abs(share - 0.5) < Z * se, share
    # the atom comes back in most replicates after being lost (the issue's "vanishes and comes
    # back"), which a fixed real subset would not allow
    came_back = ((tail[:, 1:-1] == 0) & (tail[:, 2:] > 0)).any(axis=1)
    assert came_back.mean() > 0.5


def test_mix_real_pool_is_the_data_generation_one_was_fit_to():
    """With the whole real pool in every training set (fraction 1, N = samples), every model is
    the fit to the real data of its replicate: the one drawn for generation 1, not fresh real
    data. It differs between replicates (the real data are drawn per replicate)."""
    discrete = mc.simulate(
        mc.Discrete(weights=[0.5, 0.3, 0.2], samples=20),
        mc.MixReal(1.0),
        iterations=12,
        replicates=200,
        rng=1,
        metrics=["entropy", "max_weight"],
        progress=False,
    ).metrics
    gaussian = mc.simulate(
        mc.Gaussian(np.zeros(3), np.eye(3), samples=15),
        mc.MixReal(1.0),
        iterations=12,
        replicates=200,
        rng=2,
        metrics=["cov_trace", "w2sq_mean"],
        progress=False,
    ).metrics
    for metrics in (discrete, gaussian):
        for name in metrics.data_vars:
            values = metrics[name].values[:, 1:]
            first = np.broadcast_to(values[:, :1], values.shape)
            np.testing.assert_allclose(values, first, rtol=1e-12, atol=1e-15)
            assert np.unique(values[:, 0]).size > 5, name


def test_mix_real_takes_its_share_from_the_real_items():
    """Real counts [30, 10] with D = 10 and MixReal(0.2): every training set holds 2 real items
    drawn without replacement from the 40 (the pool is larger than a generation) and 8 items
    from the current model. When the model has lost the second atom, the next model holds it
    only through the real pair: 0, 1 or 2 items with hypergeometric chances."""
    setting = mc.Discrete(counts=[30, 10], samples=10, tail=0.25)
    run = mc.simulate(
        setting,
        mc.MixReal(0.2),
        iterations=60,
        replicates=20_000,
        rng=9,
        metrics="tail_mass",
        progress=False,
    )
    tail = run.metrics.tail_mass.values
    back = tail[:, 2:][tail[:, 1:-1] == 0]
    assert back.size > 20_000
    hypergeometric = np.array([30 * 29, 2 * 30 * 10, 10 * 9]) / (40 * 39)
    for k, p in enumerate(hypergeometric):
        share = np.isclose(back, k / 10).mean()
        assert abs(share - p) < Z * np.sqrt(p * (1 - p) / back.size), (k, share, p)
