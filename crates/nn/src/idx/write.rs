//! Writing IDX files, plain or gzip'd, through a temporary file renamed into
//! place (see [`crate::atomic_file`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use byteorder::{BigEndian, WriteBytesExt};
use flate2::write::GzEncoder;
use flate2::Compression;

use super::error::shape;
use super::{IdxArray, IdxData, IdxError};

/// Checks that `array` can be written as IDX.
fn validate(array: &IdxArray, path: &Path) -> Result<(), IdxError> {
    let bad = |reason: String| {
        Err(IdxError::InvalidArray {
            path: path.to_path_buf(),
            reason,
        })
    };
    if array.dims.is_empty() {
        return bad("an IDX array needs at least one dimension".into());
    }
    if array.dims.len() > 255 {
        return bad(format!(
            "{} dimensions, IDX allows at most 255",
            array.dims.len()
        ));
    }
    if let Some(d) = array.dims.iter().find(|&&d| d > u32::MAX as usize) {
        return bad(format!(
            "dimension {d} exceeds the IDX limit of {}",
            u32::MAX
        ));
    }
    let n = array.dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if n != Some(array.data.len()) {
        return bad(format!(
            "shape {} does not match the {} elements of data",
            shape(&array.dims),
            array.data.len()
        ));
    }
    Ok(())
}

/// Writes the header and data of a validated array.
fn encode<W: Write>(w: &mut W, array: &IdxArray) -> io::Result<()> {
    w.write_all(&[0, 0, array.type_code(), array.dims.len() as u8])?;
    for &d in &array.dims {
        w.write_u32::<BigEndian>(d as u32)?;
    }
    const CHUNK: usize = 8192;
    let mut buf = [0u8; CHUNK];
    macro_rules! put {
        ($v:expr, $n:expr) => {
            for c in $v.chunks(CHUNK / $n) {
                for (dst, x) in buf.chunks_exact_mut($n).zip(c) {
                    dst.copy_from_slice(&x.to_be_bytes());
                }
                w.write_all(&buf[..c.len() * $n])?;
            }
        };
    }
    match &array.data {
        IdxData::U8(v) => w.write_all(v)?,
        IdxData::I8(v) => put!(v, 1),
        IdxData::I16(v) => put!(v, 2),
        IdxData::I32(v) => put!(v, 4),
        IdxData::F32(v) => put!(v, 4),
        IdxData::F64(v) => put!(v, 8),
    }
    Ok(())
}

/// Writes `array` as IDX to `writer`, gzip'd if `gzip`, and returns the
/// writer (flushed); `name` is the file name used in error messages.
///
/// ```
/// use nn::idx::{read_idx_bytes, write_idx_to, IdxArray, IdxData};
/// let a = IdxArray::new(vec![2, 2], IdxData::F32(vec![1.0, -2.0, 0.5, 3.0])).unwrap();
/// let bytes = write_idx_to(Vec::new(), &a, false, "a.idx").unwrap();
/// assert_eq!(&bytes[..4], &[0, 0, 0x0d, 2]);
/// assert_eq!(read_idx_bytes(&bytes, "a.idx").unwrap(), a);
/// let gz = write_idx_to(Vec::new(), &a, true, "a.idx.gz").unwrap();
/// assert_eq!(&gz[..2], &[0x1f, 0x8b]);
/// assert_eq!(read_idx_bytes(&gz, "a.idx.gz").unwrap(), a);
/// ```
pub fn write_idx_to<W: Write>(
    writer: W,
    array: &IdxArray,
    gzip: bool,
    name: impl AsRef<Path>,
) -> Result<W, IdxError> {
    let path = name.as_ref();
    validate(array, path)?;
    let io_err = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    if gzip {
        let mut enc = GzEncoder::new(writer, Compression::default());
        encode(&mut enc, array).map_err(io_err)?;
        let mut w = enc.finish().map_err(io_err)?;
        w.flush().map_err(io_err)?;
        Ok(w)
    } else {
        let mut w = writer;
        encode(&mut w, array).map_err(io_err)?;
        w.flush().map_err(io_err)?;
        Ok(w)
    }
}

/// Writes `array` to `path` as IDX, gzip'd if `gzip` (the name is not
/// consulted), atomically: the bytes go to a temporary file in the same
/// directory (a fresh one per save, created with `create_new`), which is
/// synced and then renamed over `path`, so `path` never holds a half-written
/// file; temporaries of `path` left by killed processes are removed first
/// (the crate's `atomic_file` module, shared with model files).
///
/// ```
/// use nn::idx::{read_idx, write_idx, IdxArray, IdxData};
/// let dir = std::env::temp_dir().join(format!("idx-doc-write-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("weights.idx");
/// let a = IdxArray::new(vec![1, 3], IdxData::F64(vec![0.25, -1.0, 1e300])).unwrap();
/// write_idx(&path, &a, false).unwrap();
/// assert_eq!(std::fs::metadata(&path).unwrap().len(), 4 + 2 * 4 + 3 * 8);
/// assert_eq!(read_idx(&path).unwrap(), a);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_idx(path: &Path, array: &IdxArray, gzip: bool) -> Result<(), IdxError> {
    validate(array, path)?;
    let io_err = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.file_name().is_none() {
        return Err(IdxError::InvalidArray {
            path: path.to_path_buf(),
            reason: "the path does not name a file".into(),
        });
    }
    crate::atomic_file::write_atomically_with(path, |file| {
        let w = BufWriter::with_capacity(1 << 16, file);
        let w = match write_idx_to(w, array, gzip, path) {
            Ok(w) => w,
            Err(IdxError::Io { source, .. }) => return Err(source),
            Err(e) => return Err(io::Error::other(e.to_string())),
        };
        w.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    })
    .map_err(io_err)
}
