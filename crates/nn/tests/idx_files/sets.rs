//! Synthetic MNIST sets written under every accepted naming (plain and
//! gzip'd, dotted and dashed names), and the data-set-level errors: missing
//! files, labels out of range, counts, types and shapes that disagree.

use super::*;

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
