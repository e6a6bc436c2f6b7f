//! The two-moons problem: train `2 -> 100 (tanh) -> 2 (tanh) -> 1 (sigmoid)`
//! with binary cross-entropy and draw what it learned.
//!
//! ```text
//! cargo run --release --example moons                        # pictures in target/moons/
//! cargo run --release --example moons -- --frames 5 --gif    # plus frames/ and embedding.gif
//! cargo run --release --example moons -- --help
//! ```
//!
//! Writes into `--out DIR`: `dataset.png` (the points), `linear.png` and
//! `affine.png` (the points after `W x` and after `W x + b`, for a 2x2 `W`
//! and `b` drawn with `--seed` beside those of the first layer of a trained
//! 2-2-2-1 network), `boundary.png` (the input plane shaded by the
//! predicted probability, the p = 0.5 boundary, the points), `embedding.png`
//! (every point through the 2-unit tanh layer, with the output layer's
//! separating line), `training.png` (loss and accuracy per epoch); with
//! `--frames N` also `frames/boundary_EEEE.png` and
//! `frames/embedding_EEEE.png` every N epochs (and at epoch 0), with `--gif`
//! `boundary.gif` and `embedding.gif` (a frame every N epochs, default 5). The last line of stdout is
//! `result: test_accuracy=... train_seconds=...` (training only: drawing and
//! evaluation are not counted).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use nn::dataset::Dataset;
use nn::train::accuracy;
use nn::{fit, EpochReport, Network, Observer, OptimizerKind, Schedule, TrainConfig};
use support::moons::{
    embedding, first_layer_map, output_line, random_affine, reference_network, split, two_moons,
};
use support::plot::{
    plot_boundary, plot_embedding, plot_maps, plot_training, Affine2, AnimatedGif, MapPanel,
};

/// Train the two-moons network (2 -> hidden (tanh) -> 2 (tanh) -> 1
/// (sigmoid)) and draw its decision boundary and 2-D embedding as PNGs.
#[derive(Parser, Debug)]
#[command(version, long_about = None)]
struct Args {
    /// Points to generate (80% train, 20% test).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=10_000_000))]
    points: u64,
    /// Standard deviation of the Gaussian noise added to each coordinate.
    #[arg(long, default_value_t = 0.1, value_parser = parse_noise)]
    noise: f64,
    /// Width of the first (tanh) hidden layer.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    hidden: u64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    epochs: u64,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01, value_parser = parse_lr)]
    lr: f64,
    /// Update rule: sgd, momentum, nesterov or adam.
    #[arg(long, default_value = "adam", value_parser = parse_optimizer)]
    optimizer: OptimizerKind,
    /// Mini-batch size; 0 or "full" trains on the whole training set per step.
    #[arg(long, default_value = "32", value_parser = parse_batch)]
    batch: usize,
    /// Seed of the data, the split, the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory for the pictures (created if missing).
    #[arg(long, default_value = "target/moons")]
    out: PathBuf,
    /// Prefix of the picture names (e.g. "moons_" gives moons_boundary.png).
    #[arg(long, default_value = "")]
    prefix: String,
    /// Also draw frames/boundary_EEEE.png and frames/embedding_EEEE.png every N epochs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    frames: Option<u64>,
    /// Also write animated boundary.gif and embedding.gif (a frame every
    /// --frames epochs, default 5).
    #[arg(long)]
    gif: bool,
    /// Size of the pictures in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "640x600", value_parser = parse_size)]
    size: (u32, u32),
}

fn parse_noise(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=10.0).contains(&x) => Ok(x),
        _ => Err(format!("'{s}' is not a noise level in [0, 10]")),
    }
}

fn parse_lr(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 100.0 => Ok(x),
        _ => Err(format!("'{s}' is not a learning rate in (0, 100]")),
    }
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    OptimizerKind::from_name(s)
        .ok_or_else(|| format!("'{s}' is not one of sgd, momentum, nesterov, adam"))
}

fn parse_batch(s: &str) -> Result<usize, String> {
    if s == "full" {
        return Ok(0);
    }
    s.parse::<usize>()
        .map_err(|_| format!("'{s}' is not a batch size (a number, or 'full')"))
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("'{s}' is not WIDTHxHEIGHT with each in 200..=4000 (e.g. 640x600)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) = (
        w.parse::<u32>().map_err(|_| bad())?,
        h.parse::<u32>().map_err(|_| bad())?,
    );
    if !(200..=4000).contains(&w) || !(200..=4000).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Prints a line every 10 epochs (and the first and last) and keeps the
/// curves for training.png.
#[derive(Default)]
struct Printer {
    loss: Vec<f64>,
    train: Vec<f64>,
    test: Vec<f64>,
}

impl Observer for Printer {
    fn on_epoch(&mut self, r: &EpochReport, _net: &Network<f32>) {
        let test = r.validation_accuracy.unwrap_or(f64::NAN);
        if r.epoch == 1 || r.epoch.is_multiple_of(10) || r.epoch == r.epochs {
            println!(
                "{:>9} {:>8.4} {:>7.2}% {:>7.2}%",
                format!("{}/{}", r.epoch, r.epochs),
                r.loss,
                100.0 * r.train_accuracy,
                100.0 * test
            );
        }
        self.loss.push(r.loss);
        self.train.push(r.train_accuracy);
        self.test.push(test);
    }
}

/// Draws the per-epoch pictures: PNG frames and/or GIF frames.
/// Prints the table and keeps a copy of the parameters every `every` epochs
/// (and at the last): frames are drawn from them after training, so drawing
/// neither slows training nor has to happen on the training thread.
struct PrintAndSnapshot<'p, 's> {
    printer: &'p mut Printer,
    every: usize,
    snapshots: &'s mut Vec<(usize, Vec<f32>)>,
}

impl Observer for PrintAndSnapshot<'_, '_> {
    fn on_epoch(&mut self, r: &EpochReport, net: &Network<f32>) {
        self.printer.on_epoch(r, net);
        if r.epoch.is_multiple_of(self.every) || r.epoch == r.epochs {
            self.snapshots.push((r.epoch, net.params().to_vec()));
        }
    }
}

struct Frames<'a> {
    dir: Option<PathBuf>,
    /// The decision boundary's and the embedding's animations.
    gifs: Option<(AnimatedGif, AnimatedGif)>,
    every: usize,
    /// Every point (train and test), drawn in each frame.
    all: &'a Dataset,
    size: (u32, u32),
    /// The first error; drawing stops there, training goes on.
    error: Option<String>,
}

impl Frames<'_> {
    fn draw(&mut self, net: &mut Network<f32>, epoch: usize, last: bool) {
        if self.error.is_some() || !(epoch.is_multiple_of(self.every) || last) {
            return;
        }
        if let Err(e) = self.try_draw(net, epoch) {
            self.error = Some(e);
        }
    }

    fn try_draw(&mut self, net: &mut Network<f32>, epoch: usize) -> Result<(), String> {
        let h = embedding(net, self.all.images.view()).map_err(|e| e.to_string())?;
        let line = output_line(net);
        let title = format!("2-D tanh embedding, epoch {epoch}");
        if let Some(dir) = &self.dir {
            plot_boundary(
                &dir.join(format!("boundary_{epoch:04}.png")),
                net,
                self.all,
                &format!("decision boundary, epoch {epoch}"),
                self.size,
            )
            .map_err(|e| e.to_string())?;
            plot_embedding(
                &dir.join(format!("embedding_{epoch:04}.png")),
                h.view(),
                &self.all.labels,
                line,
                &title,
                self.size,
            )
            .map_err(|e| e.to_string())?;
        }
        if let Some((boundary, emb)) = &mut self.gifs {
            boundary
                .add_boundary(net, self.all, &format!("decision boundary, epoch {epoch}"))
                .map_err(|e| e.to_string())?;
            emb.add_embedding(h.view(), &self.all.labels, line, &title)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// `data`'s rows and labels followed by `other`'s.
fn concat(data: &Dataset, other: &Dataset) -> Dataset {
    let mut images = data.images.as_slice().to_vec();
    images.extend_from_slice(other.images.as_slice());
    let mut labels = data.labels.clone();
    labels.extend_from_slice(&other.labels);
    Dataset {
        images: matrix::Matrix::from_vec(labels.len(), data.images.cols(), images),
        labels,
        classes: data.classes,
        image_shape: data.image_shape,
    }
}

fn run(args: Args) -> Result<(), String> {
    matrix::selected_kernel().map_err(|e| e.to_string())?;
    let data = two_moons(args.points as usize, args.noise, args.seed);
    let (train, test) = split(&data, 0.8, args.seed);
    if args.batch > train.len() {
        return Err(format!(
            "--batch {} is larger than the {} training points (use --batch full for full-batch training)",
            args.batch,
            train.len()
        ));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let out = |name: &str| args.out.join(format!("{}{name}", args.prefix));
    plot_maps(
        &out("dataset.png"),
        &data,
        &[MapPanel {
            title: &format!("the two moons: {} points, noise {}", data.len(), args.noise),
            map: Affine2::IDENTITY,
        }],
        "",
        args.size,
    )
    .map_err(|e| e.to_string())?;

    let mut net = reference_network(args.hidden as usize, args.seed).map_err(|e| e.to_string())?;
    let config = TrainConfig {
        epochs: args.epochs as usize,
        batch_size: args.batch,
        learning_rate: args.lr,
        optimizer: args.optimizer,
        weight_decay: 0.0,
        schedule: Schedule::Constant,
        seed: args.seed,
        validate_every: 1,
    };
    println!(
        "two moons: {} points (train {}, test {}), noise {} | network {} | {} lr {} | batch {} | {} epochs",
        data.len(),
        train.len(),
        test.len(),
        args.noise,
        net.describe(),
        args.optimizer.name(),
        args.lr,
        if args.batch == 0 { "full".to_string() } else { args.batch.to_string() },
        config.epochs
    );
    println!("{:>9} {:>8} {:>8} {:>8}", "epoch", "loss", "train", "test");

    let all = concat(&train, &test);
    let mut printer = Printer::default();
    let summary = if args.frames.is_some() || args.gif {
        let every = args.frames.unwrap_or(5) as usize;
        let dir = match args.frames {
            Some(_) => {
                let dir = args.out.join("frames");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Some(dir)
            }
            None => None,
        };
        let gifs = match args.gif {
            true => Some((
                AnimatedGif::create(&out("boundary.gif"), args.size, 150)
                    .map_err(|e| e.to_string())?,
                AnimatedGif::create(&out("embedding.gif"), args.size, 150)
                    .map_err(|e| e.to_string())?,
            )),
            false => None,
        };
        let mut frames = Frames {
            dir,
            gifs,
            every,
            all: &all,
            size: args.size,
            error: None,
        };
        frames.draw(&mut net, 0, false);
        let mut snapshots = Vec::new();
        let mut observer = PrintAndSnapshot {
            printer: &mut printer,
            every,
            snapshots: &mut snapshots,
        };
        let summary = fit(&mut net, &train, Some(&test), &config, &mut observer)
            .map_err(|e| e.to_string())?;
        let trained = net.params().to_vec();
        for (epoch, params) in &snapshots {
            net.params_mut().copy_from_slice(params);
            frames.draw(&mut net, *epoch, true);
        }
        net.params_mut().copy_from_slice(&trained);
        if let Some(e) = frames.error {
            return Err(e);
        }
        if let Some((boundary, emb)) = &frames.gifs {
            eprintln!(
                "# wrote {} and {} ({} frames each)",
                out("boundary.gif").display(),
                out("embedding.gif").display(),
                emb.frames().min(boundary.frames())
            );
        }
        summary
    } else {
        fit(&mut net, &train, Some(&test), &config, &mut printer).map_err(|e| e.to_string())?
    };

    let train_acc = accuracy(&mut net, &train).map_err(|e| e.to_string())?;
    let test_acc = accuracy(&mut net, &test).map_err(|e| e.to_string())?;
    println!(
        "accuracy: train {:.2}%  test {:.2}%",
        100.0 * train_acc,
        100.0 * test_acc
    );

    let (w1, w2, b) = output_line(&net).ok_or("the network has no 2 -> 1 output layer")?;
    let final_title = |what: &str| format!("{what}: test accuracy {:.1}%", 100.0 * test_acc);
    plot_boundary(
        &out("boundary.png"),
        &mut net,
        &all,
        &final_title("decision boundary"),
        args.size,
    )
    .map_err(|e| e.to_string())?;
    let h = embedding(&mut net, all.images.view()).map_err(|e| e.to_string())?;
    plot_embedding(
        &out("embedding.png"),
        h.view(),
        &all.labels,
        Some((w1, w2, b)),
        &final_title("2-D tanh embedding"),
        args.size,
    )
    .map_err(|e| e.to_string())?;
    plot_training(
        &out("training.png"),
        &format!(
            "{}, {} lr {}",
            net.describe(),
            args.optimizer.name(),
            args.lr
        ),
        &printer.loss,
        &[("train", &printer.train), ("test", &printer.test)],
        args.size,
    )
    .map_err(|e| e.to_string())?;
    let small_acc = plot_layer_maps(&args, &mut net, &train, &test, &all)?;
    println!(
        "layer pictures: the trained 2-2-2-1 network reaches {:.2}% test accuracy",
        100.0 * small_acc
    );
    println!(
        "pictures: {}",
        [
            "dataset.png",
            "linear.png",
            "affine.png",
            "boundary.png",
            "embedding.png",
            "training.png"
        ]
        .map(|name| out(name).display().to_string())
        .join(" ")
    );
    if args.frames.is_some() {
        println!("frames: {}", Path::new(&args.out).join("frames").display());
    }
    println!("output line: {w1:.3}*h1 {w2:+.3}*h2 {b:+.3} = 0 separates the embedded classes");
    println!(
        "result: test_accuracy={test_acc:.4} train_seconds={:.1}",
        summary.train_seconds
    );
    Ok(())
}

/// `linear.png` and `affine.png`: every point after `W x` and after
/// `W x + b`, for a `W` and `b` drawn with `--seed` (what any 2x2 layer
/// does: lines stay lines, the grid is sheared, turned and stretched, and
/// `b` only moves it) beside the first layer of a trained 2-2-2-1 network
/// (which `W` and `b` training chose: the network with 2 units per hidden
/// layer, since a 2 -> hidden layer can be drawn only when hidden is 2).
/// That network is `net` itself with `--hidden 2`, else one trained here
/// on the same data with [`small_config`]. Returns its test accuracy.
fn plot_layer_maps(
    args: &Args,
    net: &mut Network<f32>,
    train: &Dataset,
    test: &Dataset,
    all: &Dataset,
) -> Result<f64, String> {
    let mut own;
    let small = if first_layer_map(net).is_some() {
        net
    } else {
        own = reference_network(2, args.seed).map_err(|e| e.to_string())?;
        fit(&mut own, train, None, &small_config(args.seed), &mut ()).map_err(|e| e.to_string())?;
        &mut own
    };
    let acc = accuracy(small, test).map_err(|e| e.to_string())?;
    let trained = first_layer_map(small).ok_or("the 2-2-2-1 network has no 2x2 first layer")?;
    let seeded = random_affine(args.seed);
    let out = |name: &str| args.out.join(format!("{}{name}", args.prefix));
    let seeded_name = format!(
        "W = {} (drawn with seed {})",
        seeded.describe_w(),
        args.seed
    );
    let trained_name = format!(
        "W = {}: trained 2-2-2-1 net ({:.0}%)",
        trained.describe_w(),
        100.0 * acc
    );
    plot_maps(
        &out("linear.png"),
        all,
        &[
            MapPanel {
                title: &format!("W·x, {seeded_name}"),
                map: seeded.linear(),
            },
            MapPanel {
                title: &format!("W·x, {trained_name}"),
                map: trained.linear(),
            },
        ],
        "linear map x → W·x: the grid's lines stay straight and parallel, the origin stays put",
        args.size,
    )
    .map_err(|e| e.to_string())?;
    plot_maps(
        &out("affine.png"),
        all,
        &[
            MapPanel {
                title: &format!("W·x + b, b = {}", seeded.describe_b()),
                map: seeded,
            },
            MapPanel {
                title: &format!("W·x + b, b = {} (trained)", trained.describe_b()),
                map: trained,
            },
        ],
        "affine map x → W·x + b: the same picture moved by b (then tanh bends it)",
        args.size,
    )
    .map_err(|e| e.to_string())?;
    Ok(acc)
}

/// How the 2-2-2-1 network of the layer pictures is trained: with 2 units
/// the default settings (lr 0.01, 150 epochs) mostly stop in a poor
/// minimum near 88% whose first layer squashes the plane onto a line; a
/// larger step for longer finds a separating one (100% for most seeds).
fn small_config(seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: 300,
        batch_size: 32,
        learning_rate: 0.1,
        optimizer: OptimizerKind::from_name("adam").expect("adam is an optimizer"),
        seed,
        ..TrainConfig::default()
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    support::report::exit(run(args))
}
