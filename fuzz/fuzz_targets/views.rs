//! View construction from arbitrary dims and strides: every layout
//! `try_from_slice` accepts is checked against a brute-force model (every
//! element's offset computed in `u128` inside the buffer; for mutable views
//! no two elements at one offset), and every element read or written
//! through the view, its transpose and any block of it is the buffer's
//! element at that offset. A refused layout is one the model refuses too
//! (reaching past the buffer), or for a mutable view one that aliases or
//! interleaves.
#![no_main]
use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use matrix::{MatrixView, MatrixViewMut};

/// Most elements of a layout walked element by element.
const WALK: u128 = 1 << 14;

/// A number from one selector byte and what follows: small values and the
/// edges of `usize` alike.
fn number(d: &mut &[u8]) -> usize {
    let (&sel, rest) = d.split_first().unwrap_or((&0, &[]));
    *d = rest;
    let (&x, rest) = d.split_first().unwrap_or((&0, &[]));
    *d = rest;
    let x = x as usize;
    match sel % 8 {
        0..=3 => x % 16,
        4 => x,
        5 => usize::MAX - x,
        6 => 1usize << (x % 64),
        _ => (1usize << (x % 64)).wrapping_sub(1) ^ (sel as usize >> 3),
    }
}

/// `i * rs + j * cs` in `u128` (each product fits; their sum saturates,
/// past any buffer either way).
fn offset(i: usize, j: usize, rs: usize, cs: usize) -> u128 {
    (i as u128 * rs as u128).saturating_add(j as u128 * cs as u128)
}

/// Whether every element of the layout lies in a buffer of `len`.
fn fits(rows: usize, cols: usize, rs: usize, cs: usize, len: usize) -> bool {
    rows == 0 || cols == 0 || offset(rows - 1, cols - 1, rs, cs) < len as u128
}

fuzz_target!(|data: &[u8]| {
    let mut d = data;
    let len = number(&mut d) % 4097;
    let (rows, cols, rs, cs) = (
        number(&mut d),
        number(&mut d),
        number(&mut d),
        number(&mut d),
    );
    let block = (
        number(&mut d),
        number(&mut d),
        number(&mut d),
        number(&mut d),
    );
    let buf: Vec<f32> = (0..len).map(|x| x as f32).collect();
    let model = fits(rows, cols, rs, cs, len);
    let size = rows as u128 * cols as u128;
    match MatrixView::try_from_slice(&buf, rows, cols, rs, cs) {
        Err(_) => assert!(!model, "{rows}x{cols} ({rs}, {cs}) in {len} refused"),
        Ok(v) => {
            assert!(model, "{rows}x{cols} ({rs}, {cs}) in {len} accepted");
            assert_eq!(v.shape(), (rows, cols));
            // (An empty layout may have usize::MAX rows: nothing to walk.)
            if size > 0 && size <= WALK {
                for i in 0..rows {
                    for j in 0..cols {
                        let want = buf[offset(i, j, rs, cs) as usize];
                        assert_eq!(v.get(i, j), Some(want));
                        assert_eq!(v.t().get(j, i), Some(want));
                    }
                    if let Some(row) = v.row(i) {
                        assert_eq!(row.len(), cols);
                        for (j, x) in row.iter().enumerate() {
                            assert_eq!(*x, buf[offset(i, j, rs, cs) as usize]);
                        }
                    }
                }
            }
            // Rows at the edges (`row` panics past the last one, as
            // documented; `get` answers `None`), also of views without
            // columns, whose strides may be anything.
            for i in [0, 1, rows / 2, rows.wrapping_sub(1), rows, usize::MAX] {
                if i < rows {
                    let row = v.row(i);
                    assert!(cols == 0 || row.is_none() || row.unwrap().len() == cols);
                }
                let want_some = i < rows && cols > 0;
                assert_eq!(v.get(i, cols.wrapping_sub(1)).is_some(), want_some);
            }
            let (r0, c0, nr, nc) = block;
            let inside = r0.checked_add(nr).is_some_and(|e| e <= rows)
                && c0.checked_add(nc).is_some_and(|e| e <= cols);
            match v.try_submatrix(r0, c0, nr, nc) {
                Err(_) => assert!(!inside),
                Ok(s) => {
                    assert!(inside);
                    let block = nr as u128 * nc as u128;
                    if block > 0 && block <= WALK {
                        for i in 0..nr {
                            for j in 0..nc {
                                let want = buf[offset(r0 + i, c0 + j, rs, cs) as usize];
                                assert_eq!(s.get(i, j), Some(want));
                            }
                        }
                    }
                }
            }
        }
    }
    let mut out = buf.clone();
    match MatrixViewMut::try_from_slice(&mut out, rows, cols, rs, cs) {
        Err(_) => {}
        Ok(mut v) => {
            assert!(
                model,
                "mutable {rows}x{cols} ({rs}, {cs}) in {len} accepted"
            );
            if size == 0 {
                // Nothing to walk or write (usize::MAX rows of no columns).
            } else if size <= WALK {
                let mut seen = HashSet::new();
                for i in 0..rows {
                    for j in 0..cols {
                        let at = offset(i, j, rs, cs);
                        assert!(
                            seen.insert(at),
                            "({i}, {j}) aliases offset {at}: ({rs}, {cs})"
                        );
                        v.set(i, j, -1.0 - at as f32);
                    }
                    if let Some(row) = v.row_mut(i) {
                        assert_eq!(row.len(), cols);
                    }
                }
                drop(v);
                for (at, x) in out.iter().enumerate() {
                    let touched = seen.contains(&(at as u128));
                    assert_eq!(*x < 0.0, touched, "offset {at}");
                    if touched {
                        assert_eq!(*x, -1.0 - at as f32);
                    }
                }
            } else {
                // Too many to walk: the corners are distinct and in bounds.
                let _ = v.get(rows - 1, cols - 1);
                let _ = v.row_mut(rows - 1);
            }
        }
    }
});
