//! End to end through the real `mnist` example binary (built by `cargo test`):
//! training reaches accuracy, presets, save/load, determinism across thread
//! counts, and a clear one-line error with a non-zero exit for bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mnist.rs"]
mod mnist_data;
use bin::{example, stderr, stdout};
use mnist_data::mnist_dir;

fn mnist(args: &[&str]) -> Output {
    Command::new(example("mnist"))
        .args(args)
        .env_remove("MATNET_KERNEL")
        .output()
        .expect("run the mnist example")
}

/// Parses `result: test_accuracy=A train_seconds=T samples_per_second=S`.
fn result_line(o: &Output) -> (f64, f64, f64) {
    let out = stdout(o);
    let last = out.lines().last().unwrap_or_default().to_string();
    let field = |name: &str| -> f64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no {name}= in the last line {last:?}\nstderr: {}",
                    stderr(o)
                )
            })
    };
    assert!(last.starts_with("result: "), "last line is {last:?}");
    (
        field("test_accuracy"),
        field("train_seconds"),
        field("samples_per_second"),
    )
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("matnet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_short_run_trains_and_prints_the_result_line() {
    let data = mnist_dir();
    let plot = temp_path("curves.png");
    let o = mnist(&[
        "--data",
        data.to_str().unwrap(),
        "--hidden",
        "100",
        "--epochs",
        "2",
        "--quiet",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let (acc, secs, sps) = result_line(&o);
    assert!(
        acc > 0.95,
        "test accuracy {acc} after 2 epochs of 784-100-10"
    );
    assert!(secs > 0.0 && sps > 1000.0);
    let out = stdout(&o);
    assert!(out.contains("confusion matrix"), "{out}");
    assert!(out.contains("misread test digits"), "{out}");
    let png = std::fs::read(&plot).expect("--plot wrote the file");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "not a real PNG"
    );
}

#[test]
fn saved_models_load_and_reproduce_the_accuracy() {
    let data = mnist_dir();
    let model = temp_path("short.safetensors");
    let d = data.to_str().unwrap();
    let m = model.to_str().unwrap();
    let trained = mnist(&[
        "--data", d, "--hidden", "32", "--epochs", "1", "--quiet", "--save", m,
    ]);
    assert!(trained.status.success(), "{}", stderr(&trained));
    let loaded = mnist(&["--data", d, "--load", m]);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(result_line(&trained).0, result_line(&loaded).0);
}

/// `--save-dtype bf16` and `f16` write files of half the size that load to
/// within a few test digits of the f32 model's accuracy (the weights are
/// rounded, the network the same); `--save-dtype` without `--save`, or an
/// unknown type, is refused.
#[test]
fn half_precision_model_files_load_to_the_same_accuracy() {
    let data = mnist_dir();
    let d = data.to_str().unwrap();
    let mut accuracy = Vec::new();
    let mut sizes = Vec::new();
    for dtype in ["f32", "bf16", "f16"] {
        let model = temp_path(&format!("short-{dtype}.safetensors"));
        let m = model.to_str().unwrap();
        let args = [
            "--data",
            d,
            "--hidden",
            "32",
            "--epochs",
            "1",
            "--quiet",
            "--save",
            m,
            "--save-dtype",
            dtype,
        ];
        let trained = mnist(&args);
        assert!(trained.status.success(), "{}", stderr(&trained));
        assert!(stdout(&trained).contains(&format!("saved model ({dtype})")));
        let loaded = mnist(&["--data", d, "--load", m]);
        assert!(loaded.status.success(), "{}", stderr(&loaded));
        accuracy.push(result_line(&loaded).0);
        sizes.push(std::fs::metadata(&model).unwrap().len());
    }
    for (i, dtype) in ["bf16", "f16"].iter().enumerate() {
        assert!(
            (accuracy[i + 1] - accuracy[0]).abs() <= 0.003,
            "{dtype}: {} against f32's {}",
            accuracy[i + 1],
            accuracy[0]
        );
        assert!(sizes[i + 1] * 2 < sizes[0] + 4096, "{dtype}: {sizes:?}");
    }
    for (args, needle) in [
        (
            vec!["--data", d, "--epochs", "1", "--save-dtype", "bf16"],
            "--save",
        ),
        (
            vec![
                "--data",
                d,
                "--save",
                "/tmp/x.safetensors",
                "--save-dtype",
                "f8",
            ],
            "f8",
        ),
    ] {
        let o = mnist(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

/// A convolutional network written with `--layers` trains, writes its
/// metrics and draws predictions; saved, it loads to the same accuracy and
/// reads a picture of a test digit.
#[test]
fn a_convolutional_network_trains_saves_loads_and_reads_a_picture() {
    let data = mnist_dir();
    let d = data.to_str().unwrap();
    let model = temp_path("cnn.safetensors");
    let metrics = temp_path("cnn.csv");
    let m = model.to_str().unwrap();
    let spec = "conv:4:5:s2,relu,maxpool:2,dropout:0.1,dense:10";
    let trained = mnist(&[
        "--data",
        d,
        "--layers",
        spec,
        "--epochs",
        "1",
        "--batch",
        "64",
        "--lr",
        "0.05",
        "--quiet",
        "--save",
        m,
        "--metrics",
        metrics.to_str().unwrap(),
        "--show",
        "2",
    ]);
    assert!(trained.status.success(), "{}", stderr(&trained));
    let out = stdout(&trained);
    assert!(
        out.contains("784-conv5x5(4x12x12,relu)-maxpool2(4x6x6)-dropout0.1-10(softmax)"),
        "{out}"
    );
    assert!(out.contains("confusion matrix"), "{out}");
    let (accuracy, _, _) = result_line(&trained);
    assert!(accuracy > 0.9, "{accuracy} after an epoch of {spec}");
    let csv = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let loaded = mnist(&["--data", d, "--load", m]);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(result_line(&loaded).0, accuracy);
    // The first test digit (a 7) as a binary PGM picture.
    let test = nn::dataset::load_mnist(&data).unwrap().test;
    let picture = temp_path("seven.pgm");
    let mut pgm = b"P5\n28 28\n255\n".to_vec();
    pgm.extend(
        test.images
            .row(0)
            .iter()
            .map(|&v| (v * 255.0).round() as u8),
    );
    std::fs::write(&picture, pgm).unwrap();
    let read = mnist(&["--load", m, "--predict", picture.to_str().unwrap()]);
    assert!(read.status.success(), "{}", stderr(&read));
    assert!(
        stdout(&read).contains(&format!("result: predicted={}", test.labels[0])),
        "{}",
        stdout(&read)
    );
}

#[test]
fn one_and_two_threads_give_the_same_model_bit_for_bit() {
    let data = mnist_dir();
    let d = data.to_str().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let path = temp_path(&format!("threads{threads}.safetensors"));
        let o = Command::new(example("mnist"))
            .args([
                "--data", d, "--hidden", "64", "--epochs", "1", "--quiet", "--save",
            ])
            .arg(&path)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        files.push(std::fs::read(&path).unwrap());
    }
    assert!(
        files[0] == files[1],
        "weights differ between 1 and 2 threads"
    );
}

#[test]
fn help_lists_the_flags() {
    let o = mnist(&["--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    for flag in [
        "--data",
        "--hidden",
        "--activation",
        "--epochs",
        "--batch",
        "--lr",
        "--optimizer",
        "--seed",
        "--threads",
        "--save",
        "--load",
        "--preset",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

/// Each bad input: non-zero exit, one clear line on stderr, no panic.
#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let data = mnist_dir();
    let d = data.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--epochs", "0"], "epochs"),
        (vec!["--epochs", "-3"], "epochs"),
        (vec!["--epochs", "1000000000"], "epochs"),
        (vec!["--lr", "NaN"], "learning rate"),
        (vec!["--lr", "-1"], "learning rate"),
        (vec!["--batch", "100000", "--data", d], "larger than"),
        (vec!["--preset", "seed999"], "seed999"),
        (vec!["--optimizer", "rmsprop"], "rmsprop"),
        (vec!["--activation", "gelu"], "gelu"),
        (vec!["--data", "/nonexistent/mnist"], "/nonexistent/mnist"),
        (
            vec!["--data", "/nonexistent/train.csv"],
            "/nonexistent/train.csv: cannot read",
        ),
        (vec!["--momentum", "1.5"], "momentum"),
        (vec!["--optimizer", "adam", "--momentum", "0.5"], "not adam"),
        (
            vec!["--optimizer", "adadelta", "--momentum", "0.5"],
            "not adadelta",
        ),
        (vec!["--gamma", "0.5"], "--gamma applies to --schedule step"),
        (vec!["--gamma", "1.5"], "gamma"),
        (
            vec!["--data", d, "--layers", "conv:6:5,gelu,dense:10"],
            "--layers: item 2 'gelu': unknown layer",
        ),
        (
            vec!["--data", d, "--layers", "conv:6:30,dense:10"],
            "--layers: item 1 'conv:6:30'",
        ),
        (
            vec!["--data", d, "--layers", "conv:6:5,dense:12"],
            "the last layer must be dense:10",
        ),
        (
            vec!["--data", d, "--layers", "conv:3000000:3,dense:10"],
            "too large",
        ),
        (
            vec!["--layers", "dense:10", "--hidden", "5"],
            "cannot be used with",
        ),
        (
            vec![
                "--data",
                d,
                "--epochs",
                "1",
                "--hidden",
                "8",
                "--save",
                "/nonexistent/dir/m.safetensors",
            ],
            "/nonexistent/dir",
        ),
        (
            vec!["--data", d, "--load", "/nonexistent/model.safetensors"],
            "/nonexistent/model.safetensors",
        ),
    ];
    for (args, needle) in cases {
        let mut all = args.clone();
        all.push("--quiet");
        let o = mnist(&all);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: stderr lacks {needle:?}: {err}"
        );
    }
    let o = Command::new(example("mnist"))
        .args(["--data", d, "--epochs", "1"])
        .env("MATNET_KERNEL", "sse9")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("MATNET_KERNEL=sse9"), "{}", stderr(&o));
}

/// Extracts `validation X%` from the preset's accuracy line.
fn preset_accuracy(out: &str, which: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with("accuracy:"))
        .unwrap_or_else(|| panic!("no accuracy line in {out}"));
    let after = line
        .split(which)
        .nth(1)
        .unwrap_or_else(|| panic!("no {which} in {line}"));
    after
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .split('%')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn preset_seed000_reaches_the_reference_validation_accuracy() {
    let data = mnist_dir();
    let o = mnist(&[
        "--data",
        data.to_str().unwrap(),
        "--preset",
        "seed000",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("784-10(relu)-10(softmax)"), "{out}");
    let valid = preset_accuracy(&out, "validation");
    assert!(
        valid >= 91.4,
        "seed000 validation accuracy {valid}% < 91.4% (reference)"
    );
    let train = preset_accuracy(&out, "train");
    assert!(train > 91.0, "train {train}%");
    result_line(&o);
}

#[test]
fn preset_seed001_reports_every_50_iterations_and_labels() {
    let data = mnist_dir();
    let o = mnist(&[
        "--data",
        data.to_str().unwrap(),
        "--preset",
        "seed001",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for it in [50, 100, 500, 950, 1000] {
        assert!(
            out.contains(&format!(" {it}/1000 ")),
            "no line for iteration {it}:\n{out}"
        );
    }
    assert!(!out.contains(" 75/1000 "), "lines between the 50s:\n{out}");
    let actual = out
        .lines()
        .find(|l| l.starts_with("actual:"))
        .expect("actual labels row");
    let predicted = out
        .lines()
        .find(|l| l.starts_with("predicted:"))
        .expect("predicted labels row");
    assert_eq!(actual.split_whitespace().count(), 21);
    assert_eq!(predicted.split_whitespace().count(), 21);
    assert!(actual.starts_with("actual:    7 2 1 0 4"), "{actual}");
    // The reference reaches ~85% by 500 iterations and ~87% by 1000.
    let valid = preset_accuracy(&out, "validation");
    assert!(valid > 84.0, "seed001 validation {valid}%");
}

/// A learning rate that blows up a deep network stops training with an error
/// naming the epoch and step, and no model (with NaN weights) is saved.
#[test]
fn divergence_stops_with_epoch_and_step_and_saves_nothing() {
    let data = mnist_dir();
    let model = temp_path("diverged.safetensors");
    let _ = std::fs::remove_file(&model);
    let o = mnist(&[
        "--data",
        data.to_str().unwrap(),
        "--hidden",
        "256,256,256",
        "--lr",
        "100",
        "--epochs",
        "2",
        "--quiet",
        "--save",
        model.to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "diverging run succeeded");
    let err = stderr(&o);
    assert!(
        err.contains("diverged") && err.contains("epoch 1, step"),
        "{err}"
    );
    assert!(!model.exists(), "a diverged model was saved");
}

/// Malformed data files: the example exits non-zero with one line that names
/// the file and what is wrong.
#[test]
fn malformed_data_files_fail_with_one_line_naming_the_file() {
    let real = mnist_dir();
    let cases: [(&str, &[u8], &str); 3] = [
        ("bad-magic", b"\x01\x02\x08\x03garbage", "train-images"),
        (
            "truncated",
            b"\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c\x00",
            "train-images",
        ),
        ("empty", b"", "train-images"),
    ];
    for (what, bytes, needle) in cases {
        let dir = temp_path(&format!("data-{what}"));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ] {
            std::fs::copy(real.join(name), dir.join(name)).unwrap();
        }
        std::fs::write(dir.join("train-images-idx3-ubyte"), bytes).unwrap();
        let o = mnist(&["--data", dir.to_str().unwrap(), "--epochs", "1", "--quiet"]);
        let err = stderr(&o);
        assert!(!o.status.success(), "{what}: accepted");
        assert!(!err.contains("panicked"), "{what}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 1, "{what}: not one line: {err}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(needle),
            "{what}: {err}"
        );
    }
}

/// Presets set defaults; an explicit flag overrides the preset's value.
#[test]
fn an_explicit_flag_overrides_the_preset() {
    let data = mnist_dir();
    let o = mnist(&[
        "--data",
        data.to_str().unwrap(),
        "-p",
        "seed001",
        "-e",
        "3",
        "--hidden",
        "16",
        "--validation",
        "1000",
        "--momentum",
        "0.5",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("784-16(relu)-10(softmax)"), "{out}");
    assert!(
        out.contains("momentum 0.5 | lr 0.1 | batch full | 3 epochs"),
        "{out}"
    );
    assert!(out.contains(" 3/3 "), "{out}");
    assert!(
        stderr(&o).contains("train 41000 valid 1000 test 10000"),
        "{}",
        stderr(&o)
    );
    result_line(&o);
}

/// `--metrics` writes one CSV line per epoch; `--show` draws images with
/// their actual and predicted labels and the top probability, 3 per row.
#[test]
fn metrics_file_and_shown_predictions() {
    let data = mnist_dir();
    let metrics = temp_path("metrics.csv");
    let o = mnist(&[
        "-d",
        data.to_str().unwrap(),
        "-H",
        "16",
        "-e",
        "2",
        "--validation",
        "1000",
        "--metrics",
        metrics.to_str().unwrap(),
        "--show",
        "4",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&metrics).expect("--metrics wrote the file");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,loss,train_accuracy,validation_accuracy,seconds,samples_per_second,learning_rate"
    );
    assert_eq!(lines.len(), 3, "{text}");
    for (i, line) in lines[1..].iter().enumerate() {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields.len(), 7, "{line}");
        assert_eq!(fields[0], (i + 1) as f64);
        assert!(
            fields[3] > 0.8 && fields[3] <= 1.0,
            "validation accuracy in {line}"
        );
    }
    let out = stdout(&o);
    assert!(out.contains("first 4 test images"), "{out}");
    let captions: Vec<&str> = out.lines().filter(|l| l.contains(" actual ")).collect();
    assert_eq!(captions.len(), 2, "4 images in rows of 3:\n{out}");
    assert!(captions[0].contains("#0 actual 7 pred "), "{out}");
    assert!(captions.iter().all(|l| l.len() <= 100), "{out}");
    assert!(captions[0].contains('%'), "{out}");
    result_line(&o);
}

/// `--help` lists every enum flag's values, the environment variable and
/// the short flags.
#[test]
fn help_lists_values_env_and_short_flags() {
    let o = mnist(&["--help"]);
    let help = stdout(&o);
    for want in [
        "relu, tanh, sigmoid",
        "sgd, momentum, nesterov, adam",
        "seed000",
        "seed001",
        "constant, cosine, step",
        "[env: MNIST_DIR",
        "-e, --epochs",
        "-b, --batch",
        "-l, --lr",
        "-s, --seed",
        "-t, --threads",
        "-q, --quiet",
        "-m, --momentum",
        "--metrics",
        "--show",
        "--kaggle-submission",
        "explicitly overrides",
    ] {
        assert!(help.contains(want), "--help lacks {want:?}:\n{help}");
    }
}

/// Writes the first `n` images of `data` as digit-recognizer CSV, with or
/// without the label column.
fn write_csv(path: &std::path::Path, data: &nn::dataset::Dataset, n: usize, labelled: bool) {
    use std::fmt::Write;
    let mut text = String::new();
    let names: Vec<String> = (0..data.features()).map(|j| format!("pixel{j}")).collect();
    if labelled {
        text.push_str("label,");
    }
    text.push_str(&names.join(","));
    text.push('\n');
    for i in 0..n {
        if labelled {
            write!(text, "{},", data.labels[i]).unwrap();
        }
        let px: Vec<String> = data
            .images
            .row(i)
            .iter()
            .map(|&x| ((x * 255.0).round() as u8).to_string())
            .collect();
        text.push_str(&px.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The first 1000 MNIST training images as a Kaggle `train.csv`: trained on
/// the first 800, evaluated on the last 200; the next 100 images as an
/// unlabelled `test.csv` become a submission; the seed000 preset on the CSV
/// uses its 80/20 split and prints predictions beside labels; a malformed
/// file is one error line naming line and column.
#[test]
fn csv_data_trains_evaluates_and_writes_a_submission() {
    let idx = nn::dataset::load_mnist(&mnist_dir()).unwrap();
    let dir = temp_path("csv");
    std::fs::create_dir_all(&dir).unwrap();
    let train = dir.join("train.csv");
    let test = dir.join("test.csv");
    let sub = dir.join("submission.csv");
    write_csv(&train, &idx.train, 1000, true);
    let next = idx.train.take(1000..1100);
    write_csv(&test, &next, 100, false);
    let o = mnist(&[
        "--data",
        train.to_str().unwrap(),
        "-H",
        "32",
        "-e",
        "10",
        "-b",
        "32",
        // The learning rate this small run was tuned for, whatever the
        // default's.
        "-l",
        "0.1",
        "-q",
        "--kaggle-submission",
        test.to_str().unwrap(),
        sub.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("train 800 valid 0 held-out 200"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("confusion matrix (held-out set)"));
    let (acc, _, _) = result_line(&o);
    assert!(acc > 0.8, "held-out accuracy {acc}");
    let text = std::fs::read_to_string(&sub).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 101);
    assert_eq!(lines[0], "ImageId,Label");
    let mut right = 0;
    for (i, line) in lines[1..].iter().enumerate() {
        let (id, label) = line.split_once(',').unwrap();
        assert_eq!(id, (i + 1).to_string());
        right += usize::from(label == next.labels[i].to_string());
    }
    assert!(right > 75, "{right}/100 submitted labels right");

    // The same file gzip'd, under a .csv.gz name: the same split.
    let gz = dir.join("train.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&train).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let o = mnist(&["--data", gz.to_str().unwrap(), "-H", "8", "-e", "1", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("train 800 valid 0 held-out 200"));

    let o = mnist(&[
        "--data",
        train.to_str().unwrap(),
        "--preset",
        "seed000",
        "-e",
        "100",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(stderr(&o).contains("train 800 valid 0 held-out 200"));
    assert_eq!(out.matches("  predictions: ").count(), 2, "{out}");
    let labels = out.lines().find(|l| l.starts_with("  labels:")).unwrap();
    assert_eq!(labels.split_whitespace().count(), 21, "{labels}");
    assert!(
        labels.ends_with(&format!(" {}", idx.train.labels[19])),
        "{labels}"
    );

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "label,pixel0,pixel1\n1,0,0\n2,0,300\n3,0,0\n4,0,0\n5,0,0\n",
    )
    .unwrap();
    let o = mnist(&["--data", bad.to_str().unwrap(), "-q"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.csv: line 3, column 3: pixel 300 is outside 0..=255"),
        "{err}"
    );
}
