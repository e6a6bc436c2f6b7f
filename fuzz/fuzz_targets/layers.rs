//! A network written as text: `layers_from_spec` (`mnist --layers`) on any
//! string and input shape, and `Layer::parse` (a model file's architecture
//! tokens) on each item, return layers or one error message, never a
//! panic; layers `layers_from_spec` returns always make a network whose
//! passes run on a small batch (each layer's shape rule held and its caps
//! bound the memory).
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrix::Matrix;
use nn::network::layers_from_spec;
use nn::{Init, Layer, Loss, Network};
use rand::{rngs::StdRng, SeedableRng};

fuzz_target!(|data: &[u8]| {
    let Some((shape, text)) = data.split_at_checked(3) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    for token in text.split(',') {
        let _ = Layer::parse(token);
    }
    // Small inputs (up to 4 x 32 x 32), so that a network that builds runs.
    let input = (
        1 + shape[0] as usize % 4,
        1 + shape[1] as usize % 32,
        1 + shape[2] as usize % 32,
    );
    let Ok(layers) = layers_from_spec(text, input) else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(0);
    let Ok(mut net) = Network::<f32>::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng)
    else {
        return;
    };
    // A network whose parameters or patches would not fit a fuzzer's
    // memory is not run (its sizes were within the caps, which is what
    // building it checks).
    let params = net.params().len();
    let big_kernel = net
        .layers()
        .iter()
        .any(|l| matches!(l, Layer::Conv2d(c) if c.kernel > 8 || c.filters > 256));
    if params > 1 << 22 || big_kernel {
        return;
    }
    let x = Matrix::from_fn(2, net.input_width(), |i, j| ((i + j) % 7) as f32 / 7.0);
    if net.reserve_batch(2).is_err() {
        return;
    }
    let labels = [0u8, 1.min(net.output_width().saturating_sub(1)) as u8];
    let _ = net.train_step(x.view(), &labels);
});
