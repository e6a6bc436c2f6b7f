//! Digit images as CSV, in the Kaggle digit-recognizer layout.
//!
//! `train.csv` has a header `label,pixel0,pixel1,...,pixel783` and then one
//! image per line: its label (0-9) and its pixels (integers 0-255, row by
//! row); `test.csv` is the same without the `label` column. The file may be
//! gzip'd (detected by its first two bytes, not by its name).
//!
//! The reader streams: one line at a time through a reused buffer, never
//! the whole file as a `String`; pixels are scaled to [0, 1] by dividing by
//! 255, as [`Dataset::from_idx`] does. Every malformed file is a
//! [`CsvError`] naming the path, the 1-based line and column, and what is
//! wrong; nothing panics, and the row count, line length and column count
//! are capped ([`CsvLimits`]) before anything large is allocated.
//!
//! ```
//! let text = "label,pixel0,pixel1,pixel2,pixel3\n7,0,255,51,0\n";
//! let csv = nn::csv::read_csv_from(text.as_bytes(), "tiny.csv").unwrap();
//! assert!(csv.labelled);
//! assert_eq!(csv.data.labels, vec![7]);
//! assert_eq!(csv.data.images.row(0), &[0.0, 1.0, 0.2, 0.0]);
//! assert_eq!(csv.data.image_shape, (2, 2));
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use matrix::Matrix;

use crate::dataset::{Dataset, MNIST_CLASSES};

/// Caps on what a CSV file may make the reader allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvLimits {
    /// Most data rows (images) accepted.
    pub max_rows: usize,
    /// Most pixel columns accepted.
    pub max_pixels: usize,
    /// Longest line accepted, in bytes (without the line ending).
    pub max_line_bytes: usize,
    /// Most bytes the pixels may take once read (4 per pixel, as `f32`).
    /// The rows are capped by this as well as by `max_rows`, since the
    /// data a file declares costs little to send: a 1.9 MB gzip'd CSV of
    /// 700,000 honest rows once made the reader ask for 1.76 GB in one
    /// piece.
    pub max_pixel_bytes: u64,
}

impl Default for CsvLimits {
    /// One million rows (Kaggle's files have 42,000 and 28,000; all of
    /// MNIST is 70,000), 65,536 pixels per image, 1 MiB per line, and 1 GiB
    /// of pixels (the IDX reader's
    /// [`DEFAULT_MAX_DATA_BYTES`](crate::idx::DEFAULT_MAX_DATA_BYTES): 342,392
    /// rows of 784 pixels, eight times Kaggle's training file).
    fn default() -> Self {
        CsvLimits {
            max_rows: 1_000_000,
            max_pixels: 1 << 16,
            max_line_bytes: 1 << 20,
            max_pixel_bytes: crate::idx::DEFAULT_MAX_DATA_BYTES,
        }
    }
}

/// A CSV file read into a [`Dataset`].
#[derive(Debug)]
pub struct CsvData {
    /// The images (one row each, pixels / 255) and labels. An unlabelled
    /// file (no `label` column, like Kaggle's `test.csv`) gets label 0 on
    /// every row as a placeholder: check [`CsvData::labelled`] before
    /// scoring against them.
    pub data: Dataset,
    /// Whether the file had a `label` column.
    pub labelled: bool,
}

/// What is wrong with a CSV file.
#[derive(Debug)]
pub enum CsvErrorKind {
    /// Reading (or un-gzipping) the file failed.
    Io(io::Error),
    /// The file has no bytes (or, gzip'd, decompresses to none).
    Empty,
    /// The first line is not a header `[label,]pixel0,...,pixelN-1`.
    Header(String),
    /// The header names no data rows after it.
    NoRows,
    /// A row with a different number of fields than the header.
    ColumnCount {
        /// Fields the header has.
        expected: usize,
        /// Fields the row has.
        found: usize,
    },
    /// A field that is not a number.
    NotANumber(String),
    /// A number with a fraction where an integer is expected.
    NotAnInteger(String),
    /// A pixel outside 0..=255.
    PixelOutOfRange(String),
    /// A label outside 0..=9.
    LabelOutOfRange(String),
    /// More data rows than [`CsvLimits::max_rows`].
    TooManyRows {
        /// The limit.
        limit: usize,
    },
    /// More rows than [`CsvLimits::max_pixel_bytes`] of pixels hold.
    TooLarge {
        /// The most rows of this width that fit.
        rows: usize,
        /// Pixels per row.
        pixels: usize,
        /// The limit, in bytes.
        limit_bytes: u64,
    },
    /// More pixel columns than [`CsvLimits::max_pixels`].
    TooManyColumns {
        /// Pixel columns in the header.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A line longer than [`CsvLimits::max_line_bytes`].
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// The allocator refused memory for the pixels.
    OutOfMemory {
        /// Bytes asked for.
        bytes: u64,
    },
}

/// A malformed or unreadable CSV file: where, and what is wrong.
#[derive(Debug)]
pub struct CsvError {
    /// The file (or the name given to [`read_csv_from`]).
    pub path: PathBuf,
    /// 1-based line, when the problem is on one line.
    pub line: Option<u64>,
    /// 1-based column (field), when the problem is in one field.
    pub column: Option<usize>,
    /// What is wrong.
    pub kind: CsvErrorKind,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ": line {line}")?;
        }
        if let Some(col) = self.column {
            write!(f, ", column {col}")?;
        }
        write!(f, ": ")?;
        match &self.kind {
            CsvErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            CsvErrorKind::Empty => write!(f, "the file is empty"),
            CsvErrorKind::Header(m) => write!(
                f,
                "{m} (expected a header `label,pixel0,pixel1,...` or `pixel0,pixel1,...`)"
            ),
            CsvErrorKind::NoRows => write!(f, "no data rows after the header"),
            CsvErrorKind::ColumnCount { expected, found } => {
                write!(f, "{found} fields, but the header has {expected}")
            }
            CsvErrorKind::NotANumber(v) => write!(f, "{v:?} is not a number"),
            CsvErrorKind::NotAnInteger(v) => write!(f, "{v:?} is not an integer"),
            CsvErrorKind::PixelOutOfRange(v) => write!(f, "pixel {v} is outside 0..=255"),
            CsvErrorKind::LabelOutOfRange(v) => write!(f, "label {v} is outside 0..=9"),
            CsvErrorKind::TooManyRows { limit } => {
                write!(f, "more than {limit} data rows (the limit)")
            }
            CsvErrorKind::TooLarge {
                rows,
                pixels,
                limit_bytes,
            } => write!(
                f,
                "more than {rows} rows of {pixels} pixels, whose f32 copy would pass \
                 the limit of {limit_bytes} bytes"
            ),
            CsvErrorKind::TooManyColumns { found, limit } => {
                write!(f, "{found} pixel columns, more than the limit of {limit}")
            }
            CsvErrorKind::LineTooLong { limit } => {
                write!(f, "a line longer than {limit} bytes (the limit)")
            }
            CsvErrorKind::OutOfMemory { bytes } => {
                write!(f, "out of memory: the pixels need {bytes} bytes")
            }
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CsvErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads a digit-recognizer CSV file (plain or gzip'd) with the default
/// [`CsvLimits`].
pub fn read_csv(path: &Path) -> Result<CsvData, CsvError> {
    read_csv_with_limits(path, CsvLimits::default())
}

/// [`read_csv`] with explicit limits.
pub fn read_csv_with_limits(path: &Path, limits: CsvLimits) -> Result<CsvData, CsvError> {
    let file = File::open(path).map_err(|e| CsvError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        kind: CsvErrorKind::Io(e),
    })?;
    read_csv_from_with_limits(file, path, limits)
}

/// Reads CSV from any reader (plain or gzip'd); `name` stands for the path
/// in errors.
pub fn read_csv_from(reader: impl Read, name: impl AsRef<Path>) -> Result<CsvData, CsvError> {
    read_csv_from_with_limits(reader, name, CsvLimits::default())
}

/// [`read_csv_from`] with explicit limits.
pub fn read_csv_from_with_limits(
    reader: impl Read,
    name: impl AsRef<Path>,
    limits: CsvLimits,
) -> Result<CsvData, CsvError> {
    let path = name.as_ref();
    let err = |line: Option<u64>, column: Option<usize>, kind| CsvError {
        path: path.to_path_buf(),
        line,
        column,
        kind,
    };
    let mut plain = BufReader::new(reader);
    let gzip = match plain.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => return Err(err(None, None, CsvErrorKind::Io(e))),
    };
    if gzip {
        let decoded = BufReader::new(MultiGzDecoder::new(plain));
        Parser::new(decoded, path, limits).run()
    } else {
        Parser::new(plain, path, limits).run()
    }
}

/// The header's first column, when the file is labelled.
const LABEL: &str = "label";

struct Parser<'p, R> {
    reader: R,
    path: &'p Path,
    limits: CsvLimits,
    line: Vec<u8>,
    line_no: u64,
}

impl<'p, R: BufRead> Parser<'p, R> {
    fn new(reader: R, path: &'p Path, limits: CsvLimits) -> Self {
        Parser {
            reader,
            path,
            limits,
            line: Vec::new(),
            line_no: 0,
        }
    }

    fn err(&self, column: Option<usize>, kind: CsvErrorKind) -> CsvError {
        CsvError {
            path: self.path.to_path_buf(),
            line: (self.line_no > 0).then_some(self.line_no),
            column,
            kind,
        }
    }

    /// Reads the next line into `self.line` without its ending; `false` at
    /// the end of the file. Reads at most `max_line_bytes + 2` bytes, so a
    /// file without newlines cannot grow the buffer past the limit.
    fn next_line(&mut self) -> Result<bool, CsvError> {
        self.line.clear();
        let cap = self.limits.max_line_bytes as u64 + 2;
        let n = (&mut self.reader)
            .take(cap)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| self.err(None, CsvErrorKind::Io(e)))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        } else if n as u64 == cap {
            let limit = self.limits.max_line_bytes;
            return Err(self.err(None, CsvErrorKind::LineTooLong { limit }));
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.len() > self.limits.max_line_bytes {
            let limit = self.limits.max_line_bytes;
            return Err(self.err(None, CsvErrorKind::LineTooLong { limit }));
        }
        Ok(true)
    }

    /// Parses the header; returns (labelled, pixel count).
    fn header(&mut self) -> Result<(bool, usize), CsvError> {
        if !self.next_line()? {
            return Err(self.err(None, CsvErrorKind::Empty));
        }
        let line = self
            .line
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.line);
        let text = String::from_utf8_lossy(line).into_owned();
        let names: Vec<String> = text
            .split(',')
            .map(|f| f.trim().trim_matches('"').trim().to_ascii_lowercase())
            .collect();
        if names.iter().all(|n| n.parse::<f64>().is_ok()) {
            return Err(self.err(
                None,
                CsvErrorKind::Header("the first line is numbers, not a header".into()),
            ));
        }
        let labelled = names[0] == LABEL;
        let pixels = names.len() - usize::from(labelled);
        if pixels == 0 {
            return Err(self.err(None, CsvErrorKind::Header("no pixel columns".into())));
        }
        if pixels > self.limits.max_pixels {
            let limit = self.limits.max_pixels;
            return Err(self.err(
                None,
                CsvErrorKind::TooManyColumns {
                    found: pixels,
                    limit,
                },
            ));
        }
        for (i, name) in names.iter().enumerate().skip(usize::from(labelled)) {
            let want = format!("pixel{}", i - usize::from(labelled));
            if *name != want {
                let what = if name == LABEL {
                    format!("`{LABEL}` must be the first column")
                } else {
                    format!("found {name:?} where {want:?} belongs")
                };
                return Err(self.err(Some(i + 1), CsvErrorKind::Header(what)));
            }
        }
        Ok((labelled, pixels))
    }

    fn run(mut self) -> Result<CsvData, CsvError> {
        let (labelled, pixels) = self.header()?;
        let fields = pixels + usize::from(labelled);
        let mut values: Vec<f32> = Vec::new();
        let mut labels: Vec<u8> = Vec::new();
        let mut rows = 0usize;
        // Rows whose pixels fit in `max_pixel_bytes` (4 bytes each).
        let row_bytes = (pixels as u64).saturating_mul(4).max(1);
        let fit_rows =
            usize::try_from(self.limits.max_pixel_bytes / row_bytes).unwrap_or(usize::MAX);
        while self.next_line()? {
            if self.line.iter().all(|b| b.is_ascii_whitespace()) {
                continue; // a blank line (e.g. a trailing one)
            }
            if rows == self.limits.max_rows {
                let limit = self.limits.max_rows;
                return Err(self.err(None, CsvErrorKind::TooManyRows { limit }));
            }
            if rows == fit_rows {
                let limit_bytes = self.limits.max_pixel_bytes;
                let kind = CsvErrorKind::TooLarge {
                    rows,
                    pixels,
                    limit_bytes,
                };
                return Err(self.err(None, kind));
            }
            let found = self.line.split(|&b| b == b',').count();
            if found != fields {
                return Err(self.err(
                    None,
                    CsvErrorKind::ColumnCount {
                        expected: fields,
                        found,
                    },
                ));
            }
            if values.capacity() - values.len() < pixels {
                // Doubling, as `Vec` grows, but never past the rows that fit:
                // the buffer stays within `max_pixel_bytes`.
                let most = fit_rows.min(self.limits.max_rows).saturating_mul(pixels);
                let want = values
                    .capacity()
                    .saturating_mul(2)
                    .max(64 * pixels)
                    .min(most)
                    .max(values.len() + pixels);
                if values.try_reserve_exact(want - values.len()).is_err() {
                    let bytes = want as u64 * 4;
                    return Err(self.err(None, CsvErrorKind::OutOfMemory { bytes }));
                }
            }
            let mut label = 0u8;
            for (i, field) in self.line.split(|&b| b == b',').enumerate() {
                let is_label = labelled && i == 0;
                let max = if is_label {
                    MNIST_CLASSES as i64 - 1
                } else {
                    255
                };
                let v = parse_int(field, max, is_label).map_err(|k| self.err(Some(i + 1), k))?;
                if is_label {
                    label = v as u8;
                } else {
                    values.push(v as f32 / 255.0);
                }
            }
            labels.push(label);
            rows += 1;
        }
        if rows == 0 {
            self.line_no = 0;
            return Err(self.err(None, CsvErrorKind::NoRows));
        }
        let side = (pixels as f64).sqrt().round() as usize;
        let shape = if side * side == pixels {
            (side, side)
        } else {
            (1, pixels)
        };
        let images = Matrix::from_vec(rows, pixels, values);
        let data = Dataset::new(images, labels, MNIST_CLASSES, shape)
            .expect("rows, labels and shape agree by construction");
        Ok(CsvData { data, labelled })
    }
}

/// A field as an integer in `0..=max`.
fn parse_int(field: &[u8], max: i64, is_label: bool) -> Result<i64, CsvErrorKind> {
    let text = String::from_utf8_lossy(field);
    let t = text.trim().trim_matches('"').trim();
    let v = match t.parse::<i64>() {
        Ok(v) => v,
        Err(_) => match t.parse::<f64>() {
            Ok(x) if x.is_finite() && x.fract() == 0.0 => x as i64,
            Ok(x) if x.is_finite() => return Err(CsvErrorKind::NotAnInteger(t.to_string())),
            _ => return Err(CsvErrorKind::NotANumber(t.to_string())),
        },
    };
    if (0..=max).contains(&v) {
        Ok(v)
    } else if is_label {
        Err(CsvErrorKind::LabelOutOfRange(t.to_string()))
    } else {
        Err(CsvErrorKind::PixelOutOfRange(t.to_string()))
    }
}

/// Writes a Kaggle submission: a header `ImageId,Label`, then one line per
/// prediction with ImageId counting from 1. Atomic: written to a temporary
/// next to `path` and renamed over it.
pub fn write_submission(path: &Path, predictions: &[usize]) -> io::Result<()> {
    let mut text = String::with_capacity(16 + predictions.len() * 8);
    text.push_str("ImageId,Label\n");
    for (i, p) in predictions.iter().enumerate() {
        text.push_str(&format!("{},{p}\n", i + 1));
    }
    write_atomically(path, text.as_bytes())
}

/// Replaces the file at `path` with `contents` atomically (a temporary
/// next to it, synced, then renamed over it): readers see the old file or
/// the new one, never a part. For small text outputs (submissions, metrics).
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    crate::atomic_file::write_atomically_with(path, |f| f.write_all(contents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};

    fn read(text: &str) -> Result<CsvData, CsvError> {
        read_csv_from(text.as_bytes(), "t.csv")
    }

    /// The error of reading `text`: its kind, line and column.
    fn fails(text: &str) -> (CsvErrorKind, Option<u64>, Option<usize>, String) {
        let e = read(text).expect_err(text);
        let msg = e.to_string();
        assert!(msg.starts_with("t.csv"), "{msg}");
        (e.kind, e.line, e.column, msg)
    }

    const HEAD: &str = "label,pixel0,pixel1,pixel2,pixel3\n";

    #[test]
    fn labelled_and_unlabelled_files_read() {
        let d = read(&format!("{HEAD}3,0,255,51,102\n9,1,2,3,4\n")).unwrap();
        assert!(d.labelled);
        assert_eq!(d.data.labels, vec![3, 9]);
        assert_eq!(d.data.images.row(0), &[0.0, 1.0, 0.2, 0.4]);
        assert_eq!(d.data.image_shape, (2, 2));
        let t = read("pixel0,pixel1,pixel2\n0,255,0\n").unwrap();
        assert!(!t.labelled);
        assert_eq!((t.data.len(), t.data.image_shape), (1, (1, 3)));
        assert_eq!(t.data.images.row(0), &[0.0, 1.0, 0.0]);
    }

    #[test]
    fn header_variants_are_accepted() {
        for text in [
            "\u{feff}label,pixel0\r\n5,10\r\n", // BOM, CRLF
            "\"label\",\"pixel0\"\n5,10\n\n",   // quoted names, trailing blank line
            "Label , Pixel0\n 5 , 10 \n",       // case and spaces
            "label,pixel0\n5,10",               // no final newline
            "label,pixel0\n5.0,10.0\n",         // integral floats
        ] {
            let d = read(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(d.data.labels, vec![5], "{text:?}");
            assert_eq!(d.data.images.row(0), &[10.0 / 255.0], "{text:?}");
        }
    }

    #[test]
    fn every_error_kind_names_line_and_column() {
        use CsvErrorKind as K;
        let (k, line, _, _) = fails("");
        assert!(matches!(k, K::Empty) && line.is_none());
        let (k, line, _, msg) = fails("1,2,3\n4,5,6\n");
        assert!(matches!(k, K::Header(_)) && line == Some(1), "{msg}");
        let (k, _, col, msg) = fails("label,pixel0,pixel2\n1,2,3\n");
        assert!(matches!(k, K::Header(_)) && col == Some(3), "{msg}");
        assert!(msg.contains("\"pixel1\""), "{msg}");
        let (k, _, col, _) = fails("pixel0,label\n1,2\n");
        assert!(matches!(k, K::Header(_)) && col == Some(2));
        let (k, _, _, _) = fails("label\n1\n");
        assert!(matches!(k, K::Header(_)));
        let (k, _, _, _) = fails(HEAD);
        assert!(matches!(k, K::NoRows));
        let (k, line, _, msg) = fails(&format!("{HEAD}1,0,0,0,0\n2,0,0,0\n"));
        assert!(
            matches!(
                k,
                K::ColumnCount {
                    expected: 5,
                    found: 4
                }
            ) && line == Some(3),
            "{msg}"
        );
        assert_eq!(msg, "t.csv: line 3: 4 fields, but the header has 5");
        let (k, line, col, msg) = fails(&format!("{HEAD}1,0,x7,0,0\n"));
        assert!(matches!(k, K::NotANumber(_)) && line == Some(2) && col == Some(3));
        assert_eq!(msg, "t.csv: line 2, column 3: \"x7\" is not a number");
        let (k, _, col, _) = fails(&format!("{HEAD}1,0,0,0,\n"));
        assert!(matches!(k, K::NotANumber(_)) && col == Some(5));
        let (k, _, col, _) = fails(&format!("{HEAD}1,0,0.5,0,0\n"));
        assert!(matches!(k, K::NotAnInteger(_)) && col == Some(3));
        for bad in ["256", "-1", "1e9"] {
            let (k, _, col, msg) = fails(&format!("{HEAD}1,0,0,{bad},0\n"));
            assert!(
                matches!(k, K::PixelOutOfRange(_)) && col == Some(4),
                "{msg}"
            );
        }
        for bad in ["10", "-3"] {
            let (k, _, col, msg) = fails(&format!("{HEAD}{bad},0,0,0,0\n"));
            assert!(
                matches!(k, K::LabelOutOfRange(_)) && col == Some(1),
                "{msg}"
            );
        }
        let (k, _, _, _) = fails("label,pixel0\n1,NaN\n");
        assert!(matches!(k, K::NotANumber(_)));
        let (k, _, _, _) = fails("label,pixel0\n1,\u{fffd}\u{0}\n");
        assert!(matches!(k, K::NotANumber(_)));
    }

    #[test]
    fn limits_stop_large_inputs_before_allocating() {
        let limits = CsvLimits {
            max_rows: 2,
            max_pixels: 3,
            max_line_bytes: 40,
            ..CsvLimits::default()
        };
        let go = |t: &str| read_csv_from_with_limits(t.as_bytes(), "t.csv", limits);
        assert!(go("label,pixel0\n1,2\n3,4\n").is_ok());
        let e = go("label,pixel0\n1,2\n3,4\n5,6\n").unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::TooManyRows { limit: 2 }) && e.line == Some(4));
        let e = go("pixel0,pixel1,pixel2,pixel3\n1,2,3,4\n").unwrap_err();
        assert!(matches!(
            e.kind,
            CsvErrorKind::TooManyColumns { found: 4, limit: 3 }
        ));
        let long = format!("label,pixel0\n1,{}\n", "0".repeat(100));
        let e = go(&long).unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::LineTooLong { limit: 40 }) && e.line == Some(2));
        let e = go(&"9".repeat(1000)).unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::LineTooLong { .. }));
    }

    #[test]
    fn gzip_is_detected_by_content() {
        let text = format!("{HEAD}3,0,255,51,102\n");
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        let d = read_csv_from(bytes.as_slice(), "t.csv").unwrap();
        assert_eq!(d.data.labels, vec![3]);
        // A truncated gzip stream is an I/O error, not a panic.
        let e = read_csv_from(&bytes[..bytes.len() / 2], "t.csv.gz").unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::Io(_)), "{e}");
        // Files on disk, plain and gzip'd, whatever their names.
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in [("a.csv", text.as_bytes()), ("b.txt", bytes.as_slice())] {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            assert_eq!(read_csv(&path).unwrap().data.labels, vec![3]);
        }
        let e = read_csv(&dir.path().join("missing.csv")).unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::Io(_)) && e.to_string().contains("missing.csv"));
    }

    #[test]
    fn submissions_are_written_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub.csv");
        std::fs::write(&path, "old").unwrap();
        write_submission(&path, &[7, 2, 1]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "ImageId,Label\n1,7\n2,2\n3,1\n"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
