//! [`IdxError`]: every way an IDX file can be wrong, each naming the file,
//! with the message a user sees.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::type_name;

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
    /// ([`DEFAULT_MAX_DATA_BYTES`](super::DEFAULT_MAX_DATA_BYTES) unless set with [`read_idx_with_limit`](super::read_idx_with_limit)).
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
    /// [`write_idx`](super::write_idx) was given an array that cannot be written.
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
pub(super) fn shape(dims: &[usize]) -> String {
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
