//! The thread pool the examples train on.

/// Starts rayon's global pool with `threads` threads (`None`: rayon's
/// default, `RAYON_NUM_THREADS` or one per core), every thread of it and the
/// calling thread flushing denormal numbers to zero
/// ([`matrix::flush_denormals`]): training pushes some gradients below the
/// normal range, where x86 arithmetic is many times slower, and every
/// thread must round alike for results to be the same on any number of
/// threads.
///
/// # Errors
/// A thread count outside `1..=1024`, or a pool that cannot start (or was
/// started before).
pub fn start_pool(threads: Option<usize>) -> Result<(), String> {
    if let Some(t) = threads {
        if t == 0 || t > 1024 {
            return Err(format!("--threads {t}: expected 1..=1024"));
        }
    }
    matrix::flush_denormals(true);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .start_handler(|_| {
            matrix::flush_denormals(true);
        })
        .build_global()
        .map_err(|e| match threads {
            Some(t) => format!("cannot start {t} threads: {e}"),
            None => format!("cannot start the thread pool: {e}"),
        })
}
