//! Input standardisation, `y = (x - mean) / std` elementwise with one mean
//! and one standard deviation for the whole input (torchvision's
//! `Normalize((0.1307,), (0.3081,))` for MNIST). No trained parameters: the
//! two numbers are part of the architecture, so a saved model carries the
//! preprocessing it was trained with, and `--load` and `--predict` apply
//! it without being told.

use matrix::{MatrixView, MatrixViewMut, Scalar};
use rayon::prelude::*;

use super::dense::{DenseInput, MAX_LAYER_WIDTH};
use super::Layer;
use crate::error::NnError;

/// The layer's token in the architecture string:
/// `normalize:<width>:<mean>:<std>`.
pub(crate) fn token(n: Normalize) -> String {
    format!("normalize:{}:{}:{}", n.width, n.mean, n.std)
}

/// Parses [`token`]'s form; `None` if the token is not this layer's.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    let ["normalize", rest @ ..] = fields else {
        return None;
    };
    let bad = || {
        format!(
            "bad normalize layer '{}' (expected normalize:<width>:<mean>:<std>)",
            fields.join(":")
        )
    };
    Some(match rest {
        [w, m, s] => match (w.parse(), m.parse(), s.parse()) {
            (Ok(width), Ok(mean), Ok(std)) => {
                Normalize::new(width, mean, std).map(Layer::Normalize)
            }
            _ => Err(bad()),
        },
        _ => Err(bad()),
    })
}

/// Standardisation of `width` inputs by one mean and standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalize {
    width: usize,
    mean: f64,
    std: f64,
}

// Neither number is ever NaN (`new` refuses it).
impl Eq for Normalize {}

impl Normalize {
    /// `(x - mean) / std` on rows `width` wide.
    ///
    /// # Errors
    /// If `mean` is not finite or `std` is not a positive finite number.
    pub fn new(width: usize, mean: f64, std: f64) -> Result<Normalize, String> {
        if !mean.is_finite() {
            return Err(format!("normalize: the mean must be a number, got {mean}"));
        }
        if !(std.is_finite() && std > 0.0) {
            return Err(format!(
                "normalize: the standard deviation must be a positive number, got {std}"
            ));
        }
        Ok(Normalize { width, mean, std })
    }

    /// Input (and output) width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The mean subtracted.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The standard deviation divided by.
    pub fn std(&self) -> f64 {
        self.std
    }

    /// The shape rule: `width` in, `width` out.
    pub(crate) fn output_width(&self, l: usize, input: usize) -> Result<usize, NnError> {
        let w = self.width;
        if w == 0 || w > MAX_LAYER_WIDTH {
            return Err(NnError::Architecture(format!(
                "layer {l}: Normalize of width {w}: expected 1..={MAX_LAYER_WIDTH}"
            )));
        }
        if input != w {
            return Err(NnError::Architecture(format!(
                "layer {l}: Normalize takes {w} inputs but the previous layer gives {input}"
            )));
        }
        Ok(w)
    }

    /// `norm(0.1307,0.3081)`.
    pub(crate) fn describe(&self) -> String {
        format!("norm({},{})", self.mean, self.std)
    }

    /// The forward pass: `y = (x - mean) * (1 / std)`, row by row.
    pub(crate) fn forward<T: Scalar>(&self, x: DenseInput<'_, T>, mut y: MatrixViewMut<'_, T>) {
        let x = x.dense().expect("a normalize layer reads a dense batch");
        let (mean, scale) = (T::from_f64(self.mean), T::from_f64(1.0 / self.std));
        let y = y.as_mut_slice().expect("a layer's output is contiguous");
        y.par_chunks_mut(self.width)
            .enumerate()
            .for_each(|(i, y)| match x.row(i) {
                Some(row) => {
                    for (y, &x) in y.iter_mut().zip(row) {
                        *y = (x - mean) * scale;
                    }
                }
                None => {
                    for (j, y) in y.iter_mut().enumerate() {
                        *y = (x[(i, j)] - mean) * scale;
                    }
                }
            });
    }

    /// The backward pass: `dx = dy / std`.
    pub(crate) fn backward<T: Scalar>(
        &self,
        dy: MatrixView<'_, T>,
        dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let Some(mut dx) = dx else { return };
        let scale = T::from_f64(1.0 / self.std);
        let contiguous = "a layer's gradients are contiguous";
        let dy = dy.as_slice().expect(contiguous);
        dx.as_mut_slice()
            .expect(contiguous)
            .par_chunks_mut(self.width)
            .zip(dy.par_chunks(self.width))
            .for_each(|(dx, dy)| {
                for (dx, &dy) in dx.iter_mut().zip(dy) {
                    *dx = dy * scale;
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix::Matrix;

    #[test]
    fn standardises_and_round_trips_its_token() {
        let n = Normalize::new(3, 0.5, 0.25).unwrap();
        let x = Matrix::from_vec(2, 3, vec![0.5, 1.0, 0.0, 0.75, 0.25, 1.5]);
        let mut y = Matrix::zeros(2, 3);
        n.forward(DenseInput::Dense(x.view()), y.view_mut());
        assert_eq!(y.as_slice(), &[0.0, 2.0, -2.0, 1.0, -1.0, 4.0]);
        let mut dx = Matrix::zeros(2, 3);
        n.backward(x.view(), Some(dx.view_mut()));
        assert_eq!(dx.as_slice(), &[2.0, 4.0, 0.0, 3.0, 1.0, 6.0]);
        assert_eq!(Layer::parse(&token(n)), Ok(Layer::Normalize(n)));
        assert!(Layer::parse("normalize:3:0.5:0").is_err());
        assert!(Layer::parse("normalize:3:nan:1").is_err());
        assert!(Layer::parse("normalize:3:0.5").is_err());
    }
}
