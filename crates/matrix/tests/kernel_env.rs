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

#[test]
#[ignore = "run as a child process by the other tests of this file"]
fn child_runs_the_api_under_matnet_kernel() {
    let Some(requested) = std::env::var_os(CHILD) else {
        return;
    };
    assert_eq!(std::env::var_os("MATNET_KERNEL"), Some(requested));
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

/// Runs the child test with `MATNET_KERNEL=value`.
fn run_child(value: &str) -> Output {
    Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([
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
    let out = run_child(value);
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
fn a_matnet_kernel_this_cpu_lacks_is_reported_once_and_ignored_by_the_panicking_api() {
    match KernelKind::ALL.into_iter().find(|k| !k.is_supported()) {
        Some(lacking) => assert_reported_once_and_ignored(lacking.name()),
        // Every kernel runs here (an AVX-512 machine): the same path is
        // covered by the unknown name above and by `arch::select`'s unit
        // test of the fallback.
        None => println!("this CPU runs every kernel; nothing it lacks to name"),
    }
}
