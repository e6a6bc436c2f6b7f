//! The passes over all layers, and the buffers they run through: the
//! architecture ([`Arch`]: layers, loss, where each layer's parameters
//! live) with its forward pass, backward pass and training step, each
//! taking the parameters, the gradients and a [`Workspace`] as arguments;
//! and the checks that turn a layer list into a parameter layout
//! ([`validate`]). Each layer's own work is in its file (`layers/`).

use std::ops::Range;

use matrix::{Matrix, Scalar};

use super::{Layer, MAX_PARAMETERS};
use crate::activation::Activation;
use crate::dense::{Dense, DenseInput};
use crate::error::{try_filled_vec, NnError};
use crate::layers::Pass;
use crate::loss::{self, BatchLoss, Loss};

/// The shape of a network, without its numbers: the layers, the loss, where
/// each layer's parameters live and how its epilogue runs. The passes over
/// all layers are its methods, taking every buffer as an argument.
pub(super) struct Arch {
    pub(super) layers: Vec<Layer>,
    pub(super) loss: Loss,
    /// `params[l]`: layer `l`'s range of the parameter buffer.
    pub(super) params: Vec<Range<usize>>,
    /// `widths[l]`: the output width of layer `l`.
    pub(super) widths: Vec<usize>,
    /// Where each Dense layer's parameters live, in the whole buffer.
    pub(super) dense: Vec<Dense>,
    /// `fused[l]`: Dense layer `l` writes relu(xW+b) into `acts[l + 1]`.
    pub(super) fused: Vec<bool>,
    /// Epilogues as separate sweeps ([`Network::set_fused_epilogues`]).
    pub(super) unfused: bool,
    /// `pool_masks[l]`: layer `l` is a ReLU right below a max-pool (not the
    /// first layer). The pool's backward pass then applies the ReLU's mask
    /// itself (a winner that is not positive passes no gradient), so the
    /// ReLU's own pass over the maps is skipped and the layer below reads
    /// the pool's gradient directly: the same numbers, one sweep fewer.
    pub(super) pool_masks: Vec<bool>,
}

/// The buffers one batch runs through, allocated once per batch size.
#[derive(Default)]
pub(super) struct Workspace<T: Scalar> {
    /// Rows `acts` and `d_acts` hold.
    rows: usize,
    /// `acts[l]`: output of layer `l` (empty where fusion skips it).
    pub(super) acts: Vec<Matrix<T>>,
    /// `d_acts[l]`: gradient of the loss w.r.t. the output of layer `l`.
    pub(super) d_acts: Vec<Matrix<T>>,
    /// `scratch[l]`: what layer `l`'s passes work in (a convolution's
    /// patches; empty for most layers).
    scratch: Vec<Vec<T>>,
}

impl<T: Scalar> Workspace<T> {
    /// See [`Network::reserve_batch`].
    pub(super) fn reserve(&mut self, arch: &Arch, rows: usize) -> Result<(), NnError> {
        if rows <= self.rows {
            return Ok(());
        }
        let widths = arch.output_widths();
        let buffer = |rows: usize, w: usize| {
            Matrix::try_zeros(rows, w).map_err(|e| {
                NnError::from_matrix(e, &format!("the activations of a batch of {rows} rows"))
            })
        };
        let acts = widths
            .iter()
            .enumerate()
            // A Dense fused with its ReLU writes into the ReLU's buffer.
            .map(|(l, &w)| buffer(if arch.fused[l] { 0 } else { rows }, w))
            .collect::<Result<_, _>>()?;
        let d_acts = widths
            .iter()
            .map(|&w| buffer(rows, w))
            .collect::<Result<_, _>>()?;
        let scratch = arch
            .layers
            .iter()
            .map(|layer| {
                let what = format!("the scratch of layer {} for {rows} rows", layer.token());
                try_filled_vec(layer.scratch_len(rows), T::ZERO, &what)
            })
            .collect::<Result<_, NnError>>()?;
        (self.acts, self.d_acts, self.scratch, self.rows) = (acts, d_acts, scratch, rows);
        Ok(())
    }
}

impl Arch {
    pub(super) fn input_width(&self) -> usize {
        self.layers
            .first()
            .and_then(Layer::input_width)
            .unwrap_or(0)
    }

    /// The output width of every layer.
    pub(super) fn output_widths(&self) -> Vec<usize> {
        self.widths.clone()
    }

    /// Input of layer `l` on `m` rows: `x` for layer 0, else the previous
    /// layer's output.
    fn input_of<'a, T: Scalar>(
        acts: &'a [Matrix<T>],
        x: DenseInput<'a, T>,
        l: usize,
        m: usize,
    ) -> DenseInput<'a, T> {
        if l == 0 {
            x
        } else {
            DenseInput::Dense(acts[l - 1].rows_view(0, m))
        }
    }

    /// The forward pass: runs layers `0..end` on `x`, each writing its
    /// output into `ws.acts` (a Dense layer fused with the ReLU after it
    /// writes the ReLU's output, when the ReLU runs too).
    pub(super) fn forward<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        ws: &mut Workspace<T>,
        x: DenseInput<'_, T>,
        end: usize,
    ) {
        let m = x.rows();
        let mut l = 0;
        while l < end {
            let relu = self.fused[l] && l + 1 < end;
            let target = if relu { l + 1 } else { l };
            let (before, rest) = ws.acts.split_at_mut(target);
            let input = Self::input_of(before, x, l, m);
            let out = &mut rest[0];
            let width = out.cols();
            let y = out.view_mut().submatrix_mut(0, 0, m, width);
            let params = &params[self.params[l].clone()];
            let scratch = &mut ws.scratch[l];
            let layer_pass = pass.for_layer(l);
            self.layers[l].forward(layer_pass, params, input, y, relu, !self.unfused, scratch);
            l = target + 1;
        }
    }

    /// The backward pass: from `ws.d_acts[start]` (set by the loss) down to
    /// the first layer, each layer's parameter gradients into its slots of
    /// `grads` and the gradient w.r.t. its input into `ws.d_acts`.
    pub(super) fn backward<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        grads: &mut [T],
        ws: &mut Workspace<T>,
        x: DenseInput<'_, T>,
        start: usize,
    ) {
        self.backward_down_to(pass, params, grads, ws, x, start, 0);
    }

    /// [`backward`](Self::backward) over layers `start` down to `lowest`
    /// only: with `lowest == 1`, everything but the first (Dense) layer's
    /// own pass, whose output gradient is then in `ws.d_acts[0]` (how a
    /// training step fuses that layer's weight update into its product).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn backward_down_to<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        grads: &mut [T],
        ws: &mut Workspace<T>,
        x: DenseInput<'_, T>,
        start: usize,
        lowest: usize,
    ) {
        let m = x.rows();
        // A ReLU the pool above masks, with the pool and the layer below
        // both in this pass: skipped.
        let skipped = |r: usize| self.pool_masks[r] && lowest < r && r < start;
        for l in (lowest..=start).rev() {
            if skipped(l) {
                continue;
            }
            // The gradient w.r.t. this layer's output: the pool's, past a
            // skipped ReLU.
            let from = if l < start && skipped(l + 1) {
                l + 1
            } else {
                l
            };
            let (d_before, d_rest) = ws.d_acts.split_at_mut(l);
            let dy = d_rest[from - l].rows_view(0, m);
            // A Dense layer fused with its ReLU stores only the ReLU's
            // output: neither its own output nor the ReLU's input exists.
            let x = (l == 0 || !self.fused[l - 1]).then(|| Self::input_of(&ws.acts, x, l, m));
            let y = (!self.fused[l]).then(|| ws.acts[l].rows_view(0, m));
            // No layer below learns anything: the input's gradient is not
            // needed (a convolution after the input's standardisation).
            let below_learns = self.params[..l].iter().any(|r| !r.is_empty());
            let dx = d_before.last_mut().filter(|_| below_learns).map(|dx| {
                let width = dx.cols();
                dx.view_mut().submatrix_mut(0, 0, m, width)
            });
            let range = self.params[l].clone();
            let (params, grads) = (&params[range.clone()], &mut grads[range]);
            let scratch = &mut ws.scratch[l];
            let layer_pass = pass.for_layer(l);
            let masks_relu = l > 0 && self.pool_masks[l - 1];
            self.layers[l].backward(layer_pass, params, x, y, dy, grads, dx, masks_relu, scratch);
        }
    }

    /// One training step on a checked batch: [`forward_loss`](Self::forward_loss),
    /// then the backward pass. Returns `(mean loss, correct predictions)`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn train_step<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        grads: &mut [T],
        ws: &mut Workspace<T>,
        x: DenseInput<'_, T>,
        labels: &[u8],
    ) -> (f64, usize) {
        let batch = self.forward_loss(pass, params, ws, x, labels);
        self.backward(pass, params, grads, ws, x, self.layers.len() - 2);
        (batch.sum / labels.len() as f64, batch.correct)
    }

    /// The forward pass up to the logits, then the output activation fused
    /// with the loss: probabilities into the last buffer, the gradient of
    /// the mean loss w.r.t. the logits into the one before (where the
    /// backward pass starts, at layer `layers.len() - 2`).
    pub(super) fn forward_loss<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        ws: &mut Workspace<T>,
        x: DenseInput<'_, T>,
        labels: &[u8],
    ) -> BatchLoss {
        let m = labels.len();
        // validate: the last layer is an activation after a Dense layer.
        let last = self.layers.len() - 1;
        self.forward(pass, params, ws, x, last);
        let scale = T::ONE / T::from_f64(m as f64);
        let (acts_before, acts_last) = ws.acts.split_at_mut(last);
        let logits = acts_before[last - 1].rows_view(0, m);
        let out_w = logits.cols();
        let probs = acts_last[0].view_mut().submatrix_mut(0, 0, m, out_w);
        let d_logits = ws.d_acts[last - 1].view_mut().submatrix_mut(0, 0, m, out_w);
        match self.loss {
            Loss::SoftmaxCrossEntropy => {
                loss::softmax_cross_entropy(logits, labels, probs, d_logits, scale)
            }
            Loss::BinaryCrossEntropy => {
                loss::sigmoid_binary_cross_entropy(logits, labels, probs, d_logits, scale)
            }
        }
    }
}

/// What [`validate`] makes of a layer list: each layer's parameter range
/// and output width, and where the Dense layers' parameters live.
pub(super) struct Layout {
    pub(super) params: Vec<Range<usize>>,
    pub(super) widths: Vec<usize>,
    pub(super) dense: Vec<Dense>,
}

/// Checks the layer list (each layer's shape rule on the width before it,
/// the parameter count, the output layer against the loss) and lays out
/// the parameter buffer.
pub(super) fn validate(layers: &[Layer], loss: Loss) -> Result<Layout, NnError> {
    let arch = |msg: &str| Err(NnError::Architecture(msg.to_string()));
    if layers.len() < 2 {
        return arch("a network needs at least a Dense layer and an output layer");
    }
    let Some(mut width) = layers[0].input_width() else {
        return arch("the first layer must be Dense or Conv2d");
    };
    let mut layout = Layout {
        params: Vec::with_capacity(layers.len()),
        widths: Vec::with_capacity(layers.len()),
        dense: Vec::new(),
    };
    let mut offset = 0usize;
    for (l, layer) in layers.iter().enumerate() {
        width = layer.output_width(l, width)?;
        // The shape rule bounds each layer's widths (2^20 for Dense), so its
        // parameter count cannot overflow; the running total is checked.
        let end = offset + layer.param_count();
        if end > MAX_PARAMETERS {
            return Err(NnError::TooLarge {
                what: format!("the parameter count up to layer {l} ({})", layer.token()),
                size: end as u64,
                limit: MAX_PARAMETERS as u64,
            });
        }
        if let Layer::Dense { inputs, outputs } = *layer {
            layout.dense.push(Dense {
                layer: l,
                inputs,
                outputs,
                weight: offset,
                bias: offset + inputs * outputs,
            });
        }
        layout.params.push(offset..end);
        layout.widths.push(width);
        offset = end;
    }
    let last = layers[layers.len() - 1];
    let before_last = layers[layers.len() - 2];
    if !matches!(before_last, Layer::Dense { .. }) {
        return arch("the output activation must follow a Dense layer");
    }
    match (loss, last) {
        (Loss::SoftmaxCrossEntropy, Layer::Softmax) => {}
        (Loss::BinaryCrossEntropy, Layer::Act(Activation::Sigmoid)) if width == 1 => {}
        (Loss::SoftmaxCrossEntropy, _) => {
            return arch("cross-entropy needs a Softmax output layer")
        }
        (Loss::BinaryCrossEntropy, _) => {
            return arch("binary cross-entropy needs a single Sigmoid output")
        }
    }
    Ok(layout)
}
