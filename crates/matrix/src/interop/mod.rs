//! Conversions to and from other crates, each behind its crate feature:
//! `serde` (`with_serde.rs`), `ndarray` (`with_ndarray.rs`) and `nalgebra`
//! (`with_nalgebra.rs`).
//!
//! Views convert without copying wherever the other crate's layout is a
//! pair of non-negative element strides, as both crates' views are; owned
//! matrices move their buffer where the order agrees (ndarray's standard
//! layout) and copy where it does not (nalgebra's column-major storage).

#[cfg(feature = "nalgebra")]
mod with_nalgebra;
#[cfg(feature = "ndarray")]
mod with_ndarray;
#[cfg(feature = "serde")]
mod with_serde;

/// The strides of a view in another crate as ours: a dimension of length 0
/// or 1 never steps along its stride, so it becomes 0 whatever it was
/// (negative included); `None` if a longer dimension's stride is negative.
#[cfg(any(feature = "ndarray", feature = "nalgebra"))]
pub(crate) fn strides(rows: usize, cols: usize, rs: isize, cs: isize) -> Option<(usize, usize)> {
    if rows == 0 || cols == 0 {
        return Some((0, 0));
    }
    let one = |len: usize, s: isize| {
        if len <= 1 {
            Some(0)
        } else {
            usize::try_from(s).ok()
        }
    };
    Some((one(rows, rs)?, one(cols, cs)?))
}
