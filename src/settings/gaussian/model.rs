//! One replicate of the Gaussian loop: its plan per paradigm, its current fit, its step.

use nalgebra::{DMatrix, DVector};

use super::fit::{draw_points, Block, Fit, Moments, Scratch};
use super::{GaussianMetric, GaussianSetting, Method};
use crate::engine::control::Control;
use crate::engine::paradigm::Paradigm;
use crate::engine::rng::FastRng;
use crate::engine::Generation;
use crate::numerics::draw::choose_front;
use crate::numerics::linalg::{add_lower_times, cholesky, Bartlett};

/// How a replicate builds each generation's training set.
#[derive(Debug)]
pub(super) enum Plan {
    /// Replace from sufficient statistics: shift the mean, then L <- L A / sqrt(divisor) in place.
    ReplaceBartlett(Bartlett),
    /// Replace from samples drawn in the model's own whitened frame: n points z ~ N(0, I) stand
    /// for x = mu + L z, whose mean is mu + L mean(z) and whose scatter factor is L chol(W_z),
    /// W_z the points' own scatter. The fit is the same as from the x's, but never loses the
    /// small directions of an ill-conditioned covariance to rounding.
    ReplaceSamples {
        block: Block,
        origin: DVector<f64>,
        identity: DMatrix<f64>,
    },
    /// All real data and every synthetic block so far, as running moments.
    Accumulate(Block),
    /// `real` real points (without replacement) plus a block of fresh synthetic ones.
    MixReal {
        points: Vec<f64>,
        order: Vec<usize>,
        real: usize,
        synthetic: Block,
    },
    /// `real` points drawn afresh from the real distribution plus `synthetic` from the fit,
    /// pooled by count or, with `weight` = (w, effective size), by weight (`Moments::weigh`).
    FreshReal {
        real: Block,
        synthetic: Block,
        weight: Option<(f64, f64)>,
    },
    /// `size` points drawn without replacement from every point so far.
    Subsample {
        pool: Vec<f64>,
        order: Vec<usize>,
        size: usize,
        synthetic: Block,
    },
}

impl Plan {
    /// The plan of `paradigm`; the training moments of generation 1 go to `train` where the
    /// plan refits from them (every plan but Replace's, whose first step draws them).
    fn new(
        setting: &GaussianSetting,
        paradigm: Paradigm,
        method: Method,
        rng: &mut FastRng,
        scratch: &mut Scratch,
        train: &mut Moments,
    ) -> Self {
        let (d, n) = (setting.dim, setting.samples);
        let divisor = setting.estimator.divisor(n as f64);
        let real_size = setting.real_size();
        let real_points = |rng: &mut FastRng, scratch: &mut Scratch| {
            if let Some(data) = &setting.real_data {
                return data.clone();
            }
            let mut points = vec![0.0; n * d];
            draw_points(
                &setting.mean0,
                &setting.chol0,
                1.0,
                rng,
                &mut points,
                &mut scratch.z,
            );
            points
        };
        match (paradigm, method) {
            (Paradigm::Replace, Method::Statistics) => Plan::ReplaceBartlett(
                Bartlett::new(n - 1, d, 1.0 / divisor.sqrt()).expect("samples > dim"),
            ),
            (Paradigm::Replace, Method::Samples) => Plan::ReplaceSamples {
                block: Block::new(n, d, method),
                origin: DVector::zeros(d),
                identity: DMatrix::identity(d, d),
            },
            (Paradigm::Accumulate { per_generation }, _) => {
                if let Some(data) = &setting.real_data {
                    train.of_points(data, 0..real_size);
                } else {
                    Block::new(n, d, method).draw(
                        &setting.mean0,
                        &setting.chol0,
                        1.0,
                        rng,
                        scratch,
                        train,
                    );
                }
                Plan::Accumulate(Block::new(per_generation as usize, d, method))
            }
            (
                Paradigm::MixReal {
                    real_per_generation,
                },
                _,
            ) => {
                let points = real_points(rng, scratch);
                train.of_points(&points, 0..real_size);
                let real = real_per_generation as usize;
                Plan::MixReal {
                    points,
                    order: (0..real_size).collect(),
                    real,
                    synthetic: Block::new(n - real, d, method),
                }
            }
            (
                Paradigm::FreshReal {
                    real_per_generation,
                    ..
                },
                _,
            ) => {
                let points = real_points(rng, scratch);
                train.of_points(&points, 0..real_size);
                let real = real_per_generation as usize;
                Plan::FreshReal {
                    real: Block::new(real, d, method),
                    synthetic: Block::new(n - real, d, method),
                    weight: paradigm.fresh_weight(n as u64),
                }
            }
            (Paradigm::AccumulateSubsample { size }, _) => {
                let pool = real_points(rng, scratch);
                train.of_points(&pool, 0..real_size);
                Plan::Subsample {
                    pool,
                    order: (0..real_size).collect(),
                    size: size as usize,
                    synthetic: Block::new(n, d, Method::Samples),
                }
            }
        }
    }
}

/// One replicate: its current fit, its plan and its buffers.
pub(super) struct GaussianModel<'a> {
    pub(super) setting: &'a GaussianSetting,
    pub(super) metrics: &'a [GaussianMetric],
    pub(super) initial: &'a [f64],
    pub(super) fit: Fit,
    pub(super) plan: Plan,
    pub(super) train: Moments,
    pub(super) part: Moments,
    pub(super) spare: DMatrix<f64>,
    pub(super) scratch: Scratch,
    pub(super) work: u64,
}

impl<'a> GaussianModel<'a> {
    /// A replicate's generation-1 model: the fit to its real data.
    pub(super) fn start(
        setting: &'a GaussianSetting,
        paradigm: Paradigm,
        method: Method,
        metrics: &'a [GaussianMetric],
        initial: &'a [f64],
        rng: &mut FastRng,
    ) -> Self {
        let (d, n) = (setting.dim, setting.samples);
        let mut scratch = Scratch::new(d);
        let mut train = Moments::empty(d);
        let plan = Plan::new(setting, paradigm, method, rng, &mut scratch, &mut train);
        let trained = match &plan {
            Plan::Accumulate(block) => block.count + d,
            Plan::Subsample { size, .. } => size + n,
            _ => n,
        };
        let mut model = Self {
            setting,
            metrics,
            initial,
            fit: Fit::real(setting),
            plan,
            train,
            part: Moments::empty(d),
            spare: DMatrix::zeros(d, d),
            scratch,
            work: (d * d * (trained + d)) as u64,
        };
        match (&model.plan, &setting.real_data) {
            // generation 1 from the given data's moments, later ones by the plan
            (Plan::ReplaceBartlett(_) | Plan::ReplaceSamples { .. }, Some(data)) => {
                model.train.of_points(data, 0..setting.real_size());
                model.refit();
            }
            (Plan::ReplaceBartlett(_) | Plan::ReplaceSamples { .. }, None) => model.step(rng),
            _ => model.refit(),
        }
        model
    }

    /// Fit mean and covariance to the training moments (refactorising the covariance).
    pub(super) fn refit(&mut self) {
        let d = self.setting.dim;
        let mut cov = std::mem::replace(&mut self.spare, DMatrix::zeros(0, 0));
        cov.copy_from(&self.train.scatter);
        cov /= self.setting.estimator.divisor(self.train.count);
        if let Some(chol) = cholesky(cov) {
            self.spare = std::mem::replace(&mut self.fit.chol, chol);
            self.fit.mean.copy_from(&self.train.mean);
            self.fit.exp2 = 0;
            self.fit.diagonal.reset(&self.fit.chol);
        } else {
            self.fit.degenerate = true;
            self.spare = DMatrix::zeros(d, d);
        }
    }
}

impl Generation for GaussianModel<'_> {
    fn record_real(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        for (k, &v) in self.initial.iter().enumerate() {
            out[k * step] = v;
        }
    }

    fn step(&mut self, rng: &mut FastRng) {
        if self.fit.degenerate {
            return;
        }
        let fit = &mut self.fit;
        let scratch = &mut self.scratch;
        match &mut self.plan {
            Plan::ReplaceBartlett(bartlett) => {
                fit.shift_mean(self.setting.samples, rng, &mut scratch.z);
                bartlett.draw(&mut scratch.bartlett, rng);
                fit.times_lower(&scratch.bartlett, bartlett.factor);
                fit.rescale();
                return;
            }
            Plan::ReplaceSamples {
                block,
                origin,
                identity,
            } => {
                block.draw(origin, identity, 1.0, rng, scratch, &mut self.train);
                let divisor = self.setting.estimator.divisor(self.train.count);
                let Some(white) = cholesky(&self.train.scatter / divisor) else {
                    fit.degenerate = true;
                    return;
                };
                add_lower_times(
                    &fit.chol,
                    self.train.mean.as_slice(),
                    fit.scale(),
                    fit.mean.as_mut_slice(),
                );
                fit.times_lower(white.as_slice(), 1.0);
                fit.rescale();
                return;
            }
            Plan::Accumulate(block) => {
                block.draw_from(fit, rng, scratch, &mut self.part);
                self.train.merge(&self.part);
            }
            Plan::MixReal {
                points,
                order,
                real,
                synthetic,
            } => {
                choose_front(order, *real, rng);
                self.train.of_points(points, order[..*real].iter().copied());
                synthetic.draw_from(fit, rng, scratch, &mut self.part);
                if *real == 0 {
                    self.train.clone_from(&self.part);
                } else {
                    self.train.merge(&self.part);
                }
            }
            Plan::FreshReal {
                real,
                synthetic,
                weight,
            } => {
                let setting = self.setting;
                real.draw(
                    &setting.mean0,
                    &setting.chol0,
                    1.0,
                    rng,
                    scratch,
                    &mut self.train,
                );
                synthetic.draw_from(fit, rng, scratch, &mut self.part);
                match *weight {
                    Some((w, size)) => self.train.weigh(&self.part, w, size),
                    None => self.train.merge(&self.part),
                }
            }
            Plan::Subsample {
                pool,
                order,
                size,
                synthetic,
            } => {
                let d = fit.mean.len();
                let start = pool.len();
                pool.resize(start + synthetic.count * d, 0.0);
                draw_points(
                    &fit.mean,
                    &fit.chol,
                    fit.scale(),
                    rng,
                    &mut pool[start..],
                    &mut scratch.z,
                );
                order.extend(start / d..pool.len() / d);
                choose_front(order, *size, rng);
                self.train.of_points(pool, order[..*size].iter().copied());
            }
        }
        self.refit();
    }

    fn record(&mut self, out: &mut [f64], step: usize, _control: &Control) {
        self.scratch
            .record(self.setting, &mut self.fit, self.metrics, out, step);
    }

    fn work(&mut self) -> u64 {
        self.work
    }
}
