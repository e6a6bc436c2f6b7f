//! What a run prints and writes: the per-epoch lines, the metrics CSV, the
//! plot, drawn digits with their predictions, and the check that the output
//! files can be written before training starts.

use std::path::Path;

use nn::csv::write_atomically;
use nn::dataset::Dataset;
use nn::train::predict;
use nn::{EpochReport, Init, Network, Observer, OptimizerKind};
use rand::{rngs::StdRng, SeedableRng};
use support::report::{draw_image_grid, EpochPrinter};

use crate::presets::PEEK_EVERY;

/// Images drawn per row by --show and the misread digits: 3 x 30 columns.
const IMAGES_PER_ROW: usize = 3;

/// Prints the table line of each epoch and, for the seed000 preset, the
/// first 20 training predictions beside their labels every 50 epochs.
pub struct RunObserver<'a> {
    pub printer: EpochPrinter,
    pub peek: Option<&'a Dataset>,
}

impl Observer for RunObserver<'_> {
    fn on_step(&mut self, epoch: usize, step: usize, steps: usize) {
        self.printer.on_step(epoch, step, steps);
    }

    fn on_epoch(&mut self, report: &EpochReport, net: &Network<f32>) {
        self.printer.on_epoch(report, net);
        let Some(first) = self.peek else { return };
        if report.epoch.is_multiple_of(PEEK_EVERY) || report.epoch == report.epochs {
            // `net` is borrowed read-only: predict with a copy (784-10-10).
            let copy = Network::<f32>::new(
                net.layers().to_vec(),
                net.loss(),
                Init::Auto,
                &mut StdRng::seed_from_u64(0),
            );
            if let Ok(mut copy) = copy {
                copy.params_mut().copy_from_slice(net.params());
                if let Ok(predicted) = predict(&mut copy, first) {
                    print_labels("  predictions:", &predicted);
                    let labels: Vec<usize> = first.labels.iter().map(|&l| l as usize).collect();
                    print_labels("  labels:     ", &labels);
                }
            }
        }
    }
}

pub fn print_labels(title: &str, labels: &[usize]) {
    let row: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    println!("{title} {}", row.join(" "));
}

/// The optimizer's name, with its momentum coefficient where it has one.
pub fn optimizer_name(kind: OptimizerKind) -> String {
    match kind {
        OptimizerKind::Momentum { mu } | OptimizerKind::Nesterov { mu } => {
            format!("{} {mu}", kind.name())
        }
        _ => kind.name().to_string(),
    }
}

/// One CSV line per epoch; the validation accuracy is empty on epochs
/// without one. Written atomically.
pub fn write_metrics(path: &Path, history: &[EpochReport]) -> Result<(), String> {
    let mut text = String::from(
        "epoch,loss,train_accuracy,validation_accuracy,seconds,samples_per_second,learning_rate\n",
    );
    for r in history {
        let valid = r
            .validation_accuracy
            .map_or(String::new(), |v| v.to_string());
        text.push_str(&format!(
            "{},{},{},{valid},{},{},{}\n",
            r.epoch, r.loss, r.train_accuracy, r.seconds, r.samples_per_second, r.learning_rate
        ));
    }
    write_atomically(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Draws the first `n` evaluation images with their actual and predicted
/// labels and the top probability.
pub fn show_predictions(
    net: &mut Network<f32>,
    data: &Dataset,
    n: usize,
    name: &str,
) -> Result<(), String> {
    let n = n.min(data.len());
    let probs = net
        .forward(data.images.rows_view(0, n))
        .map_err(|e| e.to_string())?
        .to_matrix();
    println!("first {n} {name} images (actual, predicted, top probability):");
    let images: Vec<(&[f32], String)> = (0..n)
        .map(|i| {
            let p = probs.row(i);
            let best = matrix::ops::argmax_rows(probs.rows_view(i, 1))[0];
            (
                data.images.row(i),
                format!(
                    "#{i} actual {} pred {best} {:.0}%",
                    data.labels[i],
                    100.0 * p[best]
                ),
            )
        })
        .collect();
    print!(
        "{}",
        draw_image_grid(&images, data.image_shape.1, IMAGES_PER_ROW)
    );
    Ok(())
}

/// Loss and train/validation accuracy per epoch, as a PNG.
pub fn plot_history(path: &Path, history: &[EpochReport], title: &str) -> Result<(), String> {
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
pub fn check_writable(path: &Path) -> Result<(), String> {
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

/// Draws the first `n` misclassified evaluation digits with their labels.
pub fn print_misread(test: &Dataset, predicted: &[usize], n: usize, name: &str) {
    let wrong: Vec<usize> = (0..test.len())
        .filter(|&i| predicted[i] != test.labels[i] as usize)
        .take(n)
        .collect();
    if wrong.is_empty() {
        return;
    }
    println!("misread {name} digits:");
    let images: Vec<(&[f32], String)> = wrong
        .iter()
        .map(|&i| {
            (
                test.images.row(i),
                format!("#{i}: {} read {}", test.labels[i], predicted[i]),
            )
        })
        .collect();
    print!(
        "{}",
        draw_image_grid(&images, test.image_shape.1, IMAGES_PER_ROW)
    );
}

/// `--profile-step`: the medians of `rounds` steps on the first `batch`
/// training images, layer by layer, with each one's share of the step.
pub fn print_step_profile(
    net: &mut Network<f32>,
    train: &Dataset,
    batch: usize,
    rounds: usize,
) -> Result<(), String> {
    let rows = if batch == 0 {
        train.len()
    } else {
        batch.min(train.len())
    };
    let first = train.take(..rows);
    let times = net
        .profile_step(first.images.view(), &first.labels, rounds)
        .map_err(|e| e.to_string())?;
    let total: f64 = times.iter().map(|t| t.forward + t.backward).sum();
    println!(
        "step of {rows} rows: {:.3} ms ({:.0} samples/s), median of {rounds}",
        total * 1e3,
        rows as f64 / total
    );
    println!("{:>10} {:>10} {:>6}  layers", "fwd ms", "bwd ms", "share");
    for t in &times {
        println!(
            "{:>10.3} {:>10.3} {:>5.1}%  {}",
            t.forward * 1e3,
            t.backward * 1e3,
            100.0 * (t.forward + t.backward) / total,
            t.layers
        );
    }
    Ok(())
}
