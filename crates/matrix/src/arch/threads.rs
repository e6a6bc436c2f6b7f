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
