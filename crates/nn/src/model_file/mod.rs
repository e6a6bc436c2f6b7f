//! Model files in the safetensors layout, so numpy and PyTorch users can read
//! them: 8-byte little-endian header length `N`, `N` bytes of JSON header,
//! then the raw little-endian tensor bytes.
//!
//! ```text
//! {"__metadata__": {"format": "matnet", "architecture": "dense:784:800,relu,dense:800:10,softmax",
//!                   "loss": "softmax_cross_entropy"},
//!  "layers.0.weight": {"dtype": "F32", "shape": [784, 800], "data_offsets": [0, 2508800]},
//!  "layers.0.bias":   {"dtype": "F32", "shape": [800], "data_offsets": [2508800, 2512000]}, ...}
//! ```
//!
//! Weights are stored `inputs x outputs` (the forward pass is `x W + b`).
//! Saving is atomic (a fresh temporary file in the same directory, fsync,
//! rename; see the crate's `atomic_file` module). Reading refuses anything
//! but a regular file before opening it, reads at most
//! [`MAX_MODEL_FILE_BYTES`], and leaves the layout to the `safetensors`
//! crate (header length, JSON, dtypes, shapes against byte ranges, ranges
//! contiguous and covering the data exactly), all in linear time; when it
//! refuses a file, a second pass over the header says which tensor is wrong.
//! [`load_model`] then checks the tensors against the architecture in the
//! metadata. Every error is a [`ModelError`] naming the file; no input panics.
//!
//! This file is the model layer (the architecture string, saving and
//! loading a [`Network`]); `model_file/tensors.rs` the safetensors layer
//! under it (tensors and metadata, read and written).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::activation::Activation;
use crate::loss::Loss;
use crate::network::{Init, Layer, Network};

mod tensors;
pub use tensors::{
    parse_tensors, parse_tensors_named, read_tensors, read_tensors_with_limit, write_atomically,
    write_tensors, Tensor, TensorFile,
};

/// Model files larger than this are refused before they are read
/// (2 GiB: a network with 500 million `f32` parameters).
pub const MAX_MODEL_FILE_BYTES: u64 = 2 << 30;

/// Headers longer than this are refused before they are parsed (16 MiB; a
/// matnet model needs about 200 bytes per layer, the safetensors crate
/// itself allows 100 MB).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

/// Files declaring more tensors than this are refused (a matnet model has
/// two per Dense layer).
pub const MAX_TENSORS: usize = 1 << 16;

/// Architectures with more layers than this are refused.
pub const MAX_LAYERS: usize = 1 << 16;

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
        /// The limit in bytes ([`MAX_MODEL_FILE_BYTES`] for [`read_tensors`]).
        limit: u64,
    },
    /// The header length field is above [`MAX_HEADER_BYTES`].
    HeaderTooLarge {
        /// The file.
        path: PathBuf,
        /// The header length the file declares.
        len: u64,
        /// [`MAX_HEADER_BYTES`].
        limit: u64,
    },
    /// The header declares more than [`MAX_TENSORS`] tensors.
    TooManyTensors {
        /// The file.
        path: PathBuf,
        /// How many it declares.
        count: usize,
        /// [`MAX_TENSORS`].
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

/// The architecture string stored in the metadata, e.g.
/// `dense:784:800,relu,dense:800:10,softmax`.
pub fn architecture_string(layers: &[Layer]) -> String {
    layers
        .iter()
        .map(|l| match l {
            Layer::Dense { inputs, outputs } => format!("dense:{inputs}:{outputs}"),
            Layer::Act(a) => a.name().to_string(),
            Layer::Softmax => "softmax".to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses [`architecture_string`] back into layers.
/// More than [`MAX_LAYERS`] layers is an error.
pub fn parse_architecture(s: &str) -> Result<Vec<Layer>, String> {
    let count = s.split(',').count();
    if count > MAX_LAYERS {
        return Err(format!("{count} layers, the limit is {MAX_LAYERS}"));
    }
    s.split(',')
        .map(|part| {
            let fields: Vec<&str> = part.trim().split(':').collect();
            match fields[..] {
                ["dense", i, o] => match (i.parse(), o.parse()) {
                    (Ok(inputs), Ok(outputs)) => Ok(Layer::Dense { inputs, outputs }),
                    _ => Err(format!("bad dense layer '{part}'")),
                },
                ["softmax"] => Ok(Layer::Softmax),
                [name] => Activation::from_name(name)
                    .map(Layer::Act)
                    .ok_or_else(|| format!("unknown layer '{name}'")),
                _ => Err(format!("bad layer '{part}'")),
            }
        })
        .collect()
}

fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::SoftmaxCrossEntropy => "softmax_cross_entropy",
        Loss::BinaryCrossEntropy => "binary_cross_entropy",
    }
}

/// Saves a network: its architecture in the metadata, one weight and one
/// bias tensor per Dense layer. Atomic.
pub fn save_model(net: &Network<f32>, path: &Path) -> Result<(), ModelError> {
    let mut metadata = BTreeMap::new();
    metadata.insert("format".to_string(), "matnet".to_string());
    metadata.insert(
        "architecture".to_string(),
        architecture_string(net.layers()),
    );
    metadata.insert("loss".to_string(), loss_name(net.loss()).to_string());
    metadata.insert("weight_layout".to_string(), "inputs_x_outputs".to_string());
    let params = net.params();
    let tensors: Vec<Tensor> = net
        .dense_params()
        .iter()
        .flat_map(|d| {
            [
                Tensor {
                    name: format!("layers.{}.weight", d.layer),
                    shape: vec![d.inputs, d.outputs],
                    data: params[d.weight_range()].to_vec(),
                },
                Tensor {
                    name: format!("layers.{}.bias", d.layer),
                    shape: vec![d.outputs],
                    data: params[d.bias_range()].to_vec(),
                },
            ]
        })
        .collect();
    write_tensors(path, &tensors, &metadata)
}

/// Loads a network saved by [`save_model`], checking that the tensors match
/// the architecture exactly (names, shapes, nothing missing or extra) and
/// that every value is finite. The file is read with [`read_tensors`].
pub fn load_model(path: &Path) -> Result<Network<f32>, ModelError> {
    model_from_tensors(read_tensors(path)?, path)
}

/// [`load_model`] on the bytes of a model file in memory; errors name
/// `path`.
pub fn parse_model(bytes: &[u8], path: &Path) -> Result<Network<f32>, ModelError> {
    model_from_tensors(parse_tensors_named(bytes, path)?, path)
}

/// The network that `file` (read from `path`) holds.
fn model_from_tensors(file: TensorFile, path: &Path) -> Result<Network<f32>, ModelError> {
    let invalid = |reason: String| ModelError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let arch = file
        .metadata
        .get("architecture")
        .ok_or_else(|| invalid("no 'architecture' in __metadata__ (not a matnet model)".into()))?;
    let layers = parse_architecture(arch).map_err(|e| invalid(format!("architecture: {e}")))?;
    let loss = match file.metadata.get("loss").map(String::as_str) {
        Some("softmax_cross_entropy") | None => Loss::SoftmaxCrossEntropy,
        Some("binary_cross_entropy") => Loss::BinaryCrossEntropy,
        Some(other) => return Err(invalid(format!("unknown loss '{other}'"))),
    };
    // Tensor names are unique (the header is a JSON object).
    let mut by_name: HashMap<&str, &Tensor> =
        file.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    // Every Dense layer's tensors must be in the file with its shapes before
    // anything is built: the architecture string alone could ask for any
    // amount of memory, the tensors are bounded by the file's size.
    for (l, layer) in layers.iter().enumerate() {
        if let Layer::Dense { inputs, outputs } = *layer {
            for (suffix, shape) in [("weight", vec![inputs, outputs]), ("bias", vec![outputs])] {
                let name = format!("layers.{l}.{suffix}");
                match by_name.get(name.as_str()) {
                    None => return Err(invalid(format!("tensor '{name}' is missing"))),
                    Some(t) if t.shape != shape => {
                        return Err(invalid(format!(
                            "tensor '{name}' has shape {:?} but the architecture needs {shape:?}",
                            t.shape
                        )))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let mut net = Network::<f32>::new(
        layers,
        loss,
        Init::Uniform {
            low: 0.0,
            high: 1.0,
        },
        &mut rng,
    )
    .map_err(|e| invalid(e.to_string()))?;
    for d in net.dense_params().to_vec() {
        for (suffix, shape, range) in [
            ("weight", vec![d.inputs, d.outputs], d.weight_range()),
            ("bias", vec![d.outputs], d.bias_range()),
        ] {
            let name = format!("layers.{}.{suffix}", d.layer);
            let t = by_name
                .remove(name.as_str())
                .ok_or_else(|| invalid(format!("tensor '{name}' is missing")))?;
            if t.shape != shape || t.data.len() != range.len() {
                return Err(invalid(format!(
                    "tensor '{name}' has shape {:?} but the architecture needs {shape:?}",
                    t.shape
                )));
            }
            if let Some(bad) = t.data.iter().find(|x| !x.is_finite()) {
                return Err(invalid(format!(
                    "tensor '{name}' holds a non-finite value ({bad})"
                )));
            }
            net.params_mut()[range].copy_from_slice(&t.data);
        }
    }
    // The first extra tensor in file order, so the message is deterministic.
    if let Some(extra) = file
        .tensors
        .iter()
        .find(|t| by_name.contains_key(t.name.as_str()))
    {
        return Err(invalid(format!(
            "tensor '{}' is not part of the architecture",
            extra.name
        )));
    }
    Ok(net)
}
