//! Exact discrete samplers built from `rand_distr`'s binomial and hypergeometric draws.
//!
//! A multinomial is drawn as a chain of conditional binomials: atom i gets
//! `Binomial(n_left, c_i / mass_left)`. Masses are integers, so the chain has no floating drift and
//! the last atom with mass takes what is left without a draw. The chain stops as soon as nothing is
//! left to place; callers keep atoms roughly in decreasing order so that the many small atoms at
//! the end of the list are skipped once the sample is used up. Every draw is O(1) in `n`
//! (BTPE / H2PE), so sample sizes up to 10^12 and beyond cost the same as small ones.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Hypergeometric};

/// One binomial draw. `p` must lie in [0, 1]; the callers guarantee it.
#[inline]
fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    Binomial::new(n, p).map_or(0, |b| b.sample(rng))
}

/// Draw `n` items with replacement from atoms of integer mass `mass` (total `total`, which must be
/// their sum and positive); write how many landed on each atom into `out` (same length).
pub fn multinomial<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    mass: &[u64],
    total: u64,
    out: &mut [u64],
) {
    debug_assert_eq!(mass.len(), out.len());
    debug_assert_eq!(mass.iter().sum::<u64>(), total);
    let mut n_left = n;
    let mut mass_left = total;
    for (slot, &m) in out.iter_mut().zip(mass) {
        let x = if n_left == 0 || m == 0 {
            0
        } else if m >= mass_left {
            n_left
        } else {
            binomial(rng, n_left, m as f64 / mass_left as f64)
        };
        *slot = x;
        n_left -= x;
        mass_left -= m;
    }
}

/// Draw `n` items with replacement from real-valued probabilities `weights` (non-negative, summing
/// to about one); the last atom with positive weight takes what is left, so counts sum to `n`.
pub fn multinomial_weights<R: Rng + ?Sized>(rng: &mut R, n: u64, weights: &[f64], out: &mut [u64]) {
    debug_assert_eq!(weights.len(), out.len());
    let last = weights.iter().rposition(|&w| w > 0.0);
    let mut n_left = n;
    let mut weight_left: f64 = weights.iter().sum();
    for (i, (slot, &w)) in out.iter_mut().zip(weights).enumerate() {
        let x = if n_left == 0 || w <= 0.0 {
            0
        } else if Some(i) == last {
            n_left
        } else {
            binomial(rng, n_left, (w / weight_left).clamp(0.0, 1.0))
        };
        *slot = x;
        n_left -= x;
        weight_left -= w;
    }
}

/// Draw `n` items without replacement from a pool holding `mass[i]` items of atom i (total
/// `total`, their sum, at least `n`): a multivariate hypergeometric sample, written into `out`.
pub fn hypergeometric<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    mass: &[u64],
    total: u64,
    out: &mut [u64],
) {
    debug_assert_eq!(mass.len(), out.len());
    debug_assert!(n <= total);
    let mut n_left = n;
    let mut mass_left = total;
    for (slot, &m) in out.iter_mut().zip(mass) {
        let x = if n_left == 0 || m == 0 {
            0
        } else if m >= mass_left {
            n_left
        } else if n_left == mass_left {
            m
        } else {
            Hypergeometric::new(mass_left, m, n_left).map_or(0, |h| h.sample(rng))
        };
        *slot = x;
        n_left -= x;
        mass_left -= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{key_from_words, replicate_rng};

    #[test]
    fn multinomial_sums_and_respects_zeros() {
        let mut rng = replicate_rng(&key_from_words([9, 9, 9, 9]), 0);
        let mass = [5, 0, 3, 2, 0, 10];
        let mut out = [0; 6];
        for n in [0, 1, 7, 1000, 1_000_000_000_000] {
            multinomial(&mut rng, n, &mass, 20, &mut out);
            assert_eq!(out.iter().sum::<u64>(), n);
            assert_eq!(out[1], 0);
            assert_eq!(out[4], 0);
        }
    }

    #[test]
    fn multinomial_mean_matches() {
        let mut rng = replicate_rng(&key_from_words([1, 0, 0, 0]), 3);
        let mass = [1, 2, 3, 4];
        let mut out = [0; 4];
        let reps = 20_000;
        let n = 50;
        let mut sums = [0u64; 4];
        for _ in 0..reps {
            multinomial(&mut rng, n, &mass, 10, &mut out);
            for (s, x) in sums.iter_mut().zip(out) {
                *s += x;
            }
        }
        for (i, s) in sums.iter().enumerate() {
            let p = mass[i] as f64 / 10.0;
            let mean = *s as f64 / f64::from(reps);
            let se = (n as f64 * p * (1.0 - p) / f64::from(reps)).sqrt();
            assert!((mean - n as f64 * p).abs() < 5.0 * se, "atom {i}: {mean}");
        }
    }

    #[test]
    fn weights_draw_sums_to_n() {
        let mut rng = replicate_rng(&key_from_words([2, 0, 0, 0]), 0);
        let w = [0.1, 0.0, 0.6, 0.3, 0.0];
        let mut out = [0; 5];
        for n in [1, 10, 12345, 1 << 40] {
            multinomial_weights(&mut rng, n, &w, &mut out);
            assert_eq!(out.iter().sum::<u64>(), n);
            assert_eq!(out[1] + out[4], 0);
        }
    }

    #[test]
    fn hypergeometric_without_replacement() {
        let mut rng = replicate_rng(&key_from_words([3, 0, 0, 0]), 0);
        let mass = [4, 1, 0, 7];
        let mut out = [0; 4];
        for n in 0..=12 {
            hypergeometric(&mut rng, n, &mass, 12, &mut out);
            assert_eq!(out.iter().sum::<u64>(), n);
            assert!(out.iter().zip(mass).all(|(x, m)| *x <= m));
        }
        hypergeometric(&mut rng, 12, &mass, 12, &mut out);
        assert_eq!(out, mass);
    }
}
