//! Sizes that come from input are checked before anything that large is
//! allocated, and memory the allocator refuses is a typed error, never an
//! abort.

use matrix::Matrix;
use nn::idx::{read_idx_bytes, read_idx_with_limit, IdxError, DEFAULT_MAX_DATA_BYTES};
use nn::network::{MAX_LAYER_WIDTH, MAX_PARAMETERS};
use nn::optim::Optimizer;
use nn::{Activation, Init, Loss, Network, NnError, OptimizerKind};
use rand::{rngs::StdRng, SeedableRng};

fn mlp(hidden: &[usize]) -> Result<Network<f32>, NnError> {
    let mut rng = StdRng::seed_from_u64(0);
    Network::mlp(
        784,
        hidden,
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
}

#[test]
fn layer_widths_above_the_limit_are_refused_with_the_limit_named() {
    match mlp(&[MAX_LAYER_WIDTH + 1]) {
        Err(NnError::TooLarge { size, limit, what }) => {
            assert_eq!(
                (size, limit),
                (MAX_LAYER_WIDTH as u64 + 1, MAX_LAYER_WIDTH as u64)
            );
            assert!(what.contains("layer 0"), "{what}");
        }
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn parameter_counts_above_the_limit_are_refused_before_allocating() {
    // Two layers of 2^20 units: 2^40 weights between them.
    let err = mlp(&[MAX_LAYER_WIDTH, MAX_LAYER_WIDTH])
        .err()
        .expect("refused");
    match err {
        NnError::TooLarge { limit, size, .. } => {
            assert_eq!(limit, MAX_PARAMETERS as u64);
            assert!(size > limit);
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    assert!(err_text(mlp(&[MAX_LAYER_WIDTH, MAX_LAYER_WIDTH])).contains("the limit is"));
}

fn err_text<T>(r: Result<T, NnError>) -> String {
    r.err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn batch_buffers_that_cannot_be_allocated_are_an_error_and_keep_the_old_ones() {
    let mut net = mlp(&[8]).unwrap();
    net.reserve_batch(4).unwrap();
    let err = net.reserve_batch(1 << 60).unwrap_err();
    assert!(matches!(err, NnError::OutOfMemory { .. }), "{err}");
    assert!(err.to_string().starts_with("out of memory: "), "{err}");
    // The network still works at the batch size it had.
    let x = Matrix::<f32>::zeros(4, 784);
    assert_eq!(net.forward(x.view()).unwrap().shape(), (4, 10));
}

#[test]
fn optimizer_state_that_cannot_be_allocated_is_an_error() {
    let err = Optimizer::<f32>::try_new(OptimizerKind::Sgd, usize::MAX / 2, 0.0, Vec::new())
        .err()
        .expect("refused");
    assert!(matches!(err, NnError::OutOfMemory { .. }), "{err}");
}

#[test]
fn matrices_that_cannot_be_allocated_are_an_error() {
    assert!(Matrix::<f32>::try_zeros(1 << 62, 4).is_err());
    assert!(Matrix::<f64>::try_zeros(1 << 40, 1 << 30).is_err());
    assert_eq!(Matrix::<f32>::try_zeros(3, 4).unwrap().shape(), (3, 4));
}

/// A gzip'd IDX header declaring `n` 28x28 images, with no data after it.
fn gzip_header_only(n: u32) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for word in [0x0803u32, n, 28, 28] {
        gz.write_all(&word.to_be_bytes()).unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn idx_data_above_the_limit_is_refused_before_it_is_read() {
    // 2^31 images declared: far above the default limit, checked on the header.
    let err = read_idx_bytes(&gzip_header_only(1 << 31), "huge.gz").unwrap_err();
    match err {
        IdxError::TooLarge {
            declared, limit, ..
        } => {
            assert_eq!(declared, (1u64 << 31) * 784);
            assert_eq!(limit, DEFAULT_MAX_DATA_BYTES);
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    // Under the limit the same header is merely truncated.
    let err = read_idx_bytes(&gzip_header_only(10), "small.gz").unwrap_err();
    assert!(matches!(err, IdxError::TruncatedData { .. }), "{err}");
    // A limit of our own, on a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("images.gz");
    std::fs::write(&path, gzip_header_only(1000)).unwrap();
    let err = read_idx_with_limit(&path, 783_999).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TooLarge {
                declared: 784_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("images.gz"), "{err}");
}
