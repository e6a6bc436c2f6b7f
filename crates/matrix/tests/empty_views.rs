//! Views with no rows or no columns own no element, so their strides may be
//! anything: a `0 x 5` matrix's transpose has row stride 1 over an empty
//! buffer, and `MatrixView::from_slice(&[], 5, 0, usize::MAX, 1)` is a valid
//! 5 x 0 view. No accessor may offset such a view's pointer: even without a
//! read, `ptr.add(i * row_stride)` past the (empty) allocation is undefined
//! behaviour. Miri would see it; without Miri these tests make it
//! observable: every empty slice an accessor hands out must sit at the
//! view's base pointer, and with strides of `usize::MAX` any `i * stride`
//! overflows, which a debug build (`cargo test -p matnet-matrix --tests`)
//! reports as a panic.

use matrix::{copy_into, ops, transpose, transpose_into, Matrix, MatrixView, MatrixViewMut};

/// Strides an empty view may carry: plain, large, and ones whose products
/// with a row index overflow `isize` or `usize`.
const STRIDES: [usize; 5] = [0, 1, 1000, isize::MAX as usize, usize::MAX];

/// Every 5 x 0 view (no columns) this file tries, over `data`.
fn no_column_views(data: &[f32]) -> Vec<MatrixView<'_, f32>> {
    let mut views = Vec::new();
    for rs in STRIDES {
        for cs in STRIDES {
            views.push(MatrixView::from_slice(data, 5, 0, rs, cs));
        }
    }
    views
}

/// Checks every read-only accessor of an empty view `v`, whose elements
/// would start at `base`.
fn check_read_accessors(v: MatrixView<'_, f32>, base: *const f32) {
    assert_eq!(v.as_ptr(), base);
    let (rows, cols) = v.shape();
    assert_eq!(rows * cols, 0);
    for i in 0..rows {
        let row = v.row(i).expect("an empty row is contiguous");
        assert!(row.is_empty());
        assert_eq!(row.as_ptr(), base, "row {i} of a {rows}x{cols} view moved");
    }
    for (i, r) in v.row_iter().enumerate() {
        assert_eq!(r.shape(), (1, cols), "row {i}");
        assert_eq!(r.as_ptr(), base, "row view {i}");
    }
    for j in 0..cols {
        assert_eq!(v.col(j).as_ptr(), base, "column {j}");
    }
    assert_eq!(v.col_iter().len(), cols);
    for c in v.col_iter() {
        assert_eq!(c.as_ptr(), base);
    }
    assert_eq!(v.iter().count(), 0);
    assert_eq!(v.iter().rev().count(), 0);
    assert_eq!(v.get(0, 0), None);
    if let Some(s) = v.as_slice() {
        assert!(s.is_empty());
        assert_eq!(s.as_ptr(), base);
    }
    assert_eq!(v.t().shape(), (cols, rows));
    for r0 in 0..=rows {
        let block = v.submatrix(r0, 0, rows - r0, cols);
        assert_eq!(block.as_ptr(), base, "submatrix at row {r0}");
    }
    assert_eq!(v.to_matrix().shape(), (rows, cols));
    assert_eq!(transpose(v).shape(), (cols, rows));
    assert_eq!(v.sum(), 0.0);
    assert_eq!(v.max(), None);
    assert_eq!(v.row_sums(), vec![0.0; rows]);
    assert_eq!(v.col_sums(), vec![0.0; cols]);
    assert_eq!(ops::col_sums(v), vec![0.0; cols]);
    assert_eq!(v.map(|x| x + 1.0).shape(), (rows, cols));
    let _ = format!("{v} {v:?}");
}

#[test]
fn rows_of_a_view_without_columns_start_at_its_base_pointer() {
    let data: [f32; 0] = [];
    for v in no_column_views(&data) {
        for i in 0..v.rows() {
            let row = v.row(i).unwrap();
            assert_eq!(
                row.as_ptr(),
                data.as_ptr(),
                "strides {:?}",
                (v.row_stride(), v.col_stride())
            );
        }
    }
    let m = Matrix::<f32>::zeros(0, 5);
    let t = m.t(); // 5 x 0, row stride 1 over no memory
    for i in 0..5 {
        assert_eq!(t.row(i).unwrap().as_ptr(), m.as_slice().as_ptr(), "row {i}");
    }
}

#[test]
fn mutable_rows_of_a_view_without_columns_start_at_its_base_pointer() {
    let mut data: [f32; 0] = [];
    let base = data.as_ptr();
    for rs in STRIDES {
        for cs in STRIDES {
            let mut v = MatrixViewMut::from_slice(&mut data, 5, 0, rs, cs);
            for i in 0..5 {
                let row = v.row_mut(i).unwrap();
                assert!(row.is_empty());
                assert_eq!(row.as_ptr(), base, "row {i}, strides ({rs}, {cs})");
            }
        }
    }
    let mut m = Matrix::<f32>::zeros(0, 5);
    let base = m.as_slice().as_ptr();
    let mut t = m.view_mut().t_mut();
    for i in 0..5 {
        assert_eq!(t.row_mut(i).unwrap().as_ptr(), base, "row {i}");
    }
}

#[test]
fn every_read_accessor_of_an_empty_view_stays_at_its_base_pointer() {
    let data: [f32; 0] = [];
    let base = data.as_ptr();
    for v in no_column_views(&data) {
        check_read_accessors(v, base);
        check_read_accessors(v.t(), base); // 0 x 5: no rows
    }
    let zero_rows = Matrix::<f32>::zeros(0, 5);
    let zero_cols = Matrix::<f32>::zeros(5, 0);
    for m in [&zero_rows, &zero_cols] {
        let base = m.as_slice().as_ptr();
        check_read_accessors(m.view(), base);
        check_read_accessors(m.t(), base);
    }
    // An empty block of a full matrix is at the full matrix's base.
    let full = Matrix::from_fn(4, 6, |i, j| (i * 6 + j) as f32);
    let base = full.as_slice().as_ptr();
    check_read_accessors(full.view().submatrix(2, 3, 2, 0), base);
    check_read_accessors(full.view().submatrix(2, 3, 0, 2), base);
    check_read_accessors(full.t().submatrix(3, 1, 3, 0), base);
}

#[test]
fn every_write_accessor_of_an_empty_view_stays_at_its_base_pointer() {
    let mut data: [f32; 0] = [];
    let base = data.as_ptr();
    let src: [f32; 0] = [];
    for rs in STRIDES {
        for cs in STRIDES {
            for (rows, cols) in [(5, 0), (0, 5)] {
                let mut v = MatrixViewMut::from_slice(&mut data, rows, cols, rs, cs);
                v.fill(1.0);
                v.map_inplace(|x| x * 2.0);
                assert_eq!(v.iter_mut().count(), 0);
                assert_eq!(v.iter().count(), 0);
                assert!(v.get_mut(0, 0).is_none());
                for i in 0..rows {
                    assert_eq!(v.row_mut(i).unwrap().as_ptr(), base);
                }
                if let Some(s) = v.as_mut_slice() {
                    assert_eq!(s.as_ptr(), base);
                }
                let from = MatrixView::from_slice(&src, rows, cols, cs, rs);
                v.copy_from(from);
                copy_into(from, v.rb_mut());
                transpose_into(from.t(), v.rb_mut());
                ops::scale(v.rb_mut(), 3.0);
                ops::softmax_rows(v.rb_mut());
                ops::add_row_vector(v.rb_mut(), &vec![1.0; cols]).unwrap();
                assert_eq!(
                    v.rb_mut().submatrix_mut(0, 0, rows, cols).as_mut_ptr(),
                    base.cast_mut()
                );
                for r in 0..=rows {
                    let (mut top, mut bottom) = v.rb_mut().split_at_row(r);
                    assert_eq!(top.as_mut_ptr(), base.cast_mut());
                    assert_eq!(bottom.as_mut_ptr(), base.cast_mut(), "split at {r}");
                }
                for j in 0..cols {
                    assert_eq!(v.rb_mut().col_mut(j).as_mut_ptr(), base.cast_mut());
                }
                let mut t = v.t_mut();
                t.fill(0.0);
                for i in 0..t.rows() {
                    assert_eq!(t.row_mut(i).unwrap().as_ptr(), base);
                }
            }
        }
    }
    let mut m = Matrix::<f32>::zeros(0, 5);
    let base = m.as_slice().as_ptr();
    let mut t = m.view_mut().t_mut(); // 5 x 0, row stride 1
    t.fill(1.0);
    t.map_inplace(|x| x + 1.0);
    ops::softmax_rows(t.rb_mut());
    for i in 0..5 {
        assert_eq!(t.row_mut(i).unwrap().as_ptr(), base);
    }
}
