//! Train a dense network on MNIST and evaluate it.
//!
//! ```text
//! cargo run --release --example mnist                      # 784-800-10 ReLU, reaches ~98.4%
//! cargo run --release --example mnist -- --preset seed000  # the reference numpy Network
//! cargo run --release --example mnist -- --help
//! ```
//!
//! Data: `--data DIR`, else `$MNIST_DIR`, else `data/mnist/` (downloaded
//! there, checksum-verified, if missing, from the base URLs in
//! `$MATNET_MNIST_MIRRORS` when set, else the built-in public mirrors). The
//! last line of stdout is
//! `result: test_accuracy=... train_seconds=... samples_per_second=...`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use nn::dataset::{load_mnist, Dataset};
use nn::metrics::ConfusionMatrix;
use nn::model_file::{load_model, save_model};
use nn::train::{accuracy, predict};
use nn::{
    fit, Activation, Init, InputSparsity, Loss, Network, OptimizerKind, Schedule, TrainConfig,
};
use rand::{rngs::StdRng, SeedableRng};
use support::report::{draw_images, EpochPrinter};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Preset {
    /// The numpy `Network` class: 784-10-10 ReLU, uniform init, lr 0.5,
    /// full-batch GD, 1000 epochs on the first 33,600 images, 8,400 validation.
    Seed000,
    /// 784-10-10 from scratch: lr 0.1, full batch, 1000 iterations, accuracy
    /// every 50, then actual vs predicted labels of the first 20 test images.
    Seed001,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ScheduleArg {
    Constant,
    Cosine,
    Step,
}

/// Train a dense network on MNIST and evaluate it on the test set.
#[derive(Parser, Debug)]
#[command(
    version,
    about = "Train a dense network on MNIST and evaluate it on the test set.",
    long_about = None,
    after_help = "Environment:\n  \
        MNIST_DIR             directory with the MNIST files (when --data is not given)\n  \
        MATNET_MNIST_MIRRORS  comma-separated base URLs to download MNIST from, replacing\n                        \
        the built-in public mirrors (e.g. a local mirror or a proxy); files are\n                        \
        still SHA-256 checked\n  \
        MATNET_KERNEL         avx512 | avx2 | portable: force a gemm kernel\n  \
        RAYON_NUM_THREADS     threads (also --threads)"
)]
struct Args {
    /// Directory with the four MNIST IDX files (.gz or not). Default:
    /// $MNIST_DIR, else data/mnist/ (downloaded there if missing, from
    /// $MATNET_MNIST_MIRRORS or the built-in mirrors).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Hidden layer widths, comma-separated (e.g. 800 or 512,256).
    #[arg(long, default_value = "800", value_delimiter = ',')]
    hidden: Vec<usize>,
    /// Activation after each hidden layer.
    #[arg(long, default_value = "relu", value_parser = parse_activation)]
    activation: Activation,
    /// Passes over the training set.
    #[arg(long, default_value_t = 30, allow_negative_numbers = true, value_parser = parse_epochs)]
    epochs: u64,
    /// Mini-batch size; 0 or "full" trains on the whole training set per step.
    #[arg(long, default_value = "64", value_parser = parse_batch)]
    batch: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true, value_parser = parse_lr)]
    lr: f64,
    /// Update rule.
    #[arg(long, default_value = "momentum", value_parser = parse_optimizer)]
    optimizer: OptimizerKind,
    /// L2 weight decay on the weights.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Learning-rate schedule over the epochs.
    #[arg(long, value_enum, default_value = "cosine")]
    schedule: ScheduleArg,
    /// Seed for initialisation and shuffling [default: 0; 1 for the presets].
    #[arg(long)]
    seed: Option<u64>,
    /// Threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    threads: Option<usize>,
    /// Hold out the last N training images for validation.
    #[arg(long, default_value_t = 0)]
    validation: usize,
    /// Save the trained model (safetensors) to FILE.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Evaluate a saved model instead of training.
    #[arg(long, value_name = "FILE", conflicts_with = "save")]
    load: Option<PathBuf>,
    /// Reproduce a reference configuration (overrides the network and training flags).
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// Write the per-epoch loss and accuracy curves as a PNG to FILE.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Print a table line every N epochs.
    #[arg(long, default_value_t = 1)]
    log_every: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Always multiply the first layer's input as a dense matrix (by
    /// default a batch that is at most 25% nonzero, as MNIST's ~19% is,
    /// takes the sparse product; the results agree to rounding).
    #[arg(long)]
    dense_input: bool,
}

fn parse_activation(s: &str) -> Result<Activation, String> {
    Activation::from_name(s).ok_or_else(|| format!("'{s}' is not one of relu, tanh, sigmoid"))
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    OptimizerKind::from_name(s)
        .ok_or_else(|| format!("'{s}' is not one of sgd, momentum, nesterov, adam"))
}

fn parse_epochs(s: &str) -> Result<u64, String> {
    match s.parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n as u64),
        _ => Err(format!("'{s}' is not a number of epochs in 1..=100000")),
    }
}

fn parse_batch(s: &str) -> Result<usize, String> {
    if s == "full" {
        return Ok(0);
    }
    s.parse::<usize>()
        .map_err(|_| format!("'{s}' is not a batch size (a number, or 'full')"))
}

fn parse_lr(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 100.0 => Ok(x),
        _ => Err(format!("'{s}' is not a learning rate in (0, 100]")),
    }
}

/// Initialisation seed of the presets unless `--seed` is given.
const PRESET_SEED: u64 = 1;

/// Everything a run needs after presets are applied.
struct Plan {
    hidden: Vec<usize>,
    activation: Activation,
    init: Init,
    config: TrainConfig,
    train_images: Option<usize>,
    validation: usize,
    log_every: usize,
}

fn plan(args: &Args) -> Plan {
    match args.preset {
        Some(p) => Plan {
            hidden: vec![10],
            activation: Activation::Relu,
            init: Init::Uniform {
                low: -0.5,
                high: 0.5,
            },
            config: TrainConfig {
                epochs: 1000,
                batch_size: 0,
                learning_rate: if p == Preset::Seed000 { 0.5 } else { 0.1 },
                optimizer: OptimizerKind::Sgd,
                weight_decay: 0.0,
                schedule: Schedule::Constant,
                // The reference's own result is one draw of its random init;
                // over seeds 0..3 seed000 ends at 91.1 / 91.6 / 89.6%
                // validation, and seed 1 is the draw that matches it.
                seed: args.seed.unwrap_or(PRESET_SEED),
                validate_every: if p == Preset::Seed000 { 100 } else { 50 },
            },
            train_images: Some(42_000),
            validation: 8_400,
            log_every: if p == Preset::Seed000 { 100 } else { 50 },
        },
        None => Plan {
            hidden: args.hidden.clone(),
            activation: args.activation,
            init: Init::Auto,
            config: TrainConfig {
                epochs: args.epochs as usize,
                batch_size: args.batch,
                learning_rate: args.lr,
                optimizer: args.optimizer,
                weight_decay: args.weight_decay,
                schedule: match args.schedule {
                    ScheduleArg::Constant => Schedule::Constant,
                    ScheduleArg::Cosine => Schedule::Cosine {
                        epochs: args.epochs as usize,
                        min_factor: 0.0,
                    },
                    ScheduleArg::Step => Schedule::Step {
                        every: (args.epochs as usize / 3).max(1),
                        gamma: 0.1,
                    },
                },
                seed: args.seed.unwrap_or(0),
                // The plot draws a validation curve only if every epoch has a point.
                validate_every: if args.plot.is_some() {
                    1
                } else {
                    args.log_every.max(1)
                },
            },
            train_images: None,
            validation: args.validation,
            log_every: args.log_every,
        },
    }
}

/// `--data`, else `$MNIST_DIR`, else `data/mnist/` (downloading it there
/// from `$MATNET_MNIST_MIRRORS` or the built-in mirrors).
fn data_dir(flag: Option<&Path>, progress: bool) -> Result<PathBuf, String> {
    use support::download::{locate_mnist, mirrors_from_env, DEFAULT_DATA_DIR, MNIST_DIR_ENV};
    let env = std::env::var_os(MNIST_DIR_ENV);
    let mirrors = mirrors_from_env();
    let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
    locate_mnist(
        flag,
        env.as_deref(),
        Path::new(DEFAULT_DATA_DIR),
        &mirrors,
        progress,
    )
    .map_err(|e| e.to_string())
}

fn run(args: Args) -> Result<(), String> {
    matrix::selected_kernel().map_err(|e| e.to_string())?;
    if let Some(t) = args.threads {
        if t == 0 || t > 1024 {
            return Err(format!("--threads {t}: expected 1..=1024"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| format!("cannot start {t} threads: {e}"))?;
    }
    for path in [&args.save, &args.plot].into_iter().flatten() {
        check_writable(path)?;
    }
    let dir = data_dir(args.data.as_deref(), !args.quiet)?;
    let mnist = load_mnist(&dir).map_err(|e| e.to_string())?;
    let plan = plan(&args);
    let mut train = mnist.train;
    if let Some(n) = plan.train_images {
        train = train.split_at(n.min(train.len())).0;
    }
    if plan.validation >= train.len() {
        return Err(format!(
            "--validation {} leaves no training images (there are {})",
            plan.validation,
            train.len()
        ));
    }
    let (train, validation) = train.split_at(train.len() - plan.validation);
    let test = mnist.test;
    if plan.config.batch_size > train.len() {
        return Err(format!(
            "--batch {} is larger than the {} training images (use --batch full for full-batch training)",
            plan.config.batch_size,
            train.len()
        ));
    }

    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    eprintln!(
        "# data {} | train {} valid {} test {} | kernel {kernel} | threads {}",
        dir.display(),
        train.len(),
        validation.len(),
        test.len(),
        rayon::current_num_threads()
    );

    let (mut net, summary) = match &args.load {
        Some(path) => {
            let net = load_model(path).map_err(|e| e.to_string())?;
            if net.input_width() != train.features() || net.output_width() != 10 {
                return Err(format!(
                    "{}: the model takes {} inputs and gives {} outputs; MNIST needs 784 and 10",
                    path.display(),
                    net.input_width(),
                    net.output_width()
                ));
            }
            println!("loaded {} ({})", path.display(), net.describe());
            (net, None)
        }
        None => {
            let mut rng = StdRng::seed_from_u64(plan.config.seed);
            let mut net = Network::<f32>::mlp(
                train.features(),
                &plan.hidden,
                plan.activation,
                10,
                Loss::SoftmaxCrossEntropy,
                plan.init,
                &mut rng,
            )
            .map_err(|e| e.to_string())?;
            if args.dense_input {
                net.set_input_sparsity(InputSparsity::Dense);
            }
            println!(
                "network {} | {} | lr {} | batch {} | {} epochs",
                net.describe(),
                plan.config.optimizer.name(),
                plan.config.learning_rate,
                if plan.config.batch_size == 0 {
                    "full".to_string()
                } else {
                    plan.config.batch_size.to_string()
                },
                plan.config.epochs
            );
            println!("{}", EpochPrinter::header());
            let mut printer = EpochPrinter::new(!args.quiet, plan.log_every);
            let valid = (!validation.is_empty()).then_some(&validation);
            let summary = fit(&mut net, &train, valid, &plan.config, &mut printer)
                .map_err(|e| e.to_string())?;
            if let Some(path) = &args.plot {
                plot_history(path, &printer.history, &net.describe())?;
                println!("wrote {}", path.display());
            }
            if let Some(path) = &args.save {
                save_model(&net, path).map_err(|e| e.to_string())?;
                println!("saved model to {}", path.display());
            }
            (net, Some(summary))
        }
    };

    let predicted = predict(&mut net, &test).map_err(|e| e.to_string())?;
    let cm = ConfusionMatrix::new(10, &predicted, &test.labels);
    if args.preset.is_some() {
        let train_acc = accuracy(&mut net, &train).map_err(|e| e.to_string())?;
        let valid_acc = accuracy(&mut net, &validation).map_err(|e| e.to_string())?;
        println!(
            "accuracy: train {:.2}%  validation {:.2}%  test {:.2}%",
            100.0 * train_acc,
            100.0 * valid_acc,
            100.0 * cm.accuracy()
        );
    }
    println!("\nconfusion matrix (test set):\n{cm}");
    if args.preset == Some(Preset::Seed001) {
        let show = 20.min(test.len());
        let row = |v: &mut dyn Iterator<Item = usize>| {
            v.map(|x| x.to_string()).collect::<Vec<_>>().join(" ")
        };
        println!(
            "actual:    {}",
            row(&mut test.labels[..show].iter().map(|&l| l as usize))
        );
        println!(
            "predicted: {}\n",
            row(&mut predicted[..show].iter().copied())
        );
    }
    print_misread(&test, &predicted, 5);

    let (secs, sps) = summary
        .as_ref()
        .map_or((0.0, 0.0), |s| (s.train_seconds, s.samples_per_second()));
    println!(
        "result: test_accuracy={:.4} train_seconds={secs:.1} samples_per_second={sps:.0}",
        cm.accuracy()
    );
    Ok(())
}

/// Loss and train/validation accuracy per epoch, as a PNG.
fn plot_history(path: &Path, history: &[nn::EpochReport], title: &str) -> Result<(), String> {
    let loss: Vec<f64> = history.iter().map(|r| r.loss).collect();
    let train: Vec<f64> = history.iter().map(|r| r.train_accuracy).collect();
    let valid: Vec<f64> = history
        .iter()
        .filter_map(|r| r.validation_accuracy)
        .collect();
    let mut accuracy: Vec<(&str, &[f64])> = vec![("train accuracy", &train)];
    if valid.len() == train.len() {
        accuracy.push(("validation accuracy", &valid));
    }
    support::plot::plot_training(
        path,
        &format!("MNIST {title}"),
        &loss,
        &accuracy,
        (800, 600),
    )
    .map_err(|e| format!("cannot write the plot {}: {e}", path.display()))
}

/// Fails early (before training) if `path`'s directory cannot take the model.
fn check_writable(path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "cannot save to {}: directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    // Saving replaces the target by renaming a new file over it: that would
    // turn a device or a pipe into a regular file, so only a regular file
    // (or nothing) may stand there.
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(format!(
            "cannot save to {}: it is a directory",
            path.display()
        )),
        Ok(meta) if !meta.is_file() => Err(format!(
            "cannot save to {}: it exists and is not a regular file",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// Draws the first `n` misclassified test digits with their labels.
fn print_misread(test: &Dataset, predicted: &[usize], n: usize) {
    let wrong: Vec<usize> = (0..test.len())
        .filter(|&i| predicted[i] != test.labels[i] as usize)
        .take(n)
        .collect();
    if wrong.is_empty() {
        return;
    }
    println!("misread test digits:");
    let images: Vec<(&[f32], String)> = wrong
        .iter()
        .map(|&i| {
            (
                test.images.row(i),
                format!("#{i}: {} read {}", test.labels[i], predicted[i]),
            )
        })
        .collect();
    print!("{}", draw_images(&images, test.image_shape.1));
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
