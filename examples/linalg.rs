//! Decompositions' throughput: Cholesky, LU (+ a one-column solve) and QR
//! in GFLOP/s, on rayon pools of the given sizes, optionally beside
//! numpy.linalg (LAPACK through OpenBLAS) and faer in the same run.
//!
//! ```text
//! cargo run --release --example linalg -- [--n 512,1024,2048] [--dtype f64,f32] [--threads 1,2] [--reps 7] [--peer numpy]
//! cargo run --release --example linalg --features peers -- --n 2048 --peer numpy,faer
//! ```
//!
//! Prints `ROUTINE N DTYPE THREADS GFLOP/s` (the median of `--reps` calls)
//! per measurement, with the flop counts numpy's comparison uses: Cholesky
//! n³/3, LU 2n³/3, QR 4n³/3. With `--peer numpy` it starts
//! `benches/peers/numpy_linalg.py --serve` once per thread count
//! (`OPENBLAS_NUM_THREADS`) and alternates one matnet call with one numpy
//! call, so that both see the same machine; each line then also shows both
//! medians, their spread (min–max) and the ratio matnet / numpy. `--peer
//! faer` (built with `--features peers`) takes turns the same way with
//! faer 0.24's `llt`, `partial_piv_lu` + `solve` and `qr`, on its own
//! column-major copies of the same inputs, with faer's parallelism set to
//! the pool's threads. Lines
//! starting with `#` are comments. `--cpu-time` counts only the time the
//! measuring thread was on a CPU (for tuning on a shared machine, 1 thread).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use clap::Parser;
use matrix::{Matrix, Scalar};
use rand::{rngs::StdRng, Rng, SeedableRng};

#[derive(Parser)]
#[command(about = "Cholesky, LU and QR throughput, optionally beside numpy.linalg")]
struct Args {
    /// Matrix sizes.
    #[arg(long, value_delimiter = ',', default_value = "512,1024,2048")]
    n: Vec<usize>,
    /// Element types: f64, f32.
    #[arg(long, value_delimiter = ',', default_value = "f64")]
    dtype: Vec<String>,
    /// Rayon pool sizes (and OPENBLAS_NUM_THREADS for the peer).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Timed calls per routine (after one warm-up); the median is printed.
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// Routines: cholesky, lu, qr.
    #[arg(long, value_delimiter = ',', default_value = "cholesky,lu,qr")]
    routines: Vec<String>,
    /// Peers to time in the same run, alternating: `numpy`
    /// (numpy.linalg), `faer` (with `--features peers`).
    #[arg(long, value_delimiter = ',')]
    peer: Vec<String>,
    /// Count only the time the calling thread was on a CPU
    /// (`CLOCK_THREAD_CPUTIME_ID`), not time lost to other processes on a
    /// shared machine: for tuning, meaningful on 1 thread only.
    #[arg(long)]
    cpu_time: bool,
}

/// Nanoseconds the calling thread has run on a CPU (Linux, from the C
/// library the program links anyway).
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec (two 64-bit fields on the
    // 64-bit Linux targets this is compiled for).
    let ok = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    ok.then(|| t.sec as u64 * 1_000_000_000 + t.nsec as u64)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// One `benches/peers/numpy_linalg.py --serve` process.
struct Numpy {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Numpy {
    fn start(threads: usize) -> Numpy {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/numpy_linalg.py");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .arg(script)
            .arg("--serve")
            .env("OPENBLAS_NUM_THREADS", threads.to_string())
            .env("OMP_NUM_THREADS", threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {script}: {e}"));
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Numpy {
            child,
            stdin,
            stdout,
        }
    }

    /// Seconds of one numpy call.
    fn time(&mut self, routine: &str, n: usize, dtype: &str) -> f64 {
        writeln!(self.stdin, "{routine} {n} {dtype}").expect("numpy peer stdin");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("numpy peer stdout");
        line.trim()
            .parse()
            .unwrap_or_else(|_| panic!("numpy peer said {line:?}"))
    }
}

impl Drop for Numpy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// faer's decompositions on column-major copies of the inputs.
#[cfg(feature = "peers")]
mod faer_peer {
    use super::Inputs;
    use matrix::Scalar;
    use std::time::Instant;

    /// The element types faer is timed on.
    pub trait FaerScalar: Scalar {
        /// Seconds of one faer call of `routine` on `threads` threads.
        fn time(routine: &str, x: &Inputs<Self>, threads: usize) -> f64;
    }

    macro_rules! faer_scalar {
        ($t:ty) => {
            impl FaerScalar for $t {
                fn time(routine: &str, x: &Inputs<$t>, threads: usize) -> f64 {
                    use faer::linalg::solvers::Solve;
                    let copy = |m: &matrix::Matrix<$t>| {
                        faer::Mat::<$t>::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)])
                    };
                    faer::set_global_parallelism(if threads > 1 {
                        faer::Par::rayon(threads)
                    } else {
                        faer::Par::Seq
                    });
                    let (spd, g, b) = (copy(&x.spd), copy(&x.g), copy(&x.b));
                    let t = Instant::now();
                    match routine {
                        "cholesky" => drop(std::hint::black_box(
                            spd.llt(faer::Side::Lower).expect("SPD"),
                        )),
                        "lu" => drop(std::hint::black_box(g.partial_piv_lu().solve(&b))),
                        "qr" => drop(std::hint::black_box(g.qr())),
                        other => panic!("unknown routine {other}"),
                    }
                    t.elapsed().as_secs_f64()
                }
            }
        };
    }
    faer_scalar!(f32);
    faer_scalar!(f64);
}

#[cfg(feature = "peers")]
use faer_peer::FaerScalar;

/// Without `--features peers`, no element type has faer.
#[cfg(not(feature = "peers"))]
trait FaerScalar: Scalar {
    fn time(_: &str, _: &Inputs<Self>, _: usize) -> f64 {
        unreachable!("--peer faer is refused without --features peers")
    }
}
#[cfg(not(feature = "peers"))]
impl FaerScalar for f32 {}
#[cfg(not(feature = "peers"))]
impl FaerScalar for f64 {}

fn flops(routine: &str, n: usize) -> f64 {
    let n3 = (n as f64).powi(3);
    match routine {
        "cholesky" => n3 / 3.0,
        "lu" => 2.0 * n3 / 3.0,
        "qr" => 4.0 * n3 / 3.0,
        other => panic!("unknown routine {other}"),
    }
}

/// The same inputs as the peer's: an SPD `X Xᵀ + n I`, a normal matrix,
/// one right-hand side.
struct Inputs<T> {
    spd: Matrix<T>,
    g: Matrix<T>,
    b: Matrix<T>,
}

fn inputs<T: Scalar>(n: usize) -> Inputs<T> {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let mut normal = || {
        // Box–Muller: standard normal values.
        let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let g64 = Matrix::from_fn(n, n, |_, _| normal());
    let mut spd = &g64 * g64.t();
    for i in 0..n {
        spd[(i, i)] += n as f64;
    }
    let b = Matrix::from_fn(n, 1, |_, _| normal());
    let cast = |m: &Matrix<f64>| m.map(T::from_f64);
    Inputs {
        spd: cast(&spd),
        g: cast(&g64),
        b: cast(&b),
    }
}

/// Seconds of one matnet call (on-CPU seconds with `cpu`).
fn time_ours<T: Scalar>(routine: &str, x: &Inputs<T>, cpu: bool) -> f64 {
    let c0 = thread_cpu_ns().filter(|_| cpu);
    let t = Instant::now();
    match routine {
        "cholesky" => drop(std::hint::black_box(x.spd.cholesky().expect("SPD"))),
        "lu" => drop(std::hint::black_box(x.g.solve(&x.b).expect("nonsingular"))),
        "qr" => drop(std::hint::black_box(x.g.qr().expect("finite"))),
        other => panic!("unknown routine {other}"),
    }
    match (c0, thread_cpu_ns()) {
        (Some(c0), Some(c1)) => (c1 - c0) as f64 * 1e-9,
        _ => t.elapsed().as_secs_f64(),
    }
}

/// Median, min and max of GFLOP/s over the timings.
fn stats(flop: f64, times: &[f64]) -> (f64, f64, f64) {
    let mut g: Vec<f64> = times.iter().map(|t| flop / t / 1e9).collect();
    g.sort_by(f64::total_cmp);
    (g[g.len() / 2], g[0], g[g.len() - 1])
}

fn run<T: FaerScalar>(args: &Args, n: usize, threads: usize, peer: &mut Option<Numpy>) {
    let faer = args.peer.iter().any(|p| p == "faer");
    let x = inputs::<T>(n);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    for routine in &args.routines {
        let flop = flops(routine, n);
        let (mut ours, mut numpy, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
        // One warm-up each (round 0), then alternate.
        for round in 0..=args.reps {
            let t = pool.install(|| time_ours(routine, &x, args.cpu_time));
            let n_t = peer.as_mut().map(|p| p.time(routine, n, T::NAME));
            let f_t = faer.then(|| pool.install(|| T::time(routine, &x, threads)));
            if round > 0 {
                ours.push(t);
                numpy.extend(n_t);
                theirs.extend(f_t);
            }
        }
        let (med, lo, hi) = stats(flop, &ours);
        print!("{routine} {n} {} {threads} {med:.1}", T::NAME);
        print!("  # matnet {med:.1} [{lo:.1}-{hi:.1}]");
        for (name, times) in [("numpy", &numpy), ("faer", &theirs)] {
            if !times.is_empty() {
                let (pmed, plo, phi) = stats(flop, times);
                print!(
                    "  {name} {pmed:.1} [{plo:.1}-{phi:.1}] ratio {:.2}",
                    med / pmed
                );
            }
        }
        println!();
    }
}

fn main() {
    let args = Args::parse();
    println!(
        "# ROUTINE N DTYPE THREADS GFLOP/s (median of {} calls)",
        args.reps
    );
    println!("# kernel: {:?}", matrix::selected_kernel());
    for p in &args.peer {
        match p.as_str() {
            "numpy" => {}
            "faer" if cfg!(feature = "peers") => {}
            "faer" => {
                eprintln!("error: --peer faer needs the example built with --features peers");
                std::process::exit(2);
            }
            other => {
                eprintln!("error: --peer {other}: numpy or faer");
                std::process::exit(2);
            }
        }
    }
    for &threads in &args.threads {
        let mut peer = args
            .peer
            .iter()
            .any(|p| p == "numpy")
            .then(|| Numpy::start(threads));
        for &n in &args.n {
            for dtype in &args.dtype {
                match dtype.as_str() {
                    "f64" => run::<f64>(&args, n, threads, &mut peer),
                    "f32" => run::<f32>(&args, n, threads, &mut peer),
                    other => panic!("--dtype {other}: f64 or f32"),
                }
            }
        }
    }
}
