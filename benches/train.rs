//! One training step of 784-800-10 at batch 128 (forward, fused loss,
//! backward, momentum update) and a forward pass over 10,000 images.
//!
//! `cargo bench --bench train`. The dense step uses synthetic inputs
//! (uniform pixels, cyclic labels, every pixel nonzero: the first layer
//! takes the dense gemm, whose cost does not depend on the values). The
//! MNIST step uses the first 128 real training images, ~19% nonzero, so the
//! first layer takes the sparse product as in `examples/mnist.rs`; the files
//! come from the tests' lookup (`tests/support/mnist.rs`: `$MNIST_DIR`, else
//! `data/mnist/` at the workspace root, else downloaded there from
//! `$MATNET_MNIST_MIRRORS` or the public mirrors), and that step is skipped,
//! saying why, when there is no MNIST.

use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use matrix::Matrix;
use nn::optim::Optimizer;
use nn::{Activation, Init, Loss, Network, OptimizerKind};
use rand::{rngs::StdRng, Rng, SeedableRng};

#[path = "../tests/support/mnist.rs"]
mod mnist_data;

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

/// The first 128 MNIST training images and labels, or why there are none.
fn mnist_batch() -> Result<(Matrix<f32>, Vec<u8>), String> {
    let dir = mnist_data::try_mnist_dir()?;
    let mnist = nn::dataset::load_mnist(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let x = mnist
        .train
        .images
        .view()
        .submatrix(0, 0, 128, 784)
        .to_matrix();
    Ok((x, mnist.train.labels[..128].to_vec()))
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
        Ok((x, labels)) => step(
            "train step, batch 128, MNIST (sparse input)",
            &x,
            &labels,
            true,
        ),
        Err(why) => eprintln!("sparse step skipped: {why}"),
    }

    let test = images(10_000);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("forward, 10000 images", |b| {
        b.iter(|| net.predict(test.view(), 10_000).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);

// criterion_main!, after registering the plots' font (see benches/matmul.rs).
fn main() {
    support::plot::register_fonts();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
