//! matnet's gemm beside its peers, alternated in one process: the
//! comparison of record for gemm speed.
//!
//! ```text
//! cargo run --release --example vs_peers                                 # matnet, matrixmultiply
//! cargo run --release --example vs_peers --features peers                # + faer, the gemm crate
//! cargo run --release --example vs_peers --features peers,openblas       # + OpenBLAS (libopenblas-dev)
//! cargo run --release --example vs_peers -- --dtype f64 --threads 2 --shape 1024:1024:1024
//! ```
//!
//! On a shared machine a burst of load moves one timing by 10% or more, and
//! separate runs of the same build have differed by half. So each round
//! times one batch of products (about 2 ms) of every peer in turn, in an
//! order shuffled from round to round, each batch after one untimed call
//! of the same product (threads awake, data in cache), and bursts hit all
//! of them alike. OpenBLAS's worker threads spin for a while after each
//! call, which halves the speed of whatever runs next on a machine with no
//! spare core, so they are left to stop first;
//! the table gives each peer's median GFLOP/s over the rounds with the
//! spread (min–max), and matnet's median over the best peer's.
//!
//! Every figure is also held against the limit that binds it, measured on
//! the same threads (`benches/support/limits.rs`): a product with one row
//! or one column streams one operand once, so its limit is one read of the
//! same bytes, split between the threads as the product is and timed in
//! the same rounds; any other product is held against the FMA peak of the
//! kernel matnet runs. The header prints the CPU, its caches, the kernel,
//! the FMA peak of every kernel and the read and copy bandwidth of every
//! level of the memory hierarchy.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use matrix::{CacheSizes, KernelKind, Matrix};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

#[path = "../benches/support/limits.rs"]
mod limits;
#[path = "../benches/support/peers.rs"]
mod peers;
use peers::{input, Peer, PeerScalar, SHAPES};

#[derive(Parser)]
#[command(about = "matnet's gemm beside faer, gemm, matrixmultiply and OpenBLAS, alternated")]
struct Args {
    /// Element types to measure, comma-separated: f32, f64.
    #[arg(long, default_value = "f32,f64")]
    dtype: String,
    /// Thread counts, comma-separated.
    #[arg(long, default_value = "1,2")]
    threads: String,
    /// Rounds per shape (each times one batch of products of every peer).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Shapes as M:K:N (C = A B, all row-major); repeatable. Default: the
    /// criterion bench's shapes.
    #[arg(long)]
    shape: Vec<String>,
    /// Peers to measure, comma-separated (matnet always runs). Default:
    /// every peer built in.
    #[arg(long)]
    peers: Option<String>,
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

fn parse_threads(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .map(|t| {
            t.trim()
                .parse::<usize>()
                .ok()
                .filter(|&t| (1..=256).contains(&t))
                .ok_or_else(|| format!("--threads: '{t}' is not a thread count in 1..=256"))
        })
        .collect()
}

/// Median, min and max of some timings, as rates `work / time`.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of_times(work: f64, mut times: Vec<f64>) -> Spread {
        times.sort_by(f64::total_cmp);
        let rate = |t: f64| work / t;
        Spread {
            median: rate(times[times.len() / 2]),
            min: rate(times[times.len() - 1]),
            max: rate(times[0]),
        }
    }
}

/// How long OpenBLAS's worker threads are left to stop spinning before the
/// next entry runs (longer than their default spin of 2^28 cycles).
const OPENBLAS_SETTLE: std::time::Duration = std::time::Duration::from_millis(200);

/// One entry of a round: a peer's product, or the read of the streamed
/// operand's bytes that bounds a one-row or one-column product.
#[derive(Clone, Copy, PartialEq)]
enum Entry {
    Product(Peer),
    Read,
}

/// Each entry's spread over `rounds` rotated rounds, in GFLOP/s for the
/// products and in reads per second for the read.
fn measure<T: PeerScalar>(
    (m, k, n): (usize, usize, usize),
    threads: usize,
    entries: &[Entry],
    rounds: usize,
) -> Vec<Spread> {
    let (a, b) = (input::<T>(m, k), input::<T>(k, n));
    let mut c = Matrix::<T>::zeros(m, n);
    // The operand a one-row product streams is B; a one-column one, A.
    let streamed = std::mem::size_of::<T>() * if m == 1 { k * n } else { m * k };
    let stream = vec![1f32; streamed / 4];
    let flop = 2.0 * (m * k * n) as f64;
    // About 2 ms of products per timing at 100 GFLOP/s.
    let reps = ((2e8 / flop) as usize).max(1);
    let mut times = vec![Vec::with_capacity(rounds); entries.len()];
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let mut rng = StdRng::seed_from_u64(0);
    for round in 0..=rounds {
        order.shuffle(&mut rng);
        for &e in &order {
            let mut once = || match entries[e] {
                Entry::Product(peer) => peer.gemm(threads, &a, &b, &mut c),
                Entry::Read => {
                    std::hint::black_box(limits::read_split(&stream));
                }
            };
            // One untimed call first: whatever ran before (another peer's
            // threads, a pause), this one's threads are awake and its data
            // in cache when the clock starts.
            once();
            let start = Instant::now();
            for _ in 0..reps {
                once();
            }
            // Round 0 warms up every entry (buffers, caches, thread pools).
            if round > 0 {
                times[e].push(start.elapsed().as_secs_f64() / reps as f64);
            }
            if entries[e] == Entry::Product(Peer::OpenBlas) && threads > 1 {
                // OpenBLAS's workers spin (yielding) for about 2^28 cycles
                // after a call before they sleep; on a machine with no
                // spare core that halves the speed of whatever runs next.
                // The pool's threads wait them out busy, not asleep: a
                // virtual CPU left idle comes back slow.
                rayon::broadcast(|_| {
                    let start = Instant::now();
                    while start.elapsed() < OPENBLAS_SETTLE {
                        std::hint::spin_loop();
                    }
                });
            }
        }
    }
    times
        .into_iter()
        .zip(entries)
        .map(|(t, e)| match e {
            Entry::Product(_) => Spread::of_times(flop / 1e9, t),
            Entry::Read => Spread::of_times(1.0, t),
        })
        .collect()
}

fn cell(s: &Spread) -> String {
    format!("{:.1} ({:.0}–{:.0})", s.median, s.min, s.max)
}

fn run(args: Args) -> Result<(), String> {
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    let dtypes: Vec<&str> = args.dtype.split(',').map(str::trim).collect();
    if let Some(bad) = dtypes.iter().find(|d| !["f32", "f64"].contains(d)) {
        return Err(format!("--dtype: '{bad}' is not f32 or f64"));
    }
    let thread_counts = parse_threads(&args.threads)?;
    let shapes = if args.shape.is_empty() {
        SHAPES.iter().map(|&(_, m, k, n)| (m, k, n)).collect()
    } else {
        args.shape
            .iter()
            .map(|s| parse_shape(s))
            .collect::<Result<Vec<_>, _>>()?
    };
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let mut peers = Peer::built();
    if let Some(list) = &args.peers {
        let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
        if let Some(bad) = wanted
            .iter()
            .find(|w| !peers.iter().any(|p| p.name() == **w))
        {
            let built: Vec<&str> = peers.iter().map(|p| p.name()).collect();
            return Err(format!(
                "--peers: '{bad}' is not built in (built: {}; faer and gemm need --features peers, openblas --features openblas)",
                built.join(", ")
            ));
        }
        peers.retain(|p| *p == Peer::Matnet || wanted.contains(&p.name()));
    }
    println!("# {}", support::report::machine());
    println!(
        "# matnet kernel={kernel}; peers: {}; {} rounds",
        peers
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", "),
        args.rounds
    );
    if !cfg!(feature = "peers") {
        println!("# (faer and the gemm crate: --features peers; OpenBLAS: --features openblas)");
    }
    let caches = CacheSizes::detect();
    let pools = thread_counts
        .iter()
        .map(|&threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(|pool| (threads, pool))
                .map_err(|e| format!("cannot start {threads} threads: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The FMA peak of matnet's kernel by (threads, element size): the
    // limit of the compute-bound rows.
    let mut kernel_peak = HashMap::new();
    for (threads, pool) in &pools {
        let mut peaks = Vec::new();
        for k in KernelKind::supported() {
            for (dtype, size) in [("f32", 4), ("f64", 8)] {
                if let Some(p) = limits::fma_peak(pool, k, size, 5) {
                    peaks.push(format!("{k} {dtype} {p:.1}"));
                    if k == kernel {
                        kernel_peak.insert((*threads, size), p);
                    }
                }
            }
        }
        println!(
            "# {threads} thread(s): FMA peak GFLOP/s: {}",
            peaks.join(", ")
        );
        let streams: Vec<String> = limits::stream_levels(caches)
            .iter()
            .map(|&(level, bytes)| {
                let (read, copy) = limits::stream_bandwidth(pool, bytes, 7);
                format!("{level} ({} KiB) {read:.1} / {copy:.1}", bytes >> 10)
            })
            .collect();
        println!(
            "# {threads} thread(s), a buffer each: read / copy GB/s: {}",
            streams.join(", ")
        );
    }
    println!();
    let names: Vec<&str> = peers.iter().map(|p| p.name()).collect();
    println!(
        "| M K N | dtype | threads | {} | matnet / best peer | matnet of its limit |",
        names.join(" | ")
    );
    println!("|{}", "---|".repeat(names.len() + 5));
    for dtype in &dtypes {
        let size = if *dtype == "f32" { 4 } else { 8 };
        for &(threads, ref pool) in &pools {
            let peak = kernel_peak
                .get(&(threads, size))
                .copied()
                .unwrap_or(f64::NAN);
            for &(m, k, n) in &shapes {
                let mut entries: Vec<Entry> = peers
                    .iter()
                    .filter(|p| p.runs_on(threads))
                    .map(|&p| Entry::Product(p))
                    .collect();
                let vector = m == 1 || n == 1;
                if vector {
                    entries.push(Entry::Read);
                }
                let spreads = pool.install(|| match *dtype {
                    "f32" => measure::<f32>((m, k, n), threads, &entries, args.rounds),
                    _ => measure::<f64>((m, k, n), threads, &entries, args.rounds),
                });
                let of = |e: Entry| entries.iter().position(|&x| x == e).map(|i| spreads[i]);
                let ours = of(Entry::Product(Peer::Matnet)).expect("matnet is always measured");
                let cells: Vec<String> = peers
                    .iter()
                    .map(|&p| of(Entry::Product(p)).map_or("—".into(), |s| cell(&s)))
                    .collect();
                let best_peer = peers[1..]
                    .iter()
                    .filter_map(|&p| of(Entry::Product(p)).map(|s| (p, s.median)))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                let ratio = best_peer.map_or("—".into(), |(p, median)| {
                    format!("{:.2} ({})", ours.median / median, p.name())
                });
                let limit = match of(Entry::Read) {
                    // Products per second over reads per second of the same bytes.
                    Some(read) => {
                        let products_per_s = ours.median * 1e9 / (2.0 * (m * k * n) as f64);
                        format!("{:.0}% of a read", 100.0 * products_per_s / read.median)
                    }
                    None => format!("{:.0}% of FMA peak", 100.0 * ours.median / peak),
                };
                println!(
                    "| {m} {k} {n} | {dtype} | {threads} | {} | {ratio} | {limit} |",
                    cells.join(" | ")
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    support::report::exit(run(Args::parse()))
}
