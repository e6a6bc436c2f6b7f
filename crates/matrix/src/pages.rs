//! Transparent huge pages for large buffers.
//!
//! Linux maps anonymous memory in 4 KiB pages unless a region is advised
//! otherwise (`/sys/kernel/mm/transparent_hugepage/enabled` is `madvise` on
//! many systems). For gemm that matters twice: the packed blocks are sized
//! to fill a physically indexed L2, which random 4 KiB frames fill unevenly
//! (the same product's speed then varies by a third from one process to the
//! next, with its page placement); and a big operand's rows each sit on
//! their own page, so the TLB misses. numpy advises huge pages for every
//! array of 4 MiB or more; matnet does the same for its matrices and
//! packing workspace.

/// Buffers of at least this many bytes are advised (numpy's threshold).
pub(crate) const HUGE_MIN_BYTES: usize = 4 << 20;

/// The huge page size on x86-64 and most aarch64 kernels.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Asks the OS to back the whole huge pages inside `ptr..ptr + bytes` with
/// huge pages. Only pages not yet touched are affected, so call it before
/// filling the buffer. A hint: failure (or another OS) changes nothing.
pub(crate) fn advise_huge(ptr: *mut u8, bytes: usize) {
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        madvise_hugepage(start as *mut u8, end - start);
    }
}

#[cfg(target_os = "linux")]
fn madvise_hugepage(start: *mut u8, len: usize) {
    // Linux's `madvise(2)`, from the C library std already links; declared
    // here so that `matrix` needs no `libc` dependency.
    extern "C" {
        fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
    }
    const MADV_HUGEPAGE: i32 = 14;
    // SAFETY: start..start+len lies inside an allocation the caller owns
    // (rounded inward to page boundaries); MADV_HUGEPAGE changes how it is
    // paged, never its contents or validity. The result is ignored: a
    // kernel without THP answers EINVAL and nothing changes.
    unsafe { madvise(start, len, MADV_HUGEPAGE) };
}

#[cfg(not(target_os = "linux"))]
fn madvise_hugepage(_: *mut u8, _: usize) {}

/// An empty `Vec` with room for `len` elements, advised for huge pages when
/// it is [`HUGE_MIN_BYTES`] or more (before anything is written to it).
pub(crate) fn vec_with_capacity<T>(len: usize) -> Vec<T> {
    try_vec_with_capacity(len).unwrap_or_else(|_| {
        panic!(
            "cannot allocate {len} elements of {} bytes",
            std::mem::size_of::<T>()
        )
    })
}

/// [`vec_with_capacity`], or an error where the memory cannot be had (the
/// size overflows or the allocator refuses it) instead of an abort.
pub(crate) fn try_vec_with_capacity<T>(
    len: usize,
) -> Result<Vec<T>, std::collections::TryReserveError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)?;
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_MIN_BYTES {
        advise_huge(v.as_mut_ptr() as *mut u8, bytes);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_vectors_work_as_usual() {
        let mut v: Vec<f32> = vec_with_capacity(3 << 20);
        v.resize(3 << 20, 1.5);
        assert!(v.iter().all(|&x| x == 1.5));
        let small: Vec<f64> = vec_with_capacity(10);
        assert!(small.capacity() >= 10);
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        assert!(try_vec_with_capacity::<f32>(usize::MAX / 2).is_err());
        assert!(try_vec_with_capacity::<f64>(1 << 60).is_err());
    }
}
