//! What matnet's examples, end-to-end tests and benchmarks share, kept out
//! of the library crates: `matrix` and `nn` never depend on this crate, so
//! their users never compile an HTTP client, a plot writer or a progress bar.
//!
//! - [`digit`]: a picture of a handwritten digit (PNG, JPEG, PGM) made into
//!   MNIST's 28x28 layout, for `mnist --predict`.
//! - [`download`]: where MNIST is found (`--data`, `MNIST_DIR`,
//!   `data/mnist/`) and its download from mirrors with SHA-256 checks
//!   (`MATNET_MNIST_MIRRORS`); the file names and sums are
//!   `nn::dataset::MNIST_FILES`.
//! - [`plot`]: PNG and GIF pictures (training curves, a decision boundary,
//!   a 2-D embedding).
//! - [`report`]: terminal output (a progress bar and a line per epoch,
//!   digits drawn in characters) and the machine a figure was measured on.
//! - [`threads`]: the thread pool the examples train on.
//!
//! Not published (`publish = false`); the root package uses it as a
//! dev-dependency of `examples/`, `tests/` and `benches/`.

// Helpers for examples and tests: no unsafe code, and the compiler keeps it so.
#![forbid(unsafe_code)]

pub mod digit;
pub mod download;
pub mod moons;
pub mod plot;
pub mod report;
pub mod threads;
