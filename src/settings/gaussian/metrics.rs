//! The Gaussian metrics of a fit, computed in buffers reused across generations.

use nalgebra::SVD;

use super::fit::{Fit, Scratch};
use super::{GaussianMetric, GaussianSetting};
use crate::numerics::quadform::quadform_sf;

/// The metrics of a fit, computed in the scratch buffers (defined beside the fit, which draws
/// in them too).
impl Scratch {
    /// Write `fit`'s metrics: metric k to `out[k * step]`.
    pub(super) fn record(
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
    pub(super) fn w2_cov(&mut self, setting: &GaussianSetting, fit: &Fit, trace: f64) -> f64 {
        setting.chol0.tr_mul_to(&fit.chol, &mut self.square);
        let nuclear = self.square.singular_values().sum() * fit.scale();
        (trace + setting.trace0 - 2.0 * nuclear).max(0.0)
    }

    /// E_{x ~ N(mu0, S0)}[-log N(x; mu, S)]
    /// = (d log 2 pi + log det S + tr(S^-1 S0) + (mu - mu0)^T S^-1 (mu - mu0)) / 2.
    pub(super) fn nll_real(&mut self, setting: &GaussianSetting, fit: &Fit, logdet: f64) -> f64 {
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
    pub(super) fn tails(&mut self, setting: &GaussianSetting, fit: &Fit) -> (f64, f64) {
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
