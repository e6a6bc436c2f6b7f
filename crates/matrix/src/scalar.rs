//! The element types a [`Matrix`](crate::Matrix) can hold.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// What a [`Matrix`](crate::Matrix) or a view can store: `f32` and `f64`,
/// which also compute ([`Scalar`]), and the half-precision storage types
/// `half::bf16` and `half::f16`, whose products accumulate in `f32`
/// ([`gemm_half`](crate::gemm_half)).
///
/// Storage, shapes, views and indexing need only this; arithmetic needs
/// [`Scalar`]. Sealed: the crate's kernels know exactly these four types.
pub trait Element:
    Copy + Send + Sync + Default + PartialEq + Debug + sealed::Stored + 'static
{
}
impl Element for f32 {}
impl Element for f64 {}
impl Element for half::bf16 {}
impl Element for half::f16 {}

/// A real floating-point element type: implemented for `f32` and `f64`.
///
/// `f32` is the fast path a network trains with; `f64` is the reference
/// precision for gradient checks and for users who need it. The trait is
/// sealed: the gemm kernels exist for exactly these two types.
pub trait Scalar:
    Copy
    + Send
    + Sync
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + Sum
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Element
    + sealed::Sealed
    + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Name used in benchmark output and error messages (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Lossy conversion from `f64`.
    fn from_f64(x: f64) -> Self;
    /// Lossless widening to `f64`.
    fn to_f64(self) -> f64;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// The larger of two values (NaN-ignoring, as `f32::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (NaN-ignoring, as `f32::min`).
    fn min(self, other: Self) -> Self;
    /// `self * a + b` with one rounding where the hardware has FMA.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// True unless the value is NaN or infinite.
    fn is_finite(self) -> bool;
    /// True if the value is NaN.
    fn is_nan(self) -> bool;
    /// `e^x` for every element of `xs`, in place. For `f32` a vectorized
    /// polynomial, within 2 ulp of the correctly rounded result where that
    /// is a normal number, bitwise the same on every kernel; for `f64`,
    /// [`exp`](Scalar::exp) element by element.
    ///
    /// ```
    /// use matrix::Scalar;
    /// let mut xs = [0.0f32, 1.0, -1.0];
    /// f32::exp_slice(&mut xs);
    /// assert_eq!(xs[0], 1.0);
    /// assert!((xs[1] - std::f32::consts::E).abs() < 1e-6);
    /// ```
    fn exp_slice(xs: &mut [Self]);
}

pub(crate) mod sealed {
    /// Keeps [`Element`](super::Element) closed.
    pub trait Stored {}
    impl Stored for f32 {}
    impl Stored for f64 {}
    impl Stored for half::bf16 {}
    impl Stored for half::f16 {}

    use crate::gemm::plan::{Algorithm, KernelShape, Plan};
    use crate::gemm::{KernelKind, Problem};
    use crate::sparse::{SparseProblem, TransposeFill};

    /// Keeps `Scalar` closed to f32 and f64, and routes a gemm to the
    /// kernels compiled for the element type.
    pub trait Sealed: Sized {
        /// The tile sizes of `kind`'s kernel for `algorithm`, or `None` if
        /// it has no such variant.
        fn kernel_shape(kind: KernelKind, algorithm: Algorithm) -> Option<KernelShape>;

        /// Runs `p` as `plan` says.
        ///
        /// # Safety
        /// As `gemm::driver::run`: pointers cover the checked shapes, C does
        /// not overlap A or B, the plan's kernel is supported by this CPU,
        /// and the plan was made (and validated) for `p`.
        unsafe fn run_gemm(plan: &Plan, p: &Problem<Self>);

        /// Row groups `g0..g1` of a sparse product with `kind`'s sparse kernel.
        ///
        /// # Safety
        /// As `sparse::SparseKernel::groups`.
        unsafe fn run_sparse(kind: KernelKind, p: &SparseProblem<Self>, g0: usize, g1: usize);

        /// The fill of a sparse transpose build with `kind`'s instructions.
        ///
        /// # Safety
        /// The CPU supports `kind`'s instructions.
        unsafe fn run_transpose_fill(kind: KernelKind, f: TransposeFill<'_, Self>);

        /// The columns of `kind`'s sparse kernel's widest block (see
        /// `sparse::SparseKernel::BLOCK_COLUMNS`).
        fn sparse_block_columns(kind: KernelKind) -> usize;

        /// The transpose proper with `kind`'s transpose kernel.
        ///
        /// # Safety
        /// As `transpose::transpose_tiles`.
        unsafe fn run_transpose(
            kind: KernelKind,
            rows: usize,
            cols: usize,
            s: *const Self,
            scs: usize,
            dst: *mut Self,
            drs: usize,
        );
    }

    macro_rules! dispatch {
        ($t:ty) => {
            impl Sealed for $t {
                fn kernel_shape(kind: KernelKind, algorithm: Algorithm) -> Option<KernelShape> {
                    #[cfg(target_arch = "x86_64")]
                    use crate::gemm::kernel::{Avx2, Avx2Narrow, Avx512, Avx512Narrow};
                    use crate::gemm::kernel::{Kernel, Portable};
                    #[cfg(target_arch = "x86_64")]
                    use crate::gemm::skinny::{Avx2Skinny, Avx512Skinny};
                    use crate::gemm::skinny::{PortableSkinny, SkinnyKernel};
                    fn blis<T: crate::Scalar, K: Kernel<T>>() -> Option<KernelShape> {
                        Some(KernelShape {
                            mr: K::MR,
                            nr: K::NR,
                            mr_step: K::MR_STEP,
                            nr_step: K::NR_STEP,
                            lanes: 0,
                        })
                    }
                    fn vector<T: crate::Scalar, K: VectorKernel<T>>() -> Option<KernelShape> {
                        // Columns are split between threads in steps of
                        // four vectors.
                        Some(KernelShape {
                            mr: 1,
                            nr: 1,
                            mr_step: 1,
                            nr_step: 4 * K::LANES,
                            lanes: K::LANES,
                        })
                    }
                    fn dot<T: crate::Scalar, K: SkinnyKernel<T>>() -> Option<KernelShape> {
                        Some(KernelShape {
                            mr: 1,
                            nr: 1,
                            mr_step: 1,
                            nr_step: 1,
                            lanes: K::LANES,
                        })
                    }
                    #[cfg(target_arch = "x86_64")]
                    use crate::gemm::vector::{Avx2Vector, Avx512Vector};
                    use crate::gemm::vector::{PortableVector, VectorKernel};
                    match (kind, algorithm) {
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx512, Algorithm::Vector) => vector::<$t, Avx512Vector>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx2, Algorithm::Vector) => vector::<$t, Avx2Vector>(),
                        (KernelKind::Portable, Algorithm::Vector) => vector::<$t, PortableVector>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx512, Algorithm::Dot) => dot::<$t, Avx512Skinny>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx512, Algorithm::Narrow) => blis::<$t, Avx512Narrow>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx512, Algorithm::Blis) => blis::<$t, Avx512>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx2, Algorithm::Dot) => dot::<$t, Avx2Skinny>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx2, Algorithm::Narrow) => blis::<$t, Avx2Narrow>(),
                        #[cfg(target_arch = "x86_64")]
                        (KernelKind::Avx2, Algorithm::Blis) => blis::<$t, Avx2>(),
                        (KernelKind::Portable, Algorithm::Dot) => dot::<$t, PortableSkinny>(),
                        (KernelKind::Portable, Algorithm::Narrow) => None,
                        _ => blis::<$t, Portable>(),
                    }
                }

                unsafe fn run_gemm(plan: &Plan, p: &Problem<Self>) {
                    use crate::gemm::driver::run;
                    use crate::gemm::kernel::Portable;
                    #[cfg(target_arch = "x86_64")]
                    use crate::gemm::kernel::{Avx2, Avx2Narrow, Avx512, Avx512Narrow};
                    use crate::gemm::skinny::{self, PortableSkinny};
                    #[cfg(target_arch = "x86_64")]
                    use crate::gemm::skinny::{Avx2Skinny, Avx512Skinny};
                    // SAFETY: the caller upholds this function's `# Safety`
                    // contract; the plan was made for this kernel.
                    unsafe {
                        use crate::gemm::vector::{self, PortableVector};
                        #[cfg(target_arch = "x86_64")]
                        use crate::gemm::vector::{Avx2Vector, Avx512Vector};
                        match (plan.kernel, plan.algorithm) {
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx512, Algorithm::Vector) => {
                                vector::run::<$t, Avx512Vector>(p, plan)
                            }
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx2, Algorithm::Vector) => {
                                vector::run::<$t, Avx2Vector>(p, plan)
                            }
                            (KernelKind::Portable, Algorithm::Vector) => {
                                vector::run::<$t, PortableVector>(p, plan)
                            }
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx512, Algorithm::Dot) => {
                                skinny::run::<$t, Avx512Skinny>(p, plan)
                            }
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx512, Algorithm::Narrow) => {
                                run::<$t, Avx512Narrow>(p, plan)
                            }
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx512, Algorithm::Blis) => run::<$t, Avx512>(p, plan),
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx2, Algorithm::Dot) => {
                                skinny::run::<$t, Avx2Skinny>(p, plan)
                            }
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx2, Algorithm::Narrow) => run::<$t, Avx2Narrow>(p, plan),
                            #[cfg(target_arch = "x86_64")]
                            (KernelKind::Avx2, Algorithm::Blis) => run::<$t, Avx2>(p, plan),
                            (KernelKind::Portable, Algorithm::Dot) => {
                                skinny::run::<$t, PortableSkinny>(p, plan)
                            }
                            _ => run::<$t, Portable>(p, plan),
                        }
                    }
                }

                unsafe fn run_sparse(
                    kind: KernelKind,
                    p: &SparseProblem<Self>,
                    g0: usize,
                    g1: usize,
                ) {
                    // SAFETY: the caller upholds this function's `# Safety` contract.
                    unsafe {
                        #[cfg(target_arch = "x86_64")]
                        use crate::sparse::{Avx2Sparse, Avx512Sparse};
                        use crate::sparse::{PortableSparse, SparseKernel};
                        match kind {
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx512 => {
                                <Avx512Sparse as SparseKernel<$t>>::groups(p, g0, g1)
                            }
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx2 => <Avx2Sparse as SparseKernel<$t>>::groups(p, g0, g1),
                            _ => <PortableSparse as SparseKernel<$t>>::groups(p, g0, g1),
                        }
                    }
                }

                unsafe fn run_transpose_fill(kind: KernelKind, f: TransposeFill<'_, Self>) {
                    #[cfg(target_arch = "x86_64")]
                    use crate::sparse::{Avx2Sparse, Avx512Sparse};
                    use crate::sparse::{PortableSparse, SparseKernel};
                    // SAFETY: the caller upholds this function's `# Safety` contract.
                    unsafe {
                        match kind {
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx512 => {
                                <Avx512Sparse as SparseKernel<$t>>::fill_transpose(f)
                            }
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx2 => <Avx2Sparse as SparseKernel<$t>>::fill_transpose(f),
                            _ => <PortableSparse as SparseKernel<$t>>::fill_transpose(f),
                        }
                    }
                }

                fn sparse_block_columns(kind: KernelKind) -> usize {
                    #[cfg(target_arch = "x86_64")]
                    use crate::sparse::{Avx2Sparse, Avx512Sparse};
                    use crate::sparse::{PortableSparse, SparseKernel};
                    match kind {
                        #[cfg(target_arch = "x86_64")]
                        KernelKind::Avx512 => <Avx512Sparse as SparseKernel<$t>>::BLOCK_COLUMNS,
                        #[cfg(target_arch = "x86_64")]
                        KernelKind::Avx2 => <Avx2Sparse as SparseKernel<$t>>::BLOCK_COLUMNS,
                        _ => <PortableSparse as SparseKernel<$t>>::BLOCK_COLUMNS,
                    }
                }

                unsafe fn run_transpose(
                    kind: KernelKind,
                    rows: usize,
                    cols: usize,
                    s: *const Self,
                    scs: usize,
                    dst: *mut Self,
                    drs: usize,
                ) {
                    // SAFETY: the caller upholds this function's `# Safety` contract.
                    unsafe {
                        #[cfg(target_arch = "x86_64")]
                        use crate::transpose::TransposeKernel;
                        #[cfg(target_arch = "x86_64")]
                        use crate::transpose::{Avx2Transpose, Avx512Transpose};
                        match kind {
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx512 => <Avx512Transpose as TransposeKernel<$t>>::tiles(
                                rows, cols, s, scs, dst, drs,
                            ),
                            #[cfg(target_arch = "x86_64")]
                            KernelKind::Avx2 => <Avx2Transpose as TransposeKernel<$t>>::tiles(
                                rows, cols, s, scs, dst, drs,
                            ),
                            _ => crate::transpose::transpose_tiles(rows, cols, s, scs, dst, drs),
                        }
                    }
                }
            }
        };
    }
    dispatch!(f32);
    dispatch!(f64);
}

macro_rules! impl_scalar {
    ($t:ident, $exp_slice:expr) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            fn exp_slice(xs: &mut [Self]) {
                $exp_slice(xs)
            }
        }
    };
}

impl_scalar!(f32, crate::exp::exp_f32_slice);
impl_scalar!(f64, |xs: &mut [f64]| xs
    .iter_mut()
    .for_each(|x| *x = x.exp()));
