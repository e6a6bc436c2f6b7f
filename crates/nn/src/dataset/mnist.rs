//! MNIST (and drop-ins such as Fashion-MNIST): the four standard files,
//! the names each may have on disk, and loading them into two [`Dataset`]s.

use std::path::{Path, PathBuf};

use super::{check_format, DataError, Dataset};
use crate::idx::read_idx;

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
