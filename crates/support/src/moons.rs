//! The two-moons toy problem of the `moons` example and its tests: a seeded
//! generator (scikit-learn's `make_moons` construction), a seeded
//! train/test split, the reference network `2 -> 100 (tanh) -> 2 (tanh) ->
//! 1 (sigmoid)`, and the output of its 2-unit layer (the "embedding" the
//! pictures show). Demo code, so it lives here rather than in `nn`.
//!
//! ```
//! use support::moons::{embedding, reference_network, split, two_moons};
//! let data = two_moons(200, 0.1, 7);
//! assert_eq!((data.len(), data.images.cols()), (200, 2));
//! let (train, test) = split(&data, 0.8, 7);
//! assert_eq!((train.len(), test.len()), (160, 40));
//! let mut net = reference_network(100, 7).unwrap();
//! let h = embedding(&mut net, test.images.view()).unwrap(); // 40 x 2, in (-1, 1)
//! assert_eq!(h.shape(), (40, 2));
//! ```

use std::f64::consts::PI;

use matrix::{Matrix, MatrixView};
use nn::dataset::Dataset;
use nn::{Activation, Init, Layer, Loss, Network, NnError};

use crate::plot::Affine2;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use rand_distr::StandardNormal;

/// `n` points of two interleaving half circles, shuffled, with Gaussian
/// noise of standard deviation `noise` added to both coordinates.
///
/// As scikit-learn's `make_moons`: `n / 2` points (class 0) evenly spaced
/// on the upper half of the unit circle centred at `(0, 0)`, the other
/// `n - n / 2` (class 1) on the lower half circle of radius 1 centred at
/// `(1, 0.5)`. The noise is drawn from `rand_distr`'s standard normal with a
/// [`StdRng`] seeded with `seed`: the same arguments give the same points.
///
/// The result has `n` rows of 2 features, 2 classes and image shape `(1, 2)`.
pub fn two_moons(n: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let outer = n / 2;
    let inner = n - outer;
    // numpy.linspace(0, pi, k): k evenly spaced angles, both ends included.
    let angle = |i: usize, k: usize| {
        if k > 1 {
            PI * i as f64 / (k - 1) as f64
        } else {
            0.0
        }
    };
    let mut points: Vec<(f64, f64, u8)> = Vec::with_capacity(n);
    points.extend((0..outer).map(|i| {
        let t = angle(i, outer);
        (t.cos(), t.sin(), 0)
    }));
    points.extend((0..inner).map(|i| {
        let t = angle(i, inner);
        (1.0 - t.cos(), 0.5 - t.sin(), 1)
    }));
    points.shuffle(&mut rng);
    let mut images = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for (x, y, label) in points {
        images.push((x + noise * rng.sample::<f64, _>(StandardNormal)) as f32);
        images.push((y + noise * rng.sample::<f64, _>(StandardNormal)) as f32);
        labels.push(label);
    }
    Dataset {
        images: Matrix::from_vec(n, 2, images),
        labels,
        classes: 2,
        image_shape: (1, 2),
    }
}

/// Splits `data` into a training set holding `round(train_fraction * n)`
/// samples and a test set holding the rest, after a permutation drawn from
/// [`Dataset::shuffled`] with `seed` (same seed, same split).
///
/// # Panics
/// If `train_fraction` is not in `[0, 1]`.
pub fn split(data: &Dataset, train_fraction: f64, seed: u64) -> (Dataset, Dataset) {
    assert!(
        (0.0..=1.0).contains(&train_fraction),
        "split: the training fraction must be in [0, 1], got {train_fraction}"
    );
    let cut = ((train_fraction * data.len() as f64).round() as usize).min(data.len());
    data.shuffled(seed).split_at(cut)
}

/// The layers of the reference two-moons network:
/// `Dense(2, hidden), tanh, Dense(hidden, 2), tanh, Dense(2, 1), sigmoid`.
/// The output of the second tanh is the 2-D embedding that
/// [`embedding`] returns.
pub fn reference_layers(hidden: usize) -> Vec<Layer> {
    vec![
        Layer::Dense {
            inputs: 2,
            outputs: hidden,
        },
        Layer::Act(Activation::Tanh),
        Layer::Dense {
            inputs: hidden,
            outputs: 2,
        },
        Layer::Act(Activation::Tanh),
        Layer::Dense {
            inputs: 2,
            outputs: 1,
        },
        Layer::Act(Activation::Sigmoid),
    ]
}

/// The reference network ([`reference_layers`]) with binary cross-entropy,
/// Xavier-initialised ([`Init::Auto`]) from a [`StdRng`] seeded with `seed`.
///
/// # Errors
/// If `hidden` is 0.
pub fn reference_network(hidden: usize, seed: u64) -> Result<Network<f32>, NnError> {
    let mut rng = StdRng::seed_from_u64(seed);
    Network::new(
        reference_layers(hidden),
        Loss::BinaryCrossEntropy,
        Init::Auto,
        &mut rng,
    )
}

/// The input of the last Dense layer for every row of `x`: for the
/// reference network, the output of the 2-unit tanh layer (the "embedding"
/// in which the classes must be linearly separable).
///
/// # Errors
/// As [`Network::forward_to`].
pub fn embedding(net: &mut Network<f32>, x: MatrixView<'_, f32>) -> Result<Matrix<f32>, NnError> {
    let last_dense = net.dense_params().last().map_or(0, |d| d.layer);
    Ok(net.forward_to(x, last_dense)?.to_matrix())
}

/// The last Dense layer of a network ending in `Dense(2, 1)`: `(w1, w2, b)`
/// such that the output is `sigmoid(w1 h1 + w2 h2 + b)` for an embedding
/// `(h1, h2)`; `w1 h1 + w2 h2 + b = 0` is the line where p = 0.5. `None`
/// for any other output layer.
pub fn output_line(net: &Network<f32>) -> Option<(f32, f32, f32)> {
    let d = net.dense_params().last()?;
    if d.inputs != 2 || d.outputs != 1 {
        return None;
    }
    let p = net.params();
    Some((p[d.weight], p[d.weight + 1], p[d.bias]))
}

/// A 2x2 map `x -> W x + b` with every entry of `W` and `b` drawn from the
/// standard normal by a [`StdRng`] seeded with `seed`: what a freshly
/// initialised 2 -> 2 layer might compute, for pictures of what such a map
/// does to the data.
pub fn random_affine(seed: u64) -> Affine2 {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = || rng.sample::<f64, _>(StandardNormal);
    Affine2 {
        w: [[draw(), draw()], [draw(), draw()]],
        b: [draw(), draw()],
    }
}

/// The first Dense layer of `net` as the map it computes, `x -> W x + b`
/// (before its activation), when it has 2 inputs and 2 outputs (the
/// reference network with `hidden = 2`); `None` otherwise.
pub fn first_layer_map(net: &Network<f32>) -> Option<Affine2> {
    let d = net.dense_params().first()?;
    if d.inputs != 2 || d.outputs != 2 {
        return None;
    }
    let p = net.params();
    // Stored inputs x outputs: input i's weight to output j is at i * 2 + j.
    let w = |out: usize, inp: usize| p[d.weight + inp * 2 + out] as f64;
    Some(Affine2 {
        w: [[w(0, 0), w(0, 1)], [w(1, 0), w(1, 1)]],
        b: [p[d.bias] as f64, p[d.bias + 1] as f64],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_points_other_seed_other_points() {
        let a = two_moons(300, 0.1, 1);
        let b = two_moons(300, 0.1, 1);
        let c = two_moons(300, 0.1, 2);
        assert_eq!(a.images.as_slice(), b.images.as_slice());
        assert_eq!(a.labels, b.labels);
        assert_ne!(a.images.as_slice(), c.images.as_slice());
    }

    #[test]
    fn without_noise_the_points_lie_on_the_two_half_circles() {
        let d = two_moons(101, 0.0, 3);
        assert_eq!(d.images.shape(), (101, 2));
        assert_eq!(d.labels.iter().filter(|&&l| l == 0).count(), 50);
        assert_eq!(d.labels.iter().filter(|&&l| l == 1).count(), 51);
        for (row, &label) in d.images.row_iter().zip(&d.labels) {
            let (x, y) = (row[0] as f64, row[1] as f64);
            let (cx, cy, upper) = if label == 0 {
                (0.0, 0.0, true)
            } else {
                (1.0, 0.5, false)
            };
            let r = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-5, "radius {r} for {label}");
            assert!(if upper {
                y >= cy - 1e-6
            } else {
                y <= cy + 1e-6
            });
        }
    }

    #[test]
    fn noise_has_the_requested_standard_deviation() {
        let clean = two_moons(4000, 0.0, 5);
        let noisy = two_moons(4000, 0.2, 5);
        // Same seed: same shuffle, so the differences are the noise alone.
        assert_eq!(clean.labels, noisy.labels);
        let diffs: Vec<f64> = clean
            .images
            .as_slice()
            .iter()
            .zip(noisy.images.as_slice())
            .map(|(&a, &b)| (b - a) as f64)
            .collect();
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / diffs.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var.sqrt() - 0.2).abs() < 0.01, "std {}", var.sqrt());
    }

    #[test]
    fn tiny_sets_work() {
        assert_eq!(two_moons(0, 0.1, 0).images.shape(), (0, 2));
        let one = two_moons(1, 0.0, 0);
        assert_eq!(one.labels, vec![1]);
        assert_eq!(one.images.as_slice(), &[0.0, 0.5]);
    }

    #[test]
    fn split_is_seeded_and_keeps_every_sample_once() {
        let d = two_moons(50, 0.1, 9);
        let (tr, te) = split(&d, 0.8, 4);
        let (tr2, _) = split(&d, 0.8, 4);
        assert_eq!((tr.labels.len(), te.labels.len()), (40, 10));
        assert_eq!(tr.images.as_slice(), tr2.images.as_slice());
        let mut all: Vec<[u32; 2]> = tr
            .images
            .row_iter()
            .chain(te.images.row_iter())
            .map(|r| [r[0].to_bits(), r[1].to_bits()])
            .collect();
        let mut orig: Vec<[u32; 2]> = d
            .images
            .row_iter()
            .map(|r| [r[0].to_bits(), r[1].to_bits()])
            .collect();
        all.sort();
        orig.sort();
        assert_eq!(all, orig);
    }

    #[test]
    fn the_embedding_through_the_output_line_gives_the_output() {
        let mut net = reference_network(16, 3).unwrap();
        let d = two_moons(20, 0.1, 3);
        let out = net.forward(d.images.view()).unwrap().to_matrix();
        let h = embedding(&mut net, d.images.view()).unwrap();
        let (w1, w2, b) = output_line(&net).unwrap();
        for (i, row) in h.row_iter().enumerate() {
            let p = 1.0 / (1.0 + (-(w1 * row[0] + w2 * row[1] + b)).exp());
            assert!((p - out[(i, 0)]).abs() < 1e-5);
            assert!(row.iter().all(|v| v.abs() < 1.0));
        }
    }

    #[test]
    fn the_first_layer_map_is_what_the_layer_computes() {
        let mut net = reference_network(2, 5).unwrap();
        let map = first_layer_map(&net).unwrap();
        let x = Matrix::from_vec(3, 2, vec![0.5f32, -1.0, 2.0, 0.25, 0.0, 0.0]);
        // The output of the first Dense layer, before its tanh.
        let z = net.forward_to(x.view(), 1).unwrap().to_matrix();
        for i in 0..3 {
            let (a, b) = map.apply((x[(i, 0)] as f64, x[(i, 1)] as f64));
            assert!((a - z[(i, 0)] as f64).abs() < 1e-5 && (b - z[(i, 1)] as f64).abs() < 1e-5);
        }
        assert!(first_layer_map(&reference_network(3, 0).unwrap()).is_none());
        assert_eq!(random_affine(4), random_affine(4));
        assert_ne!(random_affine(4), random_affine(5));
    }

    #[test]
    fn embedding_rejects_bad_input() {
        let mut net = reference_network(4, 0).unwrap();
        assert!(embedding(&mut net, Matrix::<f32>::zeros(3, 5).view()).is_err());
        assert!(net
            .forward_to(Matrix::<f32>::zeros(3, 2).view(), 7)
            .is_err());
    }
}
