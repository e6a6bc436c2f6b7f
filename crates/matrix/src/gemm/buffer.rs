//! Reused, 64-byte aligned packing buffers, one pair per thread.
//!
//! A gemm call packs into the calling thread's buffer, which grows to the
//! largest block seen and is then reused: no allocation per call in steady
//! state. If the buffer is already in use (a gemm inside a rayon task that
//! this thread runs while waiting in another gemm), a temporary one is used.

use std::cell::RefCell;

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([u8; 64]);

/// A growable byte buffer aligned to a cache line.
#[derive(Default)]
pub(crate) struct AlignedBuf {
    lines: Vec<Line>,
}

impl AlignedBuf {
    fn ensure(&mut self, bytes: usize) -> *mut u8 {
        let lines = bytes.div_ceil(64);
        if self.lines.len() < lines {
            self.lines = vec![Line([0; 64]); lines];
        }
        self.lines.as_mut_ptr() as *mut u8
    }
}

/// Which of the thread's two buffers.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    /// Packed A blocks (one per worker).
    A,
    /// Packed B blocks (one per gemm call, shared by its workers).
    B,
}

thread_local! {
    static BUF_A: RefCell<AlignedBuf> = RefCell::new(AlignedBuf::default());
    static BUF_B: RefCell<AlignedBuf> = RefCell::new(AlignedBuf::default());
}

/// Runs `f` with a 64-byte aligned buffer of at least `elems` `T`s.
pub(crate) fn with_buffer<T, R>(slot: Slot, elems: usize, f: impl FnOnce(*mut T) -> R) -> R {
    let bytes = elems * std::mem::size_of::<T>();
    let key = match slot {
        Slot::A => &BUF_A,
        Slot::B => &BUF_B,
    };
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(buf.ensure(bytes) as *mut T),
        Err(_) => {
            let mut tmp = AlignedBuf::default();
            f(tmp.ensure(bytes) as *mut T)
        }
    })
}
