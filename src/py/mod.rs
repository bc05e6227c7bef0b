//! The PyO3 binding layer: argument conversion, GIL release, Ctrl-C and progress, error mapping.
//! Everything of substance lives in the Python-free kernels; validation that needs the user's
//! words (argument names, allowed ranges) is repeated in the Python layer.

// PyO3 extracts `#[pyfunction]` arguments as owned values; taking them by value is the idiom.
#![allow(clippy::needless_pass_by_value)]

mod discrete;
mod run;

use pyo3::prelude::*;

/// The compiled core of modelcollapse. Users call the `modelcollapse` package, not this module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(discrete::simulate_discrete, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::collapse_times_discrete, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::discrete_metric_names, m)?)?;
    Ok(())
}
