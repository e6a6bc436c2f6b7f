//! The slides' worked example, every number computed by the library.
//!
//! ```text
//! cargo run --release --example slides
//! ```
//!
//! A 2x2 dense layer `z = W x + b` with `W = [[0.2, -0.5], [0.3, 0.8]]`,
//! `b = [0.1, -0.2]` and (our choice: the slides leave it open)
//! `x = [1.0, 2.0]`: the forward pass and softmax through an `nn::Network`
//! (`Dense` then `Softmax`), the cross-entropy against the target `[0, 1]`
//! and its gradient from the network's backward pass; then the slide's own
//! update `W − η∇W` with its given `∇W = [[-0.01, 0.02], [0.03, -0.01]]`
//! and `η = 0.1`, by `matrix::ops::axpy`; then the slides' general output
//! delta `δᴸ = (y_pred − y) ⊙ f′(zᴸ)` as written, with a sigmoid output and
//! `nn::loss::squared_error`. `tests/slides.rs` checks the printed numbers.

use matrix::{ops, Matrix};
use nn::{loss, Activation, Init, Layer, Loss, Network};
use rand::{rngs::StdRng, SeedableRng};

/// `[a, b]` with 4 decimals.
fn vector(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", items.join(", "))
}

/// `[[a, b], [c, d]]` with 4 decimals.
fn matrix(m: &Matrix<f64>) -> String {
    let rows: Vec<String> = (0..m.rows()).map(|i| vector(m.row(i))).collect();
    format!("[{}]", rows.join(", "))
}

fn main() -> Result<(), String> {
    let err = |e: nn::NnError| e.to_string();
    // The slides' orientation: W is outputs x inputs, z = W x + b.
    let w = Matrix::from_vec(2, 2, vec![0.2, -0.5, 0.3, 0.8]);
    let b = [0.1, -0.2];
    let x = Matrix::from_vec(1, 2, vec![1.0, 2.0]);
    let target = 1u8; // one-hot [0, 1]
    let y = Matrix::from_vec(1, 2, vec![0.0, 1.0]);

    println!("The slides' worked example, computed by matnet (f64).");
    println!("W = {}", matrix(&w));
    println!("b = {}", vector(&b));
    println!(
        "x = {}   (our choice: the slides leave x open)",
        vector(x.row(0))
    );
    println!("y = {}   (one-hot target: class 2 of 2)", vector(y.row(0)));

    // nn's Dense layer computes a row z = x Wd + b with Wd = inputs x
    // outputs, i.e. Wd = Wᵀ: the same z as W x + b.
    let mut net = Network::<f64>::new(
        vec![
            Layer::Dense {
                inputs: 2,
                outputs: 2,
            },
            Layer::Softmax,
        ],
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut StdRng::seed_from_u64(0),
    )
    .map_err(err)?;
    let dense = net.dense_params()[0];
    net.params_mut()[dense.weight_range()].copy_from_slice(w.transposed().as_slice());
    net.params_mut()[dense.bias_range()].copy_from_slice(&b);

    println!("\n1. Forward pass and softmax (nn::Network: Dense 2->2, Softmax)");
    let mut z = x.matmul(w.t());
    ops::add_row_vector(z.view_mut(), &b).map_err(|e| e.to_string())?;
    println!("   z = W x + b = {}", vector(z.row(0)));
    let p = net.forward(x.view()).map_err(err)?.to_matrix();
    println!("   p = softmax(z) = {}", vector(p.row(0)));

    println!("\n2. Cross-entropy and its gradient (the network's backward pass)");
    let (ce, _) = net.train_step(x.view(), &[target]).map_err(err)?;
    println!("   L = -Σ y_i ln p_i = -ln p_2 = {ce:.4}");
    let grads = net.grads();
    let grad_w = Matrix::from_vec(2, 2, grads[dense.weight_range()].to_vec()).transposed();
    println!("   dL/dz = p - y = {}", vector(&grads[dense.bias_range()]));
    println!("   ∇W = (p - y) xᵀ = {}", matrix(&grad_w));

    println!("\n3. The slide's update, with its given gradient");
    let slide_grad = Matrix::from_vec(2, 2, vec![-0.01, 0.02, 0.03, -0.01]);
    let eta = 0.1;
    let mut updated = w.clone();
    ops::axpy(-eta, slide_grad.as_slice(), updated.as_mut_slice()).map_err(|e| e.to_string())?;
    println!("   ∇W (slide) = {}   η = {eta}", matrix(&slide_grad));
    println!("   W - η∇W = {}", matrix(&updated));
    println!(
        "   note: the slide prints [[0.198, -0.498], [0.303, 0.801]], which does not follow from its own formula W - η∇W."
    );

    println!(
        "\n4. The slides' output delta δᴸ = (y_pred - y) ⊙ f′(zᴸ), sigmoid output, squared error"
    );
    let mut a = Matrix::zeros(1, 2);
    Activation::Sigmoid.forward(z.as_slice(), a.as_mut_slice());
    println!("   y_pred = σ(z) = {}", vector(a.row(0)));
    let mut d_pred = Matrix::zeros(1, 2);
    let se = loss::squared_error(a.view(), y.view(), d_pred.view_mut(), 1.0);
    println!("   L = ½ Σ (y_pred - y)² = {se:.4}");
    println!("   y_pred - y = {}", vector(d_pred.row(0)));
    let mut delta = Matrix::zeros(1, 2);
    Activation::Sigmoid.backward(a.as_slice(), d_pred.as_slice(), delta.as_mut_slice());
    println!("   δᴸ = (y_pred - y) ⊙ σ′(z) = {}", vector(delta.row(0)));
    let grad_w_se = delta.t().matmul(&x);
    println!("   ∇W = δᴸ xᵀ = {}", matrix(&grad_w_se));
    Ok(())
}
