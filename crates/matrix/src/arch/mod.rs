//! The instruction-set layer that every kernel family stands on, the same
//! for gemm, the sparse product, transpose and `exp`:
//!
//! - [`select`]: which instruction set runs ([`KernelKind`], detected once,
//!   `MATNET_KERNEL` to force one);
//! - [`simd`]: the vector operations kernels are written in ([`Simd`]),
//!   implemented once per instruction set in `avx512.rs`, `avx2.rs` and
//!   `portable.rs` (which also serves every non-x86 target);
//! - [`workspace`]: the reused, aligned scratch memory of the calling thread;
//! - [`threads`]: the thread pool (rayon with the `parallel` feature, the
//!   calling thread alone without it);
//! - [`Shared`]: how raw pointers into disjoint parts of an output cross
//!   into rayon tasks;
//! - [`with_target_features!`]: how a plain loop is compiled once per
//!   instruction set and the selected copy run.
//!
//! Each kernel family instantiates its generic body per instruction set
//! next to that body (`gemm/kernel.rs`, `gemm/skinny.rs`, `sparse/mod.rs`,
//! `transpose.rs`), and the element type routes a call to them
//! (`scalar.rs`).

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;
pub(crate) mod select;
pub(crate) mod simd;
pub(crate) mod threads;
pub(crate) mod workspace;

pub(crate) use select::kernel_in_use;
pub use select::{selected_kernel, KernelError, KernelKind};
pub(crate) use simd::{load_lanes, prefetch, store_lanes, Simd};
pub(crate) use workspace::{whole_lines, with_workspace};

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
            _ => $name($($arg),*),
        }
    }};
}
pub(crate) use with_target_features;
