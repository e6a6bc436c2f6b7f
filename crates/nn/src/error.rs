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
    /// A size from input (a layer width, a parameter count, a batch) above
    /// the limit this crate sets for it.
    TooLarge {
        /// What was too large, e.g. `layer 2 (Dense 800->100000000) outputs`.
        what: String,
        /// The size asked for.
        size: u64,
        /// The largest size allowed.
        limit: u64,
    },
    /// Memory that the allocator refused (or a size that overflows `usize`).
    OutOfMemory {
        /// What the memory was for, e.g. `the parameters and gradients`.
        what: String,
        /// Bytes asked for, if that number fits in a `u64`.
        bytes: Option<u64>,
    },
}

impl NnError {
    /// [`NnError::OutOfMemory`] for `count` elements of `T`.
    pub(crate) fn out_of_memory<T>(what: impl Into<String>, count: usize) -> NnError {
        NnError::OutOfMemory {
            what: what.into(),
            bytes: (count as u64).checked_mul(std::mem::size_of::<T>() as u64),
        }
    }

    /// `matrix`'s allocation error as [`NnError::OutOfMemory`] for `what`.
    pub(crate) fn from_matrix(e: matrix::MatrixError, what: &str) -> NnError {
        match e {
            matrix::MatrixError::Allocation { bytes, .. } => NnError::OutOfMemory {
                what: what.to_string(),
                bytes: bytes.map(|b| b as u64),
            },
            other => NnError::Shape(format!("{what}: {other}")),
        }
    }
}

/// A `Vec` of `count` copies of `value`, or [`NnError::OutOfMemory`] naming
/// `what` where the allocator refuses it (instead of aborting the process).
pub(crate) fn try_filled_vec<T: Clone>(
    count: usize,
    value: T,
    what: &str,
) -> Result<Vec<T>, NnError> {
    let mut v = Vec::new();
    v.try_reserve_exact(count)
        .map_err(|_| NnError::out_of_memory::<T>(what, count))?;
    v.resize(count, value);
    Ok(v)
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
            NnError::TooLarge { what, size, limit } => {
                write!(f, "too large: {what} is {size}, the limit is {limit}")
            }
            NnError::OutOfMemory {
                what,
                bytes: Some(b),
            } => write!(
                f,
                "out of memory: {what} need {b} bytes ({:.1} GiB), which cannot be allocated",
                *b as f64 / (1u64 << 30) as f64
            ),
            NnError::OutOfMemory { what, bytes: None } => {
                write!(f, "out of memory: {what} need more bytes than a u64 holds")
            }
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
