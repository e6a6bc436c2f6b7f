//! A training step allocates nothing once the batch size has been seen
//! (an MLP's, a convolutional network's):
//! activations, gradients, packing buffers and optimizer state are all
//! reused. Counted with a global allocator wrapper, on a 1-thread and a
//! 2-thread rayon pool. With two threads, which worker runs which part of a
//! gemm changes from step to step; the packing buffers belong to the calling
//! thread (see `matrix`'s `gemm/buffer.rs`), so that must not matter. Before
//! that change this test failed in about 1 run of 4 when the other core was
//! busy (a worker's own buffer grew the first time it stole a bigger part).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use matrix::{Matrix, SparseRows};
use nn::optim::Optimizer;
use nn::{Activation, Init, InputSparsity, Loss, Network, OptimizerKind, SparseBatch};
use rand::{rngs::StdRng, Rng, SeedableRng};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A 128 x 784 batch with about `density` of its pixels nonzero.
fn batch(density: f64, rng: &mut StdRng) -> Matrix<f32> {
    Matrix::from_fn(128, 784, |_, _| {
        if rng.random_bool(density) {
            rng.random_range(0.0..1.0f32)
        } else {
            0.0
        }
    })
}

fn steps_allocate(threads: usize) -> usize {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut rng = StdRng::seed_from_u64(0);
        let mut net = Network::<f32>::mlp(
            784,
            &[800],
            Activation::Relu,
            10,
            Loss::SoftmaxCrossEntropy,
            Init::Auto,
            &mut rng,
        )
        .unwrap();
        // Dense, then MNIST-like batches of different densities (the sparse
        // first layer; the last two past its threshold fall back to dense):
        // the sparse buffers are reserved for the densest batch they take.
        let batches: Vec<Matrix<f32>> = [1.0, 0.19, 0.1, 0.24, 0.19, 0.3, 0.5]
            .iter()
            .map(|&d| batch(d, &mut rng))
            .collect();
        let labels: Vec<u8> = (0..128).map(|i| (i % 10) as u8).collect();
        let mut opt = Optimizer::new(
            OptimizerKind::Momentum { mu: 0.9 },
            net.params().len(),
            1e-4,
            net.weight_ranges(),
        );
        // The step and the update as two calls, and as one (how `fit`
        // steps: fused for the sparse batches).
        let mut step = |net: &mut Network<f32>, x: &Matrix<f32>, together: bool| {
            if together {
                net.train_step_and_update(x.view(), &labels, &mut opt, 0.01)
                    .unwrap();
            } else {
                net.train_step(x.view(), &labels).unwrap();
                let (p, g) = net.params_and_grads();
                opt.step(p, g, 0.01);
            }
        };
        // And from sparse rows, as `fit` makes its mini-batches.
        let data = batch(0.19, &mut rng);
        let rows = SparseRows::from_dense(&data);
        let mut sparse = SparseBatch::new();
        let mut rows_opt = Optimizer::new(
            OptimizerKind::Momentum { mu: 0.9 },
            net.params().len(),
            1e-4,
            net.weight_ranges(),
        );
        let picks: Vec<Vec<usize>> = (0..3)
            .map(|_| (0..128).map(|_| rng.random_range(0..128)).collect())
            .collect();
        // First steps, dense and sparse: buffers are allocated here.
        step(&mut net, &batches[0], false);
        step(&mut net, &batches[1], true);
        sparse.assign_rows(&rows, &picks[0], InputSparsity::Auto);
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for (i, x) in batches.iter().cycle().take(14).enumerate() {
            step(&mut net, x, i % 3 != 0);
            assert!(sparse.assign_rows(&rows, &picks[i % 3], InputSparsity::Auto));
            net.train_step_sparse_and_update(&sparse, &labels, &mut rows_opt, 0.01)
                .unwrap();
        }
        let mlp = ALLOCATIONS.load(Ordering::SeqCst) - before;
        mlp + cnn_steps_allocate(&batches, &labels)
    })
}

/// Allocations in steps of a convolutional network with dropout and
/// Adadelta after its first step (its patches' scratch is reserved then).
fn cnn_steps_allocate(batches: &[Matrix<f32>], labels: &[u8]) -> usize {
    use nn::{Conv, Dropout, Layer};
    let mut rng = StdRng::seed_from_u64(1);
    let conv = Conv {
        channels: 1,
        height: 28,
        width: 28,
        filters: 4,
        kernel: 3,
        stride: 2,
        padding: 1,
    };
    let layers = vec![
        conv.layer(),
        Layer::Act(Activation::Relu),
        Layer::MaxPool2d {
            channels: 4,
            height: 14,
            width: 14,
            size: 2,
        },
        Layer::Dropout(Dropout::new(0.5).unwrap()),
        Layer::Dense {
            inputs: 196,
            outputs: 10,
        },
        Layer::Softmax,
    ];
    let mut net =
        Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng).unwrap();
    let kind = OptimizerKind::from_name("adadelta").unwrap();
    let mut opt = Optimizer::new(kind, net.params().len(), 0.0, net.weight_ranges());
    net.train_step_and_update(batches[0].view(), labels, &mut opt, 1.0)
        .unwrap();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for x in batches {
        net.train_step_and_update(x.view(), labels, &mut opt, 1.0)
            .unwrap();
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

/// One test (not two) so that no other test thread allocates meanwhile.
#[test]
fn training_steps_after_the_first_do_not_allocate() {
    assert_eq!(
        steps_allocate(1),
        0,
        "allocations in 14 single-threaded steps"
    );
    // Inside `install` the steps run on a pool worker, so rayon's job
    // injection from outside the pool does not come into it.
    assert_eq!(steps_allocate(2), 0, "allocations in 14 two-threaded steps");
}
