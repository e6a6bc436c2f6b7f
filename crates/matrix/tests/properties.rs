//! Property tests: random shapes, strides, scalars and kernels, each case
//! checked against the plain reference. 12,000 cases in total.

mod common;
use common::kernels;
use matrix::{ops, reference, transpose, try_gemm_with_kernel, Epilogue, KernelKind, Matrix};
use proptest::prelude::*;

/// `$PROPTEST_CASES` if set (valgrind runs use a few hundred), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kernel() -> impl Strategy<Value = KernelKind> {
    prop::sample::select(kernels())
}

/// A matrix of small integers scaled by 1/8: products and sums of a few
/// hundred of them are exact in f32, so any difference is a real bug.
fn exact_matrix(rows: usize, cols: usize) -> impl Strategy<Value = Matrix<f32>> {
    prop::collection::vec(-16i32..16, rows * cols).prop_map(move |v| {
        Matrix::from_vec(rows, cols, v.into_iter().map(|x| x as f32 / 8.0).collect())
    })
}

/// (m, k, n, transpose A?, transpose B?)
fn gemm_case() -> impl Strategy<Value = (usize, usize, usize, bool, bool)> {
    (
        0usize..40,
        0usize..40,
        0usize..70,
        any::<bool>(),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(5000), ..ProptestConfig::default() })]

    /// Exact arithmetic: every kernel equals the reference bit for bit.
    #[test]
    fn gemm_equals_reference_exactly(
        (m, k, n, ta, tb) in gemm_case(),
        kernel in kernel(),
        alpha in prop::sample::select(vec![1.0f32, -2.0, 0.5, 0.0]),
        beta in prop::sample::select(vec![0.0f32, 1.0, -1.0, 0.25]),
        seed in any::<u64>(),
    ) {
        let cell = |i: usize, j: usize, s: u64| ((i as u64 * 31 + j as u64 * 17 + s) % 29) as f32 / 8.0 - 1.75;
        let a_store = if ta { Matrix::from_fn(k, m, |i, j| cell(i, j, seed)) } else { Matrix::from_fn(m, k, |i, j| cell(i, j, seed)) };
        let b_store = if tb { Matrix::from_fn(n, k, |i, j| cell(i, j, seed >> 7)) } else { Matrix::from_fn(k, n, |i, j| cell(i, j, seed >> 7)) };
        let a = if ta { a_store.t() } else { a_store.view() };
        let b = if tb { b_store.t() } else { b_store.view() };
        let c0 = Matrix::from_fn(m, n, |i, j| cell(i, j, seed >> 13));
        let mut got = c0.clone();
        try_gemm_with_kernel(kernel, alpha, a, b, beta, &mut got, Epilogue::none()).unwrap();
        let mut want = c0.clone();
        reference::gemm(alpha, a, b, beta, want.view_mut());
        prop_assert_eq!(got, want, "{} m={} k={} n={} ta={} tb={}", kernel, m, k, n, ta, tb);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), ..ProptestConfig::default() })]

    /// f64 with arbitrary values: within rounding of the reference.
    #[test]
    fn gemm_f64_within_rounding(
        (m, k, n) in (1usize..30, 1usize..60, 1usize..40),
        kernel in kernel(),
        vals in prop::collection::vec(-1.0f64..1.0, 60 * 60 * 3),
    ) {
        let a = Matrix::from_fn(m, k, |i, j| vals[i * 60 + j]);
        let b = Matrix::from_fn(k, n, |i, j| vals[3600 + i * 60 + j]);
        let mut got = Matrix::from_fn(m, n, |i, j| vals[7200 + i * 60 + j]);
        let mut want = got.clone();
        try_gemm_with_kernel(kernel, 1.0, &a, &b, 1.0, &mut got, Epilogue::none()).unwrap();
        reference::gemm(1.0, a.view(), b.view(), 1.0, want.view_mut());
        prop_assert!(got.max_abs_diff(&want) <= 1e-13 * k as f64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    /// Transpose twice is the identity; transpose equals the naive definition.
    #[test]
    fn transpose_is_an_involution((r, c) in (0usize..80, 0usize..80), seed in any::<u32>()) {
        let m = Matrix::from_fn(r, c, |i, j| (i * 131 + j * 7 + seed as usize) as f64);
        let t = transpose(m.view());
        prop_assert_eq!(t.shape(), (c, r));
        for i in 0..c { for j in 0..r { prop_assert_eq!(t[(i, j)], m[(j, i)]); } }
        prop_assert_eq!(transpose(t.view()), m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    /// Softmax rows are probability distributions and argmax agrees with it.
    #[test]
    fn softmax_rows_are_distributions(m in (1usize..10, 1usize..12).prop_flat_map(|(r, c)| exact_matrix(r, c))) {
        let mut p = m.clone();
        ops::softmax_rows(p.view_mut());
        for (row, orig) in p.row_iter().zip(m.row_iter()) {
            let sum: f32 = row.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-5);
            prop_assert!(row.iter().all(|&x| (0.0..=1.0).contains(&x)));
            let am = ops::argmax_rows(Matrix::from_vec(1, orig.len(), orig.to_vec()).view())[0];
            prop_assert_eq!(orig[am], orig.iter().copied().fold(f32::MIN, f32::max));
        }
    }
}

/// True if two in-shape indices of the layout share an offset, by listing them.
fn overlaps_brute_force(rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    let mut seen = std::collections::HashSet::new();
    (0..rows).any(|i| (0..cols).any(|j| !seen.insert(i * rs + j * cs)))
}

/// Small shapes and strides, with the degenerate values (0, 1) and exact
/// nestings (a stride equal to the other dimension's extent) well represented.
fn layout() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    let dim = prop_oneof![Just(0usize), Just(1usize), 2usize..9];
    (dim.clone(), dim).prop_flat_map(|(rows, cols)| {
        let stride =
            move |other: usize| prop_oneof![Just(0usize), Just(1usize), Just(other), 0usize..20];
        (Just(rows), Just(cols), stride(cols), stride(rows))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(20000), ..ProptestConfig::default() })]

    /// A mutable view is accepted only if no two of its indices share an
    /// element, and every nested layout (row- or column-major, padded or
    /// not) is accepted. Views derived from an accepted one (transpose,
    /// sub-block, row split) stay non-overlapping.
    #[test]
    fn mutable_views_never_alias((rows, cols, rs, cs) in layout()) {
        let mut buf = vec![0.0f32; 400];
        let accepted = matrix::MatrixViewMut::try_from_slice(&mut buf, rows, cols, rs, cs).is_ok();
        let overlap = overlaps_brute_force(rows, cols, rs, cs);
        prop_assert!(!(accepted && overlap), "accepted an overlapping {rows}x{cols} layout, strides ({rs}, {cs})");
        let padded = (cs == 1 && rs >= cols) || (rs == 1 && cs >= rows);
        let vector = (cols == 1 && rs > 0) || (rows == 1 && cs > 0);
        if padded || vector {
            prop_assert!(accepted, "refused the {rows}x{cols} layout with strides ({rs}, {cs})");
        }
        if let Ok(view) = matrix::MatrixViewMut::try_from_slice(&mut buf, rows, cols, rs, cs) {
            let t = view.t_mut();
            prop_assert!(!overlaps_brute_force(t.rows(), t.cols(), t.row_stride(), t.col_stride()));
            let half = t.rows() / 2;
            let (top, bottom) = t.split_at_row(half);
            for part in [top, bottom] {
                prop_assert!(!overlaps_brute_force(part.rows(), part.cols(), part.row_stride(), part.col_stride()));
            }
        }
    }
}
