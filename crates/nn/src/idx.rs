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

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use byteorder::{BigEndian, ByteOrder, WriteBytesExt};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

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

/// The elements of an IDX array, in row-major order, by element type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Type code `0x08`.
    U8(Vec<u8>),
    /// Type code `0x09`.
    I8(Vec<i8>),
    /// Type code `0x0B`.
    I16(Vec<i16>),
    /// Type code `0x0C`.
    I32(Vec<i32>),
    /// Type code `0x0D`.
    F32(Vec<f32>),
    /// Type code `0x0E`.
    F64(Vec<f64>),
}

impl IdxData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// `true` if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The IDX type code of the elements (`0x08` for `U8`, ...).
    pub fn type_code(&self) -> u8 {
        match self {
            IdxData::U8(_) => TYPE_U8,
            IdxData::I8(_) => TYPE_I8,
            IdxData::I16(_) => TYPE_I16,
            IdxData::I32(_) => TYPE_I32,
            IdxData::F32(_) => TYPE_F32,
            IdxData::F64(_) => TYPE_F64,
        }
    }

    /// Name of the element type (`"u8"`, `"f32"`, ...).
    pub fn type_name(&self) -> &'static str {
        type_name(self.type_code())
    }

    /// Size in bytes of one element.
    pub fn element_size(&self) -> usize {
        match self {
            IdxData::U8(_) | IdxData::I8(_) => 1,
            IdxData::I16(_) => 2,
            IdxData::I32(_) | IdxData::F32(_) => 4,
            IdxData::F64(_) => 8,
        }
    }
}

impl From<Vec<u8>> for IdxData {
    fn from(v: Vec<u8>) -> Self {
        IdxData::U8(v)
    }
}
impl From<Vec<i8>> for IdxData {
    fn from(v: Vec<i8>) -> Self {
        IdxData::I8(v)
    }
}
impl From<Vec<i16>> for IdxData {
    fn from(v: Vec<i16>) -> Self {
        IdxData::I16(v)
    }
}
impl From<Vec<i32>> for IdxData {
    fn from(v: Vec<i32>) -> Self {
        IdxData::I32(v)
    }
}
impl From<Vec<f32>> for IdxData {
    fn from(v: Vec<f32>) -> Self {
        IdxData::F32(v)
    }
}
impl From<Vec<f64>> for IdxData {
    fn from(v: Vec<f64>) -> Self {
        IdxData::F64(v)
    }
}

/// An n-dimensional array read from or written to an IDX file.
///
/// `data` holds `dims.iter().product()` elements in row-major order. The
/// fields are public; [`write_idx`] checks that they agree before writing.
///
/// ```
/// use nn::idx::{IdxArray, IdxData};
/// let a = IdxArray::new(vec![2, 3], IdxData::U8(vec![0, 1, 2, 3, 4, 5])).unwrap();
/// assert_eq!((a.len(), a.type_code()), (6, 0x08));
/// assert_eq!(a.into_u8(), Some(vec![0, 1, 2, 3, 4, 5]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// Size of each dimension, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: IdxData,
}

impl IdxArray {
    /// An array of shape `dims`, or `None` if the data does not hold exactly
    /// `dims.iter().product()` elements (or that product overflows).
    pub fn new(dims: Vec<usize>, data: impl Into<IdxData>) -> Option<Self> {
        let data = data.into();
        let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
        (n == data.len()).then_some(IdxArray { dims, data })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of dimensions.
    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// The IDX type code of the elements.
    pub fn type_code(&self) -> u8 {
        self.data.type_code()
    }

    /// Name of the element type (`"u8"`, `"f32"`, ...).
    pub fn type_name(&self) -> &'static str {
        self.data.type_name()
    }

    /// The elements if they are `u8`.
    pub fn as_u8(&self) -> Option<&[u8]> {
        match &self.data {
            IdxData::U8(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `u8`.
    pub fn into_u8(self) -> Option<Vec<u8>> {
        match self.data {
            IdxData::U8(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `f32`.
    pub fn into_f32(self) -> Option<Vec<f32>> {
        match self.data {
            IdxData::F32(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `f64`.
    pub fn into_f64(self) -> Option<Vec<f64>> {
        match self.data {
            IdxData::F64(v) => Some(v),
            _ => None,
        }
    }

    /// Size of the header in bytes: `4 + 4 * ndims`.
    pub fn header_len(&self) -> usize {
        4 + 4 * self.dims.len()
    }
}

/// What is wrong with an IDX file; every variant names the file.
#[derive(Debug)]
pub enum IdxError {
    /// The file could not be opened, inspected or read (not found, no
    /// permission, ...), or the writer failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The path exists but is a directory or other non-regular file.
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Fewer than the 4 bytes of the magic number (after decompression if
    /// the file is gzip'd).
    TooShort {
        /// The file.
        path: PathBuf,
        /// Bytes present.
        len: usize,
    },
    /// The first two bytes are not `00 00` (and not the gzip magic).
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first four bytes.
        magic: [u8; 4],
    },
    /// The third byte is not one of the IDX type codes.
    UnknownType {
        /// The file.
        path: PathBuf,
        /// The type code found.
        code: u8,
    },
    /// The fourth byte says the array has no dimensions.
    NoDimensions {
        /// The file.
        path: PathBuf,
    },
    /// The file ends inside the list of dimension sizes.
    TruncatedHeader {
        /// The file.
        path: PathBuf,
        /// Number of dimensions declared.
        ndims: usize,
        /// Header bytes needed (`4 + 4 * ndims`).
        expected: usize,
        /// Header bytes present.
        present: usize,
    },
    /// The declared data size is above the reader's limit
    /// ([`DEFAULT_MAX_DATA_BYTES`] unless set with [`read_idx_with_limit`]).
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<usize>,
        /// Data bytes they declare.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// The product of the dimensions, or the data size in bytes, does not
    /// fit in `usize`.
    SizeOverflow {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<usize>,
        /// The element type code.
        code: u8,
    },
    /// The file holds fewer data bytes than the header declares.
    TruncatedData {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<usize>,
        /// Data bytes declared.
        declared: u64,
        /// Data bytes present.
        present: u64,
    },
    /// Bytes follow the data the header declares (plain file).
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Data bytes declared.
        declared: u64,
        /// Extra bytes after the data (a lower bound if `at_least`).
        extra: u64,
        /// `true` if counting stopped before the end of the stream.
        at_least: bool,
    },
    /// The gzip stream is corrupt or truncated (bad header, bad deflate
    /// data, CRC or size mismatch, unexpected end), or the compressed bytes
    /// could not be read.
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor said.
        source: io::Error,
    },
    /// The gzip stream decompresses to more than the header declares
    /// (reading stopped there: a gzip bomb or trailing data).
    GzipOverrun {
        /// The file.
        path: PathBuf,
        /// Data bytes declared.
        declared: u64,
    },
    /// [`write_idx`] was given an array that cannot be written.
    InvalidArray {
        /// The destination.
        path: PathBuf,
        /// Why (shape and data length disagree, a dimension exceeds
        /// `u32::MAX`, more than 255 or no dimensions).
        reason: String,
    },
}

impl IdxError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IdxError::Io { path, .. }
            | IdxError::NotAFile { path }
            | IdxError::TooShort { path, .. }
            | IdxError::BadMagic { path, .. }
            | IdxError::UnknownType { path, .. }
            | IdxError::NoDimensions { path }
            | IdxError::TruncatedHeader { path, .. }
            | IdxError::SizeOverflow { path, .. }
            | IdxError::TooLarge { path, .. }
            | IdxError::TruncatedData { path, .. }
            | IdxError::TrailingBytes { path, .. }
            | IdxError::Gzip { path, .. }
            | IdxError::GzipOverrun { path, .. }
            | IdxError::InvalidArray { path, .. } => path,
        }
    }
}

/// `3x28x28`-style shape.
fn shape(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    parts.join("x")
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path().display();
        match self {
            IdxError::Io { source, .. } => write!(f, "{p}: {source}"),
            IdxError::NotAFile { .. } => {
                write!(f, "{p}: not a regular file (is it a directory?)")
            }
            IdxError::TooShort { len, .. } => write!(
                f,
                "{p}: not an IDX file: {len} byte(s), too short for the 4-byte magic number"
            ),
            IdxError::BadMagic { magic, .. } => write!(
                f,
                "{p}: not an IDX file: magic number {:02x} {:02x} {:02x} {:02x} does not start with 00 00 (nor is it gzip)",
                magic[0], magic[1], magic[2], magic[3]
            ),
            IdxError::UnknownType { code, .. } => write!(
                f,
                "{p}: unknown IDX type code 0x{code:02x} (expected 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32 or 0x0e f64)"
            ),
            IdxError::NoDimensions { .. } => {
                write!(f, "{p}: the IDX header declares 0 dimensions")
            }
            IdxError::TruncatedHeader {
                ndims,
                expected,
                present,
                ..
            } => write!(
                f,
                "{p}: truncated IDX header: {ndims} dimensions need a {expected}-byte header but only {present} bytes are present"
            ),
            IdxError::TooLarge {
                dims,
                declared,
                limit,
                ..
            } => write!(
                f,
                "{p}: the IDX shape {} declares {declared} bytes of data, more than the limit of {limit} bytes (raise it with read_idx_with_limit)",
                shape(dims)
            ),
            IdxError::SizeOverflow { dims, code, .. } => write!(
                f,
                "{p}: the IDX shape {} of {} elements is too large to address",
                shape(dims),
                type_name(*code)
            ),
            IdxError::TruncatedData {
                dims,
                declared,
                present,
                ..
            } => write!(
                f,
                "{p}: truncated IDX data: the header (shape {}) declares {declared} bytes of data but only {present} are present",
                shape(dims)
            ),
            IdxError::TrailingBytes {
                declared,
                extra,
                at_least,
                ..
            } => write!(
                f,
                "{p}: {}{extra} unexpected byte(s) after the {declared} bytes of data the IDX header declares",
                if *at_least { "at least " } else { "" }
            ),
            IdxError::Gzip { source, .. } => {
                write!(f, "{p}: corrupt or truncated gzip stream: {source}")
            }
            IdxError::GzipOverrun { declared, .. } => write!(
                f,
                "{p}: the gzip stream expands past the {declared} bytes of data the IDX header declares (gzip bomb or trailing data)"
            ),
            IdxError::InvalidArray { reason, .. } => {
                write!(f, "{p}: cannot write IDX array: {reason}")
            }
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { source, .. } | IdxError::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- reading

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

// ---------------------------------------------------------------- writing

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

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<IdxArray> {
        let dims = vec![2, 3, 4];
        let n: usize = 24;
        vec![
            IdxArray::new(
                dims.clone(),
                (0..n).map(|i| (i * 11) as u8).collect::<Vec<u8>>(),
            ),
            IdxArray::new(
                dims.clone(),
                (0..n)
                    .map(|i| (i as i8).wrapping_mul(-13))
                    .collect::<Vec<i8>>(),
            ),
            IdxArray::new(
                dims.clone(),
                (0..n).map(|i| (i as i16 - 12) * 1000).collect::<Vec<i16>>(),
            ),
            IdxArray::new(
                dims.clone(),
                (0..n)
                    .map(|i| (i as i32 - 12) * 100_000_007)
                    .collect::<Vec<i32>>(),
            ),
            IdxArray::new(
                dims.clone(),
                (0..n)
                    .map(|i| (i as f32 - 12.0) / 7.0)
                    .collect::<Vec<f32>>(),
            ),
            IdxArray::new(
                dims.clone(),
                (0..n)
                    .map(|i| (i as f64 - 12.0) * 1e-300)
                    .collect::<Vec<f64>>(),
            ),
        ]
        .into_iter()
        .map(|a| a.expect("consistent sample"))
        .collect()
    }

    #[test]
    fn round_trip_every_type_in_memory() {
        for a in samples() {
            for gzip in [false, true] {
                let bytes = write_idx_to(Vec::new(), &a, gzip, "mem").unwrap();
                assert_eq!(bytes.starts_with(&GZIP_MAGIC), gzip);
                if !gzip {
                    assert_eq!(
                        bytes.len(),
                        a.header_len() + a.len() * a.data.element_size()
                    );
                    assert_eq!(&bytes[..4], &[0, 0, a.type_code(), 3]);
                }
                assert_eq!(
                    read_idx_bytes(&bytes, "mem").unwrap(),
                    a,
                    "{} gzip={gzip}",
                    a.type_name()
                );
                assert_eq!(read_idx_from(&bytes[..], "mem").unwrap(), a);
            }
        }
    }

    #[test]
    fn round_trip_every_type_through_files() {
        let dir = std::env::temp_dir().join(format!("nn-idx-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for a in samples() {
            for gzip in [false, true] {
                let path = dir.join(format!("{}-{gzip}.idx", a.type_name()));
                write_idx(&path, &a, gzip).unwrap();
                assert_eq!(read_idx(&path).unwrap(), a);
                // Overwriting replaces the file.
                write_idx(&path, &a, !gzip).unwrap();
                assert_eq!(read_idx(&path).unwrap(), a);
            }
        }
        // No temporary files left behind.
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn big_endian_layout() {
        let a = IdxArray::new(vec![2], vec![0x0102i16, -2]).unwrap();
        let b = write_idx_to(Vec::new(), &a, false, "x").unwrap();
        assert_eq!(b, [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
        let f = IdxArray::new(vec![1], vec![1.0f32]).unwrap();
        let b = write_idx_to(Vec::new(), &f, false, "x").unwrap();
        assert_eq!(&b[8..], &[0x3f, 0x80, 0, 0]);
    }

    #[test]
    fn nan_and_infinities_survive() {
        let a = IdxArray::new(vec![3], vec![f64::NAN, f64::INFINITY, -0.0]).unwrap();
        let b = write_idx_to(Vec::new(), &a, false, "x").unwrap();
        let back = read_idx_bytes(&b, "x").unwrap().into_f64().unwrap();
        assert!(back[0].is_nan() && back[1] == f64::INFINITY && back[2].is_sign_negative());
    }

    #[test]
    fn empty_and_high_dimensional_arrays() {
        let empty = IdxArray::new(vec![0, 28, 28], Vec::<u8>::new()).unwrap();
        let b = write_idx_to(Vec::new(), &empty, true, "e").unwrap();
        assert_eq!(read_idx_bytes(&b, "e").unwrap(), empty);
        let many = IdxArray::new(vec![1; 255], vec![42u8]).unwrap();
        let b = write_idx_to(Vec::new(), &many, false, "m").unwrap();
        assert_eq!(b.len(), 4 + 4 * 255 + 1);
        assert_eq!(read_idx_bytes(&b, "m").unwrap(), many);
    }

    #[test]
    fn invalid_arrays_are_not_written() {
        let bad = IdxArray {
            dims: vec![2, 2],
            data: IdxData::U8(vec![1, 2, 3]),
        };
        assert!(matches!(
            write_idx_to(Vec::new(), &bad, false, "bad"),
            Err(IdxError::InvalidArray { .. })
        ));
        let none = IdxArray {
            dims: vec![],
            data: IdxData::U8(vec![1]),
        };
        assert!(matches!(
            write_idx_to(Vec::new(), &none, false, "none"),
            Err(IdxError::InvalidArray { .. })
        ));
        assert!(IdxArray::new(vec![2, 2], vec![1u8, 2, 3]).is_none());
        assert!(IdxArray::new(vec![usize::MAX, 2], Vec::<u8>::new()).is_none());
    }

    #[test]
    fn reads_concatenated_gzip_members() {
        let a = IdxArray::new(vec![3], vec![1u8, 2, 3]).unwrap();
        let plain = write_idx_to(Vec::new(), &a, false, "x").unwrap();
        let mut gz = Vec::new();
        for part in [&plain[..5], &plain[5..]] {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(part).unwrap();
            gz.extend(e.finish().unwrap());
        }
        assert_eq!(read_idx_bytes(&gz, "x").unwrap(), a);
    }

    #[test]
    fn large_declared_size_with_tiny_gzip_body_fails_fast() {
        let mut bytes = vec![0u8, 0, TYPE_F64, 1, 0xff, 0xff, 0xff, 0xff];
        bytes.extend([0u8; 16]);
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(&bytes).unwrap();
        let gz = e.finish().unwrap();
        // 32 GiB declared: refused on the header, before any data is read.
        let err = read_idx_bytes(&gz, "bomb-header").unwrap_err();
        assert!(matches!(err, IdxError::TooLarge { .. }), "{err}");
        // Under a lifted limit, the buffer grows only as data arrives.
        let kind = Kind::Gzip { isize_hint: None };
        let err = decode(
            MultiGzDecoder::new(&gz[..]),
            Path::new("bomb-header"),
            kind,
            u64::MAX,
        )
        .unwrap_err();
        assert!(
            matches!(err, IdxError::TruncatedData { present: 16, .. }),
            "{err}"
        );
    }
}
