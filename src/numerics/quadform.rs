//! Tail probabilities of quadratic forms in Gaussian variables.
//!
//! [`quadform_sf`] gives P(Q > c) for Q = sum_i lambda_i (w_i + delta_i)^2 with w ~ N(0, I) and
//! lambda_i >= 0, from Imhof's (1961) inversion of the characteristic function,
//!
//! ```text
//! P(Q > c) = 1/2 + (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du,
//! ```
//!
//! where sin(theta(u)) / rho(u) = Im[phi(u/2) exp(-i u c/2)] and phi is the characteristic function
//! of Q. On the real u axis this integrand decays only like u^(-1 - k/2) while it oscillates with
//! period 4 pi / c: for two terms Imhof's truncation bound asks for u up to about 1e9 to reach an
//! error of 1e-10, and even exploiting the oscillation it is 1e5 periods, far too slow for a call
//! per simulated generation. The integrand is analytic, though, so the path of integration can be
//! moved (Cauchy's theorem). With s = i u / 2 the integral is the Bromwich integral
//! (1 / 2 pi i) int M(s) e^(-s c) ds / s of the moment generating function
//!
//! ```text
//! M(s) = prod_i (1 - 2 lambda_i s)^(-1/2) exp(delta_i^2 lambda_i s / (1 - 2 lambda_i s)),
//! ```
//!
//! and Imhof's 1/2 is half the residue of the pole at s = 0. The path used here crosses the real
//! axis at the saddle point sigma of M(s) e^(-s c) / s and follows the parabola
//! s(y) = sigma + a y^2 + i y, with a from the third derivative at the saddle, which approximates
//! the path of steepest descent (Rice 1980): along it the integrand falls off like a Gaussian in y
//! instead of oscillating. Taking sigma > 0 gives P(Q > c) directly; for c below the mean, sigma < 0
//! passes the pole on the other side and gives P(Q <= c), so both tails keep relative accuracy.
//!
//! The integral over y is done by the trapezoidal rule, which converges geometrically in the step
//! for such an integrand (Trefethen and Weideman 2014): a first step of a quarter of the width of
//! the Gaussian at the saddle out to where the terms are 1e-17 of the peak, then halving the step
//! until the sum settles. A large delta_i makes 1 / (2 lambda_i) an essential singularity near
//! which the integrand can be huge; the curvature a is capped so that the path stays clear of
//! those within its reach, and if the terms still rise again after falling, the path is bent less
//! and the sum restarted.
//!
//! The problem is first scaled so that max lambda_i = 1, which makes the result invariant under
//! (lambda, c) -> (t lambda, t c). One term is done in closed form with the normal tail.
//!
//! Accuracy: against exact chi-square values, series expansions (Ruben 1962), high-precision
//! quadrature and the same integral along other paths, the absolute error stays within a few
//! 1e-15 and the relative error of the smaller tail within about 1e-12, over thousands of random
//! forms with up to 200 terms, lambda ratios up to 1e8 and deltas up to 30. The one limit is the
//! conditioning of the problem itself: when the standard deviation of Q is a tiny fraction of c
//! (say 1e-7, from delta_i ~ 1e7), rounding c or the lambda_i delta_i^2 to doubles already moves
//! the answer by ~1e-10. Ten terms take about 5 to 10 microseconds.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Standard normal upper tail P(Z > x), accurate in the far tails (relative error a few ulp times
/// x^2 for large x, from rounding x / sqrt 2).
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x * FRAC_1_SQRT_2)
}

/// P(Q > c) where Q = sum_i lambda[i] * (w_i + delta[i])^2, w ~ N(0, I), lambda[i] >= 0.
///
/// Terms with lambda[i] == 0 are dropped; with none left Q = 0, and c <= 0 gives 1. One term is
/// done in closed form. The result is clamped to [0, 1]; its absolute error is below 1e-12 (see
/// the module documentation), with small relative error in both tails. Returns NaN if any input is
/// not finite, some lambda[i] < 0, some delta[i]^2 overflows, or the slices differ in length. Does
/// not allocate.
pub fn quadform_sf(lambda: &[f64], delta: &[f64], c: f64) -> f64 {
    if lambda.len() != delta.len() || !c.is_finite() {
        return f64::NAN;
    }
    let mut lambda_max = 0.0_f64;
    let mut terms = 0_usize;
    let mut last = (0.0, 0.0);
    for (&l, &d) in lambda.iter().zip(delta) {
        if !l.is_finite() || !(d * d).is_finite() || l < 0.0 {
            return f64::NAN;
        }
        if l > 0.0 {
            terms += 1;
            lambda_max = lambda_max.max(l);
            last = (l, d);
        }
    }
    if terms == 0 {
        return if c < 0.0 { 1.0 } else { 0.0 };
    }
    if c <= 0.0 {
        return 1.0;
    }
    if terms == 1 {
        let (l, d) = last;
        let r = (c / l).sqrt();
        return (normal_sf(r - d) + normal_sf(r + d)).clamp(0.0, 1.0);
    }
    // 1 / lambda_max overflows for subnormal lambda_max: then scale up by a power of two first.
    let pre_scale = if lambda_max < 1e-290 {
        2f64.powi(600)
    } else {
        1.0
    };
    let scaled_c = c / lambda_max;
    if scaled_c == f64::INFINITY {
        return 0.0;
    }
    let form = Form {
        lambda,
        delta,
        pre_scale,
        inv_scale: 1.0 / (lambda_max * pre_scale),
        c: scaled_c,
        terms: terms as f64,
    };
    form.sf().clamp(0.0, 1.0)
}

/// Trapezoidal steps per standard width of the Gaussian at the saddle point, before halving.
const STEPS_PER_WIDTH: f64 = 4.0;
/// The sum stops when two terms in a row fall below this fraction of the peak of the integrand.
const STOP_RATIO: f64 = 1e-17;
/// Relative change between successive halvings of the step that ends them (see `sf`) ...
const CONVERGED: f64 = 1e-13;
/// ... or by less than this times the summed scales of the rounding errors of the terms (when
/// they cancel heavily, or c and delta are so large that the exponent loses digits).
const ROUNDING: f64 = 1e-15;
/// At most this many halvings of the step (the second is rarely needed).
const MAX_HALVINGS: usize = 6;
/// A rise of the terms by this factor after a fall makes the path bend less ...
const RISE: f64 = 7.5;
/// ... at most this many times.
const MAX_ATTEMPTS: usize = 6;
/// Cap on the number of nodes at the first step, and on halving beyond it (a guard: typically 20
/// to 100 nodes are used in all).
const MAX_NODES: usize = 4000;

/// The running product of the 1 - 2 lambda_i s at a node is rescaled by 2^(-+RESCALE_BITS) when
/// its size leaves [RESCALE_BELOW, RESCALE_ABOVE] (k = 1000 terms at 0.5 would underflow).
const RESCALE_BITS: i32 = 300;
const RESCALE_BELOW: f64 = 1e-100;
const RESCALE_ABOVE: f64 = 1e100;

/// A form with at least two positive terms, scaled so that max lambda = 1, and c > 0.
struct Form<'a> {
    lambda: &'a [f64],
    delta: &'a [f64],
    /// lambda_i is used as (lambda_i pre_scale) inv_scale, which is lambda_i / max lambda.
    pre_scale: f64,
    inv_scale: f64,
    /// The scaled threshold c / max lambda.
    c: f64,
    /// Number of positive terms.
    terms: f64,
}

/// The integrand at a node: |g|, Im g (what is summed) and a scale of its rounding error.
struct Node {
    size: f64,
    value: f64,
    rounding: f64,
}

/// (real, imaginary) parts; the little complex arithmetic needed, written out.
#[derive(Clone, Copy)]
struct C64 {
    re: f64,
    im: f64,
}

impl<'a> Form<'a> {
    /// The positive terms as (scaled lambda, delta^2).
    #[inline]
    fn terms(&self) -> impl Iterator<Item = (f64, f64)> + 'a {
        let (pre, inv) = (self.pre_scale, self.inv_scale);
        self.lambda
            .iter()
            .zip(self.delta)
            .filter(|&(&l, _)| l > 0.0)
            .map(move |(&l, &d)| (l * pre * inv, d * d))
    }

    /// E[Q] (scaled).
    fn mean(&self) -> f64 {
        self.terms().map(|(l, d2)| l * (1.0 + d2)).sum()
    }

    /// First three derivatives of Phi(s) = K(s) - s c - ln|s| for real s < 1/2, s != 0, where K is
    /// the cumulant generating function ln M.
    fn phi_derivs(&self, s: f64) -> (f64, f64, f64) {
        let (mut k1, mut k2, mut k3) = (0.0, 0.0, 0.0);
        for (l, d2) in self.terms() {
            let v = 1.0 / (1.0 - 2.0 * l * s);
            let lv = l * v;
            k1 += lv * (1.0 + d2 * v);
            k2 += 2.0 * lv * lv * (1.0 + 2.0 * d2 * v);
            k3 += 8.0 * lv * lv * lv * (1.0 + 3.0 * d2 * v);
        }
        let r = 1.0 / s;
        (k1 - self.c - r, k2 + r * r, k3 - 2.0 * r * r * r)
    }

    /// Phi(s) = K(s) - s c - ln|s| for real s < 1/2, s != 0.
    fn phi(&self, s: f64) -> f64 {
        let k: f64 = self
            .terms()
            .map(|(l, d2)| {
                let z = 1.0 - 2.0 * l * s;
                -0.5 * z.ln() + d2 * l * s / z
            })
            .sum();
        k - s * self.c - s.abs().ln()
    }

    /// The saddle point of Phi on (0, 1/2) (`upper`) or on (-inf, 0): the root of Phi', which is
    /// increasing there, by Newton's method kept inside a bracket.
    fn saddle(&self, upper: bool) -> f64 {
        let (mut lo, mut hi, mut s);
        if upper {
            (lo, hi) = (0.0, 0.5);
            // The saddle of a chi-square with `terms` degrees of freedom (plus the 1/s pull).
            s = (0.5 - 0.5 * (self.terms + 2.0) / (self.c + 2.0)).clamp(0.05, 0.45);
        } else {
            // There Phi'(s) -> -c < 0 as s -> -inf and -> +inf as s -> 0-.
            hi = 0.0;
            s = -(0.5 * self.terms + 1.0) / self.c;
            while self.phi_derivs(s).0 > 0.0 {
                hi = s;
                s *= 2.0;
            }
            lo = s;
            s = 0.5 * (lo + hi);
        }
        for _ in 0..100 {
            let (f, df, _) = self.phi_derivs(s);
            if f > 0.0 {
                hi = s;
            } else {
                lo = s;
            }
            let mut next = s - f / df;
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            let done = (next - s).abs() <= 1e-9 * s.abs();
            s = next;
            if done {
                break;
            }
        }
        s
    }

    /// The integrand g = M(s) e^(-s c) s'(y) / (s e^shift) at node y of the path
    /// s(y) = sigma + a y^2 + i y.
    #[inline]
    fn node(&self, sigma: f64, a: f64, shift: f64, y: f64) -> Node {
        let s = C64 {
            re: sigma + a * y * y,
            im: y,
        };
        // prod_i (1 - 2 lambda_i s), kept as a running product `p` (rescaled when large) whose
        // argument is followed through crossings of the negative real axis: each factor has its
        // argument in (-pi, 0) for y > 0, so the product turns clockwise by less than pi per factor
        // and a crossing shows as Im going from negative to non-negative.
        let mut p = C64 { re: 1.0, im: 0.0 };
        let mut ln_scale = 0.0;
        let mut turns = 0.0;
        // sum_i delta_i^2 lambda_i s / (1 - 2 lambda_i s)
        let mut d = C64 { re: 0.0, im: 0.0 };
        for (l, d2) in self.terms() {
            let z = C64 {
                re: 1.0 - 2.0 * l * s.re,
                im: -2.0 * l * s.im,
            };
            let q = C64 {
                re: p.re * z.re - p.im * z.im,
                im: p.re * z.im + p.im * z.re,
            };
            if p.im < 0.0 && q.im >= 0.0 {
                turns += 1.0;
            }
            p = q;
            let size = p.re.abs() + p.im.abs();
            if !(RESCALE_BELOW..=RESCALE_ABOVE).contains(&size) {
                // exact powers of two; the argument is unchanged
                let k = if size > 1.0 {
                    -RESCALE_BITS
                } else {
                    RESCALE_BITS
                };
                let f = f64::from(k).exp2();
                p.re *= f;
                p.im *= f;
                ln_scale -= f64::from(k) * std::f64::consts::LN_2;
            }
            if d2 > 0.0 {
                // d2 l s / z = d2 l s conj(z) / |z|^2
                let w = d2 * l / (z.re * z.re + z.im * z.im);
                d.re += w * (s.re * z.re + s.im * z.im);
                d.im += w * (s.im * z.re - s.re * z.im);
            }
        }
        let arg = p.im.atan2(p.re) - 2.0 * PI * turns;
        // M e^(-s c) = prod^(-1/2) e^(d - s c), with |prod| = |p| e^ln_scale
        let mag = (d.re - self.c * s.re - 0.5 * ln_scale - shift).exp()
            / (p.re * p.re + p.im * p.im).sqrt().sqrt();
        let phase = -0.5 * arg + d.im - self.c * s.im;
        // s'(y) / s with s' = 2 a y + i
        let ds = C64 {
            re: 2.0 * a * y,
            im: 1.0,
        };
        let n = s.re * s.re + s.im * s.im;
        let r = C64 {
            re: (ds.re * s.re + ds.im * s.im) / n,
            im: (ds.im * s.re - ds.re * s.im) / n,
        };
        let (sin, cos) = phase.sin_cos();
        let size = mag * (r.re * r.re + r.im * r.im).sqrt();
        // The exponent is a sum of parts up to this large, so rounding errs by about EPSILON
        // times it (relative): large for a large c with a large delta.
        let spread = 1.0 + self.c * (s.re.abs() + s.im) + d.re.abs() + d.im.abs() + arg.abs();
        Node {
            size,
            value: mag * (sin * r.re + cos * r.im),
            rounding: size * spread,
        }
    }

    /// The largest curvature a of the path s(y) = sigma + a y^2 + i y that is safe.
    ///
    /// Term i has a branch point at s_i = 1 / (2 lambda_i) > sigma; with delta_i != 0 it is also an
    /// essential singularity, near which Re[delta_i^2 lambda_i s / (1 - 2 lambda_i s)] is large.
    /// With x = 1 - 2 lambda_i sigma, u = 2 lambda_i / x and r = sqrt(u / a) < 1, the real part of
    /// that exponent rises along the path above its value at the saddle by at most
    /// A (1 - r)^2 / (r (2 - r)), A = delta_i^2 / (2 x), at Re s - sigma = (1 - r) / u, where the
    /// factor e^(-s c) has fallen by c (1 - r) / u. A bump is harmless if it stays below e^GROWTH
    /// times the peak (then the trapezoidal rule still resolves it) or if it is under half of the
    /// fall there and the fall is at least 2 DROP: then the bump is below e^(-DROP) times the peak.
    /// For a <= u there is no bump at all. The path must also keep the singularities of the
    /// integrand well away from the real y axis, which a <= 1 / (4 width) does.
    fn curvature_cap(&self, sigma: f64, width: f64, a: f64) -> f64 {
        const GROWTH: f64 = 1.0;
        const DROP: f64 = 40.0;
        // How far right the path gets before its terms are negligible, with a margin: twice the
        // y at which the Gaussian of the saddle has fallen to STOP_RATIO.
        let reach = a * (2.0 * width).powi(2) * 2.0 * -STOP_RATIO.ln();
        let mut cap = 0.25 / width;
        for (l, d2) in self.terms() {
            if d2 == 0.0 {
                continue;
            }
            let x = 1.0 - 2.0 * l * sigma;
            let u = 2.0 * l / x;
            let amp = 0.5 * d2 / x;
            let q = amp * u / self.c;
            // Along the path the exponent of this term rises against the fall of e^(-s c) at the
            // rate q = A u / c, and faster, 1 / (1 - t) times, at Re s - sigma = t / u, which
            // matters once t nears 1 - q. A term whose bump lies well beyond the reach is harmless
            // (a constant-like term: tiny lambda_i, moderate lambda_i delta_i^2).
            if 2.0 * reach * u < 1.0 - q {
                continue;
            }
            // The smallest admissible r for a bump below e^GROWTH: A (1 - r)^2 = GROWTH r (2 - r),
            // written without cancellation.
            let root = (amp + GROWTH).sqrt();
            let mut r = amp / ((root + GROWTH.sqrt()) * root);
            // ... and for a bump below half the fall: A (1 - r) = (c / 2u) r (2 - r), that is
            // 1 - r = 1 / (q + sqrt(q^2 + 1)), if the fall there is >= 2 DROP.
            let hyp = q.hypot(1.0);
            let r_fall = (q + q * q / (hyp + 1.0)) / (q + hyp);
            if self.c * (1.0 - r_fall) >= 2.0 * DROP * u {
                r = r.min(r_fall);
            }
            cap = cap.min(u / (r * r));
        }
        cap
    }

    fn sf(&self) -> f64 {
        let upper = self.c >= self.mean();
        if !upper && self.c < 1e-34 {
            // P(Q <= c) <= P(|w_1 + delta_1| <= sqrt c) < 0.8 sqrt c: 1 to double precision.
            return 1.0;
        }
        let sigma = self.saddle(upper);
        let (_, d2, d3) = self.phi_derivs(sigma);
        let ln_peak = self.phi(sigma);
        if ln_peak < -800.0 {
            return if upper { 0.0 } else { 1.0 };
        }
        let width = 1.0 / d2.sqrt();
        // Curvature of the parabola of steepest descent at the saddle, kept positive (the factor
        // e^(-s c) then decays like exp(-c a y^2)) and small enough that the singularities of the
        // integrand stay well away from the real y axis.
        let steepest = (d3 / (6.0 * d2)).max(0.05 / width.max(sigma.abs()));
        let mut a = steepest.min(self.curvature_cap(sigma, width, steepest));
        // Trapezoidal sums T(h) = h [g(0) / 2 + sum_j g(j h)], first with step h0 out to where the
        // terms are negligible, then halving the step by adding the midpoints over the same range.
        // Once the rule converges geometrically the error of T(h / 2) is far below the change
        // T(h) - T(h / 2); the bound asked of the change also guards the slower start of that
        // convergence when a large delta puts a singularity near the path. The integrand is taken
        // relative to its peak e^ln_peak at the saddle.
        let mut h = width / STEPS_PER_WIDTH;
        // Node y = 0: s = sigma, s' = i, Im g = M(sigma) e^(-sigma c) / sigma = +-e^ln_peak.
        let g0 = 0.5 * sigma.signum();
        let mut sum;
        let mut rounding;
        let mut nodes;
        let mut attempts = 0;
        'path: loop {
            sum = g0;
            rounding = 0.0;
            nodes = 0_usize;
            let mut small = 0;
            let mut lowest = 1.0_f64;
            while nodes < MAX_NODES {
                nodes += 1;
                let node = self.node(sigma, a, ln_peak, nodes as f64 * h);
                let size = node.size;
                sum += node.value;
                rounding += node.rounding;
                // The terms should fall off; a rise after a fall means the path has come too close
                // to a singularity with a large delta: bend it less and start again.
                if size > lowest * RISE && size > STOP_RATIO && attempts < MAX_ATTEMPTS {
                    attempts += 1;
                    a *= 0.25;
                    continue 'path;
                }
                lowest = lowest.min(size);
                if size < STOP_RATIO {
                    small += 1;
                    if small == 2 {
                        break;
                    }
                } else {
                    small = 0;
                }
            }
            break;
        }
        let mut previous = h * sum;
        for _ in 0..MAX_HALVINGS {
            if nodes > MAX_NODES {
                break;
            }
            for i in 0..nodes {
                let node = self.node(sigma, a, ln_peak, (i as f64 + 0.5) * h);
                sum += node.value;
                rounding += node.rounding;
            }
            h *= 0.5;
            nodes *= 2;
            let current = h * sum;
            let converged =
                (current - previous).abs() <= CONVERGED * current.abs() + ROUNDING * h * rounding;
            previous = current;
            if converged {
                break;
            }
        }
        let integral = previous * ln_peak.exp() / PI;
        if upper {
            integral
        } else {
            1.0 + integral
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results: 0, 1, and the same computation twice
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;

    /// |got - want| <= tol times the smaller tail min(want, 1 - want).
    fn assert_tail_close(got: f64, want: f64, tol: f64, what: &str) {
        let tail = want.min(1.0 - want);
        assert!(
            (got - want).abs() <= tol * tail,
            "{what}: got {got:e}, want {want:e}, relative error {:e}",
            (got - want).abs() / tail
        );
    }

    /// P(chi-square(2m) > x) = e^(-x/2) sum_{i<m} (x/2)^i / i!, and the next term (the terms
    /// are formed in logs, so that e^(-x/2) may underflow).
    fn chi2_even_sf(m: usize, x: f64) -> (f64, f64) {
        let h = 0.5 * x;
        let mut ln_term = -h;
        let mut sum = 0.0;
        for i in 0..m {
            sum += ln_term.exp();
            ln_term += (h / (i + 1) as f64).ln();
        }
        (sum, ln_term.exp())
    }

    /// Ruben's (1962) expansion of P(Q > c) for lambda_i > 0 as a mixture of
    /// beta * chi-square(N + 2k), beta = min lambda, N = number of terms (even here, so that the
    /// chi-square tails are finite sums): an independent reference for unequal lambdas.
    fn ruben_sf(lambda: &[f64], delta: &[f64], c: f64) -> f64 {
        let n = lambda.len();
        assert!(n % 2 == 0);
        let beta = lambda.iter().copied().fold(f64::INFINITY, f64::min);
        let x = c / beta;
        let ln_a0: f64 = lambda
            .iter()
            .zip(delta)
            .map(|(l, d)| 0.5 * (beta / l).ln() - 0.5 * d * d)
            .sum();
        // a_k = (1/k) sum_{r<k} g_{k-r} a_r with
        // g_j = 1/2 sum_i gamma_i^j + j beta / 2 sum_i delta_i^2 / lambda_i gamma_i^(j-1)
        let mut a = vec![ln_a0.exp()];
        let mut g = vec![0.0];
        let (mut tail, mut next) = chi2_even_sf(n / 2, x);
        let mut total = a[0];
        let mut p = a[0] * tail;
        let mut k = 1;
        // the weights a_k >= 0 sum to 1 and fall off geometrically once past their peak
        while total < 0.5 || a[k - 1] > 1e-18 * total {
            assert!(k < 20_000, "Ruben series did not converge");
            g.push(
                lambda
                    .iter()
                    .zip(delta)
                    .map(|(l, d)| {
                        let gamma = 1.0 - beta / l;
                        0.5 * gamma.powi(k as i32)
                            + 0.5 * k as f64 * beta * d * d / l * gamma.powi(k as i32 - 1)
                    })
                    .sum(),
            );
            let ak = (0..k).map(|r| g[k - r] * a[r]).sum::<f64>() / k as f64;
            a.push(ak);
            // P(chi-square(n + 2k) > x) = P(chi-square(n + 2k - 2) > x) + next
            tail += next;
            next *= 0.5 * x / (n / 2 + k) as f64;
            total += ak;
            p += ak * tail;
            k += 1;
        }
        assert!((total - 1.0).abs() < 1e-13, "Ruben weights sum to {total}");
        p
    }

    #[test]
    fn central_chi_square() {
        // k = 2: exactly exp(-c/2), into the far tail
        for c in [1e-3, 0.5, 2.0, 7.0, 30.0, 100.0, 700.0] {
            let got = quadform_sf(&[1.0, 1.0], &[0.0, 0.0], c);
            assert_tail_close(got, (-0.5 * c).exp(), 1e-12, &format!("k=2 c={c}"));
        }
        // k = 10 against the finite sum for even degrees of freedom
        let ones = [1.0; 10];
        let zeros = [0.0; 10];
        for c in [0.5, 3.0, 9.342, 15.0, 25.0, 60.0, 150.0] {
            let got = quadform_sf(&ones, &zeros, c);
            assert_tail_close(got, chi2_even_sf(5, c).0, 1e-12, &format!("k=10 c={c}"));
        }
        // the tabled 0.95 and 0.99 quantiles (given to 8 digits)
        assert!((quadform_sf(&ones, &zeros, 18.307_038) - 0.05).abs() < 1e-8);
        assert!((quadform_sf(&ones, &zeros, 23.209_251) - 0.01).abs() < 1e-8);
    }

    #[test]
    fn many_terms() {
        // k = 1000, where the running product of the factors must be rescaled at every node;
        // reference values of the chi-square(1000) tail from mpmath (30 digits)
        let ones = vec![1.0; 1000];
        let zeros = vec![0.0; 1000];
        for (c, want) in [
            (850.0, 0.999_786_740_002_297_1),
            (1000.0, 0.494_052_853_829_239_64),
            (1150.0, 6.535_276_058_492_331e-4),
            (1450.0, 3.629_502_331_596_183e-19),
        ] {
            let got = quadform_sf(&ones, &zeros, c);
            assert_tail_close(got, want, 1e-11, &format!("k=1000 c={c}"));
        }
    }

    #[test]
    fn single_term_closed_form() {
        // reference values from mpmath (30 digits)
        let cases = [
            // P(w^2 > 49) = 2 P(Z > 7)
            (1.0, 0.0, 49.0, 2.559_625_087_771_67e-12),
            // P(2.5 (w + 1.3)^2 > 172.225) = P(Z > 7) + P(Z > 9.6)
            (2.5, 1.3, 172.225, 1.279_812_544_285_559e-12),
            (0.5, -0.4, 30.0, 1.023_267_542_891_003e-13),
        ];
        for (l, d, c, want) in cases {
            let got = quadform_sf(&[l], &[d], c);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "lambda={l} delta={d} c={c}: got {got:e}, want {want:e}"
            );
            // zero terms are dropped, leaving the closed form
            assert_eq!(quadform_sf(&[0.0, l, 0.0], &[5.0, d, -1.0], c), got);
        }
        assert!((normal_sf(7.0) - 1.279_812_543_885_835e-12).abs() < 1e-12 * 1.28e-12);
        assert!((normal_sf(37.0) - 5.725_571_222_524_577e-300).abs() < 1e-12 * 5.73e-300);
        assert!((normal_sf(-1.5) + normal_sf(1.5) - 1.0).abs() < 1e-15);
        assert!(normal_sf(0.0) == 0.5 && normal_sf(f64::INFINITY) == 0.0);
    }

    #[test]
    fn two_equal_noncentral_terms_against_poisson_mixture() {
        // s (w1 + a)^2 + s (w2 + b)^2 = s * noncentral chi-square(2, a^2 + b^2): a Poisson(mu)
        // mixture of central chi-square(2 + 2j) tails, mu = (a^2 + b^2) / 2.
        for (s, a, b) in [(0.7, 1.5, -2.0), (3.0, 0.2, 0.0), (1.0, 4.0, 3.0)] {
            let mu: f64 = 0.5 * (a * a + b * b);
            let mean = s * (2.0 + a * a + b * b);
            for f in [0.05, 0.3, 0.8, 1.0, 1.3, 2.0, 3.5] {
                let c = f * mean;
                let x = c / s;
                let (mut weight, mut total, mut want) = ((-mu).exp(), 0.0, 0.0);
                let (mut tail, mut next) = chi2_even_sf(1, x);
                let mut j = 0_u32;
                while f64::from(j) < mu || weight > 1e-18 {
                    want += weight * tail;
                    total += weight;
                    tail += next;
                    next *= 0.5 * x / f64::from(j + 2);
                    j += 1;
                    weight *= mu / f64::from(j);
                }
                assert!((total - 1.0).abs() < 1e-14);
                let got = quadform_sf(&[s, s], &[a, b], c);
                assert!(
                    (got - want).abs() < 1e-12,
                    "s={s} a={a} b={b} c={c}: got {got:e}, want {want:e}"
                );
            }
        }
    }

    #[test]
    fn unequal_terms_against_ruben_series() {
        let lambda = [2.0, 1.3, 0.9, 0.4];
        let delta = [0.5, -1.0, 0.0, 2.5];
        for c in [0.3, 2.0, 6.0, 10.0, 16.0, 30.0, 60.0] {
            let got = quadform_sf(&lambda, &delta, c);
            let want = ruben_sf(&lambda, &delta, c);
            assert!(
                (got - want).abs() < 1e-12,
                "c={c}: got {got:e}, want {want:e}"
            );
        }
    }

    #[test]
    fn large_noncentrality() {
        // Large deltas put essential singularities of the integrand near the path. References:
        // the same inversion integral in mpmath (30 digits, tanh-sinh quadrature along two
        // different paths, which agree to 20 digits).
        let far_tail = quadform_sf(
            &[
                0.285_336_6,
                0.211_183_9,
                0.952_731_5,
                0.111_316_3,
                0.325_286_6,
            ],
            &[10.680_995, 0.0, 0.0, 3.692_960, 0.0],
            111.977_147,
        );
        let want = 6.176_076_921_306_143e-16;
        assert!((far_tail - want).abs() < 1e-12 * want, "{far_tail:e}");
        let lambda = [
            0.203_288, 0.552_986, 0.224_618, 0.411_244, 0.139_452, 0.238_082, 0.324_097, 0.434_585,
            0.131_832, 0.600_344, 0.550_223, 0.504_471, 0.396_285, 0.530_186, 0.138_991, 0.191_447,
            0.336_950, 0.377_795,
        ];
        let delta = [
            7.495_68, 0.0, -4.829_94, -18.397_99, 2.807_01, -8.195_82, -21.557_06, -1.537_57, 0.0,
            0.0, 12.983_21, 0.0, 0.0, -8.177_55, -5.578_78, -13.561_09, 1.451_19, -0.490_18,
        ];
        let middle = quadform_sf(&lambda, &delta, 499.413_869);
        assert!((middle - 0.493_950_194_941_638_8).abs() < 1e-12, "{middle}");
        let lambda = [
            1.0, 0.781_606, 0.021_861, 0.161_179, 0.029_509, 0.029_814, 0.048_21, 0.066_169,
            0.016_449, 0.802_005, 0.020_257, 0.375_508, 0.053_303, 0.013_055, 0.034_217, 0.505_361,
        ];
        let delta = [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -19.486_83, -18.744_47, -18.442_5, 0.147_97, 17.383_18,
            0.0, 0.0, 4.924_85, 0.0, 0.0,
        ];
        let small_lambdas = quadform_sf(&lambda, &delta, 85.5652);
        let want = 1.065_541_685_420_598_5e-6;
        assert!(
            (small_lambdas - want).abs() < 1e-12 * want,
            "{small_lambdas:e}"
        );
        // Collapsed directions: tiny lambda_i with lambda_i delta_i^2 = 1, nearly constants.
        let collapsed = quadform_sf(
            &[1.0, 0.5, 1e-6, 1e-10, 1e-14],
            &[0.3, -1.0, 1e3, 1e5, 1e7],
            10.0,
        );
        assert!(
            (collapsed - 0.028_862_277_268_760_92).abs() < 1e-12,
            "{collapsed}"
        );
    }

    #[test]
    fn unequal_terms_against_monte_carlo() {
        let lambda = [3.0, 1.0, 0.5, 0.2, 0.05];
        let delta = [0.3, -1.2, 2.0, 0.0, 4.0];
        let cs = [2.0, 6.0, 12.0, 25.0];
        let draws = 1_000_000;
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_1961);
        let mut above = [0_u32; 4];
        for _ in 0..draws {
            let q: f64 = lambda
                .iter()
                .zip(&delta)
                .map(|(l, d)| {
                    let w: f64 = rng.sample(StandardNormal);
                    l * (w + d) * (w + d)
                })
                .sum();
            for (count, &c) in above.iter_mut().zip(&cs) {
                *count += u32::from(q > c);
            }
        }
        for (&count, &c) in above.iter().zip(&cs) {
            let estimate = f64::from(count) / f64::from(draws);
            let p = quadform_sf(&lambda, &delta, c);
            let se = (p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!(
                (estimate - p).abs() < 5.0 * se,
                "c={c}: quadform_sf {p}, Monte Carlo {estimate} (se {se:e})"
            );
        }
    }

    #[test]
    fn scale_invariance() {
        let forms: [(&[f64], &[f64]); 3] = [
            (&[1.0, 1.0, 1.0], &[0.0, 0.0, 0.0]),
            (&[2.0, 0.7, 0.01], &[1.0, -3.0, 10.0]),
            (&[1e-3, 5.0], &[0.0, 0.5]),
        ];
        for (lambda, delta) in forms {
            let mean: f64 = lambda
                .iter()
                .zip(delta)
                .map(|(l, d)| l * (1.0 + d * d))
                .sum();
            for f in [0.1, 0.9, 1.1, 3.0] {
                let c = f * mean;
                let p = quadform_sf(lambda, delta, c);
                for t in [1e-200, 1e-7, 0.3, 17.0, 1e9, 1e250] {
                    let scaled: Vec<f64> = lambda.iter().map(|l| l * t).collect();
                    let q = quadform_sf(&scaled, delta, c * t);
                    assert!((p - q).abs() < 1e-12, "t={t} c={c}: {p} vs {q}");
                }
            }
        }
    }

    #[test]
    fn degenerate_inputs() {
        let nan = f64::NAN;
        assert!(quadform_sf(&[1.0, nan], &[0.0, 0.0], 1.0).is_nan());
        assert!(quadform_sf(&[1.0, 1.0], &[0.0, f64::INFINITY], 1.0).is_nan());
        assert!(quadform_sf(&[1.0, f64::INFINITY], &[0.0, 0.0], 1.0).is_nan());
        assert!(quadform_sf(&[1.0, -0.5], &[0.0, 0.0], 1.0).is_nan());
        assert!(quadform_sf(&[1.0, 1.0], &[0.0, 0.0], nan).is_nan());
        assert!(quadform_sf(&[1.0, 1.0], &[0.0, 0.0], f64::INFINITY).is_nan());
        assert!(quadform_sf(&[1.0], &[0.0, 0.0], 1.0).is_nan());
        // no terms: Q = 0
        assert_eq!(quadform_sf(&[], &[], -1.0), 1.0);
        assert_eq!(quadform_sf(&[], &[], 0.0), 0.0);
        assert_eq!(quadform_sf(&[0.0, 0.0], &[1.0, 2.0], 0.5), 0.0);
        assert_eq!(quadform_sf(&[0.0, 0.0], &[1.0, 2.0], -0.5), 1.0);
        // c <= 0 with some lambda > 0
        assert_eq!(quadform_sf(&[1.0, 2.0], &[0.0, 1.0], 0.0), 1.0);
        assert_eq!(quadform_sf(&[1.0, 2.0], &[0.0, 1.0], -3.0), 1.0);
        // zero terms are dropped
        let p = quadform_sf(&[1.0, 2.0], &[0.3, 1.0], 4.0);
        assert_eq!(
            quadform_sf(&[0.0, 1.0, 0.0, 2.0], &[7.0, 0.3, 1.0, 1.0], 4.0),
            p
        );
        // extreme thresholds and scales stay in [0, 1]
        assert!(quadform_sf(&[1.0, 1.0], &[0.0, 0.0], 1e-300) == 1.0);
        assert!(quadform_sf(&[1.0, 1.0], &[0.0, 0.0], 1e300) == 0.0);
        assert!(quadform_sf(&[1e-310, 2e-310], &[0.0, 1.0], 1.0) == 0.0);
        let tiny = quadform_sf(&[1e-310, 2e-310], &[0.0, 1.0], 3e-310);
        assert!((tiny - quadform_sf(&[1.0, 2.0], &[0.0, 1.0], 3.0)).abs() < 1e-12);
        // a negligible second term changes nothing visible
        let single = quadform_sf(&[1.0], &[0.5], 3.0);
        assert!((quadform_sf(&[1.0, 1e-300], &[0.5, 2.0], 3.0) - single).abs() < 1e-15);
    }
}
