//! Gaussian refits (paper Sec. 2.1, after Shumailov et al.): fit the sample mean and covariance
//! (1/(n-1) or 1/n) to the training set, draw the next generation from the fit.
//!
//! Generation 1's model is fit to the real data, `samples` points from N(mu0, S0) drawn once per
//! replicate. A model is kept as its mean and the lower Cholesky factor of its covariance.
//!
//! Two exact ways to step, which agree in distribution (tests check it):
//! * sufficient statistics (the default where exact): n points from N(mu, S) have a mean
//!   ~ N(mu, S/n) and, independently, a scatter matrix ~ Wishart(n-1, S). Under Replace the new
//!   factor is L A / sqrt(n-1) with A the Bartlett factor of Wishart(n-1, I), applied to L in place
//!   (no refactorisation), and the scale is kept as a power of two apart from the factor, so that
//!   a covariance collapsing over thousands of generations never underflows; the pooled paradigms
//!   merge the same statistics into running moments and refactorise;
//! * samples: draw the points and compute their moments, as a researcher's loop would.
//!
//! A fit that stops being positive definite (possible only for pooled moments in floating point)
//! is reported as NaN in every metric from then on, instead of raising mid-run.

use nalgebra::{DMatrix, DVector, SVD};

use crate::engine::control::Control;
use crate::engine::paradigm::{check_fitted, Paradigm};
use crate::engine::rng::{FastRng, RootKey};
use crate::engine::{self, metric_enum, Generation, Recording};
use crate::error::{invalid, SimResult};
use crate::numerics::draw::{choose_front, fill_normal};
use crate::numerics::linalg::{add_lower_times, cholesky, times_lower_in_place, Bartlett};
use crate::numerics::quadform::quadform_sf;

/// Largest dimension accepted (the kernels are dense, O(d^3) per generation: about 0.1 s at
/// d = 1024, so Ctrl-C, checked between generations, still answers promptly).
pub const MAX_DIM: usize = 1024;
/// Largest per-generation sample size.
pub const MAX_SAMPLES: u64 = 1 << 32;
/// Largest number of stored points (pool or real data) per replicate, in f64 values (4 GiB).
const MAX_STORED: u64 = 1 << 29;
/// The factor's scale is moved into the power-of-two exponent when its diagonal leaves
/// [2^-RESCALE, 2^RESCALE].
const RESCALE_LOW: f64 = 1.0 / RESCALE_HIGH;
const RESCALE_HIGH: f64 = 1.157_920_892_373_162e77; // 2^256

/// Divisor of the scatter matrix in the covariance fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// 1/(n-1): the unbiased sample covariance (the paper's choice).
    Unbiased,
    /// 1/n: the maximum-likelihood covariance.
    Mle,
}

impl Estimator {
    fn divisor(self, count: f64) -> f64 {
        match self {
            Estimator::Unbiased => count - 1.0,
            Estimator::Mle => count,
        }
    }
}

/// How a generation's training statistics are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// From their exact sampling distributions (mean and Wishart scatter); falls back to
    /// samples where a block is too small for a nonsingular Wishart.
    Statistics,
    /// Point by point.
    Samples,
}

metric_enum! {
    /// Per-iteration statistics of a Gaussian fit N(mu, S) against the real N(mu0, S0).
    pub enum GaussianMetric ("Gaussian") {
        /// Squared 2-Wasserstein distance to the real distribution, `w2sq_mean + w2sq_cov`.
        W2sq => "w2sq",
        /// |mu - mu0|^2.
        W2sqMean => "w2sq_mean",
        /// tr(S + S0 - 2 (S0^1/2 S S0^1/2)^1/2).
        W2sqCov => "w2sq_cov",
        /// tr S.
        CovTrace => "cov_trace",
        /// log det S (natural log).
        Logdet => "logdet",
        /// Expected negative log-likelihood of real data under the fit (cross-entropy, nats).
        NllReal => "nll_real",
        /// The fit's mass outside the real central (1 - tail) ellipsoid.
        TailMass => "tail_mass",
        /// The fit's mass where the real density is below the level of its (1 - hallucination)
        /// highest-density ellipsoid.
        HallucinatedMass => "hallucinated_mass",
    }
}

/// The real distribution N(mu0, S0), the sample size and the fit rule.
#[derive(Debug, Clone)]
pub struct GaussianSetting {
    dim: usize,
    samples: usize,
    estimator: Estimator,
    mean0: DVector<f64>,
    chol0: DMatrix<f64>,
    inv_chol0: DMatrix<f64>,
    trace0: f64,
    tail_radius2: f64,
    hallucination_radius2: f64,
    /// Given real data (row after row), the same for every replicate; else `samples` points are
    /// drawn per replicate.
    real_data: Option<Vec<f64>>,
}

impl GaussianSetting {
    /// `cov` is the d x d covariance (symmetric, so row- or column-major alike). `tail_radius2`
    /// and `hallucination_radius2` are the squared Mahalanobis radii of the real ellipsoids that
    /// hold 1 - tail and 1 - hallucination of the real mass (chi-square quantiles). `real_data`,
    /// if given, holds the real points row after row (more than d of them, not all in a
    /// hyperplane).
    pub fn new(
        mean: &[f64],
        cov: &[f64],
        samples: u64,
        estimator: Estimator,
        tail_radius2: f64,
        hallucination_radius2: f64,
        real_data: Option<Vec<f64>>,
    ) -> SimResult<Self> {
        let dim = mean.len();
        if dim == 0 || dim > MAX_DIM {
            return Err(invalid(
                "mean",
                format!("dimension must lie in [1, {MAX_DIM}], got {dim}"),
            ));
        }
        if cov.len() != dim * dim {
            return Err(invalid(
                "cov",
                format!(
                    "must be {dim} x {dim} to match mean, got {} values",
                    cov.len()
                ),
            ));
        }
        if mean.iter().chain(cov).any(|v| !v.is_finite()) {
            return Err(invalid(
                "mean",
                "mean and cov must be finite (no NaN or inf)",
            ));
        }
        let s0 = DMatrix::from_column_slice(dim, dim, cov);
        let scale = s0.amax();
        if (0..dim).any(|i| (0..i).any(|j| (s0[(i, j)] - s0[(j, i)]).abs() > 1e-12 * scale)) {
            return Err(invalid("cov", "must be symmetric"));
        }
        let chol0 =
            cholesky(s0.clone()).ok_or_else(|| invalid("cov", "must be positive definite"))?;
        if samples <= dim as u64 || samples > MAX_SAMPLES {
            return Err(invalid(
                "samples",
                format!(
                    "must lie in [{}, {MAX_SAMPLES}] (more points than dimensions, or the fitted \
                     covariance is singular), got {samples}",
                    dim + 1
                ),
            ));
        }
        for (name, r2) in [
            ("tail", tail_radius2),
            ("hallucination", hallucination_radius2),
        ] {
            if !(r2.is_finite() && r2 > 0.0) {
                return Err(invalid(name, format!("radius must be positive, got {r2}")));
            }
        }
        if let Some(data) = &real_data {
            let rows = data.len() / dim;
            if data.len() % dim != 0 || rows <= dim || data.iter().any(|v| !v.is_finite()) {
                return Err(invalid(
                    "data",
                    format!("must be finite, with more than {dim} rows of {dim} values"),
                ));
            }
            let mut moments = Moments::empty(dim);
            moments.of_points(data, 0..rows);
            if cholesky(moments.scatter).is_none() {
                return Err(invalid(
                    "data",
                    "must not lie in a hyperplane: its sample covariance is singular",
                ));
            }
        }
        let mut inv_chol0 = DMatrix::identity(dim, dim);
        chol0.solve_lower_triangular_mut(&mut inv_chol0);
        Ok(Self {
            real_data,
            dim,
            samples: samples as usize,
            estimator,
            mean0: DVector::from_column_slice(mean),
            trace0: s0.trace(),
            chol0,
            inv_chol0,
            tail_radius2,
            hallucination_radius2,
        })
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of real points: the given data's, or `samples`.
    pub fn real_size(&self) -> usize {
        self.real_data
            .as_ref()
            .map_or(self.samples, |data| data.len() / self.dim)
    }

    /// Refuse paradigms this setting cannot run for `iterations` generations.
    pub fn check_paradigm(&self, paradigm: Paradigm, iterations: u64) -> SimResult<()> {
        let (real, n, d) = (
            self.real_size() as u64,
            self.samples as u64,
            self.dim as u64,
        );
        check_fitted(paradigm, real, n, d, iterations, d, MAX_STORED)
    }

    /// Metrics of the real distribution itself (iteration 0).
    pub fn real_metrics(&self, metrics: &[GaussianMetric]) -> Vec<f64> {
        let mut out = vec![0.0; metrics.len()];
        let mut real = Fit::real(self);
        Scratch::new(self.dim).record(self, &mut real, metrics, &mut out, 1);
        out
    }
}

/// The diagonal of a triangular factor kept in log space, as mantissas in [2^-256, 2^256] and
/// power-of-two exponents: under Replace the factor is a product of triangular factors, whose
/// diagonal is the product of theirs, so log det S stays exact even after the small directions of
/// an ill-conditioned covariance have underflowed in L itself.
#[derive(Debug, Clone)]
struct LogDiagonal {
    mantissa: Vec<f64>,
    exp2: Vec<i32>,
}

impl LogDiagonal {
    fn of(chol: &DMatrix<f64>) -> Self {
        Self {
            mantissa: chol.diagonal().iter().copied().collect(),
            exp2: vec![0; chol.nrows()],
        }
    }

    /// The diagonal of `chol` (whose scale exponent is 0).
    fn reset(&mut self, chol: &DMatrix<f64>) {
        for (m, &v) in self.mantissa.iter_mut().zip(chol.diagonal().iter()) {
            *m = v;
        }
        self.exp2.fill(0);
    }

    /// Multiply by the diagonal of c A (A column-major).
    fn multiply(&mut self, a: &[f64], c: f64) {
        let d = self.mantissa.len();
        for (j, (m, e)) in self.mantissa.iter_mut().zip(&mut self.exp2).enumerate() {
            *m *= a[j * d + j] * c;
            if !(*m > RESCALE_LOW && *m < RESCALE_HIGH) && *m > 0.0 && m.is_finite() {
                let k = m.log2().floor() as i32;
                *m *= 2f64.powi(-k);
                *e += k;
            }
        }
    }

    /// ln of the diagonal's product, i.e. log det S / 2.
    fn ln_product(&self) -> f64 {
        ln_product(&self.mantissa)
            + f64::from(self.exp2.iter().sum::<i32>()) * std::f64::consts::LN_2
    }
}

/// One model N(mu, S) with S = (2^exp2 L)(2^exp2 L)^T, L lower triangular, and the scaled
/// factor's diagonal in log space.
#[derive(Debug, Clone)]
struct Fit {
    mean: DVector<f64>,
    chol: DMatrix<f64>,
    exp2: i32,
    diagonal: LogDiagonal,
    degenerate: bool,
}

impl Fit {
    fn real(setting: &GaussianSetting) -> Self {
        Self {
            mean: setting.mean0.clone(),
            chol: setting.chol0.clone(),
            exp2: 0,
            diagonal: LogDiagonal::of(&setting.chol0),
            degenerate: false,
        }
    }

    /// L <- c L A for a lower-triangular A (column-major), keeping the log diagonal.
    fn times_lower(&mut self, a: &[f64], c: f64) {
        times_lower_in_place(&mut self.chol, a, c);
        self.diagonal.multiply(a, c);
    }

    /// The factor's scale 2^exp2 (0 once it underflows, which is then the honest value).
    fn scale(&self) -> f64 {
        2f64.powi(self.exp2)
    }

    /// Move the factor's magnitude into `exp2` (exactly: powers of two) when its diagonal drifts
    /// far from 1, so that L itself never underflows or overflows.
    fn rescale(&mut self) {
        let d = self.chol.nrows();
        let l = self.chol.as_slice();
        let top = (0..d).map(|i| l[i * d + i].abs()).fold(0.0, f64::max);
        if top > 0.0 && top.is_finite() && !(top > RESCALE_LOW && top < RESCALE_HIGH) {
            let k = top.log2().floor() as i32;
            self.chol *= 2f64.powi(-k);
            self.exp2 += k;
        }
    }

    /// mu += 2^exp2 L z / sqrt(count), z ~ N(0, I): the mean of `count` points from this model
    /// (uses the current factor, so call it before the factor moves).
    fn shift_mean(&mut self, count: usize, rng: &mut FastRng, z: &mut [f64]) {
        fill_normal(z, rng);
        let c = self.scale() / (count as f64).sqrt();
        add_lower_times(&self.chol, z, c, self.mean.as_mut_slice());
    }
}

/// ln of the product of positive normal numbers (a rescaled factor's diagonal) with a single
/// logarithm: exponents are summed as integers, mantissas in [1, 2) multiplied (and folded back
/// into [1, 2) every 512 factors, before their product could overflow).
fn ln_product(values: &[f64]) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    const ONE: u64 = 1023 << 52;
    let split = |v: f64| {
        let bits = v.to_bits();
        (
            ((bits >> 52) & 0x7ff) as i64 - 1023,
            f64::from_bits((bits & MANTISSA) | ONE),
        )
    };
    let (mut exponent, mut mantissa) = (0i64, 1.0);
    for chunk in values.chunks(512) {
        for &v in chunk {
            let (e, m) = split(v);
            exponent += e;
            mantissa *= m;
        }
        let (e, m) = split(mantissa);
        exponent += e;
        mantissa = m;
    }
    mantissa.ln() + exponent as f64 * std::f64::consts::LN_2
}

/// Count, mean and scatter matrix (sum of outer products of deviations) of a set of points.
#[derive(Debug, Clone)]
struct Moments {
    count: f64,
    mean: DVector<f64>,
    scatter: DMatrix<f64>,
}

impl Moments {
    fn empty(d: usize) -> Self {
        Self {
            count: 0.0,
            mean: DVector::zeros(d),
            scatter: DMatrix::zeros(d, d),
        }
    }

    /// Moments of `count` points stored row after row in `points` (indices `rows`).
    fn of_points(&mut self, points: &[f64], rows: impl Iterator<Item = usize> + Clone) {
        let d = self.mean.len();
        self.mean.fill(0.0);
        self.scatter.fill(0.0);
        let mut count = 0usize;
        for r in rows.clone() {
            self.mean += DVector::from_column_slice(&points[r * d..(r + 1) * d]);
            count += 1;
        }
        self.count = count as f64;
        self.mean /= self.count;
        let mut dev = DVector::zeros(d);
        for r in rows {
            for (i, v) in dev.iter_mut().enumerate() {
                *v = points[r * d + i] - self.mean[i];
            }
            self.scatter.ger(1.0, &dev, &dev, 1.0);
        }
    }

    /// Pool `other` into these moments (Chan et al.'s parallel update).
    fn merge(&mut self, other: &Moments) {
        if other.count == 0.0 {
            return;
        }
        if self.count == 0.0 {
            self.clone_from(other);
            return;
        }
        let total = self.count + other.count;
        let delta = &other.mean - &self.mean;
        self.scatter += &other.scatter;
        self.scatter
            .ger(self.count * other.count / total, &delta, &delta, 1.0);
        self.mean.axpy(other.count / total, &delta, 1.0);
        self.count = total;
    }
}

/// How the statistics of a block of `count` synthetic points are drawn from the current fit.
#[derive(Debug, Clone)]
struct Block {
    count: usize,
    /// Some when drawn from the sufficient statistics (needs count - 1 >= d).
    bartlett: Option<Bartlett>,
}

impl Block {
    fn new(count: usize, d: usize, method: Method) -> Self {
        let bartlett = match method {
            Method::Statistics if count >= 1 => Bartlett::new(count - 1, d, 1.0),
            _ => None,
        };
        Self { count, bartlett }
    }

    /// The moments of `count` fresh points from N(mean, (scale L)(scale L)^T).
    fn draw(
        &self,
        mean: &DVector<f64>,
        chol: &DMatrix<f64>,
        scale: f64,
        rng: &mut FastRng,
        scratch: &mut Scratch,
        out: &mut Moments,
    ) {
        out.count = self.count as f64;
        if self.count == 0 {
            return;
        }
        if let Some(bartlett) = &self.bartlett {
            fill_normal(&mut scratch.z, rng);
            out.mean.copy_from(mean);
            let c = scale / (self.count as f64).sqrt();
            add_lower_times(chol, &scratch.z, c, out.mean.as_mut_slice());
            scratch.factor.copy_from(chol);
            bartlett.draw(&mut scratch.bartlett, rng);
            times_lower_in_place(&mut scratch.factor, &scratch.bartlett, bartlett.factor);
            scratch.factor *= scale;
            out.scatter
                .gemm(1.0, &scratch.factor, &scratch.factor.transpose(), 0.0);
            return;
        }
        scratch.points.resize(self.count * mean.len(), 0.0);
        draw_points(mean, chol, scale, rng, &mut scratch.points, &mut scratch.z);
        out.of_points(&scratch.points, 0..self.count);
    }
}

/// Fill `points` (row after row) with draws from N(mean, (scale L)(scale L)^T).
fn draw_points(
    mean: &DVector<f64>,
    chol: &DMatrix<f64>,
    scale: f64,
    rng: &mut FastRng,
    points: &mut [f64],
    z: &mut [f64],
) {
    for row in points.chunks_exact_mut(mean.len()) {
        fill_normal(z, rng);
        row.copy_from_slice(mean.as_slice());
        add_lower_times(chol, z, scale, row);
    }
}

/// Buffers reused across generations (and for the metrics), so the loop never allocates.
#[derive(Debug, Clone)]
struct Scratch {
    z: Vec<f64>,
    bartlett: Vec<f64>,
    points: Vec<f64>,
    factor: DMatrix<f64>,
    square: DMatrix<f64>,
    vector: DVector<f64>,
    lambda: Vec<f64>,
    delta: Vec<f64>,
}

impl Scratch {
    fn new(d: usize) -> Self {
        Self {
            z: vec![0.0; d],
            bartlett: vec![0.0; d * d],
            points: Vec::new(),
            factor: DMatrix::zeros(d, d),
            square: DMatrix::zeros(d, d),
            vector: DVector::zeros(d),
            lambda: Vec::with_capacity(d),
            delta: Vec::with_capacity(d),
        }
    }

    /// Write `fit`'s metrics: metric k to `out[k * step]`.
    fn record(
        &mut self,
        setting: &GaussianSetting,
        fit: &mut Fit,
        metrics: &[GaussianMetric],
        out: &mut [f64],
        step: usize,
    ) {
        if fit.degenerate {
            for k in 0..metrics.len() {
                out[k * step] = f64::NAN;
            }
            return;
        }
        let s = fit.scale();
        let w2_mean: f64 = fit
            .mean
            .iter()
            .zip(setting.mean0.iter())
            .map(|(m, m0)| (m - m0) * (m - m0))
            .sum();
        let trace = fit.chol.norm_squared() * s * s;
        let logdet = 2.0 * fit.diagonal.ln_product();
        let mut w2_cov = None;
        let mut tails = None;
        for (k, metric) in metrics.iter().enumerate() {
            out[k * step] = match metric {
                GaussianMetric::W2sqMean => w2_mean,
                GaussianMetric::CovTrace => trace,
                GaussianMetric::Logdet => logdet,
                GaussianMetric::W2sqCov => {
                    *w2_cov.get_or_insert_with(|| self.w2_cov(setting, fit, trace))
                }
                GaussianMetric::W2sq => {
                    w2_mean + *w2_cov.get_or_insert_with(|| self.w2_cov(setting, fit, trace))
                }
                GaussianMetric::NllReal => self.nll_real(setting, fit, logdet),
                GaussianMetric::TailMass => tails.get_or_insert_with(|| self.tails(setting, fit)).0,
                GaussianMetric::HallucinatedMass => {
                    tails.get_or_insert_with(|| self.tails(setting, fit)).1
                }
            };
        }
    }

    /// tr S + tr S0 - 2 tr((S0^1/2 S S0^1/2)^1/2); the last trace is the nuclear norm of
    /// L0^T L (its singular values are the square roots of the eigenvalues of S0^1/2 S S0^1/2).
    fn w2_cov(&mut self, setting: &GaussianSetting, fit: &Fit, trace: f64) -> f64 {
        setting.chol0.tr_mul_to(&fit.chol, &mut self.square);
        let nuclear = self.square.singular_values().sum() * fit.scale();
        (trace + setting.trace0 - 2.0 * nuclear).max(0.0)
    }

    /// E_{x ~ N(mu0, S0)}[-log N(x; mu, S)]
    /// = (d log 2 pi + log det S + tr(S^-1 S0) + (mu - mu0)^T S^-1 (mu - mu0)) / 2.
    fn nll_real(&mut self, setting: &GaussianSetting, fit: &Fit, logdet: f64) -> f64 {
        let s2 = fit.scale() * fit.scale();
        self.factor.copy_from(&setting.chol0);
        fit.chol.solve_lower_triangular_mut(&mut self.factor);
        self.vector.copy_from(&fit.mean);
        self.vector -= &setting.mean0;
        fit.chol.solve_lower_triangular_mut(&mut self.vector);
        let quad = (self.factor.norm_squared() + self.vector.norm_squared()) / s2;
        // NaN here means a direction in which the fit's variance has underflowed to zero
        // (relative to its largest) while real data vary: the cross-entropy is infinite.
        let quad = if quad.is_nan() { f64::INFINITY } else { quad };
        0.5 * ((setting.dim as f64) * (2.0 * std::f64::consts::PI).ln() + logdet + quad)
    }

    /// (tail mass, hallucinated mass): P(Q > r^2) for the two real radii, where
    /// Q = (x - mu0)^T S0^-1 (x - mu0), x ~ N(mu, S). With B = L0^-1 L = U Sigma V^T and
    /// b = L0^-1 (mu - mu0), Q = |b + B z|^2 = sum_i (sigma_i w_i + (U^T b)_i)^2, a weighted sum
    /// of noncentral chi-squares with one degree of freedom.
    fn tails(&mut self, setting: &GaussianSetting, fit: &Fit) -> (f64, f64) {
        setting.inv_chol0.mul_to(&fit.chol, &mut self.square);
        let svd = SVD::new(self.square.clone(), true, false);
        let Some(u) = svd.u.as_ref() else {
            return (f64::NAN, f64::NAN);
        };
        let b = &setting.inv_chol0 * (&fit.mean - &setting.mean0);
        let beta = u.tr_mul(&b);
        self.lambda.clear();
        self.delta.clear();
        // A term lambda (w + delta)^2 = (scaled w + beta)^2 whose randomness moves Q by less than
        // 1e-12 of the smallest radius (its s.d. is about 2 scaled |beta| + 1.5 lambda) is the
        // constant beta^2: a collapsed direction, numerically a point.
        let negligible = 1e-12 * setting.tail_radius2.min(setting.hallucination_radius2);
        let mut constant = 0.0;
        for (&sigma, &beta_i) in svd.singular_values.iter().zip(beta.iter()) {
            let scaled = sigma * fit.scale();
            let lambda = scaled * scaled;
            if 2.0 * scaled * beta_i.abs() + 1.5 * lambda > negligible {
                self.lambda.push(lambda);
                self.delta.push(beta_i / scaled);
            } else {
                constant += beta_i * beta_i;
            }
        }
        let sf = |r2: f64| quadform_sf(&self.lambda, &self.delta, r2 - constant);
        (sf(setting.tail_radius2), sf(setting.hallucination_radius2))
    }
}

/// How a replicate builds each generation's training set.
#[derive(Debug)]
enum Plan {
    /// Replace from sufficient statistics: shift the mean, then L <- L A / sqrt(divisor) in place.
    ReplaceBartlett(Bartlett),
    /// Replace from samples drawn in the model's own whitened frame: n points z ~ N(0, I) stand
    /// for x = mu + L z, whose mean is mu + L mean(z) and whose scatter factor is L chol(W_z),
    /// W_z the points' own scatter. The fit is the same as from the x's, but never loses the
    /// small directions of an ill-conditioned covariance to rounding.
    ReplaceSamples {
        block: Block,
        origin: DVector<f64>,
        identity: DMatrix<f64>,
    },
    /// All real data and every synthetic block so far, as running moments.
    Accumulate(Block),
    /// `real` real points (without replacement) plus a block of fresh synthetic ones.
    MixReal {
        points: Vec<f64>,
        order: Vec<usize>,
        real: usize,
        synthetic: Block,
    },
    /// `size` points drawn without replacement from every point so far.
    Subsample {
        pool: Vec<f64>,
        order: Vec<usize>,
        size: usize,
        synthetic: Block,
    },
}

/// One replicate: its current fit, its plan and its buffers.
struct GaussianModel<'a> {
    setting: &'a GaussianSetting,
    metrics: &'a [GaussianMetric],
    initial: &'a [f64],
    fit: Fit,
    plan: Plan,
    train: Moments,
    part: Moments,
    spare: DMatrix<f64>,
    scratch: Scratch,
    work: u64,
}

impl<'a> GaussianModel<'a> {
    /// A replicate's generation-1 model: the fit to its real data.
    fn start(
        setting: &'a GaussianSetting,
        paradigm: Paradigm,
        method: Method,
        metrics: &'a [GaussianMetric],
        initial: &'a [f64],
        rng: &mut FastRng,
    ) -> Self {
        let (d, n) = (setting.dim, setting.samples);
        let real = Fit::real(setting);
        let mut scratch = Scratch::new(d);
        let mut train = Moments::empty(d);
        let divisor = setting.estimator.divisor(n as f64);
        let real_size = setting.real_size();
        let real_points = |rng: &mut FastRng, scratch: &mut Scratch| {
            if let Some(data) = &setting.real_data {
                return data.clone();
            }
            let mut points = vec![0.0; n * d];
            draw_points(
                &real.mean,
                &real.chol,
                1.0,
                rng,
                &mut points,
                &mut scratch.z,
            );
            points
        };
        let plan = match (paradigm, method) {
            (Paradigm::Replace, Method::Statistics) => Plan::ReplaceBartlett(
                Bartlett::new(n - 1, d, 1.0 / divisor.sqrt()).expect("samples > dim"),
            ),
            (Paradigm::Replace, Method::Samples) => Plan::ReplaceSamples {
                block: Block::new(n, d, method),
                origin: DVector::zeros(d),
                identity: DMatrix::identity(d, d),
            },
            (Paradigm::Accumulate { per_generation }, _) => {
                if let Some(data) = &setting.real_data {
                    train.of_points(data, 0..real_size);
                } else {
                    Block::new(n, d, method).draw(
                        &real.mean,
                        &real.chol,
                        1.0,
                        rng,
                        &mut scratch,
                        &mut train,
                    );
                }
                Plan::Accumulate(Block::new(per_generation as usize, d, method))
            }
            (
                Paradigm::MixReal {
                    real_per_generation,
                },
                _,
            ) => {
                let points = real_points(rng, &mut scratch);
                train.of_points(&points, 0..real_size);
                let real = real_per_generation as usize;
                Plan::MixReal {
                    points,
                    order: (0..real_size).collect(),
                    real,
                    synthetic: Block::new(n - real, d, method),
                }
            }
            (Paradigm::AccumulateSubsample { size }, _) => {
                let pool = real_points(rng, &mut scratch);
                train.of_points(&pool, 0..real_size);
                Plan::Subsample {
                    pool,
                    order: (0..real_size).collect(),
                    size: size as usize,
                    synthetic: Block::new(n, d, Method::Samples),
                }
            }
        };
        let trained = match &plan {
            Plan::Accumulate(block) => block.count + d,
            Plan::Subsample { size, .. } => size + n,
            _ => n,
        };
        let mut model = Self {
            setting,
            metrics,
            initial,
            fit: real,
            plan,
            train,
            part: Moments::empty(d),
            spare: DMatrix::zeros(d, d),
            scratch,
            work: (d * d * (trained + d)) as u64,
        };
        match (&model.plan, &setting.real_data) {
            // generation 1 from the given data's moments, later ones by the plan
            (Plan::ReplaceBartlett(_) | Plan::ReplaceSamples { .. }, Some(data)) => {
                model.train.of_points(data, 0..real_size);
                model.refit();
            }
            (Plan::ReplaceBartlett(_) | Plan::ReplaceSamples { .. }, None) => model.step(rng),
            _ => model.refit(),
        }
        model
    }

    /// Fit mean and covariance to the training moments (refactorising the covariance).
    fn refit(&mut self) {
        let d = self.setting.dim;
        let mut cov = std::mem::replace(&mut self.spare, DMatrix::zeros(0, 0));
        cov.copy_from(&self.train.scatter);
        cov /= self.setting.estimator.divisor(self.train.count);
        if let Some(chol) = cholesky(cov) {
            self.spare = std::mem::replace(&mut self.fit.chol, chol);
            self.fit.mean.copy_from(&self.train.mean);
            self.fit.exp2 = 0;
            self.fit.diagonal.reset(&self.fit.chol);
        } else {
            self.fit.degenerate = true;
            self.spare = DMatrix::zeros(d, d);
        }
    }
}

impl Generation for GaussianModel<'_> {
    fn record_real(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        for (k, &v) in self.initial.iter().enumerate() {
            out[k * step] = v;
        }
    }

    fn step(&mut self, rng: &mut FastRng) {
        if self.fit.degenerate {
            return;
        }
        let fit = &mut self.fit;
        let scratch = &mut self.scratch;
        match &mut self.plan {
            Plan::ReplaceBartlett(bartlett) => {
                fit.shift_mean(self.setting.samples, rng, &mut scratch.z);
                bartlett.draw(&mut scratch.bartlett, rng);
                fit.times_lower(&scratch.bartlett, bartlett.factor);
                fit.rescale();
                return;
            }
            Plan::ReplaceSamples {
                block,
                origin,
                identity,
            } => {
                block.draw(origin, identity, 1.0, rng, scratch, &mut self.train);
                let divisor = self.setting.estimator.divisor(self.train.count);
                let Some(white) = cholesky(&self.train.scatter / divisor) else {
                    fit.degenerate = true;
                    return;
                };
                add_lower_times(
                    &fit.chol,
                    self.train.mean.as_slice(),
                    fit.scale(),
                    fit.mean.as_mut_slice(),
                );
                fit.times_lower(white.as_slice(), 1.0);
                fit.rescale();
                return;
            }
            Plan::Accumulate(block) => {
                block.draw(
                    &fit.mean,
                    &fit.chol,
                    fit.scale(),
                    rng,
                    scratch,
                    &mut self.part,
                );
                self.train.merge(&self.part);
            }
            Plan::MixReal {
                points,
                order,
                real,
                synthetic,
            } => {
                choose_front(order, *real, rng);
                self.train.of_points(points, order[..*real].iter().copied());
                synthetic.draw(
                    &fit.mean,
                    &fit.chol,
                    fit.scale(),
                    rng,
                    scratch,
                    &mut self.part,
                );
                if *real == 0 {
                    self.train.clone_from(&self.part);
                } else {
                    self.train.merge(&self.part);
                }
            }
            Plan::Subsample {
                pool,
                order,
                size,
                synthetic,
            } => {
                let d = fit.mean.len();
                let start = pool.len();
                pool.resize(start + synthetic.count * d, 0.0);
                draw_points(
                    &fit.mean,
                    &fit.chol,
                    fit.scale(),
                    rng,
                    &mut pool[start..],
                    &mut scratch.z,
                );
                order.extend(start / d..pool.len() / d);
                choose_front(order, *size, rng);
                self.train.of_points(pool, order[..*size].iter().copied());
            }
        }
        self.refit();
    }

    fn record(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        self.scratch
            .record(self.setting, &mut self.fit, self.metrics, out, step);
    }

    fn work(&mut self) -> u64 {
        self.work
    }
}

/// Simulate replicates `first..first + replicates` under `paradigm`; the output has shape
/// (replicates, metrics, recorded iterations), row-major.
pub fn simulate(
    setting: &GaussianSetting,
    paradigm: Paradigm,
    method: Method,
    metrics: &[GaussianMetric],
    recording: Recording,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
) -> SimResult<Vec<f64>> {
    setting.check_paradigm(paradigm, recording.iterations)?;
    if method == Method::Statistics && matches!(paradigm, Paradigm::AccumulateSubsample { .. }) {
        return Err(invalid(
            "method",
            "AccumulateSubsample has no sufficient-statistic path (which points are drawn \
             matters); use the samples method",
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
        |rng| GaussianModel::start(setting, paradigm, method, metrics, &initial, rng),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{fast_rng, key_from_words};

    /// A random SPD matrix (column-major) and its Cholesky factor.
    fn spd(d: usize, rng: &mut FastRng) -> DMatrix<f64> {
        let mut a = DMatrix::zeros(d, d);
        fill_normal(a.as_mut_slice(), rng);
        &a * a.transpose() + DMatrix::identity(d, d) * 0.1
    }

    fn setting(d: usize, rng: &mut FastRng) -> GaussianSetting {
        let s0 = spd(d, rng);
        let mut mean = vec![0.0; d];
        fill_normal(&mut mean, rng);
        GaussianSetting::new(
            &mean,
            s0.as_slice(),
            50,
            Estimator::Unbiased,
            6.0,
            20.0,
            None,
        )
        .unwrap()
    }

    fn fit(setting: &GaussianSetting, rng: &mut FastRng, exp2: i32) -> Fit {
        let d = setting.dim;
        let s = spd(d, rng);
        let mut mean = DVector::zeros(d);
        fill_normal(mean.as_mut_slice(), rng);
        let chol = cholesky(s * 4f64.powi(-exp2)).unwrap();
        Fit {
            mean,
            diagonal: LogDiagonal::of(&(&chol * 2f64.powi(exp2))),
            chol,
            exp2,
            degenerate: false,
        }
    }

    fn metric(setting: &GaussianSetting, fit: &mut Fit, m: GaussianMetric) -> f64 {
        let mut out = [0.0];
        Scratch::new(setting.dim).record(setting, fit, &[m], &mut out, 1);
        out[0]
    }

    /// Symmetric square root by eigen-decomposition.
    fn sqrtm(a: &DMatrix<f64>) -> DMatrix<f64> {
        let eig = a.clone().symmetric_eigen();
        let root = eig.eigenvalues.map(|v| v.max(0.0).sqrt());
        &eig.eigenvectors * DMatrix::from_diagonal(&root) * eig.eigenvectors.transpose()
    }

    #[test]
    fn metrics_match_their_textbook_formulas() {
        let mut rng = fast_rng(&key_from_words([1, 2, 3, 4]), 0);
        for d in [1, 2, 5] {
            let setting = setting(d, &mut rng);
            for exp2 in [0, -3, 5] {
                let mut f = fit(&setting, &mut rng, exp2);
                let s = f.scale();
                let cov = (&f.chol * s) * (&f.chol * s).transpose();
                let s0 = &setting.chol0 * setting.chol0.transpose();
                let root0 = sqrtm(&s0);
                let cross = sqrtm(&(&root0 * &cov * &root0));
                let w2_cov = (&cov + &s0 - cross * 2.0).trace();
                let got = metric(&setting, &mut f, GaussianMetric::W2sqCov);
                assert!(
                    (got - w2_cov).abs() < 1e-9 * (1.0 + w2_cov),
                    "{got} vs {w2_cov}"
                );
                let inv = cov.clone().try_inverse().unwrap();
                let diff = &f.mean - &setting.mean0;
                let logdet = cov.determinant().ln();
                let nll = 0.5
                    * (d as f64 * (2.0 * std::f64::consts::PI).ln()
                        + logdet
                        + (&inv * &s0).trace()
                        + (diff.transpose() * &inv * &diff)[(0, 0)]);
                let got = metric(&setting, &mut f, GaussianMetric::NllReal);
                assert!(
                    (got - nll).abs() < 1e-9 * (1.0 + nll.abs()),
                    "{got} vs {nll}"
                );
                let got = metric(&setting, &mut f, GaussianMetric::Logdet);
                assert!((got - logdet).abs() < 1e-9 * (1.0 + logdet.abs()));
                let got = metric(&setting, &mut f, GaussianMetric::CovTrace);
                assert!((got - cov.trace()).abs() < 1e-12 * cov.trace());
            }
        }
    }

    #[test]
    fn tail_masses_match_monte_carlo() {
        let mut rng = fast_rng(&key_from_words([5, 6, 7, 8]), 1);
        let setting = setting(3, &mut rng);
        let mut f = fit(&setting, &mut rng, 0);
        f.chol *= 0.8;
        let tail = metric(&setting, &mut f, GaussianMetric::TailMass);
        let hall = metric(&setting, &mut f, GaussianMetric::HallucinatedMass);
        let draws = 400_000;
        let (mut beyond_tail, mut beyond_hall) = (0u32, 0u32);
        let mut z = [0.0; 3];
        for _ in 0..draws {
            fill_normal(&mut z, &mut rng);
            let mut x = f.mean.clone();
            add_lower_times(&f.chol, &z, f.scale(), x.as_mut_slice());
            let mut w = x - &setting.mean0;
            setting.chol0.solve_lower_triangular_mut(&mut w);
            let q = w.norm_squared();
            beyond_tail += u32::from(q > setting.tail_radius2);
            beyond_hall += u32::from(q > setting.hallucination_radius2);
        }
        for (p, count) in [(tail, beyond_tail), (hall, beyond_hall)] {
            let phat = f64::from(count) / f64::from(draws);
            let se = (p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!((phat - p).abs() < 5.0 * se + 1e-9, "{phat} vs {p}");
        }
    }

    #[test]
    fn bartlett_and_whitened_samples_update_the_factor_alike() {
        // L A for a fixed lower-triangular A, in place, against nalgebra's product.
        let mut rng = fast_rng(&key_from_words([9, 9, 9, 9]), 2);
        let d = 6;
        let l = cholesky(spd(d, &mut rng)).unwrap();
        let a = cholesky(spd(d, &mut rng)).unwrap();
        let mut got = l.clone();
        times_lower_in_place(&mut got, a.as_slice(), 0.5);
        let want = &l * &a * 0.5;
        assert!((got - want).amax() < 1e-12);
    }
}
