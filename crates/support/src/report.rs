//! Terminal output shared by the examples: a progress bar per epoch, a table
//! line per epoch, digits drawn in characters.

use indicatif::{ProgressBar, ProgressStyle};
use nn::{EpochReport, Observer};

/// Shows a progress bar while an epoch runs and prints one table line per
/// epoch (every `every` epochs, and always the last one).
pub struct EpochPrinter {
    bar: Option<ProgressBar>,
    show_bar: bool,
    every: usize,
    /// The reports seen so far, for plots.
    pub history: Vec<EpochReport>,
}

impl EpochPrinter {
    /// `show_bar`: draw a bar on stderr (only when it is a terminal);
    /// `every`: print every n-th epoch line.
    pub fn new(show_bar: bool, every: usize) -> Self {
        EpochPrinter {
            bar: None,
            show_bar: show_bar && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            every: every.max(1),
            history: Vec::new(),
        }
    }

    /// The table header matching [`EpochPrinter::line`].
    pub fn header() -> String {
        format!(
            "{:>11} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10}",
            "epoch", "loss", "train", "valid", "lr", "seconds", "samples/s"
        )
    }

    /// One table line.
    pub fn line(r: &EpochReport) -> String {
        let valid = r
            .validation_accuracy
            .map_or("-".to_string(), |v| format!("{:.2}%", 100.0 * v));
        format!(
            "{:>11} {:>8.4} {:>7.2}% {:>8} {:>9.5} {:>8.2} {:>10.0}",
            format!("{}/{}", r.epoch, r.epochs),
            r.loss,
            100.0 * r.train_accuracy,
            valid,
            r.learning_rate,
            r.seconds,
            r.samples_per_second
        )
    }
}

impl Observer for EpochPrinter {
    fn on_step(&mut self, epoch: usize, step: usize, steps: usize) {
        if !self.show_bar || steps < 2 {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(steps as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {msg} [{bar:30}] {pos}/{len} steps {per_sec} eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        });
        if step == 1 {
            bar.reset();
            bar.set_message(epoch.to_string());
        }
        // Redrawing every step would cost more than the step: indicatif
        // rate-limits the drawing itself, this just moves the counter.
        bar.set_position(step as u64);
    }

    fn on_epoch(&mut self, r: &EpochReport, _net: &nn::Network<f32>) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.bar = None;
        if r.epoch.is_multiple_of(self.every) || r.epoch == r.epochs || r.epoch == 1 {
            println!("{}", Self::line(r));
        }
        self.history.push(r.clone());
    }
}

/// Draws 28x28 (or any `width`-wide) images side by side in characters,
/// two pixel rows per text line, each with a caption underneath.
pub fn draw_images(images: &[(&[f32], String)], width: usize) -> String {
    const SHADES: &[char] = &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    let height = images.first().map_or(0, |(px, _)| px.len() / width.max(1));
    let mut out = String::new();
    for row in (0..height).step_by(2) {
        for (px, _) in images {
            out.push_str("  ");
            for col in 0..width {
                let a = px[row * width + col];
                let b = if row + 1 < height {
                    px[(row + 1) * width + col]
                } else {
                    0.0
                };
                let v = ((a + b) / 2.0).clamp(0.0, 1.0);
                out.push(SHADES[(v * (SHADES.len() - 1) as f32).round() as usize]);
            }
        }
        out.push('\n');
    }
    for (_, caption) in images {
        let caption: String = caption.chars().take(width).collect();
        out.push_str(&format!("  {caption:^width$}"));
    }
    out.push('\n');
    out
}

/// [`draw_images`] in rows of at most `per_row` images (a 28-pixel image
/// takes 30 columns: 3 per row fit a 100-column terminal).
pub fn draw_image_grid(images: &[(&[f32], String)], width: usize, per_row: usize) -> String {
    images
        .chunks(per_row.max(1))
        .map(|row| draw_images(row, width))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The CPU's model name, from `/proc/cpuinfo` where there is one (else the
/// architecture's name): what every benchmark figure is printed beside.
pub fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// `<CPU model name>, <n> threads, L1d <KiB>, L2 <KiB>`: the
/// machine a figure was measured on.
pub fn machine() -> String {
    let caches = matrix::CacheSizes::detect();
    format!(
        "{}, {} threads, L1d {} KiB, L2 {} KiB",
        cpu_name(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        caches.l1d >> 10,
        caches.l2 >> 10
    )
}

/// A command's exit: success, or `error: <message>` on stderr (one line, as
/// every example reports a failure) and a failing status.
///
/// ```
/// use std::process::ExitCode;
/// assert_eq!(support::report::exit(Ok(())), ExitCode::SUCCESS);
/// assert_eq!(support::report::exit(Err("no data".into())), ExitCode::FAILURE);
/// ```
pub fn exit(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
