//! IDX files and MNIST loading: synthetic sets under every accepted naming,
//! every kind of malformed file, and a mutation test that no input makes the
//! reader panic. These tests write their own files; the real MNIST set is
//! checked by the root package's `tests/mnist_data.rs`.
//!
//! One test binary (`--test idx_files`) in three files, the sections of
//! what was one file: `sets.rs` (synthetic MNIST sets under every naming,
//! data-set-level errors), `malformed.rs` (every kind of malformed IDX
//! file, each written under its own name by `file_err`) and `mutation.rs`
//! (random mutations of valid files never panic). This file holds the
//! helpers they share, including the synthetic MNIST set `sets.rs` and
//! `malformed.rs` both write.

mod malformed;
mod mutation;
mod sets;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use nn::dataset::{
    find_mnist_file, load_mnist, mnist_files_present, DataError, Dataset, MNIST_FILES,
};
use nn::idx::{
    read_idx, read_idx_bytes, read_idx_from, read_idx_with_limit, write_idx, write_idx_to,
    IdxArray, IdxData, IdxError, DEFAULT_MAX_DATA_BYTES,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

// ------------------------------------------------------------------ helpers

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("nn-idx-test-")
        .tempdir()
        .expect("temp dir")
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn encode(a: &IdxArray) -> Vec<u8> {
    write_idx_to(Vec::new(), a, false, "encode").unwrap()
}

fn u8_array(dims: &[usize], data: Vec<u8>) -> IdxArray {
    IdxArray::new(dims.to_vec(), data).expect("consistent array")
}

/// Reads `bytes` written to a file named `name` and returns the error,
/// checking that its message names the file.
fn file_err(dir: &Path, name: &str, bytes: &[u8]) -> IdxError {
    let p = put(dir, name, bytes);
    let err = read_idx(&p).expect_err(&format!("{name} should not read"));
    let msg = err.to_string();
    assert!(msg.contains(name), "message does not name {name}: {msg}");
    assert_eq!(err.path(), p.as_path());
    // The in-memory reader and the stream reader agree on the variant.
    let mem = read_idx_bytes(bytes, name).expect_err("in memory too");
    assert_eq!(
        std::mem::discriminant(&mem),
        std::mem::discriminant(&err),
        "{mem} vs {err}"
    );
    let stream = read_idx_from(bytes, name).expect_err("as a stream too");
    assert_eq!(
        std::mem::discriminant(&stream),
        std::mem::discriminant(&err),
        "{stream} vs {err}"
    );
    err
}

fn header(code: u8, dims: &[u32]) -> Vec<u8> {
    let mut h = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        h.extend(d.to_be_bytes());
    }
    h
}

/// A small MNIST-like set written under one naming; returns the expected
/// (train, test) contents as (pixels, labels).
type Expected = ((Vec<u8>, Vec<u8>), (Vec<u8>, Vec<u8>));

fn write_mnist(dir: &Path, dotted: bool, gzip: &[bool; 4], seed: u64) -> Expected {
    let mut rng = StdRng::seed_from_u64(seed);
    let (rows, cols) = (4, 3);
    let mut make = |n: usize| -> (Vec<u8>, Vec<u8>) {
        let px = (0..n * rows * cols).map(|_| rng.random::<u8>()).collect();
        let labels = (0..n).map(|_| rng.random_range(0..10u8)).collect();
        (px, labels)
    };
    let train = make(7);
    let test = make(3);
    let arrays = [
        u8_array(&[7, rows, cols], train.0.clone()),
        u8_array(&[7], train.1.clone()),
        u8_array(&[3, rows, cols], test.0.clone()),
        u8_array(&[3], test.1.clone()),
    ];
    for ((stem, a), &z) in MNIST_FILES.map(|f| f.stem).iter().zip(&arrays).zip(gzip) {
        let mut name = if dotted {
            stem.replacen("-idx", ".idx", 1)
        } else {
            stem.to_string()
        };
        if z {
            name.push_str(".gz");
        }
        write_idx(&dir.join(name), a, z).unwrap();
    }
    (train, test)
}
