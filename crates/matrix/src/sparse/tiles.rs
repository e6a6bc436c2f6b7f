//! A sparse product handed to the caller's code a tile at a time, so that
//! work on the product (an optimizer's update, a reduction) runs while
//! each tile is in cache, and the product is never stored.

use super::kernel::TileSink;
use super::{run_checked, SparseMatrix, GROUP};
use crate::arch::prefetch;
use crate::error::MatrixError;
use crate::gemm::problem::OutOperand;
use crate::gemm::{check_product, Epilogue, KernelKind};
use crate::{MatrixView, MatrixViewMut, Scalar};

/// One finished tile of a product `S B`: its values and where they are.
pub struct ProductTile<'a, T> {
    /// The product's row where the tile starts.
    pub row: usize,
    /// The product's column where the tile starts.
    pub col: usize,
    /// The tile's values: rows `row..row + values.rows()`, columns
    /// `col..col + values.cols()` of `S B`.
    pub values: MatrixView<'a, T>,
}

/// What [`sparse_gemm_tiles`] calls with each finished tile and the same
/// block of each output: a closure (through [`tile_fn`]) or a type of the
/// caller's.
///
/// The call is made from inside the kernel, which is compiled for the
/// instruction set that runs (AVX-512, say). A closure's body may be
/// compiled apart, for the baseline instruction set, and called per tile; a
/// type whose `on_tile` is `#[inline(always)]` is compiled into the kernel,
/// with its instruction set, loops vectorized as wide as the kernel's (how
/// `nn` fuses its momentum update into the weight gradient's product).
pub trait OnTile<T, const N: usize>: Sync {
    /// Takes one tile and the same block of each output.
    fn on_tile(&self, tile: ProductTile<'_, T>, outputs: [MatrixViewMut<'_, T>; N]);
}

impl<T, F, const N: usize> OnTile<T, N> for F
where
    F: Fn(ProductTile<'_, T>, [MatrixViewMut<'_, T>; N]) + Sync,
{
    #[inline(always)]
    fn on_tile(&self, tile: ProductTile<'_, T>, outputs: [MatrixViewMut<'_, T>; N]) {
        self(tile, outputs)
    }
}

/// A closure as an [`OnTile`]: the identity, there so that the compiler
/// knows the closure's argument types (it cannot infer them through the
/// trait).
pub fn tile_fn<T, F, const N: usize>(f: F) -> F
where
    F: Fn(ProductTile<'_, T>, [MatrixViewMut<'_, T>; N]) + Sync,
{
    f
}

/// Computes `S B` (`s` is `m x k`, `b` is `k x n`) a tile at a time and
/// calls `on_tile` with each finished tile and the same block of each of
/// `outputs` (each `m x n`), while the tile is still in cache. The product
/// itself is never stored, so work that reads it once (an optimizer's
/// update of the weights whose gradient it is) costs no pass over an
/// `m x n` buffer.
///
/// The tiles are disjoint and cover the product once, in no stated order,
/// on the current rayon pool's threads at once (so `on_tile` is `Sync`;
/// the blocks of `outputs` it gets are its alone). Each tile holds
/// exactly the bits [`sparse_gemm`](crate::sparse_gemm) would store for
/// `1 · S B`, on any thread count.
///
/// Runs the kernel `MATNET_KERNEL` names, or the fastest this CPU has if
/// that variable is unusable (reported once on stderr, as
/// [`sparse_gemm`](crate::sparse_gemm) does).
///
/// # Errors
/// If `b` does not have `k` rows or an output is not `m x n`.
///
/// ```
/// use matrix::{sparse_gemm_tiles, tile_fn, Matrix, SparseMatrix};
/// // Gradient descent on W, whose gradient is the sparse product S B.
/// let s = SparseMatrix::from_dense(&Matrix::from_fn(3, 4, |i, j| if i == j { 2.0f32 } else { 0.0 }));
/// let b = Matrix::from_fn(4, 2, |i, j| (i + j) as f32);
/// let mut w = Matrix::<f32>::from_fn(3, 2, |i, _| i as f32);
/// let want = w.zip_map(&s.to_dense().matmul(&b), |w, g| w - 0.1 * g);
/// let descend = tile_fn(|tile, [mut w]| {
///     for i in 0..tile.values.rows() {
///         for j in 0..tile.values.cols() {
///             let g = tile.values[(i, j)];
///             w.set(i, j, w[(i, j)] - 0.1 * g);
///         }
///     }
/// });
/// sparse_gemm_tiles(&s, &b, [w.view_mut()], descend)?;
/// assert_eq!(w, want);
/// # Ok::<(), matrix::MatrixError>(())
/// ```
pub fn sparse_gemm_tiles<'b, T, F, const N: usize>(
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    outputs: [MatrixViewMut<'_, T>; N],
    on_tile: F,
) -> Result<(), MatrixError>
where
    T: Scalar,
    F: OnTile<T, N>,
{
    let kernel = crate::arch::kernel_in_use();
    sparse_gemm_tiles_with_kernel(kernel, s, b, outputs, on_tile)
}

/// [`sparse_gemm_tiles`] with an explicit kernel, whatever `MATNET_KERNEL`
/// says (how the tests run every kernel the CPU has).
///
/// # Errors
/// As [`sparse_gemm_tiles`], and [`MatrixError::Kernel`] if this CPU
/// cannot run `kernel`.
pub fn sparse_gemm_tiles_with_kernel<'b, T, F, const N: usize>(
    kernel: KernelKind,
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    mut outputs: [MatrixViewMut<'_, T>; N],
    on_tile: F,
) -> Result<(), MatrixError>
where
    T: Scalar,
    F: OnTile<T, N>,
{
    let b = b.into();
    let (m, k) = s.shape();
    let n = b.cols();
    let op = "sparse_gemm_tiles";
    // The product's own shape is checked as C's; every output must have it.
    let c_shape = if k == b.rows() { (m, n) } else { (m, 0) };
    check_product(
        op,
        ("S", "B"),
        (m, k),
        b.shape(),
        c_shape,
        &Epilogue::<T>::none(),
        kernel,
    )?;
    for (t, o) in outputs.iter().enumerate() {
        let (r, c) = o.shape();
        if (r, c) != (m, n) {
            return Err(MatrixError::shape(
                op,
                format!("S * B is {m}x{n} but output {t} is {r}x{c}"),
            ));
        }
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let sink = Tiles {
        outputs: outputs.each_mut().map(OutOperand::of),
        on_tile: &on_tile,
    };
    let no_c = OutOperand {
        ptr: std::ptr::null_mut(),
        rs: 0,
        cs: 0,
    };
    // SAFETY: the shapes were checked; the outputs are exclusive borrows of
    // the product's shape, so they overlap nothing (each other included).
    // With nothing stored in S the kernel still visits every group and
    // hands over tiles of zeros.
    unsafe {
        run_checked(
            kernel,
            T::ONE,
            s,
            b,
            T::ZERO,
            no_c,
            std::ptr::null(),
            false,
            &sink,
        )
    };
    Ok(())
}

/// The caller's outputs and code, as the kernel's [`TileSink`].
struct Tiles<'f, T, F, const N: usize> {
    outputs: [OutOperand<T>; N],
    on_tile: &'f F,
}

// SAFETY: the outputs are exclusive borrows held for the whole product,
// and each position of them goes to one `tile` call only (the sink's
// contract), so calls on different threads touch disjoint elements; the
// caller's code is `Sync`.
unsafe impl<T: Send, F: Sync, const N: usize> Sync for Tiles<'_, T, F, N> {}

impl<T, F, const N: usize> TileSink<T> for Tiles<'_, T, F, N>
where
    T: Scalar,
    F: OnTile<T, N>,
{
    const TAKES_TILES: bool = true;

    #[inline(always)]
    fn prefetch(&self, i0: usize, m: usize, j0: usize, cols: usize) {
        let bytes = cols * std::mem::size_of::<T>();
        for i in i0..(i0 + GROUP).min(m) {
            for o in &self.outputs {
                // Every line the row's bytes touch (they need not start on
                // one). The addresses are only formed, with wrapping
                // arithmetic, and a prefetch never faults.
                let row = o.ptr.wrapping_add(i * o.rs + j0 * o.cs).cast::<u8>();
                let skew = row as usize % 64;
                for t in (0..skew + bytes).step_by(64) {
                    prefetch(row.wrapping_sub(skew).wrapping_add(t));
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn tile(
        &self,
        i0: usize,
        j0: usize,
        rows: usize,
        cols: usize,
        values: *const T,
        stride: usize,
    ) {
        // SAFETY: `values` holds the block (the sink's contract), read-only
        // for this call; the outputs' blocks are in their checked shape,
        // exclusively borrowed, and this call's alone.
        unsafe {
            let values = MatrixView::from_raw_parts(values, rows, cols, stride, 1);
            let outputs = self.outputs.map(|o| {
                MatrixViewMut::from_raw_parts(
                    o.ptr.add(i0 * o.rs + j0 * o.cs),
                    rows,
                    cols,
                    o.rs,
                    o.cs,
                )
            });
            self.on_tile.on_tile(
                ProductTile {
                    row: i0,
                    col: j0,
                    values,
                },
                outputs,
            );
        }
    }
}
