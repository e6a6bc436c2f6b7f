//! The elementwise activation layers (ReLU, tanh, sigmoid): forward
//! `y = f(x)` and backward `dx = dy * f'(x)` with the derivative written in
//! terms of the output `y` (so the pre-activation need not be kept). No
//! parameters; the output is as wide as the input. A ReLU after a Dense
//! layer usually runs inside that layer's product (its fused epilogue).

use matrix::{MatrixView, MatrixViewMut, Scalar};
use rayon::prelude::*;

use super::dense::DenseInput;
use super::Layer;

/// Elements per rayon task of a layer's sweep over a batch: enough that a
/// task outweighs its scheduling (a few microseconds of work), so a
/// small batch stays on one thread. Elementwise, so the split changes no
/// result.
const ELEMENTS_PER_TASK: usize = 1 << 15;

pub use super::softmax::softmax_backward;

/// Parses `relu`, `tanh` or `sigmoid` (the token is the name); `None` for
/// another token.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    match fields {
        [name] => Activation::from_name(name).map(|a| Ok(Layer::Act(a))),
        _ => None,
    }
}

/// An elementwise activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
}

impl Activation {
    /// Lower-case name, as the command-line flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }

    /// Parses `relu`, `tanh` or `sigmoid`.
    pub fn from_name(s: &str) -> Option<Activation> {
        match s.to_ascii_lowercase().as_str() {
            "relu" => Some(Activation::Relu),
            "tanh" => Some(Activation::Tanh),
            "sigmoid" => Some(Activation::Sigmoid),
            _ => None,
        }
    }

    /// `f(x)`.
    #[inline]
    pub fn apply<T: Scalar>(self, x: T) -> T {
        match self {
            Activation::Relu => relu(x),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid(x),
        }
    }

    /// `f'(x)` expressed through `y = f(x)`.
    #[inline]
    pub fn derivative_from_output<T: Scalar>(self, y: T) -> T {
        match self {
            Activation::Relu => {
                if y > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Activation::Tanh => T::ONE - y * y,
            Activation::Sigmoid => y * (T::ONE - y),
        }
    }

    /// `out[i] = f(input[i])`.
    pub fn forward<T: Scalar>(self, input: &[T], out: &mut [T]) {
        debug_assert_eq!(input.len(), out.len());
        match self {
            // Kept as a separate loop so LLVM vectorizes it to a max.
            Activation::Relu => out.iter_mut().zip(input).for_each(|(o, &x)| *o = relu(x)),
            _ => out
                .iter_mut()
                .zip(input)
                .for_each(|(o, &x)| *o = self.apply(x)),
        }
    }

    /// The layer's forward pass: `y = f(x)` over a batch (row-major, both
    /// contiguous: the network's buffers).
    pub(crate) fn forward_rows<T: Scalar>(self, x: DenseInput<'_, T>, mut y: MatrixViewMut<'_, T>) {
        let x = x
            .dense()
            .and_then(|x| x.as_slice())
            .expect("an activation reads the contiguous buffer before it");
        let y = y
            .as_mut_slice()
            .expect("an activation writes a contiguous buffer");
        y.par_chunks_mut(ELEMENTS_PER_TASK)
            .zip(x.par_chunks(ELEMENTS_PER_TASK))
            .for_each(|(y, x)| self.forward(x, y));
    }

    /// The layer's backward pass: `dx = dy * f'(x)` from its output `y`
    /// (all contiguous); nothing when no layer below needs `dx`.
    pub(crate) fn backward_rows<T: Scalar>(
        self,
        y: MatrixView<'_, T>,
        dy: MatrixView<'_, T>,
        dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let Some(mut dx) = dx else { return };
        let contiguous = "an activation's buffers are contiguous";
        let (y, dy) = (
            y.as_slice().expect(contiguous),
            dy.as_slice().expect(contiguous),
        );
        let dx = dx.as_mut_slice().expect(contiguous);
        dx.par_chunks_mut(ELEMENTS_PER_TASK)
            .zip(
                y.par_chunks(ELEMENTS_PER_TASK)
                    .zip(dy.par_chunks(ELEMENTS_PER_TASK)),
            )
            .for_each(|(dx, (y, dy))| self.backward(y, dy, dx));
    }

    /// `d_input[i] = d_out[i] * f'(x_i)`, from the forward output `out`.
    pub fn backward<T: Scalar>(self, out: &[T], d_out: &[T], d_input: &mut [T]) {
        debug_assert!(out.len() == d_out.len() && out.len() == d_input.len());
        match self {
            Activation::Relu => {
                for ((d, &g), &y) in d_input.iter_mut().zip(d_out).zip(out) {
                    *d = if y > T::ZERO { g } else { T::ZERO };
                }
            }
            _ => {
                for ((d, &g), &y) in d_input.iter_mut().zip(d_out).zip(out) {
                    *d = g * self.derivative_from_output(y);
                }
            }
        }
    }
}

/// `max(x, 0)`, mapping NaN to 0 like the gemm epilogue does.
#[inline]
pub fn relu<T: Scalar>(x: T) -> T {
    if x > T::ZERO {
        x
    } else {
        T::ZERO
    }
}

/// The logistic function, stable for large `|x|`.
#[inline]
pub fn sigmoid<T: Scalar>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_central_differences() {
        for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
            for &x in &[-3.0f64, -0.7, 0.3, 2.5] {
                let h = 1e-6;
                let numeric = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
                let analytic = act.derivative_from_output(act.apply(x));
                assert!((numeric - analytic).abs() < 1e-8, "{act:?} at {x}");
            }
        }
    }

    #[test]
    fn sigmoid_is_finite_at_the_extremes() {
        assert_eq!(sigmoid(1e4f32), 1.0);
        assert_eq!(sigmoid(-1e4f32), 0.0);
        assert!(sigmoid(-1e4f64).is_finite());
    }
}
