//! What `benches/matmul.rs` and `examples/vs_matrixmultiply.rs` share
//! (each includes this file with `#[path]`): the shapes they compare, their
//! input, and matrixmultiply's gemm on matnet matrices. matrixmultiply is a
//! dev-dependency, used by these two only.

use matrix::{Matrix, Scalar};

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

/// matrixmultiply's gemm for one element type.
pub trait MmGemm: Scalar {
    /// matrixmultiply's gemm on row-major operands: C = A B.
    fn mm(a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
}

macro_rules! mm_gemm {
    ($t:ty, $f:ident) => {
        impl MmGemm for $t {
            fn mm(a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                // SAFETY: row-major buffers of exactly m*k, k*n and m*n
                // elements, with the strides given.
                unsafe {
                    matrixmultiply::$f(
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
        }
    };
}
mm_gemm!(f32, sgemm);
mm_gemm!(f64, dgemm);
