//! The `digit` fuzz target's inputs, replayed by the ordinary test suite
//! (and in CI's debug and AddressSanitizer builds): every seed in
//! `fuzz/corpus/digit` and every input a fuzzer found a crash with (kept
//! there too) is written to a file and read by `read_digit`, as
//! `mnist --predict` reads pictures: a 28 x 28 digit with pixels in
//! [0, 1], or a typed error, never a panic.

use std::path::Path;

use support::digit::read_digit;

#[test]
fn digit_fuzz_inputs_read_or_fail_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/digit");
    let dir = std::env::temp_dir().join(format!("matnet-digit-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut read = 0;
    let mut seeds = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let file = dir.join("picture");
        std::fs::copy(&path, &file).unwrap();
        seeds += 1;
        if let Ok(d) = read_digit(&file) {
            assert_eq!(d.pixels.len(), 28 * 28, "{}", path.display());
            assert!(
                d.pixels.iter().all(|p| (0.0..=1.0).contains(p)),
                "{}",
                path.display()
            );
            read += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        seeds > 0 && read > 0,
        "{read} of {seeds} seeds read as digits"
    );
}
