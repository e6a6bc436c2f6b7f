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

// `Sealed` is public (as `Scalar`'s supertrait) but unnameable outside the
// crate, so the crate-private dispatch traits in its bounds stay private.
#[allow(private_bounds, private_interfaces)]
pub(crate) mod sealed {
    /// Keeps [`Element`](super::Element) closed.
    pub trait Stored {}
    impl Stored for f32 {}
    impl Stored for f64 {}
    impl Stored for half::bf16 {}
    impl Stored for half::f16 {}

    use crate::arch::isa::{Isa, WithKernels};

    /// Keeps `Scalar` closed to f32 and f64, and lets code generic over
    /// the element type reach the kernels compiled for it: every kernel
    /// type implements its family's trait for exactly these two types, so
    /// an instruction set's [`Kernels`](crate::arch::isa::Kernels) exist
    /// for `Self` only once `Self` is known to be one of them.
    pub trait Sealed: Sized {
        /// Runs `work` with the instruction set `I`'s kernels for `Self`
        /// (see `arch::isa::with_kernels`, the one caller).
        fn with_isa<I: Isa, W: WithKernels<Self>>(work: W) -> W::Output
        where
            Self: crate::Scalar;
    }

    macro_rules! sealed {
        ($t:ty) => {
            impl Sealed for $t {
                fn with_isa<I: Isa, W: WithKernels<$t>>(work: W) -> W::Output {
                    work.run::<I>()
                }
            }
        };
    }
    sealed!(f32);
    sealed!(f64);
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
