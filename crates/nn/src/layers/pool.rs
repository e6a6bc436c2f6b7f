//! 2-D max pooling, `MaxPool2d`: each row of the input is one sample's
//! `channels x height x width` feature maps (NCHW, row-major, as a
//! convolution writes them), and each output element is the largest of a
//! `size x size` window, the windows side by side (stride = size) with a
//! last partial row or column of the map dropped, as PyTorch's
//! `MaxPool2d(size)` does. No parameters.
//!
//! The backward pass routes each output's gradient to the input element
//! that was the maximum, found again from the input (so nothing is stored
//! between the passes): the first in row-major order on ties, a NaN if the
//! window has one (the forward pass propagates it). Windows do not
//! overlap, so every input element gets the gradient of at most one
//! output, and the rest are zero.
//!
//! Rows are independent: on the rayon pool they split between threads, with
//! bitwise the same results on any thread count.

use matrix::{MatrixView, MatrixViewMut, Scalar};
use rayon::prelude::*;

use super::dense::{DenseInput, MAX_LAYER_WIDTH};
use super::Layer;
use crate::error::NnError;

/// The layer's token in the architecture string:
/// `maxpool2d:<channels>:<height>:<width>:<size>`.
pub(crate) fn token(shape: Pool) -> String {
    let Pool {
        channels,
        height,
        width,
        size,
    } = shape;
    format!("maxpool2d:{channels}:{height}:{width}:{size}")
}

/// Parses [`token`]'s form; `None` if the token is not this layer's.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    let ["maxpool2d", rest @ ..] = fields else {
        return None;
    };
    let numbers: Result<Vec<usize>, _> = rest.iter().map(|f| f.parse()).collect();
    Some(match numbers.as_deref() {
        Ok(&[channels, height, width, size]) => Ok(Layer::MaxPool2d {
            channels,
            height,
            width,
            size,
        }),
        _ => Err(format!(
            "bad maxpool2d layer '{}' (expected maxpool2d:<channels>:<height>:<width>:<size>)",
            fields.join(":")
        )),
    })
}

/// The shape of a pooling layer's input and its window size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pool {
    pub(crate) channels: usize,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) size: usize,
}

impl Pool {
    /// Output height and width.
    fn out(&self) -> (usize, usize) {
        (self.height / self.size, self.width / self.size)
    }

    /// Elements per input row.
    fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Elements per output row.
    fn output_len(&self) -> usize {
        let (oh, ow) = self.out();
        self.channels * oh * ow
    }

    /// The shape rule of layer `l` on an input `input` wide.
    pub(crate) fn output_width(&self, l: usize, input: usize) -> Result<usize, NnError> {
        let Pool {
            channels: c,
            height: h,
            width: w,
            size: k,
        } = *self;
        let name = format!("layer {l}: MaxPool2d {c}x{h}x{w} by {k}");
        if c == 0 || h == 0 || w == 0 || k == 0 {
            return Err(NnError::Architecture(format!("{name} has a zero size")));
        }
        if k > h || k > w {
            return Err(NnError::Architecture(format!(
                "{name}: the window is larger than the map"
            )));
        }
        let len = c
            .checked_mul(h)
            .and_then(|ch| ch.checked_mul(w))
            .filter(|&n| n <= MAX_LAYER_WIDTH)
            .ok_or_else(|| NnError::TooLarge {
                what: format!("{name} input"),
                size: (c as u64).saturating_mul(h as u64).saturating_mul(w as u64),
                limit: MAX_LAYER_WIDTH as u64,
            })?;
        if input != len {
            return Err(NnError::Architecture(format!(
                "{name} takes {len} inputs but the previous layer gives {input}"
            )));
        }
        Ok(self.output_len())
    }

    /// `maxpool2(6x14x14)`, what the layer adds to a network's description.
    pub(crate) fn describe(&self) -> String {
        let (oh, ow) = self.out();
        format!("maxpool{}({}x{oh}x{ow})", self.size, self.channels)
    }

    /// Calls `visit(output index, input offset of its window's maximum)`
    /// for each output element of one sample, `x` its input row. The
    /// windows are walked row of windows by row of windows, with each row
    /// of the input a slice of its own, so that the loops carry no index
    /// arithmetic or bounds checks beyond the slices'.
    #[inline(always)]
    fn each_max<T: Scalar, const K: usize>(&self, x: &[T], mut visit: impl FnMut(usize, usize)) {
        let k = if K == 0 { self.size } else { K };
        let (w, ow) = (self.width, self.out().1);
        for (top, out) in self.rows_of_windows(k) {
            let rows = &x[top..top + k * w];
            for ox in 0..ow {
                let (mut best, mut max) = (ox * k, rows[ox * k]);
                if !max.is_nan() {
                    'window: for dy in 0..k {
                        let row = &rows[dy * w + ox * k..][..k];
                        for (dx, &v) in row.iter().enumerate() {
                            if v > max {
                                (best, max) = (dy * w + ox * k + dx, v);
                            } else if v.is_nan() {
                                best = dy * w + ox * k + dx;
                                break 'window;
                            }
                        }
                    }
                }
                visit(out + ox, top + best);
            }
        }
    }

    /// One sample: `y` (its output row) from `x` (its input row).
    fn forward_row<T: Scalar, const K: usize>(&self, x: &[T], y: &mut [T]) {
        if K == 2 {
            let (w, ow) = (self.width, self.out().1);
            for (top, out) in self.rows_of_windows(2) {
                let (r0, r1) = x[top..top + 2 * w].split_at(w);
                let windows = r0.chunks_exact(2).zip(r1.chunks_exact(2));
                for (y, (top, bottom)) in y[out..out + ow].iter_mut().zip(windows) {
                    *y = window_of_2([top[0], top[1], bottom[0], bottom[1]]).1;
                }
            }
            return;
        }
        self.each_max::<T, K>(x, |i, at| y[i] = x[at]);
    }

    /// One sample: `dx` (its input row's gradient) from `x` and `dy`; with
    /// `mask`, none where the winner is not positive (the ReLU below).
    fn backward_row<T: Scalar, const K: usize>(&self, x: &[T], dy: &[T], dx: &mut [T], mask: bool) {
        if K == 2 {
            let (h, w, ow) = (self.height, self.width, self.out().1);
            if h % 2 == 1 || w % 2 == 1 {
                // The dropped last row or column gets no gradient.
                dx.fill(T::ZERO);
            }
            for (top, out) in self.rows_of_windows(2) {
                let (r0, r1) = x[top..top + 2 * w].split_at(w);
                let (d0, d1) = dx[top..top + 2 * w].split_at_mut(w);
                let g = &dy[out..out + ow];
                let windows = r0.chunks_exact(2).zip(r1.chunks_exact(2));
                let grads = d0.chunks_exact_mut(2).zip(d1.chunks_exact_mut(2));
                for ((&g, (top, bottom)), (d_top, d_bottom)) in g.iter().zip(windows).zip(grads) {
                    let (at, max) = window_of_2([top[0], top[1], bottom[0], bottom[1]]);
                    let g = if !mask || max > T::ZERO { g } else { T::ZERO };
                    let pick = |j: usize| if at == j { g } else { T::ZERO };
                    (d_top[0], d_top[1]) = (pick(0), pick(1));
                    (d_bottom[0], d_bottom[1]) = (pick(2), pick(3));
                }
            }
            return;
        }
        dx.fill(T::ZERO);
        self.each_max::<T, K>(x, |i, at| {
            dx[at] = if !mask || x[at] > T::ZERO {
                dy[i]
            } else {
                T::ZERO
            }
        });
    }

    /// `(input offset, output offset)` of each row of `k x k` windows of one
    /// sample, channel by channel: where the row's top input row and its
    /// output row start.
    #[inline(always)]
    fn rows_of_windows(&self, k: usize) -> impl Iterator<Item = (usize, usize)> {
        let (h, w) = (self.height, self.width);
        let (oh, ow) = self.out();
        (0..self.channels)
            .flat_map(move |ch| (0..oh).map(move |oy| ((ch * h + oy * k) * w, (ch * oh + oy) * ow)))
    }

    /// The forward pass over a batch (contiguous rows: the network's
    /// buffers).
    pub(crate) fn forward<T: Scalar>(&self, x: DenseInput<'_, T>, mut y: MatrixViewMut<'_, T>) {
        let contiguous = "a pooling layer's buffers are contiguous";
        let x = x.dense().and_then(|x| x.as_slice()).expect(contiguous);
        let y = y.as_mut_slice().expect(contiguous);
        let (n_in, n_out) = (self.input_len(), self.output_len());
        y.par_chunks_mut(n_out)
            .zip(x.par_chunks(n_in))
            .with_min_len(ROWS_PER_TASK)
            .for_each(|(y, x)| match self.size {
                2 => self.forward_row::<T, 2>(x, y),
                3 => self.forward_row::<T, 3>(x, y),
                _ => self.forward_row::<T, 0>(x, y),
            });
    }

    /// The backward pass: `dx` from the input `x` and the output's
    /// gradient `dy`; nothing when no layer below needs `dx`. With
    /// `mask_relu`, `x` is a ReLU's output and `dx` the gradient w.r.t. the
    /// ReLU's input: a winner that is not positive passes nothing.
    pub(crate) fn backward<T: Scalar>(
        &self,
        x: DenseInput<'_, T>,
        dy: MatrixView<'_, T>,
        dx: Option<MatrixViewMut<'_, T>>,
        mask_relu: bool,
    ) {
        let Some(mut dx) = dx else { return };
        let contiguous = "a pooling layer's buffers are contiguous";
        let x = x.dense().and_then(|x| x.as_slice()).expect(contiguous);
        let dy = dy.as_slice().expect(contiguous);
        let dx = dx.as_mut_slice().expect(contiguous);
        let (n_in, n_out) = (self.input_len(), self.output_len());
        dx.par_chunks_mut(n_in)
            .zip(x.par_chunks(n_in).zip(dy.par_chunks(n_out)))
            .with_min_len(ROWS_PER_TASK)
            .for_each(|(dx, (x, dy))| match self.size {
                2 => self.backward_row::<T, 2>(x, dy, dx, mask_relu),
                3 => self.backward_row::<T, 3>(x, dy, dx, mask_relu),
                _ => self.backward_row::<T, 0>(x, dy, dx, mask_relu),
            });
    }
}

/// A 2x2 window's winner, `(index, value)` with the window row-major: the
/// first NaN if there is one, else the first of the largest values, as
/// [`Pool::each_max`] finds it. Selects without branches (a max pool's
/// comparisons are as good as random), so the loops over windows compile
/// to conditional moves or vector blends.
#[inline(always)]
fn window_of_2<T: Scalar>(v: [T; 4]) -> (usize, T) {
    let (mut at, mut max) = (0, v[0]);
    for (j, &x) in v.iter().enumerate().skip(1) {
        let larger = x > max;
        at = if larger { j } else { at };
        max = if larger { x } else { max };
    }
    let mut nan = 4;
    for j in (0..4).rev() {
        nan = if v[j].is_nan() { j } else { nan };
    }
    if nan < 4 {
        (nan, v[nan])
    } else {
        (at, max)
    }
}

/// Rows per rayon task: a few thousand comparisons each at least.
const ROWS_PER_TASK: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use matrix::Matrix;

    const POOL: Pool = Pool {
        channels: 2,
        height: 3,
        width: 4,
        size: 2,
    };

    /// Two channels of 3x4 (the last row is dropped), by hand.
    #[test]
    fn forward_and_backward_by_hand() {
        #[rustfmt::skip]
        let x = Matrix::from_vec(1, 24, vec![
            1.0, 5.0, 2.0, 2.0,
            3.0, 5.0, 0.0, -1.0,
            9.0, 9.0, 9.0, 9.0,

            -1.0, -2.0, f64::NAN, 4.0,
            -3.0, -4.0, 8.0, 1.0,
            0.0, 0.0, 0.0, 0.0,
        ]);
        let mut y = Matrix::zeros(1, 4);
        POOL.forward(DenseInput::Dense(x.view()), y.view_mut());
        // Ties go to the first 5.0; the NaN propagates.
        assert_eq!(y.as_slice()[..3], [5.0, 2.0, -1.0]);
        assert!(y.as_slice()[3].is_nan());
        let dy = Matrix::from_vec(1, 4, vec![10.0, 20.0, 30.0, 40.0]);
        let mut dx = Matrix::from_fn(1, 24, |_, _| f64::NAN);
        POOL.backward(
            DenseInput::Dense(x.view()),
            dy.view(),
            Some(dx.view_mut()),
            false,
        );
        let mut want = vec![0.0; 24];
        (want[1], want[2], want[12], want[14]) = (10.0, 20.0, 30.0, 40.0);
        assert_eq!(dx.as_slice(), want.as_slice());
    }

    /// The branch-free windows of 2 and the loops unrolled for 3 find the
    /// same maxima as the general loops, ties and NaNs included.
    #[test]
    fn unrolled_windows_match_the_general_loops() {
        // Odd heights and widths: a last partial row or column is dropped.
        for (size, width) in [(2, 8), (2, 7), (3, 8)] {
            let pool = Pool {
                channels: 3,
                height: 7,
                width,
                size,
            };
            // Few distinct values, so ties are common; a NaN here and there.
            let x: Vec<f32> = (0..pool.input_len())
                .map(|i| match (i * 7919) % 23 {
                    0 => f32::NAN,
                    r => (r % 4) as f32,
                })
                .collect();
            let dy: Vec<f32> = (0..pool.output_len()).map(|i| i as f32 + 1.0).collect();
            let (mut y0, mut y1) = (vec![0.0; dy.len()], vec![0.0; dy.len()]);
            let (mut dx0, mut dx1) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            pool.forward_row::<f32, 0>(&x, &mut y0);
            match size {
                2 => pool.forward_row::<f32, 2>(&x, &mut y1),
                _ => pool.forward_row::<f32, 3>(&x, &mut y1),
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&y0), bits(&y1), "size {size}");
            assert!(y0.iter().any(|v| v.is_nan()));
            for mask in [false, true] {
                pool.backward_row::<f32, 0>(&x, &dy, &mut dx0, mask);
                match size {
                    2 => pool.backward_row::<f32, 2>(&x, &dy, &mut dx1, mask),
                    _ => pool.backward_row::<f32, 3>(&x, &dy, &mut dx1, mask),
                }
                assert_eq!(bits(&dx0), bits(&dx1), "size {size}, mask {mask}");
            }
        }
    }

    /// With the ReLU's mask, the pool's gradient is the unmasked one passed
    /// through the ReLU's backward pass (zero where the input, a ReLU's
    /// output, is not positive), bit for bit: what lets the network skip
    /// that pass.
    #[test]
    fn the_relu_mask_is_the_relu_backward_pass() {
        for size in [2, 3, 4] {
            let pool = Pool {
                channels: 2,
                height: 9,
                width: 8,
                size,
            };
            // A ReLU's output: zeros (ties among them) and positives, a NaN.
            let x: Vec<f32> = (0..pool.input_len())
                .map(|i| match (i * 7919) % 13 {
                    0 => f32::NAN,
                    r if r < 6 => 0.0,
                    r => r as f32,
                })
                .collect();
            let dy: Vec<f32> = (0..pool.output_len()).map(|i| i as f32 - 7.5).collect();
            let (mut plain, mut masked) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            let run = |dx: &mut [f32], mask: bool| match size {
                2 => pool.backward_row::<f32, 2>(&x, &dy, dx, mask),
                3 => pool.backward_row::<f32, 3>(&x, &dy, dx, mask),
                _ => pool.backward_row::<f32, 0>(&x, &dy, dx, mask),
            };
            run(&mut plain, false);
            run(&mut masked, true);
            let mut want = vec![0.0; x.len()];
            Activation::Relu.backward(&x, &plain, &mut want);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&masked), bits(&want), "size {size}");
            assert!(
                plain.iter().zip(&masked).any(|(p, m)| p != m),
                "size {size}: the mask did something"
            );
        }
    }

    /// Bad shapes are errors naming the layer.
    #[test]
    fn shapes_that_do_not_fit_are_errors() {
        assert_eq!(POOL.output_width(3, 24).unwrap(), 4);
        let err = POOL.output_width(3, 25).unwrap_err().to_string();
        assert!(
            err.contains("layer 3: MaxPool2d 2x3x4 by 2 takes 24 inputs"),
            "{err}"
        );
        let big = Pool { size: 4, ..POOL };
        assert!(big.output_width(0, 24).is_err());
        let huge = Pool {
            channels: usize::MAX,
            ..POOL
        };
        assert!(matches!(
            huge.output_width(0, 24),
            Err(NnError::TooLarge { .. })
        ));
    }
}
