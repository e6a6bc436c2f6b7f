//! Every kernel this CPU supports against the naive f64 reference, over
//! shapes chosen to hit every edge case of the blocking: empty, 1, primes,
//! just below / at / above MR, NR, KC and NC multiples.

mod common;
use common::{apply_epilogue, assert_bitwise_equal, assert_within, kernels, random, tol};
use matrix::{reference, try_gemm_with_kernel, Epilogue, KernelKind, Matrix, MatrixView, Scalar};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Runs `C = alpha op(A) op(B) + beta C` with `kernel` and checks it against the reference.
#[allow(clippy::too_many_arguments)]
fn check<T: Scalar>(
    kernel: KernelKind,
    alpha: T,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    beta: T,
    c0: &Matrix<T>,
    epi: Epilogue<'_, T>,
    what: &str,
) {
    let mut got = c0.clone();
    try_gemm_with_kernel(kernel, alpha, a, b, beta, &mut got, epi).unwrap();
    let mut want = c0.clone();
    reference::gemm(alpha, a, b, beta, want.view_mut());
    apply_epilogue(&mut want, epi);
    let k = a.cols();
    let tol = tol::<T>(k) * (1.0 + alpha.to_f64().abs() + beta.to_f64().abs());
    let (m, n) = want.shape();
    assert_within(
        &got,
        &want,
        tol,
        &format!("{kernel} {} {what} (m={m} k={k} n={n})", T::NAME),
    );
}

const SIZES: [usize; 14] = [0, 1, 2, 3, 5, 7, 11, 12, 13, 16, 17, 31, 33, 64];

fn all_small_shapes<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(1);
    for kernel in kernels() {
        for &m in &SIZES {
            for &n in &SIZES {
                for &k in &[0usize, 1, 3, 8, 17, 65] {
                    let a = random::<T>(m, k, &mut rng);
                    let b = random::<T>(k, n, &mut rng);
                    let c = random::<T>(m, n, &mut rng);
                    let what = "NN";
                    check(
                        kernel,
                        T::ONE,
                        a.view(),
                        b.view(),
                        T::ZERO,
                        &c,
                        Epilogue::none(),
                        what,
                    );
                    let alpha = T::from_f64(-0.5);
                    let beta = T::from_f64(1.5);
                    check(
                        kernel,
                        alpha,
                        a.view(),
                        b.view(),
                        beta,
                        &c,
                        Epilogue::none(),
                        what,
                    );
                }
            }
        }
    }
}

#[test]
fn every_kernel_matches_the_reference_on_small_shapes_f32() {
    all_small_shapes::<f32>();
}

#[test]
fn every_kernel_matches_the_reference_on_small_shapes_f64() {
    all_small_shapes::<f64>();
}

/// Shapes around the cache-block sizes (KC up to 1024 with a 1 MiB L2, NC
/// a few hundred, MC a 2 MiB A chunk): several k blocks (beta applied once), several n blocks,
/// several A chunks, partial tiles.
fn blocked_shapes<T: Scalar>() {
    let mut rng = StdRng::seed_from_u64(2);
    let shapes = [
        (129, 513, 97),
        (37, 1031, 45),
        (200, 300, 1100),
        (13, 1200, 700),
        // Up to 4 row panels: B read in place (prefetched), several k and n
        // blocks, a partial last column panel packed.
        (12, 1100, 700),
        (45, 600, 710),
        (128, 784, 10),
        (10, 128, 800),
        // Row-major A rows 8 (f32) or 16 KiB (f64) apart: A packed (other
        // row strides are read in place, the last partial panel packed),
        // in two k blocks.
        (40, 2048, 50),
        // Several A chunks (2 MiB each: KC = 520 and MC about 1000 rows in
        // f32, half that in f64) even when two threads split the rows.
        (4100, 520, 40),
        // Long k, few columns: the dot-product kernel's k chunks.
        (37, 20000, 10),
        (9, 9001, 3),
    ];
    for kernel in kernels() {
        for &(m, k, n) in &shapes {
            let a = random::<T>(m, k, &mut rng);
            let b = random::<T>(k, n, &mut rng);
            let c = random::<T>(m, n, &mut rng);
            check(
                kernel,
                T::ONE,
                a.view(),
                b.view(),
                T::ZERO,
                &c,
                Epilogue::none(),
                "NN",
            );
            check(
                kernel,
                T::from_f64(0.7),
                a.view(),
                b.view(),
                T::from_f64(-1.0),
                &c,
                Epilogue::none(),
                "NN beta",
            );
        }
    }
}

/// Several A chunks, k blocks and n blocks on one thread: B is packed
/// whole by the first chunk and each (k, n) block is found again by the
/// later ones. (Two workers would each get a single chunk of these rows.)
/// Checked on every 97th row, which crosses every chunk and block: the
/// full reference product would take minutes under valgrind.
///
/// With a 1 MiB L2 (A is read in place, KC up to 1024), (1500, 1100, 40)
/// in f32 has 2 A chunks and 2 k blocks; (600, 1100, 260) in f64 has 2 of
/// each and 3 n blocks. Shapes small enough for valgrind (a 2300x700x600
/// product took 96 s there).
fn whole_b_shape<T: Scalar>(m: usize, k: usize, n: usize) {
    let mut rng = StdRng::seed_from_u64(3);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let a = random::<T>(m, k, &mut rng);
    let b = random::<T>(k, n, &mut rng);
    let c0 = random::<T>(m, n, &mut rng);
    let beta = 0.5;
    for kernel in kernels() {
        let mut c = c0.clone();
        one.install(|| {
            try_gemm_with_kernel(
                kernel,
                T::ONE,
                &a,
                &b,
                T::from_f64(beta),
                &mut c,
                Epilogue::none(),
            )
            .unwrap()
        });
        for i in (0..m).step_by(97) {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|p| a[(i, p)].to_f64() * b[(p, j)].to_f64())
                    .sum();
                let want = dot + beta * c0[(i, j)].to_f64();
                let got = c[(i, j)].to_f64();
                assert!(
                    (got - want).abs() <= tol::<T>(k) * 2.5,
                    "{kernel} {}: C[{i},{j}] = {got}, reference {want}",
                    T::NAME
                );
            }
        }
    }
}

#[test]
fn every_kernel_matches_the_reference_with_b_packed_whole() {
    whole_b_shape::<f32>(1500, 1100, 40);
    whole_b_shape::<f64>(600, 1100, 260);
}

#[test]
fn every_kernel_matches_the_reference_across_cache_blocks_f32() {
    blocked_shapes::<f32>();
}

#[test]
fn every_kernel_matches_the_reference_across_cache_blocks_f64() {
    blocked_shapes::<f64>();
}

/// Aᵀ·B, A·Bᵀ, Aᵀ·Bᵀ through transposed views, and sub-block views with
/// large strides, for every kernel.
#[test]
fn transposed_and_sub_block_views() {
    let mut rng = StdRng::seed_from_u64(3);
    for kernel in kernels() {
        for &(m, k, n) in &[(1, 1, 1), (7, 13, 5), (33, 70, 41), (100, 37, 129)] {
            let at = random::<f32>(k, m, &mut rng);
            let bt = random::<f32>(n, k, &mut rng);
            let a = at.transposed();
            let b = bt.transposed();
            let c = random::<f32>(m, n, &mut rng);
            let e = Epilogue::none();
            check(kernel, 1.0, at.t(), b.view(), 0.0, &c, e, "AtB");
            check(kernel, 1.0, a.view(), bt.t(), 0.0, &c, e, "ABt");
            check(kernel, 2.0, at.t(), bt.t(), 0.5, &c, e, "AtBt");

            let big_a = random::<f32>(m + 9, k + 11, &mut rng);
            let big_b = random::<f32>(k + 4, n + 6, &mut rng);
            let sa = big_a.view().submatrix(5, 3, m, k);
            let sb = big_b.view().submatrix(2, 6, k, n);
            check(kernel, 1.0, sa, sb, 0.0, &c, e, "sub-blocks");
            // Sub-block of C: only that block changes.
            let mut big_c = random::<f32>(m + 3, n + 5, &mut rng);
            let before = big_c.clone();
            let cv = big_c.view_mut().submatrix_mut(1, 2, m, n);
            try_gemm_with_kernel(kernel, 1.0, sa, sb, 0.0, cv, e).unwrap();
            let mut want = Matrix::zeros(m, n);
            reference::gemm(1.0, sa, sb, 0.0, want.view_mut());
            for i in 0..m + 3 {
                for j in 0..n + 5 {
                    let inside = (1..1 + m).contains(&i) && (2..2 + n).contains(&j);
                    if inside {
                        assert!((big_c[(i, j)] - want[(i - 1, j - 2)]).abs() < 1e-4);
                    } else {
                        assert_eq!(
                            big_c[(i, j)],
                            before[(i, j)],
                            "{kernel}: C outside the block changed"
                        );
                    }
                }
            }
            // Column-major (transposed) C.
            let mut ct = c.transposed();
            try_gemm_with_kernel(
                kernel,
                1.0,
                a.view(),
                b.view(),
                0.0,
                ct.view_mut().t_mut(),
                e,
            )
            .unwrap();
            assert!(
                ct.transposed().max_abs_diff(&want_of(&a, &b)) < 1e-4,
                "{kernel}: strided C"
            );
        }
    }
}

fn want_of(a: &Matrix<f32>, b: &Matrix<f32>) -> Matrix<f32> {
    let mut w = Matrix::zeros(a.rows(), b.cols());
    reference::gemm(1.0, a.view(), b.view(), 0.0, w.view_mut());
    w
}

/// BLAS semantics: beta = 0 never reads C, so NaN and infinity in C vanish.
#[test]
fn beta_zero_ignores_nan_in_c() {
    let mut rng = StdRng::seed_from_u64(4);
    for kernel in kernels() {
        for &(m, k, n) in &[(1, 1, 1), (13, 17, 35), (64, 600, 100), (5, 0, 5)] {
            let a = random::<f64>(m, k, &mut rng);
            let b = random::<f64>(k, n, &mut rng);
            let mut c = Matrix::filled(m, n, f64::NAN);
            c.as_mut_slice()
                .iter_mut()
                .step_by(3)
                .for_each(|x| *x = f64::INFINITY);
            try_gemm_with_kernel(kernel, 1.0, &a, &b, 0.0, &mut c, Epilogue::none()).unwrap();
            assert!(
                c.as_slice().iter().all(|x| x.is_finite()),
                "{kernel}: NaN leaked for {m}x{k}x{n}"
            );
            // alpha = 0 with beta = 0 also clears C.
            let mut c = Matrix::filled(m, n, f64::NAN);
            try_gemm_with_kernel(kernel, 0.0, &a, &b, 0.0, &mut c, Epilogue::none()).unwrap();
            assert!(c.as_slice().iter().all(|&x| x == 0.0));
        }
    }
}

/// The fused epilogue (bias row, ReLU) equals gemm followed by the plain ops.
#[test]
fn fused_bias_and_relu_match_separate_passes() {
    let mut rng = StdRng::seed_from_u64(5);
    for kernel in kernels() {
        for &(m, k, n) in &[(1, 3, 1), (12, 9, 32), (37, 800, 45), (128, 784, 100)] {
            let a = random::<f32>(m, k, &mut rng);
            let b = random::<f32>(k, n, &mut rng);
            let c = random::<f32>(m, n, &mut rng);
            let bias: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            check(
                kernel,
                1.0,
                a.view(),
                b.view(),
                0.0,
                &c,
                Epilogue::bias(&bias),
                "bias",
            );
            check(
                kernel,
                1.0,
                a.view(),
                b.view(),
                0.0,
                &c,
                Epilogue::bias(&bias).relu(),
                "bias+relu",
            );
            let relu_only = Epilogue {
                bias: None,
                relu: true,
            };
            check(kernel, 1.0, a.view(), b.view(), 1.0, &c, relu_only, "relu");
            // The fused result is bitwise what the fused path computes for every kernel tile path:
            // compare fused vs separate passes exactly (same IEEE operations).
            let mut fused = c.clone();
            try_gemm_with_kernel(
                kernel,
                1.0,
                &a,
                &b,
                0.0,
                &mut fused,
                Epilogue::bias(&bias).relu(),
            )
            .unwrap();
            let mut separate = c.clone();
            try_gemm_with_kernel(kernel, 1.0, &a, &b, 0.0, &mut separate, Epilogue::none())
                .unwrap();
            matrix::ops::add_row_vector(separate.view_mut(), &bias).unwrap();
            separate
                .view_mut()
                .map_inplace(|x| if x > 0.0 { x } else { 0.0 });
            assert_eq!(
                fused, separate,
                "{kernel}: fused epilogue differs from separate passes"
            );
        }
    }
}

/// Splitting over threads never changes a bit: K is never split, and the
/// edge tiles a split creates (cuts at 4 rows or one vector of columns)
/// compute each element as the full tiles do.
#[test]
fn one_two_and_three_threads_give_bitwise_equal_results() {
    let mut rng = StdRng::seed_from_u64(6);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let pools = [pool(1), pool(2), pool(3)];
    for kernel in kernels() {
        for &(m, k, n) in &[
            (300, 700, 500),
            (128, 784, 800),
            (784, 128, 800),
            (130, 60, 70),
            (1000, 300, 10),
            (10, 256, 1000),
            (300, 20000, 10), // the dot-product kernel with k chunks
            (1, 784, 2500),   // one row: columns split between threads
        ] {
            let a = random::<f32>(m, k, &mut rng);
            let b = random::<f32>(k, n, &mut rng);
            let run = |p: &rayon::ThreadPool| {
                let mut c = Matrix::zeros(m, n);
                p.install(|| {
                    try_gemm_with_kernel(kernel, 1.0, &a, &b, 0.0, &mut c, Epilogue::none())
                        .unwrap()
                });
                c
            };
            let c1 = run(&pools[0]);
            for (threads, pool) in [(2, &pools[1]), (3, &pools[2])] {
                assert_bitwise_equal(
                    &run(pool),
                    &c1,
                    &format!("{kernel}: {m}x{k}x{n} differs between 1 and {threads} threads"),
                );
            }
        }
    }
}

#[test]
fn shape_errors_name_both_shapes() {
    let a = Matrix::<f32>::zeros(128, 784);
    let b = Matrix::<f32>::zeros(800, 10);
    let mut c = Matrix::<f32>::zeros(128, 10);
    let err = matrix::try_gemm(1.0, &a, &b, 0.0, &mut c).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gemm: op(A) is 128x784 but op(B) is 800x10"
    );
    let b = Matrix::<f32>::zeros(784, 10);
    let mut wrong_c = Matrix::<f32>::zeros(128, 11);
    let err = matrix::try_gemm(1.0, &a, &b, 0.0, &mut wrong_c).unwrap_err();
    assert!(
        err.to_string().contains("128x10") && err.to_string().contains("128x11"),
        "{err}"
    );
    let panic = std::panic::catch_unwind(|| {
        let mut c = Matrix::<f32>::zeros(128, 10);
        matrix::gemm(1.0, &a, &Matrix::<f32>::zeros(800, 10), 0.0, &mut c)
    })
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "gemm: op(A) is 128x784 but op(B) is 800x10");
}

#[test]
fn batched_products_equal_single_products_bit_for_bit_on_any_thread_count() {
    let mut rng = StdRng::seed_from_u64(9);
    let shapes: Vec<(usize, usize, usize)> = (0..37)
        .map(|i| (1 + (i * 7) % 70, 1 + (i * 11) % 90, 1 + (i * 13) % 65))
        .collect();
    let a: Vec<Matrix<f32>> = shapes
        .iter()
        .map(|&(m, k, _)| random(m, k, &mut rng))
        .collect();
    let b: Vec<Matrix<f32>> = shapes
        .iter()
        .map(|&(_, k, n)| random(k, n, &mut rng))
        .collect();
    let c0: Vec<Matrix<f32>> = shapes
        .iter()
        .map(|&(m, _, n)| random(m, n, &mut rng))
        .collect();
    let single: Vec<Matrix<f32>> = (0..shapes.len())
        .map(|i| {
            let mut c = c0[i].clone();
            matrix::gemm(0.5, &a[i], &b[i], 0.25, &mut c);
            c
        })
        .collect();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut c = c0.clone();
        let av: Vec<MatrixView<'_, f32>> = a.iter().map(|m| m.view()).collect();
        let bv: Vec<MatrixView<'_, f32>> = b.iter().map(|m| m.view()).collect();
        let mut cv: Vec<_> = c.iter_mut().map(|m| m.view_mut()).collect();
        pool.install(|| matrix::try_gemm_batched(0.5, &av, &bv, 0.25, &mut cv).unwrap());
        for (i, (got, want)) in c.iter().zip(&single).enumerate() {
            assert_bitwise_equal(got, want, &format!("product {i} on {threads} threads"));
        }
    }
    // A mismatch anywhere is an error naming the product, and nothing runs.
    let mut c = c0.clone();
    let av: Vec<MatrixView<'_, f32>> = a.iter().map(|m| m.view()).collect();
    let mut bv: Vec<MatrixView<'_, f32>> = b.iter().map(|m| m.view()).collect();
    bv[20] = b[21].view();
    let mut cv: Vec<_> = c.iter_mut().map(|m| m.view_mut()).collect();
    let err = matrix::try_gemm_batched(0.5, &av, &bv, 0.25, &mut cv).unwrap_err();
    assert!(err.to_string().contains("product 20"), "{err}");
    assert!(c.iter().zip(&c0).all(|(x, y)| x == y));
    let err = matrix::try_gemm_batched(0.5, &av[..3], &bv[..2], 0.25, &mut []).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("gemm_batched: 3 A, 2 B and 0 C"),
        "{err}"
    );
}
