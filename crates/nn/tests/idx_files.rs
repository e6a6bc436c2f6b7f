//! IDX files and MNIST loading: synthetic sets under every accepted naming,
//! every kind of malformed file, and a mutation test that no input makes the
//! reader panic. These tests write their own files; the real MNIST set is
//! checked by the root package's `tests/mnist_data.rs`.

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

// ------------------------------------------------------------------ synthetic sets

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

fn check_set(d: &Dataset, (px, labels): &(Vec<u8>, Vec<u8>)) {
    assert_eq!(&d.labels, labels);
    assert_eq!(d.image_shape, (4, 3));
    let want: Vec<f32> = px.iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(d.images.as_slice(), &want[..]);
}

#[test]
fn synthetic_sets_load_under_every_naming() {
    let mixes = [
        [false; 4],
        [true; 4],
        [true, false, false, true],
        [false, true, true, false],
    ];
    for dotted in [false, true] {
        for (k, gzip) in mixes.iter().enumerate() {
            let dir = tmp();
            assert!(!mnist_files_present(dir.path()));
            let (train, test) = write_mnist(dir.path(), dotted, gzip, k as u64);
            assert!(mnist_files_present(dir.path()));
            let found = find_mnist_file(dir.path(), "train-images-idx3-ubyte").unwrap();
            assert_eq!(found.extension().is_some_and(|e| e == "gz"), gzip[0]);
            let m = load_mnist(dir.path())
                .unwrap_or_else(|e| panic!("dotted={dotted} gzip={gzip:?}: {e}"));
            check_set(&m.train, &train);
            check_set(&m.test, &test);
        }
    }
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let dir = tmp();
    let a = u8_array(&[2, 2], vec![1, 2, 3, 4]);
    // gzip'd data under a plain name, plain data under a .gz name.
    write_idx(&dir.path().join("t10k-labels-idx1-ubyte"), &a, true).unwrap();
    write_idx(&dir.path().join("plain.gz"), &a, false).unwrap();
    assert_eq!(
        read_idx(&dir.path().join("t10k-labels-idx1-ubyte")).unwrap(),
        a
    );
    assert_eq!(read_idx(&dir.path().join("plain.gz")).unwrap(), a);
}

#[test]
fn missing_file_lists_names_and_directory() {
    let dir = tmp();
    write_mnist(dir.path(), false, &[false; 4], 1);
    std::fs::remove_file(dir.path().join("t10k-images-idx3-ubyte")).unwrap();
    assert!(!mnist_files_present(dir.path()));
    let err = load_mnist(dir.path()).unwrap_err();
    let msg = err.to_string();
    match &err {
        DataError::MissingFile {
            dir: d,
            tried,
            dir_exists,
        } => {
            assert_eq!(d, dir.path());
            assert!(dir_exists);
            assert_eq!(
                tried,
                &[
                    "t10k-images-idx3-ubyte",
                    "t10k-images-idx3-ubyte.gz",
                    "t10k-images.idx3-ubyte",
                    "t10k-images.idx3-ubyte.gz"
                ]
            );
        }
        e => panic!("expected MissingFile, got {e}"),
    }
    for name in [
        "t10k-images-idx3-ubyte.gz",
        "t10k-images.idx3-ubyte",
        &dir.path().display().to_string(),
    ] {
        assert!(msg.contains(name), "{msg}");
    }
    // A directory that does not exist says so.
    let gone = dir.path().join("nope");
    let msg = load_mnist(&gone).unwrap_err().to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("nope"),
        "{msg}"
    );
}

#[test]
fn labels_out_of_range_are_rejected() {
    let dir = tmp();
    write_mnist(dir.path(), false, &[false; 4], 2);
    write_idx(
        &dir.path().join("train-labels-idx1-ubyte"),
        &u8_array(&[7], vec![0, 1, 2, 3, 10, 5, 6]),
        false,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 4,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("train-labels-idx1-ubyte") && msg.contains("label 10"),
        "{msg}"
    );
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tmp();
    write_mnist(dir.path(), true, &[true; 4], 3);
    write_idx(
        &dir.path().join("t10k-labels.idx1-ubyte.gz"),
        &u8_array(&[2], vec![0, 1]),
        true,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                image_count: 3,
                label_count: 2,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("t10k-images.idx3-ubyte.gz") && msg.contains("t10k-labels.idx1-ubyte.gz"),
        "{msg}"
    );
}

#[test]
fn wrong_type_or_dimensions_are_rejected() {
    let dir = tmp();
    write_mnist(dir.path(), false, &[false; 4], 4);
    let images = dir.path().join("train-images-idx3-ubyte");
    // 2-D images.
    write_idx(&images, &u8_array(&[7, 12], vec![0; 84]), false).unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(err, DataError::WrongDims { expected: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("train-images-idx3-ubyte"));
    // f32 images.
    write_idx(
        &images,
        &IdxArray::new(vec![7, 4, 3], vec![0.5f32; 84]).unwrap(),
        false,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(err, DataError::WrongType { found: "f32", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("train-images-idx3-ubyte"));
    // i8 labels.
    write_mnist(dir.path(), false, &[false; 4], 4);
    write_idx(
        &dir.path().join("t10k-labels-idx1-ubyte"),
        &IdxArray::new(vec![3], vec![1i8, 2, 3]).unwrap(),
        false,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(err, DataError::WrongType { found: "i8", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"));
    // 2-D labels.
    write_idx(
        &dir.path().join("t10k-labels-idx1-ubyte"),
        &u8_array(&[3, 1], vec![1, 2, 3]),
        false,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(err, DataError::WrongDims { expected: 1, .. }),
        "{err}"
    );
    // Train and test images of different sizes.
    write_mnist(dir.path(), false, &[false; 4], 4);
    write_idx(
        &dir.path().join("t10k-images-idx3-ubyte"),
        &u8_array(&[3, 3, 4], vec![0; 36]),
        false,
    )
    .unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(matches!(err, DataError::ShapeMismatch(_)), "{err}");
    // A corrupt file inside the set: the IDX error, naming the file.
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), [0u8, 0, 8]).unwrap();
    let err = load_mnist(dir.path()).unwrap_err();
    assert!(
        matches!(err, DataError::Idx(IdxError::TooShort { len: 3, .. })),
        "{err}"
    );
    assert!(err.to_string().contains("t10k-images-idx3-ubyte"));
}

// ------------------------------------------------------------------ malformed files

#[test]
fn empty_and_too_short_files() {
    let dir = tmp();
    for len in 0..=3 {
        let bytes = &[0u8, 0, 8][..len];
        let err = file_err(dir.path(), &format!("short-{len}"), bytes);
        assert!(
            matches!(err, IdxError::TooShort { len: l, .. } if l == len),
            "{err}"
        );
        assert!(err.to_string().contains("too short"));
        // The same, gzip'd: too short after decompression.
        let err = file_err(dir.path(), &format!("short-{len}.gz"), &gz(bytes));
        assert!(
            matches!(err, IdxError::TooShort { len: l, .. } if l == len),
            "{err}"
        );
    }
    // A lone gzip magic byte is just a short file.
    let err = file_err(dir.path(), "one-1f", &[0x1f]);
    assert!(matches!(err, IdxError::TooShort { len: 1, .. }), "{err}");
}

#[test]
fn wrong_magic() {
    let dir = tmp();
    let cases: [&[u8]; 6] = [
        b"PK\x03\x04 not idx",
        b"hello world",
        &[0, 1, 8, 1, 0, 0, 0, 1, 0],
        &[1, 0, 8, 1, 0, 0, 0, 1, 0],
        &[0xff, 0xff, 0xff, 0xff],
        &[0x1f, 0x8c, 8, 0, 0, 0],
    ];
    for (k, bytes) in cases.iter().enumerate() {
        let err = file_err(dir.path(), &format!("magic-{k}"), bytes);
        assert!(matches!(err, IdxError::BadMagic { .. }), "{err}");
        assert!(err.to_string().contains("magic"));
    }
    // Also inside a gzip stream.
    let err = file_err(
        dir.path(),
        "magic.gz",
        &gz(b"\x00\x01\x08\x01\x00\x00\x00\x00"),
    );
    assert!(matches!(err, IdxError::BadMagic { .. }), "{err}");
}

#[test]
fn every_unknown_type_code() {
    let dir = tmp();
    let valid = [0x08u8, 0x09, 0x0b, 0x0c, 0x0d, 0x0e];
    let mut unknown = 0;
    for code in 0..=255u8 {
        let mut bytes = header(code, &[2]);
        bytes.extend([0u8; 16]);
        if valid.contains(&code) {
            // Valid codes read (with the right number of data bytes).
            let size = nn::idx::element_size(code).unwrap();
            bytes.truncate(8 + 2 * size);
            assert_eq!(read_idx_bytes(&bytes, "ok").unwrap().type_code(), code);
            continue;
        }
        unknown += 1;
        let err = file_err(dir.path(), &format!("type-{code:02x}"), &bytes);
        assert!(
            matches!(err, IdxError::UnknownType { code: c, .. } if c == code),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("0x{code:02x}")));
    }
    assert_eq!(unknown, 250);
}

#[test]
fn zero_dimensions() {
    let dir = tmp();
    let err = file_err(dir.path(), "nodims", &[0, 0, 8, 0]);
    assert!(matches!(err, IdxError::NoDimensions { .. }), "{err}");
    let err = file_err(dir.path(), "nodims-data", &[0, 0, 8, 0, 1, 2, 3]);
    assert!(matches!(err, IdxError::NoDimensions { .. }), "{err}");
    let err = file_err(dir.path(), "nodims.gz", &gz(&[0, 0, 0x0d, 0]));
    assert!(matches!(err, IdxError::NoDimensions { .. }), "{err}");
}

#[test]
fn zero_length_dimension_is_an_empty_array() {
    let a = read_idx_bytes(&header(0x08, &[0, 28, 28]), "empty").unwrap();
    assert_eq!(a.dims, [0, 28, 28]);
    assert!(a.is_empty());
    // ...and it still may not carry data.
    let mut b = header(0x08, &[3, 0]);
    b.push(1);
    assert!(matches!(
        read_idx_bytes(&b, "e"),
        Err(IdxError::TrailingBytes { extra: 1, .. })
    ));
}

#[test]
fn truncated_header() {
    let dir = tmp();
    let full = header(0x08, &[60000, 28, 28]);
    for cut in 4..full.len() {
        let err = file_err(dir.path(), &format!("header-{cut}"), &full[..cut]);
        assert!(
            matches!(err, IdxError::TruncatedHeader { ndims: 3, expected: 16, present, .. } if present == cut),
            "{err}"
        );
    }
    // 255 dimensions declared, none present.
    let err = file_err(dir.path(), "header-255", &[0, 0, 8, 255, 0, 0]);
    assert!(
        matches!(
            err,
            IdxError::TruncatedHeader {
                expected: 1024,
                present: 6,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn dimension_product_overflowing_usize() {
    let dir = tmp();
    let max = u32::MAX;
    let err = file_err(dir.path(), "overflow-3", &header(0x08, &[max, max, max]));
    assert!(matches!(err, IdxError::SizeOverflow { .. }), "{err}");
    let err = file_err(dir.path(), "overflow-255", &header(0x0e, &[max; 255]));
    assert!(matches!(err, IdxError::SizeOverflow { .. }), "{err}");
    // The element count fits but the byte count does not (on 64-bit).
    if usize::BITS == 64 {
        let err = file_err(dir.path(), "overflow-bytes", &header(0x0e, &[max, max, 2]));
        assert!(matches!(err, IdxError::SizeOverflow { .. }), "{err}");
    }
    let err = file_err(
        dir.path(),
        "overflow.gz",
        &gz(&header(0x0c, &[max, max, max, max])),
    );
    assert!(matches!(err, IdxError::SizeOverflow { .. }), "{err}");
}

#[test]
fn huge_declared_size_with_tiny_body_fails_fast() {
    let dir = tmp();
    for code in [0x08u8, 0x0e] {
        let mut bytes = header(code, &[u32::MAX]);
        bytes.extend([7u8; 20]);
        let declared = u64::from(u32::MAX) * nn::idx::element_size(code).unwrap() as u64;
        // Above the default limit: refused on the header alone.
        for name in [format!("huge-{code}"), format!("huge-{code}.gz")] {
            let body = if name.ends_with(".gz") {
                gz(&bytes)
            } else {
                bytes.clone()
            };
            let err = file_err(dir.path(), &name, &body);
            assert!(
                matches!(err, IdxError::TooLarge { declared: d, limit: DEFAULT_MAX_DATA_BYTES, .. } if d == declared),
                "{err}"
            );
        }
        // With the limit lifted the reader still fails without allocating
        // the declared size: a plain file is checked against its length, a
        // gzip'd one grows its buffer only as data arrives.
        let p = put(dir.path(), &format!("huge-lifted-{code}"), &bytes);
        let err = read_idx_with_limit(&p, u64::MAX).unwrap_err();
        assert!(
            matches!(err, IdxError::TruncatedData { declared: d, present: 20, .. } if d == declared),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!(
                "declares {declared} bytes of data but only 20 are present"
            )),
            "{err}"
        );
        let p = put(dir.path(), &format!("huge-lifted-{code}.gz"), &gz(&bytes));
        let err = read_idx_with_limit(&p, u64::MAX).unwrap_err();
        assert!(
            matches!(err, IdxError::TruncatedData { present: 20, .. }),
            "{err}"
        );
        // A gzip trailer that lies about the size to match the header.
        let mut liar = gz(&bytes);
        let n = liar.len();
        let claimed = (8 + declared) as u32;
        liar[n - 4..].copy_from_slice(&claimed.to_le_bytes());
        let p = put(dir.path(), &format!("huge-liar-{code}.gz"), &liar);
        let err = read_idx_with_limit(&p, u64::MAX).unwrap_err();
        assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
    }
    // Two dimensions of 2^32 - 1 (about 2^64 bytes) with a small body.
    let mut bytes = header(0x08, &[u32::MAX, u32::MAX]);
    bytes.extend([1u8; 20]);
    let err = file_err(dir.path(), "huge-2d", &bytes);
    assert!(matches!(err, IdxError::TooLarge { .. }), "{err}");
    let p = put(dir.path(), "huge-2d-lifted.gz", &gz(&bytes));
    let err = read_idx_with_limit(&p, u64::MAX).unwrap_err();
    assert!(
        matches!(err, IdxError::TruncatedData { present: 20, .. }),
        "{err}"
    );
}

/// A small valid file: 3 x 2 x 2 i16 values, 16 + 24 bytes.
fn small_valid() -> (IdxArray, Vec<u8>) {
    let a = IdxArray::new(
        vec![3, 2, 2],
        (0..12).map(|i| i * 300 - 1000).collect::<Vec<i16>>(),
    )
    .unwrap();
    let bytes = encode(&a);
    assert_eq!(bytes.len(), 40);
    (a, bytes)
}

#[test]
fn truncated_plain_data_at_every_byte() {
    let dir = tmp();
    let (a, full) = small_valid();
    assert_eq!(read_idx_bytes(&full, "full").unwrap(), a);
    for cut in 0..full.len() {
        let err = file_err(dir.path(), &format!("cut-{cut}"), &full[..cut]);
        match cut {
            0..=3 => assert!(
                matches!(err, IdxError::TooShort { len, .. } if len == cut),
                "{err}"
            ),
            4..=15 => assert!(
                matches!(err, IdxError::TruncatedHeader { present, .. } if present == cut),
                "{err}"
            ),
            _ => {
                let present = (cut - 16) as u64;
                assert!(
                    matches!(err, IdxError::TruncatedData { declared: 24, present: p, .. } if p == present),
                    "{err}"
                );
                assert!(err.to_string().contains(&format!(
                    "declares 24 bytes of data but only {present} are present"
                )));
            }
        }
        // A complete gzip stream of the truncated bytes: the same verdict.
        let zerr = read_idx_bytes(&gz(&full[..cut]), "z").unwrap_err();
        assert_eq!(
            std::mem::discriminant(&zerr),
            std::mem::discriminant(&err),
            "{zerr} vs {err}"
        );
    }
}

#[test]
fn truncated_gzip_at_every_byte() {
    let dir = tmp();
    let (a, full) = small_valid();
    let z = gz(&full);
    assert_eq!(read_idx_bytes(&z, "z").unwrap(), a);
    for cut in 0..z.len() {
        let err = file_err(dir.path(), &format!("zcut-{cut}"), &z[..cut]);
        if cut < 2 {
            assert!(matches!(err, IdxError::TooShort { .. }), "cut {cut}: {err}");
        } else {
            assert!(matches!(err, IdxError::Gzip { .. }), "cut {cut}: {err}");
            assert!(err.to_string().contains("gzip"));
        }
    }
}

#[test]
fn trailing_garbage() {
    let dir = tmp();
    let (_, full) = small_valid();
    for extra in [1usize, 3, 1000] {
        let mut bytes = full.clone();
        bytes.extend(vec![0xabu8; extra]);
        let err = file_err(dir.path(), &format!("trailing-{extra}"), &bytes);
        assert!(
            matches!(err, IdxError::TrailingBytes { declared: 24, extra: e, .. } if e == extra as u64),
            "{err}"
        );
        // Trailing bytes inside the gzip stream.
        let err = file_err(dir.path(), &format!("trailing-{extra}.gz"), &gz(&bytes));
        assert!(
            matches!(err, IdxError::GzipOverrun { declared: 24, .. }),
            "{err}"
        );
        // Garbage after the gzip stream.
        let mut z = gz(&full);
        z.extend(vec![0xabu8; extra]);
        let err = file_err(dir.path(), &format!("after-{extra}.gz"), &z);
        assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
    }
}

#[test]
fn corrupt_gzip() {
    let dir = tmp();
    let (_, full) = small_valid();
    let z = gz(&full);
    let n = z.len();
    // CRC-32, ISIZE, the header's method and flag bytes.
    for (what, at) in [
        ("crc", n - 8),
        ("isize", n - 2),
        ("method", 2),
        ("flags", 3),
    ] {
        let mut bad = z.clone();
        bad[at] ^= 0x55;
        let err = file_err(dir.path(), &format!("corrupt-{what}.gz"), &bad);
        assert!(matches!(err, IdxError::Gzip { .. }), "{what}: {err}");
    }
    // A flipped byte in the deflate data: either the decompressor notices or
    // the garbage it produces fails the IDX checks (whichever comes first);
    // never a successful read.
    for at in 10..n - 8 {
        let mut bad = z.clone();
        bad[at] ^= 0x55;
        let err = read_idx_bytes(&bad, "corrupt-body.gz").unwrap_err();
        assert!(err.to_string().starts_with("corrupt-body.gz: "), "{err}");
    }
    // Not deflate at all after a gzip header.
    let mut junk = z[..10].to_vec();
    junk.extend([0xffu8; 40]);
    let err = file_err(dir.path(), "junk.gz", &junk);
    assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
}

#[test]
fn gzip_bomb_stops_at_the_declared_size() {
    let dir = tmp();
    // Declares 16 bytes, expands to 64 MiB.
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(&header(0x08, &[16])).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    let err = file_err(dir.path(), "bomb.gz", &bomb);
    assert!(
        matches!(err, IdxError::GzipOverrun { declared: 16, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("expands past"));
}

#[test]
fn directory_and_nonexistent_paths() {
    let dir = tmp();
    let err = read_idx(dir.path()).unwrap_err();
    assert!(matches!(err, IdxError::NotAFile { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
    assert!(err.to_string().contains("directory"));

    let gone = dir.path().join("no-such-file-idx1-ubyte");
    let err = read_idx(&gone).unwrap_err();
    match &err {
        IdxError::Io { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        e => panic!("expected Io, got {e}"),
    }
    assert!(err.to_string().contains("no-such-file-idx1-ubyte"));

    // A directory named like an MNIST file is not taken for one.
    let d = tmp();
    write_mnist(d.path(), false, &[false; 4], 9);
    std::fs::remove_file(d.path().join("train-labels-idx1-ubyte")).unwrap();
    std::fs::create_dir(d.path().join("train-labels-idx1-ubyte")).unwrap();
    assert!(matches!(
        load_mnist(d.path()),
        Err(DataError::MissingFile { .. })
    ));

    // Writing into a missing directory fails with the path, leaving nothing.
    let a = u8_array(&[1], vec![1]);
    let err = write_idx(&gone.join("x.idx"), &a, false).unwrap_err();
    assert!(
        matches!(err, IdxError::Io { .. }) && err.to_string().contains("x.idx"),
        "{err}"
    );
}

#[test]
fn stream_reader_counts_trailing_bytes() {
    let (_, full) = small_valid();
    let mut bytes = full.clone();
    bytes.extend([1u8; 5]);
    let err = read_idx_from(&bytes[..], "stream").unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TrailingBytes {
                extra: 5,
                at_least: false,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn write_read_files_for_every_type() {
    let dir = tmp();
    let arrays = vec![
        IdxArray::new(vec![2, 3], IdxData::U8(vec![0, 1, 2, 253, 254, 255])).unwrap(),
        IdxArray::new(vec![3, 1, 2], IdxData::I8(vec![-128, -1, 0, 1, 2, 127])).unwrap(),
        IdxArray::new(vec![2, 2], IdxData::I16(vec![i16::MIN, -1, 256, i16::MAX])).unwrap(),
        IdxArray::new(
            vec![1, 4],
            IdxData::I32(vec![i32::MIN, -7, 1 << 20, i32::MAX]),
        )
        .unwrap(),
        IdxArray::new(
            vec![2, 1, 1, 2],
            IdxData::F32(vec![f32::MIN_POSITIVE, -0.5, 1e30, -3.25]),
        )
        .unwrap(),
        IdxArray::new(
            vec![4],
            IdxData::F64(vec![f64::EPSILON, -1e-300, 1e300, 2.5]),
        )
        .unwrap(),
    ];
    for a in arrays {
        for gzip in [false, true] {
            let p = dir.path().join(format!("{}-{gzip}", a.type_name()));
            write_idx(&p, &a, gzip).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), gzip);
            assert_eq!(read_idx(&p).unwrap(), a);
        }
    }
}

// ------------------------------------------------------------------ mutation test

/// Valid files to mutate: several types and shapes, plain and gzip'd.
fn seeds() -> Vec<Vec<u8>> {
    let arrays = [
        u8_array(&[5], vec![0, 1, 2, 3, 9]),
        u8_array(&[2, 3, 3], (0..18).collect()),
        u8_array(&[0, 4], vec![]),
        IdxArray::new(vec![2, 2], vec![1i16, -2, 300, -400]).unwrap(),
        IdxArray::new(vec![3], vec![1i32, -2, 1 << 30]).unwrap(),
        IdxArray::new(vec![1, 3], vec![0.5f32, -1.0, 3.0]).unwrap(),
        IdxArray::new(vec![2], vec![1e10f64, -1e-10]).unwrap(),
        IdxArray::new(vec![1, 1, 1, 4], vec![-1i8, 2, -3, 4]).unwrap(),
    ];
    let mut out = Vec::new();
    for a in &arrays {
        let plain = encode(a);
        out.push(gz(&plain));
        out.push(plain);
    }
    out
}

fn mutate(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
    let mut m = base.to_vec();
    for _ in 0..rng.random_range(1..=3) {
        match rng.random_range(0..8) {
            // Flip a bit.
            0 if !m.is_empty() => {
                let i = rng.random_range(0..m.len());
                m[i] ^= 1 << rng.random_range(0..8);
            }
            // Overwrite a byte.
            1 if !m.is_empty() => {
                let i = rng.random_range(0..m.len());
                m[i] = rng.random();
            }
            // Overwrite a header byte with an interesting value.
            2 if !m.is_empty() => {
                let i = rng.random_range(0..m.len().min(16));
                const VALUES: [u8; 10] = [0, 1, 2, 3, 0x08, 0x0b, 0x0e, 0x7f, 0x80, 0xff];
                m[i] = VALUES[rng.random_range(0..VALUES.len())];
            }
            // Truncate.
            3 => {
                let n = rng.random_range(0..=m.len());
                m.truncate(n);
            }
            // Extend with random bytes.
            4 => {
                for _ in 0..rng.random_range(1..=16) {
                    m.push(rng.random());
                }
            }
            // Insert a byte.
            5 => {
                let i = rng.random_range(0..=m.len());
                m.insert(i, rng.random());
            }
            // Delete a byte.
            6 if !m.is_empty() => {
                let i = rng.random_range(0..m.len());
                m.remove(i);
            }
            // Set a whole dimension to a large value.
            _ if m.len() >= 8 && m[0] == 0 => {
                let dim = rng.random_range(0..(m.len() - 4) / 4);
                let i = 4 + 4 * dim;
                let v: u32 = [u32::MAX, 1 << 31, 1 << 24, 65536, 0][rng.random_range(0..5)];
                m[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            _ => {}
        }
    }
    m
}

#[test]
fn mutated_files_never_panic() {
    let seeds = seeds();
    for s in &seeds {
        read_idx_bytes(s, "seed").expect("seeds are valid");
    }
    let dir = tmp();
    let mut rng = StdRng::seed_from_u64(0x1d_f11e5);
    let (mut ok, mut errors) = (0usize, 0usize);
    const N: usize = 12_000;
    for iter in 0..N {
        let base = &seeds[rng.random_range(0..seeds.len())];
        let m = mutate(&mut rng, base);
        let via = iter % 3;
        let file = (iter % 100 == 0).then(|| put(dir.path(), "mutant", &m));
        let result = catch_unwind(AssertUnwindSafe(|| {
            let r = match via {
                0 => read_idx_bytes(&m, "mutant"),
                1 => read_idx_from(&m[..], "mutant"),
                _ => read_idx_from(std::io::Cursor::new(&m), "mutant"),
            };
            if let Some(p) = &file {
                let f = read_idx(p);
                assert_eq!(f.is_ok(), r.is_ok(), "file and memory readers disagree");
            }
            r
        }));
        match result {
            Err(_) => panic!("reader panicked on mutant #{iter}: {m:02x?}"),
            Ok(Ok(a)) => {
                ok += 1;
                let n = a.dims.iter().product::<usize>();
                assert_eq!(n, a.len(), "mutant #{iter}: shape and data disagree");
                // What was read writes back to the same plain bytes.
                if !m.starts_with(&[0x1f, 0x8b]) {
                    assert_eq!(encode(&a), m, "mutant #{iter}");
                }
            }
            Ok(Err(e)) => {
                errors += 1;
                assert!(e.to_string().starts_with("mutant"), "{e}");
            }
        }
    }
    assert_eq!(ok + errors, N);
    assert!(errors > N / 2, "only {errors} of {N} mutants were rejected");
    assert!(ok > 0, "no mutant was readable");
}
