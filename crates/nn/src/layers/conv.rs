//! The 2-D convolution layer, `Conv2d`: each row of the input is one
//! sample's `channels x height x width` maps (NCHW, row-major), each row of
//! the output its `filters x out_h x out_w` maps, with
//! `out = (in + 2 padding - kernel) / stride + 1` per side, zero padding,
//! square kernels. Parameters: `weight` (`filters x channels x kernel x
//! kernel`, PyTorch's layout) and `bias` (`filters`).
//!
//! Both passes are gemms over each sample's patches (im2col). With
//! `P = out_h * out_w` positions, a sample's `cols` is the `channels k k x
//! P` matrix whose row `(channel, ky, kx)` holds what that tap of the
//! window reads at every position (with stride 1, each output row's worth
//! is one contiguous copy of an input row); then, with `W` the weights as
//! `filters x channels k k` and `dy` a sample's output gradient, which is
//! `filters x P` in NCHW as it stands:
//!
//! ```text
//! forward:   y = W · cols, then + b and the ReLU in one sweep
//! backward:  dWᵀ += cols · dyᵀ,  db = Σ dy over samples and positions,
//!            dcols = Wᵀ · dy,  dx = the columns of dcols added back into
//!            the image (col2im)
//! ```
//!
//! No transposes of maps: every product reads and writes NCHW as it lies.
//! A batch is cut into a fixed number of lanes of consecutive samples; a
//! lane is one task, sample by sample, in its own part of the layer's
//! scratch buffer (a sample's patches, which a core's cache holds, where a
//! whole batch's would be tens of megabytes streamed through memory) with
//! its own part of the weight gradient; the parts are summed in lane
//! order. The scratch is allocated with the network's activations, once per
//! batch size.
//!
//! Every product is a gemm (bitwise the same on any thread count) and the
//! lanes depend on the batch size only, so the layer's results do not
//! depend on the threads.

use std::ops::Range;

use matrix::{gemm, MatrixView, MatrixViewMut, Scalar};
use rand::Rng;
use rayon::prelude::*;

use super::dense::{init_weights, DenseInput, MAX_LAYER_WIDTH};
use super::{Init, Layer, ParamTensor};
use crate::error::NnError;

/// The layer's token in the architecture string:
/// `conv2d:<channels>:<height>:<width>:<filters>:<kernel>:<stride>:<padding>`.
pub(crate) fn token(c: Conv) -> String {
    format!(
        "conv2d:{}:{}:{}:{}:{}:{}:{}",
        c.channels, c.height, c.width, c.filters, c.kernel, c.stride, c.padding
    )
}

/// Parses [`token`]'s form; `None` if the token is not this layer's.
pub(crate) fn parse(fields: &[&str]) -> Option<Result<Layer, String>> {
    let ["conv2d", rest @ ..] = fields else {
        return None;
    };
    let numbers: Result<Vec<usize>, _> = rest.iter().map(|f| f.parse()).collect();
    Some(match numbers.as_deref() {
        Ok(&[channels, height, width, filters, kernel, stride, padding]) => Ok(Conv {
            channels,
            height,
            width,
            filters,
            kernel,
            stride,
            padding,
        }
        .layer()),
        _ => Err(format!(
            "bad conv2d layer '{}' (expected conv2d:<channels>:<height>:<width>:<filters>:\
             <kernel>:<stride>:<padding>)",
            fields.join(":")
        )),
    })
}

/// Largest kernel side: far above any network's, low enough that a typo
/// is an error rather than a patch of billions.
pub const MAX_KERNEL: usize = 64;

/// Most scratch elements one sample may need (its patches and a share of
/// the weight gradient, `(P + filters) * patch`): 2^26, 256 MiB of f32.
const MAX_SCRATCH_PER_SAMPLE: usize = 1 << 26;

/// The lanes a batch is cut into: each a contiguous run of samples that one
/// task takes a sample (or a group) at a time, in its own part of the
/// scratch, adding up its
/// own part of the weight gradient; the lanes' parts are summed in lane
/// order. A constant, so that the sums (and so the bits) do not depend on
/// the number of threads; 4 keeps 2 or 4 cores busy on one batch.
const LANES: usize = 4;

/// The patches one product takes, in elements: 2^17, 512 KiB of f32, which
/// a core's L2 holds. A convolution with small maps (LeNet's second has 100
/// positions) takes a group of samples per product, so that the products
/// are long enough to run at the gemm's speed; one with large maps takes
/// one sample at a time.
const GROUP_BUDGET: usize = 1 << 17;

/// Elements of the weight gradient per task of the lanes' sum.
const GRADIENT_TASK: usize = 1 << 12;

/// A convolution's shape: its input maps, its filters and their geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv {
    /// Input channels.
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Output channels (filters).
    pub filters: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Step between positions, both directions.
    pub stride: usize,
    /// Zeros added on each side of each map.
    pub padding: usize,
}

impl Conv {
    /// The [`Layer`] of this shape.
    pub fn layer(self) -> Layer {
        Layer::Conv2d(self)
    }

    /// Output height and width (once the layer's shape rule has accepted
    /// the shape).
    pub fn out(&self) -> (usize, usize) {
        let side = |n: usize| (n + 2 * self.padding - self.kernel) / self.stride + 1;
        (side(self.height), side(self.width))
    }

    /// Output positions per sample, `P`.
    fn positions(&self) -> usize {
        let (oh, ow) = self.out();
        oh * ow
    }

    /// Elements of one patch (`channels * kernel²`), a row of `cols`.
    fn patch(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Elements per input row.
    pub fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Elements per output row.
    pub fn output_len(&self) -> usize {
        self.filters * self.positions()
    }

    /// Scratch elements a batch of `rows` samples needs: a lane's, for
    /// each lane.
    pub(crate) fn scratch_len(&self, rows: usize) -> usize {
        LANES * self.lane_len(self.group(Self::per_lane(rows)))
    }

    /// The shape rule of layer `l` on an input `input` wide.
    pub(crate) fn output_width(&self, l: usize, input: usize) -> Result<usize, NnError> {
        let Conv {
            channels: c,
            height: h,
            width: w,
            filters: f,
            kernel: k,
            stride: s,
            padding: p,
        } = *self;
        let name = format!("layer {l}: Conv2d {c}x{h}x{w} -> {f} filters {k}x{k}");
        let arch = |why: String| Err(NnError::Architecture(format!("{name} {why}")));
        if c == 0 || h == 0 || w == 0 || f == 0 || k == 0 || s == 0 {
            return arch("has a zero size or stride".into());
        }
        if k > MAX_KERNEL {
            return Err(NnError::TooLarge {
                what: format!("{name} kernel"),
                size: k as u64,
                limit: MAX_KERNEL as u64,
            });
        }
        if p >= k {
            return arch(format!("has padding {p}: at most {} for its kernel", k - 1));
        }
        let too_large = |what: &str, size: u64, limit: usize| NnError::TooLarge {
            what: format!("{name} {what}"),
            size,
            limit: limit as u64,
        };
        let len = (c as u64).saturating_mul(h as u64).saturating_mul(w as u64);
        if len > MAX_LAYER_WIDTH as u64 || f > MAX_LAYER_WIDTH {
            return Err(too_large(
                if f > MAX_LAYER_WIDTH {
                    "filters"
                } else {
                    "input"
                },
                len.max(f as u64),
                MAX_LAYER_WIDTH,
            ));
        }
        if k > h + 2 * p || k > w + 2 * p {
            return arch(format!("does not fit its {h}x{w} input with padding {p}"));
        }
        if input != len as usize {
            return arch(format!(
                "takes {len} inputs but the previous layer gives {input}"
            ));
        }
        let out = (f as u64) * (self.positions() as u64);
        if out > MAX_LAYER_WIDTH as u64 {
            return Err(too_large("output", out, MAX_LAYER_WIDTH));
        }
        let scratch = (self.positions() as u64 + f as u64) * (self.patch() as u64);
        if scratch > MAX_SCRATCH_PER_SAMPLE as u64 {
            return Err(too_large(
                "patches per sample",
                scratch,
                MAX_SCRATCH_PER_SAMPLE,
            ));
        }
        Ok(out as usize)
    }

    /// The parameters: `weight` (`filters x channels x kernel x kernel`),
    /// then `bias`.
    pub(crate) fn tensors(&self) -> Vec<ParamTensor> {
        vec![
            ParamTensor {
                name: "weight",
                shape: vec![self.filters, self.channels, self.kernel, self.kernel],
            },
            ParamTensor {
                name: "bias",
                shape: vec![self.filters],
            },
        ]
    }

    /// `conv5x5(6x28x28,relu)`: the kernel, the output maps and what follows.
    pub(crate) fn describe(&self, next: Option<&Layer>) -> String {
        let (oh, ow) = self.out();
        let k = self.kernel;
        let act = match next {
            Some(Layer::Act(a)) => a.name(),
            _ => "linear",
        };
        format!("conv{k}x{k}({}x{oh}x{ow},{act})", self.filters)
    }

    /// Draws the parameters: the Dense layer's rules with a patch as the
    /// fan-in and `filters * kernel²` as the fan-out.
    pub(crate) fn init<T: Scalar, R: Rng + ?Sized>(
        &self,
        params: &mut [T],
        init: Init,
        next: Option<&Layer>,
        rng: &mut R,
    ) {
        let (w, b) = params.split_at_mut(self.filters * self.patch());
        let fan_out = self.filters * self.kernel * self.kernel;
        init_weights(self.patch(), fan_out, w, b, init, next, rng);
    }

    /// `W` (`filters x patch`) and `b` from the layer's parameters.
    fn weights<'p, T: Scalar>(&self, params: &'p [T]) -> (MatrixView<'p, T>, &'p [T]) {
        let (w, b) = params.split_at(self.filters * self.patch());
        let patch = self.patch();
        (MatrixView::from_slice(w, self.filters, patch, patch, 1), b)
    }

    /// For tap `(ky, kx)`, output row `oy`: the input row the taps read
    /// (`None` in the padding) and the output columns `ox` whose tap lands
    /// inside the input, with the input column of the first of them.
    #[inline]
    fn taps(&self, ky: usize, kx: usize, oy: usize) -> Option<(usize, Range<usize>, usize)> {
        let (s, pad) = (self.stride, self.padding);
        let iy = (oy * s + ky)
            .checked_sub(pad)
            .filter(|&iy| iy < self.height)?;
        let (_, ow) = self.out();
        // ix = ox * s + kx - pad must lie in 0..width.
        let first = pad.saturating_sub(kx).div_ceil(s);
        let end = ((self.width + pad - kx).div_ceil(s)).min(ow);
        (first < end).then(|| (iy, first..end, first * s + kx - pad))
    }

    /// The patches of one sample `x` (an input row) into `cols` (`patch x
    /// P`, rows `ld` apart): row `(c, ky, kx)` holds, for each output position,
    /// the input element that tap reads, zero where it falls in the
    /// padding. With stride 1 each row of positions is one contiguous copy.
    fn im2col<T: Scalar>(&self, x: &[T], cols: &mut [T], ld: usize) {
        let (h, w, k, s) = (self.height, self.width, self.kernel, self.stride);
        let (oh, ow) = self.out();
        for j in 0..self.patch() {
            let row = &mut cols[j * ld..][..oh * ow];
            let (c, ky, kx) = (j / (k * k), j / k % k, j % k);
            for (oy, out) in row.chunks_exact_mut(ow).enumerate() {
                let Some((iy, range, ix)) = self.taps(ky, kx, oy) else {
                    out.fill(T::ZERO);
                    continue;
                };
                let line = &x[(c * h + iy) * w..][..w];
                out[..range.start].fill(T::ZERO);
                let inside = &mut out[range.clone()];
                if s == 1 {
                    inside.copy_from_slice(&line[ix..ix + inside.len()]);
                } else {
                    for (i, v) in inside.iter_mut().enumerate() {
                        *v = line[ix + i * s];
                    }
                }
                out[range.end..].fill(T::ZERO);
            }
        }
    }

    /// The adjoint of [`im2col`](Self::im2col): each element of `cols`
    /// added back to the input element it was read from, into `dx` (one
    /// input row, overwritten).
    fn col2im<T: Scalar>(&self, cols: &[T], ld: usize, dx: &mut [T]) {
        dx.fill(T::ZERO);
        let (h, w, k, s) = (self.height, self.width, self.kernel, self.stride);
        let (oh, ow) = self.out();
        for j in 0..self.patch() {
            let row = &cols[j * ld..][..oh * ow];
            let (c, ky, kx) = (j / (k * k), j / k % k, j % k);
            for (oy, out) in row.chunks_exact(ow).enumerate() {
                let Some((iy, range, ix)) = self.taps(ky, kx, oy) else {
                    continue;
                };
                let line = &mut dx[(c * h + iy) * w..][..w];
                let inside = &out[range];
                if s == 1 {
                    for (d, &v) in line[ix..ix + inside.len()].iter_mut().zip(inside) {
                        *d += v;
                    }
                } else {
                    for (i, &v) in inside.iter().enumerate() {
                        line[ix + i * s] += v;
                    }
                }
            }
        }
    }

    /// The patches of the `n` samples of `x` from `s0` side by side into
    /// `cols` (`patch x n P`, row-major): sample `i` in columns `i P..(i +
    /// 1) P`.
    fn patches<T: Scalar>(&self, x: MatrixView<'_, T>, s0: usize, n: usize, cols: &mut [T]) {
        let (p, ld) = (self.positions(), n * self.positions());
        for i in 0..n {
            let cols = &mut cols[i * p..];
            match x.row(s0 + i) {
                Some(row) => self.im2col(row, cols, ld),
                // A view with strided columns: read the sample into a row.
                None => {
                    let row: Vec<T> = (0..x.cols()).map(|j| x[(s0 + i, j)]).collect();
                    self.im2col(&row, cols, ld)
                }
            }
        }
    }

    /// Samples per group: the samples whose patches one product takes, as
    /// many as [`GROUP_BUDGET`] holds (at least 1, at most a lane's).
    fn group(&self, per_lane: usize) -> usize {
        (GROUP_BUDGET / (self.patch() * self.positions())).clamp(1, per_lane)
    }

    /// Samples per lane for a batch of `m`.
    fn per_lane(m: usize) -> usize {
        m.div_ceil(LANES).max(1)
    }

    /// Scratch elements of one lane with groups of `group` samples: their
    /// patches, their maps side by side (when more than one), and the
    /// lane's part of the weight gradient.
    fn lane_len(&self, group: usize) -> usize {
        let (p, patch, f) = (self.positions(), self.patch(), self.filters);
        let maps = if group > 1 { group * p * f } else { 0 };
        group * p * patch + maps + f * patch
    }

    /// Adds each filter's bias to its map `y` (one sample's output), and
    /// applies `max(y, 0)` if `relu`: in one sweep over the map, while the
    /// product has just left it in cache, when `fused`; as two sweeps
    /// otherwise (the plain form, with the same result).
    fn bias_and_relu<T: Scalar>(&self, y: &mut [T], b: &[T], relu: bool, fused: bool) {
        use super::activation::relu as max0;
        for (map, &bias) in y.chunks_exact_mut(self.positions()).zip(b) {
            if fused && relu {
                map.iter_mut().for_each(|v| *v = max0(*v + bias));
            } else {
                map.iter_mut().for_each(|v| *v += bias);
                if relu {
                    map.iter_mut().for_each(|v| *v = max0(*v));
                }
            }
        }
    }

    /// The forward pass over a batch: `y` (NCHW rows) from `x`; with
    /// `relu`, `max(y, 0)`, in the gemm's epilogue when `fused`, else as
    /// sweeps of their own (the same result). `scratch` holds at least
    /// [`scratch_len`](Self::scratch_len) of the batch's rows.
    pub(crate) fn forward<T: Scalar>(
        &self,
        params: &[T],
        x: DenseInput<'_, T>,
        mut y: MatrixViewMut<'_, T>,
        relu: bool,
        fused: bool,
        scratch: &mut [T],
    ) {
        let x = x.dense().expect("a convolution reads a dense batch");
        let y = y.as_mut_slice().expect("a layer's output is contiguous");
        let (w, b) = self.weights(params);
        let (p, patch, f, len) = (
            self.positions(),
            self.patch(),
            self.filters,
            self.output_len(),
        );
        let per_lane = Self::per_lane(x.rows());
        let group = self.group(per_lane);
        let lane_len = self.lane_len(group);
        let lanes = scratch[..LANES * lane_len].par_chunks_mut(lane_len);
        y.par_chunks_mut(per_lane * len)
            .zip(lanes)
            .enumerate()
            .for_each(|(lane, (y, scratch))| {
                let (cols, maps) = scratch.split_at_mut(group * p * patch);
                for (g, y) in y.chunks_mut(group * len).enumerate() {
                    let n = y.len() / len;
                    let ld = n * p;
                    self.patches(x, lane * per_lane + g * group, n, cols);
                    let cols = MatrixView::from_slice(&cols[..patch * ld], patch, ld, ld, 1);
                    if n == 1 {
                        // The sample's maps, `filters x P`, are the product.
                        let out = MatrixViewMut::from_slice(y, f, p, p, 1);
                        gemm(T::ONE, w, cols, T::ZERO, out);
                        self.bias_and_relu(y, b, relu, fused);
                        continue;
                    }
                    // `filters x n P`: each filter's maps side by side,
                    // then each sample's copied out.
                    let out = MatrixViewMut::from_slice(&mut maps[..f * ld], f, ld, ld, 1);
                    gemm(T::ONE, w, cols, T::ZERO, out);
                    for (i, y) in y.chunks_exact_mut(len).enumerate() {
                        for (o, map) in y.chunks_exact_mut(p).enumerate() {
                            map.copy_from_slice(&maps[o * ld + i * p..][..p]);
                        }
                        self.bias_and_relu(y, b, relu, fused);
                    }
                }
            });
    }

    /// The backward pass: from `dy` (NCHW rows), `dW` and `db` into
    /// `grads` (the layer's range, overwritten) and `dx` when the layer
    /// below needs it.
    pub(crate) fn backward<T: Scalar>(
        &self,
        params: &[T],
        x: DenseInput<'_, T>,
        dy: MatrixView<'_, T>,
        grads: &mut [T],
        mut dx: Option<MatrixViewMut<'_, T>>,
        scratch: &mut [T],
    ) {
        let x = x.dense().expect("a convolution reads a dense batch");
        let contiguous = "a layer's gradients are contiguous";
        let dy = dy.as_slice().expect(contiguous);
        let dx = dx.as_mut().map(|dx| dx.as_mut_slice().expect(contiguous));
        let (w, _) = self.weights(params);
        let (p, patch, f) = (self.positions(), self.patch(), self.filters);
        let (in_len, out_len) = (self.input_len(), self.output_len());
        let (gw, gb) = grads.split_at_mut(f * patch);
        let m = x.rows();
        let per_lane = Self::per_lane(m);
        let group = self.group(per_lane);
        let lane_len = self.lane_len(group);
        let lanes_used = m.div_ceil(per_lane);
        if lanes_used == 0 {
            gw.fill(T::ZERO);
            gb.fill(T::ZERO);
            return;
        }
        let scratch = &mut scratch[..lanes_used * lane_len];
        // Each lane: its samples' part of dW, and their dx.
        let lane = |lane: usize, scratch: &mut [T], mut dx: Option<&mut [T]>| {
            let (cols, rest) = scratch.split_at_mut(group * p * patch);
            let (maps, gw_lane) = rest.split_at_mut(lane_len - group * p * patch - f * patch);
            let first = lane * per_lane;
            let samples = per_lane.min(m - first);
            for g in 0..samples.div_ceil(group) {
                let s0 = first + g * group;
                let n = group.min(first + samples - s0);
                let ld = n * p;
                self.patches(x, s0, n, cols);
                let dy_group = &dy[s0 * out_len..(s0 + n) * out_len];
                // `filters x n P`: the samples' gradients side by side (a
                // sample's own is `filters x P` as it stands).
                let dy_n = if n == 1 {
                    MatrixView::from_slice(dy_group, f, p, p, 1)
                } else {
                    for (i, dy) in dy_group.chunks_exact(out_len).enumerate() {
                        for (o, map) in dy.chunks_exact(p).enumerate() {
                            maps[o * ld + i * p..][..p].copy_from_slice(map);
                        }
                    }
                    MatrixView::from_slice(&maps[..f * ld], f, ld, ld, 1)
                };
                let beta = if g == 0 { T::ZERO } else { T::ONE };
                // dWᵀ = cols · dyᵀ: the patches are read as they are laid
                // out; the lane's part, as its transpose, is `W`'s layout.
                let gw_lane = MatrixViewMut::from_slice(gw_lane, patch, f, 1, patch);
                let cols_view = MatrixView::from_slice(&cols[..patch * ld], patch, ld, ld, 1);
                gemm(T::ONE, cols_view, dy_n.t(), beta, gw_lane);
                if let Some(dx) = dx.as_deref_mut() {
                    let dcols =
                        MatrixViewMut::from_slice(&mut cols[..patch * ld], patch, ld, ld, 1);
                    gemm(T::ONE, w.t(), dy_n, T::ZERO, dcols);
                    let dx = &mut dx[(s0 - first) * in_len..][..n * in_len];
                    for (i, dx) in dx.chunks_exact_mut(in_len).enumerate() {
                        self.col2im(&cols[i * p..], ld, dx);
                    }
                }
            }
        };
        match dx {
            Some(dx) => dx
                .par_chunks_mut(per_lane * in_len)
                .zip(scratch.par_chunks_mut(lane_len))
                .enumerate()
                .for_each(|(l, (dx, scratch))| lane(l, scratch, Some(dx))),
            None => scratch
                .par_chunks_mut(lane_len)
                .enumerate()
                .for_each(|(l, scratch)| lane(l, scratch, None)),
        }
        // dW: the lanes' parts summed in lane order, element by element.
        let lanes = &*scratch;
        let part = lane_len - f * patch;
        gw.par_chunks_mut(GRADIENT_TASK)
            .enumerate()
            .for_each(|(t, gw)| {
                for (i, g) in gw.iter_mut().enumerate() {
                    let at = part + t * GRADIENT_TASK + i;
                    let mut sum = lanes[at];
                    for l in 1..lanes_used {
                        sum += lanes[l * lane_len + at];
                    }
                    *g = sum;
                }
            });
        // Each filter's bias gradient sums its maps over the batch, in one
        // fixed order per filter: 16 running sums side by side (so that
        // the adds vectorise), added up at the end.
        gb.par_iter_mut().enumerate().for_each(|(o, g)| {
            let mut sums = [T::ZERO; 16];
            for sample in dy.chunks_exact(out_len) {
                let map = &sample[o * p..(o + 1) * p];
                let mut pieces = map.chunks_exact(16);
                for piece in &mut pieces {
                    for (s, &v) in sums.iter_mut().zip(piece) {
                        *s += v;
                    }
                }
                for (s, &v) in sums.iter_mut().zip(pieces.remainder()) {
                    *s += v;
                }
            }
            *g = sums.iter().fold(T::ZERO, |a, &b| a + b);
        });
    }

    /// The forward pass as the textbook loops (the reference for
    /// tests).
    pub fn forward_reference<T: Scalar>(
        &self,
        params: &[T],
        x: MatrixView<'_, T>,
        mut y: MatrixViewMut<'_, T>,
        relu: bool,
    ) {
        let (w, b) = self.weights(params);
        let (oh, ow) = self.out();
        for s in 0..x.rows() {
            for o in 0..self.filters {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut sum = T::ZERO;
                        self.window(oy, ox, |c, ky, kx, at| {
                            sum += x[(s, at)] * w[(o, (c * self.kernel + ky) * self.kernel + kx)];
                        });
                        sum += b[o];
                        let v = if relu {
                            super::activation::relu(sum)
                        } else {
                            sum
                        };
                        y.set(s, (o * oh + oy) * ow + ox, v);
                    }
                }
            }
        }
    }

    /// The backward pass as the textbook loops (the reference
    /// for tests).
    pub fn backward_reference<T: Scalar>(
        &self,
        params: &[T],
        x: MatrixView<'_, T>,
        dy: MatrixView<'_, T>,
        grads: &mut [T],
        mut dx: Option<MatrixViewMut<'_, T>>,
    ) {
        let (w, _) = self.weights(params);
        let (oh, ow) = self.out();
        let patch = self.patch();
        grads.fill(T::ZERO);
        if let Some(dx) = dx.as_mut() {
            dx.fill(T::ZERO);
        }
        for s in 0..x.rows() {
            for o in 0..self.filters {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let g = dy[(s, (o * oh + oy) * ow + ox)];
                        grads[self.filters * patch + o] += g;
                        self.window(oy, ox, |c, ky, kx, at| {
                            let j = (c * self.kernel + ky) * self.kernel + kx;
                            grads[o * patch + j] += g * x[(s, at)];
                            if let Some(dx) = dx.as_mut() {
                                let v = dx.get(s, at).expect("in range") + g * w[(o, j)];
                                dx.set(s, at, v);
                            }
                        });
                    }
                }
            }
        }
    }

    /// Calls `visit(channel, ky, kx, input offset)` for each tap of the
    /// window at output `(oy, ox)` that lands inside the input.
    fn window(&self, oy: usize, ox: usize, mut visit: impl FnMut(usize, usize, usize, usize)) {
        let k = self.kernel;
        for c in 0..self.channels {
            for ky in 0..k {
                for kx in 0..k {
                    let iy = (oy * self.stride + ky) as isize - self.padding as isize;
                    let ix = (ox * self.stride + kx) as isize - self.padding as isize;
                    if (0..self.height as isize).contains(&iy)
                        && (0..self.width as isize).contains(&ix)
                    {
                        let at = (c * self.height + iy as usize) * self.width + ix as usize;
                        visit(c, ky, kx, at);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use matrix::Matrix;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::*;

    fn random(rows: usize, cols: usize, rng: &mut StdRng) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
    }

    fn assert_close(what: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-11, "{what}[{i}]: {g} vs {w}");
        }
    }

    /// Shapes with strides, padding, 1x1 kernels, non-square maps, and
    /// kernels as large as the padded map.
    const SHAPES: [Conv; 6] = [
        // 57,600 elements of patches per sample: groups of 2 (a lane of 3
        // is a group of 2 and one of 1).
        Conv {
            channels: 4,
            height: 40,
            width: 40,
            filters: 2,
            kernel: 3,
            stride: 1,
            padding: 1,
        },
        Conv {
            channels: 1,
            height: 6,
            width: 6,
            filters: 2,
            kernel: 3,
            stride: 1,
            padding: 0,
        },
        Conv {
            channels: 2,
            height: 7,
            width: 5,
            filters: 3,
            kernel: 3,
            stride: 2,
            padding: 1,
        },
        Conv {
            channels: 3,
            height: 4,
            width: 4,
            filters: 1,
            kernel: 1,
            stride: 1,
            padding: 0,
        },
        Conv {
            channels: 1,
            height: 5,
            width: 6,
            filters: 4,
            kernel: 5,
            stride: 1,
            padding: 2,
        },
        Conv {
            channels: 2,
            height: 3,
            width: 3,
            filters: 2,
            kernel: 5,
            stride: 3,
            padding: 1,
        },
    ];

    /// The gemm passes against the loops, for every shape, with and
    /// without the ReLU and the fused epilogue, on batches of 1, 3 and 11
    /// samples (lanes of 1, of 1, and of 3, 3, 3 and 2), one sample or a
    /// group per product: the weight gradient accumulates within groups,
    /// lanes and across lanes.
    #[test]
    fn passes_match_the_reference_loops() {
        let mut rng = StdRng::seed_from_u64(7);
        for (conv, m) in SHAPES.iter().flat_map(|&c| [(c, 1), (c, 3), (c, 11)]) {
            conv.output_width(0, conv.input_len())
                .expect("a valid shape");
            let params: Vec<f64> = (0..conv.tensors().iter().map(ParamTensor::len).sum())
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let x = random(m, conv.input_len(), &mut rng);
            let dy = random(m, conv.output_len(), &mut rng);
            let mut want_grads = vec![0.0; params.len()];
            let mut want_dx = Matrix::zeros(m, conv.input_len());
            let (x, dy) = (x.view(), dy.view());
            conv.backward_reference(&params, x, dy, &mut want_grads, Some(want_dx.view_mut()));
            let mut scratch = vec![f64::NAN; conv.scratch_len(m)];
            for (relu, fused) in [(false, true), (true, true), (true, false)] {
                let mut want = Matrix::zeros(m, conv.output_len());
                conv.forward_reference(&params, x, want.view_mut(), relu);
                let mut y = Matrix::from_fn(m, conv.output_len(), |_, _| f64::NAN);
                let input = DenseInput::Dense(x);
                conv.forward(&params, input, y.view_mut(), relu, fused, &mut scratch);
                let what = format!("{conv:?} m={m} relu={relu} fused={fused}");
                assert_close(&what, y.as_slice(), want.as_slice());
            }
            let mut grads = vec![f64::NAN; params.len()];
            let mut dx = Matrix::from_fn(m, conv.input_len(), |_, _| f64::NAN);
            let input = DenseInput::Dense(x);
            conv.backward(
                &params,
                input,
                dy,
                &mut grads,
                Some(dx.view_mut()),
                &mut scratch,
            );
            let what = format!("{conv:?} m={m} backward");
            assert_close(&what, &grads, &want_grads);
            assert_close(&what, dx.as_slice(), want_dx.as_slice());
            // Without dx (a first layer), the same parameter gradients.
            let mut alone = vec![f64::NAN; params.len()];
            conv.backward(&params, input, dy, &mut alone, None, &mut scratch);
            assert_close(&what, &alone, &want_grads);
        }
    }

    /// One 3x3 input, a 2x2 kernel, by hand.
    #[test]
    fn the_reference_is_the_textbook_formula() {
        let conv = Conv {
            channels: 1,
            height: 3,
            width: 3,
            filters: 1,
            kernel: 2,
            stride: 1,
            padding: 0,
        };
        let params = [1.0, 0.0, 0.0, -1.0, 0.5];
        let x = Matrix::from_vec(1, 9, (1..=9).map(f64::from).collect());
        let mut y = Matrix::zeros(1, 4);
        conv.forward_reference(&params, x.view(), y.view_mut(), false);
        // Each output is x[i][j] - x[i+1][j+1] + 0.5 = -4 + 0.5.
        assert_eq!(y.as_slice(), &[-3.5; 4]);
        let dy = Matrix::from_vec(1, 4, vec![1.0, 2.0, 3.0, 4.0]);
        let mut grads = [0.0; 5];
        let mut dx = Matrix::zeros(1, 9);
        conv.backward_reference(
            &params,
            x.view(),
            dy.view(),
            &mut grads,
            Some(dx.view_mut()),
        );
        // dW[a][b] = Σ dy[i][j] x[i+a][j+b]; db = Σ dy.
        assert_eq!(grads, [37.0, 47.0, 67.0, 77.0, 10.0]);
        assert_eq!(
            dx.as_slice(),
            &[1.0, 2.0, 0.0, 3.0, 3.0, -2.0, 0.0, -3.0, -4.0]
        );
    }

    /// Shapes that do not fit are errors naming the layer; huge ones are
    /// refused before anything is allocated.
    #[test]
    fn bad_shapes_are_errors() {
        let ok = Conv {
            channels: 1,
            height: 28,
            width: 28,
            filters: 6,
            kernel: 5,
            stride: 1,
            padding: 2,
        };
        assert_eq!(ok.output_width(0, 784).unwrap(), 6 * 28 * 28);
        let no_pad = Conv {
            height: 3,
            width: 3,
            padding: 0,
            ..ok
        };
        let err = no_pad.output_width(2, 9).unwrap_err().to_string();
        assert!(
            err.contains("layer 2: Conv2d 1x3x3 -> 6 filters 5x5 does not fit"),
            "{err}"
        );
        let err = ok.output_width(1, 785).unwrap_err().to_string();
        assert!(
            err.contains("takes 784 inputs but the previous layer gives 785"),
            "{err}"
        );
        for bad in [
            Conv { stride: 0, ..ok },
            Conv { padding: 5, ..ok },
            Conv { filters: 0, ..ok },
        ] {
            assert!(
                matches!(bad.output_width(0, 784), Err(NnError::Architecture(_))),
                "{bad:?}"
            );
        }
        for (huge, input) in [
            (Conv { kernel: 1000, ..ok }, 784),
            (
                Conv {
                    filters: usize::MAX,
                    ..ok
                },
                784,
            ),
            (
                Conv {
                    channels: usize::MAX,
                    ..ok
                },
                784,
            ),
            (
                Conv {
                    filters: 1 << 19,
                    ..ok
                },
                784,
            ),
            (
                Conv {
                    channels: 1000,
                    height: 1000,
                    width: 1,
                    kernel: 1,
                    padding: 0,
                    filters: 2000,
                    ..ok
                },
                1_000_000,
            ),
        ] {
            let got = huge.output_width(0, input);
            assert!(
                matches!(got, Err(NnError::TooLarge { .. })),
                "{huge:?}: {got:?}"
            );
        }
    }
}
