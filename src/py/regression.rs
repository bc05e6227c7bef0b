//! Bindings for the linear-regression setting.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::gaussian::method;
use super::run::run_detached;
use super::{KernelParadigm, RunSpec};
use crate::error::invalid;
use crate::settings::regression::{self, Design, NoiseModel, RegressionMetric, RegressionSetting};

/// Simulate replicates `first .. first + replicates` of regression refits; returns a flat float64
/// array of shape (replicates, len(metrics), recorded iterations). `design` is None for
/// Gaussian rows drawn per replicate, else the n x d design, row-major and flattened.
#[pyfunction]
#[pyo3(signature = (beta, samples, noise, design, noise_model, paradigm,
                    method_name, run))]
pub fn simulate_regression<'py>(
    py: Python<'py>,
    beta: PyReadonlyArray1<'py, f64>,
    samples: u64,
    noise: f64,
    design: Option<PyReadonlyArray1<'py, f64>>,
    noise_model: &str,
    paradigm: PyRef<'py, KernelParadigm>,
    method_name: &str,
    run: RunSpec<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let noise_model = match noise_model {
        "known" => NoiseModel::Known,
        "estimated" => NoiseModel::Estimated,
        other => {
            return Err(invalid(
                "noise_model",
                format!("must be 'known' or 'estimated', got {other:?}"),
            )
            .into())
        }
    };
    let design = match design {
        None => Design::Gaussian,
        Some(x) => Design::Fixed(x.as_slice()?.to_vec()),
    };
    let setting = RegressionSetting::new(beta.as_slice()?, samples, noise, design, noise_model)?;
    let paradigm = paradigm.inner;
    let method = method(method_name)?;
    let (metrics, recording) = run.recording(RegressionMetric::from_name)?;
    let key = run.key();
    let (first, replicates) = (run.first, run.replicates);
    let out = run_detached(py, run.threads, run.progress.as_ref(), |control| {
        regression::simulate(
            &setting, paradigm, method, &metrics, recording, &key, first, replicates, control,
        )
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Names of the regression metrics, in the order the kernel knows them.
#[pyfunction]
pub fn regression_metric_names() -> Vec<&'static str> {
    RegressionMetric::ALL.iter().map(|m| m.name()).collect()
}
