//! Bindings for the discrete setting.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::run::run_detached;
use super::{KernelParadigm, RunSpec};
use crate::engine::rng::key_from_words;
use crate::error::invalid;
use crate::numerics::sampling;
use crate::settings::discrete::metrics::DiscreteMetric;
use crate::settings::discrete::{self, DiscreteSetting, Paradigm, SimulateSpec};

fn setting(
    weights: &PyReadonlyArray1<'_, f64>,
    counts: Option<&PyReadonlyArray1<'_, u64>>,
    samples: u64,
    tail: f64,
) -> PyResult<DiscreteSetting> {
    let weights = weights.as_array().to_vec();
    let counts = counts.map(|c| c.as_array().to_vec());
    Ok(DiscreteSetting::new(&weights, counts, samples, tail)?)
}

/// Simulate replicates `first .. first + replicates`; returns a flat float64 array of shape
/// (replicates, len(metrics), recorded iterations).
#[pyfunction]
#[pyo3(signature = (weights, counts, samples, tail, paradigm, run))]
pub fn simulate_discrete<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray1<'py, f64>,
    counts: Option<PyReadonlyArray1<'py, u64>>,
    samples: u64,
    tail: f64,
    paradigm: PyRef<'py, KernelParadigm>,
    run: RunSpec<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let setting = setting(&weights, counts.as_ref(), samples, tail)?;
    let paradigm = paradigm.inner;
    let (metrics, recording) = run.recording(DiscreteMetric::from_name)?;
    let spec = SimulateSpec { recording, metrics };
    let key = run.key();
    let (first, replicates) = (run.first, run.replicates);
    let out = run_detached(py, run.threads, run.progress.as_ref(), |control| {
        discrete::simulate(&setting, paradigm, &spec, &key, first, replicates, control)
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Per-replicate collapse times and censoring flags, as numpy arrays.
type TimesAndCensored<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<bool>>);

/// Collapse times of replicates `first .. first + replicates` (from `run`, whose metrics and
/// recording are not used): (times as uint64, censored flags).
#[pyfunction]
#[pyo3(signature = (weights, counts, samples, paradigm, max_iterations, run))]
pub fn collapse_times_discrete<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray1<'py, f64>,
    counts: Option<PyReadonlyArray1<'py, u64>>,
    samples: u64,
    paradigm: PyRef<'py, KernelParadigm>,
    max_iterations: Option<u64>,
    run: RunSpec<'py>,
) -> PyResult<TimesAndCensored<'py>> {
    let setting = setting(&weights, counts.as_ref(), samples, 0.1)?;
    let paradigm = paradigm.inner;
    if paradigm != Paradigm::Replace && max_iterations.is_none() {
        return Err(invalid(
            "max_iterations",
            "is required under paradigms that keep real data: total collapse may never come",
        )
        .into());
    }
    let key = run.key();
    let (first, replicates) = (run.first, run.replicates);
    let (times, censored) = run_detached(py, run.threads, run.progress.as_ref(), |control| {
        discrete::collapse_times(
            &setting,
            paradigm,
            max_iterations.unwrap_or(u64::MAX),
            &key,
            first,
            replicates,
            control,
        )
    })?;
    Ok((
        PyArray1::from_vec(py, times),
        PyArray1::from_vec(py, censored),
    ))
}

/// Names of the discrete metrics, in the order the kernel knows them.
#[pyfunction]
pub fn discrete_metric_names() -> Vec<&'static str> {
    DiscreteMetric::ALL.iter().map(|m| m.name()).collect()
}

/// Binomial(n_left[i], mass[i] / mass_left[i]) for every i, drawn as the discrete chain draws
/// them, on replicate 0's stream of the key (for `benches/bench_discrete.py`'s cost per draw).
#[pyfunction]
#[pyo3(signature = (n_left, mass, mass_left, key_words))]
pub fn conditional_binomials<'py>(
    py: Python<'py>,
    n_left: PyReadonlyArray1<'py, u64>,
    mass: PyReadonlyArray1<'py, u64>,
    mass_left: PyReadonlyArray1<'py, u64>,
    key_words: [u64; 4],
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let key = key_from_words(key_words);
    let (n_left, mass, mass_left) = (n_left.as_slice()?, mass.as_slice()?, mass_left.as_slice()?);
    let out = py.detach(|| sampling::conditional_draws(&key, n_left, mass, mass_left))?;
    Ok(PyArray1::from_vec(py, out))
}
