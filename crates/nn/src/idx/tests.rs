use std::fs;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::*;

fn samples() -> Vec<IdxArray> {
    let dims = vec![2, 3, 4];
    let n: usize = 24;
    vec![
        IdxArray::new(
            dims.clone(),
            (0..n).map(|i| (i * 11) as u8).collect::<Vec<u8>>(),
        ),
        IdxArray::new(
            dims.clone(),
            (0..n)
                .map(|i| (i as i8).wrapping_mul(-13))
                .collect::<Vec<i8>>(),
        ),
        IdxArray::new(
            dims.clone(),
            (0..n).map(|i| (i as i16 - 12) * 1000).collect::<Vec<i16>>(),
        ),
        IdxArray::new(
            dims.clone(),
            (0..n)
                .map(|i| (i as i32 - 12) * 100_000_007)
                .collect::<Vec<i32>>(),
        ),
        IdxArray::new(
            dims.clone(),
            (0..n)
                .map(|i| (i as f32 - 12.0) / 7.0)
                .collect::<Vec<f32>>(),
        ),
        IdxArray::new(
            dims.clone(),
            (0..n)
                .map(|i| (i as f64 - 12.0) * 1e-300)
                .collect::<Vec<f64>>(),
        ),
    ]
    .into_iter()
    .map(|a| a.expect("consistent sample"))
    .collect()
}

#[test]
fn round_trip_every_type_in_memory() {
    for a in samples() {
        for gzip in [false, true] {
            let bytes = write_idx_to(Vec::new(), &a, gzip, "mem").unwrap();
            assert_eq!(bytes.starts_with(&GZIP_MAGIC), gzip);
            if !gzip {
                assert_eq!(
                    bytes.len(),
                    a.header_len() + a.len() * a.data.element_size()
                );
                assert_eq!(&bytes[..4], &[0, 0, a.type_code(), 3]);
            }
            assert_eq!(
                read_idx_bytes(&bytes, "mem").unwrap(),
                a,
                "{} gzip={gzip}",
                a.type_name()
            );
            assert_eq!(read_idx_from(&bytes[..], "mem").unwrap(), a);
        }
    }
}

#[test]
fn round_trip_every_type_through_files() {
    let dir = std::env::temp_dir().join(format!("nn-idx-unit-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    for a in samples() {
        for gzip in [false, true] {
            let path = dir.join(format!("{}-{gzip}.idx", a.type_name()));
            write_idx(&path, &a, gzip).unwrap();
            assert_eq!(read_idx(&path).unwrap(), a);
            // Overwriting replaces the file.
            write_idx(&path, &a, !gzip).unwrap();
            assert_eq!(read_idx(&path).unwrap(), a);
        }
    }
    // No temporary files left behind.
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn big_endian_layout() {
    let a = IdxArray::new(vec![2], vec![0x0102i16, -2]).unwrap();
    let b = write_idx_to(Vec::new(), &a, false, "x").unwrap();
    assert_eq!(b, [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
    let f = IdxArray::new(vec![1], vec![1.0f32]).unwrap();
    let b = write_idx_to(Vec::new(), &f, false, "x").unwrap();
    assert_eq!(&b[8..], &[0x3f, 0x80, 0, 0]);
}

#[test]
fn nan_and_infinities_survive() {
    let a = IdxArray::new(vec![3], vec![f64::NAN, f64::INFINITY, -0.0]).unwrap();
    let b = write_idx_to(Vec::new(), &a, false, "x").unwrap();
    let back = read_idx_bytes(&b, "x").unwrap().into_f64().unwrap();
    assert!(back[0].is_nan() && back[1] == f64::INFINITY && back[2].is_sign_negative());
}

#[test]
fn empty_and_high_dimensional_arrays() {
    let empty = IdxArray::new(vec![0, 28, 28], Vec::<u8>::new()).unwrap();
    let b = write_idx_to(Vec::new(), &empty, true, "e").unwrap();
    assert_eq!(read_idx_bytes(&b, "e").unwrap(), empty);
    let many = IdxArray::new(vec![1; 255], vec![42u8]).unwrap();
    let b = write_idx_to(Vec::new(), &many, false, "m").unwrap();
    assert_eq!(b.len(), 4 + 4 * 255 + 1);
    assert_eq!(read_idx_bytes(&b, "m").unwrap(), many);
}

#[test]
fn invalid_arrays_are_not_written() {
    let bad = IdxArray {
        dims: vec![2, 2],
        data: IdxData::U8(vec![1, 2, 3]),
    };
    assert!(matches!(
        write_idx_to(Vec::new(), &bad, false, "bad"),
        Err(IdxError::InvalidArray { .. })
    ));
    let none = IdxArray {
        dims: vec![],
        data: IdxData::U8(vec![1]),
    };
    assert!(matches!(
        write_idx_to(Vec::new(), &none, false, "none"),
        Err(IdxError::InvalidArray { .. })
    ));
    assert!(IdxArray::new(vec![2, 2], vec![1u8, 2, 3]).is_none());
    assert!(IdxArray::new(vec![usize::MAX, 2], Vec::<u8>::new()).is_none());
}

#[test]
fn reads_concatenated_gzip_members() {
    let a = IdxArray::new(vec![3], vec![1u8, 2, 3]).unwrap();
    let plain = write_idx_to(Vec::new(), &a, false, "x").unwrap();
    let mut gz = Vec::new();
    for part in [&plain[..5], &plain[5..]] {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    assert_eq!(read_idx_bytes(&gz, "x").unwrap(), a);
}

#[test]
fn large_declared_size_with_tiny_gzip_body_fails_fast() {
    let mut bytes = vec![0u8, 0, TYPE_F64, 1, 0xff, 0xff, 0xff, 0xff];
    bytes.extend([0u8; 16]);
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(&bytes).unwrap();
    let gz = e.finish().unwrap();
    // 32 GiB declared: refused on the header, before any data is read.
    let err = read_idx_bytes(&gz, "bomb-header").unwrap_err();
    assert!(matches!(err, IdxError::TooLarge { .. }), "{err}");
    // Under a lifted limit, the buffer grows only as data arrives.
    let kind = Kind::Gzip { isize_hint: None };
    let err = decode(
        MultiGzDecoder::new(&gz[..]),
        Path::new("bomb-header"),
        kind,
        u64::MAX,
    )
    .unwrap_err();
    assert!(
        matches!(err, IdxError::TruncatedData { present: 16, .. }),
        "{err}"
    );
}
