//! Labelled image data sets: MNIST-style IDX files to a matrix of pixels in
//! [0, 1] (one row per sample) and a vector of labels, with seeded
//! shuffling, splits and allocation-free mini-batch gathering.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};

use matrix::Matrix;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::idx::{read_idx, type_name, IdxArray, IdxError, TYPE_U8};

/// Number of classes of MNIST and Fashion-MNIST.
pub const MNIST_CLASSES: usize = 10;

/// One of the four MNIST files: its standard name, the name it is
/// distributed under, and the SHA-256 of the distributed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// Standard name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub stem: &'static str,
    /// Name as distributed (gzip'd), e.g. `train-images-idx3-ubyte.gz`.
    pub gz: &'static str,
    /// Lower-case hex SHA-256 of the distributed (gzip'd) file.
    pub sha256: &'static str,
}

macro_rules! mnist_file {
    ($stem:literal, $sha256:literal) => {
        MnistFile {
            stem: $stem,
            gz: concat!($stem, ".gz"),
            sha256: $sha256,
        }
    };
}

/// The MNIST training images, training labels, test images and test labels,
/// in that order: the names the loader looks for and the names and sums a
/// downloader fetches and checks.
pub const MNIST_FILES: [MnistFile; 4] = [
    mnist_file!(
        "train-images-idx3-ubyte",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
    ),
    mnist_file!(
        "train-labels-idx1-ubyte",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
    ),
    mnist_file!(
        "t10k-images-idx3-ubyte",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
    ),
    mnist_file!(
        "t10k-labels-idx1-ubyte",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    ),
];

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

/// Labelled images: one row of `images` per sample, pixels in [0, 1].
///
/// ```
/// use nn::dataset::Dataset;
/// use matrix::Matrix;
/// let images = Matrix::from_fn(4, 2, |i, j| (i * 2 + j) as f32 / 8.0);
/// let d = Dataset::new(images, vec![0, 1, 0, 1], 2, (1, 2)).unwrap();
/// let (train, valid) = d.split_at(3);
/// assert_eq!((train.len(), valid.len(), valid.labels[0]), (3, 1, 1));
/// let s = d.shuffled(7);
/// assert_eq!(s.len(), 4);
/// assert_eq!(s, d.shuffled(7)); // same seed, same order
///
/// let mut x = [0.0f32; 4];
/// let mut y = [0u8; 2];
/// d.gather(&[3, 0], &mut x, &mut y);
/// assert_eq!((x, y), ([0.75, 0.875, 0.0, 0.125], [1, 0]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `n x features` pixels, row-major, each in [0, 1].
    pub images: Matrix<f32>,
    /// `n` labels, each below `classes`.
    pub labels: Vec<u8>,
    /// Number of classes.
    pub classes: usize,
    /// `(rows, cols)` of one image; `rows * cols == features`.
    pub image_shape: (usize, usize),
}

impl Dataset {
    /// A data set from parts, checking that they agree: one label per image
    /// row, labels below `classes`, and `rows * cols` features.
    pub fn new(
        images: Matrix<f32>,
        labels: Vec<u8>,
        classes: usize,
        image_shape: (usize, usize),
    ) -> Result<Dataset, DataError> {
        if images.rows() != labels.len() {
            return Err(DataError::CountMismatch {
                images: "images".into(),
                image_count: images.rows(),
                labels: "labels".into(),
                label_count: labels.len(),
            });
        }
        if image_shape.0.checked_mul(image_shape.1) != Some(images.cols()) {
            return Err(DataError::ShapeMismatch(format!(
                "images of {}x{} pixels need {} features but the matrix has {} columns",
                image_shape.0,
                image_shape.1,
                image_shape.0.saturating_mul(image_shape.1),
                images.cols()
            )));
        }
        check_labels(&labels, classes, Path::new("labels"))?;
        Ok(Dataset {
            images,
            labels,
            classes,
            image_shape,
        })
    }

    /// Builds a data set from IDX arrays: `u8` images `n x rows x cols`
    /// (scaled to [0, 1] by dividing by 255) and `n` `u8` labels in
    /// `0..10` (MNIST's classes). `what` names the set in error messages
    /// (e.g. `"train"`).
    ///
    /// ```
    /// use nn::dataset::Dataset;
    /// use nn::idx::IdxArray;
    /// let images = IdxArray::new(vec![2, 1, 2], vec![0u8, 255, 51, 102]).unwrap();
    /// let labels = IdxArray::new(vec![2], vec![3u8, 9]).unwrap();
    /// let d = Dataset::from_idx(images, labels, "tiny").unwrap();
    /// assert_eq!(d.images.row(1), &[0.2, 0.4]);
    /// assert_eq!((d.features(), d.image_shape), (2, (1, 2)));
    ///
    /// let bad = IdxArray::new(vec![1], vec![10u8]).unwrap();
    /// let one = IdxArray::new(vec![1, 1, 1], vec![0u8]).unwrap();
    /// assert!(Dataset::from_idx(one, bad, "tiny").unwrap_err().to_string().contains("label 10"));
    /// ```
    pub fn from_idx(images: IdxArray, labels: IdxArray, what: &str) -> Result<Dataset, DataError> {
        let images_name = PathBuf::from(format!("{what} images"));
        let labels_name = PathBuf::from(format!("{what} labels"));
        Self::from_idx_named(images, labels, MNIST_CLASSES, &images_name, &labels_name)
    }

    /// [`from_idx`](Self::from_idx) with the number of classes and the
    /// names (usually the file paths) used in error messages.
    pub fn from_idx_named(
        images: IdxArray,
        labels: IdxArray,
        classes: usize,
        images_path: &Path,
        labels_path: &Path,
    ) -> Result<Dataset, DataError> {
        check_format(&images, 3, images_path)?;
        check_format(&labels, 1, labels_path)?;
        let (n, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
        if labels.dims[0] != n {
            return Err(DataError::CountMismatch {
                images: images_path.to_path_buf(),
                image_count: n,
                labels: labels_path.to_path_buf(),
                label_count: labels.dims[0],
            });
        }
        let (Some(pixels), Some(labels)) = (images.into_u8(), labels.into_u8()) else {
            // check_format has established both are u8.
            return Err(DataError::ShapeMismatch(format!(
                "{}: unexpected element type",
                images_path.display()
            )));
        };
        check_labels(&labels, classes, labels_path)?;
        let features = rows.saturating_mul(cols);
        let mut scaled: Vec<f32> = Vec::new();
        scaled
            .try_reserve_exact(pixels.len())
            .map_err(|_| DataError::OutOfMemory {
                path: images_path.to_path_buf(),
                bytes: pixels.len() as u64 * 4,
            })?;
        scaled.extend(pixels.iter().map(|&p| f32::from(p) / 255.0));
        drop(pixels);
        let images = Matrix::try_from_vec(n, features, scaled)
            .map_err(|e| DataError::ShapeMismatch(format!("{}: {e}", images_path.display())))?;
        Ok(Dataset {
            images,
            labels,
            classes,
            image_shape: (rows, cols),
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per sample (`rows * cols` of an image).
    pub fn features(&self) -> usize {
        self.images.cols()
    }

    /// The first `n` samples and the rest, in order (e.g. train on the first
    /// 33,600 and validate on the next 8,400).
    ///
    /// # Panics
    /// If `n > self.len()`.
    pub fn split_at(&self, n: usize) -> (Dataset, Dataset) {
        assert!(
            n <= self.len(),
            "split_at({n}) on a data set of {} samples",
            self.len()
        );
        (self.take(..n), self.take(n..))
    }

    /// A copy of the samples in `range`, in order.
    ///
    /// # Panics
    /// If the range is decreasing or ends past `self.len()`.
    pub fn take(&self, range: impl RangeBounds<usize>) -> Dataset {
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => self.len(),
        };
        assert!(
            start <= end && end <= self.len(),
            "take({start}..{end}) on a data set of {} samples",
            self.len()
        );
        let f = self.features();
        let pixels = self.images.as_slice()[start * f..end * f].to_vec();
        Dataset {
            images: Matrix::from_vec(end - start, f, pixels),
            labels: self.labels[start..end].to_vec(),
            classes: self.classes,
            image_shape: self.image_shape,
        }
    }

    /// A copy of the samples at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let f = self.features();
        let mut images = Matrix::zeros(indices.len(), f);
        let mut labels = vec![0u8; indices.len()];
        self.gather(indices, images.as_mut_slice(), &mut labels);
        Dataset {
            images,
            labels,
            classes: self.classes,
            image_shape: self.image_shape,
        }
    }

    /// A copy with the samples in a random order drawn from `seed` (the same
    /// seed always gives the same order).
    pub fn shuffled(&self, seed: u64) -> Dataset {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        self.select(&order)
    }

    /// Copies the samples at `indices` into caller buffers: row `k` of
    /// `images_out` (`indices.len() x features`, row-major) and
    /// `labels_out[k]` receive sample `indices[k]`. Allocates nothing: this
    /// is how training forms mini-batches.
    ///
    /// # Panics
    /// If `images_out` is not `indices.len() * features` long, `labels_out`
    /// not `indices.len()` long, or an index is out of range.
    pub fn gather(&self, indices: &[usize], images_out: &mut [f32], labels_out: &mut [u8]) {
        let f = self.features();
        assert_eq!(
            images_out.len(),
            indices.len() * f,
            "gather: images_out holds {} values, {} rows of {f} need {}",
            images_out.len(),
            indices.len(),
            indices.len() * f
        );
        assert_eq!(
            labels_out.len(),
            indices.len(),
            "gather: labels_out holds {} labels for {} indices",
            labels_out.len(),
            indices.len()
        );
        let n = self.len();
        let src = self.images.as_slice();
        for (k, &i) in indices.iter().enumerate() {
            assert!(
                i < n,
                "gather: index {i} out of range for a data set of {n} samples"
            );
            labels_out[k] = self.labels[i];
            if f > 0 {
                images_out[k * f..(k + 1) * f].copy_from_slice(&src[i * f..(i + 1) * f]);
            }
        }
    }

    /// Number of samples of each class (`classes` counts).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }
}

/// Checks the element type and number of dimensions of an IDX array.
fn check_format(a: &IdxArray, ndims: usize, path: &Path) -> Result<(), DataError> {
    if a.type_code() != TYPE_U8 {
        return Err(DataError::WrongType {
            path: path.to_path_buf(),
            expected: type_name(TYPE_U8),
            found: a.type_name(),
        });
    }
    if a.dims.len() != ndims {
        return Err(DataError::WrongDims {
            path: path.to_path_buf(),
            expected: ndims,
            found: a.dims.clone(),
        });
    }
    Ok(())
}

/// Checks that every label is below `classes`.
fn check_labels(labels: &[u8], classes: usize, path: &Path) -> Result<(), DataError> {
    match labels.iter().position(|&l| usize::from(l) >= classes) {
        Some(index) => Err(DataError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index],
            classes,
        }),
        None => Ok(()),
    }
}

/// The MNIST training and test sets.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// 60,000 training samples (for the standard files).
    pub train: Dataset,
    /// 10,000 test samples (for the standard files).
    pub test: Dataset,
}

/// The file names accepted for an MNIST file `stem` (such as
/// `train-images-idx3-ubyte`), in the order they are tried: as given, with
/// `.gz`, then with the first `-idx` written `.idx` (or the other way
/// round), with and without `.gz`.
///
/// ```
/// let names = nn::dataset::mnist_file_names("train-images-idx3-ubyte");
/// assert_eq!(names, [
///     "train-images-idx3-ubyte",
///     "train-images-idx3-ubyte.gz",
///     "train-images.idx3-ubyte",
///     "train-images.idx3-ubyte.gz",
/// ]);
/// ```
pub fn mnist_file_names(stem: &str) -> Vec<String> {
    let stem = stem.strip_suffix(".gz").unwrap_or(stem);
    let mut bases = vec![stem.to_string()];
    if stem.contains("-idx") {
        bases.push(stem.replacen("-idx", ".idx", 1));
    } else if stem.contains(".idx") {
        bases.push(stem.replacen(".idx", "-idx", 1));
    }
    bases
        .into_iter()
        .flat_map(|b| [b.clone(), format!("{b}.gz")])
        .collect()
}

/// The path of the MNIST file `stem` in `dir` under the first of its
/// accepted names (see [`mnist_file_names`]) that is a file, if any.
pub fn find_mnist_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    mnist_file_names(stem)
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// `true` if all four MNIST files are in `dir` (under any accepted name).
pub fn mnist_files_present(dir: &Path) -> bool {
    MNIST_FILES
        .iter()
        .all(|f| find_mnist_file(dir, f.stem).is_some())
}

/// Finds a file or says which names were tried.
fn require(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    find_mnist_file(dir, stem).ok_or_else(|| DataError::MissingFile {
        dir: dir.to_path_buf(),
        tried: mnist_file_names(stem),
        dir_exists: dir.is_dir(),
    })
}

/// Loads MNIST (or a drop-in such as Fashion-MNIST) from the four standard
/// files in `dir`, each gzip'd or not and named `train-images-idx3-ubyte`
/// or `train-images.idx3-ubyte` (likewise for the other three).
///
/// Checks that images are 3-D `u8`, labels 1-D `u8` in `0..=9`, that each
/// image file and its label file agree on the count, and that training and
/// test images have the same size. Pixels are scaled to [0, 1].
///
/// ```no_run
/// let mnist = nn::dataset::load_mnist(std::path::Path::new("data/mnist")).unwrap();
/// assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
/// ```
pub fn load_mnist(dir: &Path) -> Result<Mnist, DataError> {
    let paths = [
        require(dir, MNIST_FILES[0].stem)?,
        require(dir, MNIST_FILES[1].stem)?,
        require(dir, MNIST_FILES[2].stem)?,
        require(dir, MNIST_FILES[3].stem)?,
    ];
    let load = |images: &Path, labels: &Path| -> Result<Dataset, DataError> {
        let i = read_idx(images)?;
        check_format(&i, 3, images)?;
        let l = read_idx(labels)?;
        Dataset::from_idx_named(i, l, MNIST_CLASSES, images, labels)
    };
    let train = load(&paths[0], &paths[1])?;
    let test = load(&paths[2], &paths[3])?;
    if train.image_shape != test.image_shape {
        return Err(DataError::ShapeMismatch(format!(
            "{} holds {}x{} images but {} holds {}x{} images",
            paths[0].display(),
            train.image_shape.0,
            train.image_shape.1,
            paths[2].display(),
            test.image_shape.0,
            test.image_shape.1
        )));
    }
    Ok(Mnist { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        let images = Matrix::from_fn(n, 6, |i, j| (i * 6 + j) as f32);
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        Dataset::new(images, labels, 10, (2, 3)).unwrap()
    }

    #[test]
    fn split_and_take_keep_rows_with_labels() {
        let d = toy(10);
        let (a, b) = d.split_at(7);
        assert_eq!((a.len(), b.len()), (7, 3));
        assert_eq!(b.images.row(0), d.images.row(7));
        assert_eq!(b.labels, &d.labels[7..]);
        let t = d.take(2..=4);
        assert_eq!(t.labels, vec![2, 3, 4]);
        assert_eq!(t.images.row(2), d.images.row(4));
        assert_eq!(d.take(..).len(), 10);
        let (e, all) = d.split_at(0);
        assert!(e.is_empty() && all == d);
    }

    #[test]
    #[should_panic(expected = "split_at(11)")]
    fn split_past_the_end_panics() {
        toy(10).split_at(11);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let d = toy(50);
        let s = d.shuffled(1);
        assert_eq!(s, d.shuffled(1));
        assert_ne!(s, d.shuffled(2));
        assert_ne!(s.labels, d.labels);
        // Rows travel with their labels: row value 6*i encodes the index.
        let mut seen = [false; 50];
        for (row, &label) in s.images.row_iter().zip(&s.labels) {
            let i = (row[0] / 6.0) as usize;
            assert_eq!(label, d.labels[i]);
            assert!(!seen[i]);
            seen[i] = true;
        }
    }

    #[test]
    fn gather_copies_rows() {
        let d = toy(5);
        let mut x = vec![0.0; 3 * 6];
        let mut y = vec![0; 3];
        d.gather(&[4, 1, 4], &mut x, &mut y);
        assert_eq!(&x[..6], d.images.row(4));
        assert_eq!(&x[6..12], d.images.row(1));
        assert_eq!(y, [4, 1, 4]);
        assert_eq!(d.select(&[4, 1, 4]).images.as_slice(), &x[..]);
    }

    #[test]
    fn new_rejects_inconsistent_parts() {
        let m = Matrix::<f32>::zeros(2, 4);
        assert!(matches!(
            Dataset::new(m.clone(), vec![0], 10, (2, 2)),
            Err(DataError::CountMismatch { .. })
        ));
        assert!(matches!(
            Dataset::new(m.clone(), vec![0, 1], 10, (3, 2)),
            Err(DataError::ShapeMismatch(_))
        ));
        assert!(matches!(
            Dataset::new(m, vec![0, 2], 2, (2, 2)),
            Err(DataError::LabelOutOfRange {
                index: 1,
                label: 2,
                ..
            })
        ));
    }

    #[test]
    fn class_counts_count() {
        assert_eq!(toy(12).class_counts(), [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
}
