//! `fit` orders each batch's rows for the sparse first layer (by label, then
//! by nonzero count; the full batch once, in a copy). That must change only
//! the order of the gradient's sums: trained with the sparse input it gives
//! the same network, up to rounding, as the dense path, which keeps every
//! batch in the order it was drawn.

use matrix::Matrix;
use nn::dataset::Dataset;
use nn::{fit, Activation, Init, InputSparsity, Loss, Network, OptimizerKind, TrainConfig};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// 10 classes of sparse 8x8 "images": each class lights its own stroke of
/// pixels (with noise and gaps), so the label is learnable and neighbours of
/// one class share columns, as MNIST's do.
fn data_set(rows: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let labels: Vec<u8> = (0..rows).map(|_| rng.random_range(0..10)).collect();
    let images = Matrix::from_fn(rows, 64, |i, j| {
        let on_stroke = (j + 3 * labels[i] as usize) % 10 < 3;
        if (on_stroke && rng.random_bool(0.8)) || rng.random_bool(0.03) {
            rng.random_range(0.1..1.0)
        } else {
            0.0
        }
    });
    Dataset::new(images, labels, 10, (8, 8)).unwrap()
}

fn untrained() -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(7);
    Network::mlp(
        64,
        &[32],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap()
}

fn trained(data: &Dataset, sparsity: InputSparsity, config: &TrainConfig) -> Network<f32> {
    let mut net = untrained();
    net.set_input_sparsity(sparsity);
    fit(&mut net, data, None, config, &mut ()).unwrap();
    net
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn sparse_rows_in_key_order_train_the_same_network_as_dense_rows_in_drawn_order() {
    let data = data_set(600, 1);
    let configs = [
        (
            "mini-batches, momentum",
            TrainConfig {
                epochs: 3,
                batch_size: 40,
                learning_rate: 0.1,
                ..TrainConfig::default()
            },
        ),
        (
            "full batch, SGD",
            TrainConfig {
                epochs: 20,
                batch_size: 0,
                learning_rate: 0.5,
                optimizer: OptimizerKind::Sgd,
                ..TrainConfig::default()
            },
        ),
    ];
    for (what, config) in configs {
        let dense = trained(&data, InputSparsity::Dense, &config);
        let sparse = trained(&data, InputSparsity::Auto, &config);
        // Training moved the parameters far more than rounding does.
        let moved = max_abs_diff(dense.params(), untrained().params());
        let diff = max_abs_diff(dense.params(), sparse.params());
        assert!(
            moved > 0.05,
            "{what}: training moved the parameters only {moved}"
        );
        assert!(
            diff < 1e-4,
            "{what}: sparse and dense training differ by {diff} (training moved them {moved})"
        );
    }
}
