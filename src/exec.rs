//! Running replicates in parallel: rayon over replicates, each writing its own output slots, so
//! results do not depend on the thread count or on how the work is split.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{invalid, SimResult};

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

/// Run `job` on a local pool of `threads` threads, or on rayon's global pool (sized by
/// `RAYON_NUM_THREADS` or the core count) when `threads` is `None`.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    job: impl FnOnce() -> SimResult<T> + Send,
) -> SimResult<T> {
    match threads {
        None => job(),
        Some(0) => Err(invalid("threads", "must be at least 1")),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("modelcollapse-{i}"))
            .build()
            .map_err(|e| invalid("threads", format!("cannot start {n} threads: {e}")))?
            .install(job),
    }
}
