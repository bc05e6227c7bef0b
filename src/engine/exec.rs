//! Running replicates in parallel: rayon over replicates, each writing its own output slots, so
//! results do not depend on the thread count or on how the work is split.

use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::engine::control::Control;
use crate::error::{invalid, SimError, SimResult};

/// Call `f(first + i, row_i)` for every row of `out` (rows of `row_len` values), in parallel.
pub fn for_each_row<F>(
    out: &mut [f64],
    row_len: usize,
    first: u64,
    control: &Control,
    f: F,
) -> SimResult<()>
where
    F: Fn(u64, &mut [f64]) -> SimResult<()> + Sync,
{
    if row_len == 0 {
        return Ok(());
    }
    out.par_chunks_mut(row_len)
        .enumerate()
        .try_for_each(|(i, row)| {
            control.check()?;
            f(first + i as u64, row)
        })
}

/// Call `f(first + i, &mut a[i], &mut b[i])` for every slot, in parallel.
pub fn for_each_pair<A: Send, B: Send, F>(
    a: &mut [A],
    b: &mut [B],
    first: u64,
    control: &Control,
    f: F,
) -> SimResult<()>
where
    F: Fn(u64, &mut A, &mut B) -> SimResult<()> + Sync,
{
    a.par_iter_mut()
        .zip(b.par_iter_mut())
        .enumerate()
        .try_for_each(|(i, (x, y))| {
            control.check()?;
            f(first + i as u64, x, y)
        })
}

/// A buffer of `len` copies of `value`, allocated fallibly: under a memory cap (an address-space
/// limit, a container's limit) a failed allocation is reported as [`SimError::OutOfMemory`]
/// instead of aborting the process.
pub fn filled<T: Clone>(len: usize, value: T, what: &'static str) -> SimResult<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| SimError::OutOfMemory {
            what,
            bytes: len.saturating_mul(std::mem::size_of::<T>()),
        })?;
    out.resize(len, value);
    Ok(out)
}

/// Most worker threads a run may use, as Python's `threads=` allows; `RAYON_NUM_THREADS` and
/// the core count are capped to it too.
pub const MAX_THREADS: usize = 1024;

/// The environment variable that sets the default thread count (as it does rayon's).
pub const THREADS_VARIABLE: &str = "RAYON_NUM_THREADS";

/// The default thread count: `RAYON_NUM_THREADS` if it is set to 1..=[`MAX_THREADS`], the core
/// count (at most [`MAX_THREADS`]) if it is unset, empty or 0 (rayon's meaning of 0). Any other
/// value is refused: rayon would try to start that many threads, or silently ignore it.
pub fn default_threads() -> SimResult<usize> {
    let cores = || {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_THREADS)
    };
    let Some(raw) = std::env::var_os(THREADS_VARIABLE) else {
        return Ok(cores());
    };
    let text = raw.to_string_lossy();
    let value = text.trim();
    match value.parse::<u64>() {
        _ if value.is_empty() => Ok(cores()),
        Ok(0) => Ok(cores()),
        #[allow(clippy::cast_possible_truncation)] // n <= MAX_THREADS
        Ok(n) if n <= MAX_THREADS as u64 => Ok(n as usize),
        _ => Err(invalid(
            THREADS_VARIABLE,
            format!(
                "the environment variable must be a thread count in [1, {MAX_THREADS}] (or 0 or \
                 unset for the core count), got {text:?}; set it to a usable value or pass \
                 threads="
            ),
        )),
    }
}

/// Start a pool of `n` worker threads.
fn build_pool(n: usize) -> SimResult<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("modelcollapse-{i}"))
        .build()
        .map_err(|e| invalid("threads", format!("cannot start {n} threads: {e}")))
}

/// The pool for runs without `threads=`, kept between calls: its size and the process that
/// started it (a forked child has none of its parent's threads, so it starts its own pool).
static DEFAULT_POOL: Mutex<Option<(usize, u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);

/// The shared pool of `n` threads for this process, started on first use (or when `n` changed).
fn default_pool(n: usize) -> SimResult<Arc<rayon::ThreadPool>> {
    let pid = std::process::id();
    let mut slot = DEFAULT_POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((size, owner, pool)) = slot.as_ref() {
        if *size == n && *owner == pid {
            return Ok(Arc::clone(pool));
        }
    }
    let pool = Arc::new(build_pool(n)?);
    if let Some((_, owner, old)) = slot.replace((n, pid, Arc::clone(&pool))) {
        if owner != pid {
            // inherited through fork: its threads do not exist here, so never join them
            std::mem::forget(old);
        }
    }
    Ok(pool)
}

/// Run `job` on a local pool of `threads` threads (1..=[`MAX_THREADS`]), or, when `threads` is
/// `None`, on a shared pool of [`default_threads`] threads (never rayon's global pool, which
/// would start however many threads `RAYON_NUM_THREADS` names).
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    job: impl FnOnce() -> SimResult<T> + Send,
) -> SimResult<T> {
    match threads {
        None => default_pool(default_threads()?)?.install(job),
        Some(n) if n == 0 || n > MAX_THREADS => Err(invalid(
            "threads",
            format!("must lie in [1, {MAX_THREADS}], got {n}"),
        )),
        Some(n) => build_pool(n)?.install(job),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_outside_the_range_are_refused() {
        for n in [0, MAX_THREADS + 1, 100_000] {
            let err = with_threads(Some(n), || Ok(())).unwrap_err();
            assert!(err.to_string().contains("[1, 1024]"), "{err}");
        }
        assert_eq!(
            with_threads(Some(3), || Ok(rayon::current_num_threads())),
            Ok(3)
        );
        let n = default_threads().unwrap();
        assert!((1..=MAX_THREADS).contains(&n));
    }
}
