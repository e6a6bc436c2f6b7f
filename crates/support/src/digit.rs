//! A picture of a handwritten digit, from a file of any size, made into the
//! 28x28 input an MNIST network expects (what `mnist --predict` reads).
//!
//! A network trained on MNIST has only ever seen digits prepared the way
//! LeCun et al. prepared NIST's: light ink on black, the digit scaled to fit
//! a 20x20 box with its aspect ratio kept, and placed in a 28x28 field so
//! that its centre of mass is at the centre. A photo or a drawing differs in
//! every one of these (dark ink on white paper, any size, anywhere in the
//! frame), and a network given it as it is reads noise. [`prepare_digit`]
//! repeats MNIST's steps on any grayscale picture; [`read_digit`] decodes a
//! PNG, JPEG or PNM (PGM/PPM/PBM) file first, refusing what it cannot read
//! with a [`PictureError`] that names the file.
//!
//! ```
//! use support::digit::{prepare_digit, SIDE};
//! // A black 60x40 picture with a white bar 30 pixels tall at its left.
//! let (w, h) = (60, 40);
//! let mut px = vec![0.0f32; w * h];
//! for y in 5..35 {
//!     for x in 3..9 {
//!         px[y * w + x] = 1.0;
//!     }
//! }
//! let digit = prepare_digit(w, h, &px).unwrap();
//! assert_eq!(digit.pixels.len(), SIDE * SIDE);
//! assert!(!digit.inverted);
//! assert_eq!(digit.scaled, (4, 20)); // 6x30 fitted into 20x20, aspect kept
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use image::imageops::{resize, FilterType};
use image::{ImageBuffer, ImageError, ImageFormat, ImageReader, Limits, Luma};

/// Side of the network's input picture (MNIST's 28).
pub const SIDE: usize = 28;

/// Side of the box the digit is scaled to fit (MNIST's 20): the 4-pixel
/// margin leaves room to move the centre of mass to the middle.
pub const BOX: usize = 20;

/// Largest width or height decoded. A phone's 48-megapixel photo is
/// 8000x6000; a file claiming more is refused before its pixels are
/// allocated.
pub const MAX_SIDE: u32 = 10_000;

/// Most bytes the decoder may allocate for one picture (the decoded pixels
/// included); `image`'s own default.
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// Largest file read. Compressed pictures of at most [`MAX_SIDE`] pixels a
/// side are far smaller; a larger file is a mistake (a video, a disk image).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A pixel counts as ink for the crop when it is at least this bright, on
/// the scale where the background is 0 and the brightest ink 1: faint
/// specks and compression noise below it do not widen the crop.
pub const INK_THRESHOLD: f32 = 0.2;

/// A picture whose ink differs from its background by less than this (on a
/// 0-1 scale) is blank: what remains is noise, not a digit.
pub const MIN_CONTRAST: f32 = 0.1;

/// A digit ready for the network, and what was done to get it.
#[derive(Clone, Debug, PartialEq)]
pub struct Digit {
    /// `SIDE * SIDE` values in [0, 1], row-major, light ink (1) on black
    /// (0), as MNIST's pixels divided by 255.
    pub pixels: Vec<f32>,
    /// The picture was dark ink on a light background and was inverted.
    pub inverted: bool,
    /// Width and height of the picture given.
    pub source: (usize, usize),
    /// The ink's bounding box in the picture given: `(x, y, width, height)`.
    pub ink: (usize, usize, usize, usize),
    /// Width and height the ink was scaled to (the larger is [`BOX`]).
    pub scaled: (usize, usize),
    /// Where the centre of mass landed, `(x, y)`, in pixel units from the
    /// top-left corner of the 28x28 picture (its centre is `(14, 14)`).
    pub centre_of_mass: (f32, f32),
}

/// Why a picture could not be made into a digit.
#[derive(Debug)]
pub enum PictureError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The path is a directory, a FIFO or a device, not a file (a FIFO
    /// would block the read forever).
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// The file or the picture is larger than the limits allow.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Which limit, and the size.
        detail: String,
    },
    /// Not a PNG, JPEG or PNM picture.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it seems to be instead.
        detail: String,
    },
    /// A PNG, JPEG or PNM file whose content is broken (truncated, corrupt).
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The picture is one flat shade: no ink to read.
    Blank {
        /// The file, when there is one.
        path: Option<PathBuf>,
    },
}

impl fmt::Display for PictureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PictureError::Io { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            PictureError::NotAFile { path, what } => {
                write!(f, "{}: is {what}, not a picture file", path.display())
            }
            PictureError::TooLarge { path, detail } => {
                write!(f, "{}: too large: {detail}", path.display())
            }
            PictureError::Unsupported { path, detail } => write!(
                f,
                "{}: unsupported format ({detail}); expected PNG, JPEG or PGM/PPM/PBM",
                path.display()
            ),
            PictureError::Decode { path, detail } => {
                write!(f, "{}: cannot decode: {detail}", path.display())
            }
            PictureError::Blank { path } => {
                if let Some(path) = path {
                    write!(f, "{}: ", path.display())?;
                }
                write!(
                    f,
                    "the picture is blank (no ink differs from the background by {MIN_CONTRAST} or more)"
                )
            }
        }
    }
}

impl std::error::Error for PictureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PictureError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads a PNG, JPEG or PNM file (the format is taken from the content, not
/// the name) and prepares it with [`prepare_digit`]. Colour is reduced to
/// luminance; transparent pixels are taken as white, as a viewer shows
/// them on a page.
///
/// # Errors
/// [`PictureError`] naming `path`: missing or unreadable, not a regular
/// file, over [`MAX_FILE_BYTES`], wider or taller than [`MAX_SIDE`] or
/// needing more than [`MAX_DECODED_BYTES`] (refused from the header, before
/// the pixels are allocated), another format, corrupt, or blank.
pub fn read_digit(path: &Path) -> Result<Digit, PictureError> {
    let (width, height, luminance) = read_luminance(path)?;
    prepare_digit(width, height, &luminance).map_err(|e| match e {
        PictureError::Blank { .. } => PictureError::Blank {
            path: Some(path.to_path_buf()),
        },
        other => other,
    })
}

/// Decodes `path` into `(width, height, luminance)`, luminance in [0, 1]
/// (0 black), row-major, transparency composited over white.
///
/// # Errors
/// As [`read_digit`], except that a blank picture is returned, not refused.
pub fn read_luminance(path: &Path) -> Result<(usize, usize, Vec<f32>), PictureError> {
    let io = |source| PictureError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, a socket or a device)"
        };
        return Err(PictureError::NotAFile {
            path: path.to_path_buf(),
            what,
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(PictureError::TooLarge {
            path: path.to_path_buf(),
            detail: format!(
                "the file is {} bytes, more than the {MAX_FILE_BYTES} read",
                meta.len()
            ),
        });
    }
    let mut reader = ImageReader::open(path)
        .map_err(io)?
        .with_guessed_format()
        .map_err(io)?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Pnm) => {}
        Some(other) => {
            return Err(PictureError::Unsupported {
                path: path.to_path_buf(),
                detail: format!("a {other:?} picture"),
            })
        }
        None => {
            return Err(PictureError::Unsupported {
                path: path.to_path_buf(),
                detail: "not a picture format this program knows".into(),
            })
        }
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(e) => PictureError::TooLarge {
            path: path.to_path_buf(),
            detail: format!(
                "{e} (the limits are {MAX_SIDE} pixels a side and {} MiB decoded)",
                MAX_DECODED_BYTES >> 20
            ),
        },
        ImageError::Unsupported(e) => PictureError::Unsupported {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        // The decoders read through the file: running out of it is a
        // truncated picture, not a failing disk.
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PictureError::Decode {
                path: path.to_path_buf(),
                detail: "the file ends before the picture does (truncated?)".into(),
            }
        }
        ImageError::IoError(e) => io(e),
        other => PictureError::Decode {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    })?;
    let (width, height) = (image.width() as usize, image.height() as usize);
    let luminance = image
        .to_luma_alpha32f()
        .pixels()
        .map(|p| {
            let [l, a] = p.0;
            (l * a + (1.0 - a)).clamp(0.0, 1.0)
        })
        .collect();
    Ok((width, height, luminance))
}

/// MNIST's preparation of a digit, on a `width x height` grayscale picture
/// (`luminance` row-major, 0 black, 1 white):
///
/// 1. **Background and ink.** The background is the median of the outer
///    ring of pixels; the ink is whichever extreme (the darkest or the
///    brightest pixel) lies farther from it. Dark ink on a light background
///    (paper, a drawing program) is inverted, since MNIST is light on black.
/// 2. **Contrast.** Values are rescaled so that the background is 0 and
///    the strongest ink 1 (grey paper, faint pencil), then clamped to [0, 1].
/// 3. **Crop** to the bounding box of the pixels of at least
///    [`INK_THRESHOLD`].
/// 4. **Scale** the crop to fit a [`BOX`]x[`BOX`] box, keeping its aspect
///    ratio, with a triangle (linear) filter, which averages over the
///    footprint when shrinking and interpolates when enlarging.
/// 5. **Centre** it in a [`SIDE`]x[`SIDE`] picture so that its centre of mass
///    is at the centre, `(14, 14)`, to the nearest whole pixel (a shift by
///    a fraction would blur the strokes). A digit whose mass lies so far to
///    one side that this would push part of it off the picture is moved
///    only as far as the edge.
///
/// # Errors
/// [`PictureError::Blank`] (without a path) when no pixel differs from the
/// background by [`MIN_CONTRAST`], including an empty picture.
///
/// # Panics
/// If `luminance.len() != width * height`.
pub fn prepare_digit(
    width: usize,
    height: usize,
    luminance: &[f32],
) -> Result<Digit, PictureError> {
    assert_eq!(
        luminance.len(),
        width * height,
        "prepare_digit: {width}x{height} needs {} values, got {}",
        width * height,
        luminance.len()
    );
    let blank = || PictureError::Blank { path: None };
    if luminance.is_empty() {
        return Err(blank());
    }
    let background = median(border(width, height, luminance));
    let (lo, hi) = luminance
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (dark, light) = (background - lo, hi - background);
    let inverted = dark > light;
    let contrast = dark.max(light);
    // NaN (a picture of nothing but NaN) is blank too.
    if contrast.is_nan() || contrast < MIN_CONTRAST {
        return Err(blank());
    }
    let ink = |v: f32| {
        let d = if inverted {
            background - v
        } else {
            v - background
        };
        if d.is_finite() {
            (d / contrast).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };

    // The crop: rows and columns holding a pixel at or over the threshold.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink(luminance[y * width + x]) >= INK_THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x0 >= x1 {
        return Err(blank());
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let crop: Vec<f32> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| ink(luminance[y * width + x]))
        .collect();

    // Fit BOX x BOX, aspect kept: the longer side becomes BOX.
    let scale = BOX as f64 / cw.max(ch) as f64;
    let fit = |n: usize| ((n as f64 * scale).round() as usize).clamp(1, BOX);
    let (sw, sh) = (fit(cw), fit(ch));
    let crop = ImageBuffer::<Luma<f32>, Vec<f32>>::from_raw(cw as u32, ch as u32, crop)
        .expect("the crop holds cw * ch values");
    let scaled = resize(&crop, sw as u32, sh as u32, FilterType::Triangle);
    let scaled: Vec<f32> = scaled
        .into_raw()
        .iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect();

    // Centre of mass, with pixel (x, y) standing for its centre (x + 0.5, y + 0.5).
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..sh {
        for x in 0..sw {
            let v = scaled[y * sw + x] as f64;
            mass += v;
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
        }
    }
    if mass <= 0.0 {
        return Err(blank());
    }
    let (cx, cy) = (mx / mass, my / mass);
    let centre = SIDE as f64 / 2.0;
    let place = |c: f64, size: usize| -> usize {
        (centre - c).round().clamp(0.0, (SIDE - size) as f64) as usize
    };
    let (ox, oy) = (place(cx, sw), place(cy, sh));
    let mut pixels = vec![0.0f32; SIDE * SIDE];
    for y in 0..sh {
        let row = (oy + y) * SIDE + ox;
        pixels[row..row + sw].copy_from_slice(&scaled[y * sw..(y + 1) * sw]);
    }
    Ok(Digit {
        pixels,
        inverted,
        source: (width, height),
        ink: (x0, y0, cw, ch),
        scaled: (sw, sh),
        centre_of_mass: ((ox as f64 + cx) as f32, (oy as f64 + cy) as f32),
    })
}

/// The pixels of the outer ring of the picture (each once).
fn border(width: usize, height: usize, px: &[f32]) -> Vec<f32> {
    (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == width || y + 1 == height)
        .map(|(x, y)| px[y * width + x])
        .filter(|v| v.is_finite())
        .collect()
}

fn median(mut values: Vec<f32>) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w x h` picture of `background` with the rectangles `(x, y, w, h)`
    /// painted `ink`.
    fn picture(w: usize, h: usize, background: f32, ink: f32, rects: &[[usize; 4]]) -> Vec<f32> {
        let mut px = vec![background; w * h];
        for &[rx, ry, rw, rh] in rects {
            for y in ry..ry + rh {
                for x in rx..rx + rw {
                    px[y * w + x] = ink;
                }
            }
        }
        px
    }

    /// The centre of mass of a 28x28 picture, in the same units as
    /// [`Digit::centre_of_mass`].
    fn centre_of_mass(px: &[f32]) -> (f32, f32) {
        let (mut m, mut x, mut y) = (0.0, 0.0, 0.0);
        for (i, &v) in px.iter().enumerate() {
            m += v;
            x += v * ((i % SIDE) as f32 + 0.5);
            y += v * ((i / SIDE) as f32 + 0.5);
        }
        (x / m, y / m)
    }

    /// The bounding box of the nonzero pixels: (x, y, w, h).
    fn bbox(px: &[f32]) -> (usize, usize, usize, usize) {
        let on: Vec<usize> = (0..px.len()).filter(|&i| px[i] > 0.0).collect();
        let xs = on.iter().map(|i| i % SIDE);
        let ys = on.iter().map(|i| i / SIDE);
        let (x0, x1) = (xs.clone().min().unwrap(), xs.max().unwrap());
        let (y0, y1) = (ys.clone().min().unwrap(), ys.max().unwrap());
        (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
    }

    #[test]
    fn the_centre_of_mass_lands_at_the_centre() {
        // An "L" far in a corner of a large picture: heavy bottom bar, so
        // the mass is not at the middle of the ink's box.
        let px = picture(
            300,
            200,
            0.0,
            1.0,
            &[[200, 20, 12, 150], [200, 150, 90, 20]],
        );
        let d = prepare_digit(300, 200, &px).unwrap();
        let (cx, cy) = centre_of_mass(&d.pixels);
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "({cx}, {cy})"
        );
        assert!((cx - d.centre_of_mass.0).abs() < 1e-3);
        assert!((cy - d.centre_of_mass.1).abs() < 1e-3);
        assert_eq!(d.ink, (200, 20, 90, 150));
        // Not simply the box centred: the box's centre is elsewhere.
        let (bx, by, bw, bh) = bbox(&d.pixels);
        let box_centre = (bx as f32 + bw as f32 / 2.0, by as f32 + bh as f32 / 2.0);
        assert!((box_centre.0 - 14.0).abs() > 1.0 || (box_centre.1 - 14.0).abs() > 1.0);
        assert!(d.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn the_aspect_ratio_is_kept_and_the_long_side_fills_the_box() {
        // A 15x60 bar (1:4) in a 90x80 picture: 5x20 after scaling.
        let px = picture(90, 80, 0.0, 1.0, &[[30, 10, 15, 60]]);
        let d = prepare_digit(90, 80, &px).unwrap();
        assert_eq!(d.scaled, (5, 20));
        let (_, _, w, h) = bbox(&d.pixels);
        assert_eq!((w, h), (5, 20));
        // Wide rather than tall: 40x10 (4:1) -> 20x5.
        let px = picture(50, 30, 0.0, 1.0, &[[5, 10, 40, 10]]);
        let d = prepare_digit(50, 30, &px).unwrap();
        assert_eq!(d.scaled, (20, 5));
        // A small picture is enlarged: 4x8 -> 10x20.
        let px = picture(10, 12, 0.0, 1.0, &[[3, 2, 4, 8]]);
        assert_eq!(prepare_digit(10, 12, &px).unwrap().scaled, (10, 20));
    }

    #[test]
    fn dark_ink_on_light_paper_is_inverted_to_the_same_digit() {
        let rects = [[20, 10, 8, 50], [20, 10, 30, 8], [42, 10, 8, 30]];
        let light_on_dark = picture(70, 70, 0.0, 1.0, &rects);
        let dark_on_light = picture(70, 70, 1.0, 0.0, &rects);
        let a = prepare_digit(70, 70, &light_on_dark).unwrap();
        let b = prepare_digit(70, 70, &dark_on_light).unwrap();
        assert!(!a.inverted && b.inverted);
        assert_eq!(a.pixels, b.pixels);
        // Grey paper and grey pencil: the contrast is stretched to 0..1.
        let faint = picture(70, 70, 0.8, 0.45, &rects);
        let c = prepare_digit(70, 70, &faint).unwrap();
        assert!(c.inverted);
        let diff = a
            .pixels
            .iter()
            .zip(&c.pixels)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "{diff}");
        // Ink touching the edge does not fool the background estimate: the
        // ring is mostly paper.
        let edge = picture(40, 40, 1.0, 0.0, &[[0, 5, 6, 30], [0, 5, 25, 6]]);
        assert!(prepare_digit(40, 40, &edge).unwrap().inverted);
    }

    #[test]
    fn blank_pictures_are_an_error() {
        for (w, h, shade) in [(28, 28, 0.0), (100, 50, 1.0), (7, 3, 0.5), (1, 1, 0.3)] {
            let e = prepare_digit(w, h, &vec![shade; w * h]).unwrap_err();
            assert!(matches!(e, PictureError::Blank { path: None }), "{e}");
            assert!(e.to_string().contains("blank"), "{e}");
        }
        // Noise below the contrast floor is still blank.
        let noise: Vec<f32> = (0..400)
            .map(|i| 0.9 + 0.05 * ((i * 7 % 11) as f32 / 11.0))
            .collect();
        assert!(prepare_digit(20, 20, &noise).is_err());
        assert!(prepare_digit(0, 0, &[]).is_err());
        // NaN is not ink.
        let nan = vec![f32::NAN; 16];
        assert!(prepare_digit(4, 4, &nan).is_err());
    }

    #[test]
    fn an_mnist_like_digit_is_left_nearly_as_it_was() {
        // A 20-pixel-tall, centred bar in 28x28: MNIST's own layout.
        let px = picture(28, 28, 0.0, 1.0, &[[12, 4, 4, 20]]);
        let d = prepare_digit(28, 28, &px).unwrap();
        assert_eq!(d.pixels, px);
        assert_eq!(d.centre_of_mass, (14.0, 14.0));
    }

    #[test]
    fn missing_and_non_picture_files_are_named_errors() {
        let dir = std::env::temp_dir().join(format!("matnet-digit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.png");
        let e = read_digit(&missing).unwrap_err();
        assert!(matches!(e, PictureError::Io { .. }), "{e}");
        assert!(e.to_string().contains("missing.png"), "{e}");
        let e = read_digit(&dir).unwrap_err();
        assert!(matches!(e, PictureError::NotAFile { .. }), "{e}");
        let text = dir.join("notes.txt");
        std::fs::write(&text, "not a picture").unwrap();
        let e = read_digit(&text).unwrap_err();
        assert!(matches!(e, PictureError::Unsupported { .. }), "{e}");
        let fake = dir.join("fake.png");
        std::fs::write(&fake, "not a picture either").unwrap();
        let e = read_digit(&fake).unwrap_err();
        assert!(matches!(e, PictureError::Decode { .. }), "{e}");
        assert!(
            e.to_string().starts_with(&fake.display().to_string()),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
