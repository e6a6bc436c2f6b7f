//! The command line: every flag, its help text and its parser. A flag left
//! out is `None`, so that `presets::plan` can tell it from a preset's value.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, ValueEnum};
use nn::{Activation, OptimizerKind};

use crate::presets::Preset;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    Constant,
    Cosine,
    Step,
}

/// Train a network on MNIST and evaluate it on the test set.
#[derive(Parser, Debug)]
#[command(
    version,
    about = "Train a dense or convolutional network on MNIST and evaluate it on the test set.",
    long_about = None,
    after_help = "Presets: --preset sets the defaults of the network and training flags it \
        names (--hidden, --layers, --activation, --epochs, --batch, --lr, --optimizer, --momentum, \
        --schedule, --gamma, --weight-decay, --seed, --validation, --log-every, --show); any of \
        those given explicitly overrides the preset's value, e.g. \
        `--preset seed000 --epochs 100`.\n\n\
        Your own digits: --load MODEL --predict IMAGE... prepares each picture as MNIST's \
        digits were (grayscale; dark ink on a light background inverted; cropped to the \
        ink; scaled to fit 20x20, aspect kept; centred by centre of mass in 28x28) and \
        prints the digit read, the top three probabilities and what the network saw.\n\n\
        Data lookup: --data, else $MNIST_DIR, else data/mnist/, else a download into \
        data/mnist/. --data FILE.csv (or .csv.gz) reads the Kaggle digit-recognizer \
        layout (`label,pixel0,...,pixel783`) and holds out its last 20% (in file order) as \
        the evaluation set.\n\n\
        Environment:\n  \
        MNIST_DIR             directory with the MNIST files (when --data is not given)\n  \
        MATNET_MNIST_MIRRORS  comma-separated base URLs to download MNIST from, replacing\n                        \
        the built-in public mirrors (e.g. a local mirror or a proxy); files are\n                        \
        still SHA-256 checked\n  \
        MATNET_KERNEL         avx512 | avx2 | portable: force a gemm kernel\n  \
        RAYON_NUM_THREADS     threads (also --threads)"
)]
pub struct Args {
    /// Directory with the four MNIST IDX files (.gz or not), or a
    /// digit-recognizer CSV file (plain or .gz; its last 20% is held out).
    /// Default: data/mnist/ (downloaded there if missing, from
    /// $MATNET_MNIST_MIRRORS or the built-in mirrors).
    #[arg(short, long, env = "MNIST_DIR", value_name = "DIR|FILE.csv")]
    pub data: Option<PathBuf>,
    /// Hidden layer widths, comma-separated (e.g. 800 or 512,256)
    /// [default: 800; presets: 10].
    #[arg(short = 'H', long, value_delimiter = ',', conflicts_with = "layers")]
    pub hidden: Option<Vec<usize>>,
    /// The whole network as a list of layers from the 1x28x28 image to the
    /// 10 classes, e.g.
    /// "conv:6:5:p2,relu,maxpool:2,conv:16:5,relu,maxpool:2,dense:120,relu,dense:10".
    /// Items: conv:FILTERS:KERNEL with optional :sSTRIDE and :pPADDING,
    /// maxpool:SIZE, dropout:P, dense:WIDTH, relu, tanh, sigmoid,
    /// normalize:MEAN:STD, flatten (for reading; a dense layer flattens the
    /// maps anyway); a softmax is added at the end [presets lenet, cnn:
    /// their networks].
    #[arg(long, value_name = "LIST", conflicts_with = "activation")]
    pub layers: Option<String>,
    /// Activation after each hidden layer [default: relu].
    #[arg(short, long, value_parser = PossibleValuesParser::new(["relu", "tanh", "sigmoid"])
        .map(|s| Activation::from_name(&s).expect("a listed value")))]
    pub activation: Option<Activation>,
    /// Passes over the training set [default: 6; seed presets: 1000; fast: 5].
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_epochs)]
    pub epochs: Option<u64>,
    /// Mini-batch size; 0 or "full" trains on the whole training set per
    /// step [default: 128; seed presets: full].
    #[arg(short, long, value_parser = parse_batch)]
    pub batch: Option<usize>,
    /// Learning rate [default: 0.25; seed000: 0.5; seed001: 0.1; fast: 0.15].
    #[arg(short, long, allow_negative_numbers = true, value_parser = parse_lr)]
    pub lr: Option<f64>,
    /// Update rule [default: momentum; presets seed000, seed001: sgd; cnn:
    /// adadelta].
    #[arg(short, long, value_parser = PossibleValuesParser::new(["sgd", "momentum", "nesterov", "adam", "adadelta"])
        .map(|s| OptimizerKind::from_name(&s).expect("a listed value")))]
    pub optimizer: Option<OptimizerKind>,
    /// Momentum coefficient in [0, 1) for momentum and nesterov [default:
    /// 0.9]; with sgd (e.g. a preset's) it makes the rule classical momentum.
    #[arg(short, long, value_name = "MU", value_parser = parse_momentum)]
    pub momentum: Option<f64>,
    /// L2 weight decay on the weights [default: 0].
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule over the epochs: cosine down to 0, step
    /// (x0.1 at each third of the run, or x--gamma every epoch when --gamma
    /// is given) or constant [default: cosine; presets seed000, seed001:
    /// constant; cnn: step with --gamma 0.7].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleArg>,
    /// With --schedule step: multiply the learning rate by GAMMA after
    /// every epoch (PyTorch's StepLR(step_size=1, gamma)) [cnn: 0.7].
    #[arg(long, value_name = "GAMMA", value_parser = parse_gamma)]
    pub gamma: Option<f64>,
    /// Seed for initialisation and shuffling [default: 0; presets: 1].
    #[arg(short, long)]
    pub seed: Option<u64>,
    /// Threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(short, long)]
    pub threads: Option<usize>,
    /// Hold out the last N training images for validation [default: 0;
    /// presets: 8400 of MNIST's first 42,000 images].
    #[arg(long)]
    pub validation: Option<usize>,
    /// Save the trained model (safetensors) to FILE.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// The element type --save stores weights as: f32 (exact), bf16 or f16
    /// (half the file; --load, numpy and PyTorch read them back).
    #[arg(long, value_name = "DTYPE", default_value = "f32", requires = "save",
          value_parser = ["f32", "bf16", "f16"])]
    pub save_dtype: String,
    /// Evaluate a saved model instead of training.
    #[arg(long, value_name = "FILE", conflicts_with = "save")]
    pub load: Option<PathBuf>,
    /// A named configuration (a reference system, or a network and schedule
    /// chosen on a validation split): sets the defaults of the network and
    /// training flags, which explicit flags override.
    #[arg(short, long, value_enum)]
    pub preset: Option<Preset>,
    /// Write the per-epoch loss and accuracy curves as a PNG to FILE.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Write per-epoch metrics as CSV to FILE (epoch, loss, train and
    /// validation accuracy, seconds, samples/s, learning rate), written
    /// atomically when training ends.
    #[arg(long, value_name = "FILE", conflicts_with = "load")]
    pub metrics: Option<PathBuf>,
    /// Print a table line every N epochs [default: 1; presets: 50].
    #[arg(long)]
    pub log_every: Option<usize>,
    /// Draw the first N evaluation images in the terminal with their actual
    /// and predicted labels and the top probability [default: 0; seed001: 3].
    #[arg(long, value_name = "N")]
    pub show: Option<usize>,
    /// After training (or --load), write `ImageId,Label` predictions for the
    /// images of TEST.csv (Kaggle's unlabelled test.csv) to OUT.csv.
    #[arg(long, num_args = 2, value_names = ["TEST.csv", "OUT.csv"])]
    pub kaggle_submission: Option<Vec<PathBuf>>,
    /// Read pictures of handwritten digits (PNG, JPEG or PGM/PPM/PBM, any
    /// size, light or dark ink) and print the --load'ed model's reading of
    /// each: the digit, the top three probabilities and the 28x28 picture
    /// it saw. Needs --load; no data set is read and nothing is trained.
    #[arg(
        long,
        num_args = 1..,
        value_name = "IMAGE",
        requires = "load",
        conflicts_with_all = ["plot", "metrics", "kaggle_submission", "show"]
    )]
    pub predict: Option<Vec<PathBuf>>,
    /// Instead of training: time N training steps' passes on the first
    /// batch, layer by layer, and print the medians (where a step's time
    /// goes).
    #[arg(long, value_name = "N", conflicts_with_all = ["load", "predict"])]
    pub profile_step: Option<usize>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Always multiply the first layer's input as a dense matrix (by
    /// default a batch that is at most 25% nonzero, as MNIST's ~19% is,
    /// takes the sparse product; the results agree to rounding).
    #[arg(long)]
    pub dense_input: bool,
    /// Whether `data` came from `$MNIST_DIR` (set after parsing).
    #[arg(skip)]
    pub data_from_env: bool,
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

fn parse_gamma(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err(format!("'{s}' is not a factor in (0, 1]")),
    }
}

fn parse_momentum(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..1.0).contains(&x) => Ok(x),
        _ => Err(format!("'{s}' is not a momentum coefficient in [0, 1)")),
    }
}
