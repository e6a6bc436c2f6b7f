//! The Kaggle CSV reader (`mnist --data train.csv`): whatever the bytes,
//! plain or gzip'd, `read_csv_from_with_limits` returns data within the
//! limits or one `CsvError`, never a panic or an allocation past
//! `max_pixel_bytes`.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use nn::csv::{read_csv_from_with_limits, CsvLimits};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(rest).unwrap();
        enc.finish().unwrap()
    } else {
        rest.to_vec()
    };
    let limits = CsvLimits {
        max_rows: 64,
        max_pixels: 1024,
        max_line_bytes: 8192,
        max_pixel_bytes: 16384,
        ..CsvLimits::default()
    };
    let name = if mode & 2 == 2 {
        "fuzz.csv.gz"
    } else {
        "fuzz.csv"
    };
    if let Ok(d) = read_csv_from_with_limits(&bytes[..], name, limits) {
        let _ = d.labelled;
    }
});
