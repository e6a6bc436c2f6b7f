//! `--load MODEL --predict IMAGE...`: pictures of digits read by a saved
//! model, without a data set or training.

use std::path::{Path, PathBuf};

use nn::model_file::load_model;
use support::report::draw_images;

/// `--predict`: each picture prepared as MNIST's digits were
/// (`support::digit`), read by the model, printed with its top three
/// probabilities and the 28x28 input the network saw. A picture that cannot
/// be read is an error line and the others are still read; the run then
/// fails. The last line of stdout is `result: predicted=D,D,...` in file
/// order (`-` for a picture that could not be read).
pub fn predict_pictures(model: &Path, pictures: &[PathBuf]) -> Result<(), String> {
    use support::digit::{read_digit, SIDE};
    let mut net = load_model(model).map_err(|e| e.to_string())?;
    if net.input_width() != SIDE * SIDE || net.output_width() != 10 {
        return Err(format!(
            "{}: the model takes {} inputs and gives {} outputs; --predict needs a model of \
             {SIDE}x{SIDE} = {} inputs and 10 outputs (one per digit)",
            model.display(),
            net.input_width(),
            net.output_width(),
            SIDE * SIDE
        ));
    }
    println!("loaded {} ({})", model.display(), net.describe());
    let mut read = Vec::with_capacity(pictures.len());
    let mut failed = 0;
    for path in pictures {
        let digit = match read_digit(path) {
            Ok(d) => d,
            Err(e) if pictures.len() == 1 => return Err(e.to_string()),
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
                read.push("-".to_string());
                continue;
            }
        };
        let input = matrix::Matrix::from_vec(1, SIDE * SIDE, digit.pixels.clone());
        let probs: Vec<f32> = net
            .forward(input.view())
            .map_err(|e| e.to_string())?
            .iter()
            .copied()
            .collect();
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let top: Vec<String> = order[..3]
            .iter()
            .map(|&d| format!("{d} {:.1}%", 100.0 * probs[d]))
            .collect();
        let best = order[0];
        println!(
            "\n{}: {best}  (top three: {})",
            path.display(),
            top.join(", ")
        );
        let (w, h) = digit.source;
        let (x, y, iw, ih) = digit.ink;
        println!(
            "  {w}x{h} picture, {}; ink {iw}x{ih} at ({x}, {y}), scaled to {}x{}, centred by mass",
            if digit.inverted {
                "dark ink on light (inverted)"
            } else {
                "light ink on dark"
            },
            digit.scaled.0,
            digit.scaled.1
        );
        let caption = format!("seen as {best} ({:.0}%)", 100.0 * probs[best]);
        print!("{}", draw_images(&[(&digit.pixels, caption)], SIDE));
        read.push(best.to_string());
    }
    println!("result: predicted={}", read.join(","));
    if failed > 0 {
        return Err(format!(
            "{failed} of {} pictures could not be read",
            pictures.len()
        ));
    }
    Ok(())
}
