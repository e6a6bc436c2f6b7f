//! Where a training step's time goes, layer by layer: the passes timed as
//! they run in training (fused epilogues included), with no timer inside
//! the passes themselves. The forward pass up to each layer is timed whole,
//! and each layer's share is the difference between two of those medians;
//! the same from the top down for the backward pass. A layer fused with
//! the ReLU after it is timed together with it.

use std::ops::Range;
use std::time::Instant;

use matrix::{MatrixView, Scalar};

use super::{Network, Pass};
use crate::dense::DenseInput;
use crate::error::NnError;

/// One layer's (or a layer and its fused ReLU's) share of a training step.
#[derive(Clone, Debug)]
pub struct LayerTime {
    /// The layers' tokens (`conv2d:1:28:28:6:5:1:2 + relu`).
    pub layers: String,
    /// Median seconds of the forward pass (the loss included for the last).
    pub forward: f64,
    /// Median seconds of the backward pass.
    pub backward: f64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

impl<T: Scalar> Network<T> {
    /// Times `rounds` training steps' passes on the batch `x` (read
    /// dense), layer by layer, without updating the parameters.
    ///
    /// # Errors
    /// As [`train_step`](Self::train_step).
    pub fn profile_step(
        &mut self,
        x: MatrixView<'_, T>,
        labels: &[u8],
        rounds: usize,
    ) -> Result<Vec<LayerTime>, NnError> {
        self.check_batch(x, labels)?;
        self.reserve_batch(x.rows())?;
        let (arch, params, grads, ws) = (&self.arch, &self.params, &mut self.grads, &mut self.ws);
        let input = DenseInput::Dense(x);
        let pass = Pass::Train { seed: 0 };
        let last = arch.layers.len() - 1;
        // Groups: a layer, or a layer and the ReLU it fuses.
        let mut groups: Vec<Range<usize>> = Vec::new();
        let mut l = 0;
        while l < last {
            let end = if arch.fused[l] { l + 2 } else { l + 1 };
            groups.push(l..end);
            l = end;
        }
        let rounds = rounds.max(1);
        let time = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        };
        // forward[g]: the forward pass through group g; the last entry, with the loss.
        let mut forward = vec![Vec::new(); groups.len() + 1];
        let mut backward = vec![Vec::new(); groups.len()];
        for _ in 0..rounds {
            for (g, group) in groups.iter().enumerate() {
                forward[g].push(time(&mut || {
                    arch.forward(pass, params, ws, input, group.end)
                }));
            }
            forward[groups.len()].push(time(&mut || {
                arch.forward_loss(pass, params, ws, input, labels);
            }));
            for (g, group) in groups.iter().enumerate().rev() {
                backward[g].push(time(&mut || {
                    arch.backward_down_to(pass, params, grads, ws, input, last - 1, group.start)
                }));
            }
        }
        let forward: Vec<f64> = forward.into_iter().map(median).collect();
        let backward: Vec<f64> = backward.into_iter().map(median).collect();
        let names = |r: &Range<usize>| {
            let tokens: Vec<String> = arch.layers[r.clone()].iter().map(|l| l.token()).collect();
            tokens.join(" + ")
        };
        let mut out: Vec<LayerTime> = groups
            .iter()
            .enumerate()
            .map(|(g, group)| LayerTime {
                layers: names(group),
                forward: forward[g] - if g == 0 { 0.0 } else { forward[g - 1] },
                backward: backward[g] - backward.get(g + 1).copied().unwrap_or(0.0),
            })
            .collect();
        out.push(LayerTime {
            layers: format!("{} + loss", arch.layers[last].token()),
            forward: forward[groups.len()] - forward[groups.len() - 1],
            backward: 0.0,
        });
        Ok(out)
    }
}
