//! The crate's only contact with a thread pool.
//!
//! With the `parallel` feature (the default) these are rayon's current
//! pool size and a parallel loop over parts; without it the crate has no
//! rayon dependency, `current_num_threads` is 1 and the loop runs the parts
//! in order on the calling thread. Every caller splits work only into
//! disjoint parts of the output, never the reduction dimension, so both give
//! bitwise the same results.

/// Threads the work may be split over: the current rayon pool's size, or 1
/// without the `parallel` feature.
#[inline]
pub(crate) fn current_num_threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Runs `f(t)` for every part `t` in `0..parts`: on the rayon pool with the
/// `parallel` feature, in order on the calling thread without it.
#[inline]
pub(crate) fn for_each_part(parts: usize, f: impl Fn(usize) + Send + Sync) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..parts).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..parts).for_each(f);
    }
}

/// Makes this thread's SSE arithmetic flush denormal (subnormal) results
/// to zero and read denormal inputs as zero (`true`), or follow IEEE 754
/// (`false`, every thread's default). Returns whether the CPU has the
/// switch (x86-64; elsewhere this does nothing and returns `false`).
///
/// Why: training drives some gradients and optimizer states below
/// `f32::MIN_POSITIVE`, and arithmetic on such numbers takes tens to
/// hundreds of cycles on x86 where normal numbers take one; PyTorch offers
/// the same switch (`torch.set_flush_denormal`). Only numbers under about
/// 1.2e-38 are affected. The mode is per thread: a program sets it on
/// every thread that computes (rayon's `start_handler` does it for a
/// pool), or results can differ in their last bits between threads.
///
/// ```
/// let had = matrix::flush_denormals(true);
/// let tiny = std::hint::black_box(1e-39f32);
/// if had {
///     assert_eq!(tiny * 1.0, 0.0);
/// }
/// matrix::flush_denormals(false);
/// assert_eq!(tiny * 1.0, 1e-39);
/// ```
pub fn flush_denormals(on: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
        const FTZ_DAZ: u32 = 0x8040;
        let mut csr = 0u32;
        // SAFETY: STMXCSR stores this thread's SSE control and status
        // register (present on every x86-64 CPU) into `csr`, a local the
        // pointer is valid for.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack)) };
        csr = if on { csr | FTZ_DAZ } else { csr & !FTZ_DAZ };
        // SAFETY: LDMXCSR loads it back with only FTZ and DAZ changed: both
        // are defined on every x86-64 CPU with SSE2 and change nothing but
        // how numbers below the normal range are produced and read.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly)) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = on;
        false
    }
}
