//! Bindings for the kernel-density-estimator setting.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::run::run_detached;
use super::{KernelParadigm, RunSpec};
use crate::error::invalid;
use crate::settings::kde::{self, KdeMetric, KdeSetting, Mixture, RealSource};

/// The mixture's (weights, means, stds).
type MixtureArrays<'py> = (
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
);

/// Simulate replicates `first .. first + replicates` of KDE refits; returns a flat float64 array
/// of shape (replicates, len(metrics), recorded iterations). Give either `mixture` or
/// `data` with `test`.
#[pyfunction]
#[pyo3(signature = (mixture, data, test, test_size, bandwidth, samples, tail, tail_interval,
                    paradigm, run))]
pub fn simulate_kde<'py>(
    py: Python<'py>,
    mixture: Option<MixtureArrays<'py>>,
    data: Option<PyReadonlyArray1<'py, f64>>,
    test: Option<PyReadonlyArray1<'py, f64>>,
    test_size: usize,
    bandwidth: f64,
    samples: u64,
    tail: f64,
    tail_interval: (f64, f64),
    paradigm: PyRef<'py, KernelParadigm>,
    run: RunSpec<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let source = match (mixture, data, test) {
        (Some((w, m, s)), None, None) => RealSource::Mixture {
            mixture: Mixture::new(w.as_slice()?, m.as_slice()?, s.as_slice()?)?,
            test_size,
        },
        (None, Some(data), Some(test)) => RealSource::Data {
            data: data.as_slice()?.to_vec(),
            test: test.as_slice()?.to_vec(),
        },
        _ => {
            return Err(invalid("data", "give either a mixture or data with a test set").into());
        }
    };
    let setting = KdeSetting::new(source, bandwidth, samples, tail, tail_interval)?;
    let paradigm = paradigm.inner;
    let (metrics, recording) = run.recording(KdeMetric::from_name)?;
    let key = run.key();
    let (first, replicates) = (run.first, run.replicates);
    let out = run_detached(py, run.threads, run.progress.as_ref(), |control| {
        kde::simulate(
            &setting, paradigm, &metrics, recording, &key, first, replicates, control,
        )
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Names of the KDE metrics, in the order the kernel knows them.
#[pyfunction]
pub fn kde_metric_names() -> Vec<&'static str> {
    KdeMetric::ALL.iter().map(|m| m.name()).collect()
}
