//! `mnist --load MODEL --predict IMAGE...` end to end, through the real
//! example binary: test-set digits rendered as pictures of other sizes,
//! placements, formats and polarity are read as their labels by a model the
//! test trains, and pictures or models that cannot be used are refused with
//! one line naming the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::imageops::{resize, FilterType};
use image::{GrayImage, ImageFormat, Luma};
use support::digit::{prepare_digit, SIDE};

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mnist.rs"]
mod mnist_data;
use bin::{example, stderr, stdout};
use mnist_data::mnist_dir;

fn mnist<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(example("mnist"))
        .args(args)
        .env_remove("MATNET_KERNEL")
        .env_remove("MNIST_DIR")
        .output()
        .expect("run the mnist example")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("matnet-predict-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How a test digit is drawn: the digit's 28x28 picture enlarged to
/// `digit` pixels a side with a linear filter, at `at` in a `canvas`
/// picture, light on black or (inverted) dark on white, in `format`.
struct Render {
    name: &'static str,
    digit: u32,
    at: (u32, u32),
    canvas: (u32, u32),
    inverted: bool,
    format: ImageFormat,
}

/// The sizes and placements the test reads: MNIST's own 28x28; 64 and 200
/// pixels with margins of different widths on each side; a PGM; and dark
/// ink on white paper as a JPEG.
const RENDERS: [Render; 5] = [
    Render {
        name: "28",
        digit: 28,
        at: (0, 0),
        canvas: (28, 28),
        inverted: false,
        format: ImageFormat::Png,
    },
    Render {
        name: "64",
        digit: 48,
        at: (3, 13),
        canvas: (64, 64),
        inverted: false,
        format: ImageFormat::Png,
    },
    Render {
        name: "200",
        digit: 140,
        at: (52, 6),
        canvas: (200, 200),
        inverted: false,
        format: ImageFormat::Png,
    },
    Render {
        name: "pgm",
        digit: 40,
        at: (17, 4),
        canvas: (60, 50),
        inverted: false,
        format: ImageFormat::Pnm,
    },
    Render {
        name: "inverted",
        digit: 90,
        at: (8, 20),
        canvas: (120, 110),
        inverted: true,
        format: ImageFormat::Jpeg,
    },
];

/// Writes `pixels` (28x28, MNIST's 0..1) drawn as `r` to `path`.
fn render(pixels: &[f32], r: &Render, path: &Path) {
    let digit = GrayImage::from_fn(SIDE as u32, SIDE as u32, |x, y| {
        Luma([(pixels[y as usize * SIDE + x as usize] * 255.0).round() as u8])
    });
    let digit = resize(&digit, r.digit, r.digit, FilterType::Triangle);
    let mut canvas = GrayImage::new(r.canvas.0, r.canvas.1);
    image::imageops::replace(&mut canvas, &digit, r.at.0 as i64, r.at.1 as i64);
    if r.inverted {
        image::imageops::invert(&mut canvas);
    }
    match r.format {
        // Colour JPEG, as a camera or a drawing program writes it.
        ImageFormat::Jpeg => image::DynamicImage::ImageLuma8(canvas)
            .to_rgb8()
            .save_with_format(path, r.format),
        _ => canvas.save_with_format(path, r.format),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The `PATH: D  (top three: ...)` lines of a `--predict` run, as a map
/// from the path to the digit read.
fn readings(out: &str) -> HashMap<String, usize> {
    out.lines()
        .filter_map(|l| l.split_once("  (top three: "))
        .map(|(head, _)| {
            let (path, digit) = head.rsplit_once(": ").unwrap();
            (path.to_string(), digit.parse().unwrap())
        })
        .collect()
}

/// Trains a model (`--preset fast`, 98% on the test set), chooses two test
/// digits of each class that the model reads correctly and confidently at
/// 28x28, renders each in the five ways of [`RENDERS`] and reads all of
/// them with one `--predict` run. Every 28x28 picture must be read as its
/// label, and at least 18 of the 20 of each other rendering: a
/// preprocessing step that went wrong (no inversion, no crop, the aspect or
/// the centring lost) drops a rendering far below that.
#[test]
fn test_digits_at_other_sizes_and_inverted_are_read_as_their_labels() {
    let data = mnist_dir();
    let dir = temp_dir("read");
    let model = dir.join("fast.safetensors");
    let trained = mnist(&[
        "--data".as_ref(),
        data.as_os_str(),
        "--preset".as_ref(),
        "fast".as_ref(),
        "--quiet".as_ref(),
        "--save".as_ref(),
        model.as_os_str(),
    ]);
    assert!(trained.status.success(), "{}", stderr(&trained));

    let test = nn::dataset::load_mnist(&data).unwrap().test;
    let mut net = nn::model_file::load_model(&model).unwrap();
    let mut chosen: Vec<usize> = Vec::new();
    let mut per_class = [0; 10];
    for i in 0..test.len() {
        let label = test.labels[i] as usize;
        if per_class[label] == 2 {
            continue;
        }
        let digit = prepare_digit(SIDE, SIDE, test.images.row(i)).unwrap();
        let x = matrix::Matrix::from_vec(1, SIDE * SIDE, digit.pixels);
        let p: Vec<f32> = net.forward(x.view()).unwrap().iter().copied().collect();
        if p[label] >= 0.9 {
            chosen.push(i);
            per_class[label] += 1;
        }
        if chosen.len() == 20 {
            break;
        }
    }
    assert_eq!(chosen.len(), 20);

    let mut files: Vec<(PathBuf, usize, &str)> = Vec::new();
    for &i in &chosen {
        for r in &RENDERS {
            let ext = match r.format {
                ImageFormat::Png => "png",
                ImageFormat::Jpeg => "jpg",
                _ => "pgm",
            };
            let path = dir.join(format!("{i}_{}.{ext}", r.name));
            render(test.images.row(i), r, &path);
            files.push((path, test.labels[i] as usize, r.name));
        }
    }
    let mut args: Vec<&std::ffi::OsStr> = vec!["--load".as_ref(), model.as_os_str()];
    args.push("--predict".as_ref());
    args.extend(files.iter().map(|f| f.0.as_os_str()));
    let o = mnist(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let read = readings(&out);
    assert_eq!(read.len(), files.len(), "{out}");

    let mut right: HashMap<&str, usize> = HashMap::new();
    let mut wrong = Vec::new();
    for (path, label, name) in &files {
        let digit = read[&path.display().to_string()];
        if digit == *label {
            *right.entry(name).or_default() += 1;
        } else {
            wrong.push(format!("{} ({label}) read as {digit}", path.display()));
        }
    }
    println!("right per rendering: {right:?}; wrong: {wrong:?}");
    assert_eq!(right.get("28"), Some(&20), "wrong: {wrong:?}");
    for r in &RENDERS[1..] {
        let n = right.get(r.name).copied().unwrap_or(0);
        assert!(
            n >= 18,
            "{}: {n} of 20 read right; wrong: {wrong:?}",
            r.name
        );
    }
    // The inverted pictures say so; each reading is drawn (14 lines of
    // 28 columns per picture); the last line lists the digits in order.
    let inverted = out.matches("dark ink on light (inverted)").count();
    assert_eq!(inverted, 20, "{out}");
    assert_eq!(out.matches("seen as ").count(), files.len());
    let last = out.lines().last().unwrap();
    let listed: Vec<&str> = last
        .strip_prefix("result: predicted=")
        .unwrap_or_else(|| panic!("last line {last:?}"))
        .split(',')
        .collect();
    assert_eq!(listed.len(), files.len());
    assert_eq!(listed[0], files[0].1.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An untrained 784-8-10 model: enough to run `--predict` on bad input.
fn small_model(dir: &Path, inputs: usize) -> PathBuf {
    use rand::SeedableRng;
    let net = nn::Network::<f32>::mlp(
        inputs,
        &[8],
        nn::Activation::Relu,
        10,
        nn::Loss::SoftmaxCrossEntropy,
        nn::Init::Auto,
        &mut rand::rngs::StdRng::seed_from_u64(0),
    )
    .unwrap();
    let path = dir.join(format!("small{inputs}.safetensors"));
    nn::model_file::save_model(&net, &path).unwrap();
    path
}

/// A PNG whose header declares `width x height` pixels of `color_type`
/// (0 gray, 6 RGBA) at `depth` bits, followed by a few bytes of pixel data
/// (the decoder reads up to the first data chunk before it knows the
/// picture's layout).
fn png_header_only(width: u32, height: u32, color_type: u8, depth: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color_type, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(&ihdr);
    bytes.extend_from_slice(&crc.sum().to_be_bytes());
    let mut idat = b"IDAT".to_vec();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, &[0; 100]).unwrap();
    idat.extend_from_slice(&z.finish().unwrap());
    let mut crc = flate2::Crc::new();
    crc.update(&idat);
    bytes.extend_from_slice(&(idat.len() as u32 - 4).to_be_bytes());
    bytes.extend_from_slice(&idat);
    bytes.extend_from_slice(&crc.sum().to_be_bytes());
    bytes
}

/// Runs `--predict` on each bad picture alone: non-zero exit, no panic, one
/// `error:` line that names the file and what is wrong.
fn assert_refused(model: &Path, cases: &[(PathBuf, &str)]) {
    for (path, needle) in cases {
        let o = mnist(&[
            "--load".as_ref(),
            model.as_os_str(),
            "--predict".as_ref(),
            path.as_os_str(),
        ]);
        let err = stderr(&o);
        assert!(!o.status.success(), "{}: accepted", path.display());
        assert!(!err.contains("panicked"), "{}: {err}", path.display());
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{}: not one line: {err}", path.display());
        assert!(
            lines[0].starts_with(&format!("error: {}", path.display())),
            "{}: {err}",
            path.display()
        );
        assert!(
            lines[0].contains(needle),
            "{}: lacks {needle:?}: {err}",
            path.display()
        );
    }
}

/// Missing files, directories, other formats, corrupt and blank pictures,
/// and a model that is not 784 -> 10: each refused with one line naming the
/// file. With several pictures, the readable ones are still read.
#[test]
fn unreadable_pictures_and_unfit_models_fail_with_one_line_naming_the_file() {
    let dir = temp_dir("bad");
    let model = small_model(&dir, SIDE * SIDE);
    let text = dir.join("notes.txt");
    std::fs::write(&text, "a seven, honestly").unwrap();
    let gif = dir.join("seven.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    let fake = dir.join("fake.png");
    std::fs::write(&fake, b"not a PNG at all").unwrap();
    let good = dir.join("good.png");
    let mut seven = GrayImage::new(40, 40);
    for i in 8..32 {
        seven.put_pixel(i, 8, Luma([255]));
        seven.put_pixel(30 - i / 3, i, Luma([255]));
    }
    seven.save(&good).unwrap();
    let truncated = dir.join("truncated.png");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let white = dir.join("white.jpg");
    image::DynamicImage::ImageLuma8(GrayImage::from_pixel(50, 30, Luma([255])))
        .to_rgb8()
        .save(&white)
        .unwrap();
    let black = dir.join("black.pgm");
    GrayImage::new(28, 28).save(&black).unwrap();
    assert_refused(
        &model,
        &[
            (dir.join("missing.png"), "cannot read"),
            (dir.clone(), "is a directory"),
            (text, "unsupported format"),
            (gif, "unsupported format (a Gif picture)"),
            (fake, "cannot decode"),
            (truncated, "truncated"),
            (white, "blank"),
            (black, "blank"),
        ],
    );

    // A model that does not take 28x28 pixels.
    let wide = small_model(&dir, 100);
    let o = mnist(&[
        "--load".as_ref(),
        wide.as_os_str(),
        "--predict".as_ref(),
        good.as_os_str(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("takes 100 inputs") && err.contains("28x28 = 784"),
        "{err}"
    );

    // Without --load: a usage error naming it.
    let o = mnist(&["--predict".as_ref(), good.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--load"), "{}", stderr(&o));

    // A good picture and a missing one: the good one is read, the missing
    // one named, and the run fails.
    let missing = dir.join("gone.png");
    let o = mnist(&[
        "--load".as_ref(),
        model.as_os_str(),
        "--predict".as_ref(),
        good.as_os_str(),
        missing.as_os_str(),
    ]);
    assert!(!o.status.success());
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(out.contains(&format!("{}: ", good.display())), "{out}");
    assert!(out
        .lines()
        .last()
        .unwrap()
        .starts_with("result: predicted="));
    assert!(out.lines().last().unwrap().ends_with(",-"), "{out}");
    assert!(err.contains("gone.png: cannot read"), "{err}");
    assert!(err.contains("1 of 2 pictures could not be read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A picture whose header declares more pixels than the decoder may
/// allocate is refused from the header, before any pixel is allocated.
#[test]
fn pictures_declaring_huge_dimensions_are_refused_before_decoding() {
    let dir = temp_dir("huge");
    let model = small_model(&dir, SIDE * SIDE);
    // Over the side limit (10,000); within it but 800 MB of 16-bit RGBA,
    // over the decoder's allocation limit; and a header of a small enough
    // picture with no pixels after it, which is only truncated.
    let mut cases = Vec::new();
    for (w, h, colour, depth, needle) in [
        (100_000, 100_000, 0, 8, "too large"),
        (20_000, 1, 0, 8, "too large"),
        (10_000, 10_000, 6, 16, "too large"),
        (9_000, 9_000, 0, 8, "truncated"),
    ] {
        let path = dir.join(format!("huge-{w}x{h}-{colour}-{depth}.png"));
        std::fs::write(&path, png_header_only(w, h, colour, depth)).unwrap();
        cases.push((path, needle));
    }
    assert_refused(&model, &cases);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--help` documents `--predict`, its formats and its preparation.
#[test]
fn help_documents_predict() {
    let o = mnist(&["--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    for want in [
        "--predict <IMAGE>...",
        "PNG, JPEG or PGM",
        "Needs --load",
        "Your own digits: --load MODEL --predict IMAGE...",
        "centred by centre of mass in 28x28",
    ] {
        assert!(help.contains(want), "--help lacks {want:?}:\n{help}");
    }
}
