//! gemm throughput, in the format of the peer benchmark script `np_gemm.py`
//! (numpy/OpenBLAS; it and `compare_gemm.sh` are not part of this
//! repository), so that `compare_gemm.sh` can put matnet beside OpenBLAS in
//! one run.
//!
//! ```text
//! cargo run --release --example gemm -- [--threads 1,2] [--dtype f32,f64,bf16,f16] [--shape KIND:M:K:N ...]
//! ```
//!
//! KIND is NN (C = A B), AtB (C = Aᵀ B, A stored k x m) or ABt (C = A Bᵀ, B
//! stored n x k). Prints `KIND M K N THREADS DTYPE GFLOPS` per measurement;
//! lines starting with `#` are comments. `bf16` and `f16` are the
//! half-precision products (`gemm_half`: operands in half precision, C and
//! the sums in f32, on the path `HalfPath::selected` picks); with `f32` in
//! the same run, each half-precision line is followed by a comment with its
//! ratio to the f32 product of the same shape and threads, measured just
//! before it.
//!
//! `--plan` prints, instead of measuring, the plan each product gets (swap,
//! loop nest, block sizes, where A and B are read from). `--table` prints
//! the results of the last `cargo bench --bench matmul` as one Markdown
//! table: GFLOP/s per shape, kernel and thread count, with the ratios to
//! matrixmultiply and to the best kernel, under the CPU and its caches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use matrix::gemm::{plan_gemm, PlanChoices};
use matrix::{
    bf16, f16, gemm, gemm_half, try_gemm_half_with, Epilogue, Half, HalfPath, Matrix, MatrixView,
    Scalar,
};
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
    /// Element types to measure, comma-separated: f32, f64, bf16, f16.
    #[arg(long, default_value = "f32,f64")]
    dtype: String,
    /// Shapes as KIND:M:K:N (KIND = NN, AtB or ABt); repeatable. Default: np_gemm.py's list.
    #[arg(long)]
    shape: Vec<String>,
    /// Print the plan of each product (on each thread count) instead of measuring.
    #[arg(long)]
    plan: bool,
    /// Measure a peer beside each figure: `numpy` (numpy's matmul on its
    /// OpenBLAS, f32 and f64) or `torch` (PyTorch's CPU matmul, every
    /// dtype), through benches/peers/<PEER>_matmul.py and `$PYTHON`
    /// (default python3; `benches/peers/run` sets one up); prints the ratio
    /// of medians.
    #[arg(long, value_name = "PEER", value_parser = ["numpy", "torch"])]
    peer: Option<String>,
    /// Rounds per figure, ours and the peer's alternated; medians and the
    /// spread (min-max) are printed when more than one.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Print the last `cargo bench --bench matmul` results as a Markdown table.
    #[arg(long)]
    table: bool,
    /// Where criterion wrote its results (for --table).
    #[arg(long, value_name = "DIR", default_value_os_t = default_criterion_dir())]
    criterion_dir: PathBuf,
}

/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion`.
fn default_criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
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

/// Random operands of `shape`: A (stored transposed for AtB) and B (stored
/// transposed for ABt).
fn operands<T: Scalar>(shape: &Shape) -> (Matrix<T>, Matrix<T>) {
    let mut rng = StdRng::seed_from_u64(0);
    let mut rand =
        |r, c| Matrix::<T>::from_fn(r, c, |_, _| T::from_f64(rng.random_range(-1.0..1.0)));
    let (m, k, n) = (shape.m, shape.k, shape.n);
    let a = if shape.kind == Kind::AtB {
        rand(k, m)
    } else {
        rand(m, k)
    };
    let b = if shape.kind == Kind::ABt {
        rand(n, k)
    } else {
        rand(k, n)
    };
    (a, b)
}

/// The views `op(A)`, `op(B)` of stored operands.
fn views<'a, T: matrix::Element>(
    shape: &Shape,
    (a, b): &'a (Matrix<T>, Matrix<T>),
) -> (MatrixView<'a, T>, MatrixView<'a, T>) {
    let a = if shape.kind == Kind::AtB {
        a.t()
    } else {
        a.view()
    };
    let b = if shape.kind == Kind::ABt {
        b.t()
    } else {
        b.view()
    };
    (a, b)
}

/// Best-of-5 GFLOP/s, each timing `reps` back-to-back products (as np_gemm.py).
fn bench<T: Scalar>(shape: &Shape) -> f64 {
    let stored = operands::<T>(shape);
    let (a, b) = views(shape, &stored);
    let (m, k, n) = (shape.m, shape.k, shape.n);
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

/// As [`bench`] for a half-precision product: A and B rounded to `H`, C in f32.
fn bench_half<H: Half>(shape: &Shape) -> f64 {
    let (a32, b32) = operands::<f32>(shape);
    let stored = (Matrix::<H>::from(&a32), Matrix::<H>::from(&b32));
    let (a, b) = views(shape, &stored);
    let (m, k, n) = (shape.m, shape.k, shape.n);
    let mut c = Matrix::<f32>::zeros(m, n);
    let flop = 2.0 * (m * n * k) as f64;
    let reps = ((2e9 / flop) as usize).max(3);
    gemm_half(1.0, a, b, 0.0, &mut c);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..reps {
            gemm_half(1.0, a, b, 0.0, &mut c);
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    flop / best / 1e9
}

/// The median of `xs` (sorted in place).
fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// ` (min-max)` of sorted figures, or nothing for one.
fn spread(sorted: &[f64]) -> String {
    match sorted {
        [lo, .., hi] => format!(" ({lo:.1}-{hi:.1})"),
        _ => String::new(),
    }
}

/// The peer's GFLOP/s for `shape` in `dtype` on `threads` threads, from its
/// script in `benches/peers/` (a process of its own).
fn peer_gflops(peer: &str, threads: usize, shape: &Shape, dtype: &str) -> Result<f64, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "{}/benches/peers/{peer}_matmul.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(threads.to_string())
        .arg(format!("{:?}", shape.kind))
        .args([shape.m, shape.k, shape.n].map(|d| d.to_string()))
        .arg(dtype)
        .output()
        .map_err(|e| format!("--peer {peer}: cannot run {python}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "--peer {peer}: {script} failed: {}",
            err.lines().last().unwrap_or("no message")
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| format!("--peer {peer}: {script} printed no figure"))
}

/// One line describing the plan `shape` gets on `threads` workers.
fn plan_line<T: Scalar>(shape: &Shape, threads: usize) -> Result<String, String> {
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let stored = operands::<T>(shape);
    let (a, b) = views(shape, &stored);
    let plan = plan_gemm(kernel, threads, PlanChoices::default(), a, b, false)
        .map_err(|e| e.to_string())?;
    Ok(describe_plan(plan))
}

/// As [`plan_line`] for a half-precision product: the plan its path
/// follows (a product is run once, on `threads` workers, to get it).
fn plan_line_half<H: Half>(shape: &Shape, threads: usize) -> Result<String, String> {
    let path = HalfPath::selected::<H>().map_err(|e| e.to_string())?;
    let (a32, b32) = operands::<f32>(shape);
    let stored = (Matrix::<H>::from(&a32), Matrix::<H>::from(&b32));
    let (a, b) = views(shape, &stored);
    let mut c = Matrix::<f32>::zeros(shape.m, shape.n);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let plan = pool
        .install(|| {
            try_gemm_half_with(
                path,
                PlanChoices::default(),
                1.0,
                a,
                b,
                0.0,
                &mut c,
                Epilogue::none(),
            )
        })
        .map_err(|e| e.to_string())?;
    Ok(describe_plan(plan) + &format!(" path={path}"))
}

/// A plan in one line.
fn describe_plan(plan: Option<matrix::gemm::Plan>) -> String {
    match plan {
        None => "nothing to compute".to_string(),
        Some(p) => {
            let mut line = format!(
                "{:?} kernel={} swapped={}",
                p.algorithm, p.kernel, p.swapped
            );
            if p.first_part.is_some() {
                line += &format!(" kc={}", p.kc);
            }
            line += &format!(" parts={}", p.parts);
            if p.parts > 1 {
                line += &format!(" split={:?}", p.split);
            }
            if let Some(part) = p.first_part {
                line += &format!(
                    " | first part: mc={} nc={} A {:?}, B {:?}, whole B {}",
                    part.mc, part.nc, part.a, part.b, part.whole_b
                );
            }
            line
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.table {
        return print_table(&args.criterion_dir);
    }
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let threads = parse_list("threads", &args.threads, |x| {
        x.parse::<usize>().ok().filter(|&t| t > 0)
    })?;
    let dtypes = parse_list("dtype", &args.dtype, |x| {
        ["f32", "f64", "bf16", "f16"]
            .contains(&x)
            .then(|| x.to_string())
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
        let path = match dtype.as_str() {
            "bf16" => HalfPath::selected::<bf16>(),
            "f16" => HalfPath::selected::<f16>(),
            _ => continue,
        };
        println!("# {dtype} path: {}", path.map_err(|e| e.to_string())?);
    }
    if args.plan {
        for dtype in &dtypes {
            for &t in &threads {
                for s in &shapes {
                    let line = match dtype.as_str() {
                        "f32" => plan_line::<f32>(s, t)?,
                        "f64" => plan_line::<f64>(s, t)?,
                        "bf16" => plan_line_half::<bf16>(s, t)?,
                        _ => plan_line_half::<f16>(s, t)?,
                    };
                    println!("{:?} {} {} {} {t} {dtype} {line}", s.kind, s.m, s.k, s.n);
                }
            }
        }
        return Ok(());
    }
    // Shape by shape, every dtype in turn, so that a half-precision figure
    // and the f32 one it is compared with are measured minutes apart at most;
    // with a peer, ours and the peer's alternate round by round.
    let peer = args.peer.as_deref();
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map_err(|e| format!("cannot start {t} threads: {e}"))?;
        for s in &shapes {
            let mut f32_gflops = None;
            for dtype in &dtypes {
                let (mut ours, mut theirs) = (Vec::new(), Vec::new());
                for _ in 0..args.rounds {
                    ours.push(pool.install(|| match dtype.as_str() {
                        "f32" => bench::<f32>(s),
                        "f64" => bench::<f64>(s),
                        "bf16" => bench_half::<bf16>(s),
                        _ => bench_half::<f16>(s),
                    }));
                    let peer_has_it =
                        peer != Some("numpy") || ["f32", "f64"].contains(&dtype.as_str());
                    if let (Some(peer), true) = (peer, peer_has_it) {
                        theirs.push(peer_gflops(peer, t, s, dtype)?);
                    }
                }
                let gflops = median(&mut ours);
                println!(
                    "{:?} {} {} {} {t} {dtype} {gflops:.1}{}",
                    s.kind,
                    s.m,
                    s.k,
                    s.n,
                    spread(&ours)
                );
                if let Some(peer) = peer.filter(|_| !theirs.is_empty()) {
                    let peer_median = median(&mut theirs);
                    println!(
                        "{:?} {} {} {} {t} {dtype} {peer_median:.1}{} {peer}",
                        s.kind,
                        s.m,
                        s.k,
                        s.n,
                        spread(&theirs)
                    );
                    println!("# {dtype} matnet / {peer} = {:.2}", gflops / peer_median);
                }
                match (dtype.as_str(), f32_gflops) {
                    ("f32", _) => f32_gflops = Some(gflops),
                    ("bf16" | "f16", Some(base)) => {
                        println!("# {dtype} / f32 = {:.2}", gflops / base)
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// One criterion measurement: group `gemm {dtype} {shape} {threads}t`,
/// function `matnet {kernel}` or `matrixmultiply`.
struct Measured {
    group: String,
    function: String,
    gflops: f64,
}

/// Every gemm measurement under `dir` (criterion's `new/` results).
fn read_criterion(dir: &Path) -> Result<Vec<Measured>, String> {
    let mut found = Vec::new();
    let groups = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read {}: {e} (run `cargo bench --bench matmul` first, or pass --criterion-dir)",
            dir.display()
        )
    })?;
    for group in groups.flatten() {
        let Ok(functions) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for function in functions.flatten() {
            let new = function.path().join("new");
            let read = |name: &str| -> Option<serde_json::Value> {
                let text = std::fs::read_to_string(new.join(name)).ok()?;
                serde_json::from_str(&text).ok()
            };
            let (Some(meta), Some(estimates)) = (read("benchmark.json"), read("estimates.json"))
            else {
                continue;
            };
            let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
            let (Some(group), Some(function)) =
                (text(&meta["group_id"]), text(&meta["function_id"]))
            else {
                continue;
            };
            let flops = meta["throughput"]["Elements"].as_f64();
            let nanos = estimates["mean"]["point_estimate"].as_f64();
            if let (true, Some(flops), Some(nanos)) = (group.starts_with("gemm "), flops, nanos) {
                found.push(Measured {
                    group,
                    function,
                    gflops: flops / nanos,
                });
            }
        }
    }
    if found.is_empty() {
        return Err(format!(
            "no gemm results under {} (run `cargo bench --bench matmul` first)",
            dir.display()
        ));
    }
    Ok(found)
}

/// The `--table` output: one row per group, one column per kernel.
fn print_table(dir: &Path) -> Result<(), String> {
    let measured = read_criterion(dir)?;
    let caches = matrix::CacheSizes::detect();
    let kernels: Vec<String> = matrix::KernelKind::supported()
        .iter()
        .map(|k| format!("matnet {k}"))
        .collect();
    let mut rows: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for m in measured {
        rows.entry(m.group)
            .or_default()
            .insert(m.function, m.gflops);
    }
    println!(
        "{} ({} threads available), L1d {} KiB, L2 {} KiB; criterion means from {}\n",
        support::report::cpu_name(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        caches.l1d >> 10,
        caches.l2 >> 10,
        dir.display()
    );
    let mut header = "| product | threads |".to_string();
    for k in &kernels {
        header += &format!(" {k} GFLOP/s (/ best) |");
    }
    header += " matrixmultiply GFLOP/s | best / matrixmultiply |";
    println!("{header}");
    println!("|{}", "---|".repeat(kernels.len() + 4));
    for (group, by_function) in &rows {
        let label = group.trim_start_matches("gemm ");
        let (product, threads) = label.rsplit_once(' ').unwrap_or((label, "?"));
        let best = kernels
            .iter()
            .filter_map(|k| by_function.get(k))
            .fold(0.0f64, |a, &b| a.max(b));
        let mut line = format!("| {product} | {} |", threads.trim_end_matches('t'));
        for k in &kernels {
            line += &match by_function.get(k) {
                Some(g) => format!(" {g:.1} ({:.2}) |", g / best),
                None => " - |".to_string(),
            };
        }
        line += &match by_function.get("matrixmultiply") {
            Some(mm) => format!(" {mm:.1} | {:.2} |", best / mm),
            None => " - | - |".to_string(),
        };
        println!("{line}");
    }
    Ok(())
}

fn main() -> ExitCode {
    support::report::exit(run(Args::parse()))
}
