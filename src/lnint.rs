//! Natural logarithms of non-negative integers, by table for small ones.
//!
//! Counts of a few thousand and below dominate both the metrics of long-tailed distributions and
//! the acceptance test of the binomial sampler, and a table lookup there is several times cheaper
//! than `ln`.

use std::sync::OnceLock;

/// Integers below this come from the table (32 KiB, cache-resident).
const TABLE_SIZE: usize = 4096;

/// ln(k) for an integer k >= 1 (ln 0 = -inf).
#[inline]
pub fn ln_int(k: u64) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..TABLE_SIZE).map(|k| (k as f64).ln()).collect());
    if (k as usize) < TABLE_SIZE {
        table[k as usize]
    } else {
        (k as f64).ln()
    }
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
    }
}
