//! modelcollapse: simulation kernels for model-data feedback loops ("model collapse").
//!
//! The kernels are plain Rust (slices and vectors, no Python types) so that they can be tested and
//! benchmarked without an interpreter; the thin PyO3 binding layer in [`py`] is compiled only with
//! the `python` feature, which maturin turns on.

pub mod control;
pub mod discrete;
pub mod draw;
pub mod engine;
pub mod error;
pub mod exec;
pub mod gaussian;
pub mod kde;
pub mod lnint;
pub mod metrics;
pub mod paradigm;
pub mod quadform;
pub mod regression;
pub mod rng;
pub mod sampling;

#[cfg(feature = "python")]
mod py;

pub use error::{SimError, SimResult};
