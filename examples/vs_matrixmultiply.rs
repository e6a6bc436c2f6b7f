//! matnet's gemm beside `matrixmultiply`'s, on one thread, alternating
//! between the two in one process and printing the ratio.
//!
//! ```text
//! cargo run --release --example vs_matrixmultiply -- [--dtype f32,f64] [--rounds 40] [--shape M:K:N ...]
//! ```
//!
//! `benches/matmul.rs` (criterion) measures the same pairs, one after the
//! other, and compares means; on a shared machine a burst of load during
//! one of them moves that ratio by 10% either way. Here each round times
//! one batch of products of each (about 2 ms), so load bursts hit both
//! alike, and the median and the best of the rounds are printed for each:
//!
//! ```text
//! M K N DTYPE matnet_best matnet_median mm_best mm_median ratio_best ratio_median
//! ```
//!
//! GFLOP/s throughout. matrixmultiply is a dev-dependency (built with its
//! default features: AVX-512 kernels where the CPU has them), used here and
//! in the benches only.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use matrix::{gemm, Matrix, Scalar};

/// The shapes of `benches/matmul.rs`.
const DEFAULT_SHAPES: &[&str] = &[
    "256:256:256",
    "1024:1024:1024",
    "128:784:800",
    "128:800:10",
    "1009:997:1013",
];

#[derive(Parser)]
#[command(about = "matnet gemm vs matrixmultiply, one thread, alternated rounds")]
struct Args {
    /// Element types to measure, comma-separated: f32, f64.
    #[arg(long, default_value = "f32")]
    dtype: String,
    /// Rounds per shape (each times one batch of products of each library).
    #[arg(long, default_value_t = 40)]
    rounds: usize,
    /// Shapes as M:K:N (C = A B, all row-major); repeatable. Default: the
    /// criterion bench's shapes.
    #[arg(long)]
    shape: Vec<String>,
}

fn parse_shape(s: &str) -> Result<(usize, usize, usize), String> {
    let dims: Vec<usize> = s
        .split(':')
        .map(|x| {
            x.parse::<usize>()
                .ok()
                .filter(|&d| (1..=1 << 14).contains(&d))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("--shape {s}: dimensions must be in 1..=16384"))?;
    match dims[..] {
        [m, k, n] => Ok((m, k, n)),
        _ => Err(format!("--shape {s}: expected M:K:N, e.g. 128:784:800")),
    }
}

/// matrixmultiply's gemm for one element type.
trait MmGemm: Scalar {
    /// `C = A B` for row-major operands.
    fn mm(a: &Matrix<Self>, b: &Matrix<Self>, c: &mut Matrix<Self>);
}

macro_rules! mm_gemm {
    ($t:ty, $f:ident) => {
        impl MmGemm for $t {
            fn mm(a: &Matrix<$t>, b: &Matrix<$t>, c: &mut Matrix<$t>) {
                let (m, k, n) = (a.rows(), a.cols(), b.cols());
                // SAFETY: row-major buffers of exactly m*k, k*n and m*n
                // elements, with the strides given.
                unsafe {
                    matrixmultiply::$f(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_slice().as_ptr(),
                        k as isize,
                        1,
                        b.as_slice().as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        c.as_mut_slice().as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            }
        }
    };
}
mm_gemm!(f32, sgemm);
mm_gemm!(f64, dgemm);

/// (best, median) GFLOP/s of each library over `rounds` alternated rounds.
fn compare<T: MmGemm>((m, k, n): (usize, usize, usize), rounds: usize) -> [(f64, f64); 2] {
    let fill = |r, c, s: usize| {
        Matrix::<T>::from_fn(r, c, |i, j| {
            T::from_f64(((i * 7 + j * s) % 17) as f64 / 17.0 - 0.5)
        })
    };
    let (a, b) = (fill(m, k, 13), fill(k, n, 11));
    let mut c = Matrix::<T>::zeros(m, n);
    let flop = 2.0 * (m * k * n) as f64;
    // About 2 ms of products per timing at 100 GFLOP/s.
    let reps = ((2e8 / flop) as usize).max(1);
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..=rounds {
        for (lib, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..reps {
                if lib == 0 {
                    gemm(T::ONE, &a, &b, T::ZERO, &mut c);
                } else {
                    T::mm(&a, &b, &mut c);
                }
            }
            // Round 0 warms up both (buffers, caches, the rayon pool).
            if round > 0 {
                t.push(start.elapsed().as_secs_f64() / reps as f64);
            }
        }
    }
    times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        (flop / t[0] / 1e9, flop / t[t.len() / 2] / 1e9)
    })
}

fn run(args: Args) -> Result<(), String> {
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    let dtypes: Vec<&str> = args.dtype.split(',').map(str::trim).collect();
    if let Some(bad) = dtypes.iter().find(|d| !["f32", "f64"].contains(d)) {
        return Err(format!("--dtype: '{bad}' is not f32 or f64"));
    }
    let shape_args: Vec<String> = if args.shape.is_empty() {
        DEFAULT_SHAPES.iter().map(|s| s.to_string()).collect()
    } else {
        args.shape
    };
    let shapes = shape_args
        .iter()
        .map(|s| parse_shape(s))
        .collect::<Result<Vec<_>, _>>()?;
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    println!(
        "# matnet kernel={kernel}, one thread, {} rounds",
        args.rounds
    );
    println!("# M K N DTYPE matnet_best matnet_median mm_best mm_median ratio_best ratio_median");
    for dtype in &dtypes {
        for &(m, k, n) in &shapes {
            let [(ob, om), (mb, mm)] = pool.install(|| match *dtype {
                "f32" => compare::<f32>((m, k, n), args.rounds),
                _ => compare::<f64>((m, k, n), args.rounds),
            });
            println!(
                "{m} {k} {n} {dtype} {ob:.1} {om:.1} {mb:.1} {mm:.1} {:.2} {:.2}",
                ob / mb,
                om / mm
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
