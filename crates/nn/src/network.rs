//! A feed-forward network: an ordered list of layers over one contiguous
//! parameter buffer, with activations and gradients allocated once.
//!
//! Data flow of one training step (llm.c style, explicit buffers):
//!
//! ```text
//! x ─Dense─▶ acts[0] ─ReLU─▶ acts[1] ─Dense─▶ acts[2] ─Softmax─▶ acts[3] = p
//!                                                 ▲ loss: d_acts[2] = (p - y)/m
//! dW = inputᵀ·dY, db = colsum(dY), dX = dY·Wᵀ  ◀── backward, layer by layer
//! ```
//!
//! A Dense layer followed by ReLU runs as one gemm with a fused bias + ReLU
//! epilogue writing straight into the ReLU's output; ReLU's backward only
//! needs that output (`y > 0` iff `x > 0`), so nothing else changes.

use std::ops::Range;

use matrix::{
    gemm, gemm_fused, ops, sparse_gemm, Epilogue, Matrix, MatrixView, Scalar, SparseMatrix,
};
use rand::Rng;

use crate::activation::Activation;
use crate::error::{try_filled_vec, NnError};
use crate::input::{FirstInput, InputSparsity, PreparedBatch, PreparedForm};
use crate::loss::{self, Loss};

/// One layer of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// `y = x W + b`, `W` is `inputs x outputs` (row-major), `b` has `outputs`.
    Dense {
        /// Width of the input.
        inputs: usize,
        /// Width of the output.
        outputs: usize,
    },
    /// An elementwise activation.
    Act(Activation),
    /// Row-wise softmax (the output layer of a classifier).
    Softmax,
}

/// How Dense weights start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// He (normal, std `sqrt(2 / inputs)`) before ReLU, Xavier (uniform,
    /// `±sqrt(6 / (inputs + outputs))`) otherwise; biases zero.
    Auto,
    /// Every weight **and bias** uniform in `[low, high)` (the reference
    /// numpy `Network` class the seed presets reproduce).
    Uniform {
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (exclusive).
        high: f64,
    },
}

/// Where a Dense layer's parameters live in the flat buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenseParams {
    /// Index of the layer in the network.
    pub layer: usize,
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Offset of `W` (`inputs * outputs` elements, row-major).
    pub weight: usize,
    /// Offset of `b` (`outputs` elements).
    pub bias: usize,
}

impl DenseParams {
    /// The weight range in the parameter buffer.
    pub fn weight_range(&self) -> Range<usize> {
        self.weight..self.weight + self.inputs * self.outputs
    }
    /// The bias range in the parameter buffer.
    pub fn bias_range(&self) -> Range<usize> {
        self.bias..self.bias + self.outputs
    }
}

/// A feed-forward network with element type `T` (f32 to train, f64 for
/// gradient checks).
pub struct Network<T: Scalar> {
    layers: Vec<Layer>,
    loss: Loss,
    dense: Vec<DenseParams>,
    params: Vec<T>,
    grads: Vec<T>,
    /// `fused[l]`: Dense layer `l` writes relu(xW+b) into `acts[l + 1]`.
    fused: Vec<bool>,
    /// Forward pass without epilogues ([`Network::set_fused_epilogues`]).
    unfused: bool,
    /// Rows the buffers below hold.
    capacity: usize,
    /// `acts[l]`: output of layer `l` (empty where fusion skips it).
    acts: Vec<Matrix<T>>,
    /// `d_acts[l]`: gradient of the loss w.r.t. the output of layer `l`.
    d_acts: Vec<Matrix<T>>,
    /// Whether the first Dense layer may skip its input's zeros.
    sparsity: InputSparsity,
    /// The batch's nonzeros and their transpose (reused every step).
    x_sparse: SparseMatrix<T>,
    x_t_sparse: SparseMatrix<T>,
    /// Batch rows the two above are reserved for.
    sparse_rows: usize,
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
        let dense = validate(&layers, loss)?;
        let total = dense.last().map_or(0, |d| d.bias + d.outputs);
        let fused = (0..layers.len())
            .map(|l| {
                matches!(layers[l], Layer::Dense { .. })
                    && layers.get(l + 1) == Some(&Layer::Act(Activation::Relu))
            })
            .collect();
        let mut net = Network {
            layers,
            loss,
            dense,
            params: try_filled_vec(total, T::ZERO, "the parameters")?,
            grads: try_filled_vec(total, T::ZERO, "the gradients")?,
            fused,
            unfused: false,
            capacity: 0,
            acts: Vec::new(),
            d_acts: Vec::new(),
            sparsity: InputSparsity::Auto,
            x_sparse: SparseMatrix::new(),
            x_t_sparse: SparseMatrix::new(),
            sparse_rows: 0,
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

    /// Re-draws every parameter.
    pub fn initialize<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        for d in self.dense.clone() {
            let next = self.layers.get(d.layer + 1).copied();
            match init {
                Init::Uniform { low, high } => {
                    for x in &mut self.params[d.weight..d.bias + d.outputs] {
                        *x = T::from_f64(rng.random_range(low..high));
                    }
                }
                Init::Auto if next == Some(Layer::Act(Activation::Relu)) => {
                    let std = (2.0 / d.inputs as f64).sqrt();
                    for x in &mut self.params[d.weight_range()] {
                        *x = T::from_f64(std * standard_normal(rng));
                    }
                    self.params[d.bias_range()].fill(T::ZERO);
                }
                Init::Auto => {
                    let bound = (6.0 / (d.inputs + d.outputs) as f64).sqrt();
                    for x in &mut self.params[d.weight_range()] {
                        *x = T::from_f64(rng.random_range(-bound..bound));
                    }
                    self.params[d.bias_range()].fill(T::ZERO);
                }
            }
        }
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    /// The loss the network trains with.
    pub fn loss(&self) -> Loss {
        self.loss
    }
    /// Where each Dense layer's parameters live.
    pub fn dense_params(&self) -> &[DenseParams] {
        &self.dense
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
        self.dense.first().map_or(0, |d| d.inputs)
    }
    /// Output width.
    pub fn output_width(&self) -> usize {
        self.dense.last().map_or(0, |d| d.outputs)
    }
    /// The parameter ranges weight decay applies to (weights, not biases).
    pub fn weight_ranges(&self) -> Vec<Range<usize>> {
        self.dense.iter().map(|d| d.weight_range()).collect()
    }

    /// Whether the first Dense layer may skip its input's zeros (see
    /// [`crate::input`]); [`InputSparsity::Auto`] unless set.
    pub fn input_sparsity(&self) -> InputSparsity {
        self.sparsity
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
        self.unfused = !fused;
    }

    /// Builds the sparse form of `x` (and its transpose, for a training
    /// step) into the reused buffers if the first layer is Dense and the
    /// policy and the batch's density allow. The buffers are reserved for
    /// the densest batch the policy accepts, so a training loop allocates
    /// here only for its first batch.
    fn build_sparse_input(&mut self, x: MatrixView<'_, T>, with_transpose: bool) -> bool {
        if !matches!(self.layers.first(), Some(Layer::Dense { .. })) {
            return false;
        }
        let Some(max_nnz) = self.sparsity.max_nnz(x.rows(), x.cols()) else {
            return false;
        };
        if x.rows() > self.sparse_rows {
            self.x_sparse.reserve(max_nnz);
            self.x_t_sparse.reserve(max_nnz);
            self.sparse_rows = x.rows();
        }
        if !with_transpose {
            return self.x_sparse.assign_from_dense_at_most(x, max_nnz);
        }
        crate::input::assign_sparse_with_transpose(
            &mut self.x_sparse,
            &mut self.x_t_sparse,
            x,
            max_nnz,
        )
    }

    /// A one-line description such as `784-800(relu)-10(softmax)`.
    pub fn describe(&self) -> String {
        let mut s = self.input_width().to_string();
        for (l, layer) in self.layers.iter().enumerate() {
            if let Layer::Dense { outputs, .. } = layer {
                let act = match self.layers.get(l + 1) {
                    Some(Layer::Act(a)) => a.name(),
                    Some(Layer::Softmax) => "softmax",
                    _ => "linear",
                };
                s.push_str(&format!("-{outputs}({act})"));
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
        if rows <= self.capacity {
            return Ok(());
        }
        let widths: Vec<usize> = self.output_widths();
        let buffer = |rows: usize, w: usize| {
            Matrix::try_zeros(rows, w).map_err(|e| {
                NnError::from_matrix(e, &format!("the activations of a batch of {rows} rows"))
            })
        };
        let acts = widths
            .iter()
            .enumerate()
            // A Dense fused with its ReLU writes into the ReLU's buffer.
            .map(|(l, &w)| buffer(if self.fused[l] { 0 } else { rows }, w))
            .collect::<Result<_, _>>()?;
        let d_acts = widths
            .iter()
            .map(|&w| buffer(rows, w))
            .collect::<Result<_, _>>()?;
        (self.acts, self.d_acts, self.capacity) = (acts, d_acts, rows);
        Ok(())
    }

    fn output_widths(&self) -> Vec<usize> {
        let mut width = self.input_width();
        self.layers
            .iter()
            .map(|l| {
                if let Layer::Dense { outputs, .. } = l {
                    width = *outputs;
                }
                width
            })
            .collect()
    }

    /// Runs the network on `x` (one sample per row) and returns the output
    /// (probabilities for a softmax or sigmoid classifier), valid until the
    /// next call.
    ///
    /// # Errors
    /// If `x` does not have [`input_width`](Self::input_width) columns.
    pub fn forward(&mut self, x: MatrixView<'_, T>) -> Result<MatrixView<'_, T>, NnError> {
        self.check_input(x)?;
        let m = x.rows();
        self.reserve_batch(m)?;
        let sparse = self.build_sparse_input(x, false);
        let x_sparse = std::mem::take(&mut self.x_sparse);
        let first = if sparse {
            FirstInput::Sparse(&x_sparse, None)
        } else {
            FirstInput::Dense
        };
        self.forward_layers(x, first, self.layers.len());
        self.x_sparse = x_sparse;
        let last = self.layers.len() - 1;
        Ok(self.acts[last].rows_view(0, m))
    }

    /// Predicted class of each row of `x` (argmax of the output; for a
    /// single sigmoid output, `p >= 0.5`). Runs in chunks of at most
    /// `chunk` rows to bound memory.
    pub fn predict(&mut self, x: MatrixView<'_, T>, chunk: usize) -> Result<Vec<usize>, NnError> {
        self.check_input(x)?;
        let chunk = chunk.max(1);
        let mut out = Vec::with_capacity(x.rows());
        let mut r0 = 0;
        while r0 < x.rows() {
            let n = chunk.min(x.rows() - r0);
            let probs = self.forward(x.submatrix(r0, 0, n, x.cols()))?;
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
        self.check_input(x)?;
        let sparse = self.build_sparse_input(x, true);
        let (x_sparse, x_t_sparse) = (
            std::mem::take(&mut self.x_sparse),
            std::mem::take(&mut self.x_t_sparse),
        );
        let first = if sparse {
            FirstInput::Sparse(&x_sparse, Some(&x_t_sparse))
        } else {
            FirstInput::Dense
        };
        let result = self.train_step_impl(x, first, labels);
        (self.x_sparse, self.x_t_sparse) = (x_sparse, x_t_sparse);
        result
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
        let first = match &batch.form {
            PreparedForm::Sparse { x, x_t } => FirstInput::Sparse(x, Some(x_t)),
            PreparedForm::Transposed(x_t) => FirstInput::Transposed(x_t.view()),
        };
        self.train_step_impl(batch.x, first, labels)
    }

    fn train_step_impl(
        &mut self,
        x: MatrixView<'_, T>,
        first: FirstInput<'_, T>,
        labels: &[u8],
    ) -> Result<(f64, usize), NnError> {
        self.check_input(x)?;
        let m = x.rows();
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
        self.reserve_batch(m)?;
        let last = self.layers.len() - 1;
        self.forward_layers(x, first, last);

        // Fused output activation + loss: probabilities into acts[last], the
        // gradient w.r.t. the logits into d_acts[last - 1].
        let scale = T::ONE / T::from_f64(m as f64);
        let out_w = self.output_width();
        let (acts_before, acts_last) = self.acts.split_at_mut(last);
        let logits = if last == 0 {
            x
        } else {
            acts_before[last - 1].rows_view(0, m)
        };
        let probs = acts_last[0].view_mut().submatrix_mut(0, 0, m, out_w);
        let d_logits = self.d_acts[last - 1]
            .view_mut()
            .submatrix_mut(0, 0, m, out_w);
        let batch = match self.loss {
            Loss::SoftmaxCrossEntropy => {
                loss::softmax_cross_entropy(logits, labels, probs, d_logits, scale)
            }
            Loss::BinaryCrossEntropy => {
                loss::sigmoid_binary_cross_entropy(logits, labels, probs, d_logits, scale)
            }
        };
        self.backward_from(x, first, last - 1);
        Ok((batch.sum / m as f64, batch.correct))
    }

    fn check_input(&self, x: MatrixView<'_, T>) -> Result<(), NnError> {
        if x.cols() != self.input_width() {
            return Err(NnError::Shape(format!(
                "the network takes {} inputs per row but got a {}x{} batch",
                self.input_width(),
                x.rows(),
                x.cols()
            )));
        }
        Ok(())
    }

    /// The parameter slot of Dense layer `l`.
    fn dense_at(&self, l: usize) -> DenseParams {
        *self
            .dense
            .iter()
            .find(|d| d.layer == l)
            .expect("layer l is Dense")
    }

    /// Input of layer `l`: the batch for layer 0, else the previous output.
    fn input_of<'a>(
        acts: &'a [Matrix<T>],
        x: MatrixView<'a, T>,
        l: usize,
        m: usize,
    ) -> MatrixView<'a, T> {
        if l == 0 {
            x
        } else {
            acts[l - 1].rows_view(0, m)
        }
    }

    /// Runs layers `0..end` on the first `x.rows()` rows of the buffers;
    /// layer 0 reads `x` as `first` says.
    fn forward_layers(&mut self, x: MatrixView<'_, T>, first: FirstInput<'_, T>, end: usize) {
        let m = x.rows();
        let mut l = 0;
        while l < end {
            match self.layers[l] {
                Layer::Dense { outputs, .. } => {
                    let d = self.dense_at(l);
                    let w = MatrixView::from_slice(
                        &self.params[d.weight_range()],
                        d.inputs,
                        outputs,
                        outputs,
                        1,
                    );
                    let b = &self.params[d.bias_range()];
                    let fuse = self.fused[l] && l + 1 < end;
                    let target = if fuse { l + 1 } else { l };
                    let (before, rest) = self.acts.split_at_mut(target);
                    let input = Self::input_of(before, x, l, m);
                    let mut out = rest[0].view_mut().submatrix_mut(0, 0, m, outputs);
                    if self.unfused {
                        match first {
                            FirstInput::Sparse(x_sparse, _) if l == 0 => sparse_gemm(
                                T::ONE,
                                x_sparse,
                                w,
                                T::ZERO,
                                out.rb_mut(),
                                Epilogue::none(),
                            ),
                            _ => gemm(T::ONE, input, w, T::ZERO, out.rb_mut()),
                        }
                        ops::add_row_vector(out.rb_mut(), b).expect("bias width");
                        if fuse {
                            out.map_inplace(|v| if v > T::ZERO { v } else { T::ZERO });
                        }
                        l = target + 1;
                        continue;
                    }
                    let epi = if fuse {
                        Epilogue::bias(b).relu()
                    } else {
                        Epilogue::bias(b)
                    };
                    match first {
                        FirstInput::Sparse(x_sparse, _) if l == 0 => {
                            sparse_gemm(T::ONE, x_sparse, w, T::ZERO, out, epi)
                        }
                        _ => gemm_fused(T::ONE, input, w, T::ZERO, out, epi),
                    }
                    l = target + 1;
                    continue;
                }
                Layer::Act(act) => {
                    let (before, rest) = self.acts.split_at_mut(l);
                    let input = Self::input_of(before, x, l, m);
                    let w = input.cols();
                    let out = &mut rest[0].as_mut_slice()[..m * w];
                    act.forward(input.as_slice().expect("contiguous activations"), out);
                }
                Layer::Softmax => {
                    let (before, rest) = self.acts.split_at_mut(l);
                    let input = Self::input_of(before, x, l, m);
                    let mut out = rest[0].view_mut().submatrix_mut(0, 0, m, input.cols());
                    out.copy_from(input);
                    ops::softmax_rows(out);
                }
            }
            l += 1;
        }
    }

    /// Backpropagates from `d_acts[start]` (set by the loss) down to the
    /// first layer, filling `grads`.
    fn backward_from(&mut self, x: MatrixView<'_, T>, first: FirstInput<'_, T>, start: usize) {
        let m = x.rows();
        for l in (0..=start).rev() {
            match self.layers[l] {
                Layer::Dense { outputs, .. } => {
                    let d = self.dense_at(l);
                    let input = Self::input_of(&self.acts, x, l, m);
                    let (d_before, d_rest) = self.d_acts.split_at_mut(l);
                    let dy = d_rest[0].rows_view(0, m);
                    let (gw, gb) = self.grads[d.weight..].split_at_mut(d.inputs * outputs);
                    let gw = matrix::MatrixViewMut::from_slice(gw, d.inputs, outputs, outputs, 1);
                    match first {
                        FirstInput::Sparse(_, Some(x_t)) if l == 0 => {
                            sparse_gemm(T::ONE, x_t, dy, T::ZERO, gw, Epilogue::none())
                        }
                        FirstInput::Transposed(x_t) if l == 0 => gemm(T::ONE, x_t, dy, T::ZERO, gw),
                        _ => gemm(T::ONE, input.t(), dy, T::ZERO, gw),
                    }
                    ops::col_sums_into(dy, &mut gb[..outputs]).expect("bias width");
                    if l > 0 {
                        let w = MatrixView::from_slice(
                            &self.params[d.weight_range()],
                            d.inputs,
                            outputs,
                            outputs,
                            1,
                        );
                        let dx = d_before[l - 1].view_mut().submatrix_mut(0, 0, m, d.inputs);
                        gemm(T::ONE, dy, w.t(), T::ZERO, dx);
                    }
                }
                Layer::Act(act) => {
                    if l == 0 {
                        continue;
                    }
                    let w = self.d_acts[l].cols();
                    let (d_before, d_rest) = self.d_acts.split_at_mut(l);
                    let out = &self.acts[l].as_slice()[..m * w];
                    act.backward(
                        out,
                        &d_rest[0].as_slice()[..m * w],
                        &mut d_before[l - 1].as_mut_slice()[..m * w],
                    );
                }
                Layer::Softmax => {
                    if l == 0 {
                        continue;
                    }
                    let w = self.d_acts[l].cols();
                    let (d_before, d_rest) = self.d_acts.split_at_mut(l);
                    let y = self.acts[l].as_slice();
                    let (dy, dx) = (d_rest[0].as_slice(), d_before[l - 1].as_mut_slice());
                    for i in 0..m {
                        let r = i * w..(i + 1) * w;
                        softmax_backward(&y[r.clone()], &dy[r.clone()], &mut dx[r]);
                    }
                }
            }
        }
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
        let last = self.layers.len() - 1;
        let out = self.acts[last].rows_view(0, m);
        let value: f64 = (0..m)
            .flat_map(|i| (0..out.cols()).map(move |j| (i, j)))
            .map(|(i, j)| (out[(i, j)] * weights[(i, j)]).to_f64())
            .sum();
        self.d_acts[last]
            .view_mut()
            .submatrix_mut(0, 0, m, out.cols())
            .copy_from(weights);
        self.backward_from(x, FirstInput::Dense, last);
        Ok(value)
    }
}

/// `dx_i = y_i (dy_i - sum_j dy_j y_j)`: the softmax Jacobian applied to `dy`.
fn softmax_backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]) {
    let dot: T = y.iter().zip(dy).map(|(&a, &b)| a * b).sum();
    for ((d, &yi), &gi) in dx.iter_mut().zip(y).zip(dy) {
        *d = yi * (gi - dot);
    }
}

/// A standard normal sample by Box–Muller (rand 0.9 ships no Normal).
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
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

/// Checks the layer list and lays out the parameter buffer.
/// Widest Dense layer a network may have (inputs or outputs): 2^20 units,
/// far above any network this crate trains, low enough that a mistyped
/// width is an error message rather than a request for terabytes.
pub const MAX_LAYER_WIDTH: usize = 1 << 20;

/// Most parameters (weights and biases) a network may have: 2^30, 4 GiB of
/// f32 before gradients and optimizer state.
pub const MAX_PARAMETERS: usize = 1 << 30;

fn validate(layers: &[Layer], loss: Loss) -> Result<Vec<DenseParams>, NnError> {
    let arch = |msg: String| Err(NnError::Architecture(msg));
    if layers.len() < 2 {
        return arch("a network needs at least a Dense layer and an output layer".into());
    }
    let mut dense = Vec::new();
    let mut width: Option<usize> = None;
    let mut offset = 0usize;
    for (l, layer) in layers.iter().enumerate() {
        match *layer {
            Layer::Dense { inputs, outputs } => {
                if inputs == 0 || outputs == 0 {
                    return arch(format!(
                        "layer {l}: Dense {inputs}->{outputs} has a zero width"
                    ));
                }
                for (side, n) in [("inputs", inputs), ("outputs", outputs)] {
                    if n > MAX_LAYER_WIDTH {
                        return Err(NnError::TooLarge {
                            what: format!("layer {l} (Dense {inputs}->{outputs}) {side}"),
                            size: n as u64,
                            limit: MAX_LAYER_WIDTH as u64,
                        });
                    }
                }
                if let Some(w) = width.filter(|&w| w != inputs) {
                    return arch(format!(
                        "layer {l}: Dense takes {inputs} inputs but the previous layer gives {w}"
                    ));
                }
                let weight = offset;
                // Both widths are at most 2^20, so nothing here overflows.
                let bias = weight + inputs * outputs;
                offset = bias + outputs;
                if offset > MAX_PARAMETERS {
                    return Err(NnError::TooLarge {
                        what: format!(
                            "the parameter count up to layer {l} (Dense {inputs}->{outputs})"
                        ),
                        size: offset as u64,
                        limit: MAX_PARAMETERS as u64,
                    });
                }
                dense.push(DenseParams {
                    layer: l,
                    inputs,
                    outputs,
                    weight,
                    bias,
                });
                width = Some(outputs);
            }
            _ if width.is_none() => return arch("the first layer must be Dense".into()),
            _ => {}
        }
    }
    let last = layers[layers.len() - 1];
    let before_last = layers[layers.len() - 2];
    if !matches!(before_last, Layer::Dense { .. }) {
        return arch("the output activation must follow a Dense layer".into());
    }
    match (loss, last) {
        (Loss::SoftmaxCrossEntropy, Layer::Softmax) => {}
        (Loss::BinaryCrossEntropy, Layer::Act(Activation::Sigmoid)) if width == Some(1) => {}
        (Loss::SoftmaxCrossEntropy, _) => {
            return arch("cross-entropy needs a Softmax output layer".into())
        }
        (Loss::BinaryCrossEntropy, _) => {
            return arch("binary cross-entropy needs a single Sigmoid output".into())
        }
    }
    Ok(dense)
}
