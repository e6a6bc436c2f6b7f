//! Input that asks for more memory than the machine has: the `mnist` example
//! must end with exit status 1 and one `error:` line naming the size, never
//! abort on a failed allocation. Each run is limited to a 4 GiB address
//! space (`ulimit -v`), so the outcome does not depend on the host's memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Output};

use flate2::write::GzEncoder;
use flate2::Compression;
use nn::idx::{write_idx, IdxArray};

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mnist.rs"]
mod mnist_data;

/// Runs `mnist` with `args` in a 4 GiB address space.
fn mnist_limited(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(bin::example("mnist"))
        .args(args)
        .env_remove("MATNET_KERNEL")
        .output()
        .expect("run the mnist example")
}

/// Exit status 1 and exactly one `error:` line on stderr, naming `what`
/// (the run may have printed its header line before it).
fn assert_one_error_line(o: &Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "status {:?}, stderr:\n{err}",
        o.status
    );
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got:\n{err}");
    assert!(
        errors[0].contains(what),
        "expected an error line naming {what:?}, got:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// An MNIST-like directory whose training images file is gzip'd zeros
/// declaring `n` 28x28 images (honestly: the data is all there), with a small
/// valid test set.
fn write_big_training_set(dir: &Path, n: usize) {
    let file = File::create(dir.join("train-images-idx3-ubyte.gz")).unwrap();
    let mut gz = GzEncoder::new(BufWriter::new(file), Compression::fast());
    for word in [2051u32, n as u32, 28, 28] {
        gz.write_all(&word.to_be_bytes()).unwrap();
    }
    let chunk = vec![0u8; 784 * 10_000];
    let mut left = n * 784;
    while left > 0 {
        let step = left.min(chunk.len());
        gz.write_all(&chunk[..step]).unwrap();
        left -= step;
    }
    gz.finish().unwrap().flush().unwrap();
    write_labels_and_test_set(dir, n);
}

#[test]
fn an_absurd_layer_width_is_refused_before_allocating() {
    let data = mnist_data::mnist_dir();
    let o = mnist_limited(&["--data", data.to_str().unwrap(), "--hidden", "100000000"]);
    assert_one_error_line(&o, "limit is 1048576");
}

#[test]
fn layers_that_do_not_fit_in_memory_are_an_error_not_an_abort() {
    let data = mnist_data::mnist_dir();
    // 784 x 1,000,000 weights: within the width limit, 3 GiB each for the
    // parameters and the gradients.
    let o = mnist_limited(&["--data", data.to_str().unwrap(), "--hidden", "1000000"]);
    assert_one_error_line(&o, "out of memory");
    // 60,000 x 20,000 activations of a full batch: 4.5 GiB.
    let o = mnist_limited(&[
        "--data",
        data.to_str().unwrap(),
        "--hidden",
        "20000",
        "--batch",
        "full",
        "--epochs",
        "1",
    ]);
    assert_one_error_line(&o, "out of memory");
}

#[test]
fn a_data_file_above_the_reader_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // The header declares 2,000,000 images (1.5 GiB), the data is short:
    // the limit is checked before anything is read.
    let mut header = Vec::new();
    for word in [2051u32, 2_000_000, 28, 28] {
        header.extend_from_slice(&word.to_be_bytes());
    }
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), header).unwrap();
    write_labels_and_test_set(dir.path(), 2_000_000);
    let o = mnist_limited(&["--data", dir.path().to_str().unwrap()]);
    assert_one_error_line(&o, "more than the limit of 1073741824 bytes");
}

/// `n` training labels and a valid 10-image test set.
fn write_labels_and_test_set(dir: &Path, n: usize) {
    let labels = IdxArray::new(vec![n], vec![0u8; n]).unwrap();
    write_idx(&dir.join("train-labels-idx1-ubyte.gz"), &labels, true).unwrap();
    let test_images = IdxArray::new(vec![10, 28, 28], vec![0u8; 7840]).unwrap();
    write_idx(&dir.join("t10k-images-idx3-ubyte"), &test_images, false).unwrap();
    let test_labels = IdxArray::new(vec![10], vec![0u8; 10]).unwrap();
    write_idx(&dir.join("t10k-labels-idx1-ubyte"), &test_labels, false).unwrap();
}

#[test]
fn images_whose_f32_copy_does_not_fit_are_an_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    // 1,350,000 images: 1,058,400,000 bytes of pixels, just under the
    // reader's limit of 2^30, whose f32 copy (4.2 GB) cannot fit in the
    // 4 GiB address space beside them.
    write_big_training_set(dir.path(), 1_350_000);
    let o = mnist_limited(&["--data", dir.path().to_str().unwrap()]);
    assert_one_error_line(&o, "out of memory");
}

#[test]
fn saving_over_something_that_is_not_a_regular_file_is_refused() {
    // Saving renames a new file over the target: over a pipe or a device
    // that would replace it with a regular file.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.safetensors");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let data = mnist_data::mnist_dir();
    for flag in ["--save", "--plot"] {
        let o = mnist_limited(&[
            "--data",
            data.to_str().unwrap(),
            flag,
            fifo.to_str().unwrap(),
        ]);
        assert_one_error_line(&o, "not a regular file");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(
            std::os::unix::fs::FileTypeExt::is_fifo(&kind),
            "{flag} replaced the pipe"
        );
    }
}
