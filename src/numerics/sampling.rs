//! Exact discrete samplers: binomials (inversion from 0 or from the mode, or BTRS), alias tables
//! for Binomial(n, j/n), and the multinomial and multivariate hypergeometric draws built from
//! them.
//!
//! A multinomial is drawn as a chain of conditional binomials: atom i gets
//! `Binomial(n_left, c_i / mass_left)`. Masses are integers, so the chain has no floating drift and
//! the last atom with mass takes what is left without a draw; the chain stops as soon as nothing
//! is left to place. The order of the atoms never changes the law, only the cost: Replace's
//! chain puts the largest atom last (the free one) and, from eight survivors on, sorts them by
//! increasing mass, so that the small atoms stand together at the front, where they are drawn
//! as a group. Large means cost no more than small ones (BTRS), so sample sizes of 10^12 and
//! beyond cost the same as small ones.

use rand::{Rng, RngExt};

use crate::engine::rng::{fast_rng, RootKey};
use crate::error::{invalid, SimResult};
use crate::numerics::lnint::{ln_int, tables, Tables, TABLE_SIZE};
use crate::numerics::{float, whole};

/// Below this mean (n min(p, 1-p)) a binomial is drawn by inversion, from it on by BTRS (valid
/// from 10 on). The two cost the same near 20 (a timing of both here).
const BTRS_MIN_MEAN: f64 = 20.0;
/// For n below the ln-factorial table, binomials with a mean from this and a variance below
/// `MODE_MAX_VARIANCE` are drawn by inversion from the mode, whose cost grows with the standard
/// deviation (about 1.6 sd steps, each a multiplication by a tabled 1/k) instead of the mean.
/// Timed alone at one (n, p), it beats BTRS below a variance of about 100 (30 against 37 ns at
/// mean 10). In the chain (case 1 of `benches/bench_discrete.py`, 20,000 replicates, so that
/// the runs' mean lengths agree to about 0.4%) cuts at 100 and 200 cost the same.
const MODE_MIN_MEAN: f64 = 4.0;
const MODE_MAX_VARIANCE: f64 = 100.0;

/// One binomial draw. `p` must lie in [0, 1]; the callers guarantee it.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let flipped = p > 0.5;
    let small = if flipped { 1.0 - p } else { p };
    let k = btrs_or_inversion(rng, n, small, None);
    if flipped {
        n - k
    } else {
        k
    }
}

/// Binomial(n, num / den) for integers 0 < num < den: as [`binomial`], with the logarithms the
/// samplers need read from `ln_int`'s table when the integers are small.
#[inline]
fn binomial_ratio<R: Rng + ?Sized>(rng: &mut R, n: u64, num: u64, den: u64) -> u64 {
    let flipped = 2 * num > den;
    let small = if flipped { den - num } else { num };
    let k = btrs_or_inversion(rng, n, float(small) / float(den), Some((small, den)));
    if flipped {
        n - k
    } else {
        k
    }
}

/// (ln p, ln(1 - p)), from the tables when p = small / den with `den` in them.
#[inline]
fn ln_p_q(t: &Tables, p: f64, ratio: Option<(u64, u64)>) -> (f64, f64) {
    match ratio {
        Some((small, den)) if den < TABLE_SIZE => {
            let ln_den = t.ln(den);
            (t.ln(small) - ln_den, t.ln(den - small) - ln_den)
        }
        _ => (p.ln(), (-p).ln_1p()),
    }
}

/// Binomial(n, p) for 0 < p <= 1/2 by the algorithm that suits its mean; `ratio` = (num, den)
/// when p = num / den for integers.
#[inline]
fn btrs_or_inversion<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    p: f64,
    ratio: Option<(u64, u64)>,
) -> u64 {
    if n > MAX_SINGLE_N {
        // Binomial(n, p) is the sum of binomials over parts of n: each part is small enough for
        // the samplers' floating-point arithmetic to be exact (rare: only pools beyond 2^52
        // items draw this many).
        let mut left = n;
        let mut sum = 0;
        while left > 0 {
            let part = left.min(MAX_SINGLE_N);
            sum += btrs_or_inversion(rng, part, p, ratio);
            left -= part;
        }
        return sum;
    }
    let mean = float(n) * p;
    if mean < MODE_MIN_MEAN {
        inversion(rng, n, p, ratio)
    } else if n < TABLE_SIZE && mean * (1.0 - p) < MODE_MAX_VARIANCE {
        mode_inversion(rng, n, p, ratio)
    } else if mean < BTRS_MIN_MEAN {
        inversion(rng, n, p, ratio)
    } else {
        btrs(rng, n, p, ratio)
    }
}

/// Binomial(n, p) for p <= 1/2 and n < [`TABLE_SIZE`] by inversion from the mode: the
/// outcomes are visited in the order m, m + 1, m - 1, m + 2, m - 2, ... (each side until it
/// runs out of support), and the first whose cumulative probability passes a uniform is
/// returned. An exact inversion of the law in that order; f(m) comes from the ln-factorial
/// table, the others from the ratios f(k + 1) / f(k) = (n - k) / (k + 1) p / q. A uniform that
/// rounding leaves beyond the total (probability ~1e-12) is drawn again.
fn mode_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64, ratio: Option<(u64, u64)>) -> u64 {
    debug_assert!(n < TABLE_SIZE);
    let t = tables();
    let (lp, lq) = ln_p_q(t, p, ratio);
    let m = whole(float(n + 1) * p).min(n);
    let ln_f_m = t.ln_factorial(n) - t.ln_factorial(m) - t.ln_factorial(n - m)
        + float(m) * lp
        + float(n - m) * lq;
    let f_m = ln_f_m.exp();
    let odds = match ratio {
        Some((small, den)) => float(small) / float(den - small),
        None => p / (1.0 - p),
    };
    let inverse_odds = 1.0 / odds;
    // 1 / k for the outcomes above the mode (k = m + 1, m + 2, ...) and for n - k + 1 below it
    // (k = m, m - 1, ...): f(k + 1) / f(k) = (n - k) / (k + 1) odds.
    let inverses = t.inverses();
    let (mu, nu) = (m as usize, n as usize);
    let ups = &inverses[mu + 1..=nu];
    let downs = &inverses[nu - mu + 1..=nu];
    let both = ups.len().min(downs.len());
    loop {
        let mut u: f64 = rng.random();
        if u < f_m {
            return m;
        }
        u -= f_m;
        let (mut f_up, mut f_down) = (f_m, f_m);
        let (mut up_factor, mut down_factor) = (float(n - m), float(m));
        // While both sides have outcomes (most draws end here): one step up, one down.
        for (i, (&up_inverse, &down_inverse)) in ups[..both].iter().zip(&downs[..both]).enumerate()
        {
            f_up *= up_factor * up_inverse * odds;
            up_factor -= 1.0;
            if u < f_up {
                return m + 1 + i as u64;
            }
            u -= f_up;
            f_down *= down_factor * down_inverse * inverse_odds;
            down_factor -= 1.0;
            if u < f_down {
                return m - 1 - i as u64;
            }
            u -= f_down;
        }
        // Then the side that is left.
        for (i, &up_inverse) in ups[both..].iter().enumerate() {
            f_up *= up_factor * up_inverse * odds;
            up_factor -= 1.0;
            if u < f_up {
                return m + 1 + (both + i) as u64;
            }
            u -= f_up;
        }
        for (i, &down_inverse) in downs[both..].iter().enumerate() {
            f_down *= down_factor * down_inverse * inverse_odds;
            down_factor -= 1.0;
            if u < f_down {
                return m - 1 - (both + i) as u64;
            }
            u -= f_down;
        }
    }
}

/// Largest n drawn in one piece: below 2^52 every count, and the proposal's floor, is exact in
/// f64.
const MAX_SINGLE_N: u64 = 1 << 52;

/// Binomial(n, p) for p <= 1/2 and n p < `BTRS_MIN_MEAN` by sequential inversion from 0 (BINV of
/// Kachitvichyanukul and Schmeiser, 1988, as in `rand_distr`, with q^n = exp(n ln q), cheaper
/// than `powf`). Like `rand_distr`, a search that passes 110 (over 20 standard deviations out)
/// starts again.
fn inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64, ratio: Option<(u64, u64)>) -> u64 {
    const MAX_X: u64 = 110;
    let q = 1.0 - p;
    let s = p / q;
    let a = (float(n) + 1.0) * s;
    let t = tables();
    let r0 = (float(n) * ln_p_q(t, p, ratio).1).exp();
    // f(x) / f(x - 1) = a / x - s, with 1 / x from the table
    let inverses = &t.inverses()[1..=MAX_X as usize];
    loop {
        let mut u: f64 = rng.random();
        let mut r = r0;
        if u <= r {
            return 0;
        }
        for (x, &inverse) in (1..=MAX_X).zip(inverses) {
            u -= r;
            r *= a * inverse - s;
            if u <= r {
                return x;
            }
        }
    }
}

/// Binomial(n, p) for p <= 1/2 and n p >= 10 by Hörmann's transformed rejection with squeeze
/// (BTRS; W. Hörmann, "The generation of binomial random variates", J. Stat. Comput. Simul. 46,
/// 1993), in the form TensorFlow and PyTorch use. Exact; its set-up is a square root and a few
/// divisions, so it suits the chain of conditional binomials, where (n, p) changes every draw and
/// `rand_distr`'s BTPE spends most of its time on set-up. The squeeze accepts without a
/// logarithm about half the proposals at n p = 20 and most of them for large n p.
fn btrs<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64, ratio: Option<(u64, u64)>) -> u64 {
    let t = tables();
    let nf = float(n);
    let q = 1.0 - p;
    let spq = (nf * p * q).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    // Constants of the slow path, computed on its first use only.
    let mut slow: Option<(f64, f64, u64, f64)> = None;
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let kf = floor((2.0 * a / us + b) * u + c);
        if kf < 0.0 || kf > nf {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return whole(kf);
        }
        // The slow path: compare ln(v h(u)) with ln f(k) / f(m), the binomial probability
        // ratio to the mode m: from a table of ln factorials for n in it, else from Stirling's
        // series with exact tails for small arguments.
        let k = whole(kf);
        let (alpha, ln_r, m, at_mode) = *slow.get_or_insert_with(|| {
            let (lp, lq) = ln_p_q(t, p, ratio);
            let ln_r = lp - lq;
            let m = whole(((nf + 1.0) * p).floor());
            let at_mode = if n < TABLE_SIZE {
                t.ln_factorial(m) + t.ln_factorial(n - m)
            } else {
                stirling_tail(float(m)) + stirling_tail(float(n - m))
            };
            ((2.83 + 5.1 / b) * spq, ln_r, m, at_mode)
        });
        let w = v * alpha / (a / (us * us) + b);
        let bound = if n < TABLE_SIZE {
            at_mode - t.ln_factorial(k) - t.ln_factorial(n - k) + (kf - float(m)) * ln_r
        } else {
            // ln f(k) / f(m) by Stirling's formula, arranged so that no large logarithm is
            // multiplied by a large count (that lost the acceptance test's precision, and so
            // the law, for n beyond about 2^40): with delta = k - m,
            // (n + 1) ln((n - m + 1) / (n - k + 1)) - (m + 1/2) ln((k + 1) / (m + 1))
            //   + (m + 1/2) ln((n - k + 1) / (n - m + 1))
            //   + delta [ln((n - k + 1) / (k + 1)) + ln(p / q)], plus Stirling's tails.
            let mf = float(m);
            let delta = if k >= m { float(k - m) } else { -float(m - k) };
            let rest = nf - kf + 1.0;
            at_mode - stirling_tail(kf) - stirling_tail(nf - kf)
                + (nf + 1.0) * (delta / rest).ln_1p()
                - (mf + 0.5) * (delta / (mf + 1.0)).ln_1p()
                + (mf + 0.5) * (-delta / (nf - mf + 1.0)).ln_1p()
                + delta * ((rest / (kf + 1.0)).ln() + ln_r)
        };
        if w.ln() <= bound {
            return k;
        }
    }
}

/// floor(x) for |x| < 2^52 without a libm call (x86-64's baseline has no rounding instruction).
#[inline]
fn floor(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// ln(k!) - [(k + 1/2) ln(k + 1) - (k + 1) + ln(sqrt(2 pi))]: the error of Stirling's formula
/// for ln Gamma(k + 1), exact for k < 10 and from its asymptotic series beyond.
fn stirling_tail(k: f64) -> f64 {
    const TAIL: [f64; 10] = [
        0.081_061_466_795_327_26,
        0.041_340_695_955_409_29,
        0.027_677_925_684_998_34,
        0.020_790_672_103_765_09,
        0.016_644_691_189_821_19,
        0.013_876_128_823_070_75,
        0.011_896_709_945_891_77,
        0.010_411_265_261_972_1,
        0.009_255_462_182_712_73,
        0.008_330_563_433_362_87,
    ];
    if k < 10.0 {
        return TAIL[k as usize];
    }
    let x = 1.0 / (k + 1.0);
    let x2 = x * x;
    (1.0 / 12.0 - (1.0 / 360.0 - x2 / 1260.0) * x2) * x
}

/// Largest n for which [`FixedBinomial`] builds tables (each about 16 sd wide: a few MB).
pub const MAX_FIXED_N: u64 = 4096;
/// Probabilities below this stay out of an alias table; their total mass becomes one tail bin.
const TABLE_CUTOFF: f64 = 1e-14;

/// Binomial(n, j / n) for one fixed n and any j in 0..=n, from an alias table per j built on
/// first use (thread-safe; the tables depend only on (n, j), so results do not depend on which
/// thread builds them). Under Replace every generation's first draw, and the only draw of the
/// two-atom endgame, has this form with n = D, and a table draw costs a fraction of a BTRS draw.
/// Exact up to floating-point rounding, like every sampler driven by 53-bit uniforms: the alias
/// table holds every outcome of probability at least 1e-14, and one extra bin holds the rest,
/// whose outcomes are drawn by inversion outward from the table's edges.
#[derive(Debug)]
pub struct FixedBinomial {
    n: u64,
    tables: Vec<std::sync::OnceLock<AliasTable>>,
}

impl FixedBinomial {
    /// The tables for `n`, shared between calls: the few most recently used sizes stay cached
    /// (their alias tables fill in as they are used), so repeated or chunked runs at one D build
    /// each table once. `None` outside 2..=[`MAX_FIXED_N`].
    pub fn shared(n: u64) -> Option<std::sync::Arc<Self>> {
        use std::sync::{Arc, Mutex, PoisonError};
        const KEEP: usize = 4;
        static CACHE: Mutex<Vec<Arc<FixedBinomial>>> = Mutex::new(Vec::new());
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pos) = cache.iter().position(|t| t.n == n) {
            let table = cache.remove(pos);
            cache.push(Arc::clone(&table));
            return Some(table);
        }
        let table = Arc::new(Self::new(n)?);
        if cache.len() == KEEP {
            cache.remove(0);
        }
        cache.push(Arc::clone(&table));
        Some(table)
    }

    /// Tables for `n` in 2..=[`MAX_FIXED_N`], else `None`.
    pub fn new(n: u64) -> Option<Self> {
        (2..=MAX_FIXED_N).contains(&n).then(|| Self {
            n,
            tables: (0..=n / 2).map(|_| std::sync::OnceLock::new()).collect(),
        })
    }

    /// The n this table serves.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// One Binomial(n, j / n) draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, j: u64) -> u64 {
        let n = self.n;
        debug_assert!(j <= n);
        if j == 0 || j >= n {
            return j.min(n);
        }
        if 2 * j > n {
            return n - self.sample(rng, n - j);
        }
        let p = float(j) / float(n);
        let table = self.tables[j as usize].get_or_init(|| AliasTable::binomial(n, p));
        match table.sample(rng) {
            Some(k) => k,
            None => table.sample_tail(rng),
        }
    }
}

/// Walker's alias table over lo..lo + len, plus an optional tail bin (sampled as `None`) whose
/// outcomes [`AliasTable::sample_tail`] draws exactly.
#[derive(Debug)]
struct AliasTable {
    lo: u64,
    prob: Vec<f64>,
    alias: Vec<u32>,
    has_tail: bool,
    /// The binomial's n and odds p / q, for the tails' ratio recursion.
    n: u64,
    odds: f64,
    /// Probabilities of the tails below `lo` and above the table, and of their first outcomes
    /// (lo - 1 and lo + len).
    tail_below: f64,
    tail_above: f64,
    first_below: f64,
    first_above: f64,
}

impl AliasTable {
    /// The table of Binomial(n, p), 0 < p <= 1/2, n <= [`MAX_FIXED_N`].
    fn binomial(n: u64, p: f64) -> Self {
        // ln f(k) relative to the mode, by the ratio recursion, over the whole support.
        let ln_odds = (p / (1.0 - p)).ln();
        let mode = ((n as f64 + 1.0) * p).floor().min(n as f64) as u64;
        let mut ln_f = vec![0.0; n as usize + 1];
        for k in mode..n {
            ln_f[k as usize + 1] = ln_f[k as usize] + ln_int(n - k) - ln_int(k + 1) + ln_odds;
        }
        for k in (0..mode).rev() {
            ln_f[k as usize] = ln_f[k as usize + 1] - ln_int(n - k) + ln_int(k + 1) - ln_odds;
        }
        let total: f64 = ln_f.iter().map(|l| l.exp()).sum();
        let f: Vec<f64> = ln_f.iter().map(|l| l.exp() / total).collect();
        let keep = |k: &u64| f[*k as usize] >= TABLE_CUTOFF;
        let lo = (0..=n).find(keep).unwrap_or(mode);
        let hi = (0..=n).rev().find(keep).unwrap_or(mode);
        let tail_below: f64 = f[..lo as usize].iter().sum();
        let tail_above: f64 = f[hi as usize + 1..].iter().sum();
        let mut weights: Vec<f64> = f[lo as usize..=hi as usize].to_vec();
        let has_tail = tail_below + tail_above > 0.0;
        if has_tail {
            weights.push(tail_below + tail_above);
        }
        let (prob, alias) = walker_vose(&weights);
        let at = |k: Option<u64>| k.map_or(0.0, |k| f[k as usize]);
        Self {
            lo,
            prob,
            alias,
            has_tail,
            n,
            odds: p / (1.0 - p),
            tail_below,
            tail_above,
            first_below: at(lo.checked_sub(1)),
            first_above: at((hi < n).then_some(hi + 1)),
        }
    }

    /// Outcomes held in the table proper.
    fn len(&self) -> u64 {
        self.prob.len() as u64 - u64::from(self.has_tail)
    }

    /// An outcome, or `None` for the tail bin.
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<u64> {
        let bins = self.prob.len();
        let x = rng.random::<f64>() * float(bins as u64);
        let i = (whole(x) as usize).min(bins - 1);
        let bin = if x - float(i as u64) < self.prob[i] {
            i
        } else {
            self.alias[i] as usize
        };
        (bin < self.len() as usize).then(|| self.lo + bin as u64)
    }

    /// An outcome of the tails, with its probability given the tails: inversion outward from
    /// the table's edges, f(k - 1) / f(k) = k / (n - k + 1) q / p below and
    /// f(k + 1) / f(k) = (n - k) / (k + 1) p / q above. A uniform that rounding leaves past
    /// the last outcome is drawn again.
    fn sample_tail<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let n = self.n;
        loop {
            let mut v = rng.random::<f64>() * (self.tail_below + self.tail_above);
            if v < self.tail_below {
                let (mut k, mut f) = (self.lo - 1, self.first_below);
                loop {
                    if v < f {
                        return k;
                    }
                    v -= f;
                    if k == 0 {
                        break;
                    }
                    f *= float(k) / float(n - k + 1) / self.odds;
                    k -= 1;
                }
            } else if self.tail_above > 0.0 {
                v -= self.tail_below;
                let (mut k, mut f) = (self.lo + self.len(), self.first_above);
                loop {
                    if v < f {
                        return k;
                    }
                    v -= f;
                    if k == n {
                        break;
                    }
                    f *= float(n - k) / float(k + 1) * self.odds;
                    k += 1;
                }
            }
        }
    }
}

/// Walker's alias method, Vose's construction: for weights summing to one, bin i keeps its own
/// outcome with probability prob[i] and gives alias[i] otherwise.
fn walker_vose(weights: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let bins = weights.len();
    let mut prob: Vec<f64> = weights.iter().map(|w| w * bins as f64).collect();
    let mut alias: Vec<u32> = (0..bins as u32).collect();
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..bins).partition(|&i| prob[i] < 1.0);
    while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
        alias[s] = l as u32;
        prob[l] -= 1.0 - prob[s];
        if prob[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // What is left is 1 up to rounding.
    for i in small.into_iter().chain(large) {
        prob[i] = 1.0;
    }
    (prob, alias)
}

/// Groups of at least this many adjacent small atoms are drawn together.
pub const MIN_GROUP: usize = 8;
/// Relative costs of one binomial draw, one uniform pick of an item, and one item's entry in a
/// group's owner table; the draw's weight is tuned with `benches/bench_discrete.py` (it also
/// stands for the branch mispredictions and set-up that a group saves).
const DRAW_COST: f64 = 70.0;
const PICK_COST: f64 = 2.5;
const OWNER_COST: f64 = 0.5;
/// Most items a group's owner table may hold.
const OWNER_LIMIT: u64 = 1 << 20;

/// Draw `n` items with replacement from atoms of integer mass `mass` (total `total`, which must be
/// their sum and positive); write how many landed on each atom into `out` (same length). `owner`
/// is scratch space.
///
/// A run of at least `MIN_GROUP` adjacent atoms that are cheaper to fill by picking items one by
/// one than by a binomial each (small atoms: where a caller sorts by mass, they stand together at
/// the front) takes one binomial draw for the whole run, and its items then pick their atoms in
/// proportion to mass. Exact: given the run's total, its atoms' counts are multinomial with
/// probabilities proportional to their masses. Groups are looked for only until an atom starts
/// none; the atoms after it (larger ones, where the caller sorts) take one binomial each, which
/// in any order is exact and, in an unsorted chain, at most misses a later group's saving.
pub fn multinomial<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    mass: &[u64],
    total: u64,
    out: &mut [u64],
    owner: &mut Vec<u32>,
) {
    debug_assert_eq!(mass.len(), out.len());
    debug_assert_eq!(mass.iter().sum::<u64>(), total);
    let mut n_left = n;
    let mut mass_left = total;
    let mut i = 0;
    while i < mass.len() {
        if n_left == 0 {
            out[i..].fill(0);
            return;
        }
        let run = group_length(n_left, &mass[i..], mass_left);
        if run < MIN_GROUP {
            break;
        }
        let group = &mass[i..i + run];
        let group_mass: u64 = group.iter().sum();
        if group_mass <= OWNER_LIMIT {
            let x = conditional(rng, n_left, group_mass, mass_left);
            spread_by_picks(rng, x, group, group_mass, &mut out[i..i + run], owner);
            n_left -= x;
            mass_left -= group_mass;
            i += run;
        } else {
            let x = conditional(rng, n_left, mass[i], mass_left);
            out[i] = x;
            n_left -= x;
            mass_left -= mass[i];
            i += 1;
        }
    }
    // No group starts here: the remaining atoms (larger ones, as callers sort) one draw each.
    for (slot, &m) in out[i..].iter_mut().zip(&mass[i..]) {
        let x = conditional(rng, n_left, m, mass_left);
        *slot = x;
        n_left -= x;
        mass_left -= m;
    }
}

/// How many leading atoms of `mass` are cheaper to fill by picks than by a binomial each, when
/// `n` items are drawn from a total mass `total`.
fn group_length(n: u64, mass: &[u64], total: u64) -> usize {
    // Per unit of mass, picks cost PICK_COST per expected item plus the owner table: an atom is
    // cheaper by picks when m (PICK_COST n / total + OWNER_COST) <= DRAW_COST, here multiplied
    // out by the total (no division: this runs once per atom of every chain).
    let unit_cost = PICK_COST * float(n) + OWNER_COST * float(total);
    let budget = DRAW_COST * float(total);
    let cheap = |m: &&u64| float(**m) * unit_cost <= budget;
    // A run shorter than MIN_GROUP is no group: one look at its last atom settles most calls.
    match mass.get(MIN_GROUP - 1) {
        Some(m) if cheap(&m) => mass.iter().take_while(cheap).count(),
        _ => 0,
    }
}

/// Would [`multinomial`] draw the first atoms of `mass` as a group?
pub fn starts_group(n: u64, mass: &[u64], total: u64) -> bool {
    mass.len() >= MIN_GROUP && group_length(n, &mass[..MIN_GROUP], total) == MIN_GROUP
}

/// Multinomial(x, mass / group_mass) over a group: each of the x items picks one of the group's
/// `group_mass` units of mass uniformly, and lands on that unit's atom. Equal masses need no owner
/// table; an unexpectedly large x (it is binomial, so this is rare) falls back to a chain of
/// conditional binomials.
fn spread_by_picks<R: Rng + ?Sized>(
    rng: &mut R,
    x: u64,
    group: &[u64],
    group_mass: u64,
    out: &mut [u64],
    owner: &mut Vec<u32>,
) {
    out.fill(0);
    if x == 0 {
        return;
    }
    if x > 4 * group_mass + 64 {
        let mut x_left = x;
        let mut mass_left = group_mass;
        for (slot, &m) in out.iter_mut().zip(group) {
            let y = conditional(rng, x_left, m, mass_left);
            *slot = y;
            x_left -= y;
            mass_left -= m;
        }
        return;
    }
    let g = group.len() as u32;
    if group[0] == group[group.len() - 1] && group.iter().all(|&m| m == group[0]) {
        uniform_picks(rng, x, g, |i| out[i as usize] += 1);
        return;
    }
    owner.clear();
    for (j, &m) in group.iter().enumerate() {
        owner.extend(std::iter::repeat_n(j as u32, m as usize));
    }
    // group_mass <= OWNER_LIMIT < 2^32
    uniform_picks(rng, x, group_mass as u32, |i| {
        out[owner[i as usize] as usize] += 1;
    });
}

/// `count` uniform picks from 0..range (range >= 1), each passed to `pick`: two picks per 64-bit
/// word, each from its own 32-bit half by Lemire's multiply-and-reject (unbiased: a half that
/// lands in the rejected sliver, probability below range / 2^32, is replaced by a fresh 32-bit
/// draw).
#[inline]
fn uniform_picks<R: Rng + ?Sized>(rng: &mut R, count: u64, range: u32, mut pick: impl FnMut(u32)) {
    let s = u64::from(range);
    let threshold = range.wrapping_neg() % range;
    let mut one = |rng: &mut R, mut word: u32| loop {
        let m = u64::from(word) * s;
        if (m as u32) >= threshold {
            pick((m >> 32) as u32);
            return;
        }
        word = rng.next_u32();
    };
    for _ in 0..count / 2 {
        let word = rng.next_u64();
        one(rng, word as u32);
        one(rng, (word >> 32) as u32);
    }
    if count % 2 == 1 {
        let word = rng.next_u32();
        one(rng, word);
    }
}

/// Binomial(n_left, mass / mass_left): how many of the `n_left` remaining items land on `mass`.
#[inline]
fn conditional<R: Rng + ?Sized>(rng: &mut R, n_left: u64, mass: u64, mass_left: u64) -> u64 {
    if n_left == 0 || mass == 0 {
        0
    } else if mass >= mass_left {
        n_left
    } else {
        binomial_ratio(rng, n_left, mass, mass_left)
    }
}

/// Most draws [`conditional_draws`] takes in one call: about a second of work, so that a call
/// (which does not poll for Ctrl-C) stays short.
pub const MAX_BATCH_DRAWS: usize = 1 << 24;

/// The chain's draws one by one: Binomial(n_left[i], mass[i] / mass_left[i]) for every i, on
/// replicate 0's stream of `key`. For measuring what one draw of the chain costs, and testing
/// its law, from Python.
pub fn conditional_draws(
    key: &RootKey,
    n_left: &[u64],
    mass: &[u64],
    mass_left: &[u64],
) -> SimResult<Vec<u64>> {
    if mass.len() != n_left.len() || mass_left.len() != n_left.len() {
        return Err(invalid(
            "mass",
            "n_left, mass and mass_left must have the same length",
        ));
    }
    if n_left.len() > MAX_BATCH_DRAWS {
        return Err(invalid("n_left", "at most 2^24 draws per call"));
    }
    if let Some(i) = (0..mass.len()).find(|&i| mass_left[i] == 0 || mass[i] > mass_left[i]) {
        return Err(invalid(
            "mass",
            format!(
                "each mass must lie in [0, mass_left] with mass_left >= 1; entry {i} has mass {} \
                 and mass_left {}",
                mass[i], mass_left[i]
            ),
        ));
    }
    // counts and pools here never pass 2^62 (the samplers' arithmetic relies on it)
    for (name, values) in [("n_left", n_left), ("mass_left", mass_left)] {
        if let Some(i) = values.iter().position(|&v| v > 1 << 62) {
            return Err(invalid(
                name,
                format!(
                    "each entry must be at most 2^62; entry {i} is {}",
                    values[i]
                ),
            ));
        }
    }
    let mut rng = fast_rng(key, 0);
    Ok((0..n_left.len())
        .map(|i| conditional(&mut rng, n_left[i], mass[i], mass_left[i]))
        .collect())
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

/// At most this many items are drawn without replacement by picking them one by one.
const MAX_PICKS: u64 = 64;

/// Scratch space for [`hypergeometric`]: two arrays over the atoms per level of its recursion
/// (kept between calls, so that a replicate's chain does not allocate per generation).
#[derive(Debug, Default)]
pub struct HypergeometricScratch {
    levels: Vec<Vec<u64>>,
}

/// Draw `n` items without replacement from a pool holding `mass[i]` items of atom i (total
/// `total`, their sum, at least `n`): a multivariate hypergeometric sample, written into `out`.
///
/// Exact for every pool size, at the cost of about one binomial draw per atom: each item of the
/// pool is kept independently with probability n / total (one binomial per atom), which keeps a
/// uniformly random subset of some size T; then T - n of the kept items are dropped, or n - T of
/// the others added, uniformly and by the same method. A uniform subset of a uniform subset is
/// uniform, so the result is a uniform n-subset of the pool whatever T was. |T - n| is about
/// sqrt(n), so the recursion is a few levels deep, and it ends where at most [`MAX_PICKS`] items
/// are picked one by one (Floyd's algorithm over the pool's items). (`rand_distr`'s univariate
/// sampler, used before, panics, hangs or drifts from the law for pools beyond about 2^36 items.)
pub fn hypergeometric<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    mass: &[u64],
    total: u64,
    out: &mut [u64],
    scratch: &mut HypergeometricScratch,
) {
    debug_assert_eq!(mass.len(), out.len());
    debug_assert_eq!(mass.iter().sum::<u64>(), total);
    debug_assert!(n <= total);
    without_replacement(rng, n, mass, total, out, &mut scratch.levels, 0);
}

fn without_replacement<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    mass: &[u64],
    total: u64,
    out: &mut [u64],
    levels: &mut Vec<Vec<u64>>,
    depth: usize,
) {
    if n == 0 {
        out.fill(0);
        return;
    }
    if n >= total {
        out.copy_from_slice(mass);
        return;
    }
    if n <= MAX_PICKS {
        pick_items(rng, n, mass, total, out);
        return;
    }
    if total - n <= MAX_PICKS {
        // pick the items left behind
        pick_items(rng, total - n, mass, total, out);
        for (o, &m) in out.iter_mut().zip(mass) {
            *o = m - *o;
        }
        return;
    }
    let p = n as f64 / total as f64;
    let mut kept = 0u64;
    for (o, &m) in out.iter_mut().zip(mass) {
        let x = binomial(rng, m, p).min(m);
        *o = x;
        kept += x;
    }
    if kept == n {
        return;
    }
    if levels.len() <= depth {
        levels.resize_with(depth + 1, Vec::new);
    }
    let mut buffer = std::mem::take(&mut levels[depth]);
    buffer.resize(2 * mass.len(), 0);
    let (sub_mass, sub_out) = buffer.split_at_mut(mass.len());
    if kept > n {
        // drop kept - n of the kept items
        sub_mass.copy_from_slice(out);
        without_replacement(rng, kept - n, sub_mass, kept, sub_out, levels, depth + 1);
        for (o, &x) in out.iter_mut().zip(sub_out.iter()) {
            *o -= x;
        }
    } else {
        // add n - kept of the items not kept
        for ((s, &m), &o) in sub_mass.iter_mut().zip(mass).zip(out.iter()) {
            *s = m - o;
        }
        without_replacement(
            rng,
            n - kept,
            sub_mass,
            total - kept,
            sub_out,
            levels,
            depth + 1,
        );
        for (o, &x) in out.iter_mut().zip(sub_out.iter()) {
            *o += x;
        }
    }
    levels[depth] = buffer;
}

/// `n` <= [`MAX_PICKS`] distinct items of the pool, uniformly (Floyd's algorithm on the items'
/// positions 0..total), counted by atom.
fn pick_items<R: Rng + ?Sized>(rng: &mut R, n: u64, mass: &[u64], total: u64, out: &mut [u64]) {
    debug_assert!(n <= MAX_PICKS && n <= total);
    let mut chosen = [0u64; MAX_PICKS as usize];
    let n = n as usize;
    for (k, j) in (total - n as u64..total).enumerate() {
        let t = rng.random_range(0..=j);
        chosen[k] = if chosen[..k].contains(&t) { j } else { t };
    }
    let chosen = &mut chosen[..n];
    chosen.sort_unstable();
    out.fill(0);
    let (mut end, mut next) = (0u64, 0usize);
    for (o, &m) in out.iter_mut().zip(mass) {
        end += m;
        let start = next;
        while next < n && chosen[next] < end {
            next += 1;
        }
        *o = (next - start) as u64;
        if next == n {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{key_from_words, replicate_rng};

    /// Exact Binomial(n, p) probabilities over [lo, hi], by the pmf ratio recursion from the mode
    /// (computed in log space, so that large n is fine).
    fn binomial_pmf(n: u64, p: f64, lo: u64, hi: u64) -> Vec<f64> {
        let nf = n as f64;
        let mode = ((nf + 1.0) * p).floor().min(nf) as u64;
        let ln_ratio = |k: u64| ((nf - k as f64) / (k as f64 + 1.0) * p / (1.0 - p)).ln();
        // log pmf relative to the mode, then normalise over [lo, hi] plus the tails' mass, which
        // is negligible for the windows used here.
        let mut logs = vec![0.0; (hi - lo + 1) as usize];
        let mut acc = 0.0;
        for k in mode..hi {
            acc += ln_ratio(k);
            if k + 1 >= lo {
                logs[(k + 1 - lo) as usize] = acc;
            }
        }
        acc = 0.0;
        for k in (lo..mode).rev() {
            acc -= ln_ratio(k);
            logs[(k - lo) as usize] = acc;
        }
        let total: f64 = logs.iter().map(|l| l.exp()).sum();
        logs.iter().map(|l| l.exp() / total).collect()
    }

    /// Chi-square goodness of fit of `draws` Binomial(n, p) samples from `binomial` over a +-6 sd
    /// window (cells with expected counts below 5 pooled), against df + 6 sqrt(2 df).
    fn check_binomial(n: u64, p: f64, draws: u32) {
        check_sampler(n, p, draws, |rng| binomial(rng, n, p));
    }

    fn check_ratio(n: u64, num: u64, den: u64, draws: u32) {
        let p = num as f64 / den as f64;
        check_sampler(n, p, draws, |rng| binomial_ratio(rng, n, num, den));
    }

    fn check_sampler(
        n: u64,
        p: f64,
        draws: u32,
        mut sample: impl FnMut(&mut crate::engine::rng::ReplicateRng) -> u64,
    ) {
        let mut rng = replicate_rng(&key_from_words([n, p.to_bits(), 7, 7]), 0);
        let mean = n as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        let lo = (mean - 6.0 * sd).max(0.0).floor() as u64;
        let hi = ((mean + 6.0 * sd).ceil() as u64).min(n);
        let pmf = binomial_pmf(n, p, lo, hi);
        let mut counts = vec![0u64; pmf.len()];
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..draws {
            let k = sample(&mut rng);
            assert!(k <= n);
            let kf = k as f64;
            sum += kf;
            sum_sq += kf * kf;
            if (lo..=hi).contains(&k) {
                counts[(k - lo) as usize] += 1;
            }
        }
        let d = f64::from(draws);
        let (mut chi2, mut df, mut pool_obs, mut pool_exp) = (0.0, 0.0_f64, 0.0, 0.0);
        for (obs, prob) in counts.iter().zip(&pmf) {
            pool_obs += *obs as f64;
            pool_exp += prob * d;
            if pool_exp >= 5.0 {
                chi2 += (pool_obs - pool_exp).powi(2) / pool_exp;
                df += 1.0;
                pool_obs = 0.0;
                pool_exp = 0.0;
            }
        }
        let limit = df + 6.0 * (2.0 * df).sqrt();
        assert!(chi2 < limit, "n={n} p={p}: chi2 {chi2:.1} over {df} cells");
        let m = sum / d;
        let var = sum_sq / d - m * m;
        let se = sd / d.sqrt();
        assert!(
            (m - mean).abs() < 5.0 * se,
            "n={n} p={p}: mean {m} vs {mean}"
        );
        let var_se = sd * sd * (2.0 / d).sqrt();
        assert!(
            (var - sd * sd).abs() < 6.0 * var_se,
            "n={n} p={p}: var {var}"
        );
    }

    #[test]
    fn binomial_matches_its_distribution_on_every_algorithm() {
        // inversion from 0 (mean < 4, or n beyond the table with mean < 20), inversion from the
        // mode (n < 4096, mean >= 4, variance < 100) and BTRS, including the flipped p > 1/2
        // branch, the ln-factorial table (n < 4096) and Stirling's series (beyond), a huge n
        for (n, p) in [
            (20, 0.15),
            (1000, 0.003),
            (10_000, 0.001),
            (20, 0.3),
            (1000, 0.005),
            (20, 0.5),
            (25, 0.45),
            (60, 0.4),
            (4000, 0.024),
            (1000, 0.97),
            (1000, 0.3),
            (100_000, 0.5),
            (1_000_000_000_000, 1e-7),
        ] {
            check_binomial(n, p, 400_000);
        }
        // the integer-ratio entry, with its logarithms from tables and without
        for (n, num, den) in [
            (500, 3, 100),
            (1000, 90, 1000),
            (1000, 311, 1000),
            (90, 57, 80),
            (5000, 2, 9000),
        ] {
            check_ratio(n, num, den, 400_000);
        }
    }

    #[test]
    fn multinomial_sums_and_respects_zeros() {
        let mut rng = replicate_rng(&key_from_words([9, 9, 9, 9]), 0);
        let mass = [5, 0, 3, 2, 0, 10];
        let mut out = [0; 6];
        for n in [0, 1, 7, 1000, 1_000_000_000_000] {
            multinomial(&mut rng, n, &mass, 20, &mut out, &mut Vec::new());
            assert_eq!(out.iter().sum::<u64>(), n);
            assert_eq!(out[1], 0);
            assert_eq!(out[4], 0);
        }
    }

    #[test]
    fn grouped_atoms_have_multinomial_moments() {
        // a long run of equal masses and a run of unequal small ones (both drawn as groups,
        // by picks; the largest n also through the fallback chain) before larger atoms; every
        // atom's count has mean n p and variance n p (1 - p)
        let mut mass = vec![1u64; 20];
        mass.extend([2, 2, 3, 3, 4, 5, 6, 7, 40, 90]);
        let total: u64 = mass.iter().sum();
        for (n, seed) in [(30u64, 1u64), (400, 2), (5000, 3)] {
            let mut rng = replicate_rng(&key_from_words([seed, 0, 0, 0]), 0);
            let mut out = vec![0; mass.len()];
            let mut owner = Vec::new();
            let reps = 40_000u32;
            let mut sum = vec![0.0; mass.len()];
            let mut sum_sq = vec![0.0; mass.len()];
            for _ in 0..reps {
                multinomial(&mut rng, n, &mass, total, &mut out, &mut owner);
                assert_eq!(out.iter().sum::<u64>(), n);
                for ((s, s2), &x) in sum.iter_mut().zip(&mut sum_sq).zip(&out) {
                    *s += x as f64;
                    *s2 += (x * x) as f64;
                }
            }
            let r = f64::from(reps);
            for (i, &m) in mass.iter().enumerate() {
                let p = m as f64 / total as f64;
                let (mean, var) = (n as f64 * p, n as f64 * p * (1.0 - p));
                let got_mean = sum[i] / r;
                let got_var = sum_sq[i] / r - got_mean * got_mean;
                assert!(
                    (got_mean - mean).abs() < 5.0 * (var / r).sqrt(),
                    "n={n} atom {i}"
                );
                assert!(
                    (got_var - var).abs() < 6.0 * var * (2.0 / r).sqrt(),
                    "n={n} atom {i}"
                );
            }
        }
        assert!(starts_group(30, &mass, total));
        assert!(
            !starts_group(30, &mass[22..], total),
            "the eighth atom, 90, is too large"
        );
    }

    #[test]
    fn spread_by_picks_fallback_is_multinomial() {
        // x far above the group's mass takes the conditional-binomial chain
        let group = [1u64, 2, 3, 4];
        let mut rng = replicate_rng(&key_from_words([9, 1, 0, 0]), 0);
        let mut out = [0u64; 4];
        let mut owner = Vec::new();
        let (x, reps) = (1000u64, 20_000u32);
        let mut sum = [0.0; 4];
        for _ in 0..reps {
            spread_by_picks(&mut rng, x, &group, 10, &mut out, &mut owner);
            assert_eq!(out.iter().sum::<u64>(), x);
            for (s, &v) in sum.iter_mut().zip(&out) {
                *s += v as f64;
            }
        }
        for (i, &m) in group.iter().enumerate() {
            let p = m as f64 / 10.0;
            let se = (x as f64 * p * (1.0 - p) / f64::from(reps)).sqrt();
            assert!((sum[i] / f64::from(reps) - x as f64 * p).abs() < 5.0 * se);
        }
    }

    #[test]
    fn uniform_picks_are_uniform_when_a_quarter_of_the_halves_are_rejected() {
        // range 3 * 2^30: a 32-bit half is rejected with probability 1/4, so a bias in the
        // rejection would show in the three thirds of the range; an odd count uses the last
        // single 32-bit draw
        let mut rng = replicate_rng(&key_from_words([8, 8, 8, 8]), 0);
        let range = 3u32 << 30;
        let count = 300_001u64;
        let mut thirds = [0u64; 3];
        let mut seen = 0;
        uniform_picks(&mut rng, count, range, |i| {
            thirds[(i >> 30) as usize] += 1;
            seen += 1;
        });
        assert_eq!(seen, count);
        let expected = count as f64 / 3.0;
        let se = (count as f64 * (1.0 / 3.0) * (2.0 / 3.0)).sqrt();
        for t in thirds {
            assert!((t as f64 - expected).abs() < 5.0 * se, "{thirds:?}");
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
            multinomial(&mut rng, n, &mass, 10, &mut out, &mut Vec::new());
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

    /// Draws' mean within 5 standard errors of `mean`, and their variance within 20 % of `var`
    /// (where it is above 1), with deviations taken from the rounded mean so that counts near
    /// 2^62 lose no precision.
    fn check_moments(draws: &[u64], mean: f64, var: f64, what: &str) {
        let centre = mean.round() as u64;
        let r = draws.len() as f64;
        let dev = |x: u64| {
            if x >= centre {
                (x - centre) as f64
            } else {
                -((centre - x) as f64)
            }
        };
        let m = draws.iter().map(|&x| dev(x)).sum::<f64>() / r;
        let v = draws.iter().map(|&x| (dev(x) - m).powi(2)).sum::<f64>() / r;
        let want = mean - centre as f64;
        let se = (var / r).sqrt();
        assert!(
            (m - want).abs() <= 5.0 * se + 1e-12 * mean,
            "{what}: mean off by {}",
            m - want
        );
        if var > 1.0 {
            assert!((v / var - 1.0).abs() < 0.2, "{what}: variance {v} vs {var}");
        }
    }

    /// Binomials are exact for every n, up to 2^62 (BTRS's acceptance test once lost its
    /// precision beyond about 2^40, and its proposal's floor beyond 2^52).
    #[test]
    fn binomial_moments_hold_for_huge_n() {
        let mut rng = replicate_rng(&key_from_words([1, 2, 3, 4]), 0);
        for e in [13u32, 30, 44, 50, 52, 53, 60, 62] {
            for p in [0.5, 0.01, 1e-6, 1e-9] {
                let n = 1u64 << e;
                if (n as f64) * p < 30.0 {
                    continue;
                }
                let draws: Vec<u64> = (0..4000).map(|_| binomial(&mut rng, n, p)).collect();
                let (nf, q) = (n as f64, 1.0 - p);
                check_moments(&draws, nf * p, nf * p * q, &format!("Binomial(2^{e}, {p})"));
            }
        }
    }

    #[test]
    fn hypergeometric_without_replacement() {
        let mut rng = replicate_rng(&key_from_words([3, 0, 0, 0]), 0);
        let mut scratch = HypergeometricScratch::default();
        let mass = [4, 1, 0, 7];
        let mut out = [0; 4];
        for n in 0..=12 {
            hypergeometric(&mut rng, n, &mass, 12, &mut out, &mut scratch);
            assert_eq!(out.iter().sum::<u64>(), n);
            assert!(out.iter().zip(mass).all(|(x, m)| *x <= m));
        }
        hypergeometric(&mut rng, 12, &mass, 12, &mut out, &mut scratch);
        assert_eq!(out, mass);
    }

    /// Mean and variance of each atom's count against the hypergeometric law, for pools from a
    /// few hundred items (picks, one level of correction) to 2^62 (where `rand_distr`'s sampler
    /// panicked, hung or drifted).
    #[test]
    fn hypergeometric_moments_match_the_law_at_every_pool_size() {
        let mut rng = replicate_rng(&key_from_words([4, 1, 0, 2]), 0);
        let mut scratch = HypergeometricScratch::default();
        let cases: [(&[u64], u64); 7] = [
            (&[3, 50, 200, 7], 100),
            (&[3, 50, 200, 7], 230),
            (&[1 << 20, 3 << 20, 5], 1 << 19),
            (&[1 << 35, 1 << 35, 20], 10),
            (&[1 << 50, 3 << 50, 1 << 12], 1 << 30),
            (&[1 << 60, 1 << 61, 1], 1 << 53),
            (&[1 << 61, 1 << 61], 1 << 20),
        ];
        let reps = 4000u32;
        for (mass, n) in cases {
            let total: u64 = mass.iter().sum();
            let (nf, tf) = (n as f64, total as f64);
            let mut out = vec![0; mass.len()];
            let mut draws: Vec<Vec<u64>> = vec![Vec::new(); mass.len()];
            for _ in 0..reps {
                hypergeometric(&mut rng, n, mass, total, &mut out, &mut scratch);
                assert_eq!(out.iter().sum::<u64>(), n);
                for ((d, &x), &m) in draws.iter_mut().zip(&out).zip(mass) {
                    assert!(x <= m);
                    d.push(x);
                }
            }
            for (d, &m) in draws.iter().zip(mass) {
                let q = m as f64 / tf;
                let var = nf * q * (1.0 - q) * (tf - nf) / (tf - 1.0);
                check_moments(d, nf * q, var, &format!("{mass:?} {n}"));
            }
        }
    }

    /// The law of a small multivariate hypergeometric, exactly: frequencies of every outcome
    /// against its probability C(m1, x1) C(m2, x2) C(m3, x3) / C(total, n).
    #[test]
    fn hypergeometric_outcomes_have_their_exact_probabilities() {
        fn choose(n: u64, k: u64) -> f64 {
            (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
        }
        let mut rng = replicate_rng(&key_from_words([9, 9, 9, 9]), 1);
        let mut scratch = HypergeometricScratch::default();
        // n = 70 > MAX_PICKS: the binomial pass and its correction
        let mass = [40u64, 25, 35];
        let (total, n) = (100u64, 70u64);
        let reps = 200_000u32;
        let mut counts = std::collections::HashMap::new();
        let mut out = [0; 3];
        for _ in 0..reps {
            hypergeometric(&mut rng, n, &mass, total, &mut out, &mut scratch);
            *counts.entry((out[0], out[1])).or_insert(0u32) += 1;
        }
        let mut chi2 = 0.0;
        let mut cells = 0;
        for x0 in 0..=40u64 {
            for x1 in 0..=25u64 {
                let Some(x2) = n.checked_sub(x0 + x1).filter(|&x2| x2 <= 35) else {
                    continue;
                };
                let p = choose(40, x0) * choose(25, x1) * choose(35, x2) / choose(total, n);
                let expected = p * f64::from(reps);
                if expected < 5.0 {
                    continue;
                }
                let got = f64::from(*counts.get(&(x0, x1)).unwrap_or(&0));
                chi2 += (got - expected).powi(2) / expected;
                cells += 1;
            }
        }
        // chi-square with `cells` - 1 degrees of freedom: mean cells - 1, sd sqrt(2 cells)
        let df = f64::from(cells - 1);
        assert!(
            chi2 < df + 5.0 * (2.0 * df).sqrt(),
            "chi2 {chi2} over {cells} cells"
        );
    }
}

#[cfg(test)]
mod fixed_tests {
    use super::*;
    use crate::engine::rng::{key_from_words, replicate_rng};
    use crate::numerics::lnint::ln_factorial;

    #[test]
    fn alias_tables_reproduce_the_binomial_moments_and_tails() {
        let table = FixedBinomial::new(1000).unwrap();
        let mut rng = replicate_rng(&key_from_words([5, 5, 5, 5]), 0);
        for j in [1u64, 3, 17, 250, 500, 731, 999] {
            let p = j as f64 / 1000.0;
            let (mean, var) = (1000.0 * p, 1000.0 * p * (1.0 - p));
            let reps = 200_000u32;
            let (mut s, mut s2) = (0.0, 0.0);
            for _ in 0..reps {
                let k = table.sample(&mut rng, j) as f64;
                s += k;
                s2 += k * k;
            }
            let r = f64::from(reps);
            let m = s / r;
            let v = s2 / r - m * m;
            assert!((m - mean).abs() < 5.0 * (var / r).sqrt(), "j={j}: mean {m}");
            assert!(
                (v - var).abs() < 6.0 * var * (2.0 / r).sqrt(),
                "j={j}: var {v}"
            );
        }
        assert_eq!(table.sample(&mut rng, 0), 0);
        assert_eq!(table.sample(&mut rng, 1000), 1000);
        assert!(FixedBinomial::new(MAX_FIXED_N + 1).is_none());
    }

    #[test]
    fn alias_table_probabilities_match_the_pmf() {
        // Every outcome's alias-table probability equals the binomial pmf (to rounding).
        let (n, p) = (40u64, 0.3);
        let table = AliasTable::binomial(n, p);
        let bins = table.prob.len();
        let mut got = vec![0.0; bins];
        for i in 0..bins {
            got[i] += table.prob[i] / bins as f64;
            got[table.alias[i] as usize] += (1.0 - table.prob[i]) / bins as f64;
        }
        let mut pmf = (1.0 - p).powi(40);
        for k in 0..=n {
            if k >= table.lo && k < table.lo + table.len() {
                let have = got[(k - table.lo) as usize];
                assert!((have - pmf).abs() <= 1e-12 * pmf.max(1e-300), "k={k}");
            }
            pmf *= (n - k) as f64 / (k + 1) as f64 * p / (1.0 - p);
        }
        let tail: f64 = if table.has_tail { got[bins - 1] } else { 0.0 };
        let outside: f64 = (0..table.lo)
            .chain(table.lo + table.len()..=n)
            .map(pmf_at)
            .sum();
        assert!(
            (tail - outside).abs() <= 1e-12 * outside + 1e-300,
            "{tail} vs {outside}"
        );
        assert!(tail < 1e-12);
    }

    /// Binomial(40, 0.3)'s pmf.
    fn pmf_at(k: u64) -> f64 {
        let (n, p) = (40u64, 0.3f64);
        let mut f = (1.0 - p).powi(40);
        for j in 0..k {
            f *= (n - j) as f64 / (j + 1) as f64 * p / (1.0 - p);
        }
        f
    }

    #[test]
    fn tail_draws_follow_the_law_given_the_tail() {
        // Binomial(400, 0.3) leaves out 0..lo and lo + len..=400; a tail draw is outcome k with
        // probability f(k) / (tail mass): chi-square over the outcomes with enough expected
        // draws (pooling the rest), and no draw inside the table
        let (n, p) = (400u64, 0.3f64);
        let pmf = |k: u64| {
            (ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
                + k as f64 * p.ln()
                + (n - k) as f64 * (1.0 - p).ln())
            .exp()
        };
        let table = AliasTable::binomial(n, p);
        assert!(table.has_tail && table.lo > 0 && table.lo + table.len() <= n);
        let outside: Vec<u64> = (0..table.lo).chain(table.lo + table.len()..=n).collect();
        let mass: f64 = outside.iter().map(|&k| pmf(k)).sum();
        assert!((mass - (table.tail_below + table.tail_above)).abs() < 1e-9 * mass);
        let mut rng = replicate_rng(&key_from_words([6, 6, 6, 6]), 0);
        let draws = 200_000u32;
        let mut counts = std::collections::HashMap::new();
        for _ in 0..draws {
            let k = table.sample_tail(&mut rng);
            assert!(outside.contains(&k), "tail draw {k} inside the table");
            *counts.entry(k).or_insert(0u32) += 1;
        }
        let (mut chi2, mut cells, mut rest_expected, mut rest_seen) = (0.0, 0, 0.0, 0.0);
        for &k in &outside {
            let expected = pmf(k) / mass * f64::from(draws);
            let seen = f64::from(*counts.get(&k).unwrap_or(&0));
            if expected >= 5.0 {
                chi2 += (seen - expected).powi(2) / expected;
                cells += 1;
            } else {
                rest_expected += expected;
                rest_seen += seen;
            }
        }
        if rest_expected > 0.0 {
            chi2 += (rest_seen - rest_expected).powi(2) / rest_expected.max(1.0);
            cells += 1;
        }
        let df = f64::from(cells - 1);
        assert!(
            chi2 < df + 5.0 * (2.0 * df).sqrt() + 5.0,
            "chi2 {chi2} over {cells} cells"
        );
    }
}
