//! The error types of the `nn` crate: [`NnError`], and the model file's
//! [`ModelError`] (here rather than in `model_file`, so that the network and
//! the model file both depend on this module and it on neither).

use std::fmt;
use std::path::{Path, PathBuf};

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
    Model(ModelError),
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

impl From<ModelError> for NnError {
    fn from(e: ModelError) -> Self {
        NnError::Model(e)
    }
}

/// Why a model file could not be written or read. Every variant's message is
/// one line that starts with the file's path.
#[derive(Debug)]
pub enum ModelError {
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The path is a directory, FIFO, device or socket: refused before it is
    /// opened, so reading can neither block nor run forever.
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead, e.g. `a FIFO`.
        kind: &'static str,
    },
    /// The file is larger than the limit (or grew past it while being read).
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes (at least this many when it grew during the read).
        size: u64,
        /// The limit in bytes ([`MAX_MODEL_FILE_BYTES`](crate::model_file::MAX_MODEL_FILE_BYTES) for [`read_tensors`](crate::model_file::read_tensors)).
        limit: u64,
    },
    /// The header length field is above [`MAX_HEADER_BYTES`](crate::model_file::MAX_HEADER_BYTES).
    HeaderTooLarge {
        /// The file.
        path: PathBuf,
        /// The header length the file declares.
        len: u64,
        /// [`MAX_HEADER_BYTES`](crate::model_file::MAX_HEADER_BYTES).
        limit: u64,
    },
    /// The header declares more than [`MAX_TENSORS`](crate::model_file::MAX_TENSORS) tensors.
    TooManyTensors {
        /// The file.
        path: PathBuf,
        /// How many it declares.
        count: usize,
        /// [`MAX_TENSORS`](crate::model_file::MAX_TENSORS).
        limit: usize,
    },
    /// Not a valid safetensors file (refused by the `safetensors` crate, or
    /// too short to hold a header).
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the tensor where there is one.
        reason: String,
    },
    /// A tensor of a dtype other than F32 or F64.
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// Its dtype, e.g. `I8`.
        dtype: String,
    },
    /// Memory for the file or its tensors that the allocator refused.
    OutOfMemory {
        /// The file.
        path: PathBuf,
        /// What the memory was for.
        what: String,
        /// Bytes asked for.
        bytes: u64,
    },
    /// A valid safetensors file that is not a loadable matnet model (no or a
    /// bad architecture, tensors missing, extra or mis-shaped, non-finite
    /// values), or tensors that cannot be written.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl ModelError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ModelError::Io { path, .. }
            | ModelError::NotRegularFile { path, .. }
            | ModelError::TooLarge { path, .. }
            | ModelError::HeaderTooLarge { path, .. }
            | ModelError::TooManyTensors { path, .. }
            | ModelError::Format { path, .. }
            | ModelError::UnsupportedDtype { path, .. }
            | ModelError::OutOfMemory { path, .. }
            | ModelError::Invalid { path, .. } => path,
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path().display();
        match self {
            ModelError::Io { source, .. } => write!(f, "{p}: {source}"),
            ModelError::NotRegularFile { kind, .. } => {
                write!(f, "{p}: is {kind}, not a regular file; refusing to read it as a model file")
            }
            ModelError::TooLarge { size, limit, .. } => write!(
                f,
                "{p}: model file too large: {size} bytes, the limit is {limit} bytes"
            ),
            ModelError::HeaderTooLarge { len, limit, .. } => write!(
                f,
                "{p}: not a valid model file: header length {len} exceeds the limit of {limit} bytes"
            ),
            ModelError::TooManyTensors { count, limit, .. } => write!(
                f,
                "{p}: not a valid model file: {count} tensors, the limit is {limit}"
            ),
            ModelError::Format { reason, .. } => {
                write!(f, "{p}: not a valid safetensors file: {reason}")
            }
            ModelError::UnsupportedDtype { tensor, dtype, .. } => write!(
                f,
                "{p}: tensor '{tensor}': unsupported dtype {dtype} (expected F32 or F64)"
            ),
            ModelError::OutOfMemory { what, bytes, .. } => write!(
                f,
                "{p}: out of memory: {what} need {bytes} bytes, which cannot be allocated"
            ),
            ModelError::Invalid { reason, .. } => {
                write!(f, "{p}: not a valid model file: {reason}")
            }
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
