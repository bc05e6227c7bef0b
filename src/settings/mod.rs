//! One module per model family: its fit, its sampler, its metrics and its plan per paradigm, on
//! the shared [`crate::engine`] loop.

pub mod discrete;
pub mod gaussian;
pub mod kde;
pub mod regression;
