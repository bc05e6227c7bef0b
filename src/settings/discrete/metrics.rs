//! Per-iteration statistics of a discrete model, computed inside the loop from the surviving atoms
//! only (never from stored samples), so a generation's cost stays proportional to its survivors.

use crate::engine::metric_enum;
use crate::error::{invalid, SimResult};

metric_enum! {
    /// The metrics a discrete run can record.
    pub enum DiscreteMetric ("discrete") {
        /// Shannon entropy in nats.
        Entropy => "entropy",
        /// Number of atoms with positive mass.
        SupportSize => "support_size",
        /// 1 - sum p^2.
        GiniSimpson => "gini_simpson",
        /// Total variation distance to the real distribution.
        TvToReal => "tv_to_real",
        /// Cross-entropy of the real distribution under the model (+inf once a real atom is lost).
        NllReal => "nll_real",
        /// Model mass on the real distribution's rarest atoms (the tail set).
        TailMass => "tail_mass",
        /// Largest atom's mass.
        MaxWeight => "max_weight",
    }
}

/// What the metrics compare a model against: the real distribution and its tail set.
#[derive(Debug, Clone)]
pub struct RealReference {
    p0: Vec<f64>,
    in_tail: Vec<bool>,
    real_support: usize,
}

impl RealReference {
    /// `p0` must be normalised probabilities. The tail set is the real distribution's rarest atoms
    /// (ascending probability, ties by index) taken until they hold at least `tail_fraction` of the
    /// real mass.
    pub fn new(p0: Vec<f64>, tail_fraction: f64) -> SimResult<Self> {
        if !(tail_fraction > 0.0 && tail_fraction <= 1.0) {
            return Err(invalid(
                "tail",
                format!("must lie in (0, 1], got {tail_fraction}"),
            ));
        }
        let mut order: Vec<usize> = (0..p0.len()).filter(|&i| p0[i] > 0.0).collect();
        let real_support = order.len();
        order.sort_by(|&a, &b| p0[a].total_cmp(&p0[b]).then(a.cmp(&b)));
        let mut in_tail = vec![false; p0.len()];
        let mut held = 0.0;
        let target = tail_fraction * (1.0 - 1e-12);
        for i in order {
            if held >= target {
                break;
            }
            in_tail[i] = true;
            held += p0[i];
        }
        Ok(Self {
            p0,
            in_tail,
            real_support,
        })
    }

    /// Number of atoms.
    pub fn atoms(&self) -> usize {
        self.p0.len()
    }

    /// Number of atoms with positive real probability.
    pub fn real_support(&self) -> usize {
        self.real_support
    }

    /// The real probabilities.
    pub fn p0(&self) -> &[f64] {
        &self.p0
    }

    /// Which atoms form the tail set.
    pub fn in_tail(&self) -> &[bool] {
        &self.in_tail
    }
}

/// Does any of `wanted` need ln p of every atom?
pub fn needs_log(wanted: &[DiscreteMetric]) -> bool {
    wanted
        .iter()
        .any(|m| matches!(m, DiscreteMetric::Entropy | DiscreteMetric::NllReal))
}

/// Evaluate `wanted` on a model given as (atom index, probability, ln probability) over its
/// support (ln p may be 0 when [`needs_log`] is false), writing metric k into
/// `out[k * stride_out]`.
pub fn discrete_metrics(
    atoms: impl Iterator<Item = (u32, f64, f64)>,
    reference: &RealReference,
    wanted: &[DiscreteMetric],
    out: &mut [f64],
    stride_out: usize,
) {
    let need_entropy = wanted.contains(&DiscreteMetric::Entropy);
    let need_nll = wanted.contains(&DiscreteMetric::NllReal);
    let mut entropy = 0.0;
    let mut support = 0usize;
    let mut sum_sq = 0.0;
    let mut abs_diff = 0.0;
    let mut real_on_support = 0.0;
    let mut covered = 0usize;
    let mut cross = 0.0;
    let mut tail = 0.0;
    let mut max_p: f64 = 0.0;
    for (index, p, ln_p) in atoms {
        if p <= 0.0 {
            continue;
        }
        let i = index as usize;
        let q = reference.p0[i];
        support += 1;
        sum_sq += p * p;
        max_p = max_p.max(p);
        abs_diff += (p - q).abs();
        real_on_support += q;
        if reference.in_tail[i] {
            tail += p;
        }
        if need_entropy {
            entropy -= p * ln_p;
        }
        if q > 0.0 {
            covered += 1;
            if need_nll {
                cross -= q * ln_p;
            }
        }
    }
    for (k, metric) in wanted.iter().enumerate() {
        out[k * stride_out] = match metric {
            DiscreteMetric::Entropy => entropy.max(0.0),
            DiscreteMetric::SupportSize => support as f64,
            DiscreteMetric::GiniSimpson => (1.0 - sum_sq).max(0.0),
            DiscreteMetric::TvToReal => {
                (0.5 * (abs_diff + (1.0 - real_on_support))).clamp(0.0, 1.0)
            }
            DiscreteMetric::NllReal => {
                if covered < reference.real_support {
                    f64::INFINITY
                } else {
                    cross
                }
            }
            DiscreteMetric::TailMass => tail.clamp(0.0, 1.0),
            DiscreteMetric::MaxWeight => max_p,
        };
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values: counts, infinities and exact zeros
mod tests {
    use super::*;

    fn eval(p: &[f64], p0: &[f64], tail: f64) -> Vec<f64> {
        let reference = RealReference::new(p0.to_vec(), tail).unwrap();
        let mut out = vec![0.0; DiscreteMetric::ALL.len()];
        discrete_metrics(
            p.iter().enumerate().map(|(i, &x)| (i as u32, x, x.ln())),
            &reference,
            DiscreteMetric::ALL,
            &mut out,
            1,
        );
        out
    }

    #[test]
    fn uniform_against_itself() {
        let p = [0.25; 4];
        let m = eval(&p, &p, 0.1);
        assert!((m[0] - 4f64.ln()).abs() < 1e-12);
        assert_eq!(m[1], 4.0);
        assert!((m[2] - 0.75).abs() < 1e-12);
        assert!(m[3].abs() < 1e-12);
        assert!((m[4] - 4f64.ln()).abs() < 1e-12);
        assert!(
            (m[5] - 0.25).abs() < 1e-12,
            "one atom of 0.25 is the 10% tail"
        );
        assert_eq!(m[6], 0.25);
    }

    #[test]
    fn lost_atom_makes_nll_infinite_and_tv_positive() {
        let p0 = [0.5, 0.3, 0.2];
        let p = [0.6, 0.4, 0.0];
        let m = eval(&p, &p0, 0.2);
        assert_eq!(m[4], f64::INFINITY);
        assert!((m[3] - 0.5 * (0.1 + 0.1 + 0.2)).abs() < 1e-12);
        assert_eq!(m[5], 0.0, "tail atom 2 is lost");
        assert_eq!(m[1], 2.0);
    }

    #[test]
    fn tail_set_accumulates_rarest_atoms() {
        let r = RealReference::new(vec![0.05, 0.5, 0.03, 0.42], 0.1).unwrap();
        assert_eq!(r.in_tail(), &[true, false, true, true]);
        assert!(RealReference::new(vec![1.0], 0.0).is_err());
    }
}
