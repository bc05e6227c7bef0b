//! Shared state between a running kernel and whoever waits on it: a cancel flag that the kernel
//! polls at generation boundaries, and a progress counter that it advances.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{SimError, SimResult};

/// Cancellation flag and progress counter for one kernel call.
#[derive(Debug, Default)]
pub struct Control {
    cancelled: AtomicBool,
    progress: AtomicU64,
}

impl Control {
    /// A fresh control: not cancelled, no progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the kernel to stop at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Has a stop been asked for?
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Interrupted)` once a stop has been asked for; kernels call this between generations.
    pub fn check(&self) -> SimResult<()> {
        if self.is_cancelled() {
            Err(SimError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Record `units` more units of finished work (the unit is the kernel's: generations or
    /// replicates).
    pub fn advance(&self, units: u64) {
        self.progress.fetch_add(units, Ordering::Relaxed);
    }

    /// Units of work finished so far.
    pub fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }
}
