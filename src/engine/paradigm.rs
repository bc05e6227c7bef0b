//! Which data the next model trains on (paper Sec. 4.1–4.2, Fig. 3; DESIGN §3), shared by every
//! setting. Sizes are in items (samples, points, label vectors), already rounded by the caller.

use crate::error::{invalid, SimResult};

/// Which data the next model trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paradigm {
    /// Only the newest synthetic sample of `samples` items.
    Replace,
    /// All real and synthetic data so far; each generation adds `per_generation` synthetic items.
    Accumulate {
        /// Synthetic items added per generation (round(growth x samples)).
        per_generation: u64,
    },
    /// A uniform subsample of `size` items, without replacement, from the growing pool of real
    /// data and `samples` synthetic items per generation.
    AccumulateSubsample {
        /// Training-set size.
        size: u64,
    },
    /// `real_per_generation` items of real data (without replacement) plus
    /// `samples - real_per_generation` fresh synthetic items.
    MixReal {
        /// Real items in every training set (round(fraction x samples)).
        real_per_generation: u64,
    },
}

/// Checks shared by the settings fit to points in `d` dimensions, with `real` real points and `n`
/// synthetic ones per generation: MixReal takes at most min(real, n) real points; an
/// AccumulateSubsample training set needs more points than dimensions and at most the real + n
/// pooled when the first subsample is drawn, and keeps every point (`values_per_point` f64
/// each), at most `max_stored` values per replicate.
pub fn check_fitted(
    paradigm: Paradigm,
    real: u64,
    n: u64,
    d: u64,
    iterations: u64,
    values_per_point: u64,
    max_stored: u64,
) -> SimResult<()> {
    match paradigm {
        Paradigm::MixReal {
            real_per_generation,
        } if real_per_generation > real.min(n) => Err(invalid(
            "fraction",
            format!(
                "round(fraction x samples) = {real_per_generation} real points per generation \
                 exceeds the {real} real points or the {n} points per generation"
            ),
        )),
        Paradigm::AccumulateSubsample { size } if size <= d || size > real + n => Err(invalid(
            "size",
            format!(
                "must lie in [{}, {}] (more points than dimensions, and at most the real plus one \
                 generation's synthetic points, the pool when the first subsample is drawn), got \
                 {size}",
                d + 1,
                real + n
            ),
        )),
        Paradigm::AccumulateSubsample { .. } => {
            let stored = iterations
                .checked_mul(n)
                .and_then(|g| g.checked_add(real))
                .and_then(|p| p.checked_mul(values_per_point));
            if stored.is_none_or(|s| s > max_stored) {
                return Err(invalid(
                    "iterations",
                    format!(
                        "AccumulateSubsample keeps every point: {iterations} generations of {n} \
                         points exceed {max_stored} stored values per replicate; use fewer \
                         iterations"
                    ),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
