//! Every number a caller can force through [`PlanChoices`] (and the thread
//! count of [`plan_gemm`]) is checked by its rule before any work: a value
//! is either refused with [`MatrixError::InvalidPlan`] or runs to the
//! reference's result. Never a hang, an overflow, an abort or a wrong C.
//!
//! The values tried are the edges of `usize` and of every register tile
//! (every remainder modulo the tile heights near `usize::MAX`, where
//! rounding up to whole panels wraps), for every kernel this CPU has, for
//! `f32` gemm and for the half-precision product.

mod common;
use common::{assert_within, kernels, random, tol};
use matrix::gemm::{plan_gemm, Algorithm, PlanChoices};
use matrix::{
    bf16, reference, try_gemm_half_with, try_gemm_planned, CacheSizes, Epilogue, HalfPath, Matrix,
    MatrixError, MatrixView,
};
use rand::{rngs::StdRng, SeedableRng};

/// The values a `usize` field is tried with: small ones, every value within
/// 64 of `usize::MAX` (each remainder modulo any tile height up to 64),
/// and powers of two around the middle.
fn edge_values() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=40).collect();
    v.extend((0..=64).map(|d| usize::MAX - d));
    for s in [20, 31, 32, 40, 62, 63] {
        v.extend([(1usize << s) - 1, 1 << s, (1 << s) + 1]);
    }
    v
}

fn is_invalid_plan<T>(r: &Result<T, MatrixError>) -> bool {
    matches!(r, Err(MatrixError::InvalidPlan { .. }))
}

/// Runs a 50 x 40 x 70 f32 product (a few row chunks for small `mc`) with
/// `choices` on the BLIS loops; returns whether it was refused, after
/// checking that an accepted one gave the reference's C.
fn f32_product_refused(kernel: matrix::KernelKind, choices: PlanChoices) -> bool {
    let mut rng = StdRng::seed_from_u64(36);
    let (a, b) = (
        random::<f32>(50, 40, &mut rng),
        random::<f32>(40, 70, &mut rng),
    );
    let c0 = random::<f32>(50, 70, &mut rng);
    let mut got = c0.clone();
    let r = try_gemm_planned(
        kernel,
        choices,
        0.5,
        &a,
        &b,
        0.25,
        &mut got,
        Epilogue::none(),
    );
    if is_invalid_plan(&r) {
        return true;
    }
    let plan = r.unwrap().unwrap();
    let mut want = c0.clone();
    reference::gemm(0.5, a.view(), b.view(), 0.25, want.view_mut());
    assert_within(
        &got,
        &want,
        tol::<f32>(40),
        &format!("{choices:?} -> {plan:?}"),
    );
    let pp = plan.first_part.unwrap();
    assert!(pp.mc > 0 && pp.kc > 0 && pp.nc > 0, "{plan:?}");
    false
}

#[test]
fn every_forced_mc_is_whole_panels_or_refused() {
    for kernel in kernels() {
        for algorithm in [Algorithm::Blis, Algorithm::Narrow] {
            let base = PlanChoices {
                algorithm: Some(algorithm),
                ..PlanChoices::default()
            };
            if f32_product_refused(kernel, base) {
                continue; // this kernel has no such tile (portable: no narrow one)
            }
            for mc in edge_values() {
                let choices = PlanChoices {
                    algorithm: Some(algorithm),
                    mc: Some(mc),
                    ..PlanChoices::default()
                };
                // The rule: at least one row, and whole panels of them
                // must be a number (rounding up must not overflow, as it
                // does for usize::MAX with any tile of several rows);
                // anything else runs to the reference's C.
                let refused = f32_product_refused(kernel, choices);
                if mc == 0 || mc == usize::MAX {
                    assert!(refused, "{kernel:?} mc {mc} was accepted");
                }
                if (1..=40).contains(&mc) {
                    assert!(!refused, "{kernel:?} mc {mc} was refused");
                }
            }
        }
    }
}

#[test]
fn cache_sizes_outside_what_a_machine_has_are_refused() {
    let ok = [
        CacheSizes::MIN_BYTES,
        32 << 10,
        1 << 20,
        CacheSizes::MAX_BYTES,
    ];
    for kernel in kernels() {
        for l1d in edge_values().into_iter().chain(ok) {
            for l2 in [0, 1, 1 << 20, usize::MAX].into_iter().chain(ok) {
                let caches = CacheSizes {
                    l1d,
                    l2,
                    l3: 2 << 20,
                };
                let choices = PlanChoices {
                    caches: Some(caches),
                    algorithm: Some(Algorithm::Blis),
                    ..PlanChoices::default()
                };
                let in_range =
                    |x: usize| (CacheSizes::MIN_BYTES..=CacheSizes::MAX_BYTES).contains(&x);
                let refused = f32_product_refused(kernel, choices);
                assert_eq!(
                    refused,
                    !(in_range(l1d) && in_range(l2)),
                    "{kernel:?} {caches:?}"
                );
                assert_eq!(caches.check().is_err(), refused, "{caches:?}");
            }
        }
    }
}

#[test]
fn plan_gemm_refuses_no_threads_and_caps_any_count() {
    let (a, b) = (
        Matrix::<f32>::zeros(300, 200),
        Matrix::<f32>::zeros(200, 500),
    );
    for kernel in kernels() {
        for threads in edge_values() {
            let r = plan_gemm(
                kernel,
                threads,
                PlanChoices::default(),
                a.view(),
                b.view(),
                false,
            );
            if threads == 0 {
                assert!(is_invalid_plan(&r), "{kernel:?}: 0 threads accepted");
                continue;
            }
            let plan = r.unwrap().unwrap();
            assert!(
                plan.parts >= 1 && plan.parts <= threads.min(500),
                "{threads}: {plan:?}"
            );
        }
        // The dot-product plans split rows between threads too.
        let h = Matrix::<f32>::zeros(4000, 800);
        let w = Matrix::<f32>::zeros(800, 10);
        for threads in [1, 2, usize::MAX / 2, usize::MAX] {
            let plan = plan_gemm(
                kernel,
                threads,
                PlanChoices::default(),
                h.view(),
                w.view(),
                false,
            )
            .unwrap()
            .unwrap();
            assert!(plan.parts >= 1 && plan.parts <= 1000, "{threads}: {plan:?}");
        }
    }
}

/// Buffers for a `2 x k` A of ones (strides 0) times a `k x n` B that
/// repeats one row (row stride 0): `k` as large as a caller likes, over
/// 1 + n elements of memory.
fn broadcast(n: usize) -> (Vec<f32>, Vec<f32>) {
    (vec![1.0], vec![1.0; n])
}

#[test]
fn a_forced_whole_b_too_large_to_pack_is_an_error() {
    let n = 64;
    for kernel in kernels() {
        // 2^62 x 64 overflows usize; 2^40 x 64 f32 (256 TiB) is never had.
        for k in [1usize << 62, 1 << 40, usize::MAX / 2] {
            let (a_buf, b_buf) = broadcast(n);
            let a = MatrixView::from_slice(&a_buf, 2, k, 0, 0);
            let b = MatrixView::from_slice(&b_buf, k, n, 0, 1);
            let mut c = Matrix::<f32>::zeros(2, n);
            let choices = PlanChoices {
                algorithm: Some(Algorithm::Blis),
                whole_b: Some(true),
                mc: Some(1),
                ..PlanChoices::default()
            };
            let r = try_gemm_planned(kernel, choices, 1.0, a, b, 0.0, &mut c, Epilogue::none());
            assert!(
                matches!(
                    r,
                    Err(MatrixError::InvalidPlan { .. } | MatrixError::Allocation { .. })
                ),
                "{kernel:?} k {k}: {r:?}"
            );
        }
    }
}

#[test]
fn half_products_check_their_choices_by_the_same_rules() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = Matrix::<bf16>::from(&random::<f32>(30, 50, &mut rng));
    let b = Matrix::<bf16>::from(&random::<f32>(50, 40, &mut rng));
    let want = {
        let mut w = Matrix::<f32>::zeros(30, 40);
        reference::gemm(1.0, a.to_f32().view(), b.to_f32().view(), 0.0, w.view_mut());
        w
    };
    for path in HalfPath::supported::<bf16>() {
        for mc in edge_values() {
            for caches in [
                None,
                Some(CacheSizes {
                    l1d: 0,
                    l2: 1 << 20,
                    l3: 2 << 20,
                }),
                Some(CacheSizes {
                    l1d: 32 << 10,
                    l2: usize::MAX,
                    l3: 2 << 20,
                }),
            ] {
                let choices = PlanChoices {
                    mc: Some(mc),
                    caches,
                    ..PlanChoices::default()
                };
                let mut c = Matrix::<f32>::zeros(30, 40);
                let r =
                    try_gemm_half_with(path, choices, 1.0, &a, &b, 0.0, &mut c, Epilogue::none());
                if mc == 0 || mc == usize::MAX || caches.is_some() {
                    assert!(is_invalid_plan(&r), "{path} mc {mc} {caches:?}: {r:?}");
                }
                if r.is_ok() {
                    assert_within(&c, &want, 1e-4, &format!("{path} mc {mc}"));
                }
            }
        }
        // Whole B too large to pack, through broadcast operands.
        let one = [bf16::from_f32(1.0); 64];
        let k = 1usize << 62;
        let a = MatrixView::from_slice(&one[..1], 2, k, 0, 0);
        let b = MatrixView::from_slice(&one, k, 64, 0, 1);
        let mut c = Matrix::<f32>::zeros(2, 64);
        let choices = PlanChoices {
            whole_b: Some(true),
            mc: Some(1),
            ..PlanChoices::default()
        };
        let r = try_gemm_half_with(path, choices, 1.0, a, b, 0.0, &mut c, Epilogue::none());
        assert!(
            matches!(
                r,
                Err(MatrixError::InvalidPlan { .. } | MatrixError::Allocation { .. })
            ),
            "{path}: {r:?}"
        );
    }
}
