//! Numerical building blocks shared by the settings: exact samplers (binomial, multinomial,
//! normals: [`sampling`], [`draw`]), integer logarithms ([`lnint`]), Gaussian quadratic forms
//! ([`quadform`]), shared linear algebra ([`linalg`]) and cheap integer-float conversions.

pub mod draw;
pub mod linalg;
pub mod lnint;
pub mod quadform;
pub mod sampling;

/// `x as f64` for x < 2^63 (every count and size here is at most 2^62): through i64, one
/// instruction on x86-64's baseline, where the conversion from u64 takes several (a tenth of
/// the discrete chain's time). The same value: both round the same integer to nearest.
#[inline]
pub fn float(x: u64) -> f64 {
    debug_assert!(x < 1 << 63);
    x as i64 as f64
}

/// `x as u64` for x in [0, 2^63), through i64 (see [`float`]).
#[inline]
pub fn whole(x: f64) -> u64 {
    debug_assert!((0.0..9.2e18).contains(&x));
    x as i64 as u64
}
