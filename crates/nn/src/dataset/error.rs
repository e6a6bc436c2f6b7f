//! [`DataError`]: what can be wrong with a data set, naming the file.

use std::fmt;
use std::path::PathBuf;

use crate::idx::{IdxError, TYPE_U8};

/// What is wrong with a data set; messages name the file involved.
#[derive(Debug)]
pub enum DataError {
    /// The IDX file itself is unreadable or malformed.
    Idx(IdxError),
    /// None of the accepted names of a data file exists in the directory.
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file names looked for, in order.
        tried: Vec<String>,
        /// Whether the directory itself exists.
        dir_exists: bool,
    },
    /// The IDX file has the wrong element type (e.g. `f32` where `u8`
    /// pixels are expected).
    WrongType {
        /// The file.
        path: PathBuf,
        /// The type expected.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// The IDX file has the wrong number of dimensions (images must be
    /// `n x rows x cols`, labels `n`).
    WrongDims {
        /// The file.
        path: PathBuf,
        /// The number of dimensions expected.
        expected: usize,
        /// The dimensions found.
        found: Vec<usize>,
    },
    /// Image and label files disagree on the number of samples.
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Images it holds.
        image_count: usize,
        /// The label file.
        labels: PathBuf,
        /// Labels it holds.
        label_count: usize,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// Index of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
        /// The number of classes (labels must be `0..classes`).
        classes: usize,
    },
    /// Two parts of one data set have different image sizes (e.g. the
    /// training and test images), or a matrix does not match its shape.
    ShapeMismatch(String),
    /// The allocator refused the memory for the scaled images.
    OutOfMemory {
        /// The image file.
        path: PathBuf,
        /// Bytes asked for.
        bytes: u64,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Idx(e) => write!(f, "{e}"),
            DataError::OutOfMemory { path, bytes } => write!(
                f,
                "{}: out of memory: the images as f32 need {bytes} bytes ({:.1} GiB), which cannot be allocated",
                path.display(),
                *bytes as f64 / (1u64 << 30) as f64
            ),
            DataError::MissingFile {
                dir,
                tried,
                dir_exists,
            } => {
                write!(f, "{}: no ", dir.display())?;
                match tried.first() {
                    Some(first) => write!(f, "{first}")?,
                    None => write!(f, "data file")?,
                }
                write!(f, " here (looked for {})", tried.join(", "))?;
                if !dir_exists {
                    write!(f, "; the directory does not exist")?;
                }
                Ok(())
            }
            DataError::WrongType { path, expected, found } => write!(
                f,
                "{}: expected {expected} elements (IDX type code 0x{TYPE_U8:02x}) but the file holds {found}",
                path.display()
            ),
            DataError::WrongDims { path, expected, found } => {
                let shape: Vec<String> = found.iter().map(|d| d.to_string()).collect();
                write!(
                    f,
                    "{}: expected a {expected}-dimensional array ({}) but the file holds shape {} ({} dimension(s))",
                    path.display(),
                    if *expected == 1 { "labels" } else { "images x rows x columns" },
                    shape.join("x"),
                    found.len()
                )
            }
            DataError::CountMismatch {
                images,
                image_count,
                labels,
                label_count,
            } => write!(
                f,
                "{} holds {image_count} images but {} holds {label_count} labels",
                images.display(),
                labels.display()
            ),
            DataError::LabelOutOfRange {
                path,
                index,
                label,
                classes,
            } => write!(
                f,
                "{}: label {label} at index {index} is out of range (expected 0..={})",
                path.display(),
                classes.saturating_sub(1)
            ),
            DataError::ShapeMismatch(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Idx(e) => Some(e),
            _ => None,
        }
    }
}

impl From<IdxError> for DataError {
    fn from(e: IdxError) -> Self {
        DataError::Idx(e)
    }
}
