//! Pictures for `mnist --predict`: whatever the file holds, `read_digit`
//! returns a 28 x 28 digit with pixels in [0, 1] or one `PictureError`
//! (never a panic, and never a decode past the size limits).
#![no_main]
use libfuzzer_sys::fuzz_target;
use support::digit::read_digit;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("matnet-fuzz-digit-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    if let Ok(d) = read_digit(&path) {
        assert_eq!(d.pixels.len(), 28 * 28);
        assert!(
            d.pixels.iter().all(|p| (0.0..=1.0).contains(p)),
            "a pixel outside [0, 1]"
        );
    }
    let _ = std::fs::remove_file(&path);
});
