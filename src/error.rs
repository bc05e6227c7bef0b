//! One error type for every kernel; the binding layer maps each variant to a Python exception once.

use thiserror::Error;

/// Everything a kernel can report instead of a result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SimError {
    /// An argument is outside the range the kernel accepts (becomes `ValueError` in Python).
    #[error("{name}: {message}")]
    InvalidArgument {
        /// The parameter's public name.
        name: &'static str,
        /// What was wrong and what is allowed.
        message: String,
    },
    /// The caller asked the kernel to stop (Ctrl-C); becomes `KeyboardInterrupt`.
    #[error("interrupted")]
    Interrupted,
    /// A result buffer could not be allocated (a memory cap, or too little memory); becomes
    /// `MemoryError` rather than an abort of the process.
    #[error("cannot allocate {bytes} bytes for {what}")]
    OutOfMemory {
        /// What the buffer was for.
        what: &'static str,
        /// Its size.
        bytes: usize,
    },
}

/// Result alias used across the kernels.
pub type SimResult<T> = Result<T, SimError>;

/// Shorthand for an [`SimError::InvalidArgument`].
pub fn invalid(name: &'static str, message: impl Into<String>) -> SimError {
    SimError::InvalidArgument {
        name,
        message: message.into(),
    }
}
