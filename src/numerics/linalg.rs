//! Small dense linear algebra shared by the Gaussian and regression settings: Cholesky factors
//! (of a covariance, of a Gram matrix X^T X), the Bartlett factor of a Wishart draw, and in-place
//! products with lower-triangular factors (column-major, as nalgebra stores them).

use nalgebra::{DMatrix, DVector};
use rand_distr::{ChiSquared, Distribution};

use crate::engine::rng::FastRng;
use crate::numerics::draw::fill_normal;

/// Lower Cholesky factor of a symmetric positive-definite matrix (only its lower half is read),
/// or None when it is not positive definite in floating point.
pub fn cholesky(a: DMatrix<f64>) -> Option<DMatrix<f64>> {
    let l = nalgebra::Cholesky::new(a)?.unpack();
    let ok = l.diagonal().iter().all(|&v| v.is_finite() && v > 0.0);
    ok.then_some(l)
}

/// Cholesky factor of X^T X for row-major X (n x d), or None if X lacks full column rank.
pub fn gram_cholesky(x: &[f64], d: usize) -> Option<DMatrix<f64>> {
    // Row-major X read as column-major is X^T (d x n).
    let xt = DMatrix::from_column_slice(d, x.len() / d, x);
    cholesky(&xt * xt.transpose())
}

/// out += c L z for a lower-triangular L (column-major), one dot product per entry:
/// (L z)_i = sum_{k <= i} L_ik z_k.
pub fn add_lower_times(chol: &DMatrix<f64>, z: &[f64], c: f64, out: &mut [f64]) {
    let d = chol.nrows();
    let l = chol.as_slice();
    assert!(l.len() == d * d && z.len() == d && out.len() == d);
    for (i, x) in out.iter_mut().enumerate() {
        let mut acc = 0.0;
        for (k, &zk) in z[..=i].iter().enumerate() {
            acc += l[k * d + i] * zk;
        }
        *x += c * acc;
    }
}

/// The Bartlett factor of Wishart(df, I): A lower triangular with A_jj^2 ~ chi-square(df - j)
/// and A_kj ~ N(0, 1) below the diagonal; `factor` multiplies every entry.
#[derive(Debug, Clone)]
pub struct Bartlett {
    chi: Vec<ChiSquared<f64>>,
    /// Multiplies every entry of A (the draw itself is of A / factor).
    pub factor: f64,
}

impl Bartlett {
    /// None when `df < d`: the Wishart is singular and its factor is not triangular.
    pub fn new(df: usize, d: usize, factor: f64) -> Option<Self> {
        (df >= d).then(|| Self {
            chi: (0..d)
                .map(|j| ChiSquared::new((df - j) as f64).expect("df - j >= 1"))
                .collect(),
            factor,
        })
    }

    /// Draw A / factor into `a` (column-major, lower part), all at once so that the arithmetic
    /// that follows runs without waiting on the generator.
    pub fn draw(&self, a: &mut [f64], rng: &mut FastRng) {
        let d = self.chi.len();
        for j in 0..d {
            a[j * d + j] = self.chi[j].sample(rng).sqrt();
            fill_normal(&mut a[j * d + j + 1..(j + 1) * d], rng);
        }
    }
}

/// L <- c L A for lower-triangular L and A (column-major, A's upper part is ignored). Column j
/// of L A is sum_{k >= j} A_kj L[:, k], which reads only columns k >= j, so going through j in
/// increasing order never reads an overwritten column. Small dimensions get a copy compiled for
/// their size, whose short loops the compiler unrolls.
pub fn times_lower_in_place(chol: &mut DMatrix<f64>, a: &[f64], c: f64) {
    let d = chol.nrows();
    let l = chol.as_mut_slice();
    macro_rules! fixed {
        ($($n:literal)*) => {
            match d {
                $($n => times_lower::<$n>(l, a, c, $n),)*
                _ => times_lower::<0>(l, a, c, d),
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// The product of [`times_lower_in_place`]; `D` is `d` when it is a compile-time size, else 0.
/// Each new entry (L A)_ij = sum_{k=j..=i} L_ik A_kj is a dot product kept in a register. It
/// reads only row i of L, so it can overwrite L_ij at once: later rows of column j read only
/// their own entries.
#[inline]
fn times_lower<const D: usize>(l: &mut [f64], a: &[f64], c: f64, d: usize) {
    let d = if D == 0 { d } else { D };
    assert!(l.len() == d * d && a.len() >= d * d);
    for j in 0..d {
        let a_j = &a[j * d..(j + 1) * d];
        for i in j..d {
            let mut acc = 0.0;
            for k in j..=i {
                acc += l[k * d + i] * a_j[k];
            }
            l[j * d + i] = acc * c;
        }
    }
}

/// A lower-triangular A with A A^T ~ Wishart(df, I_d): A_jj^2 ~ chi-square(df - j), N(0, 1)
/// below the diagonal (column-major).
pub fn bartlett_factor(df: usize, d: usize, rng: &mut FastRng) -> DMatrix<f64> {
    let mut a = DMatrix::zeros(d, d);
    Bartlett::new(df, d, 1.0)
        .expect("df >= d")
        .draw(a.as_mut_slice(), rng);
    a
}

/// a . b
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// u^T G v with G = L L^T, as (L^T u) . (L^T v); overwrites u and v with L^T u and L^T v.
pub fn gram_product(gram: &DMatrix<f64>, u: &mut DVector<f64>, v: &mut DVector<f64>) -> f64 {
    upper_times_in_place(gram, u);
    upper_times_in_place(gram, v);
    u.dot(v)
}

/// v <- L^T v for lower-triangular L: entry i of L^T v is sum_{k >= i} L_ki v_k, which reads only
/// entries k >= i, so increasing i never reads an overwritten entry.
pub fn upper_times_in_place(gram: &DMatrix<f64>, v: &mut DVector<f64>) {
    let d = v.len();
    let l = gram.as_slice();
    let v = v.as_mut_slice();
    for i in 0..d {
        v[i] = dot(&l[i * d + i..(i + 1) * d], &v[i..]);
    }
}
