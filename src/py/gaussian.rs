//! Bindings for the Gaussian setting.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::run::run_detached;
use super::{KernelParadigm, RunSpec};
use crate::error::invalid;
use crate::settings::gaussian::{self, Estimator, GaussianMetric, GaussianSetting, Method};

fn estimator(name: &str) -> PyResult<Estimator> {
    match name {
        "unbiased" => Ok(Estimator::Unbiased),
        "mle" => Ok(Estimator::Mle),
        other => Err(invalid(
            "estimator",
            format!("must be 'unbiased' or 'mle', got {other:?}"),
        )
        .into()),
    }
}

/// The kernel's method name ("statistics" or "samples"), as the Python layer resolved it.
pub(crate) fn method(name: &str) -> PyResult<Method> {
    match name {
        "statistics" => Ok(Method::Statistics),
        "samples" => Ok(Method::Samples),
        other => Err(invalid(
            "method",
            format!("must be 'statistics' or 'samples', got {other:?}"),
        )
        .into()),
    }
}

/// Simulate replicates `first .. first + replicates` of Gaussian refits; returns a flat float64
/// array of shape (replicates, len(metrics), recorded iterations). `data` is None (real
/// points drawn per replicate) or the given real points, row-major and flattened.
#[pyfunction]
#[pyo3(signature = (mean, cov, samples, estimator_name, tail_radius2, hallucination_radius2,
                    data, paradigm, method_name, run))]
pub fn simulate_gaussian<'py>(
    py: Python<'py>,
    mean: PyReadonlyArray1<'py, f64>,
    cov: PyReadonlyArray1<'py, f64>,
    samples: u64,
    estimator_name: &str,
    tail_radius2: f64,
    hallucination_radius2: f64,
    data: Option<PyReadonlyArray1<'py, f64>>,
    paradigm: PyRef<'py, KernelParadigm>,
    method_name: &str,
    run: RunSpec<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let setting = GaussianSetting::new(
        mean.as_slice()?,
        cov.as_slice()?,
        samples,
        estimator(estimator_name)?,
        tail_radius2,
        hallucination_radius2,
        data.map(|d| d.as_slice().map(<[f64]>::to_vec))
            .transpose()?,
    )?;
    let paradigm = paradigm.inner;
    let method = method(method_name)?;
    let (metrics, recording) = run.recording(GaussianMetric::from_name)?;
    let key = run.key();
    let (first, replicates) = (run.first, run.replicates);
    let out = run_detached(py, run.threads, run.progress.as_ref(), |control| {
        gaussian::simulate(
            &setting, paradigm, method, &metrics, recording, &key, first, replicates, control,
        )
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Names of the Gaussian metrics, in the order the kernel knows them.
#[pyfunction]
pub fn gaussian_metric_names() -> Vec<&'static str> {
    GaussianMetric::ALL.iter().map(|m| m.name()).collect()
}
