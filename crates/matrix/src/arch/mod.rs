//! The instruction-set layer that every kernel family stands on, the same
//! for gemm, the sparse product, transpose and `exp`:
//!
//! - [`select`]: which instruction set runs ([`KernelKind`], detected once,
//!   `MATNET_KERNEL` to force one);
//! - one file per instruction set (`avx512.rs`, `avx2.rs`, `portable.rs`,
//!   which also serves every non-x86 target): its vector operations
//!   ([`Simd`], what the kernels are written in) and its instantiation of
//!   every kernel family (gemm, narrow gemm, dot, one-row, sparse,
//!   transpose) from the generic bodies beside each family's driver;
//! - [`isa`]: dispatch from a [`KernelKind`] to those kernels, in one place;
//! - [`workspace`]: the reused, aligned scratch memory of the calling thread;
//! - [`threads`]: the thread pool (rayon with the `parallel` feature, the
//!   calling thread alone without it);
//! - [`Shared`]: how raw pointers into disjoint parts of an output cross
//!   into rayon tasks;
//! - [`with_target_features!`]: how a plain loop is compiled once per
//!   instruction set and the selected copy run.
//!
//! Adding an instruction set is a new file here (its [`Simd`] types, the
//! `*_kernel!` instantiations and its `Kernels` marker), a variant of
//! [`KernelKind`] with its name and detection in `select.rs`, and its arm
//! in the two matches of this folder (`isa::with_kernels` and
//! [`with_target_features!`]); neither match has a catch-all, so the
//! compiler points at both.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod isa;
pub(crate) mod portable;
pub(crate) mod select;
pub(crate) mod simd;
pub(crate) mod threads;
pub(crate) mod workspace;

pub(crate) use select::kernel_in_use;
pub use select::{selected_kernel, KernelError, KernelKind};
pub(crate) use simd::{load_lanes, prefetch, store_lanes, Simd};
pub(crate) use workspace::{try_reserve_workspace, whole_lines, with_workspace};

/// Lets raw pointers cross into rayon tasks (the gemm driver, the skinny
/// and sparse kernels, transpose).
#[derive(Clone, Copy)]
pub(crate) struct Shared<P>(pub(crate) P);
// SAFETY: every user hands its tasks read-only inputs and disjoint parts of
// the output (C tiles, C rows, destination bands, workspace regions) that
// outlive the parallel section.
unsafe impl<P> Send for Shared<P> {}
impl<P: Copy> Shared<P> {
    /// By-value access, so closures capture the whole (Send) wrapper.
    pub(crate) fn get(self) -> P {
        self.0
    }
}
// SAFETY: as above.
unsafe impl<P> Sync for Shared<P> {}

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
