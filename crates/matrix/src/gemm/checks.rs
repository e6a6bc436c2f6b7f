//! The packing workspace a plan sizes from the caller's numbers, in
//! checked arithmetic (after `plan.rs` has checked each
//! [`PlanChoices`](super::PlanChoices) field by its rule), so that no
//! choice becomes an overflow, a buffer smaller than what is packed into
//! it, or an abort when the allocator refuses.

use super::plan::{refuse, PartPlan, Plan};
use super::problem::Problem;
use crate::MatrixError;

/// The most k rows a kernel packs together (`K_GROUP`: 32 for the AMX
/// kernel's chunks, 2 for the bf16 pair kernel, 1 otherwise): the
/// workspace bound rounds k up to it.
const MAX_K_GROUP: usize = 32;

/// Elements of packed B (one block, or all of B) and of packed A for one
/// part of `m x n` over k `k` with `pp`'s blocks, k rounded up to `k_group`,
/// each rounded up to `line` elements (a cache line); `None` on overflow.
/// The driver sizes its regions with this, and the planner checks it with
/// the largest `k_group` and `line` first, so the driver's never overflows.
pub(crate) fn pack_elems(
    (m, k, n): (usize, usize, usize),
    pp: &PartPlan,
    (mr, nr): (usize, usize),
    k_group: usize,
    line: usize,
) -> Option<(usize, usize)> {
    let kc = pp.kc.min(k).checked_next_multiple_of(k_group)?;
    let b = if pp.whole_b {
        let kp = k.checked_next_multiple_of(k_group)?;
        n.div_ceil(nr).checked_mul(nr)?.checked_mul(kp)?
    } else {
        pp.nc.min(n).div_ceil(nr).checked_mul(nr)?.checked_mul(kc)?
    };
    let a = (pp.mc / mr)
        .min(m.div_ceil(mr))
        .checked_mul(mr)?
        .checked_mul(kc)?;
    Some((
        b.checked_next_multiple_of(line)?,
        a.checked_next_multiple_of(line)?,
    ))
}

impl Plan {
    /// Reserves the plan's packing workspace on the calling thread.
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] when the allocator refuses it (a forced
    /// whole B larger than this machine's memory, say), instead of the
    /// abort an allocation failure inside the loops would be.
    pub(crate) fn reserve_workspace(&self) -> Result<(), MatrixError> {
        if crate::arch::try_reserve_workspace(self.workspace_bytes) {
            Ok(())
        } else {
            Err(refuse(format!(
                "the packing workspace of {} bytes this plan needs cannot be allocated",
                self.workspace_bytes
            )))
        }
    }

    /// The packing workspace of every part together, in bytes of `size`
    /// (the widest element packed), as the driver lays it out: parts times
    /// the largest part's region.
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] when it overflows `usize` or exceeds
    /// `isize::MAX` bytes (what an allocation can be): forced blocks or a
    /// whole B of broadcast operands larger than any memory.
    pub(crate) fn blis_workspace_bytes<T: Copy, I>(
        &self,
        p: &Problem<T, I>,
        size: usize,
    ) -> Result<usize, MatrixError> {
        let tile = (self.shape.mr, self.shape.nr);
        let mut region = 0usize;
        for t in 0..self.parts {
            let part = self.part(p, t);
            let pp = self.part_plan(&part)?;
            let elems = pack_elems((part.m, part.k, part.n), &pp, tile, MAX_K_GROUP, 64)
                .and_then(|(b, a)| b.checked_add(a));
            region = region.max(elems.ok_or_else(|| too_large(p))?);
        }
        region
            .checked_mul(self.parts)
            .and_then(|e| e.checked_mul(size.max(std::mem::size_of::<f32>())))
            .filter(|&bytes| bytes <= isize::MAX as usize)
            .ok_or_else(|| too_large(p))
    }
}

fn too_large<T, I>(p: &Problem<T, I>) -> MatrixError {
    refuse(format!(
        "the packing workspace of a {}x{}x{} product with these blocks overflows the address space",
        p.m, p.k, p.n
    ))
}
