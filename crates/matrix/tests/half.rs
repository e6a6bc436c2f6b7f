//! Half precision: the conversions against `half`'s own, every path of the
//! mixed product against an f64 product of the same rounded inputs (the
//! error bound the crate docs state), bitwise equality across thread
//! counts, and bad input.

mod common;

use common::kernels;
use matrix::gemm::{Algorithm, PlanChoices};
use matrix::mixed::{narrow_slice_with, widen_slice_with};
use matrix::{
    bf16, f16, gemm_half, try_gemm_half_with, Epilogue, Half, HalfPath, KernelKind, Matrix,
    MatrixError, MatrixView, MatrixViewMut,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The paths to test: every one this CPU has, limited to `MATNET_KERNEL`'s
/// instruction set when it is set (valgrind cannot run AVX-512).
fn paths<H: Half>() -> Vec<HalfPath> {
    let kinds = kernels();
    HalfPath::supported::<H>()
        .into_iter()
        .filter(|p| kinds.contains(&p.kernel()))
        .collect()
}

/// f32 bit patterns that exercise rounding: ties, carries into the
/// exponent, overflow, subnormals, infinities, NaNs, and random ones.
fn hard_floats() -> Vec<f32> {
    let mut bits: Vec<u32> = vec![
        0,
        0x8000_0000,
        0x0000_0001,
        0x0000_8000,
        0x0000_8001,
        0x0001_8000,
        0x007F_FFFF,
        0x0080_0000,
        0x3F80_8000,
        0x3F81_8000,
        0x3F80_7FFF,
        0x3FFF_FFFF,
        0x7F7F_FFFF,
        0x7F7F_7FFF,
        0x477F_F000,
        0x477F_E000,
        0x3380_0000,
        0x3380_0001,
        0x7F80_0000,
        0xFF80_0000,
        0x7FC0_0000,
        0x7F80_0001,
        0xFF81_2345,
    ];
    let mut rng = StdRng::seed_from_u64(7);
    bits.extend((0..200_000).map(|_| rng.random::<u32>()));
    bits.into_iter().map(f32::from_bits).collect()
}

fn same_bits<H: Half>(a: H, b: H) -> bool {
    // Two NaNs count as equal whatever their payload; everything else bit for bit.
    let (x, y) = (a.to_f32(), b.to_f32());
    (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
}

fn conversions_agree_with_half<H: Half>(reference: fn(f32) -> H) {
    let xs = hard_floats();
    for kind in kernels() {
        let mut got = vec![H::default(); xs.len()];
        narrow_slice_with(kind, &xs, &mut got);
        for (i, (&x, &h)) in xs.iter().zip(&got).enumerate() {
            assert!(
                same_bits(h, reference(x)),
                "{kind}: {} of {x:e} ({:#010x}) at {i}: got {:?}, want {:?}",
                H::NAME,
                x.to_bits(),
                h,
                reference(x)
            );
            assert!(same_bits(h, H::from_f32(x)));
        }
        let mut back = vec![0.0f32; xs.len()];
        widen_slice_with(kind, &got, &mut back);
        for (&h, &y) in got.iter().zip(&back) {
            let want = h.to_f32();
            assert!(
                (want.is_nan() && y.is_nan()) || want.to_bits() == y.to_bits(),
                "{kind}: widening {h:?} gave {y:e}"
            );
        }
    }
}

#[test]
fn bf16_conversions_round_to_nearest_even_on_every_kernel() {
    conversions_agree_with_half::<bf16>(bf16::from_f32);
}

#[test]
fn f16_conversions_round_to_nearest_even_on_every_kernel() {
    conversions_agree_with_half::<f16>(f16::from_f32);
}

#[test]
fn matrix_conversions_take_any_strides() {
    let x = Matrix::from_fn(5, 7, |i, j| (i as f32 - 2.0) * 0.3 + j as f32 * 1.7e3);
    let h = Matrix::<bf16>::from_f32(x.t());
    assert_eq!(h.shape(), (7, 5));
    for i in 0..7 {
        for j in 0..5 {
            assert_eq!(h[(i, j)], bf16::from_f32(x[(j, i)]));
        }
    }
    let back: Matrix<f32> = (&h).into();
    assert_eq!(back[(3, 2)], bf16::from_f32(x[(2, 3)]).to_f32());
}

/// `C <- epi(alpha A B + beta C0)` in f64 from the half inputs, and the
/// bound on each element's error: `(k + 3) eps(f32)` times the sum of the
/// magnitudes that went into it.
fn reference<H: Half>(
    alpha: f32,
    a: MatrixView<'_, H>,
    b: MatrixView<'_, H>,
    beta: f32,
    c0: &Matrix<f32>,
    bias: Option<&[f32]>,
    relu: bool,
) -> (Matrix<f64>, Matrix<f64>) {
    let (m, k) = a.shape();
    let n = b.cols();
    let eps = f32::EPSILON as f64;
    let mut want = Matrix::<f64>::zeros(m, n);
    let mut bound = Matrix::<f64>::zeros(m, n);
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut s_abs) = (0.0f64, 0.0f64);
            for p in 0..k {
                let x = a[(i, p)].to_f32() as f64 * b[(p, j)].to_f32() as f64;
                s += x;
                s_abs += x.abs();
            }
            let beta_c = if beta == 0.0 {
                0.0
            } else {
                beta as f64 * c0[(i, j)] as f64
            };
            let bias_j = bias.map_or(0.0, |b| b[j] as f64);
            let mut r = alpha as f64 * s + beta_c + bias_j;
            if relu {
                r = r.max(0.0);
            }
            want[(i, j)] = r;
            bound[(i, j)] =
                (k as f64 + 3.0) * eps * (alpha.abs() as f64 * s_abs + beta_c.abs() + bias_j.abs())
                    + f32::MIN_POSITIVE as f64;
        }
    }
    (want, bound)
}

fn random_half<H: Half>(rows: usize, cols: usize, rng: &mut StdRng) -> Matrix<H> {
    Matrix::from_fn(rows, cols, |_, _| H::from_f32(rng.random_range(-1.0..1.0)))
}

fn products_are_within_the_bound<H: Half>() {
    let mut rng = StdRng::seed_from_u64(33);
    let shapes = [
        (1, 1, 1),
        (3, 5, 2),
        (12, 32, 32),
        (13, 33, 31),
        (37, 17, 50),
        (64, 300, 70),
        (150, 1031, 90),
        (5, 2000, 3),
    ];
    for path in paths::<H>() {
        for &(m, k, n) in &shapes {
            for case in 0..4 {
                // Plain, transposed A, transposed B, sub-blocks of larger matrices.
                let a_big = random_half::<H>(m + 3, k + 2, &mut rng);
                let a_t = random_half::<H>(k, m, &mut rng);
                let b_big = random_half::<H>(k + 1, n + 4, &mut rng);
                let b_t = random_half::<H>(n, k, &mut rng);
                let a = match case {
                    1 => a_t.t(),
                    _ => a_big.view().submatrix(1, 2, m, k),
                };
                let b = match case {
                    2 => b_t.t(),
                    3 => b_big.view().submatrix(1, 3, k, n),
                    _ => b_big.view().submatrix(0, 0, k, n),
                };
                let c0 = Matrix::from_fn(m, n, |i, j| (i as f32 - j as f32) * 0.25);
                let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.125 - 1.0).collect();
                let (alpha, beta, with_bias, relu) = match case {
                    0 => (1.0, 0.0, false, false),
                    1 => (-0.5, 1.0, true, false),
                    2 => (2.0, 0.5, false, true),
                    _ => (1.0, 0.0, true, true),
                };
                let epi = match (with_bias, relu) {
                    (true, true) => Epilogue::bias(&bias).relu(),
                    (true, false) => Epilogue::bias(&bias),
                    (false, true) => Epilogue {
                        bias: None,
                        relu: true,
                    },
                    (false, false) => Epilogue::none(),
                };
                let mut c = c0.clone();
                try_gemm_half_with(path, PlanChoices::default(), alpha, a, b, beta, &mut c, epi)
                    .unwrap();
                let (want, bound) = reference(alpha, a, b, beta, &c0, epi.bias, relu);
                for i in 0..m {
                    for j in 0..n {
                        let err = (c[(i, j)] as f64 - want[(i, j)]).abs();
                        assert!(
                            err <= bound[(i, j)],
                            "{path} {} {m}x{k}x{n} case {case} at ({i}, {j}): got {}, want {}, \
                             error {err:e} over the bound {:e}",
                            H::NAME,
                            c[(i, j)],
                            want[(i, j)],
                            bound[(i, j)]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bf16_products_are_within_the_error_bound_on_every_path() {
    products_are_within_the_bound::<bf16>();
}

#[test]
fn f16_products_are_within_the_error_bound_on_every_path() {
    products_are_within_the_bound::<f16>();
}

/// A widened product is the `f32` product of the widened operands, with
/// the same plan (A and B packed): bit for bit, for B stored either way
/// (the packing's two fast layouts) and a strided sub-block (its plain one).
fn widened_paths_equal_the_f32_product_of_the_widened_operands<H: Half>() {
    let mut rng = StdRng::seed_from_u64(21);
    let choices = PlanChoices {
        algorithm: Some(Algorithm::Blis),
        a: Some(matrix::gemm::ASource::Packed),
        b: Some(matrix::gemm::BSource::Packed),
        ..PlanChoices::default()
    };
    for &(m, k, n) in &[(7, 9, 5), (64, 300, 70), (129, 513, 40), (300, 64, 257)] {
        let a = random_half::<H>(m, k, &mut rng);
        let b_nk = random_half::<H>(n, k, &mut rng);
        let b_kn = random_half::<H>(k, n, &mut rng);
        let b_big = random_half::<H>(2 * k, 2 * n, &mut rng);
        let (a32, b_nk32, b_kn32, b_big32) =
            (a.to_f32(), b_nk.to_f32(), b_kn.to_f32(), b_big.to_f32());
        for path in paths::<H>() {
            let HalfPath::Widened(kind) = path else {
                continue;
            };
            let cases: [(MatrixView<'_, H>, MatrixView<'_, f32>); 3] = [
                (b_nk.t(), b_nk32.t()),
                (b_kn.view(), b_kn32.view()),
                (
                    MatrixView::from_slice(b_big.as_slice(), k, n, 4 * n, 2),
                    MatrixView::from_slice(b_big32.as_slice(), k, n, 4 * n, 2),
                ),
            ];
            for (case, (b, b32)) in cases.into_iter().enumerate() {
                let mut want = Matrix::<f32>::zeros(m, n);
                let epi = Epilogue::none();
                matrix::try_gemm_planned(kind, choices, 1.0, &a32, b32, 0.0, &mut want, epi)
                    .unwrap();
                let mut got = Matrix::<f32>::zeros(m, n);
                try_gemm_half_with(path, choices, 1.0, &a, b, 0.0, &mut got, epi).unwrap();
                let same = got
                    .as_slice()
                    .iter()
                    .zip(want.as_slice())
                    .all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{path} {} {m}x{k}x{n} case {case}", H::NAME);
            }
        }
    }
}

#[test]
fn widened_products_are_the_f32_products_bit_for_bit() {
    widened_paths_equal_the_f32_product_of_the_widened_operands::<bf16>();
    widened_paths_equal_the_f32_product_of_the_widened_operands::<f16>();
}

#[test]
fn small_forced_k_blocks_keep_the_bound() {
    // Tiny caches force several k blocks (and an odd k block size for the
    // pair kernel to even out).
    let mut rng = StdRng::seed_from_u64(5);
    let (m, k, n) = (40, 301, 45);
    let a = random_half::<bf16>(m, k, &mut rng);
    let b = random_half::<bf16>(k, n, &mut rng);
    let c0 = Matrix::zeros(m, n);
    let (want, bound) = reference(1.0, a.view(), b.view(), 0.0, &c0, None, false);
    for path in paths::<bf16>() {
        for l1 in [1 << 10, 3 << 10, 5 << 10] {
            let caches = matrix::CacheSizes {
                l1d: l1,
                l2: 64 << 10,
                l3: 2 << 20,
            };
            let choices = PlanChoices {
                caches: Some(caches),
                mc: Some(13),
                ..PlanChoices::default()
            };
            let mut c = Matrix::<f32>::zeros(m, n);
            let plan =
                try_gemm_half_with(path, choices, 1.0, &a, &b, 0.0, &mut c, Epilogue::none())
                    .unwrap()
                    .unwrap();
            for i in 0..m {
                for j in 0..n {
                    let err = (c[(i, j)] as f64 - want[(i, j)]).abs();
                    assert!(err <= bound[(i, j)], "{path} kc {} at ({i}, {j})", plan.kc);
                }
            }
        }
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn results_do_not_depend_on_the_thread_count<H: Half>() {
    let mut rng = StdRng::seed_from_u64(9);
    for &(m, k, n) in &[(300, 257, 200), (40, 1000, 600), (1000, 64, 30)] {
        let a = random_half::<H>(m, k, &mut rng);
        let b = random_half::<H>(n, k, &mut rng);
        for path in paths::<H>() {
            let run = |threads: usize| {
                let mut c = Matrix::<f32>::zeros(m, n);
                let plan = pool(threads).install(|| {
                    try_gemm_half_with(
                        path,
                        PlanChoices::default(),
                        1.0,
                        &a,
                        b.t(),
                        0.0,
                        &mut c,
                        Epilogue::none(),
                    )
                });
                (c, plan.unwrap().unwrap())
            };
            let (one, _) = run(1);
            for threads in [2, 3] {
                let (c, plan) = run(threads);
                assert!(
                    cfg!(not(feature = "parallel")) || plan.parts > 1,
                    "{path} {m}x{k}x{n}: one part on {threads} threads"
                );
                let same = one
                    .as_slice()
                    .iter()
                    .zip(c.as_slice())
                    .all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{path} {m}x{k}x{n}: {threads} threads differ from 1");
            }
        }
    }
}

#[test]
fn bf16_results_are_bitwise_the_same_on_1_2_and_3_threads() {
    results_do_not_depend_on_the_thread_count::<bf16>();
}

#[test]
fn f16_results_are_bitwise_the_same_on_1_2_and_3_threads() {
    results_do_not_depend_on_the_thread_count::<f16>();
}

#[test]
fn bad_half_products_are_errors() {
    let a = Matrix::<bf16>::zeros(3, 4);
    let b = Matrix::<bf16>::zeros(5, 2);
    let mut c = Matrix::<f32>::zeros(3, 2);
    let path = HalfPath::Widened(KernelKind::Portable);
    let choices = PlanChoices::default();
    let err =
        try_gemm_half_with(path, choices, 1.0, &a, &b, 0.0, &mut c, Epilogue::none()).unwrap_err();
    assert_eq!(err.to_string(), "gemm_half: op(A) is 3x4 but op(B) is 5x2");
    let b = Matrix::<bf16>::zeros(4, 2);
    let forced = PlanChoices {
        algorithm: Some(Algorithm::Dot),
        ..choices
    };
    let err =
        try_gemm_half_with(path, forced, 1.0, &a, &b, 0.0, &mut c, Epilogue::none()).unwrap_err();
    assert!(matches!(err, MatrixError::InvalidPlan { .. }), "{err}");
    let h = Matrix::<f16>::zeros(3, 4);
    let g = Matrix::<f16>::zeros(4, 2);
    let err = try_gemm_half_with(
        HalfPath::DotBf16,
        choices,
        1.0,
        &h,
        &g,
        0.0,
        &mut c,
        Epilogue::none(),
    )
    .unwrap_err();
    assert!(matches!(err, MatrixError::Kernel(_)), "{err}");
    // Nothing to multiply: C is only scaled, NaNs in C ignored with beta = 0.
    let e = Matrix::<bf16>::zeros(3, 0);
    let f = Matrix::<bf16>::zeros(0, 2);
    let mut c = Matrix::filled(3, 2, f32::NAN);
    gemm_half(1.0, &e, &f, 0.0, MatrixViewMut::from(&mut c));
    assert!(c.as_slice().iter().all(|&x| x == 0.0));
}
