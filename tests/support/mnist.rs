//! The one MNIST lookup of the root package's tests (and `benches/train.rs`),
//! the same as `examples/mnist/` makes, with paths taken from the
//! workspace root instead of the current directory:
//!
//! 1. `MNIST_DIR` (a relative value is resolved against the workspace root);
//!    a directory named there that lacks the files is an error;
//! 2. else `<workspace root>/data/mnist/`, where `cargo run --release
//!    --example mnist` downloads the files;
//! 3. else the files are downloaded there, with SHA-256 checks, from the
//!    base URLs in `MATNET_MNIST_MIRRORS`, or the built-in public mirrors.
//!
//! Included with `#[path = "support/mnist.rs"] mod mnist_data;`. The lookup
//! runs once per test binary (a `OnceLock`: parallel tests wait for the one
//! download). Each file is written to a temporary name and renamed once
//! verified, so two test binaries downloading at once cannot see half a file.
//! Without data and without a reachable mirror, [`mnist_dir`] panics with one
//! line that says what to do; no test skips or swaps in other data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use support::download::{
    locate_mnist, mirrors_from_env, DEFAULT_DATA_DIR, MIRRORS_ENV, MNIST_DIR_ENV,
};

/// The workspace root (the root package's manifest directory).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the four MNIST files, found or downloaded as above.
///
/// # Panics
///
/// When MNIST is neither found nor downloadable, with one line saying what to
/// do.
pub fn mnist_dir() -> PathBuf {
    try_mnist_dir().unwrap_or_else(|why| panic!("{why}"))
}

/// [`mnist_dir`], with the one-line message as the error instead of a panic.
pub fn try_mnist_dir() -> Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(lookup).clone()
}

fn lookup() -> Result<PathBuf, String> {
    let root = workspace_root();
    let env = std::env::var_os(MNIST_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(|v| root.join(v));
    let mirrors = mirrors_from_env();
    let refs: Vec<&str> = mirrors.iter().map(String::as_str).collect();
    locate_mnist(
        None,
        env.as_deref().map(Path::as_os_str),
        &root.join(DEFAULT_DATA_DIR),
        &refs,
        true,
    )
    .map_err(|e| {
        let cause = e.to_string().replace('\n', " ");
        format!(
            "MNIST is needed and was not found or downloaded ({cause}); do one of: set \
             {MNIST_DIR_ENV} to a directory holding the four MNIST files, set {MIRRORS_ENV} \
             to comma-separated base URLs of a mirror you can reach, or run `cargo run \
             --release --example mnist` once with internet access (it fills data/mnist/)"
        )
    })
}
