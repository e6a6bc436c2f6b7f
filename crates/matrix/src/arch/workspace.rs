//! The reused, 64-byte aligned packing workspace, one per calling thread.
//!
//! A gemm call takes its calling thread's workspace, grows it to what the
//! call needs (packed B, and one packed-A region per worker) and carves it
//! into regions that it hands to its rayon tasks. Because the size depends
//! only on the shapes, and not on which worker happens to steal which part,
//! a loop of same-shaped calls from one thread (a training loop) stops
//! allocating after its first iteration. If the workspace is already in use
//! (a gemm inside a rayon task that this thread runs while waiting in another
//! gemm), a temporary one is used.

use std::alloc::Layout;
use std::cell::RefCell;

use crate::pages::{advise_huge, HUGE_PAGE};

/// Bytes in one cache line: the alignment of the workspace and of each region.
const LINE: usize = 64;
/// A growable byte buffer aligned to a cache line; from 1 MiB up, aligned
/// to a huge page and advised for huge pages (see `pages.rs`), so that the
/// packed blocks fill the caches evenly.
#[derive(Default)]
struct AlignedBuf {
    buf: Option<(std::ptr::NonNull<u8>, Layout)>,
}

impl AlignedBuf {
    fn ensure(&mut self, bytes: usize) -> *mut u8 {
        match self.try_ensure(bytes) {
            Ok(p) => p,
            Err(Some(layout)) => std::alloc::handle_alloc_error(layout),
            Err(None) => panic!("a workspace of {bytes} bytes overflows the address space"),
        }
    }

    /// [`ensure`](Self::ensure) that returns an allocation failure (with
    /// its layout, `None` if no layout has that size) instead of aborting.
    fn try_ensure(&mut self, bytes: usize) -> Result<*mut u8, Option<Layout>> {
        if let Some((p, layout)) = self.buf {
            if layout.size() >= bytes {
                return Ok(p.as_ptr());
            }
        }
        self.release();
        let huge = bytes >= HUGE_PAGE / 2;
        let align = if huge { HUGE_PAGE } else { LINE };
        let size = bytes.max(1).checked_next_multiple_of(align).ok_or(None)?;
        let layout = Layout::from_size_align(size, align).map_err(|_| None)?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        let p = std::ptr::NonNull::new(p).ok_or(Some(layout))?;
        if huge {
            advise_huge(p.as_ptr(), size);
        }
        self.buf = Some((p, layout));
        Ok(p.as_ptr())
    }

    fn release(&mut self) {
        if let Some((p, layout)) = self.buf.take() {
            // SAFETY: allocated above with exactly this layout.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        self.release();
    }
}

thread_local! {
    static WORKSPACE: RefCell<AlignedBuf> = RefCell::new(AlignedBuf::default());
}

/// `elems` rounded up to whole cache lines of `T`, so that regions carved
/// one after another from a workspace stay aligned and never share a line
/// (two workers writing neighbouring regions do not false-share).
pub(crate) fn whole_lines<T>(elems: usize) -> usize {
    let per_line = (LINE / std::mem::size_of::<T>()).max(1);
    elems.div_ceil(per_line) * per_line
}

/// Grows the calling thread's workspace to at least `bytes`, returning
/// whether it could: a product reserves what its plan needs before it
/// runs, so that memory it cannot have is an error instead of an abort
/// inside the loops. (In use already, by an outer product on this thread,
/// nothing is reserved: the inner product then takes a temporary buffer.)
pub(crate) fn try_reserve_workspace(bytes: usize) -> bool {
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => buf.try_ensure(bytes).is_ok(),
        Err(_) => true,
    })
}

/// Runs `f` with the calling thread's workspace: 64-byte aligned, at least
/// `elems` `T`s, contents unspecified.
pub(crate) fn with_workspace<T, R>(elems: usize, f: impl FnOnce(*mut T) -> R) -> R {
    let bytes = elems * std::mem::size_of::<T>();
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(buf.ensure(bytes) as *mut T),
        Err(_) => {
            let mut tmp = AlignedBuf::default();
            f(tmp.ensure(bytes) as *mut T)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_whole_lines() {
        assert_eq!(whole_lines::<f32>(0), 0);
        assert_eq!(whole_lines::<f32>(1), 16);
        assert_eq!(whole_lines::<f64>(9), 16);
        assert_eq!(whole_lines::<f64>(16), 16);
    }

    #[test]
    fn workspace_is_aligned_and_reused() {
        let first = with_workspace::<f32, _>(1000, |p| p as usize);
        assert_eq!(first % LINE, 0);
        let again = with_workspace::<f32, _>(500, |p| p as usize);
        assert_eq!(first, again, "a smaller request reuses the buffer");
        // Nested use gets a separate buffer instead of aliasing.
        with_workspace::<f32, _>(10, |outer| {
            with_workspace::<f32, _>(10, |inner| assert_ne!(outer, inner));
        });
    }
}
