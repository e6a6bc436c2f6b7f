//! A feed-forward network: an ordered list of layers over one contiguous
//! parameter buffer, with the activations of a batch allocated once.
//!
//! Data flow of one training step (llm.c style, explicit buffers):
//!
//! ```text
//! x ─Dense─▶ acts[0] ─ReLU─▶ acts[1] ─Dense─▶ acts[2] ─Softmax─▶ acts[3] = p
//!                                                 ▲ loss: d_acts[2] = (p - y)/m
//! dW = inputᵀ·dY, db = colsum(dY), dX = dY·Wᵀ  ◀── backward, layer by layer
//! ```
//!
//! A [`Network`] is three things: the architecture (layers and each one's
//! range of the parameter buffer), the parameters and their gradients (one
//! flat buffer each, so an optimizer step is one loop and a model file one
//! write), and a `Workspace` with the buffers a batch runs through. The
//! forward and backward loops take the parameters, the gradients and the
//! workspace as arguments and call each layer's own pass on its ranges
//! ([`Layer`]'s operations, each layer's code in its file of
//! [`crate::layers`]), so a split of a batch into chunks needs only one
//! workspace (and gradient buffer) per chunk. This file is the public
//! [`Network`]; the loops, the buffers and the layer-list checks are in
//! `network/arch.rs`. Neither knows any layer's arithmetic.
//!
//! A Dense layer followed by ReLU runs as one gemm with a fused bias + ReLU
//! epilogue writing straight into the ReLU's output; ReLU's backward only
//! needs that output (`y > 0` iff `x > 0`), so nothing else changes.

use std::ops::Range;

use matrix::{ops, MatrixView, MatrixViewMut, Scalar};
use rand::Rng;

use crate::activation::Activation;
use crate::aligned::LineAligned;
pub use crate::dense::Dense as DenseParams;
use crate::dense::{Dense, DenseInput};
use crate::error::NnError;
use crate::input::{InputSparsity, PreparedBatch, SparseBatch};
pub use crate::layers::dense::MAX_LAYER_WIDTH;
use crate::layers::Pass;
pub use crate::layers::{Init, Layer};
use crate::loss::Loss;
use crate::optim::Optimizer;

mod arch;
mod profile;
mod spec;
use arch::{validate, Arch, Workspace};
pub use profile::LayerTime;
pub use spec::{layers_from_spec, LENET5, PYTORCH_MNIST_EXAMPLE};

/// A feed-forward network with element type `T` (f32 to train, f64 for
/// gradient checks).
pub struct Network<T: Scalar> {
    arch: Arch,
    params: LineAligned<T>,
    grads: LineAligned<T>,
    /// Whether the first Dense layer may skip its input's zeros.
    sparsity: InputSparsity,
    ws: Workspace<T>,
    sparse: SparseBatch<T>,
    /// Seed of the layers' random choices in training (dropout's masks),
    /// drawn with the parameters.
    seed: u64,
    /// Training steps taken: each step's layers draw from `seed` and this.
    steps: u64,
}

impl<T: Scalar> Network<T> {
    /// Builds a network from its layers, checking that widths chain and that
    /// the last layer fits the loss (Softmax for cross-entropy, a 1-wide
    /// Sigmoid for binary cross-entropy). Parameters are initialised from `rng`.
    pub fn new<R: Rng + ?Sized>(
        layers: Vec<Layer>,
        loss: Loss,
        init: Init,
        rng: &mut R,
    ) -> Result<Network<T>, NnError> {
        let layout = validate(&layers, loss)?;
        let total = layout.params.last().map_or(0, |r| r.end);
        let fused = (0..layers.len())
            .map(|l| {
                layers[l].fuses_relu() && layers.get(l + 1) == Some(&Layer::Act(Activation::Relu))
            })
            .collect();
        let pool_masks = (0..layers.len())
            .map(|l| {
                l > 0
                    && layers[l] == Layer::Act(Activation::Relu)
                    && matches!(layers.get(l + 1), Some(Layer::MaxPool2d { .. }))
            })
            .collect();
        let mut net = Network {
            arch: Arch {
                layers,
                loss,
                params: layout.params,
                widths: layout.widths,
                dense: layout.dense,
                fused,
                unfused: false,
                pool_masks,
            },
            params: LineAligned::try_filled(total, T::ZERO, "the parameters")?,
            grads: LineAligned::try_filled(total, T::ZERO, "the gradients")?,
            sparsity: InputSparsity::Auto,
            ws: Workspace::default(),
            sparse: SparseBatch::new(),
            seed: 0,
            steps: 0,
        };
        net.initialize(init, rng);
        Ok(net)
    }

    /// A multi-layer perceptron `inputs -> hidden... -> outputs` with the
    /// given activation between Dense layers, ending in Softmax (or Sigmoid
    /// when `loss` is binary cross-entropy and `outputs == 1`).
    pub fn mlp<R: Rng + ?Sized>(
        inputs: usize,
        hidden: &[usize],
        activation: Activation,
        outputs: usize,
        loss: Loss,
        init: Init,
        rng: &mut R,
    ) -> Result<Network<T>, NnError> {
        Network::new(
            mlp_layers(inputs, hidden, activation, outputs, loss),
            loss,
            init,
            rng,
        )
    }

    /// Re-draws every parameter, and the seed of the training steps'
    /// random choices (dropout's masks).
    pub fn initialize<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        let layers = &self.arch.layers;
        for (l, layer) in layers.iter().enumerate() {
            let params = &mut self.params[self.arch.params[l].clone()];
            layer.init(params, init, layers.get(l + 1), rng);
        }
        self.seed = rng.random();
        self.steps = 0;
    }

    /// Training steps taken since the parameters were drawn (or since
    /// [`set_training_steps`](Self::set_training_steps)).
    pub fn training_steps(&self) -> u64 {
        self.steps
    }

    /// Sets the step count that the next training step's random choices
    /// (dropout's masks) follow: setting it back replays a step with the
    /// same masks (a gradient check does), as resuming a run would.
    pub fn set_training_steps(&mut self, steps: u64) {
        self.steps = steps;
    }

    /// The pass of the next training step, and counts it.
    fn next_training_pass(&mut self) -> Pass {
        self.steps += 1;
        Pass::Train {
            seed: crate::layers::dropout::mix(self.seed ^ self.steps),
        }
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Layer] {
        &self.arch.layers
    }
    /// The loss the network trains with.
    pub fn loss(&self) -> Loss {
        self.arch.loss
    }
    /// Where each Dense layer's parameters live.
    pub fn dense_params(&self) -> &[Dense] {
        &self.arch.dense
    }
    /// Each layer's range of the parameter buffer (empty for a layer
    /// without parameters), holding its [`Layer::tensors`] in order.
    pub fn param_ranges(&self) -> &[Range<usize>] {
        &self.arch.params
    }
    /// All parameters, one contiguous buffer.
    pub fn params(&self) -> &[T] {
        &self.params
    }
    /// All parameters, mutable (optimizers, loading a model).
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }
    /// Gradients of the last [`train_step`](Self::train_step), same layout as the parameters.
    pub fn grads(&self) -> &[T] {
        &self.grads
    }
    /// Parameters and gradients together, for an optimizer step.
    pub fn params_and_grads(&mut self) -> (&mut [T], &[T]) {
        (&mut self.params, &self.grads)
    }
    /// Input width.
    pub fn input_width(&self) -> usize {
        self.arch.input_width()
    }
    /// Output width.
    pub fn output_width(&self) -> usize {
        self.arch.dense.last().map_or(0, |d| d.outputs)
    }
    /// The parameter ranges weight decay applies to (weights, not biases).
    pub fn weight_ranges(&self) -> Vec<Range<usize>> {
        let layers = self.arch.layers.iter().zip(&self.arch.params);
        layers
            .filter_map(|(layer, range)| {
                let weight = layer.tensors().into_iter().find(|t| t.name == "weight")?;
                Some(range.start..range.start + weight.len())
            })
            .collect()
    }

    /// Whether the first Dense layer may skip its input's zeros (see
    /// [`crate::input`]); [`InputSparsity::Auto`] unless set, and always
    /// [`InputSparsity::Dense`] when the first layer is not Dense (a
    /// convolution reads the dense batch).
    pub fn input_sparsity(&self) -> InputSparsity {
        if self.arch.layers[0].reads_any_input_form() {
            self.sparsity
        } else {
            InputSparsity::Dense
        }
    }

    /// Sets [`input_sparsity`](Self::input_sparsity).
    pub fn set_input_sparsity(&mut self, sparsity: InputSparsity) {
        self.sparsity = sparsity;
    }

    /// With `false`, the forward pass runs unfused: each Dense layer's gemm,
    /// then its bias and a following ReLU as separate sweeps over the output
    /// (the plain version the fused epilogue is tested and measured
    /// against). The results are the same; `true` (the default) fuses.
    pub fn set_fused_epilogues(&mut self, fused: bool) {
        self.arch.unfused = !fused;
    }

    /// A one-line description such as `784-800(relu)-10(softmax)`.
    pub fn describe(&self) -> String {
        let layers = &self.arch.layers;
        let mut s = self.input_width().to_string();
        for (l, layer) in layers.iter().enumerate() {
            if let Some(part) = layer.describe(layers.get(l + 1)) {
                s.push('-');
                s.push_str(&part);
            }
        }
        s
    }

    /// Makes the activation buffers hold at least `rows` rows. Allocates only
    /// when `rows` exceeds every batch size seen before.
    ///
    /// # Errors
    /// [`NnError::OutOfMemory`] if the buffers cannot be allocated (the
    /// network keeps its previous buffers).
    pub fn reserve_batch(&mut self, rows: usize) -> Result<(), NnError> {
        self.ws.reserve(&self.arch, rows)
    }

    /// Runs the network on `x` (one sample per row) and returns the output
    /// (probabilities for a softmax or sigmoid classifier), valid until the
    /// next call.
    ///
    /// # Errors
    /// If `x` does not have [`input_width`](Self::input_width) columns.
    pub fn forward(&mut self, x: MatrixView<'_, T>) -> Result<MatrixView<'_, T>, NnError> {
        self.forward_to(x, self.arch.layers.len())
    }

    /// Runs layers `0..end` on `x` and returns the output of layer `end - 1`
    /// (for example the input of the last Dense layer, to look at what a
    /// network has learned), valid until the next call. The same pass as
    /// [`forward`](Self::forward), which is `forward_to(x, layers().len())`.
    ///
    /// # Errors
    /// If `x` does not have [`input_width`](Self::input_width) columns, if
    /// `end` is not in `1..=layers().len()`, or if layer `end - 1` is a Dense
    /// layer whose output goes straight through the following ReLU (the
    /// fused epilogue), so that it is never stored.
    pub fn forward_to(
        &mut self,
        x: MatrixView<'_, T>,
        end: usize,
    ) -> Result<MatrixView<'_, T>, NnError> {
        self.check_input(x)?;
        let layers = self.arch.layers.len();
        if end == 0 || end > layers {
            return Err(NnError::Shape(format!(
                "forward_to: the network has {layers} layers, cannot stop after {end}"
            )));
        }
        if self.arch.fused[end - 1] {
            return Err(NnError::Shape(format!(
                "forward_to: layer {} is a Dense layer fused with the ReLU after it, \
                 its own output is never stored",
                end - 1
            )));
        }
        self.run_forward(x, end)
    }

    /// The forward pass over layers `0..end` of an input already checked.
    fn run_forward(
        &mut self,
        x: MatrixView<'_, T>,
        end: usize,
    ) -> Result<MatrixView<'_, T>, NnError> {
        let m = x.rows();
        self.reserve_batch(m)?;
        let sparsity = self.input_sparsity();
        let input = sparse_or_dense(&mut self.sparse, x, sparsity, false);
        let arch = &self.arch;
        arch.forward(Pass::Infer, &self.params, &mut self.ws, input, end);
        Ok(self.ws.acts[end - 1].rows_view(0, m))
    }

    /// Predicted class of each row of `x` (argmax of the output; for a
    /// single sigmoid output, `p >= 0.5`). Runs in chunks of at most
    /// `chunk` rows to bound memory, and of fewer where the network's
    /// buffers for `chunk` rows would pass [`PREDICT_MEMORY`] bytes (a
    /// convolutional network's maps are tens of thousands of numbers a
    /// sample).
    pub fn predict(&mut self, x: MatrixView<'_, T>, chunk: usize) -> Result<Vec<usize>, NnError> {
        self.check_input(x)?;
        // The activations and their gradients, per row.
        let row_bytes = 2 * self.arch.widths.iter().sum::<usize>() * std::mem::size_of::<T>();
        let chunk = chunk.min(PREDICT_MEMORY / row_bytes.max(1)).max(1);
        let end = self.arch.layers.len();
        let mut out = Vec::with_capacity(x.rows());
        let mut r0 = 0;
        while r0 < x.rows() {
            let n = chunk.min(x.rows() - r0);
            let probs = self.run_forward(x.submatrix(r0, 0, n, x.cols()), end)?;
            if probs.cols() == 1 {
                out.extend((0..n).map(|i| usize::from(probs[(i, 0)] >= T::from_f64(0.5))));
            } else {
                out.extend(ops::argmax_rows(probs));
            }
            r0 += n;
        }
        Ok(out)
    }

    /// Forward, loss and backward for one batch: fills [`grads`](Self::grads)
    /// with the gradient of the mean loss and returns `(mean loss, correct
    /// predictions)`. Allocates nothing once the batch size has been seen.
    ///
    /// # Errors
    /// Wrong input width, label count or a label outside the output range.
    pub fn train_step(
        &mut self,
        x: MatrixView<'_, T>,
        labels: &[u8],
    ) -> Result<(f64, usize), NnError> {
        self.check_batch(x, labels)?;
        self.reserve_batch(x.rows())?;
        let pass = self.next_training_pass();
        let sparsity = self.input_sparsity();
        let input = sparse_or_dense(&mut self.sparse, x, sparsity, true);
        let arch = &self.arch;
        Ok(arch.train_step(
            pass,
            &self.params,
            &mut self.grads,
            &mut self.ws,
            input,
            labels,
        ))
    }

    /// [`train_step`](Self::train_step) and then `optimizer.step(params,
    /// grads, lr)`, with the same parameters and optimizer state, bit for
    /// bit, as the two calls; how [`crate::train::fit`] steps.
    ///
    /// With classical momentum and a batch the first layer reads sparse (as
    /// MNIST's are), that layer's weights are updated inside the product
    /// that computes their gradient ([`matrix::sparse_gemm_tiles`]):
    /// the gradient, as big as the weights, is never written out and read
    /// back. [`grads`](Self::grads) then holds every gradient but that one.
    /// A NaN or infinite loss updates nothing.
    ///
    /// # Errors
    /// As [`train_step`](Self::train_step), or an optimizer made for
    /// another number of parameters.
    pub fn train_step_and_update(
        &mut self,
        x: MatrixView<'_, T>,
        labels: &[u8],
        optimizer: &mut Optimizer<T>,
        lr: f64,
    ) -> Result<(f64, usize), NnError> {
        self.check_batch(x, labels)?;
        self.check_optimizer(optimizer)?;
        self.reserve_batch(x.rows())?;
        let pass = self.next_training_pass();
        let sparsity = self.input_sparsity();
        let Network {
            arch,
            params,
            grads,
            ws,
            sparse,
            ..
        } = self;
        let input = sparse_or_dense(sparse, x, sparsity, true);
        Ok(step_and_update(
            pass, arch, params, grads, ws, input, labels, optimizer, lr,
        ))
    }

    /// [`train_step_and_update`](Self::train_step_and_update) on a batch
    /// already in sparse form (see [`SparseBatch`]; how [`crate::fit`]
    /// steps on mini-batches it builds from the data set's nonzeros). The
    /// same result, bit for bit, as that method on the dense batch when the
    /// network's sparsity policy takes it as sparse.
    ///
    /// # Errors
    /// As [`train_step_and_update`](Self::train_step_and_update).
    pub fn train_step_sparse_and_update(
        &mut self,
        batch: &SparseBatch<T>,
        labels: &[u8],
        optimizer: &mut Optimizer<T>,
        lr: f64,
    ) -> Result<(f64, usize), NnError> {
        self.checked_step_and_update(batch.input(), labels, optimizer, lr)
    }

    /// [`train_step_prepared`](Self::train_step_prepared) and the update, as
    /// [`train_step_and_update`](Self::train_step_and_update).
    ///
    /// # Errors
    /// As [`train_step_and_update`](Self::train_step_and_update).
    pub fn train_step_prepared_and_update(
        &mut self,
        batch: &PreparedBatch<'_, T>,
        labels: &[u8],
        optimizer: &mut Optimizer<T>,
        lr: f64,
    ) -> Result<(f64, usize), NnError> {
        self.checked_step_and_update(batch.input(), labels, optimizer, lr)
    }

    /// The checks and the step of the `_and_update` methods, for an input
    /// the caller owns.
    fn checked_step_and_update(
        &mut self,
        input: DenseInput<'_, T>,
        labels: &[u8],
        optimizer: &mut Optimizer<T>,
        lr: f64,
    ) -> Result<(f64, usize), NnError> {
        self.check_labels(input.rows(), input.cols(), labels)?;
        self.check_input_form(input)?;
        self.check_optimizer(optimizer)?;
        self.reserve_batch(input.rows())?;
        let pass = self.next_training_pass();
        let Network {
            arch,
            params,
            grads,
            ws,
            ..
        } = self;
        Ok(step_and_update(
            pass, arch, params, grads, ws, input, labels, optimizer, lr,
        ))
    }

    /// [`train_step`](Self::train_step) on a batch prepared once for many
    /// steps (full-batch gradient descent): the first layer reads the form
    /// [`PreparedBatch::new`] made (its nonzeros, or its dense transpose).
    /// Same result up to rounding.
    ///
    /// # Errors
    /// As [`train_step`](Self::train_step).
    pub fn train_step_prepared(
        &mut self,
        batch: &PreparedBatch<'_, T>,
        labels: &[u8],
    ) -> Result<(f64, usize), NnError> {
        self.check_batch(batch.x(), labels)?;
        self.check_input_form(batch.input())?;
        self.reserve_batch(batch.x().rows())?;
        let pass = self.next_training_pass();
        let arch = &self.arch;
        Ok(arch.train_step(
            pass,
            &self.params,
            &mut self.grads,
            &mut self.ws,
            batch.input(),
            labels,
        ))
    }

    /// Gradient of `L = sum(weights ⊙ output)` for any last layer: runs the
    /// full forward pass and backpropagates through every layer, including
    /// a final Softmax or activation (no fused loss). For gradient checks.
    pub fn backward_linear_functional(
        &mut self,
        x: MatrixView<'_, T>,
        weights: MatrixView<'_, T>,
    ) -> Result<f64, NnError> {
        self.forward(x)?;
        let m = x.rows();
        let last = self.arch.layers.len() - 1;
        let out = self.ws.acts[last].rows_view(0, m);
        let value: f64 = (0..m)
            .flat_map(|i| (0..out.cols()).map(move |j| (i, j)))
            .map(|(i, j)| (out[(i, j)] * weights[(i, j)]).to_f64())
            .sum();
        self.ws.d_acts[last]
            .view_mut()
            .submatrix_mut(0, 0, m, out.cols())
            .copy_from(weights);
        let input = DenseInput::Dense(x);
        let arch = &self.arch;
        let (params, grads) = (&self.params, &mut self.grads);
        arch.backward(Pass::Infer, params, grads, &mut self.ws, input, last);
        Ok(value)
    }

    /// A batch in sparse form is for a network whose first layer reads it.
    fn check_input_form(&self, input: DenseInput<'_, T>) -> Result<(), NnError> {
        if input.dense().is_none() && !self.arch.layers[0].reads_any_input_form() {
            return Err(NnError::Shape(format!(
                "a sparse batch cannot feed a network whose first layer is {}",
                self.arch.layers[0].token()
            )));
        }
        Ok(())
    }

    fn check_optimizer(&self, optimizer: &Optimizer<T>) -> Result<(), NnError> {
        if optimizer.param_count() != self.params.len() {
            return Err(NnError::Shape(format!(
                "the optimizer was made for {} parameters but the network has {}",
                optimizer.param_count(),
                self.params.len()
            )));
        }
        Ok(())
    }

    fn check_input(&self, x: MatrixView<'_, T>) -> Result<(), NnError> {
        self.check_width(x.rows(), x.cols())
    }

    fn check_width(&self, rows: usize, cols: usize) -> Result<(), NnError> {
        if cols != self.input_width() {
            return Err(NnError::Shape(format!(
                "the network takes {} inputs per row but got a {rows}x{cols} batch",
                self.input_width(),
            )));
        }
        Ok(())
    }

    /// What a training step checks, once: the input width, one label per
    /// row, every label a class of the output.
    fn check_batch(&self, x: MatrixView<'_, T>, labels: &[u8]) -> Result<(), NnError> {
        self.check_labels(x.rows(), x.cols(), labels)
    }

    /// [`check_batch`](Self::check_batch) of an `m x cols` batch.
    fn check_labels(&self, m: usize, cols: usize, labels: &[u8]) -> Result<(), NnError> {
        self.check_width(m, cols)?;
        if labels.len() != m {
            return Err(NnError::Shape(format!(
                "train_step: {m} input rows but {} labels",
                labels.len()
            )));
        }
        let classes = self.output_width().max(2);
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(NnError::Shape(format!(
                "train_step: label {bad} is out of range for {classes} classes"
            )));
        }
        Ok(())
    }
}

/// `x`'s sparse form in `sparse` if `sparsity` and its density allow (with
/// the transpose for a training step), else `x` itself.
fn sparse_or_dense<'a, T: Scalar>(
    sparse: &'a mut SparseBatch<T>,
    x: MatrixView<'a, T>,
    sparsity: InputSparsity,
    with_transpose: bool,
) -> DenseInput<'a, T> {
    if sparse.assign_dense(x, sparsity, with_transpose) {
        sparse.input()
    } else {
        DenseInput::Dense(x)
    }
}

/// A training step and the optimizer's update (see
/// [`Network::train_step_and_update`]): the first layer's weight update
/// fused into its gradient's product where the input is sparse and the
/// rule is momentum, else the step and [`Optimizer::step`].
#[allow(clippy::too_many_arguments)]
fn step_and_update<T: Scalar>(
    pass: Pass,
    arch: &Arch,
    params: &mut [T],
    grads: &mut [T],
    ws: &mut Workspace<T>,
    input: DenseInput<'_, T>,
    labels: &[u8],
    optimizer: &mut Optimizer<T>,
    lr: f64,
) -> (f64, usize) {
    let batch = arch.forward_loss(pass, params, ws, input, labels);
    let (m, loss) = (labels.len(), batch.sum / labels.len() as f64);
    let start = arch.layers.len() - 2;
    let first = arch.dense[0];
    let x_t = match input {
        DenseInput::Sparse {
            transposed: Some(x_t),
            ..
        } if loss.is_finite() && first.layer == 0 => Some(x_t),
        _ => None,
    };
    let fused = x_t.and_then(|x_t| {
        optimizer
            .fused_momentum(first.weight_range(), lr)
            .map(|f| (x_t, f))
    });
    let Some((x_t, (update, velocity))) = fused else {
        arch.backward(pass, params, grads, ws, input, start);
        if loss.is_finite() {
            optimizer.step(params, grads, lr);
        }
        return (loss, batch.correct);
    };
    // Every layer's backward pass but the first's, then its bias gradient
    // and its weights' update, from dY (the gradient at its output).
    arch.backward_down_to(pass, params, grads, ws, input, start, 1);
    let dy = ws.d_acts[0].rows_view(0, m);
    first.bias_gradient(dy, grads);
    let (k, n) = (first.inputs, first.outputs);
    // The weight gradient Xᵀ dY a tile at a time, each tile applied to the
    // same block of the weights and the velocity while it is in cache.
    let weights = MatrixViewMut::from_slice(&mut params[first.weight_range()], k, n, n, 1);
    let velocity = MatrixViewMut::from_slice(velocity, k, n, n, 1);
    matrix::sparse_gemm_tiles(x_t, dy, [weights, velocity], update)
        .expect("the first layer's weights, velocity and gradient have one shape");
    optimizer.step_except(params, grads, lr, first.weight_range());
    (loss, batch.correct)
}

/// The layer list of an MLP (see [`Network::mlp`]).
pub fn mlp_layers(
    inputs: usize,
    hidden: &[usize],
    activation: Activation,
    outputs: usize,
    loss: Loss,
) -> Vec<Layer> {
    let mut layers = Vec::new();
    let mut width = inputs;
    for &h in hidden {
        layers.push(Layer::Dense {
            inputs: width,
            outputs: h,
        });
        layers.push(Layer::Act(activation));
        width = h;
    }
    layers.push(Layer::Dense {
        inputs: width,
        outputs,
    });
    layers.push(match loss {
        Loss::SoftmaxCrossEntropy => Layer::Softmax,
        Loss::BinaryCrossEntropy => Layer::Act(Activation::Sigmoid),
    });
    layers
}

/// The memory [`Network::predict`] lets its buffers grow to for one chunk
/// of rows (unless one row needs more): 256 MiB.
pub const PREDICT_MEMORY: usize = 256 << 20;

/// Most parameters (weights and biases) a network may have: 2^30, 4 GiB of
/// f32 before gradients and optimizer state.
pub const MAX_PARAMETERS: usize = 1 << 30;
