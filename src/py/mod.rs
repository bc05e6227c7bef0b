//! The PyO3 binding layer: argument conversion, GIL release, Ctrl-C and progress, error mapping.
//! Everything of substance lives in the Python-free kernels; validation that needs the user's
//! words (argument names, allowed ranges) is repeated in the Python layer.

// PyO3 extracts `#[pyfunction]` arguments as owned values; taking them by value is the idiom.
#![allow(clippy::needless_pass_by_value)]

mod discrete;
mod gaussian;
mod kde;
mod regression;
mod run;

use pyo3::prelude::*;

use crate::engine::paradigm::Paradigm;
use crate::engine::rng::{key_from_words, RootKey};
use crate::engine::Recording;
use crate::error::SimResult;

/// What every simulate kernel takes beside its setting and paradigm, read by attribute from the
/// Python layer's `KernelRun` (python/modelcollapse/settings/_common.py): one typed argument in
/// place of eight positional ones.
#[derive(FromPyObject)]
pub(crate) struct RunSpec<'py> {
    metrics: Vec<String>,
    iterations: u64,
    stride: u64,
    #[pyo3(attribute("key_words"))]
    key: [u64; 4],
    pub first: u64,
    pub replicates: usize,
    pub threads: Option<usize>,
    pub progress: Option<Bound<'py, PyAny>>,
}

impl RunSpec<'_> {
    /// The metrics parsed by `parse`, and the recording shape.
    pub(crate) fn recording<M>(
        &self,
        parse: fn(&str) -> SimResult<M>,
    ) -> PyResult<(Vec<M>, Recording)> {
        let metrics = self
            .metrics
            .iter()
            .map(|m| parse(m))
            .collect::<Result<Vec<_>, _>>()?;
        let recording = Recording {
            iterations: self.iterations,
            stride: self.stride,
        };
        Ok((metrics, recording))
    }

    /// The run's root key.
    pub(crate) fn key(&self) -> RootKey {
        key_from_words(self.key)
    }
}

/// A paradigm as the kernels take it, typed: its kind and item count (the Python layer computes
/// the counts from the user's growth, size and fraction, and names them in its errors).
#[pyclass(frozen, name = "Paradigm", module = "modelcollapse._core")]
pub(crate) struct KernelParadigm {
    pub(crate) inner: Paradigm,
}

#[pymethods]
impl KernelParadigm {
    /// Replace: the newest synthetic sample only.
    #[staticmethod]
    fn replace() -> Self {
        Self {
            inner: Paradigm::Replace,
        }
    }

    /// Accumulate, adding `per_generation` synthetic items a generation.
    #[staticmethod]
    fn accumulate(per_generation: u64) -> Self {
        Self {
            inner: Paradigm::Accumulate { per_generation },
        }
    }

    /// AccumulateSubsample, training on `size` items of the pool.
    #[staticmethod]
    fn accumulate_subsample(size: u64) -> Self {
        Self {
            inner: Paradigm::AccumulateSubsample { size },
        }
    }

    /// MixReal, with `real_per_generation` real items in every training set.
    #[staticmethod]
    fn mix_real(real_per_generation: u64) -> Self {
        Self {
            inner: Paradigm::MixReal {
                real_per_generation,
            },
        }
    }

    /// FreshReal, with `real_per_generation` fresh real items in every training set and the real
    /// part's total weight in the fit (None: every item counts once).
    #[staticmethod]
    #[pyo3(signature = (real_per_generation, weight=None))]
    fn fresh_real(real_per_generation: u64, weight: Option<f64>) -> Self {
        Self {
            inner: Paradigm::FreshReal {
                real_per_generation,
                weight,
            },
        }
    }

    /// The item count: per generation (Accumulate, MixReal's and FreshReal's real share), the
    /// subsample's size, or 0 (Replace).
    #[getter]
    fn count(&self) -> u64 {
        match self.inner {
            Paradigm::Replace => 0,
            Paradigm::Accumulate { per_generation } => per_generation,
            Paradigm::AccumulateSubsample { size } => size,
            Paradigm::MixReal {
                real_per_generation,
            }
            | Paradigm::FreshReal {
                real_per_generation,
                ..
            } => real_per_generation,
        }
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// The compiled core of modelcollapse. Users call the `modelcollapse` package, not this module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Limits are defined once, in the kernels; the Python layer reads them from here.
    m.add("MAX_THREADS", crate::engine::exec::MAX_THREADS)?;
    m.add(
        "DISCRETE_MAX_SAMPLES",
        crate::settings::discrete::MAX_SAMPLES,
    )?;
    m.add("GAUSSIAN_MAX_DIM", crate::settings::gaussian::MAX_DIM)?;
    m.add(
        "GAUSSIAN_MAX_SAMPLES",
        crate::settings::gaussian::MAX_SAMPLES,
    )?;
    m.add("REGRESSION_MAX_DIM", crate::settings::regression::MAX_DIM)?;
    m.add(
        "REGRESSION_MAX_SAMPLES",
        crate::settings::regression::MAX_SAMPLES,
    )?;
    m.add("KDE_MAX_SAMPLES", crate::settings::kde::MAX_SAMPLES)?;
    m.add("KDE_RESOLUTION", crate::settings::kde::RESOLUTION)?;
    m.add_class::<KernelParadigm>()?;
    m.add_function(wrap_pyfunction!(discrete::simulate_discrete, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::collapse_times_discrete, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::discrete_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::conditional_binomials, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian::simulate_gaussian, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian::gaussian_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(regression::simulate_regression, m)?)?;
    m.add_function(wrap_pyfunction!(regression::regression_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(kde::simulate_kde, m)?)?;
    m.add_function(wrap_pyfunction!(kde::kde_metric_names, m)?)?;
    Ok(())
}
