//! What `benches/matmul.rs` and `examples/vs_peers.rs` share (each includes
//! this file with `#[path]`): the shapes they compare, their input, and the
//! peers' gemm on matnet's row-major matrices.
//!
//! The peers are the products a user comparing Rust matrix crates reaches
//! for: matrixmultiply (always built), faer and the `gemm` crate (with
//! `--features peers`), and OpenBLAS through its C interface (with
//! `--features openblas`, which links the system's `libopenblas`). None of
//! them is a dependency of the library crates. Every peer computes the same
//! `C = A B` on the same row-major buffers, with its own packing and
//! threading, so each is measured as a user would call it.

use matrix::{gemm, Matrix, Scalar};

/// (label, m, k, n): square sizes, the MNIST network's products, an odd
/// size, and the vector shapes (one sample through a layer; a matrix times
/// a column).
pub const SHAPES: &[(&str, usize, usize, usize)] = &[
    ("NN 256", 256, 256, 256),
    ("NN 1024", 1024, 1024, 1024),
    ("NN 128x784x800", 128, 784, 800),
    ("NN 128x800x10", 128, 800, 10),
    ("NN 1009x997x1013", 1009, 997, 1013),
    ("NN 1x784x800", 1, 784, 800),
    ("NN 1000x1000x1", 1000, 1000, 1),
];

/// A deterministic `r x c` input with values in [-0.5, 0.5).
pub fn input<T: Scalar>(r: usize, c: usize) -> Matrix<T> {
    Matrix::from_fn(r, c, |i, j| {
        T::from_f64(((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5)
    })
}

/// One gemm implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// This project's `matrix::gemm`, on the kernel `MATNET_KERNEL` selects.
    Matnet,
    /// faer's `linalg::matmul::matmul` (`--features peers`).
    Faer,
    /// The `gemm` crate's `gemm` (`--features peers`).
    GemmCrate,
    /// matrixmultiply's `sgemm`/`dgemm`, built without its own threading.
    MatrixMultiply,
    /// OpenBLAS's `cblas_sgemm`/`cblas_dgemm` (`--features openblas`).
    OpenBlas,
}

impl Peer {
    /// The peers built into this binary, matnet first.
    pub fn built() -> Vec<Peer> {
        let mut peers = vec![Peer::Matnet];
        if cfg!(feature = "peers") {
            peers.extend([Peer::Faer, Peer::GemmCrate]);
        }
        peers.push(Peer::MatrixMultiply);
        if cfg!(feature = "openblas") {
            peers.push(Peer::OpenBlas);
        }
        peers
    }

    /// The name printed in tables and criterion groups.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Matnet => "matnet",
            Peer::Faer => "faer",
            Peer::GemmCrate => "gemm",
            Peer::MatrixMultiply => "matrixmultiply",
            Peer::OpenBlas => "openblas",
        }
    }

    /// Whether the peer can run on `threads` threads: matrixmultiply's
    /// threading feature would take every physical core whatever is asked,
    /// so it is built without it and runs on one.
    pub fn runs_on(self, threads: usize) -> bool {
        self != Peer::MatrixMultiply || threads == 1
    }

    /// `C = A B` on `threads` threads. Call it inside a rayon pool of that
    /// many threads: matnet, faer and the `gemm` crate share out their work
    /// on the current pool; OpenBLAS is told the count before each call.
    pub fn gemm<T: PeerScalar>(
        self,
        threads: usize,
        a: &Matrix<T>,
        b: &Matrix<T>,
        c: &mut Matrix<T>,
    ) {
        match self {
            Peer::Matnet => gemm(T::ONE, a, b, T::ZERO, c),
            Peer::MatrixMultiply => T::matrixmultiply(a, b, c),
            #[cfg(feature = "peers")]
            Peer::Faer => T::faer(threads, a, b, c),
            #[cfg(feature = "peers")]
            Peer::GemmCrate => T::gemm_crate(threads, a, b, c),
            #[cfg(feature = "openblas")]
            Peer::OpenBlas => T::openblas(threads, a, b, c),
            #[allow(unreachable_patterns)]
            _ => unreachable!("{} is not built (see Peer::built)", self.name()),
        }
        let _ = threads;
    }
}

#[cfg(feature = "openblas")]
mod cblas {
    use std::ffi::c_int;

    /// `CblasRowMajor` and `CblasNoTrans` of `cblas.h`.
    pub const ROW_MAJOR: c_int = 101;
    pub const NO_TRANS: c_int = 111;

    #[link(name = "openblas")]
    extern "C" {
        pub fn openblas_set_num_threads(n: c_int);
        #[allow(clippy::too_many_arguments)]
        pub fn cblas_sgemm(
            order: c_int,
            ta: c_int,
            tb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: f32,
            a: *const f32,
            lda: c_int,
            b: *const f32,
            ldb: c_int,
            beta: f32,
            c: *mut f32,
            ldc: c_int,
        );
        #[allow(clippy::too_many_arguments)]
        pub fn cblas_dgemm(
            order: c_int,
            ta: c_int,
            tb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: f64,
            a: *const f64,
            lda: c_int,
            b: *const f64,
            ldb: c_int,
            beta: f64,
            c: *mut f64,
            ldc: c_int,
        );
    }
}

/// The peers' gemm for one element type, on row-major operands: `C = A B`.
pub trait PeerScalar: Scalar {
    fn matrixmultiply(a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
    #[cfg(feature = "peers")]
    fn faer(threads: usize, a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
    #[cfg(feature = "peers")]
    fn gemm_crate(threads: usize, a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
    #[cfg(feature = "openblas")]
    fn openblas(threads: usize, a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
}

macro_rules! peer_scalar {
    ($t:ty, $mm:ident, $cblas:ident) => {
        impl PeerScalar for $t {
            fn matrixmultiply(a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                // SAFETY: row-major buffers of exactly m*k, k*n and m*n
                // elements, with the strides given.
                unsafe {
                    matrixmultiply::$mm(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_slice().as_ptr(),
                        k as isize,
                        1,
                        b.as_slice().as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        c.as_mut_slice().as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            }

            #[cfg(feature = "peers")]
            fn faer(threads: usize, a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                let par = if threads > 1 {
                    faer::Par::rayon(threads)
                } else {
                    faer::Par::Seq
                };
                faer::linalg::matmul::matmul(
                    faer::MatMut::from_row_major_slice_mut(c.as_mut_slice(), m, n),
                    faer::Accum::Replace,
                    faer::MatRef::from_row_major_slice(a.as_slice(), m, k),
                    faer::MatRef::from_row_major_slice(b.as_slice(), k, n),
                    1.0,
                    par,
                );
            }

            #[cfg(feature = "peers")]
            fn gemm_crate(threads: usize, a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                let par = if threads > 1 {
                    ::gemm::Parallelism::Rayon(threads)
                } else {
                    ::gemm::Parallelism::None
                };
                // SAFETY: row-major buffers of exactly m*k, k*n and m*n
                // elements (column stride 1, row stride the width); with
                // `read_dst` false the destination is only written
                // (dst = beta * lhs * rhs, the crate's names).
                unsafe {
                    ::gemm::gemm(
                        m,
                        n,
                        k,
                        c.as_mut_slice().as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        a.as_slice().as_ptr(),
                        1,
                        k as isize,
                        b.as_slice().as_ptr(),
                        1,
                        n as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        par,
                    )
                }
            }

            #[cfg(feature = "openblas")]
            fn openblas(threads: usize, a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                use std::ffi::c_int;
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                // The bench's shapes are far below c_int's range.
                let dim = |d: usize| c_int::try_from(d).expect("a dimension within C's int");
                // SAFETY: row-major buffers of exactly m*k, k*n and m*n
                // elements with leading dimensions k, n and n, as cblas
                // reads them; OpenBLAS keeps no pointer past the call.
                unsafe {
                    cblas::openblas_set_num_threads(dim(threads));
                    cblas::$cblas(
                        cblas::ROW_MAJOR,
                        cblas::NO_TRANS,
                        cblas::NO_TRANS,
                        dim(m),
                        dim(n),
                        dim(k),
                        1.0,
                        a.as_slice().as_ptr(),
                        dim(k),
                        b.as_slice().as_ptr(),
                        dim(n),
                        0.0,
                        c.as_mut_slice().as_mut_ptr(),
                        dim(n),
                    )
                }
            }
        }
    };
}
peer_scalar!(f32, sgemm, cblas_sgemm);
peer_scalar!(f64, dgemm, cblas_dgemm);
