//! Guard bytes around every output: gemm (all kernels, plain, fused bias +
//! ReLU, row-major and transposed C) and `transpose_into` write into a
//! sub-block of a larger buffer filled with a canary bit pattern, with gaps
//! before, after and between the rows of the block. Every canary element
//! must be untouched bit for bit, and the block must match the reference.
//!
//! A and B and the bias are also read from sub-blocks surrounded by NaN, so
//! a read outside them that reaches a result shows up as a NaN in C.
//!
//! `MATNET_KERNEL=avx2|portable|avx512` restricts the kernels to that one
//! (how `.ci/valgrind.sh` keeps AVX-512 away from valgrind).

mod common;
use common::kernels;
use matrix::{transpose_into, try_gemm_with_kernel, Epilogue, KernelKind, Matrix, Scalar};
use rand::{rngs::StdRng, seq::IndexedRandom, Rng, SeedableRng};

/// Sizes around every tile edge: MR (4, 6, 12, 24), NR (4, 8, 16, 32) and
/// their multiples; n <= 16 with row-major A also takes the skinny
/// dot-product path, n <= one vector the narrow kernels.
const SIZES: [usize; 20] = [
    1, 2, 3, 5, 7, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49,
];

/// An element type with a recognisable canary and a NaN to fence inputs.
trait Canary: Scalar {
    /// A NaN with a payload no computation produces.
    const CANARY: Self;
    fn bits(self) -> u64;
    const EPS: f64;
}

impl Canary for f32 {
    const CANARY: f32 = f32::from_bits(0x7fa5_c0de);
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    const EPS: f64 = 1.2e-7;
}

impl Canary for f64 {
    const CANARY: f64 = f64::from_bits(0x7ff5_c0de_dead_beef);
    fn bits(self) -> u64 {
        self.to_bits()
    }
    const EPS: f64 = 2.3e-16;
}

/// A `rows x cols` block inside a bigger canary-filled buffer: `top` rows
/// above, `left` columns to the left, `gap` columns after each row and
/// `bottom` rows below.
struct Fenced<T> {
    buf: Matrix<T>,
    r0: usize,
    c0: usize,
    rows: usize,
    cols: usize,
}

impl<T: Canary> Fenced<T> {
    fn new(rows: usize, cols: usize, rng: &mut StdRng, fill: T) -> Self {
        let (top, left) = (rng.random_range(0..3), rng.random_range(0..5));
        let (gap, bottom) = (rng.random_range(1..9), rng.random_range(1..3));
        Fenced {
            buf: Matrix::filled(top + rows + bottom, left + cols + gap, fill),
            r0: top,
            c0: left,
            rows,
            cols,
        }
    }

    fn inside(&self, i: usize, j: usize) -> bool {
        (self.r0..self.r0 + self.rows).contains(&i) && (self.c0..self.c0 + self.cols).contains(&j)
    }

    /// Number of canary elements; panics naming the first one that changed.
    fn check_canaries(&self, what: &dyn Fn() -> String) -> usize {
        let mut n = 0;
        for i in 0..self.buf.rows() {
            for j in 0..self.buf.cols() {
                if !self.inside(i, j) {
                    let x = self.buf[(i, j)];
                    assert!(
                        x.bits() == T::CANARY.bits(),
                        "{}: canary at buffer ({i}, {j}) overwritten with {x:?} \
                         (block at ({}, {}) of {}x{} in a {}x{} buffer)",
                        what(),
                        self.r0,
                        self.c0,
                        self.rows,
                        self.cols,
                        self.buf.rows(),
                        self.buf.cols()
                    );
                    n += 1;
                }
            }
        }
        n
    }
}

fn random<T: Scalar>(rng: &mut StdRng) -> T {
    T::from_f64(rng.random_range(-1.0..1.0))
}

/// `value` (rows x cols) stored as a NaN-fenced sub-block, or (`transposed`)
/// its transpose stored so; the caller views it back with `.t()`.
fn fenced_input<T: Canary>(
    rows: usize,
    cols: usize,
    transposed: bool,
    value: &Matrix<T>,
    rng: &mut StdRng,
) -> Fenced<T> {
    let (sr, sc) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut f = Fenced::new(sr, sc, rng, T::from_f64(f64::NAN));
    let mut block = f.buf.view_mut().submatrix_mut(f.r0, f.c0, sr, sc);
    for i in 0..rows {
        for j in 0..cols {
            let v = value[(i, j)];
            if transposed {
                block.set(j, i, v)
            } else {
                block.set(i, j, v)
            }
        }
    }
    f
}

#[derive(Clone, Copy, Debug)]
enum Variant {
    /// `alpha A B + beta C`, row-major C.
    Plain,
    /// `+ bias`, then ReLU, row-major C.
    BiasRelu,
    /// `+ bias` only (a NaN read past the bias would show).
    Bias,
    /// Plain into a transposed (column-major) C view.
    TransposedC,
    /// Bias + ReLU into a transposed C view.
    TransposedBiasRelu,
}

/// One gemm case; returns the number of canary elements checked.
fn gemm_case<T: Canary>(
    kernel: KernelKind,
    (m, n, k): (usize, usize, usize),
    variant: Variant,
    rng: &mut StdRng,
) -> usize {
    let alpha = T::from_f64(*[1.0, -0.5, 2.0].choose(rng).unwrap());
    let beta = T::from_f64(*[0.0, 1.0, -0.75].choose(rng).unwrap());
    let a = Matrix::from_fn(m, k, |_, _| random::<T>(rng));
    let b = Matrix::from_fn(k, n, |_, _| random::<T>(rng));
    let c0 = Matrix::from_fn(m, n, |_, _| random::<T>(rng));
    let bias_store: Vec<T> = std::iter::once(T::from_f64(f64::NAN))
        .chain((0..n).map(|_| random::<T>(rng)))
        .chain(std::iter::once(T::from_f64(f64::NAN)))
        .collect();
    let bias = &bias_store[1..=n];
    let (ta, tb) = (rng.random_bool(0.3), rng.random_bool(0.3));
    let fa = fenced_input(m, k, ta, &a, rng);
    let fb = fenced_input(k, n, tb, &b, rng);
    let va = fa.buf.view().submatrix(fa.r0, fa.c0, fa.rows, fa.cols);
    let va = if ta { va.t() } else { va };
    let vb = fb.buf.view().submatrix(fb.r0, fb.c0, fb.rows, fb.cols);
    let vb = if tb { vb.t() } else { vb };

    let transposed_c = matches!(variant, Variant::TransposedC | Variant::TransposedBiasRelu);
    let (epi, use_bias, relu) = match variant {
        Variant::Plain | Variant::TransposedC => (Epilogue::none(), false, false),
        Variant::Bias => (Epilogue::bias(bias), true, false),
        Variant::BiasRelu | Variant::TransposedBiasRelu => {
            (Epilogue::bias(bias).relu(), true, true)
        }
    };
    // C: a fenced block; the transposed case stores C^T (n x m) and writes
    // through `.t_mut()`, so C's column stride is the buffer's width.
    let (cr, cc) = if transposed_c { (n, m) } else { (m, n) };
    let mut fc = Fenced::new(cr, cc, rng, T::CANARY);
    {
        let mut block = fc.buf.view_mut().submatrix_mut(fc.r0, fc.c0, cr, cc);
        for i in 0..m {
            for j in 0..n {
                if transposed_c {
                    block.set(j, i, c0[(i, j)]);
                } else {
                    block.set(i, j, c0[(i, j)]);
                }
            }
        }
    }
    let what = || {
        format!(
            "{kernel} {} {variant:?} m={m} n={n} k={k} alpha={alpha:?} beta={beta:?} \
             A{} B{}",
            T::NAME,
            if ta { "^T" } else { "" },
            if tb { "^T" } else { "" }
        )
    };
    {
        let block = fc.buf.view_mut().submatrix_mut(fc.r0, fc.c0, cr, cc);
        let cv = if transposed_c { block.t_mut() } else { block };
        try_gemm_with_kernel(kernel, alpha, va, vb, beta, cv, epi)
            .unwrap_or_else(|e| panic!("{}: {e}", what()));
    }
    let canaries = fc.check_canaries(&what);
    // The block against a reference accumulated in f64.
    let tol = 4.0 * T::EPS * (k as f64 + 4.0) * (2.0 + alpha.to_f64().abs() + beta.to_f64().abs());
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| a[(i, p)].to_f64() * b[(p, j)].to_f64())
                .sum();
            let mut want = alpha.to_f64() * dot;
            if beta != T::ZERO {
                want += beta.to_f64() * c0[(i, j)].to_f64();
            }
            if use_bias {
                want += bias[j].to_f64();
            }
            if relu && want <= 0.0 {
                want = 0.0;
            }
            let (bi, bj) = if transposed_c {
                (fc.r0 + j, fc.c0 + i)
            } else {
                (fc.r0 + i, fc.c0 + j)
            };
            let got = fc.buf[(bi, bj)].to_f64();
            // ReLU of a value within rounding of 0 may land on either side.
            let tol = if relu { tol + T::EPS } else { tol };
            assert!(
                (got - want).abs() <= tol,
                "{}: C[{i},{j}] = {got}, reference {want}",
                what()
            );
        }
    }
    canaries
}

/// Every (m, n) pair from SIZES with a random k from SIZES (plus k = 0 now
/// and then), each in every variant: 400 shapes x 5 variants per kernel and
/// element type.
fn all_gemm_cases<T: Canary>(seed: u64) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let variants = [
        Variant::Plain,
        Variant::BiasRelu,
        Variant::Bias,
        Variant::TransposedC,
        Variant::TransposedBiasRelu,
    ];
    let (mut cases, mut canaries) = (0, 0);
    for kernel in kernels() {
        for &m in &SIZES {
            for &n in &SIZES {
                let k = if rng.random_bool(0.05) {
                    0
                } else {
                    *SIZES.choose(&mut rng).unwrap()
                };
                for variant in variants {
                    canaries += gemm_case::<T>(kernel, (m, n, k), variant, &mut rng);
                    cases += 1;
                }
            }
        }
    }
    (cases, canaries)
}

#[test]
fn gemm_never_writes_outside_c_f32() {
    let (cases, canaries) = all_gemm_cases::<f32>(11);
    eprintln!("canary: {cases} f32 gemm cases, {canaries} canary elements checked");
    assert_eq!(cases, kernels().len() * SIZES.len() * SIZES.len() * 5);
}

#[test]
fn gemm_never_writes_outside_c_f64() {
    let (cases, canaries) = all_gemm_cases::<f64>(12);
    eprintln!("canary: {cases} f64 gemm cases, {canaries} canary elements checked");
    assert_eq!(cases, kernels().len() * SIZES.len() * SIZES.len() * 5);
}

/// Shapes big enough to take the cache-blocked (with a 1 MiB L2, 61 x 300
/// x 1100 has two KC blocks of 552 and two NC blocks of 160) and
/// multi-threaded paths, with fenced C, for every kernel.
#[test]
fn gemm_never_writes_outside_c_across_cache_blocks() {
    let mut rng = StdRng::seed_from_u64(13);
    let mut cases = 0;
    for kernel in kernels() {
        for &(m, n, k) in &[
            (129, 97, 513),
            (61, 300, 1100),
            (37, 300, 45),
            (200, 10, 784),
            (13, 1031, 33),
        ] {
            for variant in [Variant::Plain, Variant::BiasRelu, Variant::TransposedC] {
                gemm_case::<f32>(kernel, (m, n, k), variant, &mut rng);
                cases += 1;
            }
        }
    }
    eprintln!("canary: {cases} large gemm cases");
}

fn transpose_case<T: Canary>(rows: usize, cols: usize, dst_t: bool, rng: &mut StdRng) -> usize {
    let src = Matrix::from_fn(rows, cols, |_, _| random::<T>(rng));
    let st = rng.random_bool(0.5);
    let fs = fenced_input(rows, cols, st, &src, rng);
    // The source view: the fenced block, transposed back if stored so.
    let sv = fs.buf.view().submatrix(fs.r0, fs.c0, fs.rows, fs.cols);
    let sv = if st { sv.t() } else { sv };
    // The destination: cols x rows, or its transpose written through t_mut().
    let (dr, dc) = if dst_t { (rows, cols) } else { (cols, rows) };
    let mut fd = Fenced::new(dr, dc, rng, T::CANARY);
    {
        let block = fd.buf.view_mut().submatrix_mut(fd.r0, fd.c0, dr, dc);
        transpose_into(sv, if dst_t { block.t_mut() } else { block });
    }
    let what = || {
        format!(
            "transpose_into {} {rows}x{cols} src_t={st} dst_t={dst_t}",
            T::NAME
        )
    };
    let n = fd.check_canaries(&what);
    for i in 0..rows {
        for j in 0..cols {
            let got = if dst_t {
                fd.buf[(fd.r0 + i, fd.c0 + j)]
            } else {
                fd.buf[(fd.r0 + j, fd.c0 + i)]
            };
            assert!(
                got.bits() == src[(i, j)].bits(),
                "{}: element ({i},{j})",
                what()
            );
        }
    }
    n
}

#[test]
fn transpose_into_never_writes_outside_the_destination() {
    let mut rng = StdRng::seed_from_u64(14);
    let (mut cases, mut canaries) = (0, 0);
    for &r in &SIZES {
        for &c in &SIZES {
            for dst_t in [false, true] {
                canaries += transpose_case::<f32>(r, c, dst_t, &mut rng);
                canaries += transpose_case::<f64>(r, c, dst_t, &mut rng);
                cases += 2;
            }
        }
    }
    // Past the parallel threshold (2^18 elements) and TILE (32) edges.
    for &(r, c) in &[(513, 517), (1000, 263), (65, 4099)] {
        for dst_t in [false, true] {
            canaries += transpose_case::<f32>(r, c, dst_t, &mut rng);
            cases += 1;
        }
    }
    eprintln!("canary: {cases} transpose cases, {canaries} canary elements checked");
}

/// The fence itself works: a write just past the block's last column (in
/// the gap between rows) or below its last row is caught, even of a NaN
/// that differs from the canary only in its payload.
#[test]
fn the_fence_catches_stray_writes() {
    let mut rng = StdRng::seed_from_u64(15);
    for (di, dj) in [(0usize, 1usize), (1, 0)] {
        let mut f = Fenced::<f32>::new(3, 4, &mut rng, f32::CANARY);
        assert_eq!(f.check_canaries(&|| "clean".into()), f.buf.len() - 12);
        // One past the block's last column / below its last row.
        let (i, j) = (f.r0 + 2 + di, f.c0 + 3 + dj);
        f.buf[(i, j)] = f32::from_bits(f32::CANARY.to_bits() ^ 1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.check_canaries(&|| "stray".into())
        }));
        assert!(caught.is_err(), "a write at ({i}, {j}) went unnoticed");
    }
}
