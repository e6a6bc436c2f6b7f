//! One training step of 784-800-10 at batch 128 (forward, fused loss,
//! backward, momentum update) and a forward pass over 10,000 images.
//!
//! `cargo bench --bench train`. The dense step uses synthetic inputs
//! (uniform pixels, cyclic labels, every pixel nonzero: the first layer
//! takes the dense gemm, whose cost does not depend on the values). The
//! MNIST step uses the first 128 real training images, ~19% nonzero, so the
//! first layer takes the sparse product as in `examples/mnist.rs`; it runs
//! when the files are found in `$MNIST_DIR`, `../shared/data/mnist` or
//! `data/mnist`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use matrix::Matrix;
use nn::optim::Optimizer;
use nn::{Activation, Init, Loss, Network, OptimizerKind};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn network() -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(0);
    Network::mlp(
        784,
        &[800],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap()
}

fn images(n: usize) -> Matrix<f32> {
    let mut rng = StdRng::seed_from_u64(1);
    Matrix::from_fn(n, 784, |_, _| rng.random_range(0.0..1.0))
}

/// The first 128 MNIST training images and labels, if the files are found.
fn mnist_batch() -> Option<(Matrix<f32>, Vec<u8>)> {
    let dirs = std::env::var_os("MNIST_DIR")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(["../shared/data/mnist", "data/mnist"].map(Into::into));
    let mnist = dirs
        .into_iter()
        .find_map(|d| nn::dataset::load_mnist(&d).ok())?;
    let x = mnist
        .train
        .images
        .view()
        .submatrix(0, 0, 128, 784)
        .to_matrix();
    Some((x, mnist.train.labels[..128].to_vec()))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mnist 784-800-10");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));

    let mut net = network();
    let x = images(128);
    let labels: Vec<u8> = (0..128).map(|i| (i % 10) as u8).collect();
    let mut opt = Optimizer::new(
        OptimizerKind::Momentum { mu: 0.9 },
        net.params().len(),
        0.0,
        vec![],
    );
    group.throughput(Throughput::Elements(128));
    let mut step = |name: &str, x: &Matrix<f32>, labels: &[u8], fused: bool| {
        net.set_fused_epilogues(fused);
        group.bench_function(name, |b| {
            b.iter(|| {
                net.train_step(x.view(), labels).unwrap();
                let (p, g) = net.params_and_grads();
                // Learning rate 0: the same work, but the weights stay put,
                // so a long run cannot drift into denormals (which would
                // time the FPU's slow path, not the code).
                opt.step(p, g, 0.0);
            })
        });
    };
    step("train step, batch 128", &x, &labels, true);
    step(
        "train step, batch 128, unfused (bias, ReLU as own sweeps)",
        &x,
        &labels,
        false,
    );
    match mnist_batch() {
        Some((x, labels)) => step(
            "train step, batch 128, MNIST (sparse input)",
            &x,
            &labels,
            true,
        ),
        None => eprintln!(
            "MNIST not found ($MNIST_DIR, ../shared/data/mnist, data/mnist): sparse step skipped"
        ),
    }

    let test = images(10_000);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("forward, 10000 images", |b| {
        b.iter(|| net.predict(test.view(), 10_000).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
