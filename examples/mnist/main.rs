//! Train a dense or convolutional network on MNIST and evaluate it.
//!
//! ```text
//! cargo run --release --example mnist                      # 784-800-10 ReLU, reaches ~98.4%
//! cargo run --release --example mnist -- --preset lenet    # LeNet-5's shape, ~99.2%
//! cargo run --release --example mnist -- --layers conv:16:5:p2,relu,maxpool:2,dense:10
//! cargo run --release --example mnist -- --preset seed000  # the reference numpy Network
//! cargo run --release --example mnist -- --help
//! cargo run --release --example mnist -- --load m.safetensors --predict my7.png
//! ```
//!
//! Data: `--data DIR`, else `$MNIST_DIR`, else `data/mnist/` (downloaded
//! there, checksum-verified, if missing, from the base URLs in
//! `$MATNET_MNIST_MIRRORS` when set, else the built-in public mirrors); or
//! `--data train.csv` (Kaggle digit-recognizer layout, plain or gzip'd),
//! trained on its first 80% and evaluated on its last 20%. Presets set
//! defaults that explicit flags override. The last line of stdout is
//! `result: test_accuracy=... train_seconds=... samples_per_second=...`.
//!
//! `--load MODEL --predict IMAGE...` reads pictures of handwritten digits
//! instead (no data set, no training), prepared as MNIST's were by
//! `support::digit`.
//!
//! The modules follow a run: `flags` (the command line), `presets` (the
//! settings it stands for), `data` (the images), then training here in
//! `run`, and `report` (what is printed and written); `predict` is
//! `--predict`. A network is an MLP of `--hidden` widths, or the list of
//! layers `--layers` (or a preset) writes, built by
//! `nn::network::layers_from_spec`.

mod data;
mod flags;
mod predict;
mod presets;
mod report;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, ValueEnum};
use nn::csv::{read_csv, write_submission};
use nn::metrics::ConfusionMatrix;
use nn::model_file::{load_model, save_model_as, StoredDtype};
use nn::network::{layers_from_spec, mlp_layers};
use nn::train::{accuracy, predict};
use nn::{fit, InputSparsity, Layer, Loss, Network};
use rand::{rngs::StdRng, SeedableRng};
use support::report::EpochPrinter;

use data::{csv_sets, idx_sets, is_csv};
use flags::Args;
use predict::predict_pictures;
use presets::{plan, Preset};
use report::{
    check_writable, optimizer_name, plot_history, print_labels, print_misread, print_step_profile,
    show_predictions, write_metrics, RunObserver,
};

fn run(args: Args) -> Result<(), String> {
    matrix::selected_kernel().map_err(|e| e.to_string())?;
    support::threads::start_pool(args.threads)?;
    if let Some(pictures) = &args.predict {
        let model = args.load.as_deref().ok_or("--predict needs --load MODEL")?;
        return predict_pictures(model, pictures);
    }
    let submission = match args.kaggle_submission.as_deref() {
        Some([test, out]) => Some((test.as_path(), out.as_path())),
        _ => None,
    };
    let outputs = [
        args.save.as_deref(),
        args.plot.as_deref(),
        args.metrics.as_deref(),
    ];
    for path in outputs
        .into_iter()
        .chain([submission.map(|s| s.1)])
        .flatten()
    {
        check_writable(path)?;
    }
    let csv = args.data.as_deref().filter(|p| is_csv(p));
    let plan = plan(&args, csv.is_some())?;
    let sets = match csv {
        Some(path) => csv_sets(path)?,
        None => idx_sets(&args, &plan)?,
    };
    // Read the submission's images before training, to fail early.
    let submission = match submission {
        Some((test, out)) => {
            let csv = read_csv(test).map_err(|e| e.to_string())?;
            if csv.data.features() != sets.train.features() {
                return Err(format!(
                    "{}: {} pixels per image but the training images have {}",
                    test.display(),
                    csv.data.features(),
                    sets.train.features()
                ));
            }
            Some((csv.data, out))
        }
        None => None,
    };
    let train = sets.train;
    if plan.validation >= train.len() {
        return Err(format!(
            "--validation {} leaves no training images (there are {})",
            plan.validation,
            train.len()
        ));
    }
    let (train, validation) = train.split_at(train.len() - plan.validation);
    let test = sets.eval;
    if plan.config.batch_size > train.len() {
        return Err(format!(
            "--batch {} is larger than the {} training images (use --batch full for full-batch training)",
            plan.config.batch_size,
            train.len()
        ));
    }

    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    if let Some((preset, flags)) = args.preset.and_then(|p| Some((p, p.flags()?))) {
        let name = preset.to_possible_value().expect("not skipped");
        eprintln!("# preset {}: {flags}", name.get_name());
    }
    eprintln!(
        "# data {} | train {} valid {} {} {} | kernel {kernel} | threads {}",
        sets.source.display(),
        train.len(),
        validation.len(),
        sets.eval_name,
        test.len(),
        rayon::current_num_threads()
    );

    let (mut net, summary) = match &args.load {
        Some(path) => {
            let net = load_model(path).map_err(|e| e.to_string())?;
            if net.input_width() != train.features() || net.output_width() != 10 {
                return Err(format!(
                    "{}: the model takes {} inputs and gives {} outputs; the data needs {} and 10",
                    path.display(),
                    net.input_width(),
                    net.output_width(),
                    train.features()
                ));
            }
            println!("loaded {} ({})", path.display(), net.describe());
            (net, None)
        }
        None => {
            let mut rng = StdRng::seed_from_u64(plan.config.seed);
            let layers = match &plan.layers {
                Some(spec) => {
                    let layers = layers_from_spec(spec, image_shape(train.features()))
                        .map_err(|e| format!("--layers: {e}"))?;
                    match layers.iter().rev().find_map(|l| match l {
                        Layer::Dense { outputs, .. } => Some(*outputs),
                        _ => None,
                    }) {
                        Some(10) => layers,
                        _ => {
                            return Err(
                                "--layers: the last layer must be dense:10 (the ten digits)".into(),
                            )
                        }
                    }
                }
                None => mlp_layers(
                    train.features(),
                    &plan.hidden,
                    plan.activation,
                    10,
                    Loss::SoftmaxCrossEntropy,
                ),
            };
            let mut net =
                Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, plan.init, &mut rng)
                    .map_err(|e| e.to_string())?;
            if args.dense_input {
                net.set_input_sparsity(InputSparsity::Dense);
            }
            if let Some(rounds) = args.profile_step {
                return print_step_profile(&mut net, &train, plan.config.batch_size, rounds);
            }
            println!(
                "network {} | {} | lr {} | batch {} | {} epochs",
                net.describe(),
                optimizer_name(plan.config.optimizer),
                plan.config.learning_rate,
                if plan.config.batch_size == 0 {
                    "full".to_string()
                } else {
                    plan.config.batch_size.to_string()
                },
                plan.config.epochs
            );
            println!("{}", EpochPrinter::header());
            let first20 = train.take(..20.min(train.len()));
            let mut observer = RunObserver {
                printer: EpochPrinter::new(!args.quiet, plan.log_every),
                peek: (args.preset == Some(Preset::Seed000)).then_some(&first20),
            };
            let valid = (!validation.is_empty()).then_some(&validation);
            let summary = fit(&mut net, &train, valid, &plan.config, &mut observer)
                .map_err(|e| e.to_string())?;
            let history = &observer.printer.history;
            if let Some(path) = &args.plot {
                plot_history(path, history, &net.describe())?;
                println!("wrote {}", path.display());
            }
            if let Some(path) = &args.metrics {
                write_metrics(path, history)?;
                println!("wrote {}", path.display());
            }
            if let Some(path) = &args.save {
                let dtype = StoredDtype::from_name(&args.save_dtype)
                    .ok_or_else(|| format!("--save-dtype {}: f32, bf16 or f16", args.save_dtype))?;
                save_model_as(&net, path, dtype).map_err(|e| e.to_string())?;
                println!("saved model ({}) to {}", args.save_dtype, path.display());
            }
            (net, Some(summary))
        }
    };

    let predicted = predict(&mut net, &test).map_err(|e| e.to_string())?;
    let cm = ConfusionMatrix::new(10, &predicted, &test.labels);
    if Preset::is_reference(args.preset) {
        let train_acc = accuracy(&mut net, &train).map_err(|e| e.to_string())?;
        let valid = if validation.is_empty() {
            String::new()
        } else {
            let acc = accuracy(&mut net, &validation).map_err(|e| e.to_string())?;
            format!("validation {:.2}%  ", 100.0 * acc)
        };
        println!(
            "accuracy: train {:.2}%  {valid}{} {:.2}%",
            100.0 * train_acc,
            sets.eval_name,
            100.0 * cm.accuracy()
        );
    }
    println!("\nconfusion matrix ({} set):\n{cm}", sets.eval_name);
    if args.preset == Some(Preset::Seed001) {
        let show = 20.min(test.len());
        let labels: Vec<usize> = test.labels[..show].iter().map(|&l| l as usize).collect();
        print_labels("actual:   ", &labels);
        print_labels("predicted:", &predicted[..show]);
        println!();
    }
    if plan.show > 0 {
        show_predictions(&mut net, &test, plan.show, sets.eval_name)?;
    }
    print_misread(&test, &predicted, 6, sets.eval_name);

    if let Some((images, out)) = submission {
        let labels = predict(&mut net, &images).map_err(|e| e.to_string())?;
        write_submission(out, &labels)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!("wrote {} predictions to {}", labels.len(), out.display());
    }

    let (secs, sps) = summary
        .as_ref()
        .map_or((0.0, 0.0), |s| (s.train_seconds, s.samples_per_second()));
    println!(
        "result: test_accuracy={:.4} train_seconds={secs:.1} samples_per_second={sps:.0}",
        cm.accuracy()
    );
    Ok(())
}

/// The maps of an image of `features` pixels: a square one's side, else a
/// row.
fn image_shape(features: usize) -> (usize, usize, usize) {
    let side = (features as f64).sqrt().round() as usize;
    if side * side == features {
        (1, side, side)
    } else {
        (1, 1, features)
    }
}

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let mut args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    args.data_from_env = matches.value_source("data") == Some(ValueSource::EnvVariable);
    support::report::exit(run(args))
}
