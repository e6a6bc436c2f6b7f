//! The softmax layer: each row of the output is `e^x / sum(e^x)` of the
//! same row of the input ([`matrix::ops::softmax_rows`]), and its backward
//! pass is the softmax Jacobian applied to the output's gradient. No
//! parameters. Where it ends a classifier trained with cross-entropy, the
//! loss fuses both passes ([`crate::loss`]) and these run only for gradient
//! checks and plain forward passes.

use matrix::{ops, MatrixView, MatrixViewMut, Scalar};

use super::dense::DenseInput;
use super::Layer;

/// The layer's token in the architecture string.
pub(crate) const TOKEN: &str = "softmax";

/// Parses [`TOKEN`]; `None` for another token.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    (fields == [TOKEN]).then_some(Ok(Layer::Softmax))
}

/// `y = softmax(x)`, row by row.
pub(crate) fn forward<T: Scalar>(x: DenseInput<'_, T>, mut y: MatrixViewMut<'_, T>) {
    y.copy_from(x.dense().expect("a softmax reads the buffer before it"));
    ops::softmax_rows(y);
}

/// `dx` from the output `y` and its gradient `dy` (all contiguous).
pub(crate) fn backward<T: Scalar>(
    y: MatrixView<'_, T>,
    dy: MatrixView<'_, T>,
    dx: Option<MatrixViewMut<'_, T>>,
) {
    let Some(mut dx) = dx else { return };
    let width = y.cols();
    let contiguous = "a softmax's buffers are contiguous";
    let (y, dy) = (
        y.as_slice().expect(contiguous),
        dy.as_slice().expect(contiguous),
    );
    softmax_backward(y, dy, dx.as_mut_slice().expect(contiguous), width);
}

/// Softmax's backward over rows of `width`, from the forward output `y`:
/// `dx_i = y_i (dy_i - sum_j dy_j y_j)`, the softmax Jacobian applied to `dy`.
pub fn softmax_backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T], width: usize) {
    debug_assert!(y.len() == dy.len() && y.len() == dx.len());
    let rows = y.chunks_exact(width).zip(dy.chunks_exact(width));
    for ((y, dy), dx) in rows.zip(dx.chunks_exact_mut(width)) {
        let dot: T = y.iter().zip(dy).map(|(&a, &b)| a * b).sum();
        for ((d, &yi), &gi) in dx.iter_mut().zip(y).zip(dy) {
            *d = yi * (gi - dot);
        }
    }
}
