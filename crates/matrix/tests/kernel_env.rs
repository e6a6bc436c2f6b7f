//! An unusable `MATNET_KERNEL` inside a host program (issue 36): the forms
//! without a `Result` (`gemm`, `*`, `matmul`, `sparse_gemm`, `gemm_half`, transposes) report it
//! once on stderr and run the fastest kernel; the `try_` forms and
//! `selected_kernel` return it as a typed error.
//!
//! The variable is read once per process, so each case runs this test
//! binary again as a child, on the `#[ignore]`d test
//! `child_runs_the_api_under_matnet_kernel`, with `MATNET_KERNEL` set.

use std::process::{Command, Output};

use matrix::{
    bf16, gemm, gemm_batched, gemm_fused, gemm_half, reference, selected_kernel, sparse_gemm,
    transpose, try_gemm, try_sparse_gemm, Epilogue, KernelKind, Matrix, MatrixError, SparseMatrix,
};

/// Set in the child's environment; the child test does nothing without it.
const CHILD: &str = "MATNET_KERNEL_ENV_CHILD";
/// What the child prints once every check has passed.
const DONE: &str = "kernel_env child: every check passed";
/// Set (to anything) in the child's environment: it runs only `exp` and
/// the sparse builders, which must report the variable by themselves.
const BUILDERS_ONLY: &str = "MATNET_KERNEL_ENV_BUILDERS_ONLY";

/// `exp` and the sparse builders, without any product: each computes the
/// same as with a valid kernel, and (checked by the parent) reports an
/// unusable `MATNET_KERNEL` once, like gemm, instead of silently running
/// the plain instructions.
fn builders_only() {
    use matrix::{Scalar, SparseRows};
    for _ in 0..2 {
        let mut xs: Vec<f32> = (0..100).map(|i| i as f32 * 0.1 - 5.0).collect();
        f32::exp_slice(&mut xs);
        for (i, x) in xs.iter().enumerate() {
            let want = (i as f64 * 0.1 - 5.0).exp();
            assert!((*x as f64 - want).abs() <= 1e-6 * want, "exp at {i}");
        }
        let a = Matrix::from_fn(9, 40, |i, j| {
            if (i + j) % 3 == 0 {
                (i + j) as f32
            } else {
                0.0
            }
        });
        let mut s = SparseMatrix::new();
        assert!(s.assign_from_dense_at_most(&a, usize::MAX));
        assert_eq!(s.to_dense(), a);
        let rows = SparseRows::from_dense(&a);
        let mut t = SparseMatrix::new();
        assert!(t.assign_transpose_from_rows(&rows, &[4, 0, 8], usize::MAX));
        for (r, &i) in [4, 0, 8].iter().enumerate() {
            for j in 0..40 {
                assert_eq!(t.to_dense()[(j, r)], a[(i, j)], "transposed ({j}, {r})");
            }
        }
    }
}

#[test]
#[ignore = "run as a child process by the other tests of this file"]
fn child_runs_the_api_under_matnet_kernel() {
    let Some(requested) = std::env::var_os(CHILD) else {
        return;
    };
    assert_eq!(std::env::var_os("MATNET_KERNEL"), Some(requested));
    if std::env::var_os(BUILDERS_ONLY).is_some() {
        builders_only();
        println!("{DONE}");
        return;
    }
    let a = Matrix::from_fn(13, 37, |i, j| ((i * 7 + j * 3) % 11) as f32 - 5.0);
    let b = Matrix::from_fn(37, 19, |i, j| ((i * 5 + j) % 7) as f32 * 0.5);
    let mut want = Matrix::zeros(13, 19);
    reference::gemm(1.0, a.view(), b.view(), 0.0, want.view_mut());

    // The forms without a Result run (twice: the line is printed once).
    for _ in 0..2 {
        assert_eq!(&a * &b, want);
        assert_eq!(a.matmul(&b), want);
        assert_eq!(a.view() * b.view(), want);
        let mut c = Matrix::zeros(13, 19);
        sparse_gemm(
            1.0,
            &SparseMatrix::from_dense(&a),
            &b,
            0.0,
            &mut c,
            Epilogue::none(),
        );
        assert_eq!(c, want);
        let mut c = Matrix::zeros(13, 19);
        gemm(1.0, &a, &b, 0.0, &mut c);
        assert_eq!(c, want);
        gemm_fused(1.0, &a, &b, 0.0, &mut c, Epilogue::none());
        assert_eq!(c, want);
        gemm_batched(1.0, &[a.view()], &[b.view()], 0.0, &mut [c.view_mut()]);
        assert_eq!(c, want);
        // Small integers and halves: exact in bf16.
        let (ah, bh) = (Matrix::<bf16>::from(&a), Matrix::<bf16>::from(&b));
        gemm_half(1.0, &ah, &bh, 0.0, &mut c);
        assert_eq!(c, want);
        let big = Matrix::from_fn(300, 200, |i, j| (i * 200 + j) as f64);
        let t = transpose(big.view());
        assert_eq!(t[(199, 299)], big[(299, 199)]);
        assert_eq!(big.transposed(), t);
    }

    // The try_ forms and selected_kernel say what is wrong.
    let err = selected_kernel().unwrap_err();
    assert_eq!(
        Some(err.requested.as_str()),
        std::env::var("MATNET_KERNEL").ok().as_deref()
    );
    let mut c = Matrix::zeros(13, 19);
    let kernel_err = |e: MatrixError| match e {
        MatrixError::Kernel(k) => assert_eq!(k, err),
        other => panic!("expected a kernel error, got {other:?}"),
    };
    kernel_err(try_gemm(1.0, &a, &b, 0.0, &mut c).unwrap_err());
    kernel_err(a.try_matmul(&b).unwrap_err());
    let s = SparseMatrix::from_dense(&a);
    kernel_err(try_sparse_gemm(1.0, &s, &b, 0.0, &mut c, Epilogue::none()).unwrap_err());
    // A shape error still comes first.
    assert!(matches!(
        b.try_matmul(&b),
        Err(MatrixError::ShapeMismatch { op: "matmul", .. })
    ));
    println!("{DONE}");
}

/// Runs the child test with `MATNET_KERNEL=value` (only `exp` and the
/// sparse builders with `builders_only`).
fn run_child(value: &str, builders_only: bool) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary's path"));
    if builders_only {
        cmd.env(BUILDERS_ONLY, "1");
    } else {
        cmd.env_remove(BUILDERS_ONLY);
    }
    cmd.args([
        "child_runs_the_api_under_matnet_kernel",
        "--exact",
        "--ignored",
    ])
    .args(["--nocapture", "--test-threads=1"])
    .env("MATNET_KERNEL", value)
    .env(CHILD, value)
    .env_remove("RUST_BACKTRACE")
    .output()
    .expect("the test binary runs")
}

/// The child passed and printed exactly one line about `MATNET_KERNEL`:
/// `matrix: MATNET_KERNEL=<value> names no kernel ...; using <best>`.
fn assert_reported_once_and_ignored(value: &str) {
    assert_child_reported_once(value, false);
}

fn assert_child_reported_once(value: &str, builders_only: bool) {
    let out = run_child(value, builders_only);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(DONE),
        "MATNET_KERNEL={value}: the child failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("MATNET_KERNEL"))
        .collect();
    assert_eq!(lines.len(), 1, "one line about it, once:\n{stderr}");
    let want_start = format!("matrix: MATNET_KERNEL={value} names no kernel");
    let want_end = format!("; using {}", KernelKind::best());
    assert!(
        lines[0].starts_with(&want_start) && lines[0].ends_with(&want_end),
        "{}",
        lines[0]
    );
}

#[test]
fn an_unknown_matnet_kernel_is_reported_once_and_ignored_by_the_panicking_api() {
    assert_reported_once_and_ignored("sse9");
}

#[test]
fn exp_and_the_sparse_builders_report_an_unusable_matnet_kernel_once_like_gemm() {
    assert_child_reported_once("sse9", true);
}

#[test]
fn a_matnet_kernel_this_cpu_lacks_is_reported_once_and_ignored_by_the_panicking_api() {
    match KernelKind::ALL.into_iter().find(|k| !k.is_supported()) {
        Some(lacking) => assert_reported_once_and_ignored(lacking.name()),
        // Every kernel runs here (an AVX-512 machine): the same path is
        // covered by the unknown name above and by `arch::select`'s unit
        // test of the fallback.
        None => println!("this CPU runs every kernel; nothing it lacks to name"),
    }
}
