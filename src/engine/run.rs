//! The replicate loop every setting runs on: every replicate owns one model state,
//! steps it one generation at a time on its own random stream and records its metrics at
//! iterations 0, 1, stride, 2 stride, ... and the last into its own output row (DESIGN §4).

use crate::engine::control::Control;
use crate::engine::exec;
use crate::engine::rng::{fast_rng, FastRng, RootKey};
use crate::error::{invalid, SimResult};

/// What to record: `iterations` generations after the real distribution, every `stride`-th one,
/// and always iterations 0 and 1 (the real distribution and the real-data-only model) and the
/// last, which every definition of collapse compares.
#[derive(Debug, Clone, Copy)]
pub struct Recording {
    /// Generations after the real distribution (iteration 0).
    pub iterations: u64,
    /// Record iterations 0, 1, stride, 2 stride, ... and `iterations`.
    pub stride: u64,
}

impl Recording {
    /// Number of recorded iterations.
    pub fn recorded(&self) -> usize {
        match self.iterations {
            0 => 1,
            t => self.position(t) + 1,
        }
    }

    /// Where iteration `t` goes in a recorded row, or None if it is not recorded.
    pub fn slot(&self, t: u64) -> Option<usize> {
        let recorded = t <= 1 || t % self.stride == 0 || t == self.iterations;
        (recorded && t <= self.iterations).then(|| self.position(t))
    }

    /// How many recorded iterations lie at or before iteration `t`.
    pub fn recorded_through(&self, t: u64) -> usize {
        match self.slot(t) {
            Some(j) => j + 1,
            None if t >= self.iterations => self.recorded(),
            None => self.position(t),
        }
    }

    /// The index of a recorded iteration `t`: how many recorded iterations come before it.
    fn position(&self, t: u64) -> usize {
        if t <= 1 {
            return t as usize;
        }
        // 0 and 1, then the multiples of stride below t other than 1 (itself when stride = 1)
        let multiples = (t - 1) / self.stride - u64::from(self.stride == 1);
        (2 + multiples) as usize
    }
}

/// One replicate's model as the loop sees it, stepped on its replicate's stream.
pub trait Generation {
    /// Cancellation is checked and progress reported once this much work (in the unit of
    /// [`Generation::work`]) has been done, about a millisecond.
    const CHECK_WORK: u64 = 1 << 20;
    /// Write the real distribution's metrics (iteration 0): metric k goes to `out[k * step]`.
    fn record_real(&mut self, out: &mut [f64], step: usize, control: &Control);
    /// Fit the next generation's model.
    fn step(&mut self, rng: &mut FastRng);
    /// Write the current model's metrics: metric k goes to `out[k * step]`. A metric that takes
    /// long may stop early once `control` is cancelled (its value is then discarded).
    fn record(&mut self, out: &mut [f64], step: usize, control: &Control);
    /// Work done since the last call (a `step` and any `record`), in the setting's own unit
    /// (roughly floating-point operations for the continuous settings, atoms for the discrete).
    fn work(&mut self) -> u64;
    /// Whether every later model is this one (a discrete chain absorbed at one atom): the loop
    /// then records the rest at once, so a run of 2^62 generations on it ends at once.
    fn absorbed(&self) -> bool {
        false
    }
}

/// The one replicate loop. Run replicates `first..first + replicates`, recording `metrics`
/// values per recorded iteration; replicate r draws from `fast_rng(key, r)`. `start` builds a
/// replicate's generation-1 model (the fit to its real data) from the replicate's stream. The
/// output has shape (replicates, metrics, recorded), row-major.
pub fn simulate<G, F>(
    recording: Recording,
    metrics: usize,
    key: &RootKey,
    first: u64,
    replicates: usize,
    control: &Control,
    start: F,
) -> SimResult<Vec<f64>>
where
    G: Generation,
    F: Fn(&mut FastRng) -> G + Sync,
{
    if recording.stride == 0 {
        return Err(invalid("stride", "must be at least 1"));
    }
    if metrics == 0 {
        return Err(invalid("metrics", "must name at least one metric"));
    }
    let recorded = recording.recorded();
    let row_len = recorded * metrics;
    let total = replicates
        .checked_mul(row_len)
        .ok_or_else(|| invalid("replicates", "the result would not fit in memory"))?;
    let mut out = exec::filled(total, 0.0, "the results")?;
    exec::for_each_row(&mut out, row_len, first, control, |replicate, row| {
        let mut rng = fast_rng(key, replicate);
        let mut model = start(&mut rng);
        model.record_real(row, recorded, control);
        control.check()?;
        let (mut pending, mut work) = (0, 0);
        for t in 1..=recording.iterations {
            if t > 1 {
                model.step(&mut rng);
            }
            if let Some(j) = recording.slot(t) {
                model.record(&mut row[j..], recorded, control);
            }
            pending += 1;
            work += model.work();
            if work >= G::CHECK_WORK {
                control.advance(pending);
                (pending, work) = (0, 0);
                control.check()?;
            }
            if t < recording.iterations && model.absorbed() {
                // every later model is this one: fill the remaining recorded iterations at once
                let mut last = vec![0.0; metrics];
                model.record(&mut last, 1, control);
                for j in recording.recorded_through(t)..recorded {
                    for (k, &v) in last.iter().enumerate() {
                        row[k * recorded + j] = v;
                    }
                }
                pending += recording.iterations - t;
                break;
            }
        }
        control.advance(pending);
        Ok(())
    })?;
    Ok(out)
}

/// Declares a setting's metric enum: its variants with their public names, `ALL` (the order
/// Python lists them in), `name()` and `from_name()`.
macro_rules! metric_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every metric, in the order Python lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The metric's public name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The metric called `name`.
            pub fn from_name(name: &str) -> $crate::error::SimResult<Self> {
                Self::ALL.iter().copied().find(|m| m.name() == name).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                    $crate::error::invalid(
                        "metrics",
                        format!(
                            concat!("unknown ", $what, " metric {:?}; known: {}"),
                            name,
                            known.join(", "),
                        ),
                    )
                })
            }
        }
    };
}
pub(crate) use metric_enum;

#[cfg(test)]
mod tests {
    use super::Recording;

    /// The recorded iterations, by brute force: 0, 1, the multiples of stride and the last.
    fn expected(iterations: u64, stride: u64) -> Vec<u64> {
        (0..=iterations)
            .filter(|&t| t <= 1 || t % stride == 0 || t == iterations)
            .collect()
    }

    #[test]
    fn slots_number_the_recorded_iterations_in_order() {
        for iterations in 0..40 {
            for stride in 1..45 {
                let r = Recording { iterations, stride };
                let want = expected(iterations, stride);
                assert_eq!(r.recorded(), want.len(), "{iterations} {stride}");
                let slots: Vec<(u64, usize)> = (0..=iterations + 2)
                    .filter_map(|t| r.slot(t).map(|j| (t, j)))
                    .collect();
                let got: Vec<u64> = slots.iter().map(|&(t, _)| t).collect();
                assert_eq!(got, want, "{iterations} {stride}");
                assert!(slots.iter().enumerate().all(|(k, &(_, j))| j == k));
                for t in 0..=iterations + 2 {
                    let through = want.iter().filter(|&&w| w <= t).count();
                    assert_eq!(r.recorded_through(t), through, "{iterations} {stride} {t}");
                }
            }
        }
        let huge = Recording {
            iterations: 1 << 62,
            stride: 1 << 61,
        };
        assert_eq!(huge.recorded(), 4); // 0, 1, 2^61, 2^62
        assert_eq!(huge.slot(1 << 62), Some(3));
    }
}
