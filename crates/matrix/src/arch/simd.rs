//! The vector operations every kernel family is written in, and a prefetch.
//!
//! A kernel body (gemm's micro-kernel, the dot-product, sparse and transpose
//! kernels) is generic over [`Simd`]; each instruction set implements it once
//! (`arch/avx512.rs`, `arch/avx2.rs`, `arch/portable.rs`) and each family instantiates its
//! body per instruction set inside a `#[target_feature]` function, so that
//! the `#[inline(always)]` methods compile to that set's instructions.

use crate::Scalar;

/// The handful of vector operations the generic body needs. One impl per
/// (ISA, element type); all methods are `#[inline(always)]` wrappers around
/// one instruction so the body compiles to straight-line SIMD inside the
/// `#[target_feature]` function that instantiates it.
///
/// Every method is `unsafe` for one shared reason: it may execute
/// instructions of the impl's ISA, so it may only run on a CPU that has
/// them (the dispatch checks that once, at run time). Methods that take a
/// pointer add the memory rule in their own `# Safety` section.
pub(crate) trait Simd {
    type T: Scalar;
    type V: Copy;
    const LANES: usize;
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn zero() -> Self::V;
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn splat(x: Self::T) -> Self::V;
    /// `LANES` elements from `p` (any alignment).
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set; `p..p + LANES` is readable.
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// The first `n < LANES` elements at `p`, zeros in the other lanes;
    /// reads nothing past `p + n` (masked loads do not fault there). This
    /// plain version goes through a zeroed stack vector.
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set; `p..p + n` is readable.
    #[inline(always)]
    unsafe fn load_partial(p: *const Self::T, n: usize) -> Self::V {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let mut v = Self::zero();
            let lanes = &mut v as *mut Self::V as *mut Self::T;
            for i in 0..n.min(Self::LANES) {
                *lanes.add(i) = *p.add(i);
            }
            v
        }
    }
    /// Stores the `LANES` elements of `v` at `p` (any alignment).
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set; `p..p + LANES` is writable.
    unsafe fn store(p: *mut Self::T, v: Self::V);
    /// [`store`](Simd::store) that bypasses the caches (a non-temporal
    /// store: no read of the line first). `p` is aligned to the vector
    /// size. This plain version is an ordinary store.
    ///
    /// # Safety
    /// As [`store`](Simd::store), and `p` is aligned to the vector size.
    #[inline(always)]
    unsafe fn store_stream(p: *mut Self::T, v: Self::V) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { Self::store(p, v) }
    }
    /// Stores the first `n < LANES` lanes of `v` at `p` and nothing past
    /// `p + n`. This plain version goes through a stack spill.
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set; `p..p + n` is writable.
    #[inline(always)]
    unsafe fn store_partial(p: *mut Self::T, v: Self::V, n: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let mut spill = v;
            let lanes = &mut spill as *mut Self::V as *const Self::T;
            for i in 0..n.min(Self::LANES) {
                *p.add(i) = *lanes.add(i);
            }
        }
    }
    /// `a * b + c`, fused where the ISA has FMA.
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn mul_add(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// `relu`: lane-wise `if x > 0 { x } else { 0 }` (NaN and -0 become +0).
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn relu(x: Self::V) -> Self::V;
    /// Sum of the lanes (a fixed order, so results are reproducible).
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set.
    unsafe fn reduce_sum(x: Self::V) -> Self::T;

    /// The first `depth` elements of `N` rows `s_w` apart (the input of a
    /// [`transpose_block`](Simd::transpose_block), `N = LANES`): rows
    /// `r >= rows` are zeros and nothing past `depth` in a row is read.
    ///
    /// # Safety
    /// `src + r * s_w` holds `depth <= LANES` readable elements for
    /// `r < rows`.
    #[inline(always)]
    unsafe fn load_rows<const N: usize>(
        src: *const Self::T,
        s_w: usize,
        rows: usize,
        depth: usize,
    ) -> [Self::V; N] {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let mut r = [Self::zero(); N];
            for (i, v) in r.iter_mut().enumerate() {
                // All rows, tested inside: a constant trip count keeps `r` in
                // registers (`.take(rows)` spills it to the stack).
                if i < rows {
                    let row = src.add(i * s_w);
                    *v = if depth == Self::LANES {
                        Self::load(row)
                    } else {
                        Self::load_partial(row, depth)
                    };
                }
            }
            r
        }
    }

    /// Four entries from packed nonzeros, by a 4-bit mask: entry `r` is the
    /// next unread of `src` if bit `r` of `nibble` is set, else zero
    /// (`dst[r] = src[k]`, `k` the number of set bits below `r`). What
    /// AVX-512 calls an expand; the sparse transpose build
    /// ([`SparseMatrix::assign_transpose_from_rows`](crate::SparseMatrix::assign_transpose_from_rows))
    /// writes each group of 4 rows' entries with it. This plain version
    /// selects entry by entry, branch-free (how many bits are set is as
    /// good as random, and a loop over them mispredicts its end).
    ///
    /// # Safety
    /// The CPU supports the impl's instruction set; `nibble < 16`;
    /// `src..src + 4` is readable (only the first `nibble.count_ones()`
    /// are used) and `dst..dst + 4` writable.
    #[inline(always)]
    unsafe fn expand4(src: *const Self::T, nibble: usize, dst: *mut Self::T) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let mut taken = 0;
            for r in 0..4 {
                let set = (nibble >> r) & 1 != 0;
                *dst.add(r) = std::hint::select_unpredictable(set, *src.add(taken), Self::T::ZERO);
                taken += usize::from(set);
            }
        }
    }

    /// Transposes one block of at most `LANES x LANES`:
    ///
    /// ```text
    /// dst[k * d_stride + r] = src[r * s_w + k]   for k < depth, r < out
    /// ```
    ///
    /// where rows `r >= rows` read as zero (the zero padding of a partial
    /// panel). This plain version is the reference; ISAs override it with an
    /// in-register shuffle network.
    ///
    /// # Safety
    /// `rows <= LANES`, `out <= LANES`, `depth <= LANES`; `src + r * s_w`
    /// holds `depth` readable elements for `r < rows`; `dst + k * d_stride`
    /// has `out` writable elements for `k < depth`.
    #[inline(always)]
    unsafe fn transpose_block(
        src: *const Self::T,
        s_w: usize,
        rows: usize,
        depth: usize,
        dst: *mut Self::T,
        d_stride: usize,
        out: usize,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            for k in 0..depth {
                for r in 0..out {
                    *dst.add(k * d_stride + r) = if r < rows {
                        *src.add(r * s_w + k)
                    } else {
                        Self::T::ZERO
                    };
                }
            }
        }
    }
}

/// The first `lanes` elements at `p` (all `LANES` of them if `lanes >=
/// LANES`), the rest zero.
///
/// # Safety
/// `p..p + lanes.min(LANES)` is readable; compiled with the target features
/// `S` needs.
#[inline(always)]
pub(crate) unsafe fn load_lanes<S: Simd>(p: *const S::T, lanes: usize) -> S::V {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if lanes >= S::LANES {
            S::load(p)
        } else {
            S::load_partial(p, lanes)
        }
    }
}

/// Stores the first `lanes` elements of `v` at `p` (all `LANES` of them if
/// `lanes >= LANES`), nothing past them.
///
/// # Safety
/// `p..p + lanes.min(LANES)` is writable; compiled with the target features
/// `S` needs.
#[inline(always)]
pub(crate) unsafe fn store_lanes<S: Simd>(p: *mut S::T, v: S::V, lanes: usize) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if lanes >= S::LANES {
            S::store(p, v)
        } else {
            S::store_partial(p, v, lanes)
        }
    }
}

/// Hints that the cache line at `p` will be read soon (no fault if it is
/// out of bounds: a prefetch never traps).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint (SSE, baseline on x86-64); it never
    // dereferences in the sense of faulting, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::Simd;
    use crate::arch::KernelKind;
    use crate::Scalar;

    /// For every `n < LANES`: `load_partial` reads the first `n` elements
    /// (the other lanes are zero) and `store_partial` writes them back,
    /// leaving the elements around them untouched.
    ///
    /// # Safety
    /// The CPU supports `S`'s instruction set.
    unsafe fn partial_loads_and_stores_touch_only_their_lanes<S: Simd>() {
        let lanes = S::LANES;
        let sentinel = S::T::from_f64(-7.0);
        let src: Vec<S::T> = (0..lanes).map(|i| S::T::from_f64(i as f64 + 1.0)).collect();
        for n in 0..lanes {
            // One guard element on each side of the stored lanes.
            let mut dst = vec![sentinel; lanes + 2];
            let mut spill = vec![sentinel; lanes];
            // SAFETY: src holds LANES elements, spill LANES, dst 1 + LANES + 1;
            // the CPU supports S (the caller's contract).
            unsafe {
                S::store(spill.as_mut_ptr(), S::load_partial(src.as_ptr(), n));
                S::store_partial(dst.as_mut_ptr().add(1), S::load(src.as_ptr()), n);
            }
            let zeros = vec![S::T::ZERO; lanes - n];
            assert_eq!(
                (&spill[..n], &spill[n..]),
                (&src[..n], &zeros[..]),
                "load, n = {n}"
            );
            assert_eq!(&dst[1..=n], &src[..n], "store, n = {n}");
            assert!(
                dst[..1].iter().chain(&dst[n + 1..]).all(|&x| x == sentinel),
                "store, n = {n}: {dst:?}"
            );
        }
    }

    /// For every 4-bit mask: `expand4` puts the packed values, in order, in
    /// the entries whose bit is set and zeros in the others.
    ///
    /// # Safety
    /// The CPU supports `S`'s instruction set.
    unsafe fn expand4_places_each_packed_value<S: Simd>() {
        let packed: Vec<S::T> = (1..=4).map(|i| S::T::from_f64(i as f64)).collect();
        for nibble in 0..16 {
            let mut want = [S::T::ZERO; 4];
            let mut next = packed.iter();
            for (r, w) in want.iter_mut().enumerate() {
                if (nibble >> r) & 1 != 0 {
                    *w = *next.next().unwrap();
                }
            }
            let mut got = [S::T::from_f64(-7.0); 4];
            // SAFETY: packed holds 4 values, got 4; the CPU supports S (the
            // caller's contract).
            unsafe { S::expand4(packed.as_ptr(), nibble, got.as_mut_ptr()) };
            assert_eq!(got, want, "mask {nibble:04b}");
        }
    }

    /// Runs the generic check `$check::<S>()` for every [`Simd`] impl
    /// whose instruction set this CPU has: the one list of them the tests
    /// share.
    macro_rules! on_every_supported_isa {
        ($check:ident) => {
            // SAFETY: each instruction set is used only where the CPU has it.
            unsafe {
                $check::<crate::arch::portable::Arr<f32>>();
                $check::<crate::arch::portable::Arr<f64>>();
                #[cfg(target_arch = "x86_64")]
                if KernelKind::Avx2.is_supported() {
                    $check::<crate::arch::avx2::F32x8>();
                    $check::<crate::arch::avx2::F64x4>();
                }
                #[cfg(target_arch = "x86_64")]
                if KernelKind::Avx512.is_supported() {
                    $check::<crate::arch::avx512::F32x16>();
                    $check::<crate::arch::avx512::F64x8>();
                }
            }
        };
    }

    #[test]
    fn expand4_of_every_supported_isa() {
        on_every_supported_isa!(expand4_places_each_packed_value);
    }

    #[test]
    fn partial_loads_and_stores_of_every_supported_isa() {
        on_every_supported_isa!(partial_loads_and_stores_touch_only_their_lanes);
    }
}
