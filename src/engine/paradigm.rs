//! Which data the next model trains on (paper Sec. 4.1–4.2, Fig. 3; DESIGN §3), shared by every
//! setting, and the one check of a paradigm against a setting's data ([`Paradigm::check`]). Sizes
//! are in items (samples, points, label vectors), already rounded by the caller.

use crate::error::{invalid, SimResult};
use crate::numerics::float;

/// Which data the next model trains on.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    /// `real_per_generation` items drawn afresh from the real distribution every generation plus
    /// `samples - real_per_generation` synthetic items. With a `weight` w the fit gives the real
    /// part total weight w and the synthetic part 1 - w; without one every item counts once.
    FreshReal {
        /// Fresh real items in every training set (round(fraction x samples)).
        real_per_generation: u64,
        /// The real part's total weight in the fit, in [0, 1].
        weight: Option<f64>,
    },
}

/// What the paradigm check needs to know of a setting's data.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    /// Real items N (the real pool every paradigm but Replace keeps).
    pub real: u64,
    /// Synthetic items per generation n (the setting's `samples`).
    pub per_generation: u64,
    /// Fewest items a fit takes (more than the dimension for the Gaussian and regression fits);
    /// under a weighted FreshReal, the fewest the weights' effective size may stand for.
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
            Paradigm::FreshReal {
                real_per_generation,
                weight,
            } => fresh_real_check(pool, real_per_generation, weight)?,
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

    /// FreshReal's weight and the effective size of its training set: 1 / sum of the squared
    /// per-item weights (w / r for each of r real items, (1 - w) / s for each of s synthetic
    /// ones), which is n when the items count once. A fit divides its weighted scatter as if it
    /// had that many items. `None` for the other paradigms and for an unweighted FreshReal.
    pub fn fresh_weight(self, samples: u64) -> Option<(f64, f64)> {
        match self {
            Paradigm::FreshReal {
                real_per_generation: r,
                weight: Some(w),
            } => Some((w, effective_size(w, r, samples - r))),
            _ => None,
        }
    }
}

/// 1 / (w^2 / r + (1 - w)^2 / s), the effective size of a training set whose r real items carry
/// total weight w and s synthetic ones 1 - w (a part with no weight drops out).
fn effective_size(w: f64, r: u64, s: u64) -> f64 {
    let part = |weight: f64, items: u64| {
        if weight == 0.0 {
            0.0
        } else {
            weight * weight / float(items)
        }
    };
    1.0 / (part(w, r) + part(1.0 - w, s))
}

/// FreshReal's rules: at most n real items per generation; a weight in [0, 1] needs both parts
/// (0 < r < n) and an effective size of at least the fit's minimum.
fn fresh_real_check(pool: &Pool, real: u64, weight: Option<f64>) -> SimResult<()> {
    let (n, unit) = (pool.per_generation, pool.unit);
    if real > n {
        return Err(invalid(
            "fraction",
            format!(
                "round(fraction x samples) = {real} fresh real {unit} per generation exceeds the \
                 {n} {unit} per generation"
            ),
        ));
    }
    let Some(w) = weight else {
        return Ok(());
    };
    if !(0.0..=1.0).contains(&w) {
        return Err(invalid("weight", format!("must lie in [0, 1], got {w}")));
    }
    if real == 0 || real == n {
        return Err(invalid(
            "weight",
            format!(
                "weighs the real part against the synthetic one, so every training set needs \
                 both, but round(fraction x samples) = {real} of the {n} {unit} are real"
            ),
        ));
    }
    let size = effective_size(w, real, n - real);
    if size < float(pool.min_fit) - 1e-9 {
        return Err(invalid(
            "weight",
            format!(
                "weight={w} leaves an effective training size of {size:.3} {unit} (1 / the sum \
                 of the squared item weights), below the {} a fit needs",
                pool.min_fit
            ),
        ));
    }
    Ok(())
}
