//! The error type of the `nn` crate.

use std::fmt;

/// What went wrong building, training, saving or loading a network.
#[derive(Debug)]
pub enum NnError {
    /// The layer list does not describe a valid network.
    Architecture(String),
    /// A batch, label list or parameter buffer of the wrong size.
    Shape(String),
    /// Training produced a NaN or infinite loss.
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step within the epoch.
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// A training option out of range (learning rate, batch size, ...).
    Config(String),
    /// A model file that cannot be read or written.
    Model(crate::model_file::ModelError),
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::Architecture(m) => write!(f, "invalid network: {m}"),
            NnError::Shape(m) => write!(f, "shape mismatch: {m}"),
            NnError::NonFiniteLoss { epoch, step, loss } => write!(
                f,
                "training diverged: loss is {loss} at epoch {epoch}, step {step} (try a smaller learning rate)"
            ),
            NnError::Config(m) => write!(f, "invalid training option: {m}"),
            NnError::Model(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NnError::Model(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::model_file::ModelError> for NnError {
    fn from(e: crate::model_file::ModelError) -> Self {
        NnError::Model(e)
    }
}
