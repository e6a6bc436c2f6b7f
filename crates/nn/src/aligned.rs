//! Parameter-sized buffers whose first element starts a cache line.
//!
//! A first layer's products read and write its weights (and the optimizer's
//! velocity) in row pieces of one cache line, 16 f32: the sparse kernels'
//! column blocks on AVX2. Rows of a 64-byte-aligned buffer (a width that is
//! a multiple of 16 keeps every row aligned) touch one line per piece
//! instead of two, which halves the lines a product pulls through L1 and the
//! prefetches it needs. The allocator guarantees only 16 bytes, so the
//! buffer is over-allocated by a line and starts at the first boundary in it.

use std::ops::{Deref, DerefMut};

use crate::error::{try_filled_vec, NnError};

/// The cache line size the buffers are aligned to.
pub(crate) const LINE_BYTES: usize = 64;

/// Elements starting at a [`LINE_BYTES`] boundary (when the element size
/// divides it), read and written as a slice: `data[start..]`. Never
/// reallocated.
pub(crate) struct LineAligned<T> {
    data: Vec<T>,
    start: usize,
}

impl<T: Clone> LineAligned<T> {
    /// `count` copies of `value`, or [`NnError::OutOfMemory`] naming `what`.
    pub(crate) fn try_filled(count: usize, value: T, what: &str) -> Result<Self, NnError> {
        let pad = LINE_BYTES / std::mem::size_of::<T>().max(1);
        let padded = count
            .checked_add(pad)
            .ok_or_else(|| NnError::out_of_memory::<T>(what, count))?;
        let mut data = try_filled_vec(padded, value, what)?;
        // align_offset is in elements; it cannot exceed `pad` when the
        // element size divides the line (usize::MAX, or more, otherwise:
        // then the buffer simply starts unaligned).
        let start = data.as_ptr().align_offset(LINE_BYTES).min(pad);
        // The padding after the elements is dropped (the capacity stays).
        data.truncate(start + count);
        Ok(LineAligned { data, start })
    }
}

impl<T> Deref for LineAligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.data[self.start..]
    }
}

impl<T> DerefMut for LineAligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.data[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_line_and_holds_exactly_count() {
        for count in [0, 1, 15, 16, 1000] {
            let mut f = LineAligned::try_filled(count, 1.5f32, "test").unwrap();
            assert_eq!(f.len(), count);
            assert!(f.iter().all(|&x| x == 1.5));
            assert_eq!(f.as_ptr() as usize % LINE_BYTES, 0, "f32 x {count}");
            f.fill(2.0);
            let d = LineAligned::try_filled(count, 0.0f64, "test").unwrap();
            assert_eq!(d.as_ptr() as usize % LINE_BYTES, 0, "f64 x {count}");
        }
    }

    /// What the first layer's kernels rely on: the weights (the forward's
    /// B, and with the velocity the fused step's W and V; the velocity is
    /// checked in `optim`'s tests) and their gradients.
    #[test]
    fn a_networks_buffers_start_on_a_line() {
        use crate::network::{Init, Network};
        use crate::{activation::Activation, loss::Loss};
        use rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(0);
        let mut net = Network::<f32>::mlp(
            784,
            &[100],
            Activation::Relu,
            10,
            Loss::SoftmaxCrossEntropy,
            Init::Auto,
            &mut rng,
        )
        .unwrap();
        assert_eq!(net.params().as_ptr() as usize % LINE_BYTES, 0);
        assert_eq!(net.grads().as_ptr() as usize % LINE_BYTES, 0);
        assert_eq!(net.params_mut().as_ptr() as usize % LINE_BYTES, 0);
    }

    #[test]
    fn an_impossible_size_is_an_error() {
        assert!(LineAligned::try_filled(usize::MAX, 0u8, "test").is_err());
        assert!(LineAligned::try_filled(usize::MAX / 8, 0.0f64, "test").is_err());
    }
}
