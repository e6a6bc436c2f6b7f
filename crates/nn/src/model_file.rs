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
//! Saving is atomic (temporary file in the same directory, fsync, rename);
//! loading validates everything before trusting any offset.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::activation::Activation;
use crate::loss::Loss;
use crate::network::{Init, Layer, Network};

/// Header sizes above this are refused (the safetensors limit).
const MAX_HEADER: u64 = 100 << 20;

/// Why a model file could not be written or read.
#[derive(Debug)]
pub enum ModelError {
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file, or not a matnet model.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ModelError::Invalid { path, reason } => {
                write!(f, "{}: not a valid model file: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelError::Io { source, .. } => Some(source),
            ModelError::Invalid { .. } => None,
        }
    }
}

/// One tensor read from a file (all tensors are converted to `f32`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Its name in the header.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its elements, row-major.
    pub data: Vec<f32>,
}

/// The content of a safetensors file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TensorFile {
    /// Tensors in file order.
    pub tensors: Vec<Tensor>,
    /// The `__metadata__` map.
    pub metadata: BTreeMap<String, String>,
}

/// Writes `tensors` (f32) and `metadata` atomically to `path`.
pub fn write_tensors(
    path: &Path,
    tensors: &[Tensor],
    metadata: &BTreeMap<String, String>,
) -> Result<(), ModelError> {
    let mut header = Map::new();
    if !metadata.is_empty() {
        header.insert("__metadata__".into(), json!(metadata));
    }
    let mut offset = 0usize;
    for t in tensors {
        let bytes = t.data.len() * 4;
        header.insert(
            t.name.clone(),
            json!({"dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    let mut head = Value::Object(header).to_string().into_bytes();
    while !head.len().is_multiple_of(8) {
        head.push(b' '); // the format allows trailing spaces; aligns the data
    }
    let mut buf = Vec::with_capacity(8 + head.len() + offset);
    buf.extend_from_slice(&(head.len() as u64).to_le_bytes());
    buf.extend_from_slice(&head);
    for t in tensors {
        for x in &t.data {
            buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    write_atomically(path, &buf)
}

/// Writes `bytes` to a temporary file next to `path`, syncs it and renames
/// it over `path`: a reader sees the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| ModelError::Invalid {
        path: path.to_path_buf(),
        reason: "the path has no file name".into(),
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable (best effort: not every FS allows it).
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Reads and validates a safetensors file: header length within the file,
/// well-formed JSON, known dtypes (F32, F64), shapes matching byte ranges,
/// ranges inside the data and neither overlapping nor leaving gaps.
pub fn read_tensors(path: &Path) -> Result<TensorFile, ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io)?;
    parse_tensors(&bytes).map_err(|reason| ModelError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// [`read_tensors`] on bytes in memory; the error says what is wrong.
pub fn parse_tensors(bytes: &[u8]) -> Result<TensorFile, String> {
    if bytes.len() < 8 {
        return Err(format!(
            "{} bytes is too short for the 8-byte header length",
            bytes.len()
        ));
    }
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let available = (bytes.len() - 8) as u64;
    if header_len > available || header_len > MAX_HEADER {
        return Err(format!(
            "header length {header_len} exceeds the {available} bytes after it (limit {MAX_HEADER})"
        ));
    }
    let header_end = 8 + header_len as usize;
    let header: Value = serde_json::from_slice(&bytes[8..header_end])
        .map_err(|e| format!("header is not valid JSON: {e}"))?;
    let Value::Object(entries) = header else {
        return Err("header is not a JSON object".into());
    };
    let data = &bytes[header_end..];
    let mut file = TensorFile::default();
    let mut ranges = Vec::new();
    for (name, entry) in entries {
        if name == "__metadata__" {
            let Value::Object(meta) = entry else {
                return Err("__metadata__ is not an object".into());
            };
            for (k, v) in meta {
                let Value::String(v) = v else {
                    return Err(format!("metadata value of '{k}' is not a string"));
                };
                file.metadata.insert(k, v);
            }
            continue;
        }
        let field = |f: &str| {
            entry
                .get(f)
                .ok_or_else(|| format!("tensor '{name}' has no '{f}'"))
        };
        let dtype = field("dtype")?
            .as_str()
            .ok_or_else(|| format!("tensor '{name}': dtype is not a string"))?;
        let size = match dtype {
            "F32" => 4,
            "F64" => 8,
            other => {
                return Err(format!(
                    "tensor '{name}': unsupported dtype {other} (expected F32 or F64)"
                ))
            }
        };
        let shape: Vec<usize> = field("shape")?
            .as_array()
            .ok_or_else(|| format!("tensor '{name}': shape is not a list"))?
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("tensor '{name}': shape has a non-integer dimension"))?;
        let offsets: Vec<u64> = field("data_offsets")?
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| a.iter().map(Value::as_u64).collect())
            .ok_or_else(|| format!("tensor '{name}': data_offsets is not [begin, end]"))?;
        let (begin, end) = (offsets[0], offsets[1]);
        if begin > end || end > data.len() as u64 {
            return Err(format!(
                "tensor '{name}': data_offsets [{begin}, {end}] outside the {} data bytes",
                data.len()
            ));
        }
        let numel = shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| format!("tensor '{name}': shape {shape:?} overflows"))?;
        if numel.checked_mul(size) != Some(end - begin) {
            return Err(format!(
                "tensor '{name}': shape {shape:?} of {dtype} needs {} bytes but data_offsets span {}",
                numel.saturating_mul(size),
                end - begin
            ));
        }
        let raw = &data[begin as usize..end as usize];
        let values: Vec<f32> = if size == 4 {
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                .collect()
        } else {
            raw.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8")) as f32)
                .collect()
        };
        ranges.push((begin, end, name.clone()));
        file.tensors.push(Tensor {
            name,
            shape,
            data: values,
        });
    }
    ranges.sort();
    let mut covered = 0u64;
    for (begin, end, name) in &ranges {
        if *begin < covered {
            return Err(format!("tensor '{name}' overlaps the previous tensor"));
        }
        if *begin > covered {
            return Err(format!(
                "gap in the data before tensor '{name}' (bytes {covered}..{begin})"
            ));
        }
        covered = *end;
    }
    if covered != data.len() as u64 {
        return Err(format!(
            "the tensors cover {covered} of the {} data bytes",
            data.len()
        ));
    }
    // Keep file order for readers that care.
    file.tensors
        .sort_by_key(|t| ranges.iter().position(|r| r.2 == t.name));
    Ok(file)
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
pub fn parse_architecture(s: &str) -> Result<Vec<Layer>, String> {
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
/// that every value is finite.
pub fn load_model(path: &Path) -> Result<Network<f32>, ModelError> {
    let invalid = |reason: String| ModelError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let file = read_tensors(path)?;
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
    // Every Dense layer's tensors must be in the file with its shapes before
    // anything is built: the architecture string alone could ask for any
    // amount of memory, the tensors are bounded by the file's size.
    for (l, layer) in layers.iter().enumerate() {
        if let Layer::Dense { inputs, outputs } = *layer {
            for (suffix, shape) in [("weight", vec![inputs, outputs]), ("bias", vec![outputs])] {
                let name = format!("layers.{l}.{suffix}");
                match file.tensors.iter().find(|t| t.name == name) {
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
    let mut by_name: BTreeMap<&str, &Tensor> =
        file.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    for d in net.dense_params().to_vec() {
        for (suffix, shape, range) in [
            ("weight", vec![d.inputs, d.outputs], d.weight_range()),
            ("bias", vec![d.outputs], d.bias_range()),
        ] {
            let name = format!("layers.{}.{suffix}", d.layer);
            let t = by_name
                .remove(name.as_str())
                .ok_or_else(|| invalid(format!("tensor '{name}' is missing")))?;
            if t.shape != shape {
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
    if let Some(extra) = by_name.keys().next() {
        return Err(invalid(format!(
            "tensor '{extra}' is not part of the architecture"
        )));
    }
    Ok(net)
}
