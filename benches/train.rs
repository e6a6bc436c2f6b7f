//! One training step of 784-800-10 at batch 128 (forward, fused loss,
//! backward, momentum update) and a forward pass over 10,000 images, and
//! one full-batch step of `--preset seed000` (784-10-10 over 33,600 MNIST
//! images), each on a pool of 1 and of 2 threads.
//!
//! And one training step of each convolutional preset (`lenet`, `cnn`) at
//! batch 64, on 1 and 2 threads.
//!
//! `cargo bench --bench train` (`-- "2 thread"` for one pool size, `--
//! cnn` for one network). The dense step uses synthetic inputs
//! (uniform pixels, cyclic labels, every pixel nonzero: the first layer
//! takes the dense gemm, whose cost does not depend on the values). The
//! MNIST step uses the first 128 real training images, ~19% nonzero, so the
//! first layer takes the sparse product as in `examples/mnist/`, and
//! "fit's step" 128 images spread over the training set, built from its
//! nonzeros and updated as `fit` does (momentum fused into the first
//! layer's weight gradient); the files
//! come from the tests' lookup (`tests/support/mnist.rs`: `$MNIST_DIR`, else
//! `data/mnist/` at the workspace root, else downloaded there from
//! `$MATNET_MNIST_MIRRORS` or the public mirrors), and the MNIST steps are
//! skipped, saying why, when there is no MNIST.

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use matrix::{Matrix, SparseRows};
use nn::optim::Optimizer;
use nn::{
    Activation, Init, InputSparsity, Loss, Network, OptimizerKind, PreparedBatch, SparseBatch,
};
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

/// MNIST for the batch-128 steps: the first 128 training images.
struct MnistBatch {
    x: Matrix<f32>,
    labels: Vec<u8>,
    /// The training set's nonzeros, as `fit` keeps them.
    rows: SparseRows<f32>,
    /// 128 rows spread over the set (a shuffled mini-batch's are).
    spread: Vec<usize>,
    spread_labels: Vec<u8>,
}

/// [`MnistBatch`], or why there is none.
fn mnist_batch() -> Result<MnistBatch, String> {
    let dir = mnist_data::try_mnist_dir()?;
    let mnist = nn::dataset::load_mnist(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let train = &mnist.train;
    let x = train.images.view().submatrix(0, 0, 128, 784).to_matrix();
    let spread: Vec<usize> = (0..128).map(|i| i * (train.len() / 128)).collect();
    Ok(MnistBatch {
        x,
        labels: train.labels[..128].to_vec(),
        rows: SparseRows::from_dense(&train.images),
        spread_labels: spread.iter().map(|&i| train.labels[i]).collect(),
        spread,
    })
}

/// The 784-10-10 network of `--preset seed000` (uniform init, SGD).
fn seed000_network() -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(0);
    Network::mlp(
        784,
        &[10],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Uniform {
            low: -0.5,
            high: 0.5,
        },
        &mut rng,
    )
    .unwrap()
}

/// The first 33,600 MNIST training images and labels (seed000's training
/// set), or why there are none.
fn mnist_full_batch() -> Result<(Matrix<f32>, Vec<u8>), String> {
    let dir = mnist_data::try_mnist_dir()?;
    let mnist = nn::dataset::load_mnist(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let n = 33_600;
    let x = mnist
        .train
        .images
        .view()
        .submatrix(0, 0, n, 784)
        .to_matrix();
    Ok((x, mnist.train.labels[..n].to_vec()))
}

/// A rayon pool of `threads` threads: the steps' products and the
/// optimizer split over the pool they run on.
fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// Times `iters` runs of `f` inside `pool` (one hand-over to the pool per
/// sample, not per run).
fn timed_on(pool: &rayon::ThreadPool, iters: u64, mut f: impl FnMut() + Send) -> Duration {
    pool.install(|| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    })
}

fn bench(c: &mut Criterion) {
    let x = images(128);
    let labels: Vec<u8> = (0..128).map(|i| (i % 10) as u8).collect();
    let test = images(10_000);
    let mnist = mnist_batch();
    if let Err(why) = &mnist {
        eprintln!("MNIST steps skipped: {why}");
    }
    for threads in [1, 2] {
        let pool = pool(threads);
        let mut group = c.benchmark_group(format!("mnist 784-800-10, {threads} thread(s)"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(3));
        let mut net = network();
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
                b.iter_custom(|iters| {
                    timed_on(&pool, iters, || {
                        net.train_step(x.view(), labels).unwrap();
                        let (p, g) = net.params_and_grads();
                        // Learning rate 0: the same work, but the weights stay
                        // put, so a long run cannot drift into denormals (which
                        // would time the FPU's slow path, not the code).
                        opt.step(p, g, 0.0);
                    })
                })
            });
        };
        step("train step, batch 128", &x, &labels, true);
        if threads == 1 {
            step(
                "train step, batch 128, unfused (bias, ReLU as own sweeps)",
                &x,
                &labels,
                false,
            );
        }
        if let Ok(m) = &mnist {
            step(
                "train step, batch 128, MNIST (sparse input)",
                &m.x,
                &m.labels,
                true,
            );
            // As `fit` steps: the batch built from the set's nonzeros, and
            // the first layer's momentum update fused into its product.
            let mut batch = SparseBatch::new();
            group.bench_function("fit's step, batch 128, MNIST rows", |b| {
                b.iter_custom(|iters| {
                    timed_on(&pool, iters, || {
                        batch.assign_rows(&m.rows, &m.spread, InputSparsity::Auto);
                        net.train_step_sparse_and_update(&batch, &m.spread_labels, &mut opt, 0.0)
                            .unwrap();
                    })
                })
            });
        }
        group.throughput(Throughput::Elements(10_000));
        group.bench_function("forward, 10000 images", |b| {
            b.iter_custom(|iters| {
                timed_on(&pool, iters, || {
                    net.predict(test.view(), 10_000).unwrap();
                })
            })
        });
        group.finish();
    }

    // One epoch of --preset seed000: a full-batch step over 33,600 images
    // prepared once (their nonzeros), and the SGD update.
    match mnist_full_batch() {
        Ok((x, labels)) => {
            let prepared = PreparedBatch::new(x.view(), InputSparsity::Auto);
            for threads in [1, 2] {
                let pool = pool(threads);
                let mut group =
                    c.benchmark_group(format!("seed000 784-10-10, {threads} thread(s)"));
                group
                    .sample_size(20)
                    .measurement_time(Duration::from_secs(3))
                    .throughput(Throughput::Elements(labels.len() as u64));
                let mut net = seed000_network();
                net.reserve_batch(labels.len()).unwrap();
                let mut opt = Optimizer::new(OptimizerKind::Sgd, net.params().len(), 0.0, vec![]);
                group.bench_function("full-batch step, 33600 MNIST images", |b| {
                    b.iter_custom(|iters| {
                        timed_on(&pool, iters, || {
                            net.train_step_prepared(&prepared, &labels).unwrap();
                            let (p, g) = net.params_and_grads();
                            opt.step(p, g, 0.0);
                        })
                    })
                });
                group.finish();
            }
        }
        Err(why) => eprintln!("full-batch steps skipped: {why}"),
    }
}

/// One Adadelta training step of each convolutional preset's network at
/// batch 64 (`mnist --preset lenet`, `--preset cnn`) on synthetic images,
/// on 1 and 2 threads; the pool's threads flush denormals as the examples'
/// do. Beside PyTorch: `cargo run --release --example train_vs_peers`.
fn bench_cnn(c: &mut Criterion) {
    let x = images(64);
    let labels: Vec<u8> = (0..64).map(|i| (i % 10) as u8).collect();
    for (name, spec) in [
        ("lenet", nn::network::LENET5),
        ("cnn", nn::network::PYTORCH_MNIST_EXAMPLE),
    ] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .start_handler(|_| {
                    matrix::flush_denormals(true);
                })
                .build()
                .expect("a thread pool");
            let layers = nn::network::layers_from_spec(spec, (1, 28, 28)).expect("a preset");
            let mut rng = StdRng::seed_from_u64(0);
            let mut net =
                Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng)
                    .expect("a network");
            let kind = OptimizerKind::from_name("adadelta").expect("a rule");
            let mut opt = Optimizer::new(kind, net.params().len(), 0.0, net.weight_ranges());
            let mut group = c.benchmark_group(format!("{name}, {threads} thread(s)"));
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(5))
                .throughput(Throughput::Elements(64));
            group.bench_function("training step, batch 64", |b| {
                b.iter_custom(|iters| {
                    timed_on(&pool, iters, || {
                        net.train_step_and_update(x.view(), &labels, &mut opt, 1.0)
                            .unwrap();
                    })
                })
            });
            group.finish();
        }
    }
}

criterion_group!(benches, bench, bench_cnn);

// criterion_main!, after registering the plots' font (see benches/matmul.rs).
fn main() {
    support::plot::register_fonts();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
