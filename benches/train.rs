//! One training step of 784-800-10 at batch 128 (forward, fused loss,
//! backward, momentum update) and a forward pass over 10,000 images.
//!
//! `cargo bench --bench train`. Inputs are synthetic (uniform pixels, cyclic
//! labels): the cost of a step does not depend on the values.

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
    group.bench_function("train step, batch 128", |b| {
        b.iter(|| {
            net.train_step(x.view(), &labels).unwrap();
            let (p, g) = net.params_and_grads();
            // Learning rate 0: the same work, but the weights stay put, so a
            // long run on synthetic data cannot drift into denormals (which
            // would time the FPU's slow path, not the code).
            opt.step(p, g, 0.0);
        })
    });

    let test = images(10_000);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("forward, 10000 images", |b| {
        b.iter(|| net.predict(test.view(), 10_000).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
