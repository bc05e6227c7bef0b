//! modelcollapse: simulation kernels for model-data feedback loops ("model collapse").
//!
//! The kernels are plain Rust (slices and vectors, no Python types) so that they can be tested and
//! benchmarked without an interpreter; the thin PyO3 binding layer in `py/` is compiled only with
//! the `python` feature, which maturin turns on.

pub mod engine;
pub mod error;
pub mod numerics;
pub mod settings;

#[cfg(feature = "python")]
mod py;

pub use error::{SimError, SimResult};
