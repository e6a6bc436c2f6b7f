//! Dropout: in training, each element is zeroed with probability `p` and
//! the rest scaled by `1 / (1 - p)` (inverted dropout, as PyTorch's
//! `Dropout(p)`), so that evaluation, where the layer passes its input
//! through, needs no rescaling. No parameters.
//!
//! The mask is not stored: element `i` of a batch's flattened output is
//! kept when a hash of `(seed, i)` lands above `p`, and the backward pass
//! draws the same mask again from the same seed. The network gives each
//! layer a seed per training step (from its own seed, the step count and
//! the layer's index), so a run is reproducible from its seed and the mask
//! does not depend on the number of threads.

use matrix::{MatrixView, MatrixViewMut, Scalar};
use rayon::prelude::*;

use super::dense::DenseInput;
use super::{Layer, Pass};
use crate::error::NnError;

/// The layer's token in the architecture string: `dropout:<p>`.
pub(crate) fn token(d: Dropout) -> String {
    format!("dropout:{}", d.p)
}

/// Parses [`token`]'s form; `None` if the token is not this layer's.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    let ["dropout", rest @ ..] = fields else {
        return None;
    };
    Some(match rest {
        [p] => p
            .parse::<f64>()
            .map_err(|_| format!("bad dropout layer '{}'", fields.join(":")))
            .and_then(Dropout::new)
            .map(Layer::Dropout),
        _ => Err(format!(
            "bad dropout layer '{}' (expected dropout:<p>)",
            fields.join(":")
        )),
    })
}

/// A dropout layer's probability of zeroing an element, in `[0, 1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    p: f64,
}

// `p` is never NaN (`new` refuses it), so equality is an equivalence.
impl Eq for Dropout {}

impl Dropout {
    /// A dropout layer zeroing each element with probability `p`.
    ///
    /// # Errors
    /// If `p` is not in `[0, 1)` (1 would zero everything and divide by 0).
    pub fn new(p: f64) -> Result<Dropout, String> {
        if (0.0..1.0).contains(&p) {
            Ok(Dropout { p })
        } else {
            Err(format!("dropout probability must be in [0, 1), got {p}"))
        }
    }

    /// The probability of zeroing an element.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The shape rule: the output is as wide as the input.
    pub(crate) fn output_width(&self, l: usize, input: usize) -> Result<usize, NnError> {
        if input == 0 {
            return Err(NnError::Architecture(format!(
                "layer {l}: Dropout has no inputs"
            )));
        }
        Ok(input)
    }

    /// `dropout0.25`.
    pub(crate) fn describe(&self) -> String {
        format!("dropout{}", self.p)
    }

    /// The multiplier of element `index` in the step whose seed is `seed`:
    /// 0 with probability `p`, else `1 / (1 - p)`.
    #[inline]
    fn factor<T: Scalar>(&self, seed: u64, index: usize, scale: T) -> T {
        let threshold = (self.p * 2f64.powi(64)) as u64;
        if mix(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >= threshold {
            scale
        } else {
            T::ZERO
        }
    }

    /// `to = from` times the mask (in training) or `from` itself (in
    /// inference), a few rows per task; the forward and the backward pass.
    fn apply<T: Scalar>(&self, pass: Pass, from: &[T], to: &mut [T], width: usize) {
        let scale = T::from_f64(1.0 / (1.0 - self.p));
        to.par_chunks_mut(width * ROWS_PER_TASK)
            .zip(from.par_chunks(width * ROWS_PER_TASK))
            .enumerate()
            .for_each(|(task, (to, from))| match pass {
                Pass::Infer => to.copy_from_slice(from),
                Pass::Train { seed } => {
                    let first = task * width * ROWS_PER_TASK;
                    for (i, (t, &f)) in to.iter_mut().zip(from).enumerate() {
                        *t = f * self.factor(seed, first + i, scale);
                    }
                }
            });
    }

    /// The forward pass over a batch (contiguous rows).
    pub(crate) fn forward<T: Scalar>(
        &self,
        pass: Pass,
        x: DenseInput<'_, T>,
        mut y: MatrixViewMut<'_, T>,
    ) {
        let contiguous = "a dropout layer's buffers are contiguous";
        let width = y.cols().max(1);
        let x = x.dense().and_then(|x| x.as_slice()).expect(contiguous);
        self.apply(pass, x, y.as_mut_slice().expect(contiguous), width);
    }

    /// The backward pass: `dx = dy` times the forward pass's mask.
    pub(crate) fn backward<T: Scalar>(
        &self,
        pass: Pass,
        dy: MatrixView<'_, T>,
        dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let Some(mut dx) = dx else { return };
        let contiguous = "a dropout layer's gradients are contiguous";
        let width = dy.cols().max(1);
        let dy = dy.as_slice().expect(contiguous);
        self.apply(pass, dy, dx.as_mut_slice().expect(contiguous), width);
    }
}

/// Rows per rayon task.
const ROWS_PER_TASK: usize = 16;

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `z`.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix::Matrix;

    /// In training about `p` of the elements are zeroed and the rest scaled
    /// by `1 / (1 - p)`; the backward pass uses the same mask; another seed
    /// draws another mask; inference passes everything through.
    #[test]
    fn masks_scale_and_repeat_by_seed() {
        let d = Dropout::new(0.25).unwrap();
        let (rows, cols) = (100, 300);
        let x = Matrix::from_fn(rows, cols, |i, j| 1.0 + (i * cols + j) as f64);
        let mut y = Matrix::zeros(rows, cols);
        let train = Pass::Train { seed: 42 };
        d.forward(train, DenseInput::Dense(x.view()), y.view_mut());
        let zeros = y.as_slice().iter().filter(|&&v| v == 0.0).count();
        let fraction = zeros as f64 / (rows * cols) as f64;
        // 30,000 draws: 4 standard deviations is 0.01.
        assert!((fraction - 0.25).abs() < 0.01, "{fraction}");
        for (&v, &x) in y.as_slice().iter().zip(x.as_slice()) {
            assert!(v == 0.0 || v == x * (1.0 / 0.75));
        }
        let ones = Matrix::from_fn(rows, cols, |_, _| 1.0);
        let mut dx = Matrix::zeros(rows, cols);
        d.backward(train, ones.view(), Some(dx.view_mut()));
        for ((&g, &v), &x) in dx.as_slice().iter().zip(y.as_slice()).zip(x.as_slice()) {
            assert_eq!(g * x, v, "the backward mask is the forward one");
        }
        let mut other = Matrix::zeros(rows, cols);
        d.forward(
            Pass::Train { seed: 43 },
            DenseInput::Dense(x.view()),
            other.view_mut(),
        );
        assert_ne!(other.as_slice(), y.as_slice());
        d.forward(Pass::Infer, DenseInput::Dense(x.view()), y.view_mut());
        assert_eq!(y.as_slice(), x.as_slice());
    }

    #[test]
    fn probabilities_outside_zero_to_one_are_refused() {
        for p in [-0.1, 1.0, f64::NAN, f64::INFINITY] {
            assert!(Dropout::new(p).is_err(), "{p}");
        }
        assert_eq!(
            Layer::parse("dropout:0.5"),
            Ok(Layer::Dropout(Dropout::new(0.5).unwrap()))
        );
        assert!(Layer::parse("dropout:2").is_err());
        assert!(Layer::parse("dropout:x").is_err());
    }
}
