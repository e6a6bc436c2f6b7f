//! Where the images come from: MNIST's IDX files (found or downloaded) or a
//! digit-recognizer CSV file, as the training images and the evaluation set.

use std::path::{Path, PathBuf};

use nn::csv::read_csv;
use nn::dataset::{load_mnist, Dataset};

use crate::flags::Args;
use crate::presets::Plan;

/// `--data`, else `$MNIST_DIR`, else `data/mnist/` (downloading it there
/// from `$MATNET_MNIST_MIRRORS` or the built-in mirrors).
fn data_dir(flag: Option<&Path>, from_env: bool, progress: bool) -> Result<PathBuf, String> {
    use support::download::{locate_mnist, mirrors_from_env, DEFAULT_DATA_DIR};
    let (flag, env) = if from_env {
        (None, flag.map(Path::as_os_str))
    } else {
        (flag, None)
    };
    let mirrors = mirrors_from_env();
    let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
    locate_mnist(flag, env, Path::new(DEFAULT_DATA_DIR), &mirrors, progress)
        .map_err(|e| e.to_string())
}

/// Where the data came from, the training images (before the validation
/// split) and the evaluation set with its name.
pub struct Sets {
    pub source: PathBuf,
    pub train: Dataset,
    pub eval: Dataset,
    pub eval_name: &'static str,
}

/// A labelled digit-recognizer CSV file: the first 80% to train on, the
/// last 20% held out, in file order (33,600 / 8,400 of Kaggle's 42,000).
pub fn csv_sets(path: &Path) -> Result<Sets, String> {
    let csv = read_csv(path).map_err(|e| e.to_string())?;
    if !csv.labelled {
        return Err(format!(
            "{}: no `label` column, so nothing to train on (an unlabelled test.csv goes to --kaggle-submission)",
            path.display()
        ));
    }
    let n = csv.data.len();
    let held = n / 5;
    if held == 0 {
        return Err(format!(
            "{}: {n} rows; at least 5 are needed to hold out 20%",
            path.display()
        ));
    }
    let (train, eval) = csv.data.split_at(n - held);
    Ok(Sets {
        source: path.to_path_buf(),
        train,
        eval,
        eval_name: "held-out",
    })
}

/// Whether `--data` names a CSV file rather than a directory of IDX files:
/// an existing file, or a name ending in `.csv` / `.csv.gz` (so a missing
/// one is reported as a missing file, not as a directory without MNIST).
pub fn is_csv(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    path.is_file() || name.ends_with(".csv") || name.ends_with(".csv.gz")
}

/// MNIST's IDX files, found as `data_dir` says.
pub fn idx_sets(args: &Args, plan: &Plan) -> Result<Sets, String> {
    let dir = data_dir(args.data.as_deref(), args.data_from_env, !args.quiet)?;
    let mnist = load_mnist(&dir).map_err(|e| e.to_string())?;
    let mut train = mnist.train;
    if let Some(n) = plan.train_images {
        train = train.split_at(n.min(train.len())).0;
    }
    Ok(Sets {
        source: dir,
        train,
        eval: mnist.test,
        eval_name: "test",
    })
}
