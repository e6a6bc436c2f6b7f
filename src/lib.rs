//! The root package of the matnet workspace. It has no code of its own: it
//! holds the examples (`examples/`), end-to-end tests (`tests/`) and
//! benchmarks (`benches/`), which is why `cargo run --example mnist` and
//! `cargo test --workspace` work from the repository root. Cargo needs a
//! package to have a library or a binary, hence this empty library.
//!
//! The code is in `crates/`: `matrix` (package `matnet-matrix`, dense
//! matrices and gemm), `nn` (package `matnet-nn`, networks, training, IDX
//! files, model files) and `support` (package `matnet-support`, what the
//! examples, tests and benchmarks share: MNIST download, plots, terminal
//! reports). Everything else the examples need is a dev-dependency.
