//! The discrete setting: a categorical distribution refit by multinomial resampling (Sec. 4.4's
//! histogram; under Replace each atom's count is a Wright–Fisher chain).
//!
//! Generation 1's model is fit to the real data (the given counts, or one Multinomial(D, p0) draw
//! per replicate); generation t+1's model is fit to the training set its paradigm builds from the
//! real data and the synthetic draws of earlier models. No paradigm ever creates an atom outside
//! the real data's support, so the paradigms that keep real data work on arrays aligned with the
//! real atoms, while Replace keeps a compacted list of survivors, so that its cost per generation
//! is proportional to the survivors.

pub mod metrics;

use std::sync::Arc;

use rand::Rng;

use crate::engine::control::Control;
use crate::engine::exec;
pub use crate::engine::paradigm::Paradigm;
use crate::engine::paradigm::Pool;
use crate::engine::rng::{fast_rng, FastRng, RootKey};
use crate::engine::{self, Generation, Recording};
use crate::error::{invalid, SimResult};
use crate::numerics::float;
use crate::numerics::lnint::ln_int;
use crate::numerics::sampling::{
    binomial, hypergeometric, multinomial, multinomial_weights, starts_group, FixedBinomial,
    HypergeometricScratch, MIN_GROUP,
};
use metrics::{discrete_metrics, needs_log, DiscreteMetric, RealReference};

/// Largest sample size per generation: counts stay exact in f64 arithmetic below 2^53.
pub const MAX_SAMPLES: u64 = 1 << 53;
/// Largest number of items a pool may ever hold.
const MAX_POOL: u64 = 1 << 62;
/// Cancellation is checked (and progress reported) after about this many atoms have been
/// resampled, a millisecond or so of work: often enough for Ctrl-C whether a generation has two
/// atoms or a million, rarely enough to cost nothing.
const CHECK_WORK: u64 = 1 << 16;

/// The same paradigm in its cheapest form for the discrete chain: a mix with no real data is
/// Replace, which keeps a compacted list of survivors instead of arrays over the real atoms.
fn normalized(paradigm: Paradigm) -> Paradigm {
    match paradigm {
        Paradigm::MixReal {
            real_per_generation: 0,
        } => Paradigm::Replace,
        other => other,
    }
}

/// The real distribution, its real data and the per-generation sample size.
#[derive(Debug, Clone)]
pub struct DiscreteSetting {
    reference: RealReference,
    real_counts: Option<Vec<u64>>,
    samples: u64,
}

impl DiscreteSetting {
    /// A setting from normalised-or-not `weights` (non-negative, finite, positive sum), optional
    /// real `counts` (then the weights must be their proportions), `samples` = D per generation
    /// and the tail set's share of real mass.
    pub fn new(
        weights: &[f64],
        counts: Option<Vec<u64>>,
        samples: u64,
        tail_fraction: f64,
    ) -> SimResult<Self> {
        if weights.is_empty() {
            return Err(invalid("weights", "must hold at least one atom"));
        }
        if weights.len() > u32::MAX as usize {
            return Err(invalid("weights", "at most 2^32 - 1 atoms"));
        }
        if let Some(bad) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
            return Err(invalid(
                "weights",
                format!("must be finite and non-negative, found {bad}"),
            ));
        }
        let sum: f64 = weights.iter().sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(invalid("weights", "must have a positive, finite sum"));
        }
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(invalid(
                "samples",
                format!("must lie in [1, 2^53], got {samples}"),
            ));
        }
        if let Some(c) = &counts {
            if c.len() != weights.len() {
                return Err(invalid("counts", "must have one entry per atom"));
            }
            let total = c.iter().try_fold(0u64, |acc, &x| acc.checked_add(x));
            match total {
                Some(t) if t > 0 && t <= MAX_POOL => {}
                _ => return Err(invalid("counts", "must sum to a value in [1, 2^62]")),
            }
        }
        let p0 = weights.iter().map(|w| w / sum).collect();
        Ok(Self {
            reference: RealReference::new(p0, tail_fraction)?,
            real_counts: counts,
            samples,
        })
    }

    /// Number of atoms K.
    pub fn atoms(&self) -> usize {
        self.reference.atoms()
    }

    /// Size N of the real data.
    pub fn real_size(&self) -> u64 {
        self.real_counts
            .as_ref()
            .map_or(self.samples, |c| c.iter().sum())
    }

    /// Binomial(D, j / D) tables, for Replace with a small D.
    fn fixed_binomial(&self, paradigm: Paradigm) -> Option<Arc<FixedBinomial>> {
        if normalized(paradigm) == Paradigm::Replace {
            FixedBinomial::shared(self.samples)
        } else {
            None
        }
    }

    /// Check that `paradigm` can run for `generations` generations on this setting.
    pub fn check_paradigm(&self, paradigm: Paradigm, generations: u64) -> SimResult<()> {
        let pool = Pool {
            real: self.real_size(),
            per_generation: self.samples,
            min_fit: 1,
            stores_items: true,
            values_per_item: 1,
            max_stored: MAX_POOL,
            unit: "items",
        };
        paradigm.check(&pool, generations)
    }
}

/// One replicate's chain of fitted models.
struct Chain<'a> {
    setting: &'a DiscreteSetting,
    paradigm: Paradigm,
    /// Atom index of each position. Replace: the survivors; otherwise: the real data's atoms.
    atoms: Vec<u32>,
    /// The current model's training counts, aligned with `atoms`.
    model: Vec<u64>,
    model_total: u64,
    /// Real data counts aligned with `atoms` (paradigms that keep real data).
    real: Vec<u64>,
    real_total: u64,
    /// Pool of real and all synthetic data (AccumulateSubsample; Accumulate's pool is `model`).
    pool: Vec<u64>,
    pool_total: u64,
    scratch: Vec<u64>,
    scratch2: Vec<u64>,
    /// Scratch for `multinomial`'s grouped draws.
    owner: Vec<u32>,
    /// Scratch for `hypergeometric`.
    without: HypergeometricScratch,
    support: usize,
    generation: u64,
    /// Binomial(D, j / D) tables for Replace's first draw of each generation, when D is small.
    fixed: Option<&'a FixedBinomial>,
    /// FreshReal: the real probability of each position, which fresh real items are drawn from.
    fresh: Vec<f64>,
    /// A weighted FreshReal's model is a mixture, `first_weight` times the distribution of
    /// `model` plus 1 - `first_weight` times that of `second` (the synthetic part); otherwise
    /// `second` is empty and `first_weight` is 1.
    second: Vec<u64>,
    second_total: u64,
    first_weight: f64,
}

impl<'a> Chain<'a> {
    /// Draw (or take) the real data and fit generation 1's model to it.
    fn new<R: Rng>(
        setting: &'a DiscreteSetting,
        paradigm: Paradigm,
        fixed: Option<&'a FixedBinomial>,
        rng: &mut R,
    ) -> Self {
        let paradigm = normalized(paradigm);
        let k = setting.atoms();
        let mut dense = vec![0u64; k];
        match &setting.real_counts {
            Some(c) => dense.copy_from_slice(c),
            None => multinomial_weights(rng, setting.samples, setting.reference.p0(), &mut dense),
        }
        // FreshReal's fresh real draws may reach every atom of the real support; the other
        // paradigms never leave the real data's atoms.
        let fresh_real = matches!(paradigm, Paradigm::FreshReal { .. });
        let p0 = setting.reference.p0();
        let mut pairs: Vec<(u64, u32)> = dense
            .iter()
            .enumerate()
            .filter(|&(i, &c)| c > 0 || (fresh_real && p0[i] > 0.0))
            .map(|(i, &c)| (c, i as u32))
            .collect();
        // Smallest first (see `sort_by_count`).
        pairs.sort_unstable();
        let atoms: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let real: Vec<u64> = pairs.iter().map(|p| p.0).collect();
        let real_total: u64 = real.iter().sum();
        let len = atoms.len();
        let keeps_pool = matches!(paradigm, Paradigm::AccumulateSubsample { .. });
        let support = count_nonzero(&real);
        let fresh = if fresh_real {
            atoms.iter().map(|&i| p0[i as usize]).collect()
        } else {
            Vec::new()
        };
        let second = vec![0; if fresh_real { len } else { 0 }];
        Self {
            setting,
            paradigm,
            atoms,
            model: real.clone(),
            model_total: real_total,
            pool: if keeps_pool { real.clone() } else { Vec::new() },
            pool_total: real_total,
            real: if paradigm == Paradigm::Replace {
                Vec::new()
            } else {
                real
            },
            real_total,
            scratch: vec![0; len],
            scratch2: vec![0; len],
            owner: Vec::new(),
            without: HypergeometricScratch::default(),
            support,
            generation: 1,
            fixed,
            fresh,
            second,
            second_total: 0,
            first_weight: 1.0,
        }
    }

    /// Fit the next generation's model.
    fn step<R: Rng>(&mut self, rng: &mut R) {
        let d = self.setting.samples;
        match self.paradigm {
            Paradigm::Replace => {
                if self.support > 1 {
                    self.resample_replace(rng);
                } else {
                    // A collapsed model draws all D items on its one atom.
                    self.model[0] = d;
                }
                self.model_total = d;
            }
            Paradigm::Accumulate { per_generation } => {
                multinomial(
                    rng,
                    per_generation,
                    &self.model,
                    self.model_total,
                    &mut self.scratch,
                    &mut self.owner,
                );
                for (m, x) in self.model.iter_mut().zip(&self.scratch) {
                    *m += x;
                }
                self.model_total += per_generation;
            }
            Paradigm::AccumulateSubsample { size } => {
                multinomial(
                    rng,
                    d,
                    &self.model,
                    self.model_total,
                    &mut self.scratch,
                    &mut self.owner,
                );
                for (p, x) in self.pool.iter_mut().zip(&self.scratch) {
                    *p += x;
                }
                self.pool_total += d;
                hypergeometric(
                    rng,
                    size,
                    &self.pool,
                    self.pool_total,
                    &mut self.model,
                    &mut self.without,
                );
                self.model_total = size;
                self.support = count_nonzero(&self.model);
            }
            Paradigm::MixReal {
                real_per_generation,
            } => {
                let synthetic = d - real_per_generation;
                multinomial(
                    rng,
                    synthetic,
                    &self.model,
                    self.model_total,
                    &mut self.scratch,
                    &mut self.owner,
                );
                hypergeometric(
                    rng,
                    real_per_generation,
                    &self.real,
                    self.real_total,
                    &mut self.scratch2,
                    &mut self.without,
                );
                for ((m, a), b) in self.model.iter_mut().zip(&self.scratch).zip(&self.scratch2) {
                    *m = a + b;
                }
                self.model_total = d;
                self.support = count_nonzero(&self.model);
            }
            Paradigm::FreshReal {
                real_per_generation,
                weight,
            } => self.step_fresh_real(rng, real_per_generation, weight),
        }
        self.generation += 1;
    }

    /// FreshReal's step: s = D - r synthetic items from the current model (a mixture's items
    /// come from its parts in Binomial(s, weight) and the rest), r fresh real items from p0;
    /// the next model is fit to their sum, or weighs them w and 1 - w.
    fn step_fresh_real<R: Rng>(&mut self, rng: &mut R, r: u64, weight: Option<f64>) {
        let d = self.setting.samples;
        let s = d - r;
        let from_first = if self.second_total == 0 {
            s
        } else {
            binomial(rng, s, self.first_weight)
        };
        multinomial(
            rng,
            from_first,
            &self.model,
            self.model_total,
            &mut self.scratch,
            &mut self.owner,
        );
        if from_first < s {
            multinomial(
                rng,
                s - from_first,
                &self.second,
                self.second_total,
                &mut self.scratch2,
                &mut self.owner,
            );
            for (x, y) in self.scratch.iter_mut().zip(&self.scratch2) {
                *x += y;
            }
        }
        // the synthetic items are in `scratch`; the fresh real ones go to `model`
        multinomial_weights(rng, r, &self.fresh, &mut self.model);
        match weight {
            None => {
                for (m, x) in self.model.iter_mut().zip(&self.scratch) {
                    *m += x;
                }
                self.model_total = d;
            }
            Some(w) => {
                self.second.copy_from_slice(&self.scratch);
                (self.model_total, self.second_total, self.first_weight) = (r, s, w);
            }
        }
        let (a, mixed) = (self.first_weight, self.second_total > 0);
        self.support = self
            .model
            .iter()
            .zip(&self.second)
            .filter(|&(&m, &g)| (m > 0 && a > 0.0) || (mixed && g > 0 && a < 1.0))
            .count();
    }

    /// Replace's step for a model with at least two atoms: draw D items, drop the atoms that
    /// got none, and order the rest for the next draw (the largest last; from eight on, all by
    /// increasing count).
    fn resample_replace<R: Rng>(&mut self, rng: &mut R) {
        let d = self.setting.samples;
        let len = self.atoms.len();
        let drawn = &mut self.scratch[..len];
        // The chain's first draw is Binomial(D, c_0 / D) when the model was fit to D items:
        // from the tables if there are any (unless the first atoms are drawn as a group), then
        // the rest conditionally on it.
        let total = self.model_total;
        match self.fixed {
            Some(table) if total == table.n() && !starts_group(d, &self.model, total) => {
                drawn[0] = table.sample(rng, self.model[0]);
                multinomial(
                    rng,
                    d - drawn[0],
                    &self.model[1..],
                    total - self.model[0],
                    &mut drawn[1..],
                    &mut self.owner,
                );
            }
            _ => multinomial(rng, d, &self.model, total, drawn, &mut self.owner),
        }
        if len == 2 {
            // The two-atom endgame, about half the generations of a run to collapse: no sort.
            let (x, y) = (drawn[0], drawn[1]);
            if x == 0 || y == 0 {
                self.atoms.swap(0, usize::from(x == 0));
                self.truncate(1);
                self.model[0] = d;
            } else {
                self.model.copy_from_slice(&[x, y]);
                if (x, self.atoms[0]) > (y, self.atoms[1]) {
                    self.model.swap(0, 1);
                    self.atoms.swap(0, 1);
                }
            }
            return;
        }
        let mut kept = 0;
        for (i, &x) in drawn.iter().enumerate() {
            if x > 0 {
                self.atoms[kept] = self.atoms[i];
                self.model[kept] = x;
                kept += 1;
            }
        }
        self.truncate(kept);
        if kept < MIN_GROUP {
            // No group of small atoms can form: only the largest atom's place matters (last,
            // where it takes the rest without a draw), so one pass moves it there.
            let largest = largest_position(&self.model);
            self.model.swap(largest, kept - 1);
            self.atoms.swap(largest, kept - 1);
        } else {
            sort_by_count(&mut self.atoms, &mut self.model, &mut self.scratch2);
        }
    }

    /// Keep the first `len` atoms of the model.
    fn truncate(&mut self, len: usize) {
        self.atoms.truncate(len);
        self.model.truncate(len);
        self.support = len;
    }

    /// The model as (atom index, probability, ln probability) over its support; ln p is 0
    /// unless `with_log`.
    fn probabilities(&self, with_log: bool) -> impl Iterator<Item = (u32, f64, f64)> + '_ {
        // a division, not a multiplication by 1/total: c / total is exactly 1 when c = total
        // (49 * (1/49) is not), so a collapsed model's max_weight is exactly 1
        let total = float(self.model_total);
        let ln_total = total.ln();
        // a weighted FreshReal's mixture: a c / total + (1 - a) g / second_total
        let (a, second_total) = (self.first_weight, float(self.second_total));
        let part = |weight: f64, c: u64, of: f64| {
            if weight == 0.0 || c == 0 {
                0.0
            } else {
                weight * float(c) / of
            }
        };
        self.atoms.iter().enumerate().filter_map(move |(j, &i)| {
            let c = self.model[j];
            if self.second_total == 0 {
                let ln_p = if with_log { ln_int(c) - ln_total } else { 0.0 };
                return (c > 0).then(|| (i, float(c) / total, ln_p));
            }
            let p = part(a, c, total) + part(1.0 - a, self.second[j], second_total);
            (p > 0.0).then(|| (i, p, if with_log { p.ln() } else { 0.0 }))
        })
    }

    /// Work of the next step, in atoms resampled (plus one for the generation itself).
    fn work(&self) -> u64 {
        self.atoms.len() as u64 + 1
    }

    fn collapsed(&self) -> bool {
        self.support <= 1
    }

    /// Whether every later model is this one: a single atom that no later training set can
    /// leave. Replace and Accumulate fit data drawn from it alone (Accumulate's pool, which the
    /// model is fit to, holds that atom only); MixReal's real share is that atom too when the
    /// real data have no other. AccumulateSubsample's pool may still hold other atoms.
    fn absorbed(&self) -> bool {
        self.collapsed()
            && match self.paradigm {
                Paradigm::Replace | Paradigm::Accumulate { .. } => true,
                Paradigm::MixReal { .. } => count_nonzero(&self.real) <= 1,
                // fresh real data may bring back any real atom
                Paradigm::AccumulateSubsample { .. } | Paradigm::FreshReal { .. } => {
                    self.setting.reference.real_support() <= 1
                }
            }
    }

    /// Whether no later model can have a single atom: every training set keeps all the real data
    /// (Accumulate), or a share of it that must span two atoms (MixReal drawing more real items
    /// than all but the largest real atom hold). Such a replicate is censored at once rather than
    /// run to `max_iterations` (which may be 2^62).
    fn can_never_collapse(&self) -> bool {
        let real_atoms = self.real.len();
        match self.paradigm {
            Paradigm::Accumulate { .. } => real_atoms >= 2,
            Paradigm::MixReal {
                real_per_generation,
            } => {
                let largest = self.real.iter().copied().max().unwrap_or(0);
                real_atoms >= 2 && real_per_generation > self.real_total - largest
            }
            Paradigm::Replace
            | Paradigm::AccumulateSubsample { .. }
            | Paradigm::FreshReal { .. } => false,
        }
    }
}

/// Position of the largest count (the last of equal ones).
fn largest_position(counts: &[u64]) -> usize {
    // `max_by_key` returns the last of equal maxima
    counts
        .iter()
        .enumerate()
        .max_by_key(|&(_, &c)| c)
        .map_or(0, |(i, _)| i)
}

fn count_nonzero(counts: &[u64]) -> usize {
    counts.iter().filter(|&&c| c > 0).count()
}

/// Sort survivors by increasing count (ties by atom index), keeping `atoms` aligned. The largest
/// atom then comes last in the chain of conditional binomials, where it takes what is left without
/// a draw, and the small atoms stand together at the front, where `multinomial` draws them as a
/// group.
fn sort_by_count(atoms: &mut [u32], counts: &mut [u64], key: &mut Vec<u64>) {
    // Pack (count, index) into one u64 key where it fits, so that one unstable sort on plain
    // integers orders both; fall back to a pair sort for counts of 2^32 and more.
    let fits = counts.iter().all(|&c| c < (1 << 32));
    if fits {
        key.clear();
        key.extend(
            counts
                .iter()
                .zip(atoms.iter())
                .map(|(&c, &i)| (c << 32) | u64::from(i)),
        );
        key.sort_unstable();
        for ((slot_c, slot_i), k) in counts.iter_mut().zip(atoms.iter_mut()).zip(key.iter()) {
            *slot_c = k >> 32;
            *slot_i = *k as u32;
        }
    } else {
        let mut pairs: Vec<(u64, u32)> =
            counts.iter().copied().zip(atoms.iter().copied()).collect();
        pairs.sort_unstable();
        for ((slot_c, slot_i), (c, i)) in counts.iter_mut().zip(atoms.iter_mut()).zip(pairs) {
            *slot_c = c;
            *slot_i = i;
        }
    }
}

/// What `simulate` records.
#[derive(Debug, Clone)]
pub struct SimulateSpec {
    /// Which iterations are recorded (0, 1, every `stride`-th and the last).
    pub recording: Recording,
    /// Metrics to record, in output order.
    pub metrics: Vec<DiscreteMetric>,
}

impl SimulateSpec {
    /// Values per replicate in the output.
    pub fn row_len(&self) -> usize {
        self.recording.recorded() * self.metrics.len()
    }
}

/// One replicate of the discrete loop: its chain, and what it records.
struct DiscreteGeneration<'a> {
    chain: Chain<'a>,
    setting: &'a DiscreteSetting,
    metrics: &'a [DiscreteMetric],
    with_log: bool,
    /// The real distribution's metrics, the same for every replicate (computed once).
    initial: &'a [f64],
    /// Atoms the last step resampled (the unit of work).
    work: u64,
}

impl Generation for DiscreteGeneration<'_> {
    const CHECK_WORK: u64 = CHECK_WORK;

    fn record_real(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        for (k, &v) in self.initial.iter().enumerate() {
            out[k * step] = v;
        }
    }

    fn step(&mut self, rng: &mut FastRng) {
        self.work = self.chain.work();
        self.chain.step(rng);
    }

    fn record(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        discrete_metrics(
            self.chain.probabilities(self.with_log),
            &self.setting.reference,
            self.metrics,
            out,
            step,
        );
    }

    fn work(&mut self) -> u64 {
        std::mem::replace(&mut self.work, 0) + 1
    }

    fn absorbed(&self) -> bool {
        self.chain.absorbed()
    }
}

/// Simulate replicates `first..first + replicates` on the shared loop (`engine::simulate`); the
/// output holds, per replicate, one block per metric of
/// `spec.recorded()` values: shape (replicates, metrics, recorded), row-major.
pub fn simulate(
    setting: &DiscreteSetting,
    paradigm: Paradigm,
    spec: &SimulateSpec,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
) -> SimResult<Vec<f64>> {
    let recording = spec.recording;
    setting.check_paradigm(paradigm, recording.iterations)?;
    let fixed = setting.fixed_binomial(paradigm);
    let with_log = needs_log(&spec.metrics);
    let mut initial = vec![0.0; spec.metrics.len()];
    discrete_metrics(
        setting
            .reference
            .p0()
            .iter()
            .enumerate()
            .map(|(i, &p)| (i as u32, p, p.ln())),
        &setting.reference,
        &spec.metrics,
        &mut initial,
        1,
    );
    let (metrics, initial) = (&spec.metrics[..], &initial[..]);
    engine::simulate(
        recording,
        spec.metrics.len(),
        key,
        first,
        replicates,
        control,
        |rng| DiscreteGeneration {
            chain: Chain::new(setting, paradigm, fixed.as_deref(), rng),
            setting,
            metrics,
            with_log,
            initial,
            work: 0,
        },
    )
}

/// First iteration at which one atom holds all mass, per replicate, with a flag for replicates
/// that had not collapsed by `max_iterations` (their time is then `max_iterations`).
pub fn collapse_times(
    setting: &DiscreteSetting,
    paradigm: Paradigm,
    max_iterations: u64,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
) -> SimResult<(Vec<u64>, Vec<bool>)> {
    if paradigm != Paradigm::Replace {
        setting.check_paradigm(paradigm, max_iterations)?;
    }
    let mut times = exec::filled(replicates, 0u64, "the collapse times")?;
    let mut censored = exec::filled(replicates, false, "the censoring flags")?;
    let fixed = setting.fixed_binomial(paradigm);
    let starts_collapsed = setting.reference.real_support() <= 1;
    exec::for_each_pair(
        &mut times,
        &mut censored,
        first,
        control,
        |replicate, time, cens| {
            if starts_collapsed {
                return Ok(());
            }
            if max_iterations == 0 {
                *cens = true;
                return Ok(());
            }
            let mut rng = fast_rng(key, replicate);
            let mut chain = Chain::new(setting, paradigm, fixed.as_deref(), &mut rng);
            if !chain.collapsed() && chain.can_never_collapse() {
                *cens = true;
                *time = max_iterations;
                control.advance(1);
                return Ok(());
            }
            let mut work = 0;
            while !chain.collapsed() {
                if chain.generation == max_iterations {
                    *cens = true;
                    break;
                }
                work += chain.work();
                if work >= CHECK_WORK {
                    work = 0;
                    control.check()?;
                }
                chain.step(&mut rng);
            }
            *time = chain.generation;
            control.advance(1);
            Ok(())
        },
    )?;
    Ok((times, censored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::key_from_words;

    fn key() -> RootKey {
        key_from_words([11, 22, 33, 44])
    }

    fn uniform(k: usize, d: u64) -> DiscreteSetting {
        DiscreteSetting::new(&vec![1.0; k], None, d, 0.1).unwrap()
    }

    #[test]
    fn counts_sum_to_training_size_and_support_never_grows() {
        let s = uniform(20, 50);
        let mut rng = fast_rng(&key(), 0);
        let mut chain = Chain::new(&s, Paradigm::Replace, None, &mut rng);
        let mut support = chain.support;
        for _ in 0..300 {
            chain.step(&mut rng);
            assert_eq!(chain.model.iter().sum::<u64>(), 50);
            assert!(chain.support <= support);
            assert!(chain.model.iter().all(|&c| c > 0));
            support = chain.support;
        }
    }

    /// Replicates that keep enough real data never collapse: they are censored at once, with the
    /// same result as running them to `max_iterations`.
    #[test]
    fn replicates_that_cannot_collapse_are_censored_at_once() {
        let c = Control::new();
        let s = DiscreteSetting::new(&[0.5, 0.5], Some(vec![5, 5]), 10, 0.1).unwrap();
        for paradigm in [
            Paradigm::Accumulate { per_generation: 1 },
            Paradigm::MixReal {
                real_per_generation: 6,
            },
        ] {
            let (t, cens) = collapse_times(&s, paradigm, 1 << 61, &key(), 0, 4, &c).unwrap();
            assert!(cens.iter().all(|&x| x) && t.iter().all(|&x| x == 1 << 61));
            let (short, cens) = collapse_times(&s, paradigm, 40, &key(), 0, 4, &c).unwrap();
            assert!(cens.iter().all(|&x| x) && short.iter().all(|&x| x == 40));
        }
        // five real items of one atom: a MixReal share of 5 may be all of it
        let mix = Paradigm::MixReal {
            real_per_generation: 5,
        };
        let (_, cens) = collapse_times(&s, mix, 10_000, &key(), 0, 20, &c).unwrap();
        assert!(cens.iter().any(|&x| !x));
    }

    #[test]
    fn collapsed_model_keeps_its_training_size() {
        let s = DiscreteSetting::new(&[1.0], Some(vec![2]), 1, 0.1).unwrap();
        let mut rng = fast_rng(&key(), 0);
        let mut chain = Chain::new(&s, Paradigm::Replace, None, &mut rng);
        chain.step(&mut rng);
        assert_eq!((chain.model.as_slice(), chain.model_total), (&[1][..], 1));
    }

    #[test]
    fn accumulate_never_loses_a_real_atom() {
        let s = uniform(30, 40);
        let mut rng = fast_rng(&key(), 5);
        let p = Paradigm::Accumulate { per_generation: 40 };
        let mut chain = Chain::new(&s, p, None, &mut rng);
        let start = chain.support;
        for t in 0..200u64 {
            chain.step(&mut rng);
            assert_eq!(chain.support, start);
            assert_eq!(chain.model_total, 40 + 40 * (t + 1));
        }
    }

    #[test]
    fn subsample_and_mix_have_the_right_sizes() {
        let s = uniform(10, 30);
        let mut rng = fast_rng(&key(), 1);
        let mut sub = Chain::new(
            &s,
            Paradigm::AccumulateSubsample { size: 45 },
            None,
            &mut rng,
        );
        let mut mix = Chain::new(
            &s,
            Paradigm::MixReal {
                real_per_generation: 12,
            },
            None,
            &mut rng,
        );
        for _ in 0..50 {
            sub.step(&mut rng);
            mix.step(&mut rng);
            assert_eq!(sub.model.iter().sum::<u64>(), 45);
            assert_eq!(mix.model.iter().sum::<u64>(), 30);
        }
        assert!(s
            .check_paradigm(Paradigm::AccumulateSubsample { size: 61 }, 5)
            .is_err());
        assert!(s
            .check_paradigm(
                Paradigm::MixReal {
                    real_per_generation: 31
                },
                5
            )
            .is_err());
    }

    #[test]
    fn same_key_same_result_for_any_split() {
        let s = uniform(8, 20);
        let spec = SimulateSpec {
            recording: Recording {
                iterations: 40,
                stride: 3,
            },
            metrics: DiscreteMetric::ALL.to_vec(),
        };
        let c = Control::new();
        let all = simulate(&s, Paradigm::Replace, &spec, &key(), 0, 10, &c).unwrap();
        let a = simulate(&s, Paradigm::Replace, &spec, &key(), 0, 4, &c).unwrap();
        let b = simulate(&s, Paradigm::Replace, &spec, &key(), 4, 6, &c).unwrap();
        let joined: Vec<f64> = a.into_iter().chain(b).collect();
        assert_eq!(all.len(), joined.len());
        assert!(all
            .iter()
            .zip(&joined)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn collapse_times_are_finite_under_replace() {
        let s = uniform(3, 10);
        let c = Control::new();
        let (times, censored) =
            collapse_times(&s, Paradigm::Replace, u64::MAX, &key(), 0, 200, &c).unwrap();
        assert!(censored.iter().all(|&x| !x));
        assert!(times.iter().all(|&t| t >= 1));
        let one = DiscreteSetting::new(&[0.0, 1.0], None, 10, 0.1).unwrap();
        let (t0, _) = collapse_times(&one, Paradigm::Replace, 5, &key(), 0, 3, &c).unwrap();
        assert_eq!(t0, vec![0, 0, 0]);
    }

    #[test]
    fn cancelled_runs_stop() {
        let s = uniform(50, 1000);
        let c = Control::new();
        c.cancel();
        let spec = SimulateSpec {
            recording: Recording {
                iterations: 100_000,
                stride: 1000,
            },
            metrics: vec![DiscreteMetric::Entropy],
        };
        let r = simulate(&s, Paradigm::Replace, &spec, &key(), 0, 4, &c);
        assert_eq!(r, Err(crate::SimError::Interrupted));
    }
}
