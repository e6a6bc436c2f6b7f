//! gemm with arbitrary shapes (up to 40), layouts (row- or column-major,
//! padded, broadcast rows), α, β (β = 0 over a C of NaN), epilogue, kernel
//! and `PlanChoices` (every field, numbers at the edges of `usize`): the
//! result is `matrix::reference`'s, or the choices are refused with
//! `InvalidPlan`; never another error, a panic or a hang. The same inputs,
//! rounded to bf16 (exactly: small multiples of 1/4), through every
//! half-precision path.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrix::gemm::{ASource, Algorithm, BSource, PlanChoices};
use matrix::{
    bf16, reference, try_gemm_half_with, try_gemm_planned, CacheSizes, Epilogue, HalfPath,
    KernelKind, Matrix, MatrixError, MatrixView,
};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    /// A number from small values to the edges of `usize`.
    fn number(&mut self) -> usize {
        let (sel, x) = (self.byte(), self.byte() as usize);
        match sel % 6 {
            0 | 1 => x % 64,
            2 => x << (sel >> 3),
            3 => usize::MAX - x,
            4 => 1usize << (x % 64),
            _ => (x << 12) + (sel as usize),
        }
    }
    fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        (self.byte() % 3 == 0).then(|| f(self))
    }
    fn choose<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.byte() as usize % xs.len()]
    }
}

/// An `r x c` operand in the layout `layout` picks, over its own buffer:
/// row-major or column-major, each padded by 0-3, or rows repeating one
/// row (row stride 0).
fn operand(bytes: &mut Bytes, r: usize, c: usize) -> (Vec<f32>, usize, usize) {
    let layout = bytes.byte();
    let pad = (layout >> 2) as usize % 4;
    let (rs, cs, len) = match layout % 3 {
        0 => (c + pad, 1, r * (c + pad)),
        1 => (1, r + pad, c * (r + pad)),
        _ => (0, 1, c),
    };
    let buf = (0..len.max(1))
        .map(|_| (bytes.byte() as i8 % 16) as f32 / 4.0)
        .collect();
    (buf, rs, cs)
}

fn check(got: &Matrix<f32>, want: &Matrix<f32>, what: &dyn Fn() -> String) {
    for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
        let tol = 1e-4 * (1.0 + w.abs());
        assert!((g - w).abs() <= tol, "{g} != {w}: {}", what());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let kernels = KernelKind::supported();
    let kernel = bytes.choose(&kernels);
    let (m, k, n) = (
        bytes.byte() as usize % 41,
        bytes.byte() as usize % 41,
        bytes.byte() as usize % 41,
    );
    let alpha = bytes.choose(&[1.0f32, 0.0, -1.0, 0.5, 2.0, -0.25, 3.0]);
    let beta = bytes.choose(&[0.0f32, 1.0, -1.0, 0.5, 2.0]);
    let choices = PlanChoices {
        caches: bytes.option(|b| CacheSizes {
            l1d: b.number(),
            l2: b.number(),
            l3: b.number(),
        }),
        swap: bytes.option(|b| b.byte() & 1 == 1),
        algorithm: bytes.option(|b| {
            b.choose(&[
                Algorithm::Dot,
                Algorithm::Narrow,
                Algorithm::Blis,
                Algorithm::Vector,
            ])
        }),
        a: bytes.option(|b| b.choose(&[ASource::Packed, ASource::InPlace])),
        b: bytes
            .option(|b| b.choose(&[BSource::Packed, BSource::InPlace, BSource::FilledByFirstRow])),
        whole_b: bytes.option(|b| b.byte() & 1 == 1),
        mc: bytes.option(|b| b.number()),
        ..PlanChoices::default()
    };
    let flags = bytes.byte();
    let bias: Vec<f32> = (0..n).map(|j| (j % 5) as f32 - 2.0).collect();
    let epi = Epilogue {
        bias: (flags & 1 == 1).then_some(&bias[..]),
        relu: flags & 2 == 2,
    };
    let (abuf, ars, acs) = operand(&mut bytes, m, k);
    let (bbuf, brs, bcs) = operand(&mut bytes, k, n);
    let a = MatrixView::from_slice(&abuf, m, k, ars, acs);
    let b = MatrixView::from_slice(&bbuf, k, n, brs, bcs);
    // beta = 0: C is never read, NaN included.
    let c0 = if beta == 0.0 {
        Matrix::filled(m, n, f32::NAN)
    } else {
        Matrix::from_fn(m, n, |i, j| ((i * 3 + j) % 7) as f32 - 3.0)
    };
    let c_t = flags & 4 == 4;
    let mut want = c0.clone();
    reference::gemm(alpha, a, b, beta, want.view_mut());
    for i in 0..m {
        for j in 0..n {
            let mut x = want[(i, j)];
            if let Some(bias) = epi.bias {
                x += bias[j];
            }
            if epi.relu {
                x = if x > 0.0 { x } else { 0.0 };
            }
            want[(i, j)] = x;
        }
    }
    let what =
        || format!("{kernel:?} {m}x{k}x{n} A ({ars}, {acs}) B ({brs}, {bcs}) {choices:?} {flags}");
    // C row-major, or column-major (a transposed buffer).
    let mut got = if c_t { c0.transposed() } else { c0.clone() };
    let r = if c_t {
        try_gemm_planned(
            kernel,
            choices,
            alpha,
            a,
            b,
            beta,
            got.view_mut().t_mut(),
            epi,
        )
    } else {
        try_gemm_planned(kernel, choices, alpha, a, b, beta, &mut got, epi)
    };
    match r {
        Ok(_) => check(&if c_t { got.transposed() } else { got }, &want, &what),
        Err(MatrixError::InvalidPlan { .. }) => {}
        Err(e) => panic!("{e}: {}", what()),
    }
    // The half-precision paths, on the same (exactly representable) values.
    let ah = Matrix::<bf16>::from_f32(a);
    let bh = Matrix::<bf16>::from_f32(b);
    for path in HalfPath::supported::<bf16>() {
        let mut got = c0.clone();
        match try_gemm_half_with(path, choices, alpha, &ah, &bh, beta, &mut got, epi) {
            Ok(_) => check(&got, &want, &|| format!("{path} {}", what())),
            Err(MatrixError::InvalidPlan { .. }) => {}
            Err(e) => panic!("{path}: {e}: {}", what()),
        }
    }
});
