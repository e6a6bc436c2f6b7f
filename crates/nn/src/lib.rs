//! Dense neural networks on the [`matrix`] crate: layers with explicit
//! forward/backward passes, fused softmax + cross-entropy, optimizers,
//! training, metrics, MNIST IDX files and safetensors model files.
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

pub mod activation;
mod atomic_file;
pub mod csv;
pub mod dataset;
mod error;
pub mod idx;
pub mod input;
pub mod loss;
pub mod metrics;
pub mod model_file;
pub mod network;
pub mod optim;
pub mod train;

pub use activation::Activation;
pub use error::NnError;
pub use input::{InputSparsity, PreparedBatch};
pub use loss::Loss;
pub use network::{Init, Layer, Network};
pub use optim::{OptimizerKind, Schedule};
pub use train::{fit, EpochReport, Observer, TrainConfig, TrainSummary};
pub mod moons;
