//! Labelled image data sets: a matrix of pixels in [0, 1] (one row per
//! sample) and a vector of labels, built from IDX arrays (see
//! [`crate::idx`]), with seeded shuffling, splits and allocation-free
//! mini-batch gathering.
//!
//! Beside this file: `mnist.rs` (where the four MNIST files are and what
//! they are called, and loading them) and `error.rs` ([`DataError`]).

use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};

use matrix::Matrix;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::idx::{type_name, IdxArray, TYPE_U8};

mod error;
mod mnist;

pub use error::DataError;
pub use mnist::{
    find_mnist_file, load_mnist, mnist_file_names, mnist_files_present, Mnist, MnistFile,
    MNIST_CLASSES, MNIST_FILES,
};

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

/// Values (32 rows of MNIST) from which [`Dataset::gather`] copies on all
/// threads.
const PARALLEL_GATHER_MIN: usize = 1 << 15;

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
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!("gather: index {bad} out of range for a data set of {n} samples");
        }
        for (label, &i) in labels_out.iter_mut().zip(indices) {
            *label = self.labels[i];
        }
        if f == 0 {
            return;
        }
        let src = self.images.as_slice();
        let copy = |rows: &mut [f32], indices: &[usize]| {
            for (row, &i) in rows.chunks_exact_mut(f).zip(indices) {
                row.copy_from_slice(&src[i * f..(i + 1) * f]);
            }
        };
        // Rows of a shuffled batch come from all over the data set, each a
        // wait on memory: two threads wait for two rows at a time. A copy,
        // so any split gives the same batch.
        if images_out.len() >= PARALLEL_GATHER_MIN && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let rows = indices.len().div_ceil(rayon::current_num_threads());
            images_out
                .par_chunks_mut(rows * f)
                .zip(indices.par_chunks(rows))
                .for_each(|(out, indices)| copy(out, indices));
        } else {
            copy(images_out, indices);
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

    /// A batch big enough to be copied on all threads, on 3 threads (rows
    /// split unevenly) against row by row.
    #[test]
    fn parallel_gather_copies_the_same_rows() {
        let images = Matrix::from_fn(500, 100, |i, j| (i * 100 + j) as f32);
        let d = Dataset::new(
            images,
            (0..500).map(|i| (i % 10) as u8).collect(),
            10,
            (10, 10),
        )
        .unwrap();
        let indices: Vec<usize> = (0..400).map(|k| (k * 37) % 500).collect();
        assert!(indices.len() * 100 >= PARALLEL_GATHER_MIN);
        let (mut x, mut y) = (vec![0.0; 400 * 100], vec![0; 400]);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| d.gather(&indices, &mut x, &mut y));
        for (k, &i) in indices.iter().enumerate() {
            assert_eq!(&x[k * 100..(k + 1) * 100], d.images.row(i), "row {k}");
            assert_eq!(y[k], d.labels[i]);
        }
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
