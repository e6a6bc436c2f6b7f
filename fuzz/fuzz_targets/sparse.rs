//! `sparse_gemm` and the sparse builders: a dense A (up to 40 x 130, any
//! density, row- or column-major) is built into a `SparseMatrix`
//! (`from_dense`, `assign_from_dense_at_most` with a fuzzed cap) and, as
//! `SparseRows`, into selections of its rows (`assign_from_rows`,
//! `assign_transpose_from_rows` with every kernel); each build is the dense
//! one (or refused exactly when the nonzeros exceed the cap), and
//! `S * B` (any α, β, epilogue, kernel) is `matrix::reference`'s product.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrix::{
    reference, try_sparse_gemm_with_kernel, Epilogue, KernelKind, Matrix, MatrixView, SparseMatrix,
    SparseRows,
};

fuzz_target!(|data: &[u8]| {
    let mut d = data.iter().copied();
    let mut byte = move || d.next().unwrap_or(0);
    let (m, k, n) = (
        byte() as usize % 41,
        byte() as usize % 131,
        byte() as usize % 41,
    );
    let density = byte();
    let col_major = byte() & 1 == 1;
    let a_buf: Vec<f32> = (0..m * k)
        .map(|_| {
            let v = byte();
            if v < density {
                (v as i8 % 9) as f32 / 2.0
            } else {
                0.0
            }
        })
        .collect();
    let a = if col_major {
        MatrixView::from_slice(&a_buf, m, k, 1, m.max(1))
    } else {
        MatrixView::from_slice(&a_buf, m, k, k.max(1), 1)
    };
    let dense = Matrix::from_fn(m, k, |i, j| a[(i, j)]);
    let nnz = dense.as_slice().iter().filter(|x| **x != 0.0).count();

    let s = SparseMatrix::from_dense(a);
    assert_eq!(s.to_dense(), dense);
    assert_eq!(s.nnz(), nnz);
    let cap = match byte() % 3 {
        0 => usize::MAX,
        1 => nnz,
        _ => byte() as usize,
    };
    let mut capped = SparseMatrix::new();
    assert_eq!(capped.assign_from_dense_at_most(a, cap), nnz <= cap);
    if nnz <= cap {
        assert_eq!(capped, s);
    }

    // Selections of rows, repeats allowed.
    let rows = SparseRows::from_dense(a);
    assert_eq!(rows.to_dense(), dense);
    let pick: Vec<usize> = if m == 0 {
        Vec::new()
    } else {
        (0..byte() % 50).map(|_| byte() as usize % m).collect()
    };
    let picked = Matrix::from_fn(pick.len(), k, |r, j| dense[(pick[r], j)]);
    let picked_nnz = picked.as_slice().iter().filter(|x| **x != 0.0).count();
    let mut sel = SparseMatrix::new();
    assert_eq!(sel.assign_from_rows(&rows, &pick, cap), picked_nnz <= cap);
    if picked_nnz <= cap {
        assert_eq!(sel, SparseMatrix::from_dense(&picked));
    }
    for kernel in KernelKind::supported() {
        let mut t = SparseMatrix::new();
        let built = t.assign_transpose_from_rows_with_kernel(kernel, &rows, &pick, cap);
        assert_eq!(built, picked_nnz <= cap, "{kernel:?}");
        if built {
            assert_eq!(t, SparseMatrix::from_dense(picked.t()), "{kernel:?}");
        }
    }

    // S * B against the reference.
    let b = Matrix::from_fn(k, n, |i, j| ((i * 7 + j * 3) % 9) as f32 - 4.0);
    let alpha = [1.0f32, 0.5, -2.0, 0.0][byte() as usize % 4];
    let beta = [0.0f32, 1.0, -0.5][byte() as usize % 3];
    let flags = byte();
    let bias: Vec<f32> = (0..n).map(|j| j as f32 - 3.0).collect();
    let epi = Epilogue {
        bias: (flags & 1 == 1).then_some(&bias[..]),
        relu: flags & 2 == 2,
    };
    let c0 = if beta == 0.0 {
        Matrix::filled(m, n, f32::NAN)
    } else {
        Matrix::from_fn(m, n, |i, j| (i + j) as f32)
    };
    let mut want = c0.clone();
    reference::gemm(alpha, dense.view(), b.view(), beta, want.view_mut());
    for i in 0..m {
        for j in 0..n {
            let mut x = want[(i, j)] + epi.bias.map_or(0.0, |b| b[j]);
            if epi.relu {
                x = if x > 0.0 { x } else { 0.0 };
            }
            want[(i, j)] = x;
        }
    }
    for kernel in KernelKind::supported() {
        let mut got = c0.clone();
        try_sparse_gemm_with_kernel(kernel, alpha, &s, &b, beta, &mut got, epi).unwrap();
        for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
            assert!(
                (g - w).abs() <= 1e-3 * (1.0 + w.abs()),
                "{kernel:?} {m}x{k}x{n}: {g} != {w}"
            );
        }
    }
});
