//! The instruction sets ([`KernelKind`]: their names and run-time
//! detection) and the dispatch from one to the kernels compiled for it, in
//! one place.
//!
//! Each instruction set is one file of this folder (`avx512.rs`, `avx2.rs`,
//! `portable.rs`): its [`Simd`](super::Simd) vector types, one kernel type
//! per family instantiated from the family's generic body (the
//! `*_kernel!` macros beside those bodies), and a marker type that names
//! them all through [`Kernels`]. Code that runs a kernel asks
//! [`with_kernels`] for the marker of a `KernelKind` and uses its
//! associated types; the matches on the kind are all in this file
//! (`with_kernels`, `with_target_features!`, the names and the detection),
//! and none has a catch-all arm, so a new `KernelKind` variant is a
//! compile error here until its file is wired in.

use std::fmt;

use crate::gemm::kernel::Kernel;
use crate::gemm::skinny::SkinnyKernel;
use crate::gemm::vector::VectorKernel;
use crate::sparse::SparseKernel;
use crate::transpose::TransposeKernel;
use crate::Scalar;

/// A family of micro-kernels (one per instruction set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelKind {
    /// AVX-512F: 12x32 (f32) and 12x16 (f64) tiles in 32 zmm registers.
    Avx512,
    /// AVX2 + FMA: 6x16 (f32) and 6x8 (f64) tiles in 16 ymm registers.
    Avx2,
    /// Plain Rust that LLVM auto-vectorizes; runs everywhere.
    Portable,
}

impl KernelKind {
    /// All kernels, fastest first.
    pub const ALL: [KernelKind; 3] = [KernelKind::Avx512, KernelKind::Avx2, KernelKind::Portable];

    /// The name `MATNET_KERNEL` takes.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Avx512 => "avx512",
            KernelKind::Avx2 => "avx2",
            KernelKind::Portable => "portable",
        }
    }

    /// Parses a `MATNET_KERNEL` value.
    pub fn from_name(name: &str) -> Option<KernelKind> {
        KernelKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// True if this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            KernelKind::Portable => true,
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernels this CPU can run, fastest first.
    pub fn supported() -> Vec<KernelKind> {
        KernelKind::ALL
            .into_iter()
            .filter(|k| k.is_supported())
            .collect()
    }

    /// The fastest kernel this CPU supports.
    pub fn best() -> KernelKind {
        KernelKind::supported()[0]
    }
}

impl fmt::Display for KernelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs a plain loop compiled for the selected instruction set: defines
/// `fn $name($params) -> $ret { $body }` once per instruction set, each
/// with that set's `#[target_feature]`s (so that LLVM vectorizes the body
/// for it), and calls the copy for `$kind` (a [`KernelKind`] the CPU
/// supports) with `$args`.
///
/// ```ignore
/// with_target_features!(kind, fn exp_all(xs: &mut [f32]) { exp_loop(xs) }, (xs))
/// ```
macro_rules! with_target_features {
    ($kind:expr,
     fn $name:ident $(<$($g:ident: $bound:path),*>)? ($($param:ident: $ty:ty),* $(,)?)
        $(-> $ret:ty)? $body:block,
     ($($arg:expr),* $(,)?)) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        fn avx512 $(<$($g: $bound),*>)? ($($param: $ty),*) $(-> $ret)? $body
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn avx2 $(<$($g: $bound),*>)? ($($param: $ty),*) $(-> $ret)? $body
        #[inline(always)]
        fn $name $(<$($g: $bound),*>)? ($($param: $ty),*) $(-> $ret)? $body
        match $kind {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller passes a kernel this CPU supports.
            $crate::arch::KernelKind::Avx512 => unsafe { avx512($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            $crate::arch::KernelKind::Avx2 => unsafe { avx2($($arg),*) },
            // Never selected off x86-64 (not supported there).
            #[cfg(not(target_arch = "x86_64"))]
            $crate::arch::KernelKind::Avx512 | $crate::arch::KernelKind::Avx2 => $name($($arg),*),
            $crate::arch::KernelKind::Portable => $name($($arg),*),
        }
    }};
}
pub(crate) use with_target_features;

/// The kernels of one instruction set for element type `T`, one per family.
pub(crate) trait Kernels<T: Scalar>: 'static {
    /// The `MATNET_KERNEL` value that selects these kernels.
    const KIND: KernelKind;
    /// The BLIS micro-kernel of general products (`gemm/kernel.rs`).
    type Gemm: Kernel<T>;
    /// A taller, one-vector-wide micro-kernel for C with at most one
    /// vector of columns; meaningful only if [`HAS_NARROW`](Kernels::HAS_NARROW).
    type Narrow: Kernel<T>;
    /// False where [`Narrow`](Kernels::Narrow) would be no better than
    /// [`Gemm`](Kernels::Gemm): the planner then never picks it.
    const HAS_NARROW: bool;
    /// The dot-product kernel of row-major A times a skinny B (`gemm/skinny.rs`).
    type Dot: SkinnyKernel<T>;
    /// The one-row kernel (`gemm/vector.rs`).
    type Vector: VectorKernel<T>;
    /// The sparse times dense kernel and its transpose fill (`sparse/`).
    type Sparse: SparseKernel<T>;
    /// The out-of-place transpose (`transpose.rs`).
    type Transpose: TransposeKernel<T>;
}

/// `Kernels` for an instruction set's marker type `$isa` whose module
/// defines the six kernel types under the names `Gemm`, `Narrow`, `Dot`,
/// `Vector`, `Sparse` and `Transpose` (the `*_kernel!` instantiations),
/// with a narrow tile; `KernelKind::$isa` selects them.
macro_rules! simd_isa {
    ($isa:ident) => {
        impl<T: $crate::Scalar> $crate::arch::isa::Kernels<T> for $isa
        where
            Gemm: $crate::gemm::kernel::Kernel<T>,
            Narrow: $crate::gemm::kernel::Kernel<T>,
            Dot: $crate::gemm::skinny::SkinnyKernel<T>,
            Vector: $crate::gemm::vector::VectorKernel<T>,
            Sparse: $crate::sparse::SparseKernel<T>,
            Transpose: $crate::transpose::TransposeKernel<T>,
        {
            const KIND: $crate::arch::KernelKind = $crate::arch::KernelKind::$isa;
            type Gemm = Gemm;
            type Narrow = Narrow;
            const HAS_NARROW: bool = true;
            type Dot = Dot;
            type Vector = Vector;
            type Sparse = Sparse;
            type Transpose = Transpose;
        }
    };
}
pub(crate) use simd_isa;

/// An instruction set: [`Kernels`] for both element types that compute.
pub(crate) trait Isa: Kernels<f32> + Kernels<f64> {}
impl<I: Kernels<f32> + Kernels<f64>> Isa for I {}

/// Work that needs to know the kernels: [`with_kernels`] calls `run` with
/// the marker type of the selected instruction set.
pub(crate) trait WithKernels<T: Scalar> {
    /// What the work returns.
    type Output;
    /// Does the work with the kernels `K`.
    fn run<K: Kernels<T>>(self) -> Self::Output;
}

/// Runs `work` with the kernels of `kind` for element type `T`.
///
/// Off x86-64, `Avx512` and `Avx2` are never supported (so never passed
/// here by the callers, which check support first); they map to the
/// portable kernels so that the match needs no catch-all.
pub(crate) fn with_kernels<T: Scalar, W: WithKernels<T>>(kind: KernelKind, work: W) -> W::Output {
    match kind {
        #[cfg(target_arch = "x86_64")]
        KernelKind::Avx512 => T::with_isa::<super::avx512::Avx512, W>(work),
        #[cfg(target_arch = "x86_64")]
        KernelKind::Avx2 => T::with_isa::<super::avx2::Avx2, W>(work),
        #[cfg(not(target_arch = "x86_64"))]
        KernelKind::Avx512 | KernelKind::Avx2 => T::with_isa::<super::portable::Portable, W>(work),
        KernelKind::Portable => T::with_isa::<super::portable::Portable, W>(work),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind whose kernels `with_kernels` ran.
    struct Kind;
    impl<T: Scalar> WithKernels<T> for Kind {
        type Output = KernelKind;
        fn run<K: Kernels<T>>(self) -> KernelKind {
            K::KIND
        }
    }

    /// Every kind reaches its own kernels (the marker's `KIND` is the kind
    /// asked for), for both element types.
    #[test]
    fn every_supported_kind_dispatches_to_its_own_kernels() {
        for kind in KernelKind::supported() {
            assert_eq!(with_kernels::<f32, _>(kind, Kind), kind);
            assert_eq!(with_kernels::<f64, _>(kind, Kind), kind);
        }
    }
}
