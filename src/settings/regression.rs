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
use rand_distr::{ChiSquared, Distribution, StandardNormal};

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
        if let Paradigm::FreshReal {
            weight: Some(_), ..
        } = paradigm
        {
            return Err(invalid(
                "weight",
                "a weighted FreshReal is not available for LinearRegression yet (its fit is \
                 ordinary least squares); use weight=None",
            ));
        }
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

/// How a replicate builds each generation's training set. A variant holds its paradigm's own
/// state, which a step borrows apart from the shared [`Fit`].
#[derive(Debug)]
enum Plan {
    /// beta_hat' = beta_hat + sigma_t L^-T z, noise' = sigma_t^2 chi2(n - d) / (n - d).
    ReplaceStatistics,
    /// Draw the n labels and refit.
    ReplaceSamples,
    /// Stacked label vectors, `per_generation` new ones a generation.
    Accumulate(AccumulateState),
    /// Real labels on some rows, synthetic labels on the others.
    MixReal(MixRealState),
    /// A subsample of every label so far.
    Subsample(SubsampleState),
}

/// What every plan shares: the design, the current fit and scratch buffers.
struct Fit<'a> {
    setting: &'a RegressionSetting,
    x: Vec<f64>,
    gram: DMatrix<f64>,
    /// L^-1 (lower, column-major): the OLS deviation L^-T z is its transpose times z.
    gram_inverse: DMatrix<f64>,
    beta_hat: DVector<f64>,
    /// The fit's noise variance estimate (its residual RSS / (N - d)).
    noise2: f64,
    chi: ChiSquared<f64>,
    z: DVector<f64>,
    /// Scratch vectors of length d, so that the statistics paths never allocate.
    source: DVector<f64>,
    before: DVector<f64>,
    /// The samples paths' labels (the statistics paths never draw them).
    labels: Vec<f64>,
}

impl Fit<'_> {
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

    /// A fresh real label for design row `i`: x_i^T beta + noise z.
    fn real_label(&self, i: usize, rng: &mut FastRng) -> f64 {
        let d = self.setting.dim;
        let z: f64 = StandardNormal.sample(rng);
        self.setting.noise * z + dot(&self.x[i * d..(i + 1) * d], self.setting.beta.as_slice())
    }

    /// OLS of `labels` on the whole design: beta_hat and RSS / (n - d).
    fn refit_full_design(&mut self) {
        let (n, d) = (self.setting.samples, self.setting.dim);
        let rss = ols(&self.x, &self.labels, &self.gram, &mut self.beta_hat);
        self.noise2 = rss / (n - d) as f64;
    }
}

/// Accumulate's pool: running statistics of every label vector so far.
#[derive(Debug)]
struct AccumulateState {
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
}

impl AccumulateState {
    /// An empty pool over `n` design rows, taking `per_generation` label vectors a generation.
    fn new(per_generation: usize, method: Method, n: usize) -> Self {
        Self {
            per_generation,
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
        }
    }

    /// Add `count` label vectors from the current model (noise sigma) to the pool and refit
    /// `fit`; more than one at once, from their joint law (see `add_batch`).
    fn add_label_vectors(&mut self, fit: &mut Fit, count: usize, sigma: f64, rng: &mut FastRng) {
        // the statistics path draws a generation's vectors at once; the samples path, the twin
        // that checks it, draws every label
        let batch = count > 1 && self.method == Method::Statistics;
        self.add_vectors(fit, count, sigma, rng, batch);
    }

    /// `add_label_vectors`, by `add_batch` or one vector at a time (the definition the batch is
    /// tested against).
    fn add_vectors(
        &mut self,
        fit: &mut Fit,
        count: usize,
        sigma: f64,
        rng: &mut FastRng,
        batch: bool,
    ) {
        let (n, d) = (fit.setting.samples, fit.setting.dim);
        // beta_hat is both the generating model and, below, the pooled mean it turns into.
        fit.source.copy_from(&fit.beta_hat);
        if self.vectors == 0.0 {
            fit.beta_hat.fill(0.0);
        }
        if batch {
            debug_assert_eq!(self.method, Method::Statistics);
            self.add_batch(fit, count, sigma, rng);
        } else {
            for _ in 0..count {
                self.add_one(fit, sigma, rng);
            }
        }
        let stacked = self.vectors * n as f64 - d as f64;
        match self.method {
            Method::Statistics => {
                fit.noise2 = (self.within + self.spread) / stacked;
            }
            Method::Samples => {
                let rss = ols(&fit.x, &self.mean_labels, &fit.gram, &mut fit.beta_hat);
                // sum_v |y_v - X b|^2 = sum_v |y_v - ybar|^2 + V |ybar - X b|^2
                fit.noise2 = (self.spread + self.vectors * rss) / stacked;
            }
        }
    }

    /// Add one label vector from the model `fit.source`, by Welford's update.
    fn add_one(&mut self, fit: &mut Fit, sigma: f64, rng: &mut FastRng) {
        self.vectors += 1.0;
        match self.method {
            Method::Statistics => {
                // b_v = source + sigma L^-T z, its residual ~ sigma^2 chi2(n - d); Welford:
                // spread += (b_v - mean_old)^T G (b_v - mean_new).
                fit.draw_deviation(sigma, rng);
                fit.z += &fit.source;
                fit.before.copy_from(&fit.z);
                fit.before -= &fit.beta_hat;
                fit.beta_hat.axpy(1.0 / self.vectors, &fit.before, 1.0);
                if fit.setting.noise_model == NoiseModel::Estimated {
                    self.within += sigma * sigma * fit.chi.sample(rng);
                    fit.z -= &fit.beta_hat;
                    self.spread += gram_product(&fit.gram, &mut fit.before, &mut fit.z);
                }
            }
            Method::Samples => {
                fit.beta_hat.copy_from(&fit.source);
                fit.draw_labels(sigma, rng);
                for (m, &y) in self.mean_labels.iter_mut().zip(&fit.labels) {
                    let before = y - *m;
                    *m += before / self.vectors;
                    self.spread += before * (y - *m);
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
    fn add_batch(&mut self, fit: &mut Fit, count: usize, sigma: f64, rng: &mut FastRng) {
        let (n, d) = (fit.setting.samples, fit.setting.dim);
        let estimated = fit.setting.noise_model == NoiseModel::Estimated;
        let c = count as f64;
        let before = self.vectors;
        self.vectors += c;
        let share = c / self.vectors;
        let chi2 = |df: f64, rng: &mut FastRng| {
            ChiSquared::new(df).map_or(0.0, |chi: ChiSquared<f64>| chi.sample(rng))
        };
        fit.draw_deviation(sigma / c.sqrt(), rng);
        fit.z += &fit.source;
        // before <- batch mean - running mean; the running mean moves by share of it
        fit.before.copy_from(&fit.z);
        fit.before -= &fit.beta_hat;
        fit.beta_hat.axpy(share, &fit.before, 1.0);
        if estimated {
            self.within += sigma * sigma * chi2(c * (n - d) as f64, rng);
            let batch_spread = sigma * sigma * chi2((c - 1.0) * d as f64, rng);
            fit.z.copy_from(&fit.before);
            let between = gram_product(&fit.gram, &mut fit.before, &mut fit.z);
            self.spread += batch_spread + between * before * share;
        }
    }
}

/// Mix-real: `real` real labels (rows chosen without replacement), synthetic labels on the
/// other rows.
#[derive(Debug)]
struct MixRealState {
    /// The real labels, kept from generation 1.
    real_labels: Vec<f64>,
    order: Vec<usize>,
    real: usize,
    /// FreshReal: the real rows get fresh real labels every generation instead of the kept ones.
    fresh: bool,
}

impl MixRealState {
    fn step(&mut self, fit: &mut Fit, sigma: f64, rng: &mut FastRng) {
        fit.draw_labels(sigma, rng);
        choose_front(&mut self.order, self.real, rng);
        for &i in &self.order[..self.real] {
            fit.labels[i] = if self.fresh {
                fit.real_label(i, rng)
            } else {
                self.real_labels[i]
            };
        }
        fit.refit_full_design();
    }
}

/// Accumulate-subsample: `size` (row, label) pairs drawn without replacement from every label so
/// far.
#[derive(Debug)]
struct SubsampleState {
    /// Every label so far, generation after generation (label k is on row k % n).
    labels: Vec<f64>,
    order: Vec<usize>,
    size: usize,
}

impl SubsampleState {
    /// Pool a generation of labels and refit to a subsample; false when the subsample's rows do
    /// not span R^d, so that there is no OLS fit.
    fn step(&mut self, fit: &mut Fit, sigma: f64, rng: &mut FastRng) -> bool {
        let (n, d) = (fit.setting.samples, fit.setting.dim);
        fit.draw_labels(sigma, rng);
        let start = self.labels.len();
        self.labels.extend_from_slice(&fit.labels);
        self.order.extend(start..self.labels.len());
        choose_front(&mut self.order, self.size, rng);
        let chosen = &self.order[..self.size];
        let rows: Vec<f64> = chosen
            .iter()
            .flat_map(|&k| fit.x[(k % n) * d..(k % n + 1) * d].iter().copied())
            .collect();
        let ys: Vec<f64> = chosen.iter().map(|&k| self.labels[k]).collect();
        let Some(gram) = gram_cholesky(&rows, d) else {
            return false;
        };
        let rss = ols(&rows, &ys, &gram, &mut fit.beta_hat);
        fit.noise2 = rss / (self.size - d) as f64;
        true
    }
}

/// One replicate: the shared fit, the plan's own state, and the per-replicate bookkeeping.
struct RegressionModel<'a> {
    metrics: &'a [RegressionMetric],
    initial: &'a [f64],
    fit: Fit<'a>,
    plan: Plan,
    /// Set once a subsample has no OLS fit: every later metric is NaN.
    degenerate: bool,
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
                Paradigm::MixReal { .. }
                    | Paradigm::FreshReal { .. }
                    | Paradigm::AccumulateSubsample { .. }
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
            Paradigm::Accumulate { per_generation } => {
                Plan::Accumulate(AccumulateState::new(per_generation as usize / n, method, n))
            }
            Paradigm::MixReal {
                real_per_generation,
            } => Plan::MixReal(MixRealState {
                real_labels: Vec::new(),
                order: (0..n).collect(),
                real: real_per_generation as usize,
                fresh: false,
            }),
            Paradigm::FreshReal {
                real_per_generation,
                ..
            } => Plan::MixReal(MixRealState {
                real_labels: Vec::new(),
                order: (0..n).collect(),
                real: real_per_generation as usize,
                fresh: true,
            }),
            Paradigm::AccumulateSubsample { size } => Plan::Subsample(SubsampleState {
                labels: Vec::new(),
                order: (0..n).collect(),
                size: size as usize,
            }),
        };
        let trained = match &plan {
            // a generation's label vectors are drawn at once (see `add_batch`)
            Plan::ReplaceStatistics
            | Plan::Accumulate(AccumulateState {
                method: Method::Statistics,
                ..
            }) => d,
            Plan::Subsample(SubsampleState { size, .. }) => size * d + n,
            _ => n * d,
        };
        let mut gram_inverse = DMatrix::identity(d, d);
        gram.solve_lower_triangular_mut(&mut gram_inverse);
        let fit = Fit {
            setting,
            x,
            gram,
            gram_inverse,
            beta_hat: setting.beta.clone(),
            noise2: setting.noise * setting.noise,
            chi: ChiSquared::new((n - d) as f64).expect("n > d"),
            z: DVector::zeros(d),
            source: DVector::zeros(d),
            before: DVector::zeros(d),
            labels: if needs_rows { vec![0.0; n] } else { Vec::new() },
        };
        let mut model = Self {
            metrics,
            initial,
            fit,
            plan,
            degenerate: false,
            work: (trained * d + d * d) as u64,
        };
        model.fit_real(rng);
        model
    }

    /// Generation 1: the fit to the real labels y = X beta + sigma eps.
    fn fit_real(&mut self, rng: &mut FastRng) {
        let fit = &mut self.fit;
        let sigma = fit.setting.noise;
        match &mut self.plan {
            Plan::ReplaceStatistics => fit.step_statistics(sigma, rng),
            Plan::ReplaceSamples => {
                fit.draw_labels(sigma, rng);
                fit.refit_full_design();
            }
            Plan::Accumulate(pool) => pool.add_label_vectors(fit, 1, sigma, rng),
            // both keep the real labels: mix-real reuses them, subsample pools them
            Plan::MixReal(MixRealState {
                real_labels: kept, ..
            })
            | Plan::Subsample(SubsampleState { labels: kept, .. }) => {
                fit.draw_labels(sigma, rng);
                kept.clone_from(&fit.labels);
                fit.refit_full_design();
            }
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
        let fit = &mut self.fit;
        let sigma = fit.sigma();
        match &mut self.plan {
            Plan::ReplaceStatistics => fit.step_statistics(sigma, rng),
            Plan::ReplaceSamples => {
                fit.draw_labels(sigma, rng);
                fit.refit_full_design();
            }
            Plan::Accumulate(pool) => {
                let count = pool.per_generation;
                pool.add_label_vectors(fit, count, sigma, rng);
            }
            Plan::MixReal(mix) => mix.step(fit, sigma, rng),
            Plan::Subsample(subsample) => self.degenerate = !subsample.step(fit, sigma, rng),
        }
    }

    fn record(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        if self.degenerate {
            for k in 0..self.metrics.len() {
                out[k * step] = f64::NAN;
            }
            return;
        }
        let fit = &mut self.fit;
        let setting = fit.setting;
        fit.before.copy_from(&fit.beta_hat);
        fit.before -= &setting.beta;
        let param = fit.before.norm_squared();
        let excess = match &setting.fixed_gram {
            // test inputs uniform over the design's rows: |X e|^2 / n = |L^T e|^2 / n
            Some(gram) => {
                upper_times_in_place(gram, &mut fit.before);
                fit.before.norm_squared() / setting.samples as f64
            }
            None => param,
        };
        for (k, metric) in self.metrics.iter().enumerate() {
            out[k * step] = match metric {
                RegressionMetric::TestError => setting.noise * setting.noise + excess,
                RegressionMetric::ExcessRisk => excess,
                RegressionMetric::ParamError => param,
                RegressionMetric::NoiseEstimate => fit.noise2,
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
            Paradigm::AccumulateSubsample { .. }
                | Paradigm::MixReal { .. }
                | Paradigm::FreshReal { .. }
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
                    let sigma = model.fit.sigma();
                    let Plan::Accumulate(pool) = &mut model.plan else {
                        panic!("the accumulate paradigm starts an accumulate plan");
                    };
                    pool.add_vectors(&mut model.fit, 5, sigma, &mut rng, batch);
                }
                let param = (&model.fit.beta_hat - &setting.beta).norm_squared();
                for (k, x) in [param, model.fit.noise2].into_iter().enumerate() {
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
