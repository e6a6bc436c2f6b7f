//! Optimizers and learning-rate schedules over the flat parameter buffer:
//! one loop per step, whatever the architecture.

use std::ops::Range;

use matrix::{MatrixViewMut, Scalar};

use crate::aligned::LineAligned;
use crate::error::NnError;
use rayon::prelude::*;

/// The update rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// `w -= lr * g`.
    Sgd,
    /// `v = mu v - lr g; w += v` (classical momentum).
    Momentum {
        /// Momentum coefficient, typically 0.9.
        mu: f64,
    },
    /// Nesterov momentum (Sutskever et al.'s form):
    /// `v' = mu v - lr g; w += -mu v + (1 + mu) v'`.
    Nesterov {
        /// Momentum coefficient.
        mu: f64,
    },
    /// Adam with bias correction.
    Adam {
        /// First-moment decay, typically 0.9.
        beta1: f64,
        /// Second-moment decay, typically 0.999.
        beta2: f64,
        /// Denominator guard, typically 1e-8.
        eps: f64,
    },
    /// Adadelta (Zeiler 2012, as PyTorch's `Adadelta`): with `E[g²]` and
    /// `E[Δ²]` running means, `E[g²] = rho E[g²] + (1 - rho) g²`,
    /// `Δ = sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) · g`,
    /// `E[Δ²] = rho E[Δ²] + (1 - rho) Δ²`, `w -= lr Δ` (lr 1.0 is the
    /// method's own rate).
    Adadelta {
        /// Decay of both running means, typically 0.9.
        rho: f64,
        /// Guard inside both square roots, typically 1e-6.
        eps: f64,
    },
}

impl OptimizerKind {
    /// Checks the coefficients, each by its rule, with a message naming the
    /// bad one: momentum `mu` and Adam's `beta1`, `beta2` in `[0, 1)` (1 or
    /// more makes the state grow without bound), Adam's `eps` a positive
    /// number (0 divides by zero on a zero gradient); Adadelta's `rho` in
    /// `[0, 1)` and `eps` positive, for the same reasons.
    ///
    /// # Errors
    /// The message, for [`NnError::Config`].
    pub fn validate(&self) -> Result<(), String> {
        let positive_eps = |eps: f64| {
            if eps.is_finite() && eps > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "{} eps must be a positive number, got {eps}",
                    self.name()
                ))
            }
        };
        let unit = |name: &str, x: f64| {
            if (0.0..1.0).contains(&x) {
                Ok(())
            } else {
                Err(format!("{} {name} must be in [0, 1), got {x}", self.name()))
            }
        };
        match *self {
            OptimizerKind::Sgd => Ok(()),
            OptimizerKind::Momentum { mu } | OptimizerKind::Nesterov { mu } => unit("mu", mu),
            OptimizerKind::Adam { beta1, beta2, eps } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive_eps(eps)
            }
            OptimizerKind::Adadelta { rho, eps } => {
                unit("rho", rho)?;
                positive_eps(eps)
            }
        }
    }

    /// The name the command line uses (`sgd`, `momentum`, `nesterov`,
    /// `adam`, `adadelta`).
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum { .. } => "momentum",
            OptimizerKind::Nesterov { .. } => "nesterov",
            OptimizerKind::Adam { .. } => "adam",
            OptimizerKind::Adadelta { .. } => "adadelta",
        }
    }

    /// Parses a name, with the usual default coefficients.
    pub fn from_name(s: &str) -> Option<OptimizerKind> {
        match s.to_ascii_lowercase().as_str() {
            "sgd" => Some(OptimizerKind::Sgd),
            "momentum" => Some(OptimizerKind::Momentum { mu: 0.9 }),
            "nesterov" => Some(OptimizerKind::Nesterov { mu: 0.9 }),
            "adam" => Some(OptimizerKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            }),
            "adadelta" => Some(OptimizerKind::Adadelta {
                rho: 0.9,
                eps: 1e-6,
            }),
            _ => None,
        }
    }
}

/// Learning rate as a function of the epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        /// Epochs between decays.
        every: usize,
        /// Factor per decay.
        gamma: f64,
    },
    /// Cosine from the base rate down to `base * min_factor` over `epochs`.
    Cosine {
        /// Length of the schedule in epochs.
        epochs: usize,
        /// Final rate as a fraction of the base rate.
        min_factor: f64,
    },
}

impl Schedule {
    /// Checks the parameters, each by its rule, with a message naming the
    /// bad one: a NaN, infinite or negative factor would turn every later
    /// rate into NaN or a sign flip, which training would only report as a
    /// non-finite loss epochs later. `Step` needs `every >= 1` and a
    /// finite `gamma > 0`; `Cosine` needs `epochs >= 1` and `min_factor`
    /// in `[0, 1]`.
    ///
    /// # Errors
    /// The message, for [`NnError::Config`].
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every, gamma } => {
                if every == 0 {
                    Err("a step schedule needs at least 1 epoch between decays".into())
                } else if !(gamma.is_finite() && gamma > 0.0) {
                    Err(format!(
                        "a step schedule's gamma must be a positive number, got {gamma}"
                    ))
                } else {
                    Ok(())
                }
            }
            Schedule::Cosine { epochs, min_factor } => {
                if epochs == 0 {
                    Err("a cosine schedule needs at least 1 epoch".into())
                } else if !(0.0..=1.0).contains(&min_factor) {
                    Err(format!(
                        "a cosine schedule's min_factor must be in [0, 1], got {min_factor}"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Rate for 0-based `epoch`.
    pub fn rate(&self, base: f64, epoch: usize) -> f64 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine { epochs, min_factor } => {
                let t = (epoch as f64 / epochs.max(1) as f64).min(1.0);
                let f = min_factor
                    + (1.0 - min_factor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos());
                base * f
            }
        }
    }
}

/// An optimizer with its state (velocity, moments) for one parameter buffer.
pub struct Optimizer<T> {
    kind: OptimizerKind,
    weight_decay: f64,
    /// Ranges that weight decay applies to (weights, not biases).
    decay: Vec<Range<usize>>,
    state1: LineAligned<T>,
    state2: LineAligned<T>,
    steps: u64,
}

impl<T: Scalar> Optimizer<T> {
    /// An optimizer for `n` parameters; L2 `weight_decay` (added to the
    /// gradient as `wd * w`) applies to the `decay` ranges only.
    ///
    /// # Panics
    /// If its state cannot be allocated; see [`try_new`](Self::try_new).
    pub fn new(kind: OptimizerKind, n: usize, weight_decay: f64, decay: Vec<Range<usize>>) -> Self {
        Self::try_new(kind, n, weight_decay, decay).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`new`](Self::new), or [`NnError::OutOfMemory`] if the optimizer's
    /// state (two buffers of `n`) cannot be allocated.
    pub fn try_new(
        kind: OptimizerKind,
        n: usize,
        weight_decay: f64,
        decay: Vec<Range<usize>>,
    ) -> Result<Self, NnError> {
        Ok(Optimizer {
            kind,
            weight_decay,
            decay,
            // Sized `n` even where the rule does not use them, so that every
            // rule runs through the same chunked (parallel) loop.
            state1: LineAligned::try_filled(n, T::ZERO, "the optimizer state")?,
            state2: LineAligned::try_filled(n, T::ZERO, "the optimizer state")?,
            steps: 0,
        })
    }

    /// The update rule.
    pub fn kind(&self) -> OptimizerKind {
        self.kind
    }

    /// How many parameters the optimizer was made for.
    pub fn param_count(&self) -> usize {
        self.state1.len()
    }

    /// One update of `params` from `grads` at learning rate `lr`.
    pub fn step(&mut self, params: &mut [T], grads: &[T], lr: f64) {
        self.step_except(params, grads, lr, 0..0);
    }

    /// [`step`](Self::step) for every parameter outside `skip`, whose
    /// update the caller makes itself (a training step that fuses the first
    /// layer's update into its product, with [`fused_momentum`](Self::fused_momentum)).
    pub(crate) fn step_except(
        &mut self,
        params: &mut [T],
        grads: &[T],
        lr: f64,
        skip: Range<usize>,
    ) {
        assert_eq!(
            params.len(),
            grads.len(),
            "optimizer: params and grads differ in length"
        );
        self.steps += 1;
        // Split so that decayed and plain ranges each run one tight loop.
        let mut start = 0;
        if self.weight_decay != 0.0 {
            for i in 0..self.decay.len() {
                let r = self.decay[i].clone();
                self.update_outside(params, grads, start..r.start, lr, 0.0, &skip);
                self.update_outside(params, grads, r.clone(), lr, self.weight_decay, &skip);
                start = r.end;
            }
        }
        self.update_outside(params, grads, start..params.len(), lr, 0.0, &skip);
    }

    /// [`update`](Self::update) of the parts of `r` outside `skip`.
    fn update_outside(
        &mut self,
        params: &mut [T],
        grads: &[T],
        r: Range<usize>,
        lr: f64,
        wd: f64,
        skip: &Range<usize>,
    ) {
        let before = r.start..r.end.min(skip.start).max(r.start);
        let after = r.start.max(skip.end).min(r.end)..r.end;
        self.update(params, grads, before, lr, wd);
        self.update(params, grads, after, lr, wd);
    }

    /// For a training step that fuses the update of the parameters `range`
    /// into the product computing their gradient: the update, as
    /// [`step`](Self::step) would make it at rate `lr`, with their velocity,
    /// if the rule is classical momentum and `range` lies wholly inside, or
    /// wholly outside, the decayed ranges (`None` otherwise: the caller
    /// then computes the gradient and runs [`step`](Self::step)).
    pub(crate) fn fused_momentum(
        &mut self,
        range: Range<usize>,
        lr: f64,
    ) -> Option<(FusedUpdate<T>, &mut [T])> {
        let OptimizerKind::Momentum { mu } = self.kind else {
            return None;
        };
        if range.end > self.state1.len() {
            return None;
        }
        let wd = if self.weight_decay == 0.0 {
            0.0
        } else if self
            .decay
            .iter()
            .any(|d| d.start <= range.start && range.end <= d.end)
        {
            self.weight_decay
        } else if self
            .decay
            .iter()
            .all(|d| d.end <= range.start || range.end <= d.start)
        {
            0.0
        } else {
            return None;
        };
        // Classical momentum's rule does not depend on the step count.
        let rule = Rule::new(self.kind, self.steps + 1, lr, wd);
        let mu = T::from_f64(mu);
        Some((FusedUpdate { rule, mu }, &mut self.state1[range]))
    }

    fn update(&mut self, params: &mut [T], grads: &[T], r: Range<usize>, lr: f64, wd: f64) {
        if r.is_empty() {
            return;
        }
        let rule = Rule::new(self.kind, self.steps, lr, wd);
        let (w, g) = (&mut params[r.clone()], &grads[r.clone()]);
        let (s1, s2) = (&mut self.state1[r.clone()], &mut self.state2[r]);
        if w.len() >= PARALLEL_MIN && rayon::current_num_threads() > 1 {
            // Elementwise, so any split gives the same bits.
            w.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(s1.par_chunks_mut(CHUNK))
                .zip(s2.par_chunks_mut(CHUNK))
                .for_each(|(((w, g), s1), s2)| rule.apply(w, g, s1, s2));
        } else {
            rule.apply(w, g, s1, s2);
        }
    }
}

/// The update of [`Optimizer::fused_momentum`]: the optimizer's own rule,
/// applied to pieces of the weights, their velocity and their gradient.
#[derive(Clone, Copy)]
pub(crate) struct FusedUpdate<T> {
    rule: Rule<T>,
    mu: T,
}

/// A tile of the gradient, with the same blocks of the weights and the
/// velocity: updated exactly as [`Optimizer::step`] updates those elements.
/// Inlined into the sparse product's kernel (see [`matrix::OnTile`]), so
/// the loop is vectorized for the kernel's instruction set.
impl<T: Scalar> matrix::OnTile<T, 2> for FusedUpdate<T> {
    #[inline(always)]
    fn on_tile(&self, tile: matrix::ProductTile<'_, T>, [mut w, mut v]: [MatrixViewMut<'_, T>; 2]) {
        let Rule { lr, wd, decay, .. } = self.rule;
        for i in 0..tile.values.rows() {
            // Row-major blocks of row-major matrices: every row is a slice.
            if let (Some(g), Some(w), Some(v)) = (tile.values.row(i), w.row_mut(i), v.row_mut(i)) {
                momentum(self.mu, lr, wd, decay, w, g, v);
            }
        }
    }
}

/// Classical momentum, `v = mu v - lr (g + wd w); w += v` (without the
/// `wd w` term when `decay` is false), element by element: the one copy of
/// the rule, which [`Optimizer::step`] and the fused update both run.
#[inline(always)]
fn momentum<T: Scalar>(mu: T, lr: T, wd: T, decay: bool, w: &mut [T], g: &[T], v: &mut [T]) {
    if decay {
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
            *v = mu * *v - lr * (g + wd * *w);
            *w += *v;
        }
    } else {
        for ((w, &g), v) in w.iter_mut().zip(g).zip(v) {
            *v = mu * *v - lr * g;
            *w += *v;
        }
    }
}

/// Ranges at least this long are updated on all threads.
const PARALLEL_MIN: usize = 1 << 16;
/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// One step's constants, applied to a chunk of parameters.
#[derive(Clone, Copy)]
struct Rule<T> {
    kind: OptimizerKind,
    lr: T,
    wd: T,
    decay: bool,
    /// Adam's bias corrections `1 / (1 - beta^t)`.
    c1: T,
    c2: T,
}

impl<T: Scalar> Rule<T> {
    fn new(kind: OptimizerKind, step: u64, lr: f64, wd: f64) -> Self {
        let (c1, c2) = match kind {
            OptimizerKind::Adam { beta1, beta2, .. } => {
                let t = step.min(i32::MAX as u64) as i32;
                (1.0 / (1.0 - beta1.powi(t)), 1.0 / (1.0 - beta2.powi(t)))
            }
            _ => (1.0, 1.0),
        };
        Rule {
            kind,
            lr: T::from_f64(lr),
            wd: T::from_f64(wd),
            decay: wd != 0.0,
            c1: T::from_f64(c1),
            c2: T::from_f64(c2),
        }
    }

    /// Updates `w` in place from `g`, with state `s1` (velocity, first
    /// moment, or Adadelta's `E[g²]`) and `s2` (Adam's second moment,
    /// Adadelta's `E[Δ²]`).
    #[inline]
    fn apply(&self, w: &mut [T], g: &[T], s1: &mut [T], s2: &mut [T]) {
        let (lr, wd, decay) = (self.lr, self.wd, self.decay);
        let grad = |w: T, g: T| if decay { g + wd * w } else { g };
        match self.kind {
            OptimizerKind::Sgd => {
                for (w, &g) in w.iter_mut().zip(g) {
                    *w -= lr * grad(*w, g);
                }
            }
            OptimizerKind::Momentum { mu } => momentum(T::from_f64(mu), lr, wd, decay, w, g, s1),
            OptimizerKind::Nesterov { mu } => {
                let (mu, one) = (T::from_f64(mu), T::ONE);
                for ((w, &g), v) in w.iter_mut().zip(g).zip(s1) {
                    let prev = *v;
                    *v = mu * prev - lr * grad(*w, g);
                    *w += (one + mu) * *v - mu * prev;
                }
            }
            OptimizerKind::Adam { beta1, beta2, eps } => {
                let (b1, b2, eps) = (T::from_f64(beta1), T::from_f64(beta2), T::from_f64(eps));
                let (one, c1, c2) = (T::ONE, self.c1, self.c2);
                for (((w, &g), m), v) in w.iter_mut().zip(g).zip(s1).zip(s2) {
                    let g = grad(*w, g);
                    *m = b1 * *m + (one - b1) * g;
                    *v = b2 * *v + (one - b2) * g * g;
                    *w -= lr * (*m * c1) / ((*v * c2).sqrt() + eps);
                }
            }
            OptimizerKind::Adadelta { rho, eps } => {
                let (rho, eps, one) = (T::from_f64(rho), T::from_f64(eps), T::ONE);
                for (((w, &g), sq_grad), sq_delta) in w.iter_mut().zip(g).zip(s1).zip(s2) {
                    let g = grad(*w, g);
                    *sq_grad = rho * *sq_grad + (one - rho) * g * g;
                    let delta = (*sq_delta + eps).sqrt() / (*sq_grad + eps).sqrt() * g;
                    *sq_delta = rho * *sq_delta + (one - rho) * delta * delta;
                    *w -= lr * delta;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The velocity a fused momentum step updates beside the weights starts
    /// on a cache line, as they do (see `aligned`).
    #[test]
    fn the_state_starts_on_a_cache_line() {
        let opt = Optimizer::<f32>::new(OptimizerKind::Momentum { mu: 0.9 }, 1000, 0.0, vec![]);
        for state in [&opt.state1, &opt.state2] {
            assert_eq!(state.as_ptr() as usize % crate::aligned::LINE_BYTES, 0);
        }
    }

    /// Each optimizer minimises f(w) = sum (w - 3)^2 from 0.
    #[test]
    fn every_optimizer_converges_on_a_quadratic() {
        for name in ["sgd", "momentum", "nesterov", "adam", "adadelta"] {
            let kind = OptimizerKind::from_name(name).unwrap();
            let mut opt = Optimizer::<f64>::new(kind, 4, 0.0, vec![]);
            let mut w = vec![0.0; 4];
            let (lr, steps) = match name {
                "adam" => (0.1, 500),
                // Adadelta's steps start at sqrt(eps) and grow slowly.
                "adadelta" => (1.0, 20_000),
                _ => (0.05, 500),
            };
            for _ in 0..steps {
                let g: Vec<f64> = w.iter().map(|x| 2.0 * (x - 3.0)).collect();
                opt.step(&mut w, &g, lr);
            }
            assert!(w.iter().all(|x| (x - 3.0).abs() < 1e-3), "{name}: {w:?}");
        }
    }

    #[test]
    fn momentum_matches_the_hand_computed_update() {
        let mut opt = Optimizer::<f64>::new(OptimizerKind::Momentum { mu: 0.9 }, 1, 0.0, vec![]);
        let mut w = vec![1.0];
        opt.step(&mut w, &[2.0], 0.1); // v = -0.2, w = 0.8
        opt.step(&mut w, &[1.0], 0.1); // v = -0.18 - 0.1 = -0.28, w = 0.52
        assert!((w[0] - 0.52).abs() < 1e-12);
    }

    /// Two Adadelta steps computed by hand (rho 0.9, eps 1e-6, lr 1).
    #[test]
    fn adadelta_matches_the_hand_computed_update() {
        let kind = OptimizerKind::from_name("adadelta").unwrap();
        let mut opt = Optimizer::<f64>::new(kind, 1, 0.0, vec![]);
        let mut w = vec![1.0];
        let (rho, eps) = (0.9f64, 1e-6f64);
        let (mut eg, mut ed, mut want) = (0.0f64, 0.0f64, 1.0f64);
        for g in [2.0f64, -0.5] {
            opt.step(&mut w, &[g], 1.0);
            eg = rho * eg + (1.0 - rho) * g * g;
            let d = (ed + eps).sqrt() / (eg + eps).sqrt() * g;
            ed = rho * ed + (1.0 - rho) * d * d;
            want -= d;
        }
        assert!((w[0] - want).abs() < 1e-15, "{} vs {want}", w[0]);
        assert!(OptimizerKind::Adadelta {
            rho: 1.0,
            eps: 1e-6
        }
        .validate()
        .is_err());
        assert!(OptimizerKind::Adadelta { rho: 0.9, eps: 0.0 }
            .validate()
            .is_err());
    }

    #[test]
    fn weight_decay_touches_only_its_ranges() {
        let mut opt = Optimizer::<f64>::new(OptimizerKind::Sgd, 6, 0.5, vec![1..3, 4..5]);
        let mut w = vec![1.0; 6];
        opt.step(&mut w, &[0.0; 6], 1.0);
        assert_eq!(w, vec![1.0, 0.5, 0.5, 1.0, 0.5, 1.0]);
    }

    #[test]
    fn schedules_decay_as_documented() {
        let step = Schedule::Step {
            every: 2,
            gamma: 0.5,
        };
        assert_eq!(step.rate(1.0, 0), 1.0);
        assert_eq!(step.rate(1.0, 3), 0.5);
        assert_eq!(step.rate(1.0, 4), 0.25);
        let cos = Schedule::Cosine {
            epochs: 10,
            min_factor: 0.0,
        };
        assert_eq!(cos.rate(2.0, 0), 2.0);
        assert!((cos.rate(2.0, 5) - 1.0).abs() < 1e-12);
        assert!(cos.rate(2.0, 10).abs() < 1e-12);
    }
}
