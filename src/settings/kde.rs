//! Kernel density estimators in one dimension (paper Sec. 4.4, after Kazdan et al. 2024): each
//! model is the Gaussian KDE with a fixed bandwidth h on its training set, and is sampled by
//! picking a training point uniformly and adding N(0, h^2) noise.
//!
//! The real distribution is a Gaussian mixture (real data and a held-out test set drawn per
//! replicate) or a given data set (with a given test set). Metrics:
//! * `nll_real`: mean negative log-density of the held-out real test set under the model. Each
//!   test point needs the log of a sum of kernels; with the training set sorted, only the
//!   centres within sqrt(delta^2 + 100 h^2) of the point are summed (delta the distance to the
//!   nearest centre): every other kernel is below e^-50 of the largest, so the sum is exact to
//!   double precision and the cost is the number of nearby centres, not the training-set size;
//! * `tail_mass`: the model's mass outside the real central interval [a, b] holding 1 - tail of
//!   the real mass, again summing normal tails only for centres within 9 h of a or b;
//! * `support_spread`: the model's standard deviation, sqrt(var(centres) + h^2);
//! * `mode_mass`: for a mixture, the smallest over its components of the model's mass within one
//!   standard deviation of the component's mean, relative to the real mass there (1 for the real
//!   distribution; near 0 once a mode is lost). Not offered for given data, whose modes are
//!   unknown (asking for it is refused).
//!
//! Far from the origin every spread is computed about the mean (never as E[x^2] - E[x]^2, which
//! cancels to 0 once the mean's square swamps the variance), and a mixture component must be
//! wider than [`RESOLUTION`] times its mean's magnitude, so that its points are resolved.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::engine::control::Control;
use crate::engine::paradigm::{Paradigm, Pool};
use crate::engine::rng::{FastRng, RootKey};
use crate::engine::{self, metric_enum, Generation, Recording};
use crate::error::{invalid, SimResult};
use crate::numerics::draw::choose_front;
use crate::numerics::quadform::normal_sf;

/// Largest per-generation sample size.
pub const MAX_SAMPLES: u64 = 1 << 32;
/// Largest number of stored points per replicate (4 GiB).
const MAX_STORED: u64 = 1 << 29;
/// Bandwidths the kernels accept: 2 h^2 and its inverse stay normal floating-point numbers.
pub const MIN_BANDWIDTH: f64 = 1e-100;
/// See [`MIN_BANDWIDTH`].
pub const MAX_BANDWIDTH: f64 = 1e100;
/// Smallest ratio of a mixture component's standard deviation to its mean's magnitude: points
/// of a narrower component round to a few floating-point values (ulp(m) is 2.2e-16 |m|), and its
/// one-sd window and tail quantiles cannot be told apart from its mean.
pub const RESOLUTION: f64 = 1e-12;
/// Kernels below e^-LOG_WINDOW of the largest are left out of a log-density (exact in f64).
const LOG_WINDOW: f64 = 50.0;
/// Centres farther than this many bandwidths from a tail edge put all or none of their mass
/// beyond it, to double precision.
const TAIL_WINDOW: f64 = 9.0;
/// Test points per parallel chunk of the NLL; fixed, so that sums never depend on thread count.
const NLL_CHUNK: usize = 256;
/// Below this many (test point x centre) pairs the NLL runs on the replicate's own thread.
const NLL_PARALLEL: usize = 1 << 18;

metric_enum! {
    /// Per-iteration statistics of a KDE.
    pub enum KdeMetric ("KDE") {
        /// Mean negative log-density of the held-out real test set.
        NllReal => "nll_real",
        /// Mass outside the real central (1 - tail) interval.
        TailMass => "tail_mass",
        /// Standard deviation of the model.
        SupportSpread => "support_spread",
        /// Smallest ratio of model to real mass within one sd of a mixture component's mean.
        ModeMass => "mode_mass",
    }
}

/// A one-dimensional Gaussian mixture.
#[derive(Debug, Clone)]
pub struct Mixture {
    cumulative: Vec<f64>,
    weights: Vec<f64>,
    means: Vec<f64>,
    sds: Vec<f64>,
}

impl Mixture {
    /// Weights (normalised here), means and standard deviations of the components.
    pub fn new(weights: &[f64], means: &[f64], sds: &[f64]) -> SimResult<Self> {
        let k = weights.len();
        if k == 0 || means.len() != k || sds.len() != k {
            return Err(invalid(
                "sampler",
                "weights, means and stds must have the same positive length",
            ));
        }
        if weights
            .iter()
            .chain(means)
            .chain(sds)
            .any(|v| !v.is_finite())
            || weights.iter().any(|&w| w < 0.0)
            || sds.iter().any(|&s| s <= 0.0)
        {
            return Err(invalid(
                "sampler",
                "weights must be non-negative, stds positive, all finite",
            ));
        }
        if let Some((m, s)) = means
            .iter()
            .zip(sds)
            .find(|&(m, s)| *s < RESOLUTION * m.abs())
        {
            return Err(invalid(
                "sampler",
                format!(
                    "a component N({m:e}, {s:e}^2) is narrower than {RESOLUTION:e} times its \
                     mean, so its points are not resolved in double precision"
                ),
            ));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(invalid("sampler", "weights must have a positive sum"));
        }
        let weights: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Ok(Self {
            cumulative,
            weights,
            means: means.to_vec(),
            sds: sds.to_vec(),
        })
    }

    fn sample(&self, rng: &mut FastRng) -> f64 {
        let u: f64 = rng.random();
        let k = self
            .cumulative
            .partition_point(|&c| c <= u)
            .min(self.means.len() - 1);
        let z: f64 = StandardNormal.sample(rng);
        self.means[k] + self.sds[k] * z
    }

    fn ln_density(&self, x: f64) -> f64 {
        let terms = self
            .weights
            .iter()
            .zip(&self.means)
            .zip(&self.sds)
            .map(|((w, m), s)| {
                let z = (x - m) / s;
                w.ln() - 0.5 * z * z - s.ln()
            });
        let top = terms.clone().fold(f64::NEG_INFINITY, f64::max);
        if top == f64::NEG_INFINITY {
            // x so far out that every component's density underflows
            return top;
        }
        top + terms.map(|t| (t - top).exp()).sum::<f64>().ln() - HALF_LN_TAU
    }

    /// Each component's one-sd interval around its mean and the real mass in it (components of
    /// weight 0 are no modes, and are left out).
    fn mode_windows(&self) -> Vec<(f64, f64, f64)> {
        self.means
            .iter()
            .zip(&self.sds)
            .zip(&self.weights)
            .filter(|&(_, &w)| w > 0.0)
            .map(|((&m, &sd), _)| {
                let (lo, hi) = (m - sd, m + sd);
                let mass: f64 = self
                    .weights
                    .iter()
                    .zip(&self.means)
                    .zip(&self.sds)
                    .map(|((w, mk), sk)| {
                        w * (1.0 - normal_sf((hi - mk) / sk) - normal_sf((mk - lo) / sk))
                    })
                    .sum();
                (lo, hi, mass)
            })
            .collect()
    }

    /// The mixture's standard deviation, from deviations about its mean (E[x^2] - E[x]^2
    /// cancels to 0 when the mean is large).
    fn sd(&self) -> f64 {
        let mean: f64 = self
            .weights
            .iter()
            .zip(&self.means)
            .map(|(w, m)| w * m)
            .sum();
        self.weights
            .iter()
            .zip(&self.means)
            .zip(&self.sds)
            .map(|((w, m), s)| w * ((m - mean) * (m - mean) + s * s))
            .sum::<f64>()
            .sqrt()
    }
}

/// ln sqrt(2 pi).
const HALF_LN_TAU: f64 = 0.918_938_533_204_672_8;

/// Where the real data come from.
#[derive(Debug, Clone)]
pub enum RealSource {
    /// `samples` real points and `test_size` test points from the mixture, per replicate.
    Mixture { mixture: Mixture, test_size: usize },
    /// Fixed real data and a fixed held-out test set.
    Data { data: Vec<f64>, test: Vec<f64> },
}

/// The real distribution, the bandwidth, the sample size and the tail interval.
#[derive(Debug, Clone)]
pub struct KdeSetting {
    source: RealSource,
    bandwidth: f64,
    samples: usize,
    tail: f64,
    tail_interval: (f64, f64),
    /// (low, high, real mass) of each mixture component's one-sd interval; empty for given data.
    mode_windows: Vec<(f64, f64, f64)>,
}

impl KdeSetting {
    /// `tail_interval` is the real central interval holding 1 - `tail` of the real mass.
    pub fn new(
        source: RealSource,
        bandwidth: f64,
        samples: u64,
        tail: f64,
        tail_interval: (f64, f64),
    ) -> SimResult<Self> {
        if !(MIN_BANDWIDTH..=MAX_BANDWIDTH).contains(&bandwidth) {
            return Err(invalid(
                "bandwidth",
                format!("must lie in [{MIN_BANDWIDTH:e}, {MAX_BANDWIDTH:e}], got {bandwidth}"),
            ));
        }
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(invalid(
                "samples",
                format!("must lie in [1, {MAX_SAMPLES}], got {samples}"),
            ));
        }
        if !(tail > 0.0 && tail < 1.0) {
            return Err(invalid("tail", format!("must lie in (0, 1), got {tail}")));
        }
        let (a, b) = tail_interval;
        if !(a.is_finite() && b.is_finite() && a <= b) {
            return Err(invalid("tail", "the real central interval must be finite"));
        }
        match &source {
            RealSource::Mixture { test_size, .. } if *test_size == 0 => {
                return Err(invalid("test_size", "must be at least 1"));
            }
            RealSource::Data { data, test } => {
                if data.is_empty() || test.is_empty() {
                    return Err(invalid("data", "data and test must be non-empty"));
                }
                if data.iter().chain(test).any(|v| !v.is_finite()) {
                    return Err(invalid("data", "data and test must be finite"));
                }
            }
            RealSource::Mixture { .. } => {}
        }
        let mode_windows = match &source {
            RealSource::Mixture { mixture, .. } => mixture.mode_windows(),
            RealSource::Data { .. } => Vec::new(),
        };
        Ok(Self {
            source,
            bandwidth,
            samples: samples as usize,
            tail,
            tail_interval,
            mode_windows,
        })
    }

    fn real_size(&self) -> usize {
        match &self.source {
            RealSource::Mixture { .. } => self.samples,
            RealSource::Data { data, .. } => data.len(),
        }
    }

    /// Refuse paradigms this setting cannot run for `iterations` generations.
    pub fn check_paradigm(&self, paradigm: Paradigm, iterations: u64) -> SimResult<()> {
        let pool = Pool {
            real: self.real_size() as u64,
            per_generation: self.samples as u64,
            min_fit: 1,
            stores_items: true,
            values_per_item: 1,
            max_stored: MAX_STORED,
            unit: "points",
        };
        paradigm.check(&pool, iterations)?;
        if let Paradigm::FreshReal { weight, .. } = paradigm {
            if matches!(self.source, RealSource::Data { .. }) {
                return Err(invalid(
                    "paradigm",
                    "FreshReal draws real points afresh from the real distribution, and a KDE \
                     given data has none (MixReal reuses the given points)",
                ));
            }
            if weight.is_some() {
                return Err(invalid(
                    "weight",
                    "a weighted FreshReal is not available for the KDE yet (its kernels all \
                     weigh the same); use weight=None",
                ));
            }
        }
        Ok(())
    }
}

/// Draw `count` points from the KDE on `centres` into `out`.
fn sample_kde(centres: &[f64], h: f64, count: usize, rng: &mut FastRng, out: &mut Vec<f64>) {
    out.clear();
    out.extend((0..count).map(|_| {
        let c = centres[rng.random_range(0..centres.len())];
        let z: f64 = StandardNormal.sample(rng);
        c + h * z
    }));
}

/// ln of the KDE density at x, from the sorted centres.
fn ln_kde(sorted: &[f64], h: f64, x: f64) -> f64 {
    let i = sorted.partition_point(|&c| c < x);
    let nearest = match (i.checked_sub(1).map(|j| sorted[j]), sorted.get(i)) {
        (Some(l), Some(&r)) => (x - l).min(r - x),
        (Some(l), None) => x - l,
        (None, Some(&r)) => r - x,
        (None, None) => return f64::NEG_INFINITY,
    };
    let two_h2 = 2.0 * h * h;
    let radius = (nearest * nearest + LOG_WINDOW * two_h2).sqrt();
    let lo = sorted[..i].partition_point(|&c| c < x - radius);
    let hi = i + sorted[i..].partition_point(|&c| c <= x + radius);
    let offset = nearest * nearest / two_h2;
    let sum = kernel_sum(&sorted[lo..hi], x, nearest, offset, 1.0 / two_h2);
    sum.ln() - offset - (sorted.len() as f64 * h).ln() - HALF_LN_TAU
}

/// Independent partial sums in [`kernel_sum`]: enough to keep several vector registers' worth of
/// exponentials in flight.
const LANES: usize = 16;

/// sum_c exp(offset - (x - c)^2 / (2 h^2)) over a window of centres, every exponent in about
/// [-LOG_WINDOW, 0], where offset = nearest^2 / (2 h^2) and `nearest` is the distance from x to
/// the nearest centre. For a bandwidth far below the distances (offset beyond `NEAR_OFFSET`) the
/// exponent is formed as (nearest - |x - c|) (nearest + |x - c|) / (2 h^2): the difference of the
/// two huge terms cancelled to rounding noise of either sign, and e^noise gave NaN or an infinite
/// density. This loop is the KDE's cost, so it uses [`exp_window`] in LANES
/// independent partial sums (a fixed summation order, so the same numbers on every machine) and,
/// where the CPU has AVX-512 or AVX2 with FMA, a copy compiled for it (the same operations in the
/// same order, fused multiply-adds included, so the same numbers everywhere).
fn kernel_sum(centres: &[f64], x: f64, nearest: f64, offset: f64, inv_two_h2: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        let fma = std::arch::is_x86_feature_detected!("fma");
        if fma && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F and FMA, the features the copy is compiled with.
            return unsafe { kernel_sum_avx512(centres, x, nearest, offset, inv_two_h2) };
        }
        if fma && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 and FMA, the features the copy is compiled with.
            return unsafe { kernel_sum_avx2(centres, x, nearest, offset, inv_two_h2) };
        }
    }
    kernel_sum_portable(centres, x, nearest, offset, inv_two_h2)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn kernel_sum_avx512(
    centres: &[f64],
    x: f64,
    nearest: f64,
    offset: f64,
    inv_two_h2: f64,
) -> f64 {
    kernel_sum_portable(centres, x, nearest, offset, inv_two_h2)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_sum_avx2(
    centres: &[f64],
    x: f64,
    nearest: f64,
    offset: f64,
    inv_two_h2: f64,
) -> f64 {
    kernel_sum_portable(centres, x, nearest, offset, inv_two_h2)
}

// Always inlined: the AVX2 copy above gets AVX2 code only if this body is compiled inside it.
#[allow(clippy::inline_always)]
#[inline(always)]
fn kernel_sum_portable(centres: &[f64], x: f64, nearest: f64, offset: f64, inv_two_h2: f64) -> f64 {
    if offset <= NEAR_OFFSET {
        // offset - (x - c)^2 / (2 h^2): its rounding (about offset x 1e-16) is harmless here
        lane_sum(centres, |c| {
            let u = x - c;
            exp_window(offset - u * u * inv_two_h2)
        })
    } else {
        lane_sum(centres, |c| {
            let u = (x - c).abs();
            // <= 0 up to rounding; below -700 a term is under 1e-304 of the nearest one's 1
            exp_window(((nearest - u) * (nearest + u) * inv_two_h2).clamp(-700.0, 0.0))
        })
    }
}

/// Above this offset (nearest^2 / 2 h^2) the exponent's difference of squares is formed as a
/// product (see [`kernel_sum`]); below it the cheaper difference is accurate to 1e-4.
const NEAR_OFFSET: f64 = 1e12;

/// sum_c term(c) in LANES independent partial sums (a fixed order: the same number everywhere).
#[allow(clippy::inline_always)]
#[inline(always)]
fn lane_sum(centres: &[f64], term: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0; LANES];
    let chunks = centres.chunks_exact(LANES);
    let rest: f64 = chunks.remainder().iter().map(|&c| term(c)).sum();
    for chunk in chunks {
        for (lane, &c) in lanes.iter_mut().zip(chunk) {
            *lane += term(c);
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// e^t for t in about [-700, 1], within 2 ulp, in straight-line arithmetic that vectorises
/// (libm's exp is a call per value): t = k ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor
/// series to r^13 (truncation below 2e-16 relative) in fused multiply-adds, times 2^k built from
/// the exponent bits. (`mul_add` is one instruction on every CPU the fast copies run on, and the
/// correctly rounded library fma elsewhere: the same numbers either way.)
#[allow(clippy::inline_always)]
#[inline(always)]
fn exp_window(t: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // adding 1.5 * 2^52 rounds to an integer, which then sits in the low mantissa bits
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let shifted = t * std::f64::consts::LOG2_E + SHIFTER;
    let k = shifted - SHIFTER;
    let r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, t));
    let mut p: f64 = 1.0 / 6_227_020_800.0;
    for inv_factorial in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, inv_factorial);
    }
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    p * f64::from_bits(k_bits.wrapping_add(1023) << 52)
}

/// Mean negative log-density of `test` under the KDE on sorted centres; in parallel over test
/// points (in fixed chunks, summed in order) when the work is large. Once `control` is
/// cancelled the remaining chunks are skipped (the caller discards the value).
fn nll(sorted: &[f64], h: f64, test: &[f64], control: &Control) -> f64 {
    let chunk_sum = |chunk: &[f64]| {
        if control.is_cancelled() {
            return f64::NAN;
        }
        chunk.iter().map(|&x| -ln_kde(sorted, h, x)).sum::<f64>()
    };
    let total: f64 = if test.len().saturating_mul(sorted.len()) < NLL_PARALLEL {
        test.chunks(NLL_CHUNK).map(chunk_sum).sum()
    } else {
        let parts: Vec<f64> = test.par_chunks(NLL_CHUNK).map(chunk_sum).collect();
        parts.iter().sum()
    };
    total / test.len() as f64
}

/// The KDE's mass outside [a, b], from the sorted centres.
fn tail_mass(sorted: &[f64], h: f64, (a, b): (f64, f64)) -> f64 {
    let window = TAIL_WINDOW * h;
    // left of a: centres far left count fully, centres within the window by their normal tail
    let far_left = sorted.partition_point(|&c| c < a - window);
    let near_left = sorted.partition_point(|&c| c < a + window);
    let left: f64 = far_left as f64
        + sorted[far_left..near_left]
            .iter()
            .map(|&c| normal_sf((c - a) / h))
            .sum::<f64>();
    let near_right = sorted.partition_point(|&c| c <= b - window);
    let far_right = sorted.partition_point(|&c| c <= b + window);
    let right: f64 = (sorted.len() - far_right) as f64
        + sorted[near_right..far_right]
            .iter()
            .map(|&c| normal_sf((b - c) / h))
            .sum::<f64>();
    (left + right) / sorted.len() as f64
}

/// The KDE's standard deviation: sqrt(population variance of the centres + h^2).
fn spread(centres: &[f64], h: f64) -> f64 {
    let n = centres.len() as f64;
    let mean = centres.iter().sum::<f64>() / n;
    let var = centres.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / n;
    (var + h * h).sqrt()
}

/// How a replicate builds each generation's training set.
#[derive(Debug)]
enum Plan {
    Replace,
    Accumulate {
        per_generation: usize,
    },
    MixReal {
        real: Vec<f64>,
        order: Vec<usize>,
        count: usize,
    },
    Subsample {
        pool: Vec<f64>,
        order: Vec<usize>,
        size: usize,
    },
    /// `count` points drawn afresh from the real mixture, the rest from the KDE.
    FreshReal {
        mixture: Mixture,
        count: usize,
    },
}

/// One replicate: the training set (the model), the test set and buffers.
struct KdeModel<'a> {
    setting: &'a KdeSetting,
    metrics: &'a [KdeMetric],
    centres: Vec<f64>,
    test: Vec<f64>,
    plan: Plan,
    fresh: Vec<f64>,
    sorted: Vec<f64>,
    work: u64,
    /// Work of the metrics recorded since the last `work()`.
    pending: u64,
}

impl<'a> KdeModel<'a> {
    fn start(
        setting: &'a KdeSetting,
        paradigm: Paradigm,
        metrics: &'a [KdeMetric],
        rng: &mut FastRng,
    ) -> Self {
        let n = setting.samples;
        let (real, test) = match &setting.source {
            RealSource::Mixture { mixture, test_size } => {
                let real: Vec<f64> = (0..n).map(|_| mixture.sample(rng)).collect();
                let test = (0..*test_size).map(|_| mixture.sample(rng)).collect();
                (real, test)
            }
            RealSource::Data { data, test } => (data.clone(), test.clone()),
        };
        let plan = match paradigm {
            Paradigm::Replace => Plan::Replace,
            Paradigm::Accumulate { per_generation } => Plan::Accumulate {
                per_generation: per_generation as usize,
            },
            Paradigm::MixReal {
                real_per_generation,
            } => Plan::MixReal {
                order: (0..real.len()).collect(),
                real: real.clone(),
                count: real_per_generation as usize,
            },
            Paradigm::AccumulateSubsample { size } => Plan::Subsample {
                order: (0..real.len()).collect(),
                pool: real.clone(),
                size: size as usize,
            },
            Paradigm::FreshReal {
                real_per_generation,
                ..
            } => match &setting.source {
                RealSource::Mixture { mixture, .. } => Plan::FreshReal {
                    mixture: mixture.clone(),
                    count: real_per_generation as usize,
                },
                // refused by `check_paradigm`: given data have no distribution to draw from
                RealSource::Data { .. } => Plan::Replace,
            },
        };
        Self {
            setting,
            metrics,
            work: (n as u64) * 8,
            centres: real,
            test,
            plan,
            fresh: Vec::with_capacity(n),
            sorted: Vec::new(),
            pending: 0,
        }
    }
}

impl Generation for KdeModel<'_> {
    fn record_real(&mut self, out: &mut [f64], step: usize, control: &Control) {
        let setting = self.setting;
        let RealSource::Mixture { mixture, .. } = &setting.source else {
            // Given data: the real distribution is only known through the data, so iteration 0
            // is the KDE on them (as iteration 1 is).
            self.record(out, step, control);
            return;
        };
        for (k, metric) in self.metrics.iter().enumerate() {
            out[k * step] = match metric {
                KdeMetric::NllReal => {
                    -self
                        .test
                        .iter()
                        .map(|&x| mixture.ln_density(x))
                        .sum::<f64>()
                        / self.test.len() as f64
                }
                KdeMetric::TailMass => setting.tail,
                KdeMetric::SupportSpread => mixture.sd(),
                KdeMetric::ModeMass => 1.0,
            };
        }
    }

    fn step(&mut self, rng: &mut FastRng) {
        let (n, h) = (self.setting.samples, self.setting.bandwidth);
        match &mut self.plan {
            Plan::Replace => {
                sample_kde(&self.centres, h, n, rng, &mut self.fresh);
                std::mem::swap(&mut self.centres, &mut self.fresh);
            }
            Plan::Accumulate { per_generation } => {
                sample_kde(&self.centres, h, *per_generation, rng, &mut self.fresh);
                self.centres.extend_from_slice(&self.fresh);
            }
            Plan::MixReal { real, order, count } => {
                sample_kde(&self.centres, h, n - *count, rng, &mut self.fresh);
                choose_front(order, *count, rng);
                self.fresh.extend(order[..*count].iter().map(|&i| real[i]));
                std::mem::swap(&mut self.centres, &mut self.fresh);
            }
            Plan::Subsample { pool, order, size } => {
                sample_kde(&self.centres, h, n, rng, &mut self.fresh);
                let start = pool.len();
                pool.extend_from_slice(&self.fresh);
                order.extend(start..pool.len());
                choose_front(order, *size, rng);
                self.centres.clear();
                self.centres.extend(order[..*size].iter().map(|&i| pool[i]));
            }
            Plan::FreshReal { mixture, count } => {
                sample_kde(&self.centres, h, n - *count, rng, &mut self.fresh);
                self.fresh.extend((0..*count).map(|_| mixture.sample(rng)));
                std::mem::swap(&mut self.centres, &mut self.fresh);
            }
        }
    }

    fn record(&mut self, out: &mut [f64], step: usize, control: &Control) {
        let h = self.setting.bandwidth;
        let needs_sorted = self.metrics.iter().any(|m| {
            matches!(
                m,
                KdeMetric::NllReal | KdeMetric::TailMass | KdeMetric::ModeMass
            )
        });
        if needs_sorted {
            self.sorted.clear();
            self.sorted.extend_from_slice(&self.centres);
            self.sorted.sort_unstable_by(f64::total_cmp);
        }
        for (k, metric) in self.metrics.iter().enumerate() {
            out[k * step] = match metric {
                KdeMetric::NllReal => {
                    // about a fifth of the centres fall in a test point's window
                    self.pending += (self.test.len() * self.centres.len() / 5) as u64;
                    nll(&self.sorted, h, &self.test, control)
                }
                KdeMetric::TailMass => tail_mass(&self.sorted, h, self.setting.tail_interval),
                KdeMetric::SupportSpread => spread(&self.centres, h),
                KdeMetric::ModeMass => self
                    .setting
                    .mode_windows
                    .iter()
                    .map(|&(lo, hi, real)| (1.0 - tail_mass(&self.sorted, h, (lo, hi))) / real)
                    .fold(f64::NAN, f64::min),
            };
        }
    }

    fn work(&mut self) -> u64 {
        self.work + std::mem::take(&mut self.pending)
    }
}

/// Simulate replicates `first..first + replicates` under `paradigm`; the output has shape
/// (replicates, metrics, recorded iterations), row-major.
pub fn simulate(
    setting: &KdeSetting,
    paradigm: Paradigm,
    metrics: &[KdeMetric],
    recording: Recording,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
) -> SimResult<Vec<f64>> {
    setting.check_paradigm(paradigm, recording.iterations)?;
    if matches!(setting.source, RealSource::Data { .. }) && metrics.contains(&KdeMetric::ModeMass) {
        return Err(invalid(
            "metrics",
            "mode_mass does not apply to given data, whose modes are unknown",
        ));
    }
    engine::simulate(
        recording,
        metrics.len(),
        key,
        first,
        replicates,
        control,
        |rng| KdeModel::start(setting, paradigm, metrics, rng),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{fast_rng, key_from_words};
    use crate::numerics::draw::fill_normal;

    fn centres(n: usize) -> Vec<f64> {
        let mut rng = fast_rng(&key_from_words([3, 1, 4, 1]), 0);
        let mut c = vec![0.0; n];
        fill_normal(&mut c, &mut rng);
        c.iter_mut().enumerate().for_each(|(i, v)| {
            *v = if i % 3 == 0 { 5.0 + 0.1 * *v } else { *v };
        });
        c.sort_unstable_by(f64::total_cmp);
        c
    }

    fn brute_ln_kde(c: &[f64], h: f64, x: f64) -> f64 {
        let terms: Vec<f64> = c.iter().map(|&ci| -0.5 * ((x - ci) / h).powi(2)).collect();
        let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
            - (c.len() as f64 * h).ln()
            - HALF_LN_TAU
    }

    /// Bandwidths far below the distances between points give the nearest kernel's log-density
    /// (a huge negative number), never NaN or an infinite density.
    #[test]
    fn tiny_bandwidths_give_finite_log_densities() {
        let c = [0.0_f64, 1.0, 3.0];
        for h in [1e-5_f64, 1e-10, 1e-60, 1e-100] {
            for x in [0.3_f64, 0.7, 1.0 + 5e-10, -2.0, 5.0] {
                let nearest: f64 = c
                    .iter()
                    .map(|&ci| (x - ci).abs())
                    .fold(f64::INFINITY, f64::min);
                let want = -nearest * nearest / (2.0 * h * h) - (3.0 * h).ln() - HALF_LN_TAU;
                let got = ln_kde(&c, h, x);
                assert!(got.is_finite(), "{h} {x}: {got}");
                if want.is_finite() {
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs(),
                        "{h} {x}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn windowed_log_density_is_exact() {
        let c = centres(3000);
        for h in [0.01, 0.2, 3.0] {
            for x in [-40.0, -2.5, 0.0, 0.7, 2.4, 4.95, 5.3, 9.0, 1e3] {
                let (got, want) = (ln_kde(&c, h, x), brute_ln_kde(&c, h, x));
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{x}: {got} {want}"
                );
            }
        }
        let test: Vec<f64> = (0..3000).map(|i| f64::from(i) / 300.0 - 3.0).collect();
        let serial = -test.iter().map(|&x| ln_kde(&c, 0.2, x)).sum::<f64>() / 3000.0;
        let parallel = nll(&c, 0.2, &test, &Control::new());
        assert!((parallel - serial).abs() < 1e-12 * serial.abs());
    }

    /// Far from the origin the mixture's spread is computed about its mean (E[x^2] - E[x]^2
    /// gave 0 at 1e8), its one-sd windows stay resolved, and unresolved components are refused.
    #[test]
    fn mixtures_far_from_the_origin() {
        let m = Mixture::new(&[1.0], &[1e8], &[1.0]).unwrap();
        assert!((m.sd() - 1.0).abs() < 1e-12, "{}", m.sd());
        let two = Mixture::new(&[0.5, 0.5], &[1e9 - 1.0, 1e9 + 1.0], &[1.0, 1.0]).unwrap();
        assert!((two.sd() - 2f64.sqrt()).abs() < 1e-12, "{}", two.sd());
        let far = Mixture::new(&[1.0], &[-1e100], &[1e91]).unwrap();
        assert!((far.sd() / 1e91 - 1.0).abs() < 1e-12);
        let windows = Mixture::new(&[1.0, 0.0], &[1e9, 0.0], &[1e-1, 1.0])
            .unwrap()
            .mode_windows();
        assert_eq!(windows.len(), 1, "a weight-0 component is no mode");
        let (lo, hi, mass) = windows[0];
        assert!(lo < 1e9 && hi > 1e9 && (mass - 0.682_689_492_137_086).abs() < 1e-6);
        for (mean, sd) in [(1e15, 1e-3), (1e9, 1e-8), (1e100, 1.0)] {
            let err = Mixture::new(&[1.0], &[mean], &[sd]).unwrap_err();
            assert!(err.to_string().contains("not resolved"), "{err}");
        }
    }

    #[test]
    fn vectorisable_exp_is_accurate() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let t = -60.0 + 61.0 * f64::from(i) / 200_000.0;
            let (got, want) = (exp_window(t), t.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 4.5e-16, "max relative error {worst:e}");
    }

    #[test]
    fn windowed_tail_mass_is_exact() {
        let c = centres(2000);
        for h in [0.05, 0.5, 4.0] {
            for (a, b) in [(-1.0, 1.0), (-3.0, 5.2), (0.0, 0.0), (6.0, 9.0)] {
                let want: f64 = c
                    .iter()
                    .map(|&ci| normal_sf((ci - a) / h) + normal_sf((b - ci) / h))
                    .sum::<f64>()
                    / c.len() as f64;
                let got = tail_mass(&c, h, (a, b));
                assert!((got - want).abs() < 1e-14, "{h} {a} {b}: {got} {want}");
            }
        }
    }
}
