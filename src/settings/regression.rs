//! Linear regression refits (paper Appendix A; Gerstgrasser et al., Dohmatob et al.): a fixed
//! design X (n x d), real labels y = X beta + eps, eps ~ N(0, sigma^2 I); each model is the OLS
//! fit to its training set, and synthetic labels are X beta_hat + N(0, sigma_t^2 I), with sigma_t
//! the known noise level or the fit's residual estimate.
//!
//! With G = X^T X = L L^T, the OLS fit to labels X b + s eps is b + s L^-T z, z ~ N(0, I_d), and
//! its residual sum of squares is s^2 chi-square(n - d), independent of it. So:
//! * Replace steps beta_hat' = beta_hat + sigma_t L^-T z (one triangular solve a generation);
//! * Accumulate (Appendix A's stacked [y, y_1, ..., y_{t-1}] over repeated X) is the OLS fit to
//!   the mean label vector, i.e. the running mean of the per-vector fits b_v, and the stacked
//!   residual is the sum of the per-vector residuals plus sum_v (b_v - beta_hat)^T G (b_v -
//!   beta_hat), kept by Welford's update;
//! * the `samples` method draws every label and refits from them, as a researcher's loop would.
//!
//! Accumulate-subsample and mix-real always work from labels. A subsample whose rows do not span
//! R^d has no OLS fit: the replicate's metrics are NaN from then on.

use nalgebra::{DMatrix, DVector};
use rand_distr::{ChiSquared, Distribution};

use crate::engine::control::Control;
use crate::engine::paradigm::{Paradigm, Pool};
use crate::engine::rng::{FastRng, RootKey};
use crate::engine::{self, metric_enum, Generation, Recording};
use crate::error::{invalid, SimResult};
use crate::numerics::draw::{choose_front, fill_normal};
use crate::numerics::linalg::{
    bartlett_factor, dot, gram_cholesky, gram_product, upper_times_in_place,
};
use crate::settings::gaussian::Method;

/// Largest dimension accepted.
pub const MAX_DIM: usize = 1024;
/// Largest number of design rows.
pub const MAX_SAMPLES: u64 = 1 << 32;
/// Largest number of stored labels per replicate under AccumulateSubsample (4 GiB).
const MAX_STORED: u64 = 1 << 29;

/// Which noise level generates synthetic labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseModel {
    /// The true sigma, known to every model.
    Known,
    /// Each model's residual estimate RSS / (N - d) of its own training set.
    Estimated,
}

/// Where the design comes from.
#[derive(Debug, Clone)]
pub enum Design {
    /// Rows iid N(0, I_d), drawn once per replicate; test inputs are N(0, I_d) too.
    Gaussian,
    /// The given n x d matrix (row-major), the same for every replicate; test inputs are its rows,
    /// uniformly.
    Fixed(Vec<f64>),
}

metric_enum! {
    /// Per-iteration statistics of a fit beta_hat (and its noise estimate).
    pub enum RegressionMetric ("regression") {
        /// Expected squared error on a fresh test point, sigma^2 + excess risk.
        TestError => "test_error",
        /// (beta_hat - beta)^T Sigma_x (beta_hat - beta), Sigma_x the test inputs' second moment.
        ExcessRisk => "excess_risk",
        /// |beta_hat - beta|^2.
        ParamError => "param_error",
        /// The fit's residual noise estimate RSS / (N - d) (noise_model = "estimated" only).
        NoiseEstimate => "noise_estimate",
    }
}

/// The design, the true coefficients, the noise and the fit rule.
#[derive(Debug, Clone)]
pub struct RegressionSetting {
    dim: usize,
    samples: usize,
    noise: f64,
    beta: DVector<f64>,
    design: Design,
    noise_model: NoiseModel,
    /// Cholesky factor of X^T X for a fixed design.
    fixed_gram: Option<DMatrix<f64>>,
}

impl RegressionSetting {
    /// `design` rows must number `samples`, and a fixed design must have full column rank.
    pub fn new(
        beta: &[f64],
        samples: u64,
        noise: f64,
        design: Design,
        noise_model: NoiseModel,
    ) -> SimResult<Self> {
        let dim = beta.len();
        if dim == 0 || dim > MAX_DIM {
            return Err(invalid(
                "dim",
                format!("must lie in [1, {MAX_DIM}], got {dim}"),
            ));
        }
        if beta.iter().any(|b| !b.is_finite()) {
            return Err(invalid("beta", "must be finite (no NaN or inf)"));
        }
        if samples <= dim as u64 || samples > MAX_SAMPLES {
            return Err(invalid(
                "samples",
                format!(
                    "must lie in [{}, {MAX_SAMPLES}] (more rows than dimensions, or OLS has no \
                     unique fit), got {samples}",
                    dim + 1
                ),
            ));
        }
        if !(noise.is_finite() && noise > 0.0) {
            return Err(invalid("noise", format!("must be positive, got {noise}")));
        }
        let n = samples as usize;
        let fixed_gram = match &design {
            Design::Gaussian => None,
            Design::Fixed(x) => {
                if x.len() != n * dim {
                    return Err(invalid(
                        "design",
                        format!("must be {n} x {dim}, got {} values", x.len()),
                    ));
                }
                if x.iter().any(|v| !v.is_finite()) {
                    return Err(invalid("design", "must be finite (no NaN or inf)"));
                }
                Some(gram_cholesky(x, dim).ok_or_else(|| {
                    invalid("design", "must have full column rank (X^T X is singular)")
                })?)
            }
        };
        Ok(Self {
            dim,
            samples: n,
            noise,
            beta: DVector::from_column_slice(beta),
            design,
            noise_model,
            fixed_gram,
        })
    }

    /// Refuse paradigms this setting cannot run for `iterations` generations.
    pub fn check_paradigm(&self, paradigm: Paradigm, iterations: u64) -> SimResult<()> {
        let (n, d) = (self.samples as u64, self.dim as u64);
        if let Paradigm::Accumulate { per_generation } = paradigm {
            if per_generation % n != 0 {
                return Err(invalid(
                    "growth",
                    "must be a whole number for LinearRegression: each generation adds whole \
                     label vectors over the fixed design",
                ));
            }
        }
        let pool = Pool {
            real: n,
            per_generation: n,
            min_fit: d + 1,
            stores_items: false,
            values_per_item: 1,
            max_stored: MAX_STORED,
            unit: "rows",
        };
        paradigm.check(&pool, iterations)
    }

    /// Metrics of the true model (iteration 0): beta_hat = beta, noise estimate sigma^2.
    pub fn real_metrics(&self, metrics: &[RegressionMetric]) -> Vec<f64> {
        let sigma2 = self.noise * self.noise;
        metrics
            .iter()
            .map(|m| match m {
                RegressionMetric::TestError | RegressionMetric::NoiseEstimate => sigma2,
                RegressionMetric::ExcessRisk | RegressionMetric::ParamError => 0.0,
            })
            .collect()
    }
}

/// How a replicate builds each generation's training set.
#[derive(Debug)]
enum Plan {
    /// beta_hat' = beta_hat + sigma_t L^-T z, noise' = sigma_t^2 chi2(n - d) / (n - d).
    ReplaceStatistics,
    /// Draw the n labels and refit.
    ReplaceSamples,
    /// Stacked label vectors, `per_generation` new ones a generation.
    Accumulate {
        per_generation: usize,
        method: Method,
        /// Label vectors so far.
        vectors: f64,
        /// Sum over vectors of their own residual sums of squares.
        within: f64,
        /// sum_v (b_v - beta_hat)^T G (b_v - beta_hat) (statistics) or
        /// sum_v |y_v - mean y|^2 (samples), by Welford's update.
        spread: f64,
        /// The mean label vector (samples method).
        mean_labels: Vec<f64>,
    },
    /// `real` real labels (rows chosen without replacement), synthetic labels on the other rows.
    MixReal {
        real_labels: Vec<f64>,
        order: Vec<usize>,
        real: usize,
    },
    /// `size` (row, label) pairs drawn without replacement from every label so far.
    Subsample {
        labels: Vec<f64>,
        order: Vec<usize>,
        size: usize,
    },
}

/// One replicate: design, current fit, plan and buffers.
struct RegressionModel<'a> {
    setting: &'a RegressionSetting,
    metrics: &'a [RegressionMetric],
    initial: &'a [f64],
    x: Vec<f64>,
    gram: DMatrix<f64>,
    /// L^-1 (lower, column-major): the OLS deviation L^-T z is its transpose times z.
    gram_inverse: DMatrix<f64>,
    beta_hat: DVector<f64>,
    /// The fit's noise variance estimate (its residual RSS / (N - d)).
    noise2: f64,
    degenerate: bool,
    plan: Plan,
    chi: ChiSquared<f64>,
    z: DVector<f64>,
    /// Scratch vectors of length d, so that the statistics paths never allocate.
    source: DVector<f64>,
    before: DVector<f64>,
    labels: Vec<f64>,
    work: u64,
}

impl<'a> RegressionModel<'a> {
    fn start(
        setting: &'a RegressionSetting,
        paradigm: Paradigm,
        method: Method,
        metrics: &'a [RegressionMetric],
        initial: &'a [f64],
        rng: &mut FastRng,
    ) -> Self {
        let (n, d) = (setting.samples, setting.dim);
        let needs_rows = method == Method::Samples
            || matches!(
                paradigm,
                Paradigm::MixReal { .. } | Paradigm::AccumulateSubsample { .. }
            );
        let (x, gram) = match (&setting.design, &setting.fixed_gram) {
            (Design::Fixed(x), Some(gram)) => (x.clone(), gram.clone()),
            // The statistics paths see the design only through G = X^T X, which for n Gaussian
            // rows is Wishart(n, I): draw its Cholesky factor directly (Bartlett).
            _ if !needs_rows => (Vec::new(), bartlett_factor(n, d, rng)),
            _ => loop {
                let mut x = vec![0.0; n * d];
                fill_normal(&mut x, rng);
                // n > d Gaussian rows have full rank with probability 1; redraw if rounding says
                // otherwise.
                if let Some(gram) = gram_cholesky(&x, d) {
                    break (x, gram);
                }
            },
        };
        let plan = match paradigm {
            Paradigm::Replace if method == Method::Statistics => Plan::ReplaceStatistics,
            Paradigm::Replace => Plan::ReplaceSamples,
            Paradigm::Accumulate { per_generation } => Plan::Accumulate {
                per_generation: per_generation as usize / n,
                method,
                vectors: 0.0,
                within: 0.0,
                spread: 0.0,
                // the running mean label vector: the samples method's only
                mean_labels: if method == Method::Samples {
                    vec![0.0; n]
                } else {
                    Vec::new()
                },
            },
            Paradigm::MixReal {
                real_per_generation,
            } => Plan::MixReal {
                real_labels: Vec::new(),
                order: (0..n).collect(),
                real: real_per_generation as usize,
            },
            Paradigm::AccumulateSubsample { size } => Plan::Subsample {
                labels: Vec::new(),
                order: (0..n).collect(),
                size: size as usize,
            },
        };
        let trained = match &plan {
            // a generation's label vectors are drawn at once (see `add_batch`)
            Plan::ReplaceStatistics
            | Plan::Accumulate {
                method: Method::Statistics,
                ..
            } => d,
            Plan::Subsample { size, .. } => size * d + n,
            _ => n * d,
        };
        let mut gram_inverse = DMatrix::identity(d, d);
        gram.solve_lower_triangular_mut(&mut gram_inverse);
        let mut model = Self {
            setting,
            metrics,
            initial,
            x,
            gram,
            gram_inverse,
            beta_hat: setting.beta.clone(),
            noise2: setting.noise * setting.noise,
            degenerate: false,
            plan,
            chi: ChiSquared::new((n - d) as f64).expect("n > d"),
            z: DVector::zeros(d),
            source: DVector::zeros(d),
            before: DVector::zeros(d),
            // the samples paths' labels (the statistics paths never draw them)
            labels: if needs_rows { vec![0.0; n] } else { Vec::new() },
            work: (trained * d + d * d) as u64,
        };
        model.fit_real(rng);
        model
    }

    /// Generation 1: the fit to the real labels y = X beta + sigma eps.
    fn fit_real(&mut self, rng: &mut FastRng) {
        let sigma = self.setting.noise;
        let plan = std::mem::replace(&mut self.plan, Plan::ReplaceSamples);
        self.plan = match plan {
            Plan::ReplaceStatistics => {
                self.step_statistics(sigma, rng);
                Plan::ReplaceStatistics
            }
            Plan::Accumulate {
                per_generation,
                method,
                mut mean_labels,
                ..
            } => {
                let mut plan = Plan::Accumulate {
                    per_generation,
                    method,
                    vectors: 0.0,
                    within: 0.0,
                    spread: 0.0,
                    mean_labels: std::mem::take(&mut mean_labels),
                };
                self.add_label_vectors(&mut plan, 1, sigma, rng);
                plan
            }
            Plan::MixReal { order, real, .. } => {
                self.draw_labels(sigma, rng);
                let real_labels = self.labels.clone();
                self.refit_full_design();
                Plan::MixReal {
                    real_labels,
                    order,
                    real,
                }
            }
            Plan::Subsample { order, size, .. } => {
                self.draw_labels(sigma, rng);
                let labels = self.labels.clone();
                self.refit_full_design();
                Plan::Subsample {
                    labels,
                    order,
                    size,
                }
            }
            Plan::ReplaceSamples => {
                self.draw_labels(sigma, rng);
                self.refit_full_design();
                Plan::ReplaceSamples
            }
        };
    }

    /// The noise level of the current model's synthetic labels.
    fn sigma(&self) -> f64 {
        match self.setting.noise_model {
            NoiseModel::Known => self.setting.noise,
            NoiseModel::Estimated => self.noise2.sqrt(),
        }
    }

    /// z <- sigma L^-T z for fresh z ~ N(0, I): the OLS fit's deviation for labels with noise
    /// sigma.
    fn draw_deviation(&mut self, sigma: f64, rng: &mut FastRng) {
        fill_normal(self.z.as_mut_slice(), rng);
        let d = self.z.len();
        let inverse = self.gram_inverse.as_slice();
        let z = self.z.as_mut_slice();
        // entry i of L^-T z is column i of L^-1 (rows i..d) dotted with z[i..]: reads only
        // entries k >= i, so increasing i never reads an overwritten entry.
        for i in 0..d {
            z[i] = sigma * dot(&inverse[i * d + i..(i + 1) * d], &z[i..]);
        }
    }

    fn step_statistics(&mut self, sigma: f64, rng: &mut FastRng) {
        self.draw_deviation(sigma, rng);
        self.beta_hat += &self.z;
        if self.setting.noise_model == NoiseModel::Estimated {
            let (n, d) = (self.setting.samples, self.setting.dim);
            self.noise2 = sigma * sigma * self.chi.sample(rng) / (n - d) as f64;
        }
    }

    /// labels <- X beta_hat + sigma eps.
    fn draw_labels(&mut self, sigma: f64, rng: &mut FastRng) {
        let d = self.setting.dim;
        fill_normal(&mut self.labels, rng);
        for (y, row) in self.labels.iter_mut().zip(self.x.chunks_exact(d)) {
            *y = sigma * *y + dot(row, self.beta_hat.as_slice());
        }
    }

    /// OLS of `labels` on the whole design: beta_hat and RSS / (n - d).
    fn refit_full_design(&mut self) {
        let (n, d) = (self.setting.samples, self.setting.dim);
        let rss = ols(&self.x, &self.labels, &self.gram, &mut self.beta_hat);
        self.noise2 = rss / (n - d) as f64;
    }

    /// Add `count` label vectors from the current model (noise sigma) to the accumulated pool and
    /// refit; more than one at once, from their joint law (see `add_batch`).
    fn add_label_vectors(&mut self, plan: &mut Plan, count: usize, sigma: f64, rng: &mut FastRng) {
        // the statistics path draws a generation's vectors at once; the samples path, the twin
        // that checks it, draws every label
        let batch = count > 1
            && matches!(
                plan,
                Plan::Accumulate {
                    method: Method::Statistics,
                    ..
                }
            );
        self.add_vectors(plan, count, sigma, rng, batch);
    }

    /// `add_label_vectors`, by `add_batch` or one vector at a time (the definition the batch is
    /// tested against).
    fn add_vectors(
        &mut self,
        plan: &mut Plan,
        count: usize,
        sigma: f64,
        rng: &mut FastRng,
        batch: bool,
    ) {
        let Plan::Accumulate {
            method,
            vectors,
            within,
            spread,
            mean_labels,
            ..
        } = plan
        else {
            unreachable!("only the accumulate plan adds label vectors");
        };
        let (n, d) = (self.setting.samples, self.setting.dim);
        // beta_hat is both the generating model and, below, the pooled mean it turns into.
        self.source.copy_from(&self.beta_hat);
        if *vectors == 0.0 {
            self.beta_hat.fill(0.0);
        }
        if batch {
            debug_assert_eq!(*method, Method::Statistics);
            self.add_batch(vectors, within, spread, count, sigma, rng);
        } else {
            for _ in 0..count {
                self.add_one(*method, vectors, within, spread, mean_labels, sigma, rng);
            }
        }
        let stacked = *vectors * n as f64 - d as f64;
        match method {
            Method::Statistics => {
                self.noise2 = (*within + *spread) / stacked;
            }
            Method::Samples => {
                let rss = ols(&self.x, mean_labels, &self.gram, &mut self.beta_hat);
                // sum_v |y_v - X b|^2 = sum_v |y_v - ybar|^2 + V |ybar - X b|^2
                self.noise2 = (*spread + *vectors * rss) / stacked;
            }
        }
    }

    /// Add one label vector from the model `source`, by Welford's update.
    #[allow(clippy::too_many_arguments)]
    fn add_one(
        &mut self,
        method: Method,
        vectors: &mut f64,
        within: &mut f64,
        spread: &mut f64,
        mean_labels: &mut [f64],
        sigma: f64,
        rng: &mut FastRng,
    ) {
        *vectors += 1.0;
        match method {
            Method::Statistics => {
                // b_v = source + sigma L^-T z, its residual ~ sigma^2 chi2(n - d); Welford:
                // spread += (b_v - mean_old)^T G (b_v - mean_new).
                self.draw_deviation(sigma, rng);
                self.z += &self.source;
                self.before.copy_from(&self.z);
                self.before -= &self.beta_hat;
                self.beta_hat.axpy(1.0 / *vectors, &self.before, 1.0);
                if self.setting.noise_model == NoiseModel::Estimated {
                    *within += sigma * sigma * self.chi.sample(rng);
                    self.z -= &self.beta_hat;
                    *spread += gram_product(&self.gram, &mut self.before, &mut self.z);
                }
            }
            Method::Samples => {
                self.beta_hat.copy_from(&self.source);
                self.draw_labels(sigma, rng);
                for (m, &y) in mean_labels.iter_mut().zip(&self.labels) {
                    let before = y - *m;
                    *m += before / *vectors;
                    *spread += before * (y - *m);
                }
            }
        }
    }

    /// Add `count` > 1 label vectors at once (statistics path), from their exact joint law, at a
    /// cost that does not grow with `count` (a generation of Accumulate with growth g adds g
    /// vectors; one at a time this was O(g) per generation, which for large g never finished).
    /// The vectors' OLS fits b_v are iid around the current model: their mean is the model plus
    /// sigma / sqrt(count) times one fit's noise, their spread around their own mean is sigma^2
    /// chi-square((count - 1) d), independent of the mean, and their residual sums of squares add
    /// to sigma^2 chi-square(count (n - d)). The batch joins the running mean and spread by Chan
    /// et al.'s pairwise update.
    fn add_batch(
        &mut self,
        vectors: &mut f64,
        within: &mut f64,
        spread: &mut f64,
        count: usize,
        sigma: f64,
        rng: &mut FastRng,
    ) {
        let (n, d) = (self.setting.samples, self.setting.dim);
        let estimated = self.setting.noise_model == NoiseModel::Estimated;
        let c = count as f64;
        let before = *vectors;
        *vectors += c;
        let share = c / *vectors;
        let chi2 = |df: f64, rng: &mut FastRng| {
            ChiSquared::new(df).map_or(0.0, |chi: ChiSquared<f64>| chi.sample(rng))
        };
        self.draw_deviation(sigma / c.sqrt(), rng);
        self.z += &self.source;
        // before <- batch mean - running mean; the running mean moves by share of it
        self.before.copy_from(&self.z);
        self.before -= &self.beta_hat;
        self.beta_hat.axpy(share, &self.before, 1.0);
        if estimated {
            *within += sigma * sigma * chi2(c * (n - d) as f64, rng);
            let batch_spread = sigma * sigma * chi2((c - 1.0) * d as f64, rng);
            self.z.copy_from(&self.before);
            let between = gram_product(&self.gram, &mut self.before, &mut self.z);
            *spread += batch_spread + between * before * share;
        }
    }
}

/// OLS of y on X (row-major, Gram factor `gram`) into `beta`; returns the residual sum of
/// squares.
fn ols(x: &[f64], y: &[f64], gram: &DMatrix<f64>, beta: &mut DVector<f64>) -> f64 {
    let d = beta.len();
    beta.fill(0.0);
    for (row, &yi) in x.chunks_exact(d).zip(y) {
        for (b, &xij) in beta.iter_mut().zip(row) {
            *b += xij * yi;
        }
    }
    gram.solve_lower_triangular_mut(beta);
    gram.tr_solve_lower_triangular_mut(beta);
    x.chunks_exact(d)
        .zip(y)
        .map(|(row, &yi)| {
            let r = yi - dot(row, beta.as_slice());
            r * r
        })
        .sum()
}

impl Generation for RegressionModel<'_> {
    fn record_real(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        for (k, &v) in self.initial.iter().enumerate() {
            out[k * step] = v;
        }
    }

    fn step(&mut self, rng: &mut FastRng) {
        if self.degenerate {
            return;
        }
        let sigma = self.sigma();
        let mut plan = std::mem::replace(&mut self.plan, Plan::ReplaceSamples);
        match &mut plan {
            Plan::ReplaceStatistics => self.step_statistics(sigma, rng),
            Plan::ReplaceSamples => {
                self.draw_labels(sigma, rng);
                self.refit_full_design();
            }
            Plan::Accumulate { per_generation, .. } => {
                let count = *per_generation;
                self.add_label_vectors(&mut plan, count, sigma, rng);
            }
            Plan::MixReal {
                real_labels,
                order,
                real,
            } => {
                self.draw_labels(sigma, rng);
                choose_front(order, *real, rng);
                for &i in &order[..*real] {
                    self.labels[i] = real_labels[i];
                }
                self.refit_full_design();
            }
            Plan::Subsample {
                labels,
                order,
                size,
            } => {
                let (n, d) = (self.setting.samples, self.setting.dim);
                self.draw_labels(sigma, rng);
                let start = labels.len();
                labels.extend_from_slice(&self.labels);
                order.extend(start..labels.len());
                choose_front(order, *size, rng);
                let chosen = &order[..*size];
                let rows: Vec<f64> = chosen
                    .iter()
                    .flat_map(|&k| self.x[(k % n) * d..(k % n + 1) * d].iter().copied())
                    .collect();
                let ys: Vec<f64> = chosen.iter().map(|&k| labels[k]).collect();
                match gram_cholesky(&rows, d) {
                    Some(gram) => {
                        let rss = ols(&rows, &ys, &gram, &mut self.beta_hat);
                        self.noise2 = rss / (*size - d) as f64;
                    }
                    None => self.degenerate = true,
                }
            }
        }
        self.plan = plan;
    }

    fn record(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        let setting = self.setting;
        if self.degenerate {
            for k in 0..self.metrics.len() {
                out[k * step] = f64::NAN;
            }
            return;
        }
        self.before.copy_from(&self.beta_hat);
        self.before -= &setting.beta;
        let param = self.before.norm_squared();
        let excess = match &setting.fixed_gram {
            // test inputs uniform over the design's rows: |X e|^2 / n = |L^T e|^2 / n
            Some(gram) => {
                upper_times_in_place(gram, &mut self.before);
                self.before.norm_squared() / setting.samples as f64
            }
            None => param,
        };
        for (k, metric) in self.metrics.iter().enumerate() {
            out[k * step] = match metric {
                RegressionMetric::TestError => setting.noise * setting.noise + excess,
                RegressionMetric::ExcessRisk => excess,
                RegressionMetric::ParamError => param,
                RegressionMetric::NoiseEstimate => self.noise2,
            };
        }
    }

    fn work(&mut self) -> u64 {
        self.work
    }
}

/// Simulate replicates `first..first + replicates` under `paradigm`; the output has shape
/// (replicates, metrics, recorded iterations), row-major.
pub fn simulate(
    setting: &RegressionSetting,
    paradigm: Paradigm,
    method: Method,
    metrics: &[RegressionMetric],
    recording: Recording,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
) -> SimResult<Vec<f64>> {
    setting.check_paradigm(paradigm, recording.iterations)?;
    if method == Method::Statistics
        && matches!(
            paradigm,
            Paradigm::AccumulateSubsample { .. } | Paradigm::MixReal { .. }
        )
    {
        return Err(invalid(
            "method",
            "only Replace and Accumulate have a sufficient-statistic path for LinearRegression; \
             use the samples method",
        ));
    }
    if setting.noise_model == NoiseModel::Known
        && metrics.contains(&RegressionMetric::NoiseEstimate)
    {
        return Err(invalid(
            "metrics",
            "noise_estimate is recorded only with noise_model = \"estimated\"",
        ));
    }
    let initial = setting.real_metrics(metrics);
    engine::simulate(
        recording,
        metrics.len(),
        key,
        first,
        replicates,
        control,
        |rng| RegressionModel::start(setting, paradigm, method, metrics, &initial, rng),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{fast_rng, key_from_words};

    /// A generation's label vectors drawn at once (`add_batch`) have the law of the same vectors
    /// drawn one at a time: the mean and variance of the fit's parameter error and noise
    /// estimate agree, for both methods.
    #[test]
    fn a_batch_of_label_vectors_has_the_law_of_one_at_a_time() {
        let setting = RegressionSetting::new(
            &[0.5, -1.0],
            30,
            1.3,
            Design::Gaussian,
            NoiseModel::Estimated,
        )
        .unwrap();
        let metrics = [
            RegressionMetric::ParamError,
            RegressionMetric::NoiseEstimate,
        ];
        let initial = setting.real_metrics(&metrics);
        let paradigm = Paradigm::Accumulate { per_generation: 30 };
        let reps = 20_000u64;
        let method = Method::Statistics;
        let mut moments = [[0.0f64; 4]; 2];
        for (batch, m) in [true, false].into_iter().zip(&mut moments) {
            for r in 0..reps {
                let mut rng = fast_rng(&key_from_words([5, 6, 7, u64::from(batch)]), r);
                let mut model = RegressionModel::start(
                    &setting, paradigm, method, &metrics, &initial, &mut rng,
                );
                for _ in 0..2 {
                    let mut plan = std::mem::replace(&mut model.plan, Plan::ReplaceSamples);
                    let sigma = model.sigma();
                    model.add_vectors(&mut plan, 5, sigma, &mut rng, batch);
                    model.plan = plan;
                }
                let param = (&model.beta_hat - &setting.beta).norm_squared();
                for (k, x) in [param, model.noise2].into_iter().enumerate() {
                    m[2 * k] += x;
                    m[2 * k + 1] += x * x;
                }
            }
        }
        let r = reps as f64;
        for k in 0..2 {
            let [a, b] = moments.map(|m| (m[2 * k] / r, m[2 * k + 1] / r - (m[2 * k] / r).powi(2)));
            let se = ((a.1 + b.1) / r).sqrt();
            assert!(
                (a.0 - b.0).abs() < 5.0 * se,
                "{method:?} {k}: mean {} vs {}",
                a.0,
                b.0
            );
            assert!(
                (a.1 / b.1 - 1.0).abs() < 0.1,
                "{method:?} {k}: var {} vs {}",
                a.1,
                b.1
            );
        }
    }

    #[test]
    fn in_place_triangular_products_match_nalgebra() {
        let mut rng = fast_rng(&key_from_words([2, 7, 1, 8]), 0);
        let (n, d) = (20, 4);
        let mut x = vec![0.0; n * d];
        fill_normal(&mut x, &mut rng);
        let l = gram_cholesky(&x, d).unwrap();
        let xt = DMatrix::from_column_slice(d, n, &x);
        assert!((&l * l.transpose() - &xt * xt.transpose()).amax() < 1e-10);
        let mut u = DVector::from_fn(d, |i, _| i as f64 - 1.5);
        let mut v = DVector::from_fn(d, |i, _| (i * i) as f64);
        let want = (u.transpose() * &xt * xt.transpose() * &v)[(0, 0)];
        assert!((gram_product(&l, &mut u, &mut v) - want).abs() < 1e-9 * want.abs());
        // OLS through the factor recovers exact coefficients from noiseless labels
        let beta = DVector::from_vec(vec![1.0, -2.0, 0.5, 3.0]);
        let y: Vec<f64> = x.chunks_exact(d).map(|r| dot(r, beta.as_slice())).collect();
        let mut fit = DVector::zeros(d);
        let rss = ols(&x, &y, &l, &mut fit);
        assert!((fit - beta).amax() < 1e-10 && rss < 1e-18);
    }
}
