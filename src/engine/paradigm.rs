//! Which data the next model trains on (paper Sec. 4.1–4.2, Fig. 3; DESIGN §3), shared by every
//! setting, and the one check of a paradigm against a setting's data ([`Paradigm::check`]). Sizes
//! are in items (samples, points, label vectors), already rounded by the caller.

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

/// What the paradigm check needs to know of a setting's data.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    /// Real items N (the real pool every paradigm but Replace keeps).
    pub real: u64,
    /// Synthetic items per generation n (the setting's `samples`).
    pub per_generation: u64,
    /// Fewest items a fit takes (more than the dimension for the Gaussian and regression fits).
    pub min_fit: u64,
    /// Whether the setting stores its items under every paradigm (the discrete counts and the
    /// KDE's points), or only AccumulateSubsample's pool (the Gaussian and regression fits keep
    /// running moments otherwise).
    pub stores_items: bool,
    /// Values stored per item.
    pub values_per_item: u64,
    /// The most values one replicate may store.
    pub max_stored: u64,
    /// What an item is called in the messages ("items", "points", "rows").
    pub unit: &'static str,
}

impl Paradigm {
    /// The one paradigm check every setting uses: MixReal takes at most min(N, n) real items;
    /// an AccumulateSubsample training set holds at least `min_fit` items and at most the N + n
    /// pooled when the first subsample is drawn; what a replicate stores over `iterations`
    /// generations must fit `max_stored`.
    pub fn check(self, pool: &Pool, iterations: u64) -> SimResult<()> {
        let Pool {
            real,
            per_generation: n,
            unit,
            ..
        } = *pool;
        match self {
            Paradigm::MixReal {
                real_per_generation,
            } if real_per_generation > real.min(n) => {
                return Err(invalid(
                    "fraction",
                    format!(
                        "round(fraction x samples) = {real_per_generation} real {unit} per \
                        generation exceeds the {real} real {unit} or the {n} {unit} per \
                        generation"
                    ),
                ));
            }
            Paradigm::AccumulateSubsample { size } if size < pool.min_fit || size > real + n => {
                return Err(invalid(
                    "size",
                    format!(
                        "must lie in [{}, {}] (at least what a fit takes, and at most the pool \
                        of {real} real plus {n} synthetic {unit} when the first subsample is \
                        drawn), got {size}",
                        pool.min_fit,
                        real + n
                    ),
                ));
            }
            _ => {}
        }
        let growth = match self {
            Paradigm::AccumulateSubsample { .. } => n,
            _ if !pool.stores_items => return Ok(()),
            Paradigm::Accumulate { per_generation } => per_generation,
            _ => 0,
        };
        let stored = growth
            .checked_mul(iterations)
            .and_then(|g| g.checked_add(real))
            .and_then(|items| items.checked_mul(pool.values_per_item));
        if stored.is_none_or(|s| s > pool.max_stored) {
            return Err(invalid(
                "iterations",
                format!(
                    "the pool would grow past {} stored values per replicate over {iterations} \
                        generations; use fewer iterations or samples",
                    pool.max_stored
                ),
            ));
        }
        Ok(())
    }
}
