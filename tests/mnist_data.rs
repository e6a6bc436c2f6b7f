//! The real MNIST set, found (or downloaded) by the tests' shared lookup
//! (`tests/support/mnist.rs`), loads with the right sizes, ranges and labels.
//! (Moved here from `crates/nn/tests/idx_files/`, so that `matnet-nn`'s own
//! tests need no MNIST: they write their own small IDX files.)

use nn::dataset::{load_mnist, mnist_files_present};

#[path = "support/mnist.rs"]
mod mnist_data;
use mnist_data::mnist_dir;

#[test]
fn real_mnist_loads() {
    let dir = mnist_dir();
    assert!(
        mnist_files_present(&dir),
        "{}: the four MNIST files are not all present",
        dir.display()
    );
    let m =
        load_mnist(&dir).unwrap_or_else(|e| panic!("loading MNIST from {}: {e}", dir.display()));
    assert_eq!(m.train.len(), 60_000);
    assert_eq!(m.test.len(), 10_000);
    for d in [&m.train, &m.test] {
        assert_eq!(d.features(), 784);
        assert_eq!(d.image_shape, (28, 28));
        assert_eq!(d.classes, 10);
        assert_eq!(d.images.rows(), d.len());
        assert!(d.labels.iter().all(|&l| l <= 9));
        let px = d.images.as_slice();
        assert!(px.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(px.contains(&0.0) && px.contains(&1.0));
        // Every class occurs.
        assert!(d.class_counts().iter().all(|&c| c > 0));
    }
    assert_eq!(m.train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(m.test.labels[0], 7);
    // The famous first training digit (a 5): its corners are blank, its
    // middle is not.
    let five = m.train.images.row(0);
    assert_eq!(five[0], 0.0);
    assert!(five.iter().sum::<f32>() > 50.0);
}
