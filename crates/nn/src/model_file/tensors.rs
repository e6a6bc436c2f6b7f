//! The safetensors layer of a model file: tensors and metadata written
//! atomically, and read back from a regular file of bounded size with every
//! layout rule checked by the `safetensors` crate (and, when it refuses a
//! file, a second pass over the header that says which tensor is wrong).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use matrix::{bf16, f16};
use safetensors::{Dtype, SafeTensors};
use serde_json::{json, Map, Value};

use super::{ModelError, MAX_HEADER_BYTES, MAX_MODEL_FILE_BYTES, MAX_TENSORS};
use crate::atomic_file;

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
    /// Tensors in file order (by data offset).
    pub tensors: Vec<Tensor>,
    /// The `__metadata__` map.
    pub metadata: BTreeMap<String, String>,
}

/// The element type tensors are stored as: safetensors' `F32`, `BF16` or
/// `F16`. The half-precision types halve a file and lose precision
/// (bf16 keeps 8 bits of mantissa and f32's range; f16 11 bits and a range
/// of ±65504); each value is rounded to nearest, ties to even, as
/// PyTorch's `.to(torch.bfloat16)` does.
///
/// ```
/// use nn::model_file::StoredDtype;
/// assert_eq!(StoredDtype::from_name("bf16"), Some(StoredDtype::Bf16));
/// assert_eq!(StoredDtype::Bf16.round(1.0 + 1.0 / 512.0), 1.0);
/// assert_eq!(StoredDtype::F16.round(1e5), f32::INFINITY); // past f16's range
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoredDtype {
    /// 32-bit IEEE floats, exact.
    #[default]
    F32,
    /// bfloat16.
    Bf16,
    /// IEEE half precision.
    F16,
}

impl StoredDtype {
    /// `f32`, `bf16` or `f16` (as `mnist --save-dtype` takes them).
    pub fn from_name(name: &str) -> Option<StoredDtype> {
        match name {
            "f32" => Some(StoredDtype::F32),
            "bf16" => Some(StoredDtype::Bf16),
            "f16" => Some(StoredDtype::F16),
            _ => None,
        }
    }

    /// The safetensors type: its header name (`F32`, `BF16`, `F16`) and
    /// its size come from there.
    fn dtype(self) -> Dtype {
        match self {
            StoredDtype::F32 => Dtype::F32,
            StoredDtype::Bf16 => Dtype::BF16,
            StoredDtype::F16 => Dtype::F16,
        }
    }

    /// `x` as it reads back after storing: rounded to this type (infinite
    /// past its range).
    pub fn round(self, x: f32) -> f32 {
        match self {
            StoredDtype::F32 => x,
            StoredDtype::Bf16 => bf16::from_f32(x).to_f32(),
            StoredDtype::F16 => f16::from_f32(x).to_f32(),
        }
    }

    /// Appends `x`'s little-endian bytes in this type.
    fn push(self, x: f32, out: &mut Vec<u8>) {
        match self {
            StoredDtype::F32 => out.extend_from_slice(&x.to_le_bytes()),
            StoredDtype::Bf16 => out.extend_from_slice(&bf16::from_f32(x).to_le_bytes()),
            StoredDtype::F16 => out.extend_from_slice(&f16::from_f32(x).to_le_bytes()),
        }
    }
}

/// Writes `tensors` (f32) and `metadata` atomically to `path`. A tensor
/// whose shape does not match its data, or a name used twice, is
/// [`ModelError::Invalid`] (such a file could not be read back).
pub fn write_tensors(
    path: &Path,
    tensors: &[Tensor],
    metadata: &BTreeMap<String, String>,
) -> Result<(), ModelError> {
    write_tensors_as(path, tensors, metadata, StoredDtype::F32)
}

/// [`write_tensors`] with every tensor stored as `dtype`. A finite value
/// that `dtype` cannot hold (past f16's ±65504) is [`ModelError::Invalid`]
/// naming the tensor: the file would read back with an infinity.
pub fn write_tensors_as(
    path: &Path,
    tensors: &[Tensor],
    metadata: &BTreeMap<String, String>,
    dtype: StoredDtype,
) -> Result<(), ModelError> {
    let invalid = |reason: String| ModelError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut header = Map::new();
    if !metadata.is_empty() {
        header.insert("__metadata__".into(), json!(metadata));
    }
    let mut offset = 0usize;
    for t in tensors {
        let numel = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if numel != Some(t.data.len()) {
            return Err(invalid(format!(
                "tensor '{}' has shape {:?} but {} values",
                t.name,
                t.shape,
                t.data.len()
            )));
        }
        if let Some(x) = t
            .data
            .iter()
            .find(|x| x.is_finite() && !dtype.round(**x).is_finite())
        {
            return Err(invalid(format!(
                "tensor '{}' holds {x}, outside the range of {}",
                t.name,
                dtype.dtype()
            )));
        }
        let bytes = t.data.len() * dtype.dtype().bitsize() / 8;
        let entry = json!({"dtype": dtype.dtype().to_string(), "shape": t.shape,
            "data_offsets": [offset, offset + bytes]});
        if t.name == "__metadata__" || header.insert(t.name.clone(), entry).is_some() {
            return Err(invalid(format!("tensor name '{}' used twice", t.name)));
        }
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
        for &x in &t.data {
            dtype.push(x, &mut buf);
        }
    }
    write_atomically(path, &buf)
}

/// Writes `bytes` to a fresh temporary file next to `path` (created with
/// `create_new`, named `.NAME.tmp-PID-COUNTER-RANDOM`), syncs it and renames
/// it over `path`: a reader sees the old file or the new one, never a mix,
/// and concurrent saves to one path each install a whole file. Temporaries
/// of `path` left by killed processes are removed first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    if atomic_file::split(path).is_none() {
        return Err(ModelError::Invalid {
            path: path.to_path_buf(),
            reason: "the path has no file name".into(),
        });
    }
    atomic_file::write_atomically_with(path, |f| f.write_all(bytes)).map_err(|source| {
        ModelError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// What a non-regular file is, for [`ModelError::NotRegularFile`].
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "an unknown kind of file"
    }
}

/// The bytes of the regular file `path`, at most `limit` of them.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |size| ModelError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    // Checked before opening: opening a FIFO blocks until a writer appears,
    // and /dev/zero or a directory never gives a sensible end.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ModelError::NotRegularFile {
            path: path.to_path_buf(),
            kind: file_kind(&meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let file = File::open(path).map_err(io)?;
    // The path may have been replaced between the two calls.
    let opened = file.metadata().map_err(io)?;
    if !opened.is_file() {
        return Err(ModelError::NotRegularFile {
            path: path.to_path_buf(),
            kind: file_kind(&opened.file_type()),
        });
    }
    let expected = opened.len().min(limit);
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(expected as usize)
        .map_err(|_| ModelError::OutOfMemory {
            path: path.to_path_buf(),
            what: "the file's bytes".into(),
            bytes: expected,
        })?;
    // One byte past the limit tells a file that grew during the read.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads and validates a safetensors file of at most
/// [`MAX_MODEL_FILE_BYTES`]: see [`read_tensors_with_limit`].
pub fn read_tensors(path: &Path) -> Result<TensorFile, ModelError> {
    read_tensors_with_limit(path, MAX_MODEL_FILE_BYTES)
}

/// Reads and validates a safetensors file: a regular file (anything else is
/// [`ModelError::NotRegularFile`], refused before it is opened) of at most
/// `limit` bytes ([`ModelError::TooLarge`]), then [`parse_tensors`].
pub fn read_tensors_with_limit(path: &Path, limit: u64) -> Result<TensorFile, ModelError> {
    let bytes = read_limited(path, limit)?;
    parse_tensors_named(&bytes, path)
}

/// [`read_tensors`] on bytes in memory (errors name the path `<memory>`).
pub fn parse_tensors(bytes: &[u8]) -> Result<TensorFile, ModelError> {
    parse_tensors_named(bytes, Path::new("<memory>"))
}

/// [`read_tensors`] on bytes in memory; errors name `path`. The header
/// length must be at most [`MAX_HEADER_BYTES`], the tensors at most
/// [`MAX_TENSORS`], every tensor F32, F64, BF16 or F16 (converted to
/// `f32`); the rest
/// of the layout is checked by the `safetensors` crate. Linear time.
pub fn parse_tensors_named(bytes: &[u8], path: &Path) -> Result<TensorFile, ModelError> {
    let format = |reason: String| ModelError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let Some((len_bytes, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(format(format!(
            "{} bytes is too short for the 8-byte header length",
            bytes.len()
        )));
    };
    let header_len = u64::from_le_bytes(*len_bytes);
    if header_len > MAX_HEADER_BYTES {
        return Err(ModelError::HeaderTooLarge {
            path: path.to_path_buf(),
            len: header_len,
            limit: MAX_HEADER_BYTES,
        });
    }
    let Some((header, data)) = rest.split_at_checked(header_len as usize) else {
        return Err(format(format!(
            "header length {header_len} exceeds the {} bytes after it",
            rest.len()
        )));
    };
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| format(explain(header, data.len() as u64).unwrap_or_else(|| e.to_string())))?;
    let names = meta.offset_keys(); // in data order
    if names.len() > MAX_TENSORS {
        return Err(ModelError::TooManyTensors {
            path: path.to_path_buf(),
            count: names.len(),
            limit: MAX_TENSORS,
        });
    }
    let mut file = TensorFile::default();
    if let Some(m) = meta.metadata() {
        file.metadata = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    file.tensors
        .try_reserve_exact(names.len())
        .map_err(|_| ModelError::OutOfMemory {
            path: path.to_path_buf(),
            what: "the tensor list".into(),
            bytes: (names.len() * std::mem::size_of::<Tensor>()) as u64,
        })?;
    for name in names {
        // The crate validated every entry; `None` is answered, not unwrapped.
        let info = meta
            .info(&name)
            .ok_or_else(|| format(format!("tensor '{name}' vanished from the header")))?;
        let (begin, end) = info.data_offsets;
        let raw = data.get(begin..end).ok_or_else(|| {
            format(format!(
                "tensor '{name}': data_offsets [{begin}, {end}] outside the {} data bytes",
                data.len()
            ))
        })?;
        let size = match info.dtype {
            Dtype::F32 | Dtype::F64 | Dtype::BF16 | Dtype::F16 => info.dtype.bitsize() / 8,
            other => {
                return Err(ModelError::UnsupportedDtype {
                    path: path.to_path_buf(),
                    tensor: name,
                    dtype: other.to_string(),
                })
            }
        };
        let mut values = Vec::new();
        values
            .try_reserve_exact(raw.len() / size)
            .map_err(|_| ModelError::OutOfMemory {
                path: path.to_path_buf(),
                what: format!("tensor '{name}'"),
                bytes: (raw.len() / size * 4) as u64,
            })?;
        match info.dtype {
            Dtype::F32 => values.extend(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            ),
            Dtype::BF16 => values.extend(
                raw.chunks_exact(2)
                    .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32()),
            ),
            Dtype::F16 => values.extend(
                raw.chunks_exact(2)
                    .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32()),
            ),
            _ => values.extend(raw.chunks_exact(8).map(|c| {
                f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
            })),
        }
        file.tensors.push(Tensor {
            name,
            shape: info.shape.clone(),
            data: values,
        });
    }
    Ok(file)
}

/// Says what is wrong with a header the `safetensors` crate refused, naming
/// the tensor: the same rules, checked one tensor at a time (linear time:
/// one parse, one sort of the byte ranges). `None` if these checks find
/// nothing, and the crate's own message is used.
fn explain(header: &[u8], data_len: u64) -> Option<String> {
    let header: Value = match serde_json::from_slice(header) {
        Ok(v) => v,
        Err(e) => return Some(format!("header is not valid JSON: {e}")),
    };
    let Value::Object(entries) = header else {
        return Some("header is not a JSON object".into());
    };
    let mut ranges = Vec::new();
    for (name, entry) in &entries {
        if name == "__metadata__" {
            let Value::Object(meta) = entry else {
                return Some("__metadata__ is not an object".into());
            };
            if let Some((k, _)) = meta.iter().find(|(_, v)| !v.is_string()) {
                return Some(format!("metadata value of '{k}' is not a string"));
            }
            continue;
        }
        let Some(fields) = entry.as_object() else {
            return Some(format!("tensor '{name}' is not an object"));
        };
        for f in ["dtype", "shape", "data_offsets"] {
            if !fields.contains_key(f) {
                return Some(format!("tensor '{name}' has no '{f}'"));
            }
        }
        let dtype = &fields["dtype"];
        let Ok(dt) = serde_json::from_value::<Dtype>(dtype.clone()) else {
            return Some(format!(
                "tensor '{name}': unsupported dtype {dtype} (expected F32, F64, BF16 or F16)"
            ));
        };
        let Some(shape) = fields["shape"].as_array().and_then(|a| {
            a.iter()
                .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                .collect::<Option<Vec<usize>>>()
        }) else {
            return Some(format!(
                "tensor '{name}': shape is not a list of non-negative integers (a non-integer dimension)"
            ));
        };
        let Some([begin, end]) = fields["data_offsets"].as_array().and_then(|a| {
            let v: Option<Vec<u64>> = a.iter().map(Value::as_u64).collect();
            v.and_then(|v| <[u64; 2]>::try_from(v).ok())
        }) else {
            return Some(format!("tensor '{name}': data_offsets is not [begin, end]"));
        };
        if begin > end || end > data_len {
            return Some(format!(
                "tensor '{name}': data_offsets [{begin}, {end}] outside the {data_len} data bytes"
            ));
        }
        let bits = shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .and_then(|n| n.checked_mul(dt.bitsize() as u64));
        let Some(bits) = bits else {
            return Some(format!("tensor '{name}': shape {shape:?} overflows"));
        };
        if bits != (end - begin).saturating_mul(8) {
            return Some(format!(
                "tensor '{name}': shape {shape:?} of {dt} needs {} bytes but data_offsets span {}",
                bits.div_ceil(8),
                end - begin
            ));
        }
        ranges.push((begin, end, name));
    }
    ranges.sort_unstable();
    let mut covered = 0u64;
    for (begin, end, name) in &ranges {
        if *begin < covered {
            return Some(format!("tensor '{name}' overlaps the previous tensor"));
        }
        if *begin > covered {
            return Some(format!(
                "gap in the data before tensor '{name}' (bytes {covered}..{begin})"
            ));
        }
        covered = *end;
    }
    if covered != data_len {
        return Some(format!(
            "the tensors cover {covered} of the {data_len} data bytes"
        ));
    }
    None
}
