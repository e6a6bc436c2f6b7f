//! Losses fused with the output activation.
//!
//! Softmax + cross-entropy: for logits `z` (one row per sample) and labels
//! `y`, `p = softmax(z)`, `L = -(1/m) sum_i ln p[i][y_i]`, and the gradient
//! entering the last dense layer is `dL/dz = (p - onehot(y)) / m`. Sigmoid +
//! binary cross-entropy: `p = sigmoid(z)`, `L = -(1/m) sum (y ln p + (1-y) ln(1-p))`,
//! `dL/dz = (p - y) / m`. Each is one pass over the logits: probabilities,
//! loss and gradient together, in log-space so logits of ±1e4 stay finite.

use matrix::{MatrixView, MatrixViewMut, Scalar};

/// Which loss a network trains with; fixes its last layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Softmax output, cross-entropy against class labels.
    SoftmaxCrossEntropy,
    /// One sigmoid output, binary cross-entropy against labels 0/1.
    BinaryCrossEntropy,
}

/// One pass of softmax + cross-entropy over a batch.
///
/// Writes `probs = softmax(logits)` and `d_logits = (probs - onehot) * grad_scale`
/// (`grad_scale` is `1/m` for a mean loss), returns the *summed* loss
/// `-sum_i ln p[i][label_i]`. Rows of all three views must match; labels
/// must be `< cols` (checked by the caller).
pub fn softmax_cross_entropy<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    mut probs: MatrixViewMut<'_, T>,
    mut d_logits: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> f64 {
    let cols = logits.cols();
    let mut total = 0.0f64;
    for (i, &label) in labels.iter().enumerate().take(logits.rows()) {
        let z = logits.row(i).expect("contiguous logits");
        let p = probs.row_mut(i).expect("contiguous probs");
        let max = z
            .iter()
            .copied()
            .fold(T::from_f64(f64::NEG_INFINITY), T::max);
        let mut sum = T::ZERO;
        for (pj, &zj) in p.iter_mut().zip(z) {
            *pj = (zj - max).exp();
            sum += *pj;
        }
        let inv = T::ONE / sum;
        p.iter_mut().for_each(|x| *x *= inv);
        // ln p[label] = z[label] - max - ln(sum): finite even when p underflows.
        total -= (z[label as usize] - max - sum.ln()).to_f64();
        let d = d_logits.row_mut(i).expect("contiguous gradient");
        for j in 0..cols {
            let target = if j == label as usize { T::ONE } else { T::ZERO };
            d[j] = (p[j] - target) * grad_scale;
        }
    }
    total
}

/// One pass of sigmoid + binary cross-entropy over a batch with one output
/// column. Writes probabilities and `(p - y) * grad_scale`; returns the
/// summed loss, computed as `max(z,0) - z y + ln(1 + e^-|z|)` (stable).
pub fn sigmoid_binary_cross_entropy<T: Scalar>(
    logits: MatrixView<'_, T>,
    labels: &[u8],
    mut probs: MatrixViewMut<'_, T>,
    mut d_logits: MatrixViewMut<'_, T>,
    grad_scale: T,
) -> f64 {
    let mut total = 0.0f64;
    for (i, &label) in labels.iter().enumerate().take(logits.rows()) {
        let z = logits.get(i, 0);
        let y = if label == 0 { T::ZERO } else { T::ONE };
        let p = crate::activation::sigmoid(z);
        probs.set(i, 0, p);
        d_logits.set(i, 0, (p - y) * grad_scale);
        let zf = z.to_f64();
        total += zf.max(0.0) - zf * y.to_f64() + (-zf.abs()).exp().ln_1p();
    }
    total
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
        let loss = softmax_cross_entropy(z.view(), &labels, p.view_mut(), d.view_mut(), 1.0);
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

    #[test]
    fn huge_logits_stay_finite() {
        let z = Matrix::from_vec(2, 3, vec![1e4f32, -1e4, 0.0, -1e4, 1e4, -1e4]);
        let (mut p, mut d) = (Matrix::zeros(2, 3), Matrix::zeros(2, 3));
        let loss = softmax_cross_entropy(z.view(), &[1, 1], p.view_mut(), d.view_mut(), 0.5);
        assert!(loss.is_finite() && (loss - 2e4).abs() < 1.0, "{loss}");
        assert!(p
            .as_slice()
            .iter()
            .chain(d.as_slice())
            .all(|x| x.is_finite()));
        let zb = Matrix::from_vec(2, 1, vec![1e4f32, -1e4]);
        let (mut pb, mut db) = (Matrix::zeros(2, 1), Matrix::zeros(2, 1));
        let l = sigmoid_binary_cross_entropy(zb.view(), &[0, 0], pb.view_mut(), db.view_mut(), 1.0);
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
                sigmoid_binary_cross_entropy(zm.view(), &[label], p.view_mut(), d.view_mut(), 1.0);
            let y = label as f64;
            assert!((loss - bce(z, y)).abs() < 1e-12);
            let numeric = (bce(z + 1e-6, y) - bce(z - 1e-6, y)) / 2e-6;
            assert!((numeric - d[(0, 0)]).abs() / numeric.abs() < 1e-6);
        }
    }
}
