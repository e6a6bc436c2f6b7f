//! Borrowed matrices with arbitrary row and column strides.
//!
//! Element `(i, j)` of a view lives at `ptr + i * row_stride + j * col_stride`.
//! A row-major matrix has strides `(cols, 1)`; its transpose is the same
//! memory with the strides swapped, which is why [`MatrixView::t`] is free.
//!
//! - `shared.rs`: [`MatrixView`], read-only and `Copy`;
//! - `mutable.rs`: [`MatrixViewMut`], exclusive, with the splits and
//!   in-place writes;
//! - this file: the layout checks both constructors run (fits the buffer,
//!   no two elements share memory, a block fits the view), the index panic
//!   they share, and the conversions between matrices and views.
//!
//! The two view types are separate files because each carries its own
//! `unsafe` reasoning (shared reads against exclusive writes); the checks
//! here are the safe part those `// SAFETY:` comments rely on.

mod mutable;
mod shared;

pub use mutable::MatrixViewMut;
pub use shared::MatrixView;

use crate::error::{dims, MatrixError};
use crate::{Element, Matrix};

/// Largest offset a `rows x cols` layout with these strides touches, plus one.
/// `None` if it overflows `usize`.
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    (rows - 1)
        .checked_mul(rs)?
        .checked_add((cols - 1).checked_mul(cs)?)?
        .checked_add(1)
}

fn check_layout(
    len: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
) -> Result<(), MatrixError> {
    match extent(rows, cols, rs, cs) {
        Some(e) if e <= len => Ok(()),
        _ => Err(MatrixError::InvalidStrides {
            detail: format!(
                "a {} view with strides ({rs}, {cs}) does not fit in a buffer of {len} elements",
                dims(rows, cols)
            ),
        }),
    }
}

/// True if no two `(i, j)` of a `rows x cols` layout map to the same offset.
///
/// A dimension of length 1 never steps along its stride, so only the other
/// stride matters, and it must be nonzero. With both dimensions longer than 1
/// the layout is accepted when one dimension's whole extent fits inside one
/// step of the other (the nested layouts: row-major, column-major, and their
/// padded and transposed forms). That test is sufficient, not necessary:
/// interleaved layouts such as strides `(3, 2)` on a 2 x 2 view do not overlap
/// but are refused too, which costs nothing that a safe API needs.
pub(crate) fn non_aliasing(rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    match (rows, cols) {
        (0, _) | (_, 0) | (1, 1) => true,
        (_, 1) => rs > 0,
        (1, _) => cs > 0,
        _ => (cs > 0 && rs >= cols.saturating_mul(cs)) || (rs > 0 && cs >= rows.saturating_mul(rs)),
    }
}

fn check_block(
    rows: usize,
    cols: usize,
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
) -> Result<(), MatrixError> {
    let fits_r = r0.checked_add(nr).is_some_and(|e| e <= rows);
    let fits_c = c0.checked_add(nc).is_some_and(|e| e <= cols);
    if fits_r && fits_c {
        Ok(())
    } else {
        Err(MatrixError::OutOfBounds {
            detail: format!(
                "block of {} at ({r0}, {c0}) in a {} matrix",
                dims(nr, nc),
                dims(rows, cols)
            ),
        })
    }
}

impl<'a, T: Element> From<&'a Matrix<T>> for MatrixView<'a, T> {
    fn from(m: &'a Matrix<T>) -> Self {
        m.view()
    }
}

impl<'a, T: Element> From<&'a mut Matrix<T>> for MatrixView<'a, T> {
    fn from(m: &'a mut Matrix<T>) -> Self {
        m.view()
    }
}

impl<'a, T: Element> From<&'a mut Matrix<T>> for MatrixViewMut<'a, T> {
    fn from(m: &'a mut Matrix<T>) -> Self {
        m.view_mut()
    }
}

impl<'a, T: Element> From<MatrixViewMut<'a, T>> for MatrixView<'a, T> {
    fn from(m: MatrixViewMut<'a, T>) -> Self {
        m.into_view()
    }
}

impl<'a, 'b, T: Element> From<&'b MatrixViewMut<'a, T>> for MatrixView<'b, T> {
    fn from(m: &'b MatrixViewMut<'a, T>) -> Self {
        m.rb()
    }
}

impl<'a, 'b, T: Element> From<&'b mut MatrixViewMut<'a, T>> for MatrixViewMut<'b, T> {
    fn from(m: &'b mut MatrixViewMut<'a, T>) -> Self {
        m.rb_mut()
    }
}

#[cold]
#[track_caller]
fn index_out_of_bounds(i: usize, j: usize, shape: (usize, usize), what: &str) -> ! {
    panic!(
        "index ({i}, {j}) out of bounds for a {} {what}",
        dims(shape.0, shape.1)
    )
}
