//! The layers a network is made of: one file each, and the list of them.
//!
//! A layer's file holds everything about it: its forward and backward
//! passes over buffers the caller owns, with a plain reference of each that
//! the tests compare them with; its shape rule; the parameters it owns, as
//! the named tensors a model file stores; how they start; and its token in
//! the architecture string (`dense:784:800`, `relu`, `softmax`). A layer's
//! passes see only its own parameters and gradients: the network gives each
//! layer its range of the flat buffers.
//!
//! This file lists the layers ([`Layer`]) and routes each operation to the
//! layer's file, one `match` per operation and none with a catch-all arm:
//! adding a layer is a new file, a variant of [`Layer`], and the arms the
//! compiler then asks for here. The network (`network/`) and the model file
//! (`model_file/`) only go through these operations.

pub mod activation;
pub mod conv;
pub mod dense;
pub mod dropout;
pub mod normalize;
pub mod pool;
pub mod softmax;

use matrix::{MatrixView, MatrixViewMut, Scalar};
use rand::Rng;

use crate::error::NnError;
use activation::Activation;
use conv::Conv;
use dense::DenseInput;
use dropout::Dropout;
use normalize::Normalize;

/// One layer of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// `y = x W + b`, `W` is `inputs x outputs` (row-major), `b` has
    /// `outputs` (see [`dense`]).
    Dense {
        /// Width of the input.
        inputs: usize,
        /// Width of the output.
        outputs: usize,
    },
    /// An elementwise activation (see [`activation`]).
    Act(Activation),
    /// Row-wise softmax, the output layer of a classifier (see [`softmax`]).
    Softmax,
    /// 2-D max pooling of `channels` maps of `height x width` (NCHW rows)
    /// over `size x size` windows side by side (see [`pool`]).
    MaxPool2d {
        /// Feature maps per sample.
        channels: usize,
        /// Height of each map.
        height: usize,
        /// Width of each map.
        width: usize,
        /// Window side, and stride.
        size: usize,
    },
    /// 2-D convolution over NCHW rows (see [`conv`]).
    Conv2d(Conv),
    /// Inverted dropout in training, the identity in inference (see
    /// [`dropout`]).
    Dropout(Dropout),
    /// `(x - mean) / std`, the input's standardisation (see [`normalize`]).
    Normalize(Normalize),
}

/// Which pass a layer runs in: inference, or a training step with its seed
/// (what a [`Layer::Dropout`] draws its mask from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Evaluation: dropout passes everything through.
    Infer,
    /// A training step; `seed` is the layer's own for this step.
    Train {
        /// Seed of the layer's random choices in this step.
        seed: u64,
    },
}

impl Pass {
    /// The pass as layer `l` sees it: in training, a seed of its own.
    pub(crate) fn for_layer(self, l: usize) -> Pass {
        match self {
            Pass::Infer => Pass::Infer,
            Pass::Train { seed } => Pass::Train {
                seed: dropout::mix(seed ^ (l as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)),
            },
        }
    }
}

/// How parameters start.
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

/// One parameter tensor of a layer: its name in a model file
/// (`layers.{index}.{name}`) and its shape. A layer's parameters are its
/// tensors' elements, one tensor after the other, each row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamTensor {
    /// `weight`, `bias`, ...
    pub name: &'static str,
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
}

impl ParamTensor {
    /// Elements of the tensor.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a tensor with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Layer {
    /// The layer's token in a model file's architecture string.
    pub fn token(&self) -> String {
        match self {
            Layer::Dense { inputs, outputs } => dense::token(*inputs, *outputs),
            Layer::Act(a) => a.name().to_string(),
            Layer::Softmax => softmax::TOKEN.to_string(),
            Layer::MaxPool2d { .. } => pool::token(self.pool()),
            Layer::Conv2d(c) => conv::token(*c),
            Layer::Dropout(d) => dropout::token(*d),
            Layer::Normalize(n) => normalize::token(*n),
        }
    }

    /// Parses a [`token`](Self::token); the message names the token if no
    /// layer takes it.
    pub fn parse(token: &str) -> Result<Layer, String> {
        let fields: Vec<&str> = token.trim().split(':').collect();
        dense::parse(&fields)
            .or_else(|| softmax::parse(&fields))
            .or_else(|| pool::parse(&fields))
            .or_else(|| conv::parse(&fields))
            .or_else(|| dropout::parse(&fields))
            .or_else(|| normalize::parse(&fields))
            .or_else(|| activation::parse(&fields))
            .unwrap_or_else(|| match fields[..] {
                [name] => Err(format!("unknown layer '{name}'")),
                _ => Err(format!("bad layer '{token}'")),
            })
    }

    /// The input width the layer itself fixes (a Dense layer's `inputs`, a
    /// convolution's maps); `None` for a layer that takes whatever width
    /// comes. Only such a layer may come first.
    pub fn input_width(&self) -> Option<usize> {
        match self {
            Layer::Dense { inputs, .. } => Some(*inputs),
            Layer::Conv2d(c) => c
                .channels
                .checked_mul(c.height)
                .and_then(|n| n.checked_mul(c.width)),
            Layer::Normalize(n) => Some(n.width()),
            Layer::Act(_) | Layer::Softmax | Layer::MaxPool2d { .. } | Layer::Dropout(_) => None,
        }
    }

    /// The output width for an input `input` wide, as layer `l` of a
    /// network; an error if the input does not fit the layer or the layer
    /// is out of the crate's limits.
    pub(crate) fn output_width(&self, l: usize, input: usize) -> Result<usize, NnError> {
        match self {
            Layer::Dense { inputs, outputs } => dense::output_width(l, *inputs, *outputs, input),
            Layer::Act(_) | Layer::Softmax => Ok(input),
            Layer::MaxPool2d { .. } => self.pool().output_width(l, input),
            Layer::Conv2d(c) => c.output_width(l, input),
            Layer::Dropout(d) => d.output_width(l, input),
            Layer::Normalize(n) => n.output_width(l, input),
        }
    }

    /// The layer's parameter tensors, in the order they sit in its range of
    /// the parameter buffer.
    pub fn tensors(&self) -> Vec<ParamTensor> {
        match self {
            Layer::Dense { inputs, outputs } => dense::tensors(*inputs, *outputs),
            Layer::Conv2d(c) => c.tensors(),
            Layer::Act(_)
            | Layer::Softmax
            | Layer::MaxPool2d { .. }
            | Layer::Dropout(_)
            | Layer::Normalize(_) => Vec::new(),
        }
    }

    /// The number of parameters the layer owns.
    pub fn param_count(&self) -> usize {
        self.tensors().iter().map(ParamTensor::len).sum()
    }

    /// True for a layer whose forward pass can apply a following ReLU in
    /// its own write-back (a Dense layer's or a convolution's fused
    /// epilogue).
    pub(crate) fn fuses_relu(&self) -> bool {
        matches!(self, Layer::Dense { .. } | Layer::Conv2d(_))
    }

    /// Scratch elements the layer's passes need for a batch of `rows`
    /// (a convolution's patches), allocated with the activations.
    pub(crate) fn scratch_len(&self, rows: usize) -> usize {
        match self {
            Layer::Conv2d(c) => c.scratch_len(rows),
            Layer::Dense { .. }
            | Layer::Act(_)
            | Layer::Softmax
            | Layer::MaxPool2d { .. }
            | Layer::Dropout(_)
            | Layer::Normalize(_) => 0,
        }
    }

    /// True for a layer that can read a batch in every [`DenseInput`] form
    /// (its nonzeros, a transpose): only such a layer may come first.
    pub(crate) fn reads_any_input_form(&self) -> bool {
        matches!(self, Layer::Dense { .. })
    }

    /// The layer's part of [`Network::describe`](crate::Network::describe)
    /// (`800(relu)` for a Dense layer followed by ReLU), if it has one.
    pub(crate) fn describe(&self, next: Option<&Layer>) -> Option<String> {
        match self {
            Layer::Dense { outputs, .. } => Some(dense::describe(*outputs, next)),
            Layer::MaxPool2d { .. } => Some(self.pool().describe()),
            Layer::Conv2d(c) => Some(c.describe(next)),
            Layer::Dropout(d) => Some(d.describe()),
            Layer::Normalize(n) => Some(n.describe()),
            Layer::Act(_) | Layer::Softmax => None,
        }
    }

    /// Draws the layer's parameters, `params` (its range of the buffer),
    /// by `init`; `next` is the layer after it.
    pub(crate) fn init<T: Scalar, R: Rng + ?Sized>(
        &self,
        params: &mut [T],
        init: Init,
        next: Option<&Layer>,
        rng: &mut R,
    ) {
        match self {
            Layer::Dense { inputs, outputs } => {
                dense::init(*inputs, *outputs, params, init, next, rng)
            }
            Layer::Conv2d(c) => c.init(params, init, next, rng),
            Layer::Act(_)
            | Layer::Softmax
            | Layer::MaxPool2d { .. }
            | Layer::Dropout(_)
            | Layer::Normalize(_) => {}
        }
    }

    /// The forward pass on `m` rows: `y` from `x`, with the layer's
    /// parameters `params`; `then_relu` (only for a layer that
    /// [`fuses_relu`](Self::fuses_relu)) applies the following ReLU too,
    /// in the write-back when `fused`, else as a sweep of its own.
    /// `scratch` has the layer's [`scratch_len`](Self::scratch_len).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn forward<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        x: DenseInput<'_, T>,
        y: MatrixViewMut<'_, T>,
        then_relu: bool,
        fused: bool,
        scratch: &mut [T],
    ) {
        match self {
            Layer::Dense { inputs, outputs } => {
                dense::Dense::local(*inputs, *outputs).forward(params, x, y, then_relu, fused)
            }
            Layer::Act(a) => a.forward_rows(x, y),
            Layer::Softmax => softmax::forward(x, y),
            Layer::MaxPool2d { .. } => self.pool().forward(x, y),
            Layer::Conv2d(c) => c.forward(params, x, y, then_relu, fused, scratch),
            Layer::Dropout(d) => d.forward(pass, x, y),
            Layer::Normalize(n) => n.forward(x, y),
        }
    }

    /// The backward pass: from `dy`, the gradient w.r.t. the layer's output
    /// `y` (`None` where a fused epilogue never stored it), the gradients of
    /// its parameters into `grads` (its range; overwritten) and the
    /// gradient w.r.t. its input `x` into `dx` when the layer below needs
    /// it. `x` is `None` where it was never stored (a ReLU's input, fused).
    /// `pass` and `scratch` are the forward pass's. With `masks_relu` (a
    /// max-pool over a ReLU's output), `dx` is also the gradient w.r.t.
    /// the ReLU's input: zero where the input `x` is not positive.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn backward<T: Scalar>(
        &self,
        pass: Pass,
        params: &[T],
        x: Option<DenseInput<'_, T>>,
        y: Option<MatrixView<'_, T>>,
        dy: MatrixView<'_, T>,
        grads: &mut [T],
        dx: Option<MatrixViewMut<'_, T>>,
        masks_relu: bool,
        scratch: &mut [T],
    ) {
        match self {
            Layer::Dense { inputs, outputs } => {
                let x = x.expect("a Dense layer's input is stored");
                dense::Dense::local(*inputs, *outputs).backward(params, x, dy, grads, dx)
            }
            Layer::Act(a) => a.backward_rows(y.expect("an activation's output is stored"), dy, dx),
            Layer::Softmax => softmax::backward(y.expect("a softmax's output is stored"), dy, dx),
            Layer::MaxPool2d { .. } => {
                let x = x.expect("a pooling layer's input is stored");
                self.pool().backward(x, dy, dx, masks_relu)
            }
            Layer::Conv2d(c) => {
                let x = x.expect("a convolution's input is stored");
                c.backward(params, x, dy, grads, dx, scratch)
            }
            Layer::Dropout(d) => d.backward(pass, dy, dx),
            Layer::Normalize(n) => n.backward(dy, dx),
        }
    }

    /// A [`Layer::MaxPool2d`]'s shape (zeros for any other layer).
    fn pool(&self) -> pool::Pool {
        match *self {
            Layer::MaxPool2d {
                channels,
                height,
                width,
                size,
            } => pool::Pool {
                channels,
                height,
                width,
                size,
            },
            Layer::Dense { .. }
            | Layer::Act(_)
            | Layer::Softmax
            | Layer::Conv2d(_)
            | Layer::Dropout(_)
            | Layer::Normalize(_) => pool::Pool {
                channels: 0,
                height: 0,
                width: 0,
                size: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of layer's token parses back to the same layer, and a
    /// malformed token is an error that quotes it.
    #[test]
    fn tokens_round_trip_and_bad_ones_are_named() {
        let layers = [
            Layer::Dense {
                inputs: 784,
                outputs: 800,
            },
            Layer::Act(Activation::Relu),
            Layer::Act(Activation::Tanh),
            Layer::Act(Activation::Sigmoid),
            Layer::Softmax,
            Layer::MaxPool2d {
                channels: 6,
                height: 28,
                width: 28,
                size: 2,
            },
            Layer::Conv2d(Conv {
                channels: 1,
                height: 28,
                width: 28,
                filters: 6,
                kernel: 5,
                stride: 1,
                padding: 2,
            }),
            Layer::Dropout(Dropout::new(0.25).unwrap()),
        ];
        for layer in layers {
            assert_eq!(Layer::parse(&layer.token()), Ok(layer), "{}", layer.token());
        }
        for (bad, why) in [
            ("dense:784", "bad layer 'dense:784'"),
            ("dense:a:10", "bad dense layer 'dense:a:10'"),
            ("maxpool2d:1:2:3", "bad maxpool2d layer 'maxpool2d:1:2:3'"),
            ("gelu", "unknown layer 'gelu'"),
            ("conv:1:2", "bad layer 'conv:1:2'"),
            (
                "conv2d:1:28:28:6:5",
                "bad conv2d layer 'conv2d:1:28:28:6:5'",
            ),
            (
                "dropout:1.5",
                "dropout probability must be in [0, 1), got 1.5",
            ),
        ] {
            let err = Layer::parse(bad).unwrap_err();
            assert!(err.starts_with(why), "{bad}: {err}");
        }
    }
}
