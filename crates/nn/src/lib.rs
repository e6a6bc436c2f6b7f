//! Dense and convolutional neural networks on the [`matrix`] crate, in the
//! order the data flows (read the modules in this order):
//!
//! 1. [`idx`]: the IDX file format MNIST comes in (reader, writer, errors).
//! 2. [`dataset`]: IDX arrays to a [`dataset::Dataset`] (pixels in [0, 1],
//!    one row per sample, labels), shuffling and mini-batches; MNIST's file
//!    names and loading.
//! 3. [`layers`], one file each (its forward/backward pair over buffers
//!    the caller owns with a plain reference, shape rule, parameters,
//!    initialisation and model-file token): [`dense`] (`y = x W + b`, with
//!    the fused bias + ReLU epilogue), [`layers::conv`] (2-D convolution
//!    as gemms over each sample's patches), [`layers::pool`] (max pooling),
//!    [`layers::dropout`], [`layers::normalize`] (the input's
//!    standardisation), [`activation`] (ReLU, tanh, sigmoid),
//!    [`layers::softmax`]; [`input`] decides when the first Dense layer
//!    reads its batch's nonzeros instead of the dense batch.
//! 4. [`network`]: the layers in order over one flat parameter buffer, the
//!    forward and backward loops, activations allocated once per batch
//!    size; a network written as a line of text
//!    ([`network::layers_from_spec`], with LeNet-5 and PyTorch's MNIST
//!    example as [`network::LENET5`] and [`network::PYTORCH_MNIST_EXAMPLE`]);
//!    where a step's time goes ([`Network::profile_step`]).
//! 5. [`loss`]: softmax + cross-entropy and sigmoid + binary cross-entropy,
//!    each fused with its output activation.
//! 6. [`optim`]: SGD, momentum, Nesterov, Adam, Adadelta and schedules over the flat
//!    buffer; [`train`] (`fit`) runs epochs of steps; [`metrics`] scores
//!    predictions.
//! 7. [`model_file`]: saving and loading a network (safetensors layout).
//!
//! ```
//! use nn::{Activation, Init, Loss, Network};
//! use rand::{rngs::StdRng, SeedableRng};
//! let mut rng = StdRng::seed_from_u64(0);
//! let mut net = Network::<f32>::mlp(4, &[8], Activation::Relu, 3, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng).unwrap();
//! let x = matrix::Matrix::<f32>::zeros(2, 4);
//! let (loss, _correct) = net.train_step(x.view(), &[0, 2]).unwrap();
//! assert!((loss - 3f64.ln()).abs() < 1e-6); // zero input, zero biases: uniform output
//! ```

#![warn(missing_docs)]
// Everything unsafe (SIMD, raw views) lives in `matrix`; this crate is
// safe Rust over its API, and the compiler keeps it so.
#![forbid(unsafe_code)]

mod aligned;
mod atomic_file;
pub mod csv;
pub mod dataset;
mod error;
pub mod idx;
pub mod input;
pub mod layers;
pub mod loss;
pub mod metrics;
pub mod model_file;
pub mod network;
pub mod optim;
pub mod train;

pub use activation::Activation;
pub use dense::{Dense, DenseInput};
pub use error::NnError;
pub use input::{InputSparsity, PreparedBatch, SparseBatch};
pub use layers::conv::Conv;
pub use layers::dropout::Dropout;
pub use layers::normalize::Normalize;
pub use layers::{activation, dense};
pub use loss::Loss;
pub use network::{Init, Layer, Network};
pub use optim::{OptimizerKind, Schedule};
pub use train::{fit, EpochReport, Observer, TrainConfig, TrainSummary};
