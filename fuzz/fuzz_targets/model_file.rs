//! Model files for `mnist --load`: whatever the bytes, `parse_model` (the
//! code `load_model` runs on the file's bytes) returns a network or a
//! `ModelError`; a network it returns is consistent (a forward pass on a
//! row of its input width gives a finite row of its output width).
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use matrix::Matrix;
use nn::model_file::parse_model;

fuzz_target!(|data: &[u8]| {
    let Ok(mut net) = parse_model(data, Path::new("fuzz.safetensors")) else {
        return;
    };
    let (inputs, outputs) = (net.input_width(), net.output_width());
    // Wider than any network worth running here: the file is accepted, the
    // forward pass would only be slow.
    if inputs.saturating_mul(outputs) > 1 << 20 {
        return;
    }
    let x = Matrix::<f32>::filled(1, inputs, 0.5);
    let y = net
        .forward(x.view())
        .expect("a loaded network takes its input width");
    assert_eq!(y.shape(), (1, outputs));
});
