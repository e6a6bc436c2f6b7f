//! The CSV reader caps the rows by the bytes their pixels take, as the IDX
//! reader caps its data (issue 36: a 1.9 MB gzip'd CSV of 700,000 honest
//! rows made it allocate 1.76 GB in one piece).

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use nn::csv::{read_csv_with_limits, CsvErrorKind, CsvLimits};

/// A gzip'd Kaggle-style `train.csv` of `rows` honest rows of 784 pixels.
fn gzipped_csv(rows: usize) -> Vec<u8> {
    let mut text = String::from("label");
    for p in 0..784 {
        text.push_str(&format!(",pixel{p}"));
    }
    text.push('\n');
    let row = format!("7{}\n", ",0".repeat(784));
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    for _ in 0..rows {
        gz.write_all(row.as_bytes()).unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn rows_past_the_pixel_byte_limit_are_refused_naming_the_file_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limit_bytes = 100 * 784 * 4; // 100 rows of 784 f32 pixels
    let limits = CsvLimits {
        max_pixel_bytes: limit_bytes,
        ..CsvLimits::default()
    };
    let fits = dir.path().join("fits.csv.gz");
    std::fs::write(&fits, gzipped_csv(100)).unwrap();
    let csv = read_csv_with_limits(&fits, limits).unwrap();
    assert_eq!(csv.data.images.shape(), (100, 784));

    let over = dir.path().join("over.csv.gz");
    std::fs::write(&over, gzipped_csv(101)).unwrap();
    let err = read_csv_with_limits(&over, limits).unwrap_err();
    assert!(
        matches!(
            err.kind,
            CsvErrorKind::TooLarge {
                rows: 100,
                pixels: 784,
                limit_bytes: 313_600
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.path, over);
    assert_eq!(err.line, Some(102), "the 101st row, after the header");
    let text = err.to_string();
    assert!(text.starts_with(&over.display().to_string()), "{text}");
    assert!(
        text.contains("313600 bytes") && text.contains("100 rows"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn the_default_pixel_limit_is_the_idx_readers() {
    let limits = CsvLimits::default();
    assert_eq!(limits.max_pixel_bytes, nn::idx::DEFAULT_MAX_DATA_BYTES);
    // 700,000 rows of 784 pixels (the 1.9 MB gzip'd file of issue 36) are
    // over it: 342,392 rows fit.
    assert!(700_000 * 784 * 4 > limits.max_pixel_bytes);
    assert_eq!(limits.max_pixel_bytes / (784 * 4), 342_392);
}
