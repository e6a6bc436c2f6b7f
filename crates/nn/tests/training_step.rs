//! `Network::train_step_and_update`, the step `fit` runs: the same
//! parameters, optimizer state and loss, bit for bit, as `train_step`
//! followed by `Optimizer::step`, whether or not it fuses the first layer's
//! update into that layer's sparse weight-gradient product (momentum and a
//! sparse batch), on any number of threads.

use matrix::{Matrix, SparseRows};
use nn::optim::Optimizer;
use nn::{
    Activation, Init, InputSparsity, Loss, Network, OptimizerKind, PreparedBatch, SparseBatch,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn network(inputs: usize, seed: u64) -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Network::mlp(
        inputs,
        &[48, 20],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap()
}

/// `rows x cols` with about `density` of its entries nonzero.
fn batch(rows: usize, cols: usize, density: f64, rng: &mut StdRng) -> Matrix<f32> {
    Matrix::from_fn(rows, cols, |_, _| {
        if rng.random_bool(density) {
            rng.random_range(0.0..1.0)
        } else {
            0.0
        }
    })
}

fn optimizer(name: &str, wd: f64, net: &Network<f32>) -> Optimizer<f32> {
    let kind = OptimizerKind::from_name(name).unwrap();
    Optimizer::new(kind, net.params().len(), wd, net.weight_ranges())
}

fn bits(xs: &[f32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// Fails naming the first element where `a` and `b` differ in their bits.
fn assert_same_bits(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len()).find(|&i| a[i].to_bits() != b[i].to_bits()) {
        panic!("{what}: element {i} differs: {} vs {}", a[i], b[i]);
    }
}

/// Five steps each way for every rule, with and without weight decay, on
/// sparse batches (the fused path for momentum) and dense ones, plain and
/// prepared. The gradients are compared where the fused step stores them
/// (all but the first layer's weights); the parameters everywhere.
#[test]
fn step_and_update_matches_step_then_optimizer_bit_for_bit() {
    let mut rng = StdRng::seed_from_u64(1);
    for name in ["sgd", "momentum", "nesterov", "adam"] {
        for wd in [0.0, 1e-3] {
            for (rows, density) in [(20, 1.0), (128, 0.15), (131, 1.0), (300, 0.1)] {
                let x = batch(rows, 200, density, &mut rng);
                let labels: Vec<u8> = (0..rows).map(|_| rng.random_range(0..10)).collect();
                let prepared = PreparedBatch::new(x.view(), InputSparsity::Auto);
                for use_prepared in [false, true] {
                    let (mut a, mut b) = (network(200, 7), network(200, 7));
                    let (mut oa, mut ob) = (optimizer(name, wd, &a), optimizer(name, wd, &b));
                    let first_weights = a.dense_params()[0].weight_range().end;
                    for step in 0..5 {
                        let la = if use_prepared {
                            a.train_step_prepared(&prepared, &labels).unwrap()
                        } else {
                            a.train_step(x.view(), &labels).unwrap()
                        };
                        let (p, g) = a.params_and_grads();
                        oa.step(p, g, 0.05);
                        let lb = if use_prepared {
                            b.train_step_prepared_and_update(&prepared, &labels, &mut ob, 0.05)
                        } else {
                            b.train_step_and_update(x.view(), &labels, &mut ob, 0.05)
                        }
                        .unwrap();
                        let what = format!(
                            "{name} wd {wd}, {rows} rows of density {density}, prepared \
                             {use_prepared}, step {step}"
                        );
                        assert_eq!(la.0.to_bits(), lb.0.to_bits(), "{what}: loss");
                        assert_eq!(la.1, lb.1, "{what}: correct");
                        assert_same_bits(
                            &a.grads()[first_weights..],
                            &b.grads()[first_weights..],
                            &format!("{what}: gradients"),
                        );
                        assert_same_bits(a.params(), b.params(), &format!("{what}: parameters"));
                    }
                }
            }
        }
    }
}

/// A step on a batch made from a data set's sparse rows (how `fit` steps)
/// is the step on the same rows copied out densely, bit for bit, for each
/// rule; and a batch too dense for the sparse form is refused.
#[test]
fn step_on_sparse_rows_matches_the_step_on_their_dense_copy() {
    let mut rng = StdRng::seed_from_u64(4);
    let data = batch(500, 200, 0.15, &mut rng);
    let labels: Vec<u8> = (0..500).map(|_| rng.random_range(0..10)).collect();
    let rows = SparseRows::from_dense(&data);
    let mut sparse = SparseBatch::new();
    for name in ["sgd", "momentum", "adam"] {
        let (mut a, mut b) = (network(200, 9), network(200, 9));
        let (mut oa, mut ob) = (optimizer(name, 1e-3, &a), optimizer(name, 1e-3, &b));
        for step in 0..5 {
            // A short batch now and then, as a data set's last.
            let m = if step == 2 { 37 } else { 128 };
            let pick: Vec<usize> = (0..m).map(|_| rng.random_range(0..500)).collect();
            let x = Matrix::from_fn(m, 200, |r, j| data[(pick[r], j)]);
            let y: Vec<u8> = pick.iter().map(|&i| labels[i]).collect();
            let la = a
                .train_step_and_update(x.view(), &y, &mut oa, 0.05)
                .unwrap();
            assert!(sparse.assign_rows(&rows, &pick, InputSparsity::Auto));
            let lb = b
                .train_step_sparse_and_update(&sparse, &y, &mut ob, 0.05)
                .unwrap();
            let what = format!("{name}, step {step}");
            assert_eq!(la.0.to_bits(), lb.0.to_bits(), "{what}: loss");
            assert_eq!(la.1, lb.1, "{what}: correct");
            assert_same_bits(a.params(), b.params(), &format!("{what}: parameters"));
        }
    }
    let full = SparseRows::from_dense(&batch(8, 200, 1.0, &mut rng));
    assert!(!sparse.assign_rows(&full, &[0, 1, 2, 3], InputSparsity::Auto));
    let mut net = network(200, 9);
    let mut opt = optimizer("sgd", 0.0, &net);
    let err = net
        .train_step_sparse_and_update(&sparse, &[0; 3], &mut opt, 0.05)
        .unwrap_err();
    assert!(
        err.to_string().contains("128 input rows but 3 labels"),
        "{err}"
    );
}

/// Ten steps on 1, 2 and 3 threads, MNIST-like sparse batches (fused) and
/// dense ones: the same parameters, bit for bit.
#[test]
fn step_and_update_gives_the_same_bits_on_any_number_of_threads() {
    let run = |threads: usize, density: f64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut rng = StdRng::seed_from_u64(2);
            let mut net = network(784, 3);
            let mut opt = optimizer("momentum", 1e-4, &net);
            let mut losses = Vec::new();
            for step in 0..10 {
                // A short batch now and then, as a data set's last.
                let rows = if step == 4 { 37 } else { 128 };
                let x = batch(rows, 784, density, &mut rng);
                let labels: Vec<u8> = (0..rows).map(|_| rng.random_range(0..10)).collect();
                let (loss, _) = net
                    .train_step_and_update(x.view(), &labels, &mut opt, 0.05)
                    .unwrap();
                losses.push(loss.to_bits());
            }
            (losses, bits(net.params()))
        })
    };
    for density in [0.19, 1.0] {
        let one = run(1, density);
        for threads in [2, 3] {
            let other = run(threads, density);
            assert_eq!(
                one.0, other.0,
                "density {density}: losses, 1 vs {threads} threads"
            );
            assert!(
                one.1 == other.1,
                "density {density}: parameters, 1 vs {threads} threads"
            );
        }
    }
}

/// A NaN loss updates nothing, and an optimizer made for another network
/// is an error, not a panic.
#[test]
fn bad_loss_and_wrong_optimizer_leave_the_network_alone() {
    let mut net = network(30, 4);
    let mut opt = optimizer("momentum", 0.0, &net);
    let mut rng = StdRng::seed_from_u64(5);
    let x = batch(40, 30, 0.1, &mut rng);
    let labels = vec![1u8; 40];
    // A NaN bias of the output layer makes every logit, and the loss, NaN.
    let last = net.params().len() - 1;
    net.params_mut()[last] = f32::NAN;
    let before = bits(net.params());
    let (loss, _) = net
        .train_step_and_update(x.view(), &labels, &mut opt, 0.1)
        .unwrap();
    assert!(loss.is_nan());
    assert_eq!(bits(net.params()), before);

    let mut other = Optimizer::new(OptimizerKind::Sgd, 12, 0.0, vec![]);
    let err = net
        .train_step_and_update(x.view(), &labels, &mut other, 0.1)
        .unwrap_err();
    assert!(err.to_string().contains("12 parameters"), "{err}");
}

/// A LeNet-like network with dropout: conv (padded), ReLU, pool, conv,
/// ReLU, pool, dropout, Dense, ReLU, Dense, Softmax on 28x28 images.
pub fn small_cnn(seed: u64) -> Network<f32> {
    use nn::{Conv, Dropout, Layer};
    let mut rng = StdRng::seed_from_u64(seed);
    let conv = |channels, side, filters, padding| {
        Conv {
            channels,
            height: side,
            width: side,
            filters,
            kernel: 5,
            stride: 1,
            padding,
        }
        .layer()
    };
    let pool = |channels, side| Layer::MaxPool2d {
        channels,
        height: side,
        width: side,
        size: 2,
    };
    let layers = vec![
        conv(1, 28, 4, 2),
        Layer::Act(Activation::Relu),
        pool(4, 28),
        conv(4, 14, 8, 0),
        Layer::Act(Activation::Relu),
        pool(8, 10),
        Layer::Dropout(Dropout::new(0.25).unwrap()),
        Layer::Dense {
            inputs: 200,
            outputs: 32,
        },
        Layer::Act(Activation::Relu),
        Layer::Dense {
            inputs: 32,
            outputs: 10,
        },
        Layer::Softmax,
    ];
    Network::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng).unwrap()
}

/// Six steps of a convolutional network with dropout on 1, 2 and 3
/// threads, with Adadelta: the same losses and parameters, bit for bit.
#[test]
fn a_convolutional_network_steps_the_same_on_any_number_of_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut rng = StdRng::seed_from_u64(4);
            let mut net = small_cnn(5);
            let mut opt = optimizer("adadelta", 0.0, &net);
            let mut losses = Vec::new();
            for step in 0..6 {
                let rows = if step == 3 { 13 } else { 64 };
                let x = batch(rows, 784, 0.19, &mut rng);
                let labels: Vec<u8> = (0..rows).map(|_| rng.random_range(0..10)).collect();
                let (loss, _) = net
                    .train_step_and_update(x.view(), &labels, &mut opt, 1.0)
                    .unwrap();
                losses.push(loss.to_bits());
            }
            (losses, bits(net.params()))
        })
    };
    let one = run(1);
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(one.0, other.0, "losses, 1 vs {threads} threads");
        assert!(one.1 == other.1, "parameters, 1 vs {threads} threads");
    }
}
