//! The sparse x dense product and its block-sparse matrices, against the
//! plain reference, for every kernel this CPU supports.

mod common;
use common::{apply_epilogue, assert_bitwise_equal, assert_within, kernels, random, tol};
use matrix::sparse::GROUP;
use matrix::{
    reference, sparse_gemm_tiles, sparse_gemm_tiles_with_kernel, tile_fn, try_sparse_gemm,
    try_sparse_gemm_with_kernel, Epilogue, KernelKind, Matrix, MatrixView, MatrixViewMut, Scalar,
    SparseMatrix, SparseRows,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// A matrix with about `density` of its entries nonzero (in [-1, 1]).
fn sparse_random<T: Scalar>(rows: usize, cols: usize, density: f64, rng: &mut StdRng) -> Matrix<T> {
    Matrix::from_fn(rows, cols, |_, _| {
        if rng.random_bool(density) {
            T::from_f64(rng.random_range(-1.0..1.0))
        } else {
            T::ZERO
        }
    })
}

/// Runs the product with `kernel` into a copy of `c0` and compares it with
/// the reference (plus the epilogue) element by element.
#[allow(clippy::too_many_arguments)]
fn check<T: Scalar>(
    kernel: KernelKind,
    alpha: T,
    s: &SparseMatrix<T>,
    b: MatrixView<'_, T>,
    beta: T,
    c0: &Matrix<T>,
    epi: Epilogue<'_, T>,
    what: &str,
) {
    let mut got = c0.clone();
    try_sparse_gemm_with_kernel(kernel, alpha, s, b, beta, &mut got, epi).unwrap();
    let mut want = c0.clone();
    reference::sparse_gemm(alpha, s, b, beta, want.view_mut());
    apply_epilogue(&mut want, epi);
    let tol = tol::<T>(s.cols()) * (1.0 + alpha.to_f64().abs() + beta.to_f64().abs());
    let context = format!(
        "{kernel} {} {what} (S {}x{}, nnz {}, n {})",
        T::NAME,
        s.rows(),
        s.cols(),
        s.nnz(),
        want.cols()
    );
    assert_within(&got, &want, tol, &context);
}

fn shapes_and_densities<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(11);
    // n around every column-block boundary: 8, 4, 2, 1 vectors and the
    // padded tail, for 4-, 8- and 16-lane kernels.
    let ns = [0, 1, 3, 4, 7, 10, 15, 16, 17, 33, 64, 100, 129, 200];
    for kernel in kernels() {
        for &(m, k) in &[(0, 5), (1, 1), (5, 0), (7, 13), (37, 100), (64, 300)] {
            for &n in &ns {
                for density in [0.0, 0.05, 0.2, 1.0] {
                    let s = SparseMatrix::from_dense(&sparse_random::<T>(m, k, density, &mut rng));
                    let b = random::<T>(k, n, &mut rng);
                    let c = random::<T>(m, n, &mut rng);
                    let bias: Vec<T> = (0..n)
                        .map(|_| T::from_f64(rng.random_range(-1.0..1.0)))
                        .collect();
                    check(
                        kernel,
                        T::ONE,
                        &s,
                        b.view(),
                        T::ZERO,
                        &c,
                        Epilogue::none(),
                        "plain",
                    );
                    check(
                        kernel,
                        T::from_f64(-0.5),
                        &s,
                        b.view(),
                        T::from_f64(1.5),
                        &c,
                        Epilogue::bias(&bias).relu(),
                        "alpha, beta, bias, relu",
                    );
                }
            }
        }
    }
}

#[test]
fn every_kernel_matches_the_reference_f32() {
    shapes_and_densities::<f32>();
}

#[test]
fn every_kernel_matches_the_reference_f64() {
    shapes_and_densities::<f64>();
}

/// MNIST-like shapes: the forward `X W` (128 x 784 by 784 x 800) and the
/// weight gradient `Xᵀ dY` (784 x 128 by 128 x 800), at MNIST's density.
#[test]
fn network_shapes_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(12);
    let x = sparse_random::<f32>(128, 784, 0.19, &mut rng);
    let s = SparseMatrix::from_dense(&x);
    let st = SparseMatrix::from_dense(x.t());
    let w = random::<f32>(784, 800, &mut rng);
    let dy = random::<f32>(128, 800, &mut rng);
    let bias: Vec<f32> = (0..800).map(|j| (j as f32 - 400.0) * 0.001).collect();
    for kernel in kernels() {
        let c = Matrix::filled(128, 800, f32::NAN);
        check(
            kernel,
            1.0,
            &s,
            w.view(),
            0.0,
            &c,
            Epilogue::bias(&bias).relu(),
            "X W",
        );
        let c = Matrix::filled(784, 800, f32::NAN);
        check(
            kernel,
            1.0,
            &st,
            dy.view(),
            0.0,
            &c,
            Epilogue::none(),
            "Xt dY",
        );
    }
}

/// B and C with any strides: a transposed B (copied first) and a C written
/// through a transposed view.
#[test]
fn strided_operands_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(13);
    for kernel in kernels() {
        for &(m, k, n) in &[(9, 20, 37), (30, 50, 5)] {
            let s = SparseMatrix::from_dense(&sparse_random::<f64>(m, k, 0.3, &mut rng));
            let bt = random::<f64>(n, k, &mut rng);
            check(
                kernel,
                1.0,
                &s,
                bt.t(),
                0.0,
                &Matrix::zeros(m, n),
                Epilogue::none(),
                "Bt",
            );
            let b = random::<f64>(k, n, &mut rng);
            let mut ct = random::<f64>(n, m, &mut rng);
            let mut want = ct.transposed();
            let c_view = MatrixViewMut::from_slice(ct.as_mut_slice(), m, n, 1, m);
            try_sparse_gemm_with_kernel(kernel, 2.0, &s, &b, 0.5, c_view, Epilogue::none())
                .unwrap();
            reference::sparse_gemm(2.0, &s, b.view(), 0.5, want.view_mut());
            assert!(
                ct.transposed().max_abs_diff(&want) < 1e-12,
                "{kernel} strided C"
            );
        }
    }
}

/// beta = 0 never reads C: NaN there does not leak into the result.
#[test]
fn beta_zero_ignores_nan_in_c() {
    let mut rng = StdRng::seed_from_u64(14);
    let s = SparseMatrix::from_dense(&sparse_random::<f32>(20, 30, 0.2, &mut rng));
    let b = random::<f32>(30, 40, &mut rng);
    for kernel in kernels() {
        let mut c = Matrix::filled(20, 40, f32::NAN);
        try_sparse_gemm_with_kernel(kernel, 1.0, &s, &b, 0.0, &mut c, Epilogue::none()).unwrap();
        assert!(c.as_slice().iter().all(|x| x.is_finite()), "{kernel}");
        // An all-zero S with beta = 0 gives zeros (plus the bias).
        let empty = SparseMatrix::from_dense(&Matrix::<f32>::zeros(20, 30));
        let bias = vec![0.25f32; 40];
        let mut c = Matrix::filled(20, 40, f32::NAN);
        try_sparse_gemm_with_kernel(kernel, 1.0, &empty, &b, 0.0, &mut c, Epilogue::bias(&bias))
            .unwrap();
        assert!(c.as_slice().iter().all(|&x| x == 0.25), "{kernel}");
    }
}

/// Threads split a product by rows of C, or by columns where B outweighs
/// S: either way each element is the same sum, so 2 and 3 threads give the
/// bits of 1, for every kernel, with an epilogue and a `beta` C. The shapes
/// take both splits (a first layer's 800-wide forward is split by columns,
/// a 10-wide one by rows, and so is a product whose S outweighs B) and
/// column counts that leave the last part a partial block. (Small enough
/// for valgrind, which runs these on one core.)
fn thread_counts_give_bitwise_equal_results<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(15);
    let pools: Vec<_> = [1, 2, 3]
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect();
    for &(m, k, n, density) in &[
        (64, 300, 800, 0.19),
        (128, 300, 10, 0.19),
        (61, 300, 333, 0.3),
        (40, 500, 130, 0.2),
        (400, 60, 200, 0.5),
        // Column splits whose last part is a vector or less, or a block
        // and a vector: the blocks of a part must sum as one thread does.
        (16, 3000, 24, 0.05),
        (16, 3000, 40, 0.05),
        (16, 3000, 72, 0.05),
    ] {
        let s = SparseMatrix::from_dense(&sparse_random::<T>(m, k, density, &mut rng));
        let b = random::<T>(k, n, &mut rng);
        let bias: Vec<T> = (0..n).map(|j| T::from_f64(j as f64 * 0.01 - 0.5)).collect();
        let c0 = random::<T>(m, n, &mut rng);
        for kernel in kernels() {
            for epi in [Epilogue::none(), Epilogue::bias(&bias).relu()] {
                let runs: Vec<Matrix<T>> = pools
                    .iter()
                    .map(|pool| {
                        let mut c = c0.clone();
                        pool.install(|| {
                            try_sparse_gemm_with_kernel(
                                kernel,
                                T::ONE,
                                &s,
                                &b,
                                T::from_f64(0.5),
                                &mut c,
                                epi,
                            )
                        })
                        .unwrap();
                        c
                    })
                    .collect();
                for (threads, c) in [2, 3].iter().zip(&runs[1..]) {
                    let what = format!(
                        "{kernel} {} {m}x{k}x{n}: {threads} threads and 1 differ",
                        T::NAME
                    );
                    assert_bitwise_equal(c, &runs[0], &what);
                }
            }
        }
    }
}

#[test]
fn thread_counts_give_bitwise_equal_results_f32() {
    thread_counts_give_bitwise_equal_results::<f32>();
}

#[test]
fn thread_counts_give_bitwise_equal_results_f64() {
    thread_counts_give_bitwise_equal_results::<f64>();
}

#[test]
fn sparse_matrices_round_trip() {
    let mut rng = StdRng::seed_from_u64(16);
    for &(m, k) in &[
        (0, 0),
        (0, 4),
        (3, 0),
        (1, 1),
        (5, 9),
        (17, 33),
        (64, 200),
        (130, 67),
    ] {
        for density in [0.0, 0.1, 0.5, 1.0] {
            let d = sparse_random::<f64>(m, k, density, &mut rng);
            let s = SparseMatrix::from_dense(&d);
            assert_eq!(s.shape(), (m, k));
            let nnz = d.as_slice().iter().filter(|&&x| x != 0.0).count();
            assert_eq!(s.nnz(), nnz);
            assert!(
                s.stored_columns() <= nnz,
                "a column is stored only for a nonzero"
            );
            assert!(s.stored_columns() * GROUP >= nnz);
            assert_eq!(s.to_dense(), d);
            assert_eq!(SparseMatrix::from_dense(d.t()).to_dense(), d.transposed());
            // Neither rows nor columns contiguous: every other column of a
            // twice-as-wide matrix.
            let wide = Matrix::from_fn(
                m,
                2 * k,
                |i, j| if j % 2 == 0 { d[(i, j / 2)] } else { 7.0 },
            );
            let strided = MatrixView::from_slice(wide.as_slice(), m, k, 2 * k, 2);
            assert_eq!(SparseMatrix::from_dense(strided), s);
            for i in 0..m {
                let entries: Vec<(usize, f64)> = s.row_entries(i).collect();
                let want: Vec<(usize, f64)> = (0..k)
                    .filter(|&j| d[(i, j)] != 0.0)
                    .map(|j| (j, d[(i, j)]))
                    .collect();
                assert_eq!(entries, want, "row {i}");
            }
        }
    }
    // NaN is a nonzero; -0 is a zero.
    let d = Matrix::from_vec(1, 3, vec![f32::NAN, -0.0, 1.0]);
    let s = SparseMatrix::from_dense(&d);
    assert_eq!((s.nnz(), s.stored_columns()), (2, 2));
    // A group stores the union of its rows' columns.
    let d = Matrix::from_vec(2, 4, vec![1.0f32, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0, 4.0]);
    assert_eq!(SparseMatrix::from_dense(&d).stored_columns(), 3);
}

/// Batches built from sparse rows are the matrices the dense copies of
/// those rows give, for widths around the 64-column words and groups of 4,
/// selections with repeats and of every length mod 4, into reused buffers.
#[test]
fn batches_from_sparse_rows_are_those_of_the_dense_copies() {
    let mut rng = StdRng::seed_from_u64(17);
    let (mut s, mut st) = (SparseMatrix::<f64>::new(), SparseMatrix::<f64>::new());
    for &(rows, cols) in &[
        (1, 1),
        (5, 3),
        (9, 63),
        (12, 64),
        (7, 65),
        (40, 130),
        (33, 200),
    ] {
        for density in [0.0, 0.1, 0.5, 1.0] {
            let data = sparse_random::<f64>(rows, cols, density, &mut rng);
            let src = SparseRows::from_dense(&data);
            assert_eq!(src.shape(), (rows, cols));
            assert_eq!(src.to_dense(), data);
            assert_eq!(
                SparseRows::from_dense(data.t()).to_dense(),
                data.transposed()
            );
            let nnz = data.as_slice().iter().filter(|&&x| x != 0.0).count();
            assert_eq!(src.nnz(), nnz);
            for i in 0..rows {
                let want: Vec<(usize, f64)> = (0..cols)
                    .filter(|&j| data[(i, j)] != 0.0)
                    .map(|j| (j, data[(i, j)]))
                    .collect();
                assert_eq!(src.row_entries(i).collect::<Vec<_>>(), want, "row {i}");
                assert_eq!(src.row_nnz(i), Some(want.len()));
            }
            assert_eq!(src.row_nnz(rows), None);
            // A hint: rows it does not have are skipped, not an error.
            src.prefetch(&[0, rows, usize::MAX]);
            for len in [0, 1, 4, 6, 11, 2 * rows + 3] {
                let pick: Vec<usize> = (0..len).map(|_| rng.random_range(0..rows)).collect();
                let copied = Matrix::from_fn(len, cols, |r, j| data[(pick[r], j)]);
                let what = format!("{rows}x{cols}, density {density}, rows {pick:?}");
                assert!(s.assign_from_rows(&src, &pick, usize::MAX), "{what}");
                assert_eq!(s, SparseMatrix::from_dense(&copied), "{what}");
                assert!(
                    st.assign_transpose_from_rows(&src, &pick, usize::MAX),
                    "{what}"
                );
                assert_eq!(
                    st,
                    SparseMatrix::from_dense(copied.t()),
                    "{what}: transpose"
                );
                assert_transpose_builds_agree(&data, &pick, &what);
                // One nonzero too many: refused, and nothing changes.
                let picked = s.nnz();
                if picked > 0 {
                    let (s0, st0) = (s.clone(), st.clone());
                    assert!(!s.assign_from_rows(&src, &pick, picked - 1), "{what}");
                    assert!(!st.assign_transpose_from_rows(&src, &pick, picked - 1));
                    assert_eq!((&s, &st), (&s0, &st0), "{what}: refused");
                }
            }
        }
    }
}

/// The transpose of rows `pick` of `data`, built from their nonzeros with
/// every kernel this CPU has (each writes a group's entries with its own
/// instructions), in f64 and in f32, equals the dense matrix's sparse form.
fn assert_transpose_builds_agree(data: &Matrix<f64>, pick: &[usize], what: &str) {
    fn check<T: Scalar>(data: &Matrix<T>, pick: &[usize], what: &str) {
        let src = SparseRows::from_dense(data);
        let copied = Matrix::from_fn(pick.len(), data.cols(), |r, j| data[(pick[r], j)]);
        let want = SparseMatrix::from_dense(copied.t());
        for kernel in kernels() {
            let mut st = SparseMatrix::new();
            assert!(st.assign_transpose_from_rows_with_kernel(kernel, &src, pick, usize::MAX));
            assert_eq!(st, want, "{what}: transpose, {kernel:?}, {}", T::NAME);
        }
    }
    check(data, pick, what);
    check(&data.map(|x| x as f32), pick, what);
}

#[test]
#[should_panic(expected = "row 3 selected but there are 3 rows")]
fn a_row_past_the_end_is_named() {
    let src = SparseRows::from_dense(&Matrix::<f32>::identity(3));
    SparseMatrix::new().assign_from_rows(&src, &[0, 3], usize::MAX);
}

#[test]
fn shape_errors_name_both_shapes() {
    let s = SparseMatrix::from_dense(&Matrix::<f32>::identity(3));
    let b = Matrix::<f32>::zeros(3, 2);
    let mut c = Matrix::<f32>::zeros(2, 2);
    let err = try_sparse_gemm(1.0, &s, &b, 0.0, &mut c, Epilogue::none()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sparse_gemm: S * B is 3x2 (S 3x3, B 3x2) but C is 2x2"
    );
    let mut c = Matrix::<f32>::zeros(3, 2);
    let bias = [1.0f32; 3];
    let err = try_sparse_gemm(1.0, &s, &b, 0.0, &mut c, Epilogue::bias(&bias)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sparse_gemm: bias has 3 elements but C is 3x2"
    );
}

/// The product handed over in tiles: every position comes exactly once,
/// with the bits `sparse_gemm` stores, in the block of each output at the
/// tile's stated position; for every kernel, around every column-block
/// boundary, with a strided B and a strided output, on 1, 2 and 3 threads
/// (2 and 3 split by columns for the last shape).
fn tiles_cover_the_product_once_with_its_bits<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(12);
    let pools: Vec<_> = [2, 3]
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect();
    for kernel in kernels() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (7, 13, 17),
            (37, 100, 64),
            (64, 300, 129),
            (9, 5, 200),
            (48, 300, 333),
        ] {
            for (density, strided) in [(0.2, false), (0.2, true), (0.0, false)] {
                let s = SparseMatrix::from_dense(&sparse_random::<T>(m, k, density, &mut rng));
                let b_store = random::<T>(
                    if strided { n } else { k },
                    if strided { k } else { n },
                    &mut rng,
                );
                let b = if strided { b_store.t() } else { b_store.view() };
                let mut want = Matrix::<T>::zeros(m, n);
                try_sparse_gemm_with_kernel(
                    kernel,
                    T::ONE,
                    &s,
                    b,
                    T::ZERO,
                    &mut want,
                    Epilogue::none(),
                )
                .unwrap();
                let at = Matrix::from_fn(m, n, |i, j| T::from_f64((i * n + j) as f64));
                for threads in [1, 2, 3] {
                    // The values land in a transposed store when strided.
                    let (mut got_t, mut got_plain) =
                        (Matrix::<T>::zeros(n, m), Matrix::<T>::zeros(m, n));
                    let got = if strided {
                        got_t.view_mut().t_mut()
                    } else {
                        got_plain.view_mut()
                    };
                    let (mut count, mut pos) = (Matrix::<T>::zeros(m, n), Matrix::<T>::zeros(m, n));
                    let outputs = [got, count.view_mut(), pos.view_mut()];
                    let run = || {
                        sparse_gemm_tiles_with_kernel(
                            kernel,
                            &s,
                            b,
                            outputs,
                            tile_fn(|tile, [mut got, mut count, mut pos]| {
                                let v = tile.values;
                                for i in 0..v.rows() {
                                    for j in 0..v.cols() {
                                        got.set(i, j, v[(i, j)]);
                                        count.set(i, j, count[(i, j)] + T::ONE);
                                        pos.set(
                                            i,
                                            j,
                                            T::from_f64(((tile.row + i) * n + tile.col + j) as f64),
                                        );
                                    }
                                }
                            }),
                        )
                    };
                    if threads == 1 {
                        run()
                    } else {
                        pools[threads - 2].install(run)
                    }
                    .unwrap();
                    let got = if strided {
                        got_t.transposed()
                    } else {
                        got_plain
                    };
                    let what = format!(
                        "{kernel} {} {m}x{k}x{n} density {density} strided {strided} {threads}t",
                        T::NAME
                    );
                    assert_bitwise_equal(&got, &want, &format!("{what}: values"));
                    assert_eq!(
                        count,
                        Matrix::from_fn(m, n, |_, _| T::ONE),
                        "{what}: every position once"
                    );
                    assert_eq!(pos, at, "{what}: positions");
                }
            }
        }
    }
}

#[test]
fn tiles_cover_the_product_once_with_its_bits_f32() {
    tiles_cover_the_product_once_with_its_bits::<f32>();
}

#[test]
fn tiles_cover_the_product_once_with_its_bits_f64() {
    tiles_cover_the_product_once_with_its_bits::<f64>();
}

#[test]
fn tiles_refuse_shapes_that_do_not_fit() {
    let s = SparseMatrix::from_dense(&Matrix::<f32>::identity(3));
    let b = Matrix::<f32>::zeros(3, 2);
    let (mut w, mut v) = (Matrix::<f32>::zeros(3, 2), Matrix::<f32>::zeros(3, 3));
    let err =
        sparse_gemm_tiles(&s, &b, [w.view_mut(), v.view_mut()], tile_fn(|_, _| {})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sparse_gemm_tiles: S * B is 3x2 but output 1 is 3x3"
    );
    let b = Matrix::<f32>::zeros(4, 2);
    let err =
        sparse_gemm_tiles(&s, &b, [w.view_mut()], tile_fn(|_, _| panic!("no tile"))).unwrap_err();
    assert_eq!(err.to_string(), "sparse_gemm_tiles: S is 3x3 but B is 4x2");
}
