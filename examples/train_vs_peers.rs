//! Training throughput, ours beside a peer's, in one run: rounds of
//! `--steps` steps on shuffled MNIST batches, ours and the peer's taking
//! turns, then the median samples/s of each with the spread (min-max) and
//! the ratio of medians. The peer is PyTorch's CPU build
//! (`benches/peers/torch_train.py`) or, for the MLP, the same network
//! written in numpy (`benches/peers/numpy_train.py`), run with `$PYTHON`
//! (default `python3`; `bash benches/peers/run train` sets one up).
//!
//! ```text
//! cargo run --release --example train_vs_peers -- --net cnn --rounds 3
//! cargo run --release --example train_vs_peers -- --net lenet --steps 400
//! cargo run --release --example train_vs_peers -- --net mlp --peer numpy
//! ```
//!
//! Both sides read the same files (the tests' lookup: `$MNIST_DIR`, else
//! `data/mnist/`, else a download there), time the steps only (data in
//! memory beforehand, 5 untimed warm-up steps), and use the same network,
//! batch, optimizer and threads. The networks are `mnist`'s: `cnn` is
//! PyTorch's MNIST example (`--preset cnn`, Adadelta lr 1.0), `lenet`
//! LeNet-5's shape (Adadelta lr 1.0), `mlp` the default 784-800-10 network
//! (SGD with momentum 0.9, lr 0.05, batch 128). Where the peer is missing,
//! ours is measured alone, with a note.

use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use matrix::Matrix;
use nn::network::{layers_from_spec, LENET5, PYTORCH_MNIST_EXAMPLE};
use nn::optim::Optimizer;
use nn::{Init, Loss, Network, OptimizerKind};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

#[path = "../tests/support/mnist.rs"]
mod mnist_data;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Net {
    /// PyTorch's MNIST example network.
    Cnn,
    /// LeNet-5's shape.
    Lenet,
    /// `mnist`'s default network, 784-800-10.
    Mlp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PeerKind {
    /// PyTorch's CPU build.
    Torch,
    /// The network written in numpy (`--net mlp` only).
    Numpy,
}

impl PeerKind {
    /// The name its figures are printed under.
    fn name(self) -> &'static str {
        match self {
            PeerKind::Torch => "pytorch",
            PeerKind::Numpy => "numpy",
        }
    }

    /// Its script: `benches/peers/<script>_train.py`.
    fn script(self) -> &'static str {
        match self {
            PeerKind::Torch => "torch",
            PeerKind::Numpy => "numpy",
        }
    }
}

#[derive(Parser)]
#[command(about = "Training samples/s: ours beside PyTorch's or numpy's, alternated in one run")]
struct Args {
    /// The network.
    #[arg(long, value_enum, default_value = "cnn")]
    net: Net,
    /// The peer.
    #[arg(long, value_enum, default_value = "torch")]
    peer: PeerKind,
    /// Timed steps per round and side.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    steps: u32,
    /// Rounds, each side once per round.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Samples per step (default: 64 for the CNNs, 128 for the MLP).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    batch: Option<u32>,
    /// Threads of both sides.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
}

fn main() -> ExitCode {
    support::report::exit(run(Args::parse()))
}

/// What each network trains with: its layers, update rule and rate.
struct Recipe {
    name: &'static str,
    spec: &'static str,
    rule: &'static str,
    lr: f64,
    batch: u32,
}

fn recipe(net: Net) -> Recipe {
    match net {
        Net::Cnn => Recipe {
            name: "cnn",
            spec: PYTORCH_MNIST_EXAMPLE,
            rule: "adadelta",
            lr: 1.0,
            batch: 64,
        },
        Net::Lenet => Recipe {
            name: "lenet",
            spec: LENET5,
            rule: "adadelta",
            lr: 1.0,
            batch: 64,
        },
        Net::Mlp => Recipe {
            name: "mlp",
            spec: "dense:800,relu,dense:10",
            rule: "momentum",
            lr: 0.05,
            batch: 128,
        },
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.peer == PeerKind::Numpy && args.net != Net::Mlp {
        return Err("--peer numpy has the mlp network only (--net mlp)".into());
    }
    let base = recipe(args.net);
    let recipe = Recipe {
        batch: args.batch.unwrap_or(base.batch),
        ..base
    };
    support::threads::start_pool(Some(args.threads as usize))?;
    let dir = mnist_data::try_mnist_dir()?;
    let mnist = nn::dataset::load_mnist(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let peer = args.peer.name();
    println!(
        "# {}, batch {}, {} steps per round, {} threads, kernel {kernel}, {}",
        recipe.name,
        recipe.batch,
        args.steps,
        args.threads,
        support::report::machine()
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let sps = our_samples_per_second(&mnist.train, &recipe, &args, round.into())?;
        println!("round {round}: matnet {sps:.0} samples/s");
        ours.push(sps);
        if round > 0 && theirs.is_empty() {
            continue; // the peer is missing: said once, in round 0
        }
        match peer_samples_per_second(&dir, &recipe, &args, round.into()) {
            Ok(sps) => {
                println!("round {round}: {peer} {sps:.0} samples/s");
                theirs.push(sps);
            }
            Err(e) if round == 0 => {
                println!("# {peer} not measured: {e}");
            }
            Err(e) => return Err(e),
        }
    }
    let summary = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (m, lo, hi) = summary(&mut ours);
    println!("matnet  median {m:.0} samples/s ({lo:.0}-{hi:.0})");
    if !theirs.is_empty() {
        let (t, tlo, thi) = summary(&mut theirs);
        println!("{peer} median {t:.0} samples/s ({tlo:.0}-{thi:.0})");
        println!("ratio matnet/{peer} {:.2}", m / t);
    }
    Ok(())
}

/// Our samples/s over `args.steps` steps after 5 warm-up steps.
fn our_samples_per_second(
    train: &nn::dataset::Dataset,
    recipe: &Recipe,
    args: &Args,
    seed: u64,
) -> Result<f64, String> {
    let layers = layers_from_spec(recipe.spec, (1, 28, 28))?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng)
        .map_err(|e| e.to_string())?;
    let kind = OptimizerKind::from_name(recipe.rule).expect("a known rule");
    let mut opt = Optimizer::try_new(kind, net.params().len(), 0.0, net.weight_ranges())
        .map_err(|e| e.to_string())?;
    let batch = recipe.batch as usize;
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut rng);
    let mut x = Matrix::<f32>::zeros(batch, train.features());
    let mut labels = vec![0u8; batch];
    let mut step = |i: usize| -> Result<(), String> {
        let start = (i * batch) % (train.len() - batch);
        for (r, &s) in order[start..start + batch].iter().enumerate() {
            x.row_mut(r).copy_from_slice(train.images.row(s));
            labels[r] = train.labels[s];
        }
        net.train_step_and_update(x.view(), &labels, &mut opt, recipe.lr)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for i in 0..5 {
        step(i)?;
    }
    let start = Instant::now();
    for i in 0..args.steps as usize {
        step(5 + i)?;
    }
    Ok((args.steps as usize * batch) as f64 / start.elapsed().as_secs_f64())
}

/// The peer's samples/s, from `benches/peers/{torch,numpy}_train.py`.
fn peer_samples_per_second(
    dir: &std::path::Path,
    recipe: &Recipe,
    args: &Args,
    seed: u64,
) -> Result<f64, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "{}/benches/peers/{}_train.py",
        env!("CARGO_MANIFEST_DIR"),
        args.peer.script()
    );
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir)
        .arg(recipe.name)
        .args([args.steps, recipe.batch, args.threads].map(|n| n.to_string()))
        .arg(seed.to_string())
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{script} failed: {}",
            err.lines().last().unwrap_or("no message")
        ));
    }
    stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("samples_per_second="))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{script} printed no figure"))
}
