//! Decompositions and solves (`matrix::linalg`): the blocked routines
//! against the unblocked references, backward errors as LAPACK's tests
//! measure them (‖A − LLᵀ‖, ‖PA − LU‖, ‖A − QR‖, ‖QᵀQ − I‖, each divided by
//! ‖A‖ (or 1) and required below c·n·ε), bitwise identical results on 1
//! and 2 threads, and a typed error for every kind of bad input.

mod common;

use common::random;
use matrix::{reference, trsm, Diagonal, Matrix, MatrixError, Scalar, Triangle};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};

fn eps<T: Scalar>() -> f64 {
    if T::NAME == "f32" {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    }
}

/// Frobenius norm, in f64.
fn norm<T: Scalar>(a: &Matrix<T>) -> f64 {
    a.as_slice()
        .iter()
        .map(|x| x.to_f64() * x.to_f64())
        .sum::<f64>()
        .sqrt()
}

/// ‖got − want‖_F / ‖scale‖_F, the differences in f64.
fn rel<T: Scalar>(got: &Matrix<T>, want: &Matrix<T>, scale: f64) -> f64 {
    assert_eq!(got.shape(), want.shape());
    let d: f64 = got
        .as_slice()
        .iter()
        .zip(want.as_slice())
        .map(|(x, y)| (x.to_f64() - y.to_f64()).powi(2))
        .sum();
    d.sqrt() / scale.max(f64::MIN_POSITIVE)
}

/// The bound every backward error must meet: c·n·ε with c = 10.
fn bound<T: Scalar>(n: usize) -> f64 {
    10.0 * n.max(1) as f64 * eps::<T>()
}

/// A symmetric positive definite matrix `X Xᵀ + n I`.
fn spd<T: Scalar>(n: usize, rng: &mut StdRng) -> Matrix<T> {
    let x = random::<T>(n, n, rng);
    let mut a = &x * x.t();
    for i in 0..n {
        a[(i, i)] += T::from_f64(n as f64);
    }
    a
}

fn pools() -> (rayon::ThreadPool, rayon::ThreadPool) {
    let p = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    (p(1), p(2))
}

const SIZES: [usize; 8] = [0, 1, 2, 7, 33, 64, 150, 301];

fn cholesky_case<T: Scalar>(n: usize, rng: &mut StdRng) {
    let a = spd::<T>(n, rng);
    let l = a.cholesky().unwrap().l();
    let llt = &l * l.t();
    let err = rel(&llt, &a, norm(&a));
    assert!(
        err < bound::<T>(n),
        "{} n={n}: ‖A − LLᵀ‖/‖A‖ = {err:e}",
        T::NAME
    );
    let want = reference::cholesky(a.view()).unwrap();
    assert!(
        rel(&l, &want, norm(&want)) < bound::<T>(n),
        "n={n}: L vs reference"
    );
    for i in 0..n {
        for j in i + 1..n {
            assert_eq!(l[(i, j)], T::ZERO);
        }
    }
    // Solve with 3 right-hand sides.
    let b = random::<T>(n, 3, rng);
    let x = a.cholesky().unwrap().solve(&b).unwrap();
    let res = rel(&(&a * &x), &b, norm(&a) * norm(&x));
    assert!(
        res < bound::<T>(n),
        "n={n}: cholesky solve residual {res:e}"
    );
}

#[test]
fn cholesky_matches_reference_and_has_small_backward_error() {
    let mut rng = StdRng::seed_from_u64(1);
    for n in SIZES {
        cholesky_case::<f64>(n, &mut rng);
        cholesky_case::<f32>(n, &mut rng);
    }
}

fn lu_case<T: Scalar>(n: usize, rng: &mut StdRng) {
    let a = random::<T>(n, n, rng);
    let lu = a.lu().unwrap();
    let pa = lu.p().matmul(&a);
    let err = rel(&(lu.l() * lu.u()), &pa, norm(&a));
    assert!(
        err < bound::<T>(n),
        "{} n={n}: ‖PA − LU‖/‖A‖ = {err:e}",
        T::NAME
    );
    let (f, perm) = reference::lu(a.view()).unwrap();
    assert_eq!(
        lu.permutation(),
        &perm[..],
        "n={n}: pivots differ from the reference"
    );
    let both = Matrix::from_fn(n, n, |i, j| {
        if i > j {
            lu.l()[(i, j)]
        } else {
            lu.u()[(i, j)]
        }
    });
    assert!(
        rel(&both, &f, norm(&f)) < 100.0 * bound::<T>(n),
        "n={n}: LU vs reference"
    );
    let b = random::<T>(n, 4, rng);
    let x = a.solve(&b).unwrap();
    let res = rel(&(&a * &x), &b, norm(&a) * norm(&x));
    assert!(res < bound::<T>(n), "n={n}: solve residual {res:e}");
    if n > 0 {
        let inv = lu.inverse().unwrap();
        let id = Matrix::<T>::identity(n);
        let res = rel(&(&a * &inv), &id, norm(&a) * norm(&inv));
        assert!(res < bound::<T>(n), "n={n}: A A⁻¹ − I = {res:e}");
    }
}

#[test]
fn lu_matches_reference_and_has_small_backward_error() {
    let mut rng = StdRng::seed_from_u64(2);
    for n in SIZES {
        lu_case::<f64>(n, &mut rng);
        lu_case::<f32>(n, &mut rng);
    }
}

#[test]
fn determinant_of_known_matrices() {
    let a = Matrix::from([[2.0f64, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 4.0]]);
    assert_eq!(a.lu().unwrap().determinant(), 24.0);
    let swap = Matrix::from([[0.0f64, 1.0], [1.0, 0.0]]);
    assert_eq!(swap.lu().unwrap().determinant(), -1.0);
    let mut rng = StdRng::seed_from_u64(3);
    let x = random::<f64>(40, 40, &mut rng);
    let y = random::<f64>(40, 40, &mut rng);
    let (dx, dy) = (x.lu().unwrap().determinant(), y.lu().unwrap().determinant());
    let dxy = (&x * &y).lu().unwrap().determinant();
    assert!((dxy - dx * dy).abs() <= 1e-9 * dxy.abs());
}

fn qr_case<T: Scalar>(m: usize, n: usize, rng: &mut StdRng) {
    let a = random::<T>(m, n, rng);
    let qr = a.qr().unwrap();
    let (q, r) = (qr.q(), qr.r());
    let k = m.min(n);
    assert_eq!((q.shape(), r.shape()), ((m, k), (k, n)));
    let size = m.max(n);
    let err = rel(&(&q * &r), &a, norm(&a));
    assert!(
        err < bound::<T>(size),
        "{} {m}x{n}: ‖A − QR‖/‖A‖ = {err:e}",
        T::NAME
    );
    let orth = rel(&(q.t() * &q), &Matrix::identity(k), 1.0);
    assert!(orth < bound::<T>(size), "{m}x{n}: ‖QᵀQ − I‖ = {orth:e}");
    for i in 0..k {
        for j in 0..i.min(n) {
            assert_eq!(r[(i, j)], T::ZERO);
        }
    }
    // Against the reference, up to the sign of each column of Q / row of R.
    let (q0, r0) = reference::qr(a.view());
    let signs: Vec<f64> = (0..k)
        .map(|i| {
            if (r[(i, i)].to_f64() >= 0.0) == (r0[(i, i)].to_f64() >= 0.0) {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    let r_signed = Matrix::from_fn(k, n, |i, j| T::from_f64(signs[i] * r[(i, j)].to_f64()));
    let q_signed = Matrix::from_fn(m, k, |i, j| T::from_f64(signs[j] * q[(i, j)].to_f64()));
    assert!(
        rel(&r_signed, &r0, norm(&a)) < 10.0 * bound::<T>(size),
        "{m}x{n}: R vs reference"
    );
    assert!(
        rel(&q_signed, &q0, (k as f64).sqrt()) < 10.0 * bound::<T>(size),
        "{m}x{n}: Q vs reference"
    );
    if m >= n && n > 0 {
        let b = random::<T>(m, 2, rng);
        let x = qr.solve_least_squares(&b).unwrap();
        // Normal equations: Aᵀ (A x − b) = 0.
        let resid = &(&a * &x) - &b;
        let g = a.t() * &resid;
        let scale = norm(&a) * (norm(&a) * norm(&x) + norm(&b));
        assert!(
            norm(&g) / scale < bound::<T>(size),
            "{m}x{n}: Aᵀ(Ax − b) too large"
        );
    }
}

#[test]
fn qr_matches_reference_and_has_small_backward_error() {
    let mut rng = StdRng::seed_from_u64(4);
    for (m, n) in [
        (0, 0),
        (1, 1),
        (5, 3),
        (3, 5),
        (40, 40),
        (150, 150),
        (300, 140),
        (140, 300),
        (290, 290),
    ] {
        qr_case::<f64>(m, n, &mut rng);
        qr_case::<f32>(m, n, &mut rng);
    }
}

fn trsm_case<T: Scalar>(n: usize, nrhs: usize, rng: &mut StdRng) {
    for triangle in [Triangle::Lower, Triangle::Upper] {
        for diagonal in [Diagonal::Unit, Diagonal::NonUnit] {
            // Well-conditioned: a dominant diagonal.
            let mut a = random::<T>(n, n, rng);
            for i in 0..n {
                a[(i, i)] = T::from_f64(n as f64 + 1.0);
            }
            let b = random::<T>(n, nrhs, rng);
            let mut fast = b.clone();
            trsm(&a, triangle, diagonal, &mut fast).unwrap();
            let mut slow = b.clone();
            reference::trsm(a.view(), triangle, diagonal, slow.view_mut());
            let what = format!("{} n={n} nrhs={nrhs} {triangle:?} {diagonal:?}", T::NAME);
            assert!(rel(&fast, &slow, norm(&slow)) < bound::<T>(n), "{what}");
            // B given transposed (column-major), A given transposed.
            let mut bt = b.transposed();
            trsm(&a, triangle, diagonal, bt.view_mut().t_mut()).unwrap();
            assert_eq!(bt.transposed(), fast, "{what}: B transposed");
            let at = a.transposed();
            let mut c = b.clone();
            trsm(at.t(), triangle, diagonal, &mut c).unwrap();
            assert!(
                rel(&c, &slow, norm(&slow)) < bound::<T>(n),
                "{what}: A as a transposed view"
            );
        }
    }
}

#[test]
fn trsm_matches_reference_for_every_triangle_and_layout() {
    let mut rng = StdRng::seed_from_u64(5);
    for (n, nrhs) in [(0, 3), (1, 1), (5, 300), (33, 7), (100, 1), (200, 600)] {
        trsm_case::<f64>(n, nrhs, &mut rng);
        trsm_case::<f32>(n, nrhs, &mut rng);
    }
}

#[test]
fn strided_views_are_inputs() {
    let mut rng = StdRng::seed_from_u64(6);
    let big = spd::<f64>(130, &mut rng);
    let block = big.view().submatrix(2, 2, 120, 120); // row stride 130
    let owned = block.to_matrix();
    assert_eq!(
        matrix::Cholesky::new(block).unwrap().l(),
        owned.cholesky().unwrap().l()
    );
    let lu_t = matrix::Lu::new(big.t()).unwrap();
    let lu_o = big.transposed().lu().unwrap();
    assert_eq!((lu_t.l(), lu_t.u()), (lu_o.l(), lu_o.u()));
    let qr_v = matrix::Qr::new(block.t()).unwrap();
    assert_eq!(qr_v.r(), owned.transposed().qr().unwrap().r());
    // A right-hand side given as a transposed view.
    let b = random::<f64>(3, 130, &mut rng);
    assert_eq!(
        big.solve(b.t()).unwrap(),
        big.solve(&b.transposed()).unwrap()
    );
}

#[test]
fn results_are_bitwise_identical_on_one_and_two_threads() {
    let (one, two) = pools();
    let mut rng = StdRng::seed_from_u64(7);
    let a = spd::<f64>(600, &mut rng);
    let g = random::<f64>(600, 600, &mut rng);
    let b = random::<f64>(600, 5, &mut rng);
    let run = || {
        let l = a.cholesky().unwrap().l();
        let lu = g.lu().unwrap();
        let qr = g.qr().unwrap();
        (l, lu.l(), lu.u(), g.solve(&b).unwrap(), qr.q(), qr.r())
    };
    assert!(one.install(run) == two.install(run));
}

/// A Hilbert matrix: SPD, condition number ~ e^(3.5 n).
fn hilbert(n: usize) -> Matrix<f64> {
    Matrix::from_fn(n, n, |i, j| 1.0 / (i + j + 1) as f64)
}

/// Kahan's matrix: upper triangular, rows scaled by s^i, ill-conditioned
/// yet QR and LU must stay backward stable.
fn kahan(n: usize, theta: f64) -> Matrix<f64> {
    let (s, c) = (theta.sin(), theta.cos());
    Matrix::from_fn(n, n, |i, j| {
        let si = s.powi(i as i32);
        match i.cmp(&j) {
            std::cmp::Ordering::Equal => si,
            std::cmp::Ordering::Less => -c * si,
            std::cmp::Ordering::Greater => 0.0,
        }
    })
}

#[test]
fn ill_conditioned_and_graded_matrices_keep_small_backward_errors() {
    let n = 200;
    let mut rng = StdRng::seed_from_u64(8);
    // Graded: entries spanning 1e-6 .. 1e6 by row and column.
    let g = random::<f64>(n, n, &mut rng);
    let graded = Matrix::from_fn(n, n, |i, j| {
        g[(i, j)] * 10f64.powf(-6.0 + 12.0 * (i + j) as f64 / (2 * n) as f64)
    });
    let kah = kahan(n, 1.2);
    for (name, a) in [
        ("graded", &graded),
        ("kahan", &kah),
        ("hilbert", &hilbert(n)),
    ] {
        let qr = a.qr().unwrap();
        let err = rel(&(qr.q() * qr.r()), a, norm(a));
        assert!(err < bound::<f64>(n), "{name}: ‖A − QR‖/‖A‖ = {err:e}");
        match a.lu() {
            Ok(lu) => {
                let err = rel(&(lu.l() * lu.u()), &lu.p().matmul(a), norm(a));
                assert!(err < bound::<f64>(n), "{name}: ‖PA − LU‖/‖A‖ = {err:e}");
            }
            Err(e) => assert!(matches!(e, MatrixError::Singular { .. }), "{name}: {e}"),
        }
    }
    // Hilbert of order 12 is SPD with condition ~1.7e16: Cholesky either
    // succeeds with a small backward error or reports the failing column.
    for n in [8, 12, 40] {
        let h = hilbert(n);
        match h.cholesky() {
            Ok(c) => {
                let l = c.l();
                let err = rel(&(&l * l.t()), &h, norm(&h));
                assert!(err < bound::<f64>(n), "hilbert {n}: {err:e}");
            }
            Err(MatrixError::NotPositiveDefinite { column }) => assert!(column < n),
            Err(e) => panic!("hilbert {n}: {e}"),
        }
    }
}

#[test]
fn every_bad_input_is_a_typed_error() {
    let rect = Matrix::<f64>::zeros(2, 3);
    let not_square = |e: MatrixError| {
        matches!(
            e,
            MatrixError::NotSquare {
                rows: 2,
                cols: 3,
                ..
            }
        )
    };
    assert!(not_square(rect.cholesky().unwrap_err()));
    assert!(not_square(rect.lu().unwrap_err()));
    assert!(not_square(rect.solve(&Matrix::zeros(2, 1)).unwrap_err()));
    assert!(not_square(
        trsm(
            &rect,
            Triangle::Lower,
            Diagonal::Unit,
            &mut Matrix::zeros(2, 1)
        )
        .unwrap_err()
    ));

    // Not positive definite: the failing column is named.
    let mut a = Matrix::<f64>::identity(50);
    a[(37, 37)] = -1.0;
    assert_eq!(
        a.cholesky().unwrap_err(),
        MatrixError::NotPositiveDefinite { column: 37 }
    );
    let zero = Matrix::<f32>::zeros(3, 3);
    assert_eq!(
        zero.cholesky().unwrap_err(),
        MatrixError::NotPositiveDefinite { column: 0 }
    );

    // Singular: the pivot is named.
    let mut s = Matrix::<f64>::identity(70);
    s[(45, 45)] = 0.0;
    assert_eq!(s.lu().unwrap_err(), MatrixError::Singular { pivot: 45 });
    assert_eq!(
        s.solve(&Matrix::zeros(70, 1)).unwrap_err(),
        MatrixError::Singular { pivot: 45 }
    );
    assert_eq!(
        trsm(
            &s,
            Triangle::Upper,
            Diagonal::NonUnit,
            &mut Matrix::zeros(70, 2)
        )
        .unwrap_err(),
        MatrixError::Singular { pivot: 45 }
    );
    // Unit diagonal: zeros there are not read.
    assert!(trsm(
        &s,
        Triangle::Upper,
        Diagonal::Unit,
        &mut Matrix::zeros(70, 2)
    )
    .is_ok());
    let mut rank1 = Matrix::from_fn(6, 4, |i, j| (i + 1) as f64 * 0.0 + (j == 0) as u8 as f64);
    rank1[(0, 0)] = 1.0;
    let qr = rank1.qr().unwrap();
    assert!(matches!(
        qr.solve_least_squares(&Matrix::zeros(6, 1)).unwrap_err(),
        MatrixError::Singular { pivot: 1 }
    ));

    // NaN and infinity, with where.
    let mut nan = Matrix::<f64>::identity(4);
    nan[(2, 1)] = f64::NAN;
    let at = |r, c| move |e: MatrixError| matches!(e, MatrixError::NonFinite { row, col, .. } if row == r && col == c);
    assert!(at(2, 1)(nan.cholesky().unwrap_err()));
    assert!(at(2, 1)(nan.lu().unwrap_err()));
    assert!(at(2, 1)(nan.qr().unwrap_err()));
    assert!(at(2, 1)(nan.solve(&Matrix::zeros(4, 1)).unwrap_err()));
    // Cholesky reads only the lower triangle: NaN above is ignored.
    assert!(nan.t().to_matrix().cholesky().is_ok());
    let mut inf_b = Matrix::<f64>::zeros(4, 2);
    inf_b[(3, 1)] = f64::INFINITY;
    let id = Matrix::<f64>::identity(4);
    assert!(at(3, 1)(id.solve(&inf_b).unwrap_err()));
    assert!(at(3, 1)(id.cholesky().unwrap().solve(&inf_b).unwrap_err()));
    assert!(at(3, 1)(
        id.qr().unwrap().solve_least_squares(&inf_b).unwrap_err()
    ));
    assert!(at(3, 1)(
        trsm(&id, Triangle::Lower, Diagonal::NonUnit, &mut inf_b.clone()).unwrap_err()
    ));
    // An overflowing result is an error, not a silent infinity.
    let tiny = Matrix::from([[1e-300f64, 0.0], [0.0, 1.0]]);
    assert!(matches!(
        tiny.solve(&Matrix::from([[1e10], [1.0]])).unwrap_err(),
        MatrixError::NonFinite { .. }
    ));

    // Right-hand sides of the wrong height.
    let b = Matrix::<f64>::zeros(5, 1);
    let shape = |e: MatrixError| matches!(e, MatrixError::ShapeMismatch { .. });
    assert!(shape(id.solve(&b).unwrap_err()));
    assert!(shape(id.lu().unwrap().solve(&b).unwrap_err()));
    assert!(shape(id.cholesky().unwrap().solve(&b).unwrap_err()));
    assert!(shape(id.qr().unwrap().solve_least_squares(&b).unwrap_err()));
    assert!(shape(
        trsm(&id, Triangle::Lower, Diagonal::Unit, &mut b.clone()).unwrap_err()
    ));
    // Underdetermined least squares.
    assert!(shape(
        rect.qr()
            .unwrap()
            .solve_least_squares(&Matrix::zeros(2, 1))
            .unwrap_err()
    ));
    // Messages name the problem.
    assert_eq!(
        MatrixError::NotPositiveDefinite { column: 3 }.to_string(),
        "cholesky: the matrix is not positive definite (pivot 3 is not positive)"
    );
    assert_eq!(
        MatrixError::Singular { pivot: 2 }.to_string(),
        "the matrix is singular (pivot 2 is zero)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_shapes_factor_with_small_backward_error(
        n in 1usize..90, m_extra in 0usize..40, seed in any::<u64>(), transpose in any::<bool>()
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let a = spd::<f64>(n, &mut rng);
        let a_in = if transpose { a.transposed() } else { a.clone() };
        let l = a_in.cholesky().unwrap().l();
        prop_assert!(rel(&(&l * l.t()), &a, norm(&a)) < bound::<f64>(n));
        let g = random::<f64>(n + m_extra, n, &mut rng);
        let qr = g.qr().unwrap();
        prop_assert!(rel(&(qr.q() * qr.r()), &g, norm(&g)) < bound::<f64>(n + m_extra));
        let sq = g.view().submatrix(0, 0, n, n).to_matrix();
        if let Ok(lu) = sq.lu() {
            prop_assert!(rel(&(lu.l() * lu.u()), &lu.p().matmul(&sq), norm(&sq)) < bound::<f64>(n));
        }
    }
}
