//! Transposes and strided copies, cache-blocked and parallel for large inputs.
//!
//! An out-of-place transpose is a copy from `src.t()` into a row-major
//! destination, so both share [`copy_into`]: it walks the destination in
//! `TILE x TILE` blocks so that both the reads (down the source's columns)
//! and the writes stay within a few dozen cache lines. Large destinations
//! are written with non-temporal stores ([`STREAM_MIN_BYTES`]).

use crate::arch::{Shared, Simd};
use crate::error::{dims, MatrixError};
use crate::{Matrix, MatrixView, MatrixViewMut, Scalar};

/// Side of the square blocks: 32 x 32 f32 is 4 KiB per side, well inside L1.
const TILE: usize = 32;

/// Side of the regions a transpose walks tile by tile.
const BLOCK: usize = 256;

/// Rows per parallel task of a large copy.
const BAND: usize = 256;

/// Copies above this many elements are split over rayon's threads.
const PARALLEL_MIN_ELEMS: usize = 1 << 18;

/// The transpose of `src` as a new row-major matrix.
///
/// ```
/// use matrix::{transpose, Matrix};
/// let m = Matrix::from_vec(2, 3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let t = transpose(m.view());
/// assert_eq!(t.shape(), (3, 2));
/// assert_eq!(t.as_slice(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// ```
pub fn transpose<T: Scalar>(src: MatrixView<'_, T>) -> Matrix<T> {
    let mut out = Matrix::zeros(src.cols(), src.rows());
    copy_into(src.t(), out.view_mut());
    out
}

/// Writes the transpose of `src` into `dst` (`dst` is `cols x rows` of `src`).
///
/// # Panics
/// If the shapes do not fit; see [`try_transpose_into`].
pub fn transpose_into<T: Scalar>(src: MatrixView<'_, T>, dst: MatrixViewMut<'_, T>) {
    try_transpose_into(src, dst).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes the transpose of `src` into `dst`, or a shape error.
pub fn try_transpose_into<T: Scalar>(
    src: MatrixView<'_, T>,
    dst: MatrixViewMut<'_, T>,
) -> Result<(), MatrixError> {
    if dst.shape() != (src.cols(), src.rows()) {
        return Err(MatrixError::shape(
            "transpose",
            format!(
                "source is {} so the destination must be {}, but it is {}",
                dims(src.rows(), src.cols()),
                dims(src.cols(), src.rows()),
                dims(dst.rows(), dst.cols())
            ),
        ));
    }
    copy_into(src.t(), dst);
    Ok(())
}

/// Transposes a square matrix in place (swapping blocks across the diagonal).
///
/// ```
/// use matrix::{transpose_in_place, Matrix};
/// let mut m = Matrix::from_fn(3, 3, |i, j| (3 * i + j) as f64);
/// let want = m.transposed();
/// transpose_in_place(m.view_mut()).unwrap();
/// assert_eq!(m, want);
/// ```
pub fn transpose_in_place<T: Scalar>(mut m: MatrixViewMut<'_, T>) -> Result<(), MatrixError> {
    let n = m.rows();
    if m.cols() != n {
        return Err(MatrixError::shape(
            "transpose_in_place",
            format!("needs a square matrix, got {}", dims(m.rows(), m.cols())),
        ));
    }
    let (rs, cs) = (m.row_stride(), m.col_stride());
    let p = m.as_mut_ptr();
    for bi in (0..n).step_by(TILE) {
        for bj in (bi..n).step_by(TILE) {
            for i in bi..(bi + TILE).min(n) {
                let j0 = if bi == bj { i + 1 } else { bj };
                for j in j0..(bj + TILE).min(n) {
                    // SAFETY: i, j < n, inside the square view; (i, j) and
                    // (j, i) are distinct (j > i within diagonal blocks,
                    // disjoint blocks otherwise) and non-aliasing by the
                    // view's construction.
                    unsafe { std::ptr::swap(p.add(i * rs + j * cs), p.add(j * rs + i * cs)) };
                }
            }
        }
    }
    Ok(())
}

impl<T: Scalar> Matrix<T> {
    /// Transposes in place: a true in-place swap for square matrices, a
    /// blocked copy into a new buffer otherwise.
    pub fn transpose_in_place(&mut self) {
        if self.rows() == self.cols() {
            transpose_in_place(self.view_mut()).expect("square");
        } else {
            *self = self.transposed();
        }
    }
}

/// Copies `src` into `dst` (same shape), any strides on either side.
///
/// # Panics
/// If the shapes differ; the message names both. See [`try_copy_into`].
///
/// ```
/// use matrix::{copy_into, Matrix};
/// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let mut out = Matrix::<f32>::zeros(3, 2);
/// copy_into(m.t(), out.view_mut().submatrix_mut(1, 0, 2, 2)); // rows 1..3
/// assert_eq!(out, Matrix::from([[0.0, 0.0], [1.0, 3.0], [2.0, 4.0]]));
/// ```
#[track_caller]
pub fn copy_into<T: Scalar>(src: MatrixView<'_, T>, dst: MatrixViewMut<'_, T>) {
    try_copy_into(src, dst).unwrap_or_else(|e| panic!("{e}"))
}

/// [`copy_into`], or [`MatrixError::ShapeMismatch`] naming both shapes
/// (nothing is written then).
///
/// ```
/// use matrix::{try_copy_into, Matrix};
/// let m = Matrix::<f64>::zeros(2, 3);
/// let mut out = Matrix::<f64>::zeros(2, 3);
/// try_copy_into(m.view(), out.view_mut()).unwrap();
/// let err = try_copy_into(m.t(), out.view_mut()).unwrap_err();
/// assert_eq!(err.to_string(), "copy: source is 3x2 but destination is 2x3");
/// ```
pub fn try_copy_into<T: Scalar>(
    src: MatrixView<'_, T>,
    mut dst: MatrixViewMut<'_, T>,
) -> Result<(), MatrixError> {
    if src.shape() != dst.shape() {
        return Err(MatrixError::shape(
            "copy",
            format!(
                "source is {} but destination is {}",
                dims(src.rows(), src.cols()),
                dims(dst.rows(), dst.cols())
            ),
        ));
    }
    let (rows, cols) = src.shape();
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    if rows * cols >= PARALLEL_MIN_ELEMS && crate::arch::threads::current_num_threads() > 1 {
        // Bands of BAND rows, one task each: disjoint destination rows.
        let bands = rows.div_ceil(BAND);
        let (sp, drs, dcs) = (Shared(dst.as_mut_ptr()), dst.row_stride(), dst.col_stride());
        crate::arch::threads::for_each_part(bands, |b| {
            let r0 = b * BAND;
            let nr = BAND.min(rows - r0);
            // SAFETY: band b covers destination rows r0..r0+nr only; bands are
            // disjoint, and the view is non-aliasing by construction.
            unsafe {
                copy_band(
                    src.submatrix(r0, 0, nr, cols),
                    sp.get().add(r0 * drs),
                    drs,
                    dcs,
                )
            };
        });
    } else {
        let (drs, dcs) = (dst.row_stride(), dst.col_stride());
        // SAFETY: dst is an exclusive, in-bounds view of the same shape.
        unsafe { copy_band(src, dst.as_mut_ptr(), drs, dcs) };
    }
    Ok(())
}

/// Copies `src` to `dst` in TILE x TILE blocks.
///
/// # Safety
/// `dst + i * drs + j * dcs` is writable for every in-shape `(i, j)`.
unsafe fn copy_band<T: Scalar>(src: MatrixView<'_, T>, dst: *mut T, drs: usize, dcs: usize) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (rows, cols) = src.shape();
        let (srs, scs) = (src.row_stride(), src.col_stride());
        let s = src.as_ptr();
        if scs == 1 && dcs == 1 {
            for i in 0..rows {
                std::ptr::copy_nonoverlapping(s.add(i * srs), dst.add(i * drs), cols);
            }
            return;
        }
        if srs == 1 && dcs == 1 {
            let kind = crate::arch::kernel_in_use();
            return run_transpose(kind, rows, cols, s, scs, dst, drs);
        }
        for bi in (0..rows).step_by(TILE) {
            for bj in (0..cols).step_by(TILE) {
                for i in bi..(bi + TILE).min(rows) {
                    for j in bj..(bj + TILE).min(cols) {
                        *dst.add(i * drs + j * dcs) = *s.add(i * srs + j * scs);
                    }
                }
            }
        }
    }
}

/// The transpose proper: source columns are contiguous (`srs == 1`) and so
/// are destination rows. Each TILE x TILE block is read along the source
/// (contiguous runs) into a stack tile, then written along the destination
/// (contiguous runs), so neither side strides through memory a cache line
/// per element.
///
/// # Safety
/// As [`copy_band`] with `srs == 1`, `dcs == 1`.
pub(crate) unsafe fn transpose_tiles<T: Scalar>(
    rows: usize,
    cols: usize,
    s: *const T,
    scs: usize,
    dst: *mut T,
    drs: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let mut tile = [T::ZERO; TILE * TILE];
        // BLOCK x BLOCK regions first, tiles inside: each source and destination
        // page is then visited for several tiles in a row (fewer TLB misses).
        for bj0 in (0..cols).step_by(BLOCK) {
            for bi in (0..rows).step_by(TILE) {
                transpose_block_row(bi, bj0, rows, cols, s, scs, dst, drs, &mut tile);
            }
        }
    }
}

/// Tiles of rows `bi..bi + TILE`, columns `bj0..bj0 + BLOCK`.
///
/// # Safety
/// As [`transpose_tiles`].
#[allow(clippy::too_many_arguments)] // the two layouts, spelled out
#[inline(always)]
unsafe fn transpose_block_row<T: Scalar>(
    bi: usize,
    bj0: usize,
    rows: usize,
    cols: usize,
    s: *const T,
    scs: usize,
    dst: *mut T,
    drs: usize,
    tile: &mut [T; TILE * TILE],
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let ti = TILE.min(rows - bi);
        for bj in (bj0..(bj0 + BLOCK).min(cols)).step_by(TILE) {
            let tj = TILE.min(cols - bj);
            for jj in 0..tj {
                let src = std::slice::from_raw_parts(s.add((bj + jj) * scs + bi), ti);
                // An element loop, not copy_from_slice: 32-element runs are
                // cheaper inline than through a memcpy call.
                for (t, &x) in tile[jj * TILE..jj * TILE + ti].iter_mut().zip(src) {
                    *t = x;
                }
            }
            for ii in 0..ti {
                let out = std::slice::from_raw_parts_mut(dst.add((bi + ii) * drs + bj), tj);
                for (jj, o) in out.iter_mut().enumerate() {
                    *o = tile[jj * TILE + ii];
                }
            }
        }
    }
}

/// [`transpose_tiles`] for one ISA: `LANES x LANES` blocks transposed in
/// registers ([`Simd::transpose_block`]), whole cache lines loaded and
/// stored; the last partial strips go element by element.
pub(crate) trait TransposeKernel<T> {
    /// # Safety
    /// As [`transpose_tiles`], and the CPU has the kernel's features.
    unsafe fn tiles(rows: usize, cols: usize, s: *const T, scs: usize, dst: *mut T, drs: usize);
}

/// The transpose proper with `kind`'s [`TransposeKernel`].
///
/// # Safety
/// As [`transpose_tiles`]; `kind` is supported by this CPU.
pub(crate) unsafe fn run_transpose<T: Scalar>(
    kind: crate::KernelKind,
    rows: usize,
    cols: usize,
    s: *const T,
    scs: usize,
    dst: *mut T,
    drs: usize,
) {
    use crate::arch::isa::{with_kernels, Kernels, WithKernels};
    /// The arguments, with the contract of [`run_transpose`].
    struct Tiles<T>(usize, usize, *const T, usize, *mut T, usize);
    impl<T: Scalar> WithKernels<T> for Tiles<T> {
        type Output = ();
        fn run<K: Kernels<T>>(self) {
            let Tiles(rows, cols, s, scs, dst, drs) = self;
            // SAFETY: built only by `run_transpose`, whose caller upholds
            // the contract; `K` is the kind it asked for.
            unsafe { K::Transpose::tiles(rows, cols, s, scs, dst, drs) }
        }
    }
    with_kernels(kind, Tiles(rows, cols, s, scs, dst, drs))
}

/// The portable [`TransposeKernel`]: the plain [`transpose_tiles`].
pub(crate) struct PortableTranspose;

impl<T: Scalar> TransposeKernel<T> for PortableTranspose {
    unsafe fn tiles(rows: usize, cols: usize, s: *const T, scs: usize, dst: *mut T, drs: usize) {
        // SAFETY: the same contract; no CPU feature needed.
        unsafe { transpose_tiles(rows, cols, s, scs, dst, drs) }
    }
}

/// Destinations of at least this many bytes (per call: a band of a
/// parallel copy) are written with non-temporal stores.
///
/// An ordinary store first reads the line it writes (a third more memory
/// traffic for a transpose); a destination this large would not stay in
/// cache anyway; with streaming stores a large transpose comes close to a
/// plain copy of the same bytes.
const STREAM_MIN_BYTES: usize = 4 << 20;

/// The body of every [`TransposeKernel`], generic over the vector type.
///
/// # Safety
/// As [`transpose_tiles`].
#[inline(always)]
pub(crate) unsafe fn transpose_tiles_simd<S: Simd>(
    rows: usize,
    cols: usize,
    s: *const S::T,
    scs: usize,
    dst: *mut S::T,
    drs: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let size = std::mem::size_of::<S::T>();
        let line = S::LANES * size;
        // Streaming needs every destination block row aligned to the vector:
        // rows a whole number of vectors apart, and the first `peel` columns
        // (up to the first aligned one, fewer than a vector: the region's
        // element loop) done apart.
        let peel = (line - dst as usize % line) % line / size;
        let stream = rows * cols * size >= STREAM_MIN_BYTES
            && (drs * size).is_multiple_of(line)
            && (dst as usize).is_multiple_of(size)
            && peel < cols;
        if !stream {
            return transpose_region::<S, false>(rows, cols, s, scs, dst, drs);
        }
        transpose_region::<S, false>(rows, peel, s, scs, dst, drs);
        transpose_region::<S, true>(
            rows,
            cols - peel,
            s.add(peel * scs),
            scs,
            dst.add(peel),
            drs,
        );
        // Non-temporal stores are weakly ordered: make them visible before
        // the caller (or a thread joining it) reads the destination.
        #[cfg(target_arch = "x86_64")]
        std::arch::x86_64::_mm_sfence();
    }
}

/// [`transpose_tiles_simd`] proper; with `STREAM`, whole blocks are
/// transposed into a stack buffer and stored with non-temporal stores
/// (`dst` then aligned to the vector, `drs` a whole number of vectors).
///
/// # Safety
/// As [`transpose_tiles`].
#[inline(always)]
unsafe fn transpose_region<S: Simd, const STREAM: bool>(
    rows: usize,
    cols: usize,
    s: *const S::T,
    scs: usize,
    dst: *mut S::T,
    drs: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let l = S::LANES;
        let mut buf = [S::T::ZERO; 256];
        debug_assert!(l * l <= buf.len());
        // BLOCK-wide column regions (as transpose_tiles: fewer TLB misses),
        // strips of `l` destination rows inside.
        for bj0 in (0..cols).step_by(BLOCK) {
            let bj_end = (bj0 + BLOCK).min(cols);
            for bi in (0..rows).step_by(l) {
                let ti = l.min(rows - bi);
                let mut bj = bj0;
                if ti == l {
                    while bj + l <= bj_end {
                        // Block rows bj.. of the source's storage (its columns
                        // bi..bi + l, contiguous) become destination rows bi...
                        let (src, out) = (s.add(bj * scs + bi), dst.add(bi * drs + bj));
                        if STREAM {
                            S::transpose_block(src, scs, l, l, buf.as_mut_ptr(), l, l);
                            for r in 0..l {
                                S::store_stream(out.add(r * drs), S::load(buf.as_ptr().add(r * l)));
                            }
                        } else {
                            S::transpose_block(src, scs, l, l, out, drs, l);
                        }
                        bj += l;
                    }
                }
                for i in bi..bi + ti {
                    for j in bj..bj_end {
                        *dst.add(i * drs + j) = *s.add(j * scs + i);
                    }
                }
            }
        }
    }
}

/// Defines a [`TransposeKernel`] for one ISA's vector types.
macro_rules! transpose_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::transpose::TransposeKernel<$t> for $name {
                unsafe fn tiles(rows: usize, cols: usize, s: *const $t, scs: usize, dst: *mut $t, drs: usize) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(rows: usize, cols: usize, s: *const $t, scs: usize, dst: *mut $t, drs: usize) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::transpose::transpose_tiles_simd::<$simd>(rows, cols, s, scs, dst, drs) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    unsafe { body(rows, cols, s, scs, dst, drs) }
                }
            }
        )+
    };
}
pub(crate) use transpose_kernel;

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_transpose(m: &Matrix<f32>) -> Matrix<f32> {
        Matrix::from_fn(m.cols(), m.rows(), |i, j| m[(j, i)])
    }

    #[test]
    fn transpose_matches_naive_for_odd_and_blocked_shapes() {
        for (r, c) in [
            (0, 3),
            (1, 1),
            (1, 7),
            (31, 33),
            (64, 32),
            (97, 45),
            (600, 500),
        ] {
            let m = Matrix::from_fn(r, c, |i, j| (i * 1000 + j) as f32);
            assert_eq!(transpose(m.view()), naive_transpose(&m), "{r}x{c}");
        }
    }

    /// Every transpose kernel this CPU has, f32 and f64, against the naive
    /// transpose: full register blocks, partial strips on both edges, more
    /// than one BLOCK region, and a source with padded rows.
    #[test]
    fn every_transpose_kernel_matches_naive() {
        fn check<T: Scalar>(kind: crate::KernelKind) {
            for (r, c) in [(1, 1), (15, 17), (16, 16), (33, 70), (300, 270), (257, 520)] {
                let pad = 3;
                let src = Matrix::from_fn(r, c + pad, |i, j| T::from_f64((i * 1000 + j) as f64));
                let view = src.view().submatrix(0, 0, r, c);
                let mut got = Matrix::<T>::zeros(c, r);
                // SAFETY: view.t() has contiguous columns (srs == 1) and got
                // contiguous rows, shapes c x r both; kind is supported.
                unsafe {
                    let (src_t, drs) = (view.t(), r);
                    run_transpose::<T>(
                        kind,
                        c,
                        r,
                        src_t.as_ptr(),
                        src_t.col_stride(),
                        got.as_mut_slice().as_mut_ptr(),
                        drs,
                    );
                }
                let want = Matrix::from_fn(c, r, |i, j| view[(j, i)]);
                assert_eq!(got, want, "{kind:?} {} {r}x{c}", T::NAME);
            }
        }
        for kind in crate::KernelKind::supported() {
            check::<f32>(kind);
            check::<f64>(kind);
        }
    }

    /// Destinations of 4 MiB or more take the non-temporal path, from the
    /// first aligned column on; the columns before it and after the view
    /// (padding of the wider matrix it sits in) must come out right and
    /// untouched.
    #[test]
    fn large_transposes_stream_into_an_unaligned_view() {
        fn check<T: Scalar>(kind: crate::KernelKind) {
            let (r, c, width, off) = (1040, 1100, 1056, 5);
            let src = Matrix::from_fn(r, c, |i, j| T::from_f64((i * 2000 + j) as f64));
            let mut big = Matrix::<T>::zeros(c, width);
            assert!(c * r * std::mem::size_of::<T>() >= STREAM_MIN_BYTES);
            // SAFETY: src.t() has contiguous columns; the destination is
            // c x r at column `off` of big, rows `width` apart, in bounds.
            unsafe {
                let src_t = src.view().t();
                run_transpose::<T>(
                    kind,
                    c,
                    r,
                    src_t.as_ptr(),
                    src_t.col_stride(),
                    big.as_mut_slice().as_mut_ptr().add(off),
                    width,
                );
            }
            for i in 0..c {
                for j in 0..width {
                    let want = if (off..off + r).contains(&j) {
                        src[(j - off, i)]
                    } else {
                        T::ZERO
                    };
                    assert_eq!(big[(i, j)], want, "{kind:?} {} at ({i}, {j})", T::NAME);
                }
            }
        }
        for kind in crate::KernelKind::supported() {
            check::<f32>(kind);
            check::<f64>(kind);
        }
    }

    #[test]
    fn in_place_square_transpose_matches_naive() {
        for n in [0, 1, 2, 31, 32, 33, 100] {
            let mut m = Matrix::from_fn(n, n, |i, j| (i * 1000 + j) as f32);
            let want = naive_transpose(&m);
            transpose_in_place(m.view_mut()).unwrap();
            assert_eq!(m, want, "{n}");
        }
        let mut rect = Matrix::<f32>::zeros(2, 3);
        assert!(transpose_in_place(rect.view_mut()).is_err());
        rect.transpose_in_place();
        assert_eq!(rect.shape(), (3, 2));
    }

    #[test]
    fn transpose_into_checks_the_destination_shape() {
        let m = Matrix::<f64>::zeros(2, 3);
        let mut wrong = Matrix::<f64>::zeros(2, 3);
        let err = try_transpose_into(m.view(), wrong.view_mut()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "transpose: source is 2x3 so the destination must be 3x2, but it is 2x3"
        );
    }
}
