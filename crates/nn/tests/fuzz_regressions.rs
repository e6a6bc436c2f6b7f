//! The fuzz targets' inputs for the `nn` readers, replayed by the ordinary
//! test suite (and in CI's debug and AddressSanitizer builds): every seed
//! in `fuzz/corpus/{idx,csv,model_file}` and every input a fuzzer found a
//! crash with (kept in the same corpora) goes through the code its target
//! calls, decoded the same way (first byte: bit 0 gzip the rest, bit 1 also
//! through a file), and must give a value or a typed error, never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};

use nn::csv::{read_csv_from_with_limits, CsvLimits};
use nn::idx::{read_idx_bytes, read_idx_from, read_idx_with_limit, IdxArray};
use nn::model_file::parse_model;

/// The files of `fuzz/corpus/<target>`, at least one.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Equal arrays, a NaN equal to a NaN (`IdxArray`'s `==` is `f32`'s, under
/// which an array holding a NaN differs from itself: the first crash the
/// `idx` target found was this, in the target).
fn same(a: &IdxArray, b: &IdxArray) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// The target's decoding of its input: the mode byte and the bytes to read.
fn decode(data: &[u8]) -> Option<(u8, Vec<u8>)> {
    let (&mode, rest) = data.split_first()?;
    let bytes = if mode & 1 == 1 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(rest).unwrap();
        enc.finish().unwrap()
    } else {
        rest.to_vec()
    };
    Some((mode, bytes))
}

#[test]
fn idx_fuzz_inputs_read_or_fail_cleanly_and_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut read = 0;
    for (path, data) in corpus("idx") {
        let Some((mode, bytes)) = decode(&data) else {
            continue;
        };
        let whole = read_idx_bytes(&bytes, "fuzz.idx");
        let streamed = read_idx_from(&bytes[..], "fuzz.idx");
        if let (Ok(a), Ok(b)) = (&whole, &streamed) {
            assert!(same(a, b), "{}: {a:?} {b:?}", path.display());
        }
        if mode & 2 == 2 {
            let file = dir.path().join("input");
            std::fs::write(&file, &bytes).unwrap();
            if let (Ok(a), Ok(b)) = (&whole, &read_idx_with_limit(&file, 1 << 20)) {
                assert!(same(a, b), "{}: {a:?} {b:?}", path.display());
            }
        }
        read += whole.is_ok() as usize;
    }
    assert!(read > 0, "no seed is a valid IDX file");
}

#[test]
fn csv_fuzz_inputs_read_or_fail_cleanly() {
    let limits = CsvLimits {
        max_rows: 64,
        max_pixels: 1024,
        max_line_bytes: 8192,
        max_pixel_bytes: 16384,
    };
    let mut read = 0;
    for (_, data) in corpus("csv") {
        let Some((mode, bytes)) = decode(&data) else {
            continue;
        };
        let name = if mode & 2 == 2 {
            "fuzz.csv.gz"
        } else {
            "fuzz.csv"
        };
        read += read_csv_from_with_limits(&bytes[..], name, limits).is_ok() as usize;
    }
    assert!(read > 0, "no seed is a valid CSV file");
}

#[test]
fn model_file_fuzz_inputs_load_or_fail_cleanly() {
    let mut loaded = 0;
    for (path, data) in corpus("model_file") {
        let Ok(mut net) = parse_model(&data, Path::new("fuzz.safetensors")) else {
            continue;
        };
        let x = matrix::Matrix::<f32>::filled(1, net.input_width(), 0.5);
        let outputs = net.output_width();
        let y = net
            .forward(x.view())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(y.shape(), (1, outputs));
        loaded += 1;
    }
    assert!(loaded > 0, "no seed is a valid model file");
}
