//! gemm throughput, in the format of the peer benchmark script `np_gemm.py`
//! (numpy/OpenBLAS; it and `compare_gemm.sh` are not part of this
//! repository), so that `compare_gemm.sh` can put matnet beside OpenBLAS in
//! one run.
//!
//! ```text
//! cargo run --release --example gemm -- [--threads 1,2] [--dtype f32,f64] [--shape KIND:M:K:N ...]
//! ```
//!
//! KIND is NN (C = A B), AtB (C = Aᵀ B, A stored k x m) or ABt (C = A Bᵀ, B
//! stored n x k). Prints `KIND M K N THREADS DTYPE GFLOPS` per measurement;
//! lines starting with `#` are comments.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use matrix::{gemm, Matrix, Scalar};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The default shapes: square, then the products of one MNIST 784-800-10
/// batch-128 training step, then the full test-set forward pass.
const DEFAULT_SHAPES: &[&str] = &[
    "NN:256:256:256",
    "NN:512:512:512",
    "NN:1024:1024:1024",
    "NN:2048:2048:2048",
    "NN:128:784:800",
    "NN:128:800:10",
    "AtB:784:128:800",
    "AtB:800:128:10",
    "ABt:128:10:800",
    "NN:10000:784:800",
];

#[derive(Parser)]
#[command(about = "Measure matnet gemm GFLOP/s (same output format as np_gemm.py)")]
struct Args {
    /// Thread counts to measure, comma-separated.
    #[arg(long, default_value = "1,2")]
    threads: String,
    /// Element types to measure, comma-separated: f32, f64.
    #[arg(long, default_value = "f32,f64")]
    dtype: String,
    /// Shapes as KIND:M:K:N (KIND = NN, AtB or ABt); repeatable. Default: np_gemm.py's list.
    #[arg(long)]
    shape: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    NN,
    AtB,
    ABt,
}

struct Shape {
    kind: Kind,
    m: usize,
    k: usize,
    n: usize,
}

fn parse_shape(s: &str) -> Result<Shape, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let [kind, m, k, n] = parts[..] else {
        return Err(format!(
            "--shape {s}: expected KIND:M:K:N, e.g. NN:128:784:800"
        ));
    };
    let kind = match kind {
        "NN" => Kind::NN,
        "AtB" => Kind::AtB,
        "ABt" => Kind::ABt,
        _ => return Err(format!("--shape {s}: KIND must be NN, AtB or ABt")),
    };
    let dim = |x: &str| {
        x.parse::<usize>()
            .ok()
            .filter(|&d| d > 0 && d <= 1 << 16)
            .ok_or_else(|| format!("--shape {s}: '{x}' is not a dimension in 1..=65536"))
    };
    Ok(Shape {
        kind,
        m: dim(m)?,
        k: dim(k)?,
        n: dim(n)?,
    })
}

fn parse_list<T>(flag: &str, s: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    s.split(',')
        .map(|x| f(x.trim()).ok_or_else(|| format!("--{flag}: '{x}' is not valid")))
        .collect()
}

/// Best-of-5 GFLOP/s, each timing `reps` back-to-back products (as np_gemm.py).
fn bench<T: Scalar>(shape: &Shape) -> f64 {
    let mut rng = StdRng::seed_from_u64(0);
    let mut rand =
        |r, c| Matrix::<T>::from_fn(r, c, |_, _| T::from_f64(rng.random_range(-1.0..1.0)));
    let (m, k, n) = (shape.m, shape.k, shape.n);
    let a_store = if shape.kind == Kind::AtB {
        rand(k, m)
    } else {
        rand(m, k)
    };
    let b_store = if shape.kind == Kind::ABt {
        rand(n, k)
    } else {
        rand(k, n)
    };
    let a = if shape.kind == Kind::AtB {
        a_store.t()
    } else {
        a_store.view()
    };
    let b = if shape.kind == Kind::ABt {
        b_store.t()
    } else {
        b_store.view()
    };
    let mut c = Matrix::<T>::zeros(m, n);
    let flop = 2.0 * (m * n * k) as f64;
    let reps = ((2e9 / flop) as usize).max(3);
    gemm(T::ONE, a, b, T::ZERO, &mut c); // warm up buffers and caches
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..reps {
            gemm(T::ONE, a, b, T::ZERO, &mut c);
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    flop / best / 1e9
}

fn run(args: Args) -> Result<(), String> {
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let threads = parse_list("threads", &args.threads, |x| {
        x.parse::<usize>().ok().filter(|&t| t > 0)
    })?;
    let dtypes = parse_list("dtype", &args.dtype, |x| {
        ["f32", "f64"].contains(&x).then(|| x.to_string())
    })?;
    let shape_args: Vec<String> = if args.shape.is_empty() {
        DEFAULT_SHAPES.iter().map(|s| s.to_string()).collect()
    } else {
        args.shape
    };
    let shapes = shape_args
        .iter()
        .map(|s| parse_shape(s))
        .collect::<Result<Vec<_>, _>>()?;
    let caches = matrix::CacheSizes::detect();
    println!(
        "# matnet kernel={kernel} l1d={}K l2={}K",
        caches.l1d >> 10,
        caches.l2 >> 10
    );
    for dtype in &dtypes {
        for &t in &threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .map_err(|e| format!("cannot start {t} threads: {e}"))?;
            for s in &shapes {
                let gflops = pool.install(|| match dtype.as_str() {
                    "f32" => bench::<f32>(s),
                    _ => bench::<f64>(s),
                });
                println!(
                    "{:?} {} {} {} {t} {dtype} {gflops:.1}",
                    s.kind, s.m, s.k, s.n
                );
            }
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
