//! Running a kernel from Python: on a worker thread with the GIL released, while this thread wakes
//! every 100 ms to call `check_signals` (so Ctrl-C raises `KeyboardInterrupt` within about a
//! second) and the caller's progress callback. Errors become Python exceptions here, in one place.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::engine::control::Control;
use crate::engine::exec;
use crate::error::SimError;

const POLL: Duration = Duration::from_millis(100);

impl From<SimError> for PyErr {
    fn from(err: SimError) -> Self {
        match err {
            SimError::InvalidArgument { .. } => PyValueError::new_err(err.to_string()),
            SimError::Interrupted => PyKeyboardInterrupt::new_err("modelcollapse run interrupted"),
            SimError::OutOfMemory { .. } => PyMemoryError::new_err(format!(
                "{err}: the machine or a memory cap (ulimit -v, a container's limit) leaves too \
                 little; record fewer metrics or iterations (metrics=, stride=), or run the \
                 replicates in ranges"
            )),
        }
    }
}

/// Sets the shared "done" flag and wakes the waiter when dropped.
struct DoneOnDrop<'a>(&'a (Mutex<bool>, Condvar));

impl Drop for DoneOnDrop<'_> {
    fn drop(&mut self) {
        let (flag, wake) = self.0;
        *flag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        wake.notify_all();
    }
}

/// Wait up to [`POLL`] for the flag; true once it is set.
fn wait_done((flag, wake): &(Mutex<bool>, Condvar)) -> bool {
    let guard = flag
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (guard, _) = wake
        .wait_timeout_while(guard, POLL, |done| !*done)
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *guard
}

/// Run `job` on `threads` threads (rayon's global pool when `None`) without the GIL. `progress`,
/// if given, is called with the kernel's progress count about ten times a second.
pub fn run_detached<T, F>(
    py: Python<'_>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    job: F,
) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Control) -> Result<T, SimError> + Send,
{
    let control = Control::new();
    let done = (Mutex::new(false), Condvar::new());
    std::thread::scope(|scope| {
        let (control_ref, done_ref) = (&control, &done);
        let worker = scope.spawn(move || {
            // Raise the flag even if the job panics, so that the waiting side wakes up.
            let _signal = DoneOnDrop(done_ref);
            exec::with_threads(threads, || job(control_ref))
        });
        let mut python_error: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| wait_done(&done));
            if python_error.is_none() {
                let outcome = py.check_signals().and_then(|()| match progress {
                    Some(callback) => callback.call1((control.progress(),)).map(drop),
                    None => Ok(()),
                });
                if let Err(err) = outcome {
                    control.cancel();
                    python_error = Some(err);
                }
            }
            if finished {
                break;
            }
        }
        let joined = py.detach(|| worker.join());
        if let Some(err) = python_error {
            return Err(err);
        }
        match joined {
            Ok(result) => result.map_err(PyErr::from),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                Err(PyRuntimeError::new_err(format!(
                    "internal error in modelcollapse (please report it): {what}"
                )))
            }
        }
    })
}
