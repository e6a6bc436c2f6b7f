//! The IDX file format (the format MNIST is distributed in), plain or gzip'd.
//!
//! An IDX file is a 4-byte magic `00 00 TT DD`, where `TT` is the element
//! type code and `DD` the number of dimensions, then `DD` big-endian `u32`
//! sizes, then the elements in row-major order, big-endian:
//!
//! | code | type | Rust |
//! | --- | --- | --- |
//! | `0x08` | unsigned byte | `u8` |
//! | `0x09` | signed byte | `i8` |
//! | `0x0B` | short (2 bytes) | `i16` |
//! | `0x0C` | int (4 bytes) | `i32` |
//! | `0x0D` | float (4 bytes) | `f32` |
//! | `0x0E` | double (8 bytes) | `f64` |
//!
//! Reading detects gzip by content (the gzip magic `1f 8b`), never by file
//! name. Every malformed input is an [`IdxError`] naming the file and what is
//! wrong; no input makes the reader panic. The size the header declares is
//! checked against the bytes available *before* anything large is
//! allocated: for a plain file against its length, for a gzip stream by
//! growing the buffer only as decompressed data actually arrives and stopping
//! as soon as more than the declared size comes out.
//!
//! Conventions chosen here:
//! - at least one dimension is required (`DD = 0` is [`IdxError::NoDimensions`]);
//! - a dimension of size 0 is allowed and gives an empty array;
//! - nothing may follow the data ([`IdxError::TrailingBytes`], or
//!   [`IdxError::GzipOverrun`] inside a gzip stream); concatenated gzip members
//!   are read as one stream, as `gzip -d` does.
//!
//! This file is the format and the reader; beside it are `array.rs` (the
//! in-memory [`IdxArray`]), `error.rs` ([`IdxError`], one variant per way a
//! file can be wrong, each with its message) and `write.rs` (the writer).

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use byteorder::{BigEndian, ByteOrder};
use flate2::read::MultiGzDecoder;

mod array;
mod error;
#[cfg(test)]
mod tests;
mod write;

pub use array::{IdxArray, IdxData};
pub use error::IdxError;
pub use write::{write_idx, write_idx_to};

/// Type code of `u8` elements.
pub const TYPE_U8: u8 = 0x08;
/// Type code of `i8` elements.
pub const TYPE_I8: u8 = 0x09;
/// Type code of big-endian `i16` elements.
pub const TYPE_I16: u8 = 0x0B;
/// Type code of big-endian `i32` elements.
pub const TYPE_I32: u8 = 0x0C;
/// Type code of big-endian `f32` elements.
pub const TYPE_F32: u8 = 0x0D;
/// Type code of big-endian `f64` elements.
pub const TYPE_F64: u8 = 0x0E;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Most data bytes (after the header, decompressed) [`read_idx`] accepts: 1
/// GiB, twenty times MNIST's training images and above every IDX data set in
/// common use. A larger file is refused before its data is read; use
/// [`read_idx_with_limit`] to allow more.
pub const DEFAULT_MAX_DATA_BYTES: u64 = 1 << 30;

/// Largest buffer reserved up front for a gzip stream whose trailer agrees
/// with the header (reservations are virtual memory until data arrives).
const MAX_GZIP_RESERVE: usize = 256 << 20;

/// Largest buffer reserved up front when nothing confirms the declared size.
const MAX_BLIND_RESERVE: usize = 1 << 20;

/// First growth step of the data buffer.
const MIN_STEP: usize = 64 << 10;

/// How far trailing bytes of a stream of unknown length are counted.
const MAX_TRAILING_COUNT: u64 = 16 << 20;

/// Size in bytes of one element of type `code`, or `None` for a code that
/// is not an IDX type.
///
/// ```
/// use nn::idx::{element_size, TYPE_F64};
/// assert_eq!(element_size(TYPE_F64), Some(8));
/// assert_eq!(element_size(0x0A), None);
/// ```
pub fn element_size(code: u8) -> Option<usize> {
    match code {
        TYPE_U8 | TYPE_I8 => Some(1),
        TYPE_I16 => Some(2),
        TYPE_I32 | TYPE_F32 => Some(4),
        TYPE_F64 => Some(8),
        _ => None,
    }
}

/// Name of the element type `code` (`"u8"`, `"f32"`, ...), or `"unknown"`.
///
/// ```
/// assert_eq!(nn::idx::type_name(0x08), "u8");
/// ```
pub fn type_name(code: u8) -> &'static str {
    match code {
        TYPE_U8 => "u8",
        TYPE_I8 => "i8",
        TYPE_I16 => "i16",
        TYPE_I32 => "i32",
        TYPE_F32 => "f32",
        TYPE_F64 => "f64",
        _ => "unknown",
    }
}

/// Reads an IDX file, plain or gzip'd (detected by content).
///
/// For a plain file the declared size is compared with the file length
/// before the data buffer is allocated; for a gzip'd file the buffer grows
/// only as decompressed data arrives, and reading stops with
/// [`IdxError::GzipOverrun`] once more than the declared size comes out.
///
/// ```
/// use nn::idx::{read_idx, write_idx, IdxArray, IdxData};
/// let dir = std::env::temp_dir().join(format!("idx-doc-read-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("labels-idx1-ubyte.gz");
/// let labels = IdxArray::new(vec![4], IdxData::U8(vec![5, 0, 4, 1])).unwrap();
/// write_idx(&path, &labels, true).unwrap();
/// assert_eq!(read_idx(&path).unwrap(), labels);
///
/// let err = read_idx(&dir.join("missing")).unwrap_err();
/// assert!(err.to_string().contains("missing"));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_idx(path: &Path) -> Result<IdxArray, IdxError> {
    read_idx_with_limit(path, DEFAULT_MAX_DATA_BYTES)
}

/// [`read_idx`] with a limit of `max_data_bytes` on the declared data size
/// instead of [`DEFAULT_MAX_DATA_BYTES`]: a larger file fails with
/// [`IdxError::TooLarge`] before any of its data is read.
///
/// ```
/// use nn::idx::{read_idx_with_limit, write_idx, IdxArray, IdxError};
/// let path = std::env::temp_dir().join(format!("idx-doc-limit-{}", std::process::id()));
/// write_idx(&path, &IdxArray::new(vec![100], vec![0u8; 100]).unwrap(), false).unwrap();
/// assert!(read_idx_with_limit(&path, 100).is_ok());
/// let err = read_idx_with_limit(&path, 99).unwrap_err();
/// assert!(matches!(err, IdxError::TooLarge { declared: 100, limit: 99, .. }));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_idx_with_limit(path: &Path, max_data_bytes: u64) -> Result<IdxArray, IdxError> {
    let io_err = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(IdxError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut file = File::open(path).map_err(io_err)?;
    // The length actually readable from the handle we hold.
    let len = file.metadata().map_err(io_err)?.len();
    let mut head = [0u8; 2];
    let got = read_full(&mut file, &mut head).map_err(io_err)?;
    if got == 2 && head == GZIP_MAGIC {
        let hint = if len >= 18 {
            gzip_isize(&mut file).map_err(io_err)?
        } else {
            None
        };
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let dec = MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file));
        decode(dec, path, Kind::Gzip { isize_hint: hint }, max_data_bytes)
    } else {
        let reader = (&head[..got]).chain(BufReader::with_capacity(1 << 16, file));
        decode(reader, path, Kind::Plain { len: Some(len) }, max_data_bytes)
    }
}

/// Reads an IDX array from a reader, plain or gzip'd (detected by content);
/// `name` is the file name used in error messages.
///
/// The total length of a reader is unknown, so a plain stream is read like a
/// gzip'd one: the buffer grows only as data arrives, capped at the declared
/// size. Prefer [`read_idx`] or [`read_idx_bytes`] when the length is known.
///
/// ```
/// use nn::idx::{read_idx_from, IdxData, IdxError};
/// let bytes = [0u8, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9];
/// let a = read_idx_from(&bytes[..], "three.idx").unwrap();
/// assert_eq!((a.dims, a.data), (vec![3], IdxData::U8(vec![7, 8, 9])));
///
/// let err = read_idx_from(&bytes[..9], "three.idx").unwrap_err();
/// assert!(matches!(err, IdxError::TruncatedData { declared: 3, present: 1, .. }));
/// assert!(err.to_string().starts_with("three.idx: "));
/// ```
pub fn read_idx_from<R: Read>(mut reader: R, name: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    let path = name.as_ref();
    let mut head = [0u8; 2];
    let got = read_full(&mut reader, &mut head).map_err(|source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = (&head[..got]).chain(reader);
    if got == 2 && head == GZIP_MAGIC {
        decode(
            MultiGzDecoder::new(reader),
            path,
            Kind::Gzip { isize_hint: None },
            DEFAULT_MAX_DATA_BYTES,
        )
    } else {
        decode(
            reader,
            path,
            Kind::Plain { len: None },
            DEFAULT_MAX_DATA_BYTES,
        )
    }
}

/// Reads an IDX array held in memory, plain or gzip'd (detected by
/// content); `name` is the file name used in error messages.
///
/// ```
/// use nn::idx::{read_idx_bytes, IdxError};
/// // Declares 2^16 bytes of data but carries 2: fails at once.
/// let bytes = [0u8, 0, 0x08, 1, 0, 1, 0, 0, 1, 2];
/// let err = read_idx_bytes(&bytes, "short").unwrap_err();
/// assert!(matches!(err, IdxError::TruncatedData { present: 2, .. }));
/// // Declares 2^32 - 1 bytes: above the default limit, refused on the header.
/// let bytes = [0u8, 0, 0x08, 1, 0xff, 0xff, 0xff, 0xff, 1, 2];
/// let err = read_idx_bytes(&bytes, "huge").unwrap_err();
/// assert!(matches!(err, IdxError::TooLarge { .. }));
/// ```
pub fn read_idx_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    let path = name.as_ref();
    if bytes.starts_with(&GZIP_MAGIC) {
        let hint = match bytes.len().checked_sub(4).and_then(|i| bytes.get(i..)) {
            Some(tail) if bytes.len() >= 18 => {
                Some(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]))
            }
            _ => None,
        };
        decode(
            MultiGzDecoder::new(bytes),
            path,
            Kind::Gzip { isize_hint: hint },
            DEFAULT_MAX_DATA_BYTES,
        )
    } else {
        decode(
            bytes,
            path,
            Kind::Plain {
                len: Some(bytes.len() as u64),
            },
            DEFAULT_MAX_DATA_BYTES,
        )
    }
}

/// Where the decoded bytes come from.
#[derive(Clone, Copy)]
enum Kind {
    /// Plain IDX bytes; `len` is the total length when known.
    Plain { len: Option<u64> },
    /// Decompressed gzip; the trailer's ISIZE (length mod 2^32) when known.
    Gzip { isize_hint: Option<u32> },
}

/// The last 4 bytes of a gzip file: the uncompressed size mod 2^32.
fn gzip_isize(file: &mut File) -> io::Result<Option<u32>> {
    file.seek(SeekFrom::End(-4))?;
    let mut tail = [0u8; 4];
    Ok((read_full(file, &mut tail)? == 4).then(|| u32::from_le_bytes(tail)))
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n.min(buf.len() - filled),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Decodes header and data from `r` (already decompressed if gzip'd).
fn decode<R: Read>(
    mut r: R,
    path: &Path,
    kind: Kind,
    max_data_bytes: u64,
) -> Result<IdxArray, IdxError> {
    let gzip = matches!(kind, Kind::Gzip { .. });
    let read_err = |source: io::Error| {
        if gzip {
            IdxError::Gzip {
                path: path.to_path_buf(),
                source,
            }
        } else {
            IdxError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let p = || path.to_path_buf();

    // Magic.
    let mut magic = [0u8; 4];
    let got = read_full(&mut r, &mut magic).map_err(read_err)?;
    if got < 4 {
        return Err(IdxError::TooShort {
            path: p(),
            len: got,
        });
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic { path: p(), magic });
    }
    let code = magic[2];
    let Some(esize) = element_size(code) else {
        return Err(IdxError::UnknownType { path: p(), code });
    };
    let ndims = usize::from(magic[3]);
    if ndims == 0 {
        return Err(IdxError::NoDimensions { path: p() });
    }

    // Dimension sizes.
    let mut raw = [0u8; 4 * 255];
    let raw = &mut raw[..4 * ndims];
    let got = read_full(&mut r, raw).map_err(read_err)?;
    if got < raw.len() {
        return Err(IdxError::TruncatedHeader {
            path: p(),
            ndims,
            expected: 4 + raw.len(),
            present: 4 + got,
        });
    }
    let dims: Vec<usize> = raw
        .chunks_exact(4)
        .map(|c| BigEndian::read_u32(c) as usize)
        .collect();
    let header_len = 4 + 4 * ndims;
    let Some(declared) = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(esize))
    else {
        return Err(IdxError::SizeOverflow {
            path: p(),
            dims,
            code,
        });
    };

    if declared as u64 > max_data_bytes {
        return Err(IdxError::TooLarge {
            path: p(),
            dims,
            declared: declared as u64,
            limit: max_data_bytes,
        });
    }

    // Check the declared size against what is available, then read.
    let reserve = match kind {
        Kind::Plain { len: Some(len) } => {
            let present = len.saturating_sub(header_len as u64);
            if present < declared as u64 {
                return Err(IdxError::TruncatedData {
                    path: p(),
                    dims,
                    declared: declared as u64,
                    present,
                });
            }
            if present > declared as u64 {
                return Err(IdxError::TrailingBytes {
                    path: p(),
                    declared: declared as u64,
                    extra: present - declared as u64,
                    at_least: false,
                });
            }
            declared
        }
        Kind::Plain { len: None } => declared.min(MAX_BLIND_RESERVE),
        Kind::Gzip { isize_hint } => {
            let total = (header_len as u64).wrapping_add(declared as u64);
            match isize_hint {
                Some(h) if u64::from(h) == total & 0xffff_ffff => declared.min(MAX_GZIP_RESERVE),
                _ => declared.min(MAX_BLIND_RESERVE),
            }
        }
    };
    let bytes = read_data(&mut r, declared, reserve).map_err(read_err)?;
    if bytes.len() < declared {
        return Err(IdxError::TruncatedData {
            path: p(),
            dims,
            declared: declared as u64,
            present: bytes.len() as u64,
        });
    }
    // Anything after the data? (For gzip this read also checks the CRC.)
    let mut probe = [0u8; 1];
    if read_full(&mut r, &mut probe).map_err(read_err)? > 0 {
        if gzip {
            return Err(IdxError::GzipOverrun {
                path: p(),
                declared: declared as u64,
            });
        }
        let counted =
            io::copy(&mut (&mut r).take(MAX_TRAILING_COUNT), &mut io::sink()).map_err(read_err)?;
        return Err(IdxError::TrailingBytes {
            path: p(),
            declared: declared as u64,
            extra: 1 + counted,
            at_least: counted == MAX_TRAILING_COUNT,
        });
    }
    Ok(IdxArray {
        dims,
        data: convert(bytes, code),
    })
}

/// Reads up to `limit` bytes, growing the buffer only as data arrives
/// (after reserving `reserve` bytes, which is at most `limit`).
fn read_data<R: Read>(r: &mut R, limit: usize, reserve: usize) -> io::Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    // A failed reservation is not an error: the buffer then grows as needed.
    let _ = buf.try_reserve_exact(reserve.min(limit));
    let mut filled = 0;
    while filled < limit {
        if filled == buf.len() {
            let step = buf.len().max(MIN_STEP).min(limit - filled);
            let new_len = filled + step;
            if buf.capacity() < new_len {
                buf.try_reserve_exact(new_len - buf.len())
                    .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
            }
            buf.resize(new_len, 0);
        }
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n.min(buf.len() - filled),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Big-endian bytes (a whole number of elements) to typed data.
fn convert(bytes: Vec<u8>, code: u8) -> IdxData {
    fn be<T, const N: usize>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
        bytes
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect()
    }
    match code {
        TYPE_I8 => IdxData::I8(bytes.iter().map(|&b| b as i8).collect()),
        TYPE_I16 => IdxData::I16(be(&bytes, i16::from_be_bytes)),
        TYPE_I32 => IdxData::I32(be(&bytes, i32::from_be_bytes)),
        TYPE_F32 => IdxData::F32(be(&bytes, f32::from_be_bytes)),
        TYPE_F64 => IdxData::F64(be(&bytes, f64::from_be_bytes)),
        _ => IdxData::U8(bytes),
    }
}
