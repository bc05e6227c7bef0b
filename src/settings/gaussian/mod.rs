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
//!
//! This module holds the setting (its validation and its real distribution) and `simulate`;
//! [`fit`] the fit and the statistics it is drawn from, [`metrics`] the metrics of a fit, and
//! [`model`] one replicate's plan and step on the shared loop.

mod fit;
mod metrics;
mod model;

use nalgebra::{DMatrix, DVector};

use crate::engine::control::Control;
use crate::engine::paradigm::{Paradigm, Pool};
use crate::engine::rng::RootKey;
use crate::engine::{self, metric_enum, Recording};
use crate::error::{invalid, SimResult};
use crate::numerics::linalg::cholesky;
use fit::{Fit, Moments, Scratch};
use model::GaussianModel;

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
        let d = self.dim as u64;
        let pool = Pool {
            real: self.real_size() as u64,
            per_generation: self.samples as u64,
            min_fit: d + 1,
            stores_items: false,
            values_per_item: d,
            max_stored: MAX_STORED,
            unit: "points",
        };
        paradigm.check(&pool, iterations)
    }

    /// Metrics of the real distribution itself (iteration 0).
    pub fn real_metrics(&self, metrics: &[GaussianMetric]) -> Vec<f64> {
        let mut out = vec![0.0; metrics.len()];
        let mut real = Fit::real(self);
        Scratch::new(self.dim).record(self, &mut real, metrics, &mut out, 1);
        out
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
    use super::fit::LogDiagonal;
    use super::*;
    use crate::engine::rng::{fast_rng, key_from_words, FastRng};
    use crate::numerics::draw::fill_normal;
    use crate::numerics::linalg::{add_lower_times, times_lower_in_place};

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
