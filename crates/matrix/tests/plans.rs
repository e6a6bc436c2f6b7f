//! Which plan a product gets, and every plan on every host.
//!
//! The rules of `gemm/plan.rs` are asserted on representative shapes (with
//! fixed cache sizes, so that the answer does not depend on this machine);
//! then every path the driver has (swapped or not; dot products, narrow or
//! full BLIS tiles; A packed or in place; B packed, in place or filled by
//! the first row of tiles; B packed whole or per block; one k block or
//! several; one part or two) is forced on shapes where it is not the rule's
//! choice, for every kernel this CPU has, and checked against the reference.

mod common;
use common::{apply_epilogue, assert_within, kernels, random, tol};
use matrix::gemm::{plan_gemm, ASource, Algorithm, BSource, Plan, PlanChoices, Split};
use matrix::{
    reference, try_gemm_planned, CacheSizes, Epilogue, KernelKind, Matrix, MatrixError, MatrixView,
    Scalar,
};
use rand::{rngs::StdRng, SeedableRng};
use std::sync::OnceLock;

/// A 32 KiB L1 and 1 MiB L2: the caches the rules were tuned on.
const TUNED: CacheSizes = CacheSizes {
    l1d: 32 << 10,
    l2: 1 << 20,
    l3: 2 << 20,
};

/// A 64 KiB L2: k blocks of 64 (f32 and f64 alike, with 32- or 16-wide
/// tiles), so modest shapes take several.
const TINY_L2: CacheSizes = CacheSizes {
    l1d: 16 << 10,
    l2: 64 << 10,
    l3: 2 << 20,
};

/// A rayon pool of 1 or 2 threads, made once.
fn pool(threads: usize) -> &'static rayon::ThreadPool {
    static POOLS: [OnceLock<rayon::ThreadPool>; 2] = [OnceLock::new(), OnceLock::new()];
    POOLS[threads - 1].get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    })
}

/// Runs `C = alpha op(A) op(B) + beta C` with `choices` on `threads` workers,
/// checks it against the reference and returns the plan that ran.
#[allow(clippy::too_many_arguments)]
fn run<T: Scalar>(
    kernel: KernelKind,
    threads: usize,
    choices: PlanChoices,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    beta: T,
    c0: &Matrix<T>,
    epi: Epilogue<'_, T>,
) -> Result<Plan, MatrixError> {
    let alpha = T::from_f64(0.75);
    let mut got = c0.clone();
    let plan = pool(threads)
        .install(|| try_gemm_planned(kernel, choices, alpha, a, b, beta, &mut got, epi))?;
    let mut want = c0.clone();
    reference::gemm(alpha, a, b, beta, want.view_mut());
    apply_epilogue(&mut want, epi);
    let tol = tol::<T>(a.cols()) * 3.0;
    let what = format!("{kernel:?} {threads} thread(s) {choices:?} -> {plan:?}");
    assert_within(&got, &want, tol, &what);
    Ok(plan.expect("a nonempty product has a plan"))
}

/// The plan `choices` gives an `m x k x n` f32 product of row-major
/// operands (A transposed if `a_t`) on `threads` workers.
fn plan_of(
    kernel: KernelKind,
    threads: usize,
    (m, k, n): (usize, usize, usize),
    a_t: bool,
    choices: PlanChoices,
) -> Plan {
    let a = if a_t {
        Matrix::<f32>::zeros(k, m)
    } else {
        Matrix::zeros(m, k)
    };
    let a = if a_t { a.t() } else { a.view() };
    let b = Matrix::zeros(k, n);
    plan_gemm(kernel, threads, choices, a, b.view(), false)
        .unwrap()
        .unwrap()
}

fn tuned() -> PlanChoices {
    PlanChoices {
        caches: Some(TUNED),
        ..PlanChoices::default()
    }
}

/// The four cache layouts of the CPUs the project meets (L1d / L2 per core:
/// 32 KiB / 512 KiB, 32 KiB / 1 MiB, 48 KiB / 1 MiB, 48 KiB / 2 MiB), each
/// with a 4 MiB share of L3.
const LAYOUTS: [CacheSizes; 4] = [
    CacheSizes {
        l1d: 32 << 10,
        l2: 512 << 10,
        l3: 4 << 20,
    },
    CacheSizes {
        l1d: 32 << 10,
        l2: 1 << 20,
        l3: 4 << 20,
    },
    CacheSizes {
        l1d: 48 << 10,
        l2: 1 << 20,
        l3: 4 << 20,
    },
    CacheSizes {
        l1d: 48 << 10,
        l2: 2 << 20,
        l3: 4 << 20,
    },
];

#[test]
fn each_cache_layout_gets_the_blocking_derived_from_it() {
    // The portable kernel (4x8 f32 tiles, 32 bytes of B per k) runs on every
    // machine, so its plans are asserted everywhere: KC = L2 / 8 / 32 bytes
    // (2048 at most) evened over k = 1024; NC = L2 / 2 / (KC * 4); MC = the
    // 2 MiB A chunk / (KC * 4). The other kernels' blocks are asserted for
    // every layout in `gemm::blocking`'s unit tests, on any machine too.
    let want = [
        (1024, 64, 512),
        (1024, 128, 512),
        (1024, 128, 512),
        (1024, 256, 512),
    ];
    for (caches, (kc, nc, mc)) in LAYOUTS.into_iter().zip(want) {
        let choices = PlanChoices {
            caches: Some(caches),
            ..PlanChoices::default()
        };
        let p = plan_of(KernelKind::Portable, 1, (1024, 1024, 1024), false, choices);
        assert_eq!(p.caches, caches);
        let part = p.first_part.expect("a BLIS plan");
        assert_eq!((p.kc, part.nc, part.mc), (kc, nc, mc), "{caches:?}");
    }
}

#[test]
fn the_rules_give_each_network_shape_its_plan() {
    for kernel in kernels() {
        // A hidden layer's forward pass, 128x784x800: BLIS, B (800 f32 =
        // 3200-byte rows) packed by the first row of tiles, A packed (it fits
        // in L2 and 800 columns amortize packing), one k block.
        let p = plan_of(kernel, 1, (128, 784, 800), false, tuned());
        assert_eq!(
            (p.algorithm, p.swapped, p.parts),
            (Algorithm::Blis, false, 1)
        );
        let part = p.first_part.unwrap();
        assert_eq!(
            (part.a, part.b, part.whole_b),
            (ASource::Packed, BSource::FilledByFirstRow, false)
        );
        assert_eq!(p.kc, 784, "{kernel:?}: one k block");
        // The output layer's forward pass, 128x800x10: dot products.
        let p = plan_of(kernel, 1, (128, 800, 10), false, tuned());
        assert_eq!((p.algorithm, p.first_part), (Algorithm::Dot, None));
        // A 10x10 layer's forward pass over a full batch, 33600x10x10: k is
        // too short for dot products (a reduction per element), the BLIS
        // loops take it.
        let p = plan_of(kernel, 1, (33600, 10, 10), false, tuned());
        assert_ne!(p.algorithm, Algorithm::Dot, "{kernel:?}");
        // Its weight gradient Xᵀ dZ, 784x128x10 with column-major A: swapped
        // into a 10-row product that reads Xᵀ's rows in place.
        let p = plan_of(kernel, 1, (784, 128, 10), true, tuned());
        assert!(p.swapped, "{kernel:?}");
        assert_eq!(p.first_part.unwrap().b, BSource::InPlace);
        // A test-set forward pass, 10000x784x800: A read in place (larger than
        // L2), several A chunks, so all of B is packed once.
        let p = plan_of(kernel, 1, (10000, 784, 800), false, tuned());
        let part = p.first_part.unwrap();
        assert_eq!(
            (part.a, part.whole_b),
            (ASource::InPlace, true),
            "{kernel:?}"
        );
        // One sample, 1x784x800: a sum of B's rows; on two threads, split
        // by columns.
        let p = plan_of(kernel, 1, (1, 784, 800), false, tuned());
        assert_eq!(
            (p.algorithm, p.swapped),
            (Algorithm::Vector, false),
            "{kernel:?}"
        );
        let p = plan_of(kernel, 2, (1, 784, 800), false, tuned());
        assert_eq!((p.parts, p.split), (2, Split::Columns), "{kernel:?}");
        // A few rows: BLIS with B read in place.
        let p = plan_of(kernel, 1, (4, 784, 800), false, tuned());
        assert_eq!(p.first_part.unwrap().b, BSource::InPlace, "{kernel:?}");
        // Two threads: a wide C is split by columns, a tall one by rows.
        let p = plan_of(kernel, 2, (128, 784, 800), false, tuned());
        assert_eq!((p.parts, p.split), (2, Split::Columns), "{kernel:?}");
        let p = plan_of(kernel, 2, (800, 784, 128), false, tuned());
        assert_eq!((p.parts, p.split), (2, Split::Rows), "{kernel:?}");
        // Too small to split.
        let p = plan_of(kernel, 2, (16, 16, 16), false, tuned());
        assert_eq!(p.parts, 1);
    }
}

#[test]
fn the_narrow_tile_takes_one_vector_of_columns_with_column_major_a() {
    for kernel in kernels() {
        // Aᵀ B with 8 columns (one AVX2 vector of f32, half an AVX-512
        // one): the dot-product loop needs row-major A.
        let p = plan_of(
            kernel,
            1,
            (200, 300, 8),
            true,
            PlanChoices {
                swap: Some(false),
                ..tuned()
            },
        );
        let want = if kernel == KernelKind::Portable {
            Algorithm::Blis
        } else {
            Algorithm::Narrow
        };
        assert_eq!(p.algorithm, want, "{kernel:?}");
    }
}

#[test]
fn the_k_block_comes_from_the_injected_l2() {
    let kernel = kernels()[0];
    let p = plan_of(kernel, 1, (40, 300, 50), false, tuned());
    assert_eq!(p.kc, 300);
    let p = plan_of(
        kernel,
        1,
        (40, 300, 50),
        false,
        PlanChoices {
            caches: Some(TINY_L2),
            ..PlanChoices::default()
        },
    );
    assert!(p.kc < 300 && p.kc >= 64, "kc = {}", p.kc);
    assert_eq!(p.caches, TINY_L2);
}

/// Every combination of forced sources, whole B, caches and threads on one
/// operand layout, with a bias and ReLU (and `beta` applied once across k
/// blocks).
fn every_blis_path<T: Scalar>(kernel: KernelKind, a_t: bool, b_t: bool, rng: &mut StdRng) {
    // 61 rows: five 12-row panels and a partial one (several A chunks with
    // the tiny L2); 300 deep: five k blocks; 70 columns: partial B panels.
    let (m, k, n) = (61, 300, 70);
    let a = random::<T>(if a_t { k } else { m }, if a_t { m } else { k }, rng);
    let b = random::<T>(if b_t { n } else { k }, if b_t { k } else { n }, rng);
    let (a, b) = (
        if a_t { a.t() } else { a.view() },
        if b_t { b.t() } else { b.view() },
    );
    let c0 = random::<T>(m, n, rng);
    let bias: Vec<T> = (0..n).map(|j| T::from_f64(j as f64 / 50.0 - 0.5)).collect();
    let epi = Epilogue::bias(&bias).relu();
    let a_sources: &[ASource] = if a_t {
        &[ASource::Packed]
    } else {
        &[ASource::Packed, ASource::InPlace]
    };
    let b_sources: &[BSource] = if b_t {
        &[BSource::Packed]
    } else {
        &[BSource::Packed, BSource::InPlace, BSource::FilledByFirstRow]
    };
    for algorithm in [Algorithm::Blis, Algorithm::Narrow] {
        if kernel == KernelKind::Portable && algorithm == Algorithm::Narrow {
            continue;
        }
        for &a_src in a_sources {
            for &b_src in b_sources {
                for whole_b in [false, true] {
                    // One k block and one A chunk; several of each (the
                    // packed whole B read back by later chunks); on two
                    // threads.
                    for (caches, mc, threads) in [
                        (TUNED, None, 1),
                        (TINY_L2, Some(24), 1),
                        (TINY_L2, Some(12), 2),
                    ] {
                        let choices = PlanChoices {
                            caches: Some(caches),
                            swap: Some(false),
                            algorithm: Some(algorithm),
                            a: Some(a_src),
                            b: Some(b_src),
                            whole_b: Some(whole_b),
                            mc,
                        };
                        let beta = T::from_f64(0.5);
                        let plan = run(kernel, threads, choices, a, b, beta, &c0, epi).unwrap();
                        let part = plan.first_part.unwrap();
                        assert_eq!(
                            (plan.algorithm, part.a, part.b, part.whole_b),
                            (algorithm, a_src, b_src, whole_b)
                        );
                        if caches == TINY_L2 {
                            assert!(plan.kc < k, "{plan:?}: several k blocks");
                            assert!(part.mc < m, "{plan:?}: several A chunks");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_blis_path_matches_the_reference_f32() {
    let mut rng = StdRng::seed_from_u64(2);
    for kernel in kernels() {
        for (a_t, b_t) in [(false, false), (true, false), (false, true)] {
            every_blis_path::<f32>(kernel, a_t, b_t, &mut rng);
        }
    }
}

#[test]
fn every_blis_path_matches_the_reference_f64() {
    let mut rng = StdRng::seed_from_u64(3);
    for kernel in kernels() {
        every_blis_path::<f64>(kernel, false, false, &mut rng);
    }
}

#[test]
fn swapped_and_dot_product_plans_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(4);
    for kernel in kernels() {
        // Row-major A, 13 columns, k = 100: dot products on 1 and 2 threads,
        // and the same product forced through BLIS and swapped.
        let (m, k, n) = (97, 100, 13);
        let a = random::<f32>(m, k, &mut rng);
        let b = random::<f32>(k, n, &mut rng);
        let c0 = random::<f32>(m, n, &mut rng);
        for (swap, algorithm) in [
            (false, Some(Algorithm::Dot)),
            (false, Some(Algorithm::Blis)),
            (true, None),
        ] {
            for threads in [1, 2] {
                let choices = PlanChoices {
                    swap: Some(swap),
                    algorithm,
                    ..tuned()
                };
                let plan = run(
                    kernel,
                    threads,
                    choices,
                    a.view(),
                    b.view(),
                    0.25,
                    &c0,
                    Epilogue::none(),
                )
                .unwrap();
                assert_eq!(plan.swapped, swap);
            }
        }
    }
}

#[test]
fn one_row_products_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(6);
    for kernel in kernels() {
        // k with every remainder mod 4; n under one vector, across vectors,
        // and across the 1024-column chunks.
        for (k, n) in [
            (1, 5),
            (2, 17),
            (3, 40),
            (5, 1),
            (13, 33),
            (100, 1030),
            (37, 2500),
        ] {
            let a = random::<f32>(1, k, &mut rng);
            let b = random::<f32>(k, n, &mut rng);
            let c0 = random::<f32>(1, n, &mut rng);
            let bias: Vec<f32> = (0..n).map(|j| j as f32 / 100.0 - 0.5).collect();
            for (beta, epi) in [(0.0, Epilogue::none()), (0.5, Epilogue::bias(&bias).relu())] {
                for threads in [1, 2] {
                    let choices = PlanChoices {
                        algorithm: Some(Algorithm::Vector),
                        ..tuned()
                    };
                    let plan =
                        run(kernel, threads, choices, a.view(), b.view(), beta, &c0, epi).unwrap();
                    assert_eq!(plan.algorithm, Algorithm::Vector);
                }
            }
            // One row times a column-major B: swapped into dot products
            // along its rows (when n > 1 and Wᵀ has distinct strides).
            let w = random::<f32>(n, k, &mut rng);
            let plan = run(
                kernel,
                1,
                tuned(),
                a.view(),
                w.t(),
                0.0,
                &c0,
                Epilogue::none(),
            )
            .unwrap();
            assert_eq!(plan.swapped, n > 1 && k > 1, "{k}x{n}");
        }
    }
}

#[test]
fn forced_choices_the_layout_does_not_allow_are_errors() {
    let mut rng = StdRng::seed_from_u64(5);
    let kernel = kernels()[0];
    let a = random::<f32>(30, 20, &mut rng);
    let b = random::<f32>(30, 20, &mut rng);
    let c0 = Matrix::zeros(20, 20);
    let bias = vec![0.0f32; 20];
    let refused = |choices: PlanChoices, epi: Epilogue<'_, f32>| {
        let mut c = c0.clone();
        let err =
            try_gemm_planned(kernel, choices, 1.0, a.t(), b.view(), 0.0, &mut c, epi).unwrap_err();
        assert!(matches!(err, MatrixError::InvalidPlan { .. }), "{err}");
        assert!(err.to_string().starts_with("gemm plan: "), "{err}");
    };
    // Aᵀ is column-major: neither in place nor dot products.
    let a_in_place = PlanChoices {
        a: Some(ASource::InPlace),
        swap: Some(false),
        ..PlanChoices::default()
    };
    refused(a_in_place, Epilogue::none());
    let dot = PlanChoices {
        algorithm: Some(Algorithm::Dot),
        swap: Some(false),
        ..PlanChoices::default()
    };
    refused(dot, Epilogue::none());
    // The one-row loop needs one row.
    let vector = PlanChoices {
        algorithm: Some(Algorithm::Vector),
        swap: Some(false),
        ..PlanChoices::default()
    };
    refused(vector, Epilogue::none());
    // A bias row cannot follow the operands into the swapped product.
    let swap = PlanChoices {
        swap: Some(true),
        ..PlanChoices::default()
    };
    refused(swap, Epilogue::bias(&bias));
    // B read in place needs row-major B.
    let mut c = c0.clone();
    let b_in_place = PlanChoices {
        b: Some(BSource::InPlace),
        swap: Some(false),
        ..PlanChoices::default()
    };
    let bt = random::<f32>(20, 30, &mut rng);
    let err = try_gemm_planned(
        kernel,
        b_in_place,
        1.0,
        a.t(),
        bt.t(),
        0.0,
        &mut c,
        Epilogue::none(),
    )
    .unwrap_err();
    assert!(matches!(err, MatrixError::InvalidPlan { .. }), "{err}");
}

/// The kernels these tests ran, one name a line, for `.ci/run` to hold
/// against the CPU's flags: a kernel the CPU has but no test ran (its
/// detection broken, or `MATNET_KERNEL` left set) fails CI instead of
/// passing silently.
#[test]
fn the_kernels_under_test_are_recorded() {
    let names: Vec<&str> = kernels().iter().map(|k| k.name()).collect();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kernels-tested");
    std::fs::write(&path, names.join("\n") + "\n").unwrap();
    // Without MATNET_KERNEL every kernel the CPU has is tested.
    if std::env::var_os("MATNET_KERNEL").is_none() {
        #[cfg(target_arch = "x86_64")]
        {
            let has = |f: bool, k: &str| assert!(!f || names.contains(&k), "{k} not tested");
            has(std::arch::is_x86_feature_detected!("avx512f"), "avx512");
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            has(avx2, "avx2");
        }
        assert!(names.contains(&"portable"));
    }
}
