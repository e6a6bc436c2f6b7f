//! BLAS-free dense linear algebra for `f32` and `f64`: owned matrices,
//! strided views, a cache-blocked SIMD [`gemm()`] that uses every core through
//! rayon, [`transpose`], and the elementwise operations a neural network
//! needs ([`ops`]).
//!
//! # Using it from another crate
//!
//! ```toml
//! [dependencies]
//! matrix = { package = "matnet-matrix", version = "0.1" } # or path = "…/matnet/crates/matrix"
//! ```
//!
//! Multiply two matrices, then use views: a transpose and a sub-block cost
//! nothing, and [`gemm()`] takes them directly.
//!
//! ```
//! use matrix::{gemm, Matrix};
//!
//! let a = Matrix::from_fn(3, 4, |i, j| (i + j) as f32);
//! let b = Matrix::from_fn(4, 2, |i, j| (i * j) as f32);
//! let c = a.matmul(&b); // 3x2
//! assert_eq!(c[(2, 1)], 2.0 * 0.0 + 3.0 * 1.0 + 4.0 * 2.0 + 5.0 * 3.0);
//!
//! // C2 = A^T * A on the first two rows of A, accumulated into an existing matrix:
//! let top = a.view().submatrix(0, 0, 2, 4);
//! let mut c2 = Matrix::<f32>::identity(4);
//! gemm(1.0, top.t(), top, 1.0, &mut c2); // c2 = top^T top + c2
//! assert_eq!(c2[(0, 0)], 1.0 + 0.0 * 0.0 + 1.0 * 1.0);
//! ```
//!
//! # Operators, iterators and conversions
//!
//! `+`, `-` (elementwise), `*` (the matrix product, through [`gemm()`]) and
//! scalar `*`, `/` work between any of `Matrix`, `&Matrix` and
//! [`MatrixView`], with `+=`, `-=`, `*=`, `/=` on matrices and mutable
//! views; each shape-checked operator has a `try_` form (`try_add`,
//! `try_matmul`, ...). `map`, `zip_map`, `sum`, `max`, `row_sums`, `iter`,
//! `col`, `get` (an `Option`) and `[(i, j)]` (panics) round out the
//! everyday API; nested arrays convert with `Matrix::from([[..], [..]])`.
//! The crate features `serde`, `ndarray` and `nalgebra` add
//! serialization and zero-copy views to and from those crates.
//!
//! ```
//! use matrix::Matrix;
//! let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
//! let b = &a * a.t() + Matrix::identity(2) * 2.0; // a aᵀ + 2I
//! assert_eq!(b, Matrix::from([[7.0, 11.0], [11.0, 27.0]]));
//! assert_eq!(b.get(2, 0), None);
//! ```
//!
//! # Kernels and threads
//!
//! The micro-kernel (AVX-512F, AVX2+FMA or portable) is chosen once at run
//! time from the CPU's features; `MATNET_KERNEL=avx512|avx2|portable` forces
//! one. A value that names no kernel, or one the CPU lacks, is an error for
//! the `try_` forms ([`MatrixError::Kernel`]) and for [`selected_kernel`],
//! which programs call at start-up to refuse it; `*`, `matmul`,
//! [`sparse_gemm`] and the transposes instead report it once on stderr and
//! run the fastest kernel the CPU has, so that a stray environment variable
//! never panics inside a host program ([`gemm()`] itself still panics; see
//! [`selected_kernel`]). Large products
//! run on the current rayon pool (`RAYON_NUM_THREADS`, or `pool.install`)
//! with the default `parallel` feature, on the calling thread without it;
//! threads split only the rows and columns of C, never the inner dimension,
//! so results are bitwise identical for any thread count.
//!
//! # Mostly-zero left operands
//!
//! [`SparseMatrix`] stores a matrix's nonzeros in groups of
//! [`sparse::GROUP`] rows that share the union of their columns;
//! [`sparse_gemm`] computes the same `C <- alpha * S * B + beta * C` (with
//! the same bias/ReLU [`Epilogue`]) without touching the zeros, so one load
//! of a row of B serves a whole group. For MNIST images (19% nonzero) it
//! halves a training step. [`SparseRows`] keeps a data set's nonzeros row by
//! row, to build any batch of its rows in that form (and the transpose)
//! without a dense copy.
//!
//! ```
//! use matrix::{sparse_gemm, Epilogue, Matrix, SparseMatrix};
//! let x = Matrix::from_fn(8, 6, |i, j| if (i * j) % 4 == 1 { 1.0f32 } else { 0.0 });
//! let w = Matrix::from_fn(6, 3, |i, j| (i + j) as f32);
//! let mut c = Matrix::zeros(8, 3);
//! sparse_gemm(1.0, &SparseMatrix::from_dense(&x), &w, 0.0, &mut c, Epilogue::none());
//! assert_eq!(c, x.matmul(&w));
//! ```

//!
//! # How it is built
//!
//! A product flows through the modules in this order: a caller's
//! [`MatrixView`]s (`view.rs`, `matrix.rs`) -> its [`gemm::Plan`]
//! (`gemm/plan.rs`: every decision, made once) -> the loop driver that
//! executes the plan (`gemm/driver.rs`, or `gemm/skinny.rs` for dot
//! products) -> packing (`gemm/pack.rs`) -> the micro-kernel
//! (`gemm/kernel.rs`). Beside them, the instruction-set layer (`arch/`:
//! the `Simd` vector operations per instruction set, their detection, the
//! reused workspace) serves gemm, the sparse product (`sparse/`),
//! [`transpose`] and the vectorized `exp` alike. Every fast path has a plain
//! version in [`reference`](mod@reference) that the tests compare it against.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

mod arch;
mod arith;
mod convert;
mod display;
mod elementwise;
mod error;
mod everyday;
mod exp;
pub mod gemm;
mod interop;
mod iter;
pub mod linalg;
mod matrix;
pub mod mixed;
pub mod ops;
mod pages;
pub mod reference;
mod scalar;
pub mod sparse;
mod transpose;
mod view;

pub use crate::arch::threads::flush_denormals;
pub use crate::error::MatrixError;
pub use crate::gemm::{
    gemm, gemm_batched, gemm_fused, selected_kernel, try_gemm, try_gemm_batched, try_gemm_fused,
    try_gemm_planned, try_gemm_with_kernel, CacheSizes, Epilogue, KernelError, KernelKind,
};
pub use crate::iter::{Iter, IterMut};
pub use crate::linalg::{trsm, Cholesky, Diagonal, Lu, Qr, Triangle};
pub use crate::matrix::Matrix;
pub use crate::mixed::{gemm_half, try_gemm_half_with, Half, HalfPath};
pub use crate::scalar::{Element, Scalar};
pub use crate::sparse::{
    sparse_gemm, sparse_gemm_tiles, sparse_gemm_tiles_with_kernel, tile_fn, try_sparse_gemm,
    try_sparse_gemm_with_kernel, OnTile, ProductTile, SparseMatrix, SparseRows,
};
pub use crate::transpose::{
    copy_into, transpose, transpose_in_place, transpose_into, try_copy_into, try_transpose_into,
};
pub use crate::view::{MatrixView, MatrixViewMut};
pub use half::{bf16, f16};

/// The README's Rust blocks run as doctests, so its tour keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
