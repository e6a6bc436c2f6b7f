//! Losses fused with the output activation.
//!
//! Softmax + cross-entropy: for logits `z` (one row per sample) and labels
//! `y`, `p = softmax(z)`, `L = -(1/m) sum_i ln p[i][y_i]`, and the gradient
//! entering the last dense layer is `dL/dz = (p - onehot(y)) / m`. Sigmoid +
//! binary cross-entropy: `p = sigmoid(z)`, `L = -(1/m) sum (y ln p + (1-y) ln(1-p))`,
//! `dL/dz = (p - y) / m`. Each is one pass over the logits: probabilities,
//! loss and gradient together, in log-space so logits of ±1e4 stay finite.
//!
//! Squared error ([`squared_error`]) is not fused with an output layer: it
//! takes the network's *outputs* and targets, and its gradient w.r.t. the
//! outputs goes through the output activation's own backward
//! ([`Network::backward_linear_functional`](crate::Network::backward_linear_functional)),
//! which is the slides' `δᴸ = (y_pred − y) ⊙ f′(zᴸ)` as written.

use matrix::{MatrixView, MatrixViewMut, Scalar};

/// Which loss a network trains with; fixes its last layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Softmax output, cross-entropy against class labels.
    SoftmaxCrossEntropy,
    /// One sigmoid output, binary cross-entropy against labels 0/1.
    BinaryCrossEntropy,
}

/// What one pass of a fused loss returns for a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchLoss {
    /// The loss summed over the batch's rows (divide by the row count for
    /// the mean).
    pub sum: f64,
    /// Rows whose predicted class (largest probability, first on ties; for
    /// one sigmoid output, `p >= 0.5`) equals the label.
    pub correct: usize,
}

impl BatchLoss {
    fn add(self, other: BatchLoss) -> BatchLoss {
        BatchLoss {
            sum: self.sum + other.sum,
            correct: self.correct + other.correct,
        }
    }
}

/// Rows per parallel chunk of a loss pass. Fixed, so that the order in
/// which the chunks' sums are added, and so the loss, does not depend on
/// the thread count; large enough that a chunk (1024 rows of 10 logits)
/// is worth a rayon task.
const CHUNK_ROWS: usize = 1024;

/// Runs `pass` over row chunks of the four operands, in parallel, and adds
/// the chunks' results in a tree whose shape depends only on the row count.
fn over_row_chunks<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    probs: MatrixViewMut<'_, T>,
    d_logits: MatrixViewMut<'_, T>,
    pass: &(impl Fn(MatrixView<'_, T>, &[u8], MatrixViewMut<'_, T>, MatrixViewMut<'_, T>) -> BatchLoss
          + Sync),
) -> BatchLoss {
    let m = logits.rows();
    if m <= CHUNK_ROWS {
        return pass(logits, labels, probs, d_logits);
    }
    let half = m.div_ceil(2 * CHUNK_ROWS) * CHUNK_ROWS;
    let (p0, p1) = probs.split_at_row(half);
    let (d0, d1) = d_logits.split_at_row(half);
    let cols = logits.cols();
    let (l0, l1) = (
        logits.submatrix(0, 0, half, cols),
        logits.submatrix(half, 0, m - half, cols),
    );
    let (a, b) = rayon::join(
        || over_row_chunks(l0, &labels[..half], p0, d0, pass),
        || over_row_chunks(l1, &labels[half..], p1, d1, pass),
    );
    a.add(b)
}

/// One pass of softmax + cross-entropy over a batch.
///
/// Writes `probs = softmax(logits)` and `d_logits = (probs - onehot) * grad_scale`
/// (`grad_scale` is `1/m` for a mean loss), returns the *summed* loss
/// `-sum_i ln p[i][label_i]` and how many rows the largest probability
/// classifies right. Rows of all three views must match and be contiguous;
/// labels must be `< cols` (checked by the caller). Large batches run in
/// parallel chunks of rows, with the same result on any thread count.
pub fn softmax_cross_entropy<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    probs: MatrixViewMut<'_, T>,
    d_logits: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> BatchLoss {
    over_row_chunks(logits, labels, probs, d_logits, &|z, y, p, d| {
        softmax_cross_entropy_rows(z, y, p, d, grad_scale)
    })
}

/// [`softmax_cross_entropy`] on one chunk of rows, in three sweeps (the
/// chunk is in L1/L2 after the first): `z - max` per row; `e^x` over the
/// whole chunk at once, a vectorized loop where one row would be only 10
/// elements; then normalization, prediction, loss and gradient per row.
fn softmax_cross_entropy_rows<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    mut probs: MatrixViewMut<'_, T>,
    mut d_logits: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> BatchLoss {
    // `max` ignoring NaN without the NaN checks of `f32::max`: a NaN logit
    // makes its row's sum, and so the loss, NaN either way.
    let row_max = |z: &[T]| {
        z.iter().copied().fold(
            T::from_f64(f64::NEG_INFINITY),
            |a, b| if b > a { b } else { a },
        )
    };
    // ln p[label] = z[label] - max - ln(sum): finite even when p underflows.
    // The first term is summed here, where the row's max is at hand.
    let mut out = BatchLoss::default();
    for (i, &label) in labels.iter().enumerate() {
        let z = logits.row(i).expect("contiguous logits");
        let max = row_max(z);
        let p = probs.row_mut(i).expect("contiguous probs");
        p.iter_mut().zip(z).for_each(|(pj, &zj)| *pj = zj - max);
        out.sum -= (z[label as usize] - max).to_f64();
    }
    match probs.as_mut_slice() {
        Some(all) => T::exp_slice(all),
        None => (0..labels.len()).for_each(|i| T::exp_slice(probs.row_mut(i).unwrap())),
    }
    // The ln(sum) term: each row's sum is in [1, cols] (its largest term is
    // e^0), so instead of a libm ln per row, the sums are multiplied in f64
    // and the product's ln taken only when it nears f64's range.
    let mut sums_product = 1.0f64;
    for (i, &label) in labels.iter().enumerate() {
        let p = probs.row_mut(i).expect("contiguous probs");
        let d = d_logits.row_mut(i).expect("contiguous gradient");
        let label = label as usize;
        let sum: T = p.iter().copied().sum();
        let inv = T::ONE / sum;
        // Normalize, predict (largest probability, first on ties) and write
        // the gradient in one sweep of the row.
        let (mut best, mut best_p) = (0, T::from_f64(f64::NEG_INFINITY));
        for (j, (pj, dj)) in p.iter_mut().zip(d.iter_mut()).enumerate() {
            *pj *= inv;
            (best, best_p) = if *pj > best_p {
                (j, *pj)
            } else {
                (best, best_p)
            };
            *dj = *pj * grad_scale;
        }
        d[label] = (p[label] - T::ONE) * grad_scale;
        out.correct += usize::from(best == label);
        sums_product *= sum.to_f64();
        if sums_product > 1e280 {
            out.sum += sums_product.ln();
            sums_product = 1.0;
        }
    }
    out.sum += sums_product.ln();
    out
}

/// One pass of sigmoid + binary cross-entropy over a batch with one output
/// column. Writes probabilities and `(p - y) * grad_scale`; returns the
/// summed loss, computed as `max(z,0) - z y + ln(1 + e^-|z|)` (stable), and
/// how many rows `p >= 0.5` classifies right.
pub fn sigmoid_binary_cross_entropy<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    probs: MatrixViewMut<'_, T>,
    d_logits: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> BatchLoss {
    over_row_chunks(
        logits,
        labels,
        probs,
        d_logits,
        &|logits, labels, mut probs, mut d_logits| {
            let mut out = BatchLoss::default();
            for (i, &label) in labels.iter().enumerate() {
                let z = logits[(i, 0)];
                let y = if label == 0 { T::ZERO } else { T::ONE };
                let p = crate::activation::sigmoid(z);
                probs.set(i, 0, p);
                d_logits.set(i, 0, (p - y) * grad_scale);
                out.correct += usize::from(usize::from(p >= T::from_f64(0.5)) == label as usize);
                let zf = z.to_f64();
                out.sum += zf.max(0.0) - zf * y.to_f64() + (-zf.abs()).exp().ln_1p();
            }
            out
        },
    )
}

/// Squared error in the slides' convention: for outputs `y_pred` and
/// targets `y` (one row per sample), returns the *summed* loss
/// `½ Σ_rows Σ_cols (y_pred − y)²` and writes
/// `d_pred = (y_pred − y) * grad_scale`.
///
/// With `grad_scale = 1/m` that is the gradient of the mean over the `m`
/// rows of `½‖y_pred − y‖²` (the ½ cancels the 2 of the derivative, so the
/// gradient is `(y_pred − y)/m`, and for one sample `y_pred − y`, as the
/// slides write it). A "mean over every element" MSE without the ½
/// (`torch.nn.MSELoss`) is this loss times `2 / cols`. All three views must
/// have the same shape.
///
/// ```
/// use matrix::Matrix;
/// let y_pred = Matrix::from_vec(1, 2, vec![0.75f64, 0.25]);
/// let y = Matrix::from_vec(1, 2, vec![0.0, 1.0]);
/// let mut d = Matrix::zeros(1, 2);
/// let loss = nn::loss::squared_error(y_pred.view(), y.view(), d.view_mut(), 1.0);
/// assert_eq!(loss, 0.5 * (0.75f64 * 0.75 + 0.75 * 0.75));
/// assert_eq!(d.as_slice(), &[0.75, -0.75]);
/// ```
///
/// # Panics
/// If the shapes differ.
pub fn squared_error<T: Scalar>(
    y_pred: MatrixView<'_, T>,
    y: MatrixView<'_, T>,
    mut d_pred: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> f64 {
    let shape = (y_pred.rows(), y_pred.cols());
    assert!(
        shape == (y.rows(), y.cols()) && shape == (d_pred.rows(), d_pred.cols()),
        "squared_error: y_pred is {}x{}, y {}x{}, d_pred {}x{}",
        shape.0,
        shape.1,
        y.rows(),
        y.cols(),
        d_pred.rows(),
        d_pred.cols()
    );
    let mut sum = 0.0;
    for i in 0..shape.0 {
        for j in 0..shape.1 {
            let diff = y_pred[(i, j)] - y[(i, j)];
            sum += 0.5 * diff.to_f64() * diff.to_f64();
            d_pred.set(i, j, diff * grad_scale);
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix::Matrix;

    /// The textbook definitions, computed in the obvious (unstable) way.
    fn reference_ce(z: &Matrix<f64>, labels: &[u8]) -> f64 {
        (0..z.rows())
            .map(|i| {
                let s: f64 = z.row(i).iter().map(|x| x.exp()).sum();
                -(z[(i, labels[i] as usize)].exp() / s).ln()
            })
            .sum()
    }

    #[test]
    fn cross_entropy_matches_the_reference_and_its_gradient() {
        let z = Matrix::from_fn(4, 5, |i, j| ((i * 5 + j) % 7) as f64 * 0.3 - 1.0);
        let labels = [0u8, 4, 2, 2];
        let (mut p, mut d) = (Matrix::zeros(4, 5), Matrix::zeros(4, 5));
        let loss = softmax_cross_entropy(z.view(), &labels, p.view_mut(), d.view_mut(), 1.0).sum;
        assert!((loss - reference_ce(&z, &labels)).abs() < 1e-12);
        // Central differences of the summed loss.
        for i in 0..4 {
            for j in 0..5 {
                let h = 1e-6;
                let (mut zp, mut zm) = (z.clone(), z.clone());
                zp[(i, j)] += h;
                zm[(i, j)] -= h;
                let numeric = (reference_ce(&zp, &labels) - reference_ce(&zm, &labels)) / (2.0 * h);
                let rel = (numeric - d[(i, j)]).abs() / numeric.abs().max(1e-3);
                assert!(rel < 1e-6, "dz[{i},{j}]: {numeric} vs {}", d[(i, j)]);
            }
        }
    }

    /// A batch of several parallel chunks (uneven last one): the same loss
    /// and gradient as row by row, the right count of correct rows, and
    /// bitwise the same on 1 and 2 threads.
    #[test]
    fn chunked_pass_matches_row_by_row_on_any_thread_count() {
        let m = 2 * CHUNK_ROWS + 77;
        let z = Matrix::from_fn(m, 10, |i, j| ((i * 31 + j * 7) % 23) as f32 * 0.2 - 2.0);
        let labels: Vec<u8> = (0..m).map(|i| (i * 7 % 10) as u8).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (mut p, mut d) = (Matrix::zeros(m, 10), Matrix::zeros(m, 10));
            let out = pool.install(|| {
                softmax_cross_entropy(z.view(), &labels, p.view_mut(), d.view_mut(), 0.5)
            });
            (out, p, d)
        };
        let (one, p1, d1) = run(1);
        let (two, p2, d2) = run(2);
        assert_eq!(one.sum.to_bits(), two.sum.to_bits());
        assert_eq!((one.correct, &p1, &d1), (two.correct, &p2, &d2));
        let mut want = BatchLoss::default();
        for i in 0..m {
            let (mut p, mut d) = (Matrix::zeros(1, 10), Matrix::zeros(1, 10));
            let row = z.view().submatrix(i, 0, 1, 10);
            want = want.add(softmax_cross_entropy(
                row,
                &labels[i..=i],
                p.view_mut(),
                d.view_mut(),
                0.5,
            ));
            assert_eq!((p.as_slice(), d.as_slice()), (p1.row(i), d1.row(i)));
        }
        assert_eq!(one.correct, want.correct);
        let predicted = matrix::ops::argmax_rows(p1.view());
        let correct = (0..m)
            .filter(|&i| predicted[i] == labels[i] as usize)
            .count();
        assert_eq!(one.correct, correct);
        assert!(correct > 0 && correct < m);
        assert!((one.sum - want.sum).abs() < 1e-9 * want.sum.abs());
    }

    #[test]
    fn huge_logits_stay_finite() {
        let z = Matrix::from_vec(2, 3, vec![1e4f32, -1e4, 0.0, -1e4, 1e4, -1e4]);
        let (mut p, mut d) = (Matrix::zeros(2, 3), Matrix::zeros(2, 3));
        let loss = softmax_cross_entropy(z.view(), &[1, 1], p.view_mut(), d.view_mut(), 0.5).sum;
        assert!(loss.is_finite() && (loss - 2e4).abs() < 1.0, "{loss}");
        assert!(p
            .as_slice()
            .iter()
            .chain(d.as_slice())
            .all(|x| x.is_finite()));
        let zb = Matrix::from_vec(2, 1, vec![1e4f32, -1e4]);
        let (mut pb, mut db) = (Matrix::zeros(2, 1), Matrix::zeros(2, 1));
        let l =
            sigmoid_binary_cross_entropy(zb.view(), &[0, 0], pb.view_mut(), db.view_mut(), 1.0).sum;
        assert!(l.is_finite() && (l - 1e4).abs() < 1.0, "{l}");
    }

    #[test]
    fn binary_cross_entropy_gradient_matches_central_differences() {
        let bce = |z: f64, y: f64| {
            let p = 1.0 / (1.0 + (-z).exp());
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        };
        for &(z, label) in &[(-2.0f64, 0u8), (0.5, 1), (3.0, 0), (-0.1, 1)] {
            let zm = Matrix::from_vec(1, 1, vec![z]);
            let (mut p, mut d) = (Matrix::zeros(1, 1), Matrix::zeros(1, 1));
            let loss =
                sigmoid_binary_cross_entropy(zm.view(), &[label], p.view_mut(), d.view_mut(), 1.0)
                    .sum;
            let y = label as f64;
            assert!((loss - bce(z, y)).abs() < 1e-12);
            let numeric = (bce(z + 1e-6, y) - bce(z - 1e-6, y)) / 2e-6;
            assert!((numeric - d[(0, 0)]).abs() / numeric.abs() < 1e-6);
        }
    }
}
