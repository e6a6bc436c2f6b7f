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

use std::path::Path;

use crate::loss::Loss;
use crate::network::{Init, Layer, Network};

mod tensors;
pub use crate::error::ModelError;
pub use tensors::{
    parse_tensors, parse_tensors_named, read_tensors, read_tensors_with_limit, write_atomically,
    write_tensors, write_tensors_as, StoredDtype, Tensor, TensorFile,
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

/// The architecture string stored in the metadata, e.g.
/// `dense:784:800,relu,dense:800:10,softmax`: each layer's
/// [`token`](Layer::token).
pub fn architecture_string(layers: &[Layer]) -> String {
    layers
        .iter()
        .map(Layer::token)
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
    s.split(',').map(Layer::parse).collect()
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
    save_model_as(net, path, StoredDtype::F32)
}

/// [`save_model`] with the tensors stored as `dtype` ([`load_model`] reads
/// any of them back as `f32`).
///
/// ```
/// use nn::model_file::{load_model, save_model_as, StoredDtype};
/// use nn::{Init, Layer, Loss, Network};
/// use rand::{rngs::StdRng, SeedableRng};
/// let layers = vec![Layer::Dense { inputs: 4, outputs: 3 }, Layer::Softmax];
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng)?;
/// let path = std::env::temp_dir().join(format!("doc-bf16-{}.safetensors", std::process::id()));
/// save_model_as(&net, &path, StoredDtype::Bf16)?;
/// let back = load_model(&path)?;
/// let rounded: Vec<f32> = net.params().iter().map(|&x| StoredDtype::Bf16.round(x)).collect();
/// assert_eq!(back.params(), &rounded[..]);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`write_tensors_as`]: a weight past f16's range (±65504) cannot be
/// stored as `F16`.
pub fn save_model_as(
    net: &Network<f32>,
    path: &Path,
    dtype: StoredDtype,
) -> Result<(), ModelError> {
    let mut metadata = BTreeMap::new();
    metadata.insert("format".to_string(), "matnet".to_string());
    metadata.insert(
        "architecture".to_string(),
        architecture_string(net.layers()),
    );
    metadata.insert("loss".to_string(), loss_name(net.loss()).to_string());
    metadata.insert("weight_layout".to_string(), "inputs_x_outputs".to_string());
    let params = net.params();
    let mut tensors = Vec::new();
    for (l, (layer, range)) in net.layers().iter().zip(net.param_ranges()).enumerate() {
        let mut data = &params[range.clone()];
        for t in layer.tensors() {
            let (this, rest) = data.split_at(t.len());
            tensors.push(Tensor {
                name: format!("layers.{l}.{}", t.name),
                shape: t.shape,
                data: this.to_vec(),
            });
            data = rest;
        }
    }
    write_tensors_as(path, &tensors, &metadata, dtype)
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
    // Every layer's tensors must be in the file with their shapes before
    // anything is built: the architecture string alone could ask for any
    // amount of memory, the tensors are bounded by the file's size.
    for (l, layer) in layers.iter().enumerate() {
        for want in layer.tensors() {
            let name = format!("layers.{l}.{}", want.name);
            match by_name.get(name.as_str()) {
                None => return Err(invalid(format!("tensor '{name}' is missing"))),
                Some(t) if t.shape != want.shape => {
                    return Err(invalid(format!(
                        "tensor '{name}' has shape {:?} but the architecture needs {:?}",
                        t.shape, want.shape
                    )))
                }
                Some(_) => {}
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
    let (layers, ranges) = (net.layers().to_vec(), net.param_ranges().to_vec());
    for (l, (layer, range)) in layers.iter().zip(ranges).enumerate() {
        let mut at = range.start;
        for want in layer.tensors() {
            let name = format!("layers.{l}.{}", want.name);
            let t = by_name
                .remove(name.as_str())
                .ok_or_else(|| invalid(format!("tensor '{name}' is missing")))?;
            if t.shape != want.shape || t.data.len() != want.len() {
                return Err(invalid(format!(
                    "tensor '{name}' has shape {:?} but the architecture needs {:?}",
                    t.shape, want.shape
                )));
            }
            if let Some(bad) = t.data.iter().find(|x| !x.is_finite()) {
                return Err(invalid(format!(
                    "tensor '{name}' holds a non-finite value ({bad})"
                )));
            }
            net.params_mut()[at..at + want.len()].copy_from_slice(&t.data);
            at += want.len();
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
