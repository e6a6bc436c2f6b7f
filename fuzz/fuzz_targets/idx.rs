//! IDX files, plain and gzip'd: whatever the bytes, `read_idx_bytes`,
//! `read_idx_from` (a stream of unknown length) and `read_idx` (a file)
//! return an array or an `IdxError`: no panic, no allocation beyond what
//! the data holds or the limit allows, and the three agree.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use nn::idx::{read_idx_bytes, read_idx_from, read_idx_with_limit, IdxArray};

/// Equal arrays, a NaN equal to a NaN (`IdxArray`'s `==` is `f32`'s, under
/// which an array holding a NaN differs from itself: the first crash the
/// `idx` target found was this, in the target).
fn same(a: &IdxArray, b: &IdxArray) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Odd first byte: the rest gzip'd, so the fuzzer reaches the gzip
    // reader's length checks with valid streams.
    let bytes = if mode & 1 == 1 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(rest).unwrap();
        enc.finish().unwrap()
    } else {
        rest.to_vec()
    };
    let whole = read_idx_bytes(&bytes, "fuzz.idx");
    let streamed = read_idx_from(&bytes[..], "fuzz.idx");
    if let (Ok(a), Ok(b)) = (&whole, &streamed) {
        assert!(
            same(a, b),
            "read_idx_bytes and read_idx_from disagree: {a:?} {b:?}"
        );
    }
    // Through a file, as `mnist --data` reads MNIST, with a small limit.
    if mode & 2 == 2 {
        let path = std::env::temp_dir().join(format!("matnet-fuzz-idx-{}", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let file = read_idx_with_limit(&path, 1 << 20);
        if let (Ok(a), Ok(b)) = (&whole, &file) {
            assert!(
                same(a, b),
                "read_idx_bytes and read_idx disagree: {a:?} {b:?}"
            );
        }
        let _ = std::fs::remove_file(&path);
    }
});
