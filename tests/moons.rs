//! The two-moons generator, a short training run of the reference network,
//! and the pictures the `moons` example writes (drawn through the same
//! library functions, then decoded and checked; and written by the example
//! binary itself).

use std::fs::File;
use std::path::Path;
use std::process::Command;

use matrix::Matrix;
use nn::dataset::Dataset;
use nn::train::accuracy;
use nn::{fit, OptimizerKind, TrainConfig};
use support::moons::{
    embedding, first_layer_map, output_line, random_affine, reference_network, split, two_moons,
};
use support::plot::{
    plot_boundary, plot_curves, plot_embedding, plot_maps, plot_training, Affine2, AnimatedGif,
    Extent, MapPanel, ProbabilityGrid,
};

#[path = "support/bin.rs"]
mod bin;

#[test]
fn same_seed_gives_the_same_points_and_another_seed_other_points() {
    let a = two_moons(500, 0.1, 42);
    let b = two_moons(500, 0.1, 42);
    let c = two_moons(500, 0.1, 43);
    assert_eq!(a, b);
    assert_ne!(a.images.as_slice(), c.images.as_slice());
    let (ta, sa) = split(&a, 0.8, 1);
    let (tb, sb) = split(&b, 0.8, 1);
    assert_eq!((ta, sa), (tb, sb));
}

#[test]
fn moons_have_n_points_two_balanced_classes_and_plausible_ranges() {
    let d = two_moons(1000, 0.1, 0);
    assert_eq!(d.images.shape(), (1000, 2));
    assert_eq!(d.len(), 1000);
    assert_eq!((d.classes, d.image_shape), (2, (1, 2)));
    assert_eq!(d.class_counts(), vec![500, 500]);
    // A valid Dataset by the constructor's own checks.
    Dataset::new(d.images.clone(), d.labels.clone(), 2, (1, 2)).unwrap();
    let mean = |class: u8, col: usize| {
        let v: Vec<f32> = (0..d.len())
            .filter(|&i| d.labels[i] == class)
            .map(|i| d.images.row(i)[col])
            .collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    // Upper moon around (0, 0.64), lower moon around (1, -0.14).
    assert!(mean(0, 0).abs() < 0.05 && (mean(0, 1) - 0.63).abs() < 0.05);
    assert!((mean(1, 0) - 1.0).abs() < 0.05 && (mean(1, 1) + 0.13).abs() < 0.05);
    for row in d.images.row_iter() {
        assert!((-1.7..=2.7).contains(&row[0]), "{row:?}");
        assert!((-1.2..=1.7).contains(&row[1]), "{row:?}");
    }
    // Shuffled: the classes are interleaved, not in two blocks.
    assert!(d.labels[..100].contains(&0) && d.labels[..100].contains(&1));
}

/// Decodes an 8-bit RGB(A) PNG: (width, height, standard deviation of all
/// channel values, distinct colours).
fn decode_png(path: &Path) -> (u32, u32, f64, usize) {
    let decoder =
        png::Decoder::new(File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    };
    let bytes = &buf[..info.buffer_size()];
    let n = bytes.len() as f64;
    let mean = bytes.iter().map(|&b| b as f64).sum::<f64>() / n;
    let var = bytes
        .iter()
        .map(|&b| (b as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let mut colours: Vec<&[u8]> = bytes.chunks(channels).collect();
    colours.sort_unstable();
    colours.dedup();
    (info.width, info.height, var.sqrt(), colours.len())
}

/// Decodes every frame of a GIF: (the screen's width and height, frames).
fn decode_gif(path: &Path) -> ((u32, u32), usize) {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(file)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let size = (decoder.width() as u32, decoder.height() as u32);
    let mut frames = 0;
    while let Some(frame) = decoder
        .read_next_frame()
        .unwrap_or_else(|e| panic!("{}: frame {frames}: {e}", path.display()))
    {
        assert_eq!(
            frame.buffer.len(),
            4 * frame.width as usize * frame.height as usize
        );
        frames += 1;
    }
    (size, frames)
}

#[test]
fn a_short_run_separates_the_moons_and_draws_readable_pictures() {
    let data = two_moons(1000, 0.1, 0);
    let (train, test) = split(&data, 0.8, 0);
    let mut net = reference_network(100, 0).unwrap();
    let config = TrainConfig {
        epochs: 60,
        batch_size: 32,
        learning_rate: 0.01,
        optimizer: OptimizerKind::from_name("adam").unwrap(),
        seed: 0,
        ..TrainConfig::default()
    };
    let summary = fit(&mut net, &train, Some(&test), &config, &mut ()).unwrap();
    let test_acc = accuracy(&mut net, &test).unwrap();
    assert!(test_acc >= 0.95, "test accuracy {test_acc}");
    assert_eq!(summary.epochs.len(), 60);

    // The embedding separates the classes along the output line as well as
    // the network does (it is the same computation).
    let h = embedding(&mut net, test.images.view()).unwrap();
    assert_eq!(h.shape(), (test.len(), 2));
    let (w1, w2, b) = output_line(&net).unwrap();
    let right = (0..test.len())
        .filter(|&i| {
            let z = w1 * h.row(i)[0] + w2 * h.row(i)[1] + b;
            usize::from(z >= 0.0) == test.labels[i] as usize
        })
        .count();
    assert!((right as f64 / test.len() as f64 - test_acc).abs() < 0.011);

    // The shaded grid agrees with the network's own predictions.
    let extent = Extent::around(data.images.view(), 0.5);
    let grid = ProbabilityGrid::compute(&mut net, extent, 30, 20).unwrap();
    let nodes = Matrix::<f32>::from_fn(31 * 21, 2, |r, c| {
        let (x, y) = grid.node(r % 31, r / 31);
        if c == 0 {
            x as f32
        } else {
            y as f32
        }
    });
    let predicted = net.predict(nodes.view(), 1024).unwrap();
    let agree = predicted
        .iter()
        .zip(&grid.p)
        .filter(|(&c, &p)| c == usize::from(p >= 0.5))
        .count();
    assert!(
        agree >= predicted.len() - 2,
        "{agree} of {}",
        predicted.len()
    );
    assert!(
        !grid.contour(0.5).is_empty(),
        "no decision boundary in view"
    );

    let dir = tempfile::tempdir().unwrap();
    let size = (480, 420);
    let boundary = dir.path().join("boundary.png");
    plot_boundary(&boundary, &mut net, &data, "decision boundary", size).unwrap();
    let all = embedding(&mut net, data.images.view()).unwrap();
    let emb = dir.path().join("embedding.png");
    plot_embedding(
        &emb,
        all.view(),
        &data.labels,
        output_line(&net),
        "embedding",
        size,
    )
    .unwrap();
    let loss: Vec<f64> = summary.epochs.iter().map(|r| r.loss).collect();
    let train_acc: Vec<f64> = summary.epochs.iter().map(|r| r.train_accuracy).collect();
    let test_curve: Vec<f64> = summary
        .epochs
        .iter()
        .map(|r| r.validation_accuracy.unwrap())
        .collect();
    let training = dir.path().join("training.png");
    plot_training(
        &training,
        "two moons",
        &loss,
        &[("train", &train_acc), ("test", &test_curve)],
        size,
    )
    .unwrap();
    let curves = dir.path().join("curves.png");
    plot_curves(
        &curves,
        "loss",
        "loss",
        &[("train loss", &loss)],
        (400, 300),
    )
    .unwrap();

    for (path, want) in [
        (&boundary, size),
        (&emb, size),
        (&training, size),
        (&curves, (400, 300)),
    ] {
        let (w, h, std, colours) = decode_png(path);
        assert_eq!((w, h), want, "{}", path.display());
        // A blank or single-colour picture has std 0 and 1 colour.
        assert!(std > 20.0, "{}: pixel std {std}", path.display());
        assert!(colours > 50, "{}: {colours} colours", path.display());
    }

    let gif_path = dir.path().join("embedding.gif");
    let mut gif = AnimatedGif::create(&gif_path, (240, 240), 100).unwrap();
    gif.add_embedding(all.view(), &data.labels, None, "frame 1")
        .unwrap();
    gif.add_embedding(all.view(), &data.labels, output_line(&net), "frame 2")
        .unwrap();
    assert_eq!(gif.frames(), 2);
    drop(gif);
    assert_eq!(decode_gif(&gif_path), ((240, 240), 2));
    let boundary_gif = dir.path().join("boundary.gif");
    let mut gif = AnimatedGif::create(&boundary_gif, (240, 220), 100).unwrap();
    for frame in 0..3 {
        gif.add_boundary(&mut net, &data, &format!("frame {frame}"))
            .unwrap();
    }
    drop(gif);
    assert_eq!(decode_gif(&boundary_gif), ((240, 220), 3));

    // The data set, and the data after a seeded map and after the first
    // layer of a 2-2-2-1 network (here untrained): panels side by side.
    let dataset = dir.path().join("dataset.png");
    let panel = |title, map| MapPanel { title, map };
    plot_maps(
        &dataset,
        &data,
        &[panel("data", Affine2::IDENTITY)],
        "",
        (300, 280),
    )
    .unwrap();
    let seeded = random_affine(0);
    let layer = first_layer_map(&reference_network(2, 0).unwrap()).unwrap();
    let linear = dir.path().join("linear.png");
    let maps = [
        panel("seeded", seeded.linear()),
        panel("layer", layer.linear()),
    ];
    plot_maps(&linear, &data, &maps, "W x", (300, 280)).unwrap();
    let affine = dir.path().join("affine.png");
    plot_maps(
        &affine,
        &data,
        &[panel("seeded", seeded), panel("layer", layer)],
        "W x + b",
        (300, 280),
    )
    .unwrap();
    for (path, want) in [
        (&dataset, (300, 280)),
        (&linear, (600, 316)),
        (&affine, (600, 316)),
    ] {
        let (w, h, std, colours) = decode_png(path);
        assert_eq!((w, h), want, "{}", path.display());
        assert!(std > 20.0, "{}: pixel std {std}", path.display());
        assert!(colours > 50, "{}: {colours} colours", path.display());
    }
    assert!(plot_maps(&linear, &data, &[], "none", (300, 280)).is_err());

    // Shape errors are reported, not panicked on.
    let bad = plot_embedding(&emb, all.view(), &data.labels[1..], None, "x", size).unwrap_err();
    assert!(bad.to_string().contains("n labels"), "{bad}");
}

/// The example binary itself writes every picture its documentation names,
/// each a valid PNG of the requested size (two panels for the maps) or an
/// animated GIF with a frame every `--frames` epochs and one at epoch 0.
#[test]
fn the_example_writes_every_picture_and_both_animations() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin::example("moons"))
        .args([
            "--points", "300", "--epochs", "20", "--frames", "10", "--gif",
        ])
        .args(["--size", "320x300", "--out"])
        .arg(dir.path())
        .env_remove("MATNET_KERNEL")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("layer pictures: the trained 2-2-2-1 network reaches"),
        "{out}"
    );
    for (name, want) in [
        ("dataset.png", (320, 300)),
        ("linear.png", (640, 336)),
        ("affine.png", (640, 336)),
        ("boundary.png", (320, 300)),
        ("embedding.png", (320, 300)),
        ("training.png", (320, 300)),
        ("frames/boundary_0010.png", (320, 300)),
    ] {
        let path = dir.path().join(name);
        let (w, h, std, colours) = decode_png(&path);
        assert_eq!((w, h), want, "{name}");
        assert!(
            std > 20.0 && colours > 50,
            "{name}: std {std}, {colours} colours"
        );
    }
    for name in ["boundary.gif", "embedding.gif"] {
        // Epochs 0, 10 and 20.
        assert_eq!(
            decode_gif(&dir.path().join(name)),
            ((320, 300), 3),
            "{name}"
        );
    }
    assert!(err.contains("3 frames each"), "{err}");
}
