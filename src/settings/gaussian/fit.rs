//! A Gaussian fit and the statistics it is drawn from: the factor with its log-space diagonal,
//! moments of a set of points, blocks of synthetic points drawn by statistics or one by one,
//! and the scratch buffers they (and the metrics, in `metrics.rs`) work in.

use nalgebra::{DMatrix, DVector};

use super::{GaussianSetting, Method, RESCALE_HIGH, RESCALE_LOW};
use crate::engine::rng::FastRng;
use crate::numerics::draw::fill_normal;
use crate::numerics::linalg::{add_lower_times, times_lower_in_place, Bartlett};

/// The diagonal of a triangular factor kept in log space, as mantissas in [2^-256, 2^256] and
/// power-of-two exponents: under Replace the factor is a product of triangular factors, whose
/// diagonal is the product of theirs, so log det S stays exact even after the small directions of
/// an ill-conditioned covariance have underflowed in L itself.
#[derive(Debug, Clone)]
pub(super) struct LogDiagonal {
    pub(super) mantissa: Vec<f64>,
    pub(super) exp2: Vec<i32>,
}

impl LogDiagonal {
    pub(super) fn of(chol: &DMatrix<f64>) -> Self {
        Self {
            mantissa: chol.diagonal().iter().copied().collect(),
            exp2: vec![0; chol.nrows()],
        }
    }

    /// The diagonal of `chol` (whose scale exponent is 0).
    pub(super) fn reset(&mut self, chol: &DMatrix<f64>) {
        for (m, &v) in self.mantissa.iter_mut().zip(chol.diagonal().iter()) {
            *m = v;
        }
        self.exp2.fill(0);
    }

    /// Multiply by the diagonal of c A (A column-major).
    pub(super) fn multiply(&mut self, a: &[f64], c: f64) {
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
    pub(super) fn ln_product(&self) -> f64 {
        ln_product(&self.mantissa)
            + f64::from(self.exp2.iter().sum::<i32>()) * std::f64::consts::LN_2
    }
}

/// One model N(mu, S) with S = (2^exp2 L)(2^exp2 L)^T, L lower triangular, and the scaled
/// factor's diagonal in log space.
#[derive(Debug, Clone)]
pub(super) struct Fit {
    pub(super) mean: DVector<f64>,
    pub(super) chol: DMatrix<f64>,
    pub(super) exp2: i32,
    pub(super) diagonal: LogDiagonal,
    pub(super) degenerate: bool,
}

impl Fit {
    pub(super) fn real(setting: &GaussianSetting) -> Self {
        Self {
            mean: setting.mean0.clone(),
            chol: setting.chol0.clone(),
            exp2: 0,
            diagonal: LogDiagonal::of(&setting.chol0),
            degenerate: false,
        }
    }

    /// L <- c L A for a lower-triangular A (column-major), keeping the log diagonal.
    pub(super) fn times_lower(&mut self, a: &[f64], c: f64) {
        times_lower_in_place(&mut self.chol, a, c);
        self.diagonal.multiply(a, c);
    }

    /// The factor's scale 2^exp2 (0 once it underflows, which is then the honest value).
    pub(super) fn scale(&self) -> f64 {
        2f64.powi(self.exp2)
    }

    /// Move the factor's magnitude into `exp2` (exactly: powers of two) when its diagonal drifts
    /// far from 1, so that L itself never underflows or overflows.
    pub(super) fn rescale(&mut self) {
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
    pub(super) fn shift_mean(&mut self, count: usize, rng: &mut FastRng, z: &mut [f64]) {
        fill_normal(z, rng);
        let c = self.scale() / (count as f64).sqrt();
        add_lower_times(&self.chol, z, c, self.mean.as_mut_slice());
    }
}

/// ln of the product of positive normal numbers (a rescaled factor's diagonal) with a single
/// logarithm: exponents are summed as integers, mantissas in [1, 2) multiplied (and folded back
/// into [1, 2) every 512 factors, before their product could overflow).
pub(super) fn ln_product(values: &[f64]) -> f64 {
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
pub(super) struct Moments {
    pub(super) count: f64,
    pub(super) mean: DVector<f64>,
    pub(super) scatter: DMatrix<f64>,
}

impl Moments {
    pub(super) fn empty(d: usize) -> Self {
        Self {
            count: 0.0,
            mean: DVector::zeros(d),
            scatter: DMatrix::zeros(d, d),
        }
    }

    /// Moments of `count` points stored row after row in `points` (indices `rows`).
    pub(super) fn of_points(&mut self, points: &[f64], rows: impl Iterator<Item = usize> + Clone) {
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
    pub(super) fn merge(&mut self, other: &Moments) {
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

impl Moments {
    /// Pool these moments (the real part) with `other` (the synthetic part) under weights: the
    /// real points carry total weight `w`, the synthetic ones `1 - w`. The mean is the weighted
    /// mean; the count becomes the effective size `size` (1 / the sum of the squared point
    /// weights) and the scatter the weighted scatter (weights summing to 1) times it, so that a
    /// fit dividing the scatter by count - 1 gets the weighted covariance with the
    /// reliability-weight correction, and one dividing by count its MLE. With w = r / (r + s)
    /// this is `merge`.
    pub(super) fn weigh(&mut self, other: &Moments, w: f64, size: f64) {
        let delta = &other.mean - &self.mean;
        // w W_R / r + (1 - w) W_S / s + w (1 - w) delta delta^T
        let (real, synthetic) = (w / self.count, (1.0 - w) / other.count);
        self.scatter
            .zip_apply(&other.scatter, |a, b| *a = *a * real + b * synthetic);
        self.scatter.ger(w * (1.0 - w), &delta, &delta, 1.0);
        self.scatter *= size;
        self.mean.axpy(1.0 - w, &delta, 1.0);
        self.count = size;
    }
}

/// How the statistics of a block of `count` synthetic points are drawn from the current fit.
#[derive(Debug, Clone)]
pub(super) struct Block {
    pub(super) count: usize,
    /// Some when drawn from the sufficient statistics (needs count - 1 >= d).
    pub(super) bartlett: Option<Bartlett>,
}

impl Block {
    pub(super) fn new(count: usize, d: usize, method: Method) -> Self {
        let bartlett = match method {
            Method::Statistics if count >= 1 => Bartlett::new(count - 1, d, 1.0),
            _ => None,
        };
        Self { count, bartlett }
    }

    /// The moments of `count` fresh points from N(mean, (scale L)(scale L)^T).
    pub(super) fn draw(
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

impl Block {
    /// The moments of `count` fresh points from the fit.
    pub(super) fn draw_from(
        &self,
        fit: &Fit,
        rng: &mut FastRng,
        scratch: &mut Scratch,
        out: &mut Moments,
    ) {
        self.draw(&fit.mean, &fit.chol, fit.scale(), rng, scratch, out);
    }
}

/// Fill `points` (row after row) with draws from N(mean, (scale L)(scale L)^T).
pub(super) fn draw_points(
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
pub(super) struct Scratch {
    pub(super) z: Vec<f64>,
    pub(super) bartlett: Vec<f64>,
    pub(super) points: Vec<f64>,
    pub(super) factor: DMatrix<f64>,
    pub(super) square: DMatrix<f64>,
    pub(super) vector: DVector<f64>,
    pub(super) lambda: Vec<f64>,
    pub(super) delta: Vec<f64>,
}

impl Scratch {
    pub(super) fn new(d: usize) -> Self {
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
}
