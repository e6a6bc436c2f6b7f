//! The mutation test: random byte edits of valid files (several types and
//! shapes, plain and gzip'd) make the reader return an error or an array,
//! never panic.

use super::*;

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
