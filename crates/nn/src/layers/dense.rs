//! The Dense layer, `y = x W + b`: its forward and backward passes over
//! buffers the caller owns, and a plain reference of each that the tests
//! compare the fast ones against (the llm.c habit).
//!
//! A [`Dense`] only says where its `W` and `b` live in a network's flat
//! parameter buffer; every pass takes that buffer (or a gradient buffer of
//! the same layout), the input and the output as arguments. Nothing is
//! hidden in the layer, so any number of batches can run through the same
//! parameters at once, each with buffers of its own.
//!
//! The input comes in one of the forms [`DenseInput`] names: the first
//! layer of a network may read its batch's nonzeros (see [`crate::input`])
//! or a transpose made once for many steps; every later layer reads the
//! previous layer's dense output.
//!
//! The forward pass is one gemm whose epilogue adds the bias, and applies a
//! following ReLU, while each tile of `y` is still in registers: that saves
//! one or two sweeps over `y` per layer and is most of why a training step
//! is fast. The unfused form (gemm, then separate sweeps) stays as what the
//! fused one is tested and measured against.

use std::ops::Range;

use matrix::{
    gemm, gemm_fused, ops, sparse_gemm, Epilogue, MatrixView, MatrixViewMut, Scalar, SparseMatrix,
};
use rand::Rng;
use rand_distr::StandardNormal;

use super::{Init, Layer, ParamTensor};
use crate::error::NnError;

/// Widest Dense layer a network may have (inputs or outputs): 2^20 units,
/// far above any network this crate trains, low enough that a mistyped
/// width is an error message rather than a request for terabytes.
pub const MAX_LAYER_WIDTH: usize = 1 << 20;

/// The layer's token in the architecture string: `dense:784:800`.
pub(crate) fn token(inputs: usize, outputs: usize) -> String {
    format!("dense:{inputs}:{outputs}")
}

/// Parses `dense:<inputs>:<outputs>` (split at `:`); `None` if the token
/// is not a Dense layer's.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    let ["dense", rest @ ..] = fields else {
        return None;
    };
    Some(match rest {
        [i, o] => match (i.parse(), o.parse()) {
            (Ok(inputs), Ok(outputs)) => Ok(Layer::Dense { inputs, outputs }),
            _ => Err(format!("bad dense layer '{}'", fields.join(":"))),
        },
        _ => Err(format!("bad layer '{}'", fields.join(":"))),
    })
}

/// The shape rule of layer `l`, `Dense inputs->outputs`, on an input
/// `input` wide: its output width, or why it does not fit.
pub(crate) fn output_width(
    l: usize,
    inputs: usize,
    outputs: usize,
    input: usize,
) -> Result<usize, NnError> {
    if inputs == 0 || outputs == 0 {
        return Err(NnError::Architecture(format!(
            "layer {l}: Dense {inputs}->{outputs} has a zero width"
        )));
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
    if input != inputs {
        return Err(NnError::Architecture(format!(
            "layer {l}: Dense takes {inputs} inputs but the previous layer gives {input}"
        )));
    }
    Ok(outputs)
}

/// The parameters: `weight` (`inputs x outputs`), then `bias`.
pub(crate) fn tensors(inputs: usize, outputs: usize) -> Vec<ParamTensor> {
    vec![
        ParamTensor {
            name: "weight",
            shape: vec![inputs, outputs],
        },
        ParamTensor {
            name: "bias",
            shape: vec![outputs],
        },
    ]
}

/// `800(relu)`: the output width and what follows it.
pub(crate) fn describe(outputs: usize, next: Option<&Layer>) -> String {
    let act = match next {
        Some(Layer::Act(a)) => a.name(),
        Some(Layer::Softmax) => "softmax",
        _ => "linear",
    };
    format!("{outputs}({act})")
}

/// Draws `params` (`W` then `b`) by `init`: He before a ReLU, Xavier
/// otherwise, biases zero; or everything uniform.
pub(crate) fn init<T: Scalar, R: Rng + ?Sized>(
    inputs: usize,
    outputs: usize,
    params: &mut [T],
    init: Init,
    next: Option<&Layer>,
    rng: &mut R,
) {
    let (w, b) = params.split_at_mut(inputs * outputs);
    init_weights(inputs, outputs, w, b, init, next, rng);
}

/// Draws the weights `w` and biases `b` of a layer whose outputs each sum
/// `fan_in` products and whose inputs each feed `fan_out` of them (a Dense
/// layer's widths, a convolution's `in * k * k` and `out * k * k`): He
/// (normal, std `sqrt(2 / fan_in)`) before a ReLU, Xavier (uniform,
/// `±sqrt(6 / (fan_in + fan_out))`) otherwise, biases zero; or everything
/// uniform in `init`'s bounds.
pub(crate) fn init_weights<T: Scalar, R: Rng + ?Sized>(
    fan_in: usize,
    fan_out: usize,
    w: &mut [T],
    b: &mut [T],
    init: Init,
    next: Option<&Layer>,
    rng: &mut R,
) {
    match init {
        Init::Uniform { low, high } => {
            for x in w.iter_mut().chain(b) {
                *x = T::from_f64(rng.random_range(low..high));
            }
        }
        Init::Auto if next == Some(&Layer::Act(super::activation::Activation::Relu)) => {
            let std = (2.0 / fan_in as f64).sqrt();
            for x in w {
                *x = T::from_f64(std * rng.sample::<f64, _>(StandardNormal));
            }
            b.fill(T::ZERO);
        }
        Init::Auto => {
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            for x in w {
                *x = T::from_f64(rng.random_range(-bound..bound));
            }
            b.fill(T::ZERO);
        }
    }
}

/// A Dense layer: its widths and where its parameters live in the flat
/// parameter buffer (`W` is `inputs x outputs`, row-major, then `b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
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

/// What a Dense layer reads: always the dense batch (one sample per row),
/// and for the first layer possibly a faster form of the same numbers.
#[derive(Clone, Copy)]
pub enum DenseInput<'a, T: Scalar> {
    /// The dense batch.
    Dense(MatrixView<'a, T>),
    /// The batch and its row-major transpose, which the weight gradient
    /// `xᵀ dY` streams by rows instead of repacking `x`.
    Transposed {
        /// The batch.
        x: MatrixView<'a, T>,
        /// `xᵀ`, stored row-major.
        x_t: MatrixView<'a, T>,
    },
    /// The batch's nonzeros alone: the products skip the zeros, and no
    /// dense copy of the batch need exist.
    Sparse {
        /// The batch's nonzeros.
        nonzeros: &'a SparseMatrix<T>,
        /// `xᵀ`'s nonzeros, when a backward pass follows (without them the
        /// weight gradient transposes `nonzeros` first, into a new matrix).
        transposed: Option<&'a SparseMatrix<T>>,
    },
}

impl<'a, T: Scalar> DenseInput<'a, T> {
    /// The dense batch, unless the form is [`Sparse`](Self::Sparse).
    pub fn dense(&self) -> Option<MatrixView<'a, T>> {
        match *self {
            DenseInput::Dense(x) | DenseInput::Transposed { x, .. } => Some(x),
            DenseInput::Sparse { .. } => None,
        }
    }

    /// Rows of the batch (samples).
    pub fn rows(&self) -> usize {
        match self {
            DenseInput::Dense(x) | DenseInput::Transposed { x, .. } => x.rows(),
            DenseInput::Sparse { nonzeros, .. } => nonzeros.rows(),
        }
    }

    /// Columns of the batch (features).
    pub fn cols(&self) -> usize {
        match self {
            DenseInput::Dense(x) | DenseInput::Transposed { x, .. } => x.cols(),
            DenseInput::Sparse { nonzeros, .. } => nonzeros.cols(),
        }
    }
}

impl Dense {
    /// A layer whose parameters are a buffer of their own (`W` at 0, then
    /// `b`): how the network runs a layer on its range of the flat buffer.
    pub(crate) fn local(inputs: usize, outputs: usize) -> Dense {
        Dense {
            layer: 0,
            inputs,
            outputs,
            weight: 0,
            bias: inputs * outputs,
        }
    }

    /// The weight range in the parameter buffer.
    pub fn weight_range(&self) -> Range<usize> {
        self.weight..self.weight + self.inputs * self.outputs
    }

    /// The bias range in the parameter buffer.
    pub fn bias_range(&self) -> Range<usize> {
        self.bias..self.bias + self.outputs
    }

    /// `W` as an `inputs x outputs` view of `params`.
    pub fn weights<'p, T: Scalar>(&self, params: &'p [T]) -> MatrixView<'p, T> {
        MatrixView::from_slice(
            &params[self.weight_range()],
            self.inputs,
            self.outputs,
            self.outputs,
            1,
        )
    }

    /// `y = x W + b`, then `y = max(y, 0)` if `relu`, into `y` (`rows x
    /// outputs`). With `fused`, the bias and the ReLU run in the gemm's
    /// epilogue; without, as separate sweeps over `y` (same result).
    ///
    /// # Panics
    /// If the shapes do not agree.
    pub fn forward<T: Scalar>(
        &self,
        params: &[T],
        x: DenseInput<'_, T>,
        mut y: MatrixViewMut<'_, T>,
        relu: bool,
        fused: bool,
    ) {
        let w = self.weights(params);
        let b = &params[self.bias_range()];
        if !fused {
            match x {
                DenseInput::Sparse { nonzeros, .. } => {
                    sparse_gemm(T::ONE, nonzeros, w, T::ZERO, y.rb_mut(), Epilogue::none())
                }
                DenseInput::Dense(x) | DenseInput::Transposed { x, .. } => {
                    gemm(T::ONE, x, w, T::ZERO, y.rb_mut())
                }
            }
            ops::add_row_vector(y.rb_mut(), b).expect("bias width");
            if relu {
                y.map_inplace(super::activation::relu);
            }
            return;
        }
        let epilogue = if relu {
            Epilogue::bias(b).relu()
        } else {
            Epilogue::bias(b)
        };
        match x {
            DenseInput::Sparse { nonzeros, .. } => {
                sparse_gemm(T::ONE, nonzeros, w, T::ZERO, y, epilogue)
            }
            DenseInput::Dense(x) | DenseInput::Transposed { x, .. } => {
                gemm_fused(T::ONE, x, w, T::ZERO, y, epilogue)
            }
        }
    }

    /// From `dy` (`rows x outputs`, the gradient w.r.t. `y`): `dW = xᵀ dY`
    /// and `db = colsum(dY)` into this layer's slots of `grads` (laid out
    /// like the parameters; overwritten, not accumulated), and `dX = dY Wᵀ`
    /// into `dx` when the layer below needs it.
    ///
    /// # Panics
    /// If the shapes do not agree.
    pub fn backward<T: Scalar>(
        &self,
        params: &[T],
        x: DenseInput<'_, T>,
        dy: MatrixView<'_, T>,
        grads: &mut [T],
        dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let gw = &mut grads[self.weight_range()];
        let gw = MatrixViewMut::from_slice(gw, self.inputs, self.outputs, self.outputs, 1);
        match x {
            DenseInput::Sparse {
                transposed: Some(x_t),
                ..
            } => sparse_gemm(T::ONE, x_t, dy, T::ZERO, gw, Epilogue::none()),
            DenseInput::Sparse {
                nonzeros,
                transposed: None,
            } => {
                let x_t = SparseMatrix::from_dense(nonzeros.to_dense().t());
                sparse_gemm(T::ONE, &x_t, dy, T::ZERO, gw, Epilogue::none())
            }
            DenseInput::Transposed { x_t, .. } => gemm(T::ONE, x_t, dy, T::ZERO, gw),
            DenseInput::Dense(x) => gemm(T::ONE, x.t(), dy, T::ZERO, gw),
        }
        self.bias_gradient(dy, grads);
        if let Some(dx) = dx {
            gemm(T::ONE, dy, self.weights(params).t(), T::ZERO, dx);
        }
    }

    /// `db = colsum(dY)` into this layer's bias slots of `grads` (the part
    /// of [`backward`](Self::backward) a training step keeps when it fuses
    /// the weights' update into their gradient's product).
    ///
    /// # Panics
    /// If `dy` does not have `outputs` columns.
    pub fn bias_gradient<T: Scalar>(&self, dy: MatrixView<'_, T>, grads: &mut [T]) {
        ops::col_sums_into(dy, &mut grads[self.bias_range()]).expect("bias width");
    }

    /// [`forward`](Self::forward) as plain loops (the reference for tests).
    pub fn forward_reference<T: Scalar>(
        &self,
        params: &[T],
        x: MatrixView<'_, T>,
        mut y: MatrixViewMut<'_, T>,
        relu: bool,
    ) {
        let (w, b) = (self.weights(params), &params[self.bias_range()]);
        for i in 0..x.rows() {
            for (j, &bj) in b.iter().enumerate() {
                let mut s = T::ZERO;
                for k in 0..self.inputs {
                    s += x[(i, k)] * w[(k, j)];
                }
                s += bj;
                y.set(i, j, if relu { super::activation::relu(s) } else { s });
            }
        }
    }

    /// [`backward`](Self::backward) as plain loops (the reference for tests).
    pub fn backward_reference<T: Scalar>(
        &self,
        params: &[T],
        x: MatrixView<'_, T>,
        dy: MatrixView<'_, T>,
        grads: &mut [T],
        dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let w = self.weights(params);
        for k in 0..self.inputs {
            for j in 0..self.outputs {
                let mut s = T::ZERO;
                for i in 0..x.rows() {
                    s += x[(i, k)] * dy[(i, j)];
                }
                grads[self.weight + k * self.outputs + j] = s;
            }
        }
        for j in 0..self.outputs {
            let mut s = T::ZERO;
            for i in 0..dy.rows() {
                s += dy[(i, j)];
            }
            grads[self.bias + j] = s;
        }
        if let Some(mut dx) = dx {
            for i in 0..dy.rows() {
                for k in 0..self.inputs {
                    let mut s = T::ZERO;
                    for j in 0..self.outputs {
                        s += dy[(i, j)] * w[(k, j)];
                    }
                    dx.set(i, k, s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use matrix::Matrix;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::*;

    /// A layer at offset 3 of its buffer (so offsets are honoured) and
    /// random parameters around it.
    fn layer(inputs: usize, outputs: usize, rng: &mut StdRng) -> (Dense, Vec<f64>) {
        let d = Dense {
            layer: 0,
            inputs,
            outputs,
            weight: 3,
            bias: 3 + inputs * outputs,
        };
        let params = (0..d.bias + outputs + 2)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        (d, params)
    }

    /// A batch with about half its entries zero (so the sparse form skips
    /// something), with its transpose and the nonzeros of both.
    struct Batch {
        x: Matrix<f64>,
        x_t: Matrix<f64>,
        nonzeros: SparseMatrix<f64>,
        nonzeros_t: SparseMatrix<f64>,
    }

    fn batch(rows: usize, cols: usize, rng: &mut StdRng) -> Batch {
        let x = Matrix::from_fn(rows, cols, |_, _| {
            if rng.random_bool(0.5) {
                0.0
            } else {
                rng.random_range(-1.0..1.0)
            }
        });
        let x_t = matrix::transpose(x.view());
        let (nonzeros, nonzeros_t) = (SparseMatrix::from_dense(&x), SparseMatrix::from_dense(&x_t));
        Batch {
            x,
            x_t,
            nonzeros,
            nonzeros_t,
        }
    }

    impl Batch {
        /// The forms of the batch a Dense layer can read, each with a name.
        fn forms(&self) -> Vec<(&'static str, DenseInput<'_, f64>)> {
            let x = self.x.view();
            let sparse = |transposed| DenseInput::Sparse {
                nonzeros: &self.nonzeros,
                transposed,
            };
            vec![
                ("dense", DenseInput::Dense(x)),
                (
                    "transposed",
                    DenseInput::Transposed {
                        x,
                        x_t: self.x_t.view(),
                    },
                ),
                ("sparse", sparse(Some(&self.nonzeros_t))),
                ("sparse, no transpose", sparse(None)),
            ]
        }
    }

    fn assert_close(what: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "{what}[{i}]: {g} vs {w}");
        }
    }

    #[test]
    fn forward_matches_the_reference_for_every_input_form_and_epilogue() {
        let mut rng = StdRng::seed_from_u64(1);
        // Odd sizes, so that edge tiles are exercised.
        for (m, k, n) in [(1, 1, 1), (7, 13, 5), (33, 20, 17)] {
            let (d, params) = layer(k, n, &mut rng);
            let b = batch(m, k, &mut rng);
            for relu in [false, true] {
                let mut want = Matrix::zeros(m, n);
                d.forward_reference(&params, b.x.view(), want.view_mut(), relu);
                for (name, input) in b.forms() {
                    for fused in [false, true] {
                        let mut y = Matrix::from_fn(m, n, |_, _| f64::NAN);
                        d.forward(&params, input, y.view_mut(), relu, fused);
                        let what = format!("{m}x{k}x{n} {name} relu={relu} fused={fused}");
                        assert_close(&what, y.as_slice(), want.as_slice());
                    }
                }
            }
        }
    }

    #[test]
    fn backward_matches_the_reference_for_every_input_form() {
        let mut rng = StdRng::seed_from_u64(2);
        for (m, k, n) in [(1, 1, 1), (9, 11, 6), (40, 25, 3)] {
            let (d, params) = layer(k, n, &mut rng);
            let b = batch(m, k, &mut rng);
            let dy = Matrix::from_fn(m, n, |_, _| rng.random_range(-1.0..1.0));
            let mut want_grads = vec![0.0; params.len()];
            let mut want_dx = Matrix::zeros(m, k);
            d.backward_reference(
                &params,
                b.x.view(),
                dy.view(),
                &mut want_grads,
                Some(want_dx.view_mut()),
            );
            for (name, input) in b.forms() {
                // NaN outside the layer's slots: untouched, they stay NaN.
                let mut grads = vec![f64::NAN; params.len()];
                let mut dx = Matrix::from_fn(m, k, |_, _| f64::NAN);
                d.backward(&params, input, dy.view(), &mut grads, Some(dx.view_mut()));
                let what = format!("{m}x{k}x{n} {name}");
                let slots = d.weight..d.bias + n;
                assert_close(&what, &grads[slots.clone()], &want_grads[slots.clone()]);
                assert!(grads[..slots.start].iter().all(|g| g.is_nan()));
                assert!(grads[slots.end..].iter().all(|g| g.is_nan()));
                assert_close(&what, dx.as_slice(), want_dx.as_slice());
                // Without dx, the parameter gradients are the same.
                let mut alone = vec![f64::NAN; params.len()];
                d.backward(&params, input, dy.view(), &mut alone, None);
                assert_eq!(alone[slots.clone()], grads[slots]);
            }
        }
    }

    #[test]
    fn the_reference_is_the_textbook_formula() {
        // 1x2 input, 2x2 weights [[1, 2], [3, 4]], bias [0.5, -10].
        let d = Dense {
            layer: 0,
            inputs: 2,
            outputs: 2,
            weight: 0,
            bias: 4,
        };
        let params = [1.0, 2.0, 3.0, 4.0, 0.5, -10.0];
        let x = Matrix::from_vec(1, 2, vec![1.0, -1.0]);
        let mut y = Matrix::zeros(1, 2);
        d.forward_reference(&params, x.view(), y.view_mut(), false);
        assert_eq!(y.as_slice(), &[-1.5, -12.0]);
        d.forward_reference(&params, x.view(), y.view_mut(), true);
        assert_eq!(y.as_slice(), &[0.0, 0.0]);
        let dy = Matrix::from_vec(1, 2, vec![1.0, 2.0]);
        let mut grads = [0.0; 6];
        let mut dx = Matrix::zeros(1, 2);
        d.backward_reference(
            &params,
            x.view(),
            dy.view(),
            &mut grads,
            Some(dx.view_mut()),
        );
        assert_eq!(grads, [1.0, 2.0, -1.0, -2.0, 1.0, 2.0]);
        assert_eq!(dx.as_slice(), &[5.0, 11.0]);
    }
}
