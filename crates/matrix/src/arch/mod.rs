//! The instruction-set layer that every kernel family stands on, the same
//! for gemm, the sparse product, transpose and `exp`:
//!
//! - [`select`]: which instruction set runs (a [`KernelKind`], detected once,
//!   `MATNET_KERNEL` to force one);
//! - one file per instruction set (`avx512.rs`, `avx2.rs`, `portable.rs`,
//!   which also serves every non-x86 target): its vector operations
//!   ([`Simd`], what the kernels are written in) and its instantiation of
//!   every kernel family (gemm, narrow gemm, dot, one-row, sparse,
//!   transpose) from the generic bodies beside each family's driver;
//! - [`isa`]: the instruction sets themselves ([`KernelKind`]: names and
//!   run-time detection) and dispatch from one to its kernels, in one place;
//! - [`workspace`]: the reused, aligned scratch memory of the calling thread;
//! - [`threads`]: the thread pool (rayon with the `parallel` feature, the
//!   calling thread alone without it);
//! - [`Shared`]: how raw pointers into disjoint parts of an output cross
//!   into rayon tasks;
//! - `with_target_features!` (in `isa.rs`): how a plain loop is compiled
//!   once per instruction set and the selected copy run.
//!
//! Adding an instruction set is a new file here (its [`Simd`] types, the
//! `*_kernel!` instantiations and its `Kernels` marker) with its `mod`
//! line below, and in `isa.rs` a variant of [`KernelKind`] with its name
//! and detection and its arm in the two matches there (`with_kernels` and
//! `with_target_features!`); no match on the kind has a catch-all, so the
//! compiler points at each.

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

pub(crate) use isa::with_target_features;
pub use isa::KernelKind;
pub(crate) use select::kernel_in_use;
pub use select::{selected_kernel, KernelError};
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
