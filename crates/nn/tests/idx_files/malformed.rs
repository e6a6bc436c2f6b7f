//! Every kind of malformed IDX file (empty, short, bad magic, unknown
//! type codes, truncated at every byte plain and gzip'd, huge or
//! overflowing declared sizes, trailing bytes, corrupt gzip, a gzip bomb),
//! read as a file, as bytes and as a stream, plus paths that are not files
//! and a write/read round trip of every element type.

use super::*;

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
