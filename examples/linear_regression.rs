//! Linear least squares three ways, as a tour of the `matrix` API: the
//! normal equations `(XᵀX) w = Xᵀy` solved by the library's Cholesky
//! factorization, the QR factorization of `X` itself (better conditioned:
//! it never squares `X`'s condition number), and plain gradient descent on
//! the mean squared error.
//!
//! ```text
//! cargo run --release --example linear_regression
//! ```
//!
//! The data are synthetic: `y = 1.5 + 2x₁ - 3x₂ + 0.5x₃ + noise`, so the
//! fitted coefficients can be printed beside the true ones.

use matrix::Matrix;
use rand::distr::Uniform;
use rand::{rngs::StdRng, SeedableRng};

/// Mean squared error of the predictions `X w` against `y`.
fn mse(x: &Matrix<f64>, w: &Matrix<f64>, y: &Matrix<f64>) -> f64 {
    let residual = x * w - y; // a product through gemm, then an elementwise `-`
    residual.map(|r| r * r).sum() / y.rows() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 500;
    // The true model, intercept first, as a 4x1 column built from rows.
    let w_true = Matrix::from([[1.5], [2.0], [-3.0], [0.5]]);
    let p = w_true.rows();

    // Design matrix: a column of ones (the intercept), then 3 features in
    // [-1, 1). `col_mut` is a strided view of one column.
    let mut rng = StdRng::seed_from_u64(19);
    let mut x: Matrix<f64> = Matrix::random(n, p, &mut rng, Uniform::new(-1.0, 1.0).unwrap());
    x.col_mut(0).fill(1.0);
    let noise: Matrix<f64> = Matrix::random(n, 1, &mut rng, Uniform::new(-0.1, 0.1).unwrap());
    let y = &x * &w_true + noise;

    // Normal equations. `x.t()` is free; `*` between matrices and views is
    // the matrix product.
    let xtx = x.t() * &x; // 4x4
    let xty = x.t() * &y; // 4x1
                          // A typed error (`NotPositiveDefinite { column }`) if XᵀX is singular.
    let chol = xtx.cholesky()?;
    let w_normal = chol.solve(&xty)?;
    // The factor reproduces XᵀX: `L * Lᵀ - XᵀX` is ~0.
    let l = chol.l();
    let err = (&l * l.t() - &xtx).map(f64::abs).max().unwrap_or(0.0);
    println!("Cholesky: max |L Lᵀ - XᵀX| = {err:.2e}");
    // The same fit from X = QR: R w = Qᵀ y.
    let w_qr = x.qr()?.solve_least_squares(&y)?;
    let diff = (&w_qr - &w_normal).map(f64::abs).max().unwrap_or(0.0);
    println!("QR least squares: max |w_qr - w_normal| = {diff:.2e}");

    // Gradient descent on the mean squared error:
    // grad = (2/n) Xᵀ (X w - y).
    let mut w = Matrix::zeros(p, 1);
    let lr = 0.5;
    for step in 0..=300 {
        let grad = x.t() * (&x * &w - &y) * (2.0 / n as f64);
        w -= grad * lr;
        if step % 100 == 0 {
            println!("gradient descent step {step:3}: mse {:.6}", mse(&x, &w, &y));
        }
    }

    println!();
    println!(
        "{:>10} {:>10} {:>10} {:>10}",
        "coef", "true", "normal eq", "grad desc"
    );
    let names = ["intercept", "x1", "x2", "x3"];
    // `iter` walks the elements row-major; a column vector's are its rows.
    for (k, ((t, a), b)) in w_true.iter().zip(&w_normal).zip(&w).enumerate() {
        println!("{:>10} {t:>10.4} {a:>10.4} {b:>10.4}", names[k]);
    }
    println!();
    println!(
        "mse: normal equations {:.6}, gradient descent {:.6}",
        mse(&x, &w_normal, &y),
        mse(&x, &w, &y)
    );

    // Shapes are checked: `get` returns `None` outside, the `try_` forms
    // say what did not fit instead of panicking.
    assert_eq!(w_normal.view().get(p, 0), None);
    if let Err(e) = x.try_matmul(&x) {
        println!("as expected, {e}");
    }
    let worst = (&w_normal - &w_true)
        .map(f64::abs)
        .max()
        .unwrap_or(f64::NAN);
    if worst > 0.05 {
        return Err(format!("the fit is off by {worst}").into());
    }
    Ok(())
}
