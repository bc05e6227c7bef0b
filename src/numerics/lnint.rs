//! Natural logarithms of non-negative integers, by table for small ones (and the reciprocals
//! that the binomial samplers' walks multiply by).
//!
//! Counts of a few thousand and below dominate both the metrics of long-tailed distributions and
//! the acceptance test of the binomial sampler, and a table lookup there is several times cheaper
//! than `ln` (and than a division, in a walk over outcomes).

use std::sync::OnceLock;

/// Integers below this come from the tables (32 KiB each).
pub const TABLE_SIZE: u64 = 4096;

/// The tables: ln k, ln k! and 1 / k for k < [`TABLE_SIZE`]. A sampler that needs several entries
/// takes the tables once ([`tables`]) instead of checking their initialisation per entry.
#[derive(Debug)]
pub struct Tables {
    ln: Vec<f64>,
    ln_factorial: Vec<f64>,
    inverse: Vec<f64>,
}

impl Tables {
    /// ln(k) for an integer k >= 1 (ln 0 = -inf).
    #[inline]
    pub fn ln(&self, k: u64) -> f64 {
        if k < TABLE_SIZE {
            self.ln[k as usize]
        } else {
            (k as f64).ln()
        }
    }

    /// The table of 1 / k for k < [`TABLE_SIZE`] (entry 0 is infinite), for loops that walk it.
    #[inline]
    pub fn inverses(&self) -> &[f64] {
        &self.inverse
    }

    /// ln(k!) for k < [`TABLE_SIZE`].
    #[inline]
    pub fn ln_factorial(&self, k: u64) -> f64 {
        self.ln_factorial[k as usize]
    }
}

/// The tables, built on first use.
#[inline]
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let ln: Vec<f64> = (0..TABLE_SIZE).map(|k| (k as f64).ln()).collect();
        // ln k! by Kahan summation: ln(4095!) ~ 3e4 to within an ulp or two.
        let (mut sum, mut carry) = (0.0_f64, 0.0_f64);
        let mut ln_factorial = vec![0.0; TABLE_SIZE as usize];
        for i in 1..TABLE_SIZE {
            let y = (i as f64).ln() - carry;
            let t = sum + y;
            carry = (t - sum) - y;
            sum = t;
            ln_factorial[i as usize] = sum;
        }
        let inverse = (0..TABLE_SIZE).map(|k| 1.0 / k as f64).collect();
        Tables {
            ln,
            ln_factorial,
            inverse,
        }
    })
}

/// ln(k) for an integer k >= 1 (ln 0 = -inf).
#[inline]
pub fn ln_int(k: u64) -> f64 {
    tables().ln(k)
}

/// ln(k!) for k < [`TABLE_SIZE`], from a table of compensated sums of `ln_int`.
#[inline]
pub fn ln_factorial(k: u64) -> f64 {
    tables().ln_factorial(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_ln_agree() {
        for k in [1u64, 2, 7, 4095, 4096, 4097, 1 << 40] {
            assert!((ln_int(k) - (k as f64).ln()).abs() <= 1e-15 * (k as f64).ln().abs());
        }
        assert!(ln_int(0).is_infinite() && ln_int(0) < 0.0);
        assert!(ln_factorial(0).abs() < 1e-300 && (ln_factorial(5) - 120f64.ln()).abs() < 1e-14);
        // Stirling with its first corrections at 4095
        let k = 4095.0_f64;
        let stirling =
            (k + 0.5) * k.ln() - k + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * k)
                - 1.0 / (360.0 * k.powi(3));
        assert!((ln_factorial(4095) - stirling).abs() < 1e-10);
    }
}
