//! Finding the MNIST files, and downloading them when they are not there.
//!
//! The `mnist` example looks for the four MNIST files in this order:
//!
//! 1. the directory given with `--data DIR`,
//! 2. the directory named by the `MNIST_DIR` environment variable,
//! 3. `data/mnist/` under the current directory,
//!
//! and only in the last case, when the files are not there yet, downloads them
//! from public mirrors ([`DEFAULT_MIRRORS`]) into `data/mnist/`. A directory
//! given explicitly (flag or variable) that lacks the files is an error: the
//! user's directory is never written to behind their back.
//!
//! The environment variable `MATNET_MNIST_MIRRORS` ([`MIRRORS_ENV`]), a
//! comma-separated list of base URLs (e.g.
//! `http://127.0.0.1:8000/,https://proxy.example/mnist/`), replaces the
//! built-in mirror list when it is set and not empty; empty entries are
//! ignored ([`mirrors_from_env`]). The file name is appended to each base URL
//! and the SHA-256 checks are the same, so a local mirror or a proxy can only
//! serve the original files. The root package's tests find MNIST through this
//! same lookup (with `data/mnist/` and a relative `MNIST_DIR` taken from the
//! workspace root), and CI, which has no internet, points
//! `MATNET_MNIST_MIRRORS` at a loopback server.
//!
//! Every download is streamed to a temporary file in the target directory,
//! its SHA-256 is computed while it streams and checked against the original
//! file's sum (`nn`'s [`MNIST_FILES`]), and only a verified file is synced and
//! renamed to its final name. A failed, interrupted or corrupt download leaves
//! nothing behind.
//!
//! ```no_run
//! use std::path::Path;
//! use support::download::{locate_mnist, mirrors_from_env, DEFAULT_DATA_DIR, MNIST_DIR_ENV};
//!
//! let flag: Option<&Path> = None; // from `--data DIR`
//! let env = std::env::var_os(MNIST_DIR_ENV);
//! let mirrors = mirrors_from_env(); // MATNET_MNIST_MIRRORS, else DEFAULT_MIRRORS
//! let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
//! let dir = locate_mnist(flag, env.as_deref(), Path::new(DEFAULT_DATA_DIR), &mirrors, true)?;
//! println!("reading MNIST from {}", dir.display());
//! # Ok::<(), support::download::DownloadError>(())
//! ```

use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use nn::dataset::MNIST_FILES;
use sha2::{Digest, Sha256};

/// Public MNIST mirrors, tried in this order. Each is a base URL to which the
/// file name is appended.
pub const DEFAULT_MIRRORS: &[&str] = &[
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// The directory, relative to the current directory, that MNIST is looked for
/// in (and downloaded into) when neither `--data` nor `MNIST_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";

/// Name of the environment variable that points at an existing MNIST copy.
pub const MNIST_DIR_ENV: &str = "MNIST_DIR";

/// Name of the environment variable whose comma-separated base URLs replace
/// [`DEFAULT_MIRRORS`] (see [`mirrors_from_env`]).
pub const MIRRORS_ENV: &str = "MATNET_MNIST_MIRRORS";

/// The mirrors to download MNIST from: the base URLs in `MATNET_MNIST_MIRRORS`
/// ([`MIRRORS_ENV`]) when it is set and has at least one non-empty entry,
/// else [`DEFAULT_MIRRORS`]. See [`parse_mirrors`].
pub fn mirrors_from_env() -> Vec<String> {
    std::env::var_os(MIRRORS_ENV)
        .map(|v| parse_mirrors(&v.to_string_lossy()))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| DEFAULT_MIRRORS.iter().map(|m| m.to_string()).collect())
}

/// Splits a `MATNET_MNIST_MIRRORS` value at commas into base URLs, trimming
/// white space around each and dropping empty entries (so `""`, `","` and
/// `" "` give no mirrors, and a trailing comma is harmless).
pub fn parse_mirrors(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// Time allowed to resolve a mirror's name and to open a connection to it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest time without any data from a mirror before it is given up.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a data directory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataOrigin {
    /// The `--data DIR` command-line flag.
    Flag,
    /// The `MNIST_DIR` environment variable.
    Env,
    /// The default `data/mnist/` directory.
    Default,
}

impl fmt::Display for DataOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataOrigin::Flag => "--data",
            DataOrigin::Env => MNIST_DIR_ENV,
            DataOrigin::Default => "default data directory",
        })
    }
}

/// The outcome of [`resolve_data_dir`]: where MNIST is to be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// All four MNIST files are present in `dir`.
    Present {
        /// The directory holding the files.
        dir: PathBuf,
        /// Which setting named the directory.
        origin: DataOrigin,
    },
    /// The default directory lacks (some of) the files: they are to be
    /// downloaded into `dir` (see [`download_mnist`]).
    Download {
        /// The default directory, where the files are to be downloaded.
        dir: PathBuf,
    },
}

impl DataSource {
    /// The directory the data is read from (or downloaded into).
    pub fn dir(&self) -> &Path {
        match self {
            DataSource::Present { dir, .. } | DataSource::Download { dir } => dir,
        }
    }
}

/// Why one attempt to fetch a file from one mirror failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The server answered with an HTTP error status (e.g. 404).
    Status(u16),
    /// The connection could not be made or broke off (refused, timed out,
    /// TLS error, truncated body, ...); the text is the client's message.
    Network(String),
    /// The file arrived but its SHA-256 is not the expected one.
    Checksum {
        /// The expected SHA-256 (hex).
        expected: String,
        /// The SHA-256 of what was received (hex).
        actual: String,
    },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Status(code) => write!(f, "HTTP status {code}"),
            FailureKind::Network(msg) => write!(f, "connection failed: {msg}"),
            FailureKind::Checksum { expected, actual } => {
                write!(f, "SHA-256 mismatch: expected {expected}, got {actual}")
            }
        }
    }
}

/// One failed attempt: the URL tried and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorFailure {
    /// The full URL that was requested.
    pub url: String,
    /// What went wrong.
    pub kind: FailureKind,
}

impl fmt::Display for MirrorFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.kind)
    }
}

/// Errors from finding or downloading the data files.
#[derive(Debug)]
pub enum DownloadError {
    /// A directory named explicitly (by `--data` or `MNIST_DIR`) does not
    /// hold all four MNIST files.
    MissingFiles {
        /// The directory that was named.
        dir: PathBuf,
        /// Which setting named it.
        origin: DataOrigin,
        /// The files not found there (canonical names).
        missing: Vec<&'static str>,
    },
    /// Every mirror failed for one file. Nothing of that file was left behind.
    AllMirrorsFailed {
        /// The file that could not be downloaded.
        file: String,
        /// The directory it was to be downloaded into.
        dir: PathBuf,
        /// Every file that was requested (for the manual instructions).
        all_files: Vec<String>,
        /// One entry per mirror tried, in order.
        attempts: Vec<MirrorFailure>,
    },
    /// A local file-system operation failed (creating the directory,
    /// writing, syncing or renaming a file).
    Io {
        /// What was being done.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The arguments were unusable: no mirrors, a file name that is not a plain
    /// name, or an expected checksum that is not 64 hex digits.
    InvalidInput(String),
}

impl DownloadError {
    /// True if this is an [`DownloadError::AllMirrorsFailed`] in which at least
    /// one mirror delivered a file whose SHA-256 did not match.
    pub fn is_checksum_mismatch(&self) -> bool {
        match self {
            DownloadError::AllMirrorsFailed { attempts, .. } => attempts
                .iter()
                .any(|a| matches!(a.kind, FailureKind::Checksum { .. })),
            _ => false,
        }
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::MissingFiles {
                dir,
                origin,
                missing,
            } => {
                write!(
                    f,
                    "{} (from {origin}) does not contain the MNIST files: missing {} \
                     (each may be gzip'd or not, named like train-images-idx3-ubyte \
                     or train-images.idx3-ubyte); nothing is downloaded into a directory \
                     given explicitly: put the files there, or {} to download them \
                     into {DEFAULT_DATA_DIR}/",
                    dir.display(),
                    missing.join(", "),
                    match origin {
                        DataOrigin::Flag => "leave out --data",
                        DataOrigin::Env | DataOrigin::Default => "unset MNIST_DIR",
                    },
                )
            }
            DownloadError::AllMirrorsFailed {
                file,
                dir,
                all_files,
                attempts,
            } => {
                write!(f, "could not download {file} from any mirror:")?;
                for a in attempts {
                    write!(f, "\n  - {a}")?;
                }
                write!(
                    f,
                    "\nTo install the data by hand, put {} into {} \
                     (or point `--data DIR` or the {MNIST_DIR_ENV} environment variable \
                     at a directory that already has them, or set {MIRRORS_ENV} to \
                     comma-separated base URLs of mirrors you can reach).",
                    all_files.join(", "),
                    dir.display(),
                )
            }
            DownloadError::Io {
                action,
                path,
                source,
            } => write!(f, "could not {action} {}: {source}", path.display()),
            DownloadError::InvalidInput(msg) => write!(f, "invalid download request: {msg}"),
        }
    }
}

impl std::error::Error for DownloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DownloadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Decides where MNIST is read from: `flag` (`--data DIR`) if given, else
/// `env` (the value of `MNIST_DIR`, ignored when empty) if given, else
/// `default`.
///
/// A directory "has the files" when each of the four MNIST files exists in it
/// under either naming (`train-images-idx3-ubyte` or
/// `train-images.idx3-ubyte`), gzip'd (`.gz`) or not.
///
/// Returns [`DataSource::Present`] when the chosen directory has the files,
/// [`DataSource::Download`] when it is the default directory and lacks them,
/// and [`DownloadError::MissingFiles`] when a directory given explicitly lacks
/// them (no fallback to the next setting, and no download into it).
///
/// # Errors
///
/// [`DownloadError::MissingFiles`] as described above.
pub fn resolve_data_dir(
    flag: Option<&Path>,
    env: Option<&OsStr>,
    default: &Path,
) -> Result<DataSource, DownloadError> {
    let explicit = match (flag, env.filter(|v| !v.is_empty())) {
        (Some(dir), _) => Some((dir.to_path_buf(), DataOrigin::Flag)),
        (None, Some(dir)) => Some((PathBuf::from(dir), DataOrigin::Env)),
        (None, None) => None,
    };
    match explicit {
        Some((dir, origin)) => {
            let missing = missing_mnist_files(&dir);
            if missing.is_empty() {
                Ok(DataSource::Present { dir, origin })
            } else {
                Err(DownloadError::MissingFiles {
                    dir,
                    origin,
                    missing,
                })
            }
        }
        None => {
            let dir = default.to_path_buf();
            if missing_mnist_files(&dir).is_empty() {
                Ok(DataSource::Present {
                    dir,
                    origin: DataOrigin::Default,
                })
            } else {
                Ok(DataSource::Download { dir })
            }
        }
    }
}

/// [`resolve_data_dir`], then [`download_mnist`] into the default directory
/// if that is what it calls for. Returns the directory to read MNIST from.
///
/// # Errors
///
/// Those of [`resolve_data_dir`] and [`download_mnist`].
pub fn locate_mnist(
    flag: Option<&Path>,
    env: Option<&OsStr>,
    default: &Path,
    mirrors: &[&str],
    progress: bool,
) -> Result<PathBuf, DownloadError> {
    match resolve_data_dir(flag, env, default)? {
        DataSource::Present { dir, .. } => Ok(dir),
        DataSource::Download { dir } => {
            download_mnist(&dir, mirrors, progress)?;
            Ok(dir)
        }
    }
}

/// Downloads those of the four MNIST files ([`MNIST_FILES`]) that are missing
/// from `dir` (creating it if needed), trying `mirrors` in order for each and
/// checking each file's SHA-256. See [`download_files`].
///
/// # Errors
///
/// Those of [`download_files`].
pub fn download_mnist(dir: &Path, mirrors: &[&str], progress: bool) -> Result<(), DownloadError> {
    let files: Vec<(&str, &str)> = MNIST_FILES.iter().map(|f| (f.gz, f.sha256)).collect();
    download_files(dir, &files, mirrors, progress)
}

/// Downloads each `(file name, expected SHA-256 hex)` of `files` that is not
/// already in `dir` (under any of its accepted names: with or without `.gz`,
/// `-idx` or `.idx`), creating `dir` if needed.
///
/// For each file the mirrors are tried in order (a mirror that has already
/// delivered a file goes first); the URL is the mirror's base URL followed by
/// the file name. The body is streamed to a temporary file
/// `.<name>.part-<pid>` in `dir` while its SHA-256 is computed; a verified
/// file is synced and renamed to `<name>`. On an HTTP error status, a
/// connection error or a checksum mismatch the temporary file is removed and
/// the next mirror is tried. If every mirror fails the result is
/// [`DownloadError::AllMirrorsFailed`], listing each attempt and saying where
/// to put the files by hand. No partial or unverified file is ever left in
/// `dir`; files completed before an error are kept (they are verified).
///
/// With `progress`, a progress bar per file (a spinner when the server sends
/// no length) is drawn on stderr, or a line per file when stderr is not a
/// terminal; without it nothing is printed.
///
/// # Errors
///
/// [`DownloadError::InvalidInput`] for an empty `mirrors`, a file name that is
/// not a plain name or an expected sum that is not 64 hex digits (checked
/// before anything else); [`DownloadError::AllMirrorsFailed`] when no mirror
/// delivered a file with the expected sum (the first such file ends the
/// download); [`DownloadError::Io`] when the directory or a file in it cannot
/// be created, written, synced or renamed.
pub fn download_files(
    dir: &Path,
    files: &[(&str, &str)],
    mirrors: &[&str],
    progress: bool,
) -> Result<(), DownloadError> {
    if mirrors.is_empty() {
        return Err(DownloadError::InvalidInput("no mirrors given".into()));
    }
    for &(name, sha) in files {
        check_file_name(name)?;
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DownloadError::InvalidInput(format!(
                "expected SHA-256 of {name} is not 64 hex digits: {sha:?}"
            )));
        }
    }

    let todo: Vec<(&str, &str)> = files
        .iter()
        .copied()
        .filter(|(name, _)| find_file(dir, name).is_none())
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|source| DownloadError::Io {
        action: "create directory",
        path: dir.to_path_buf(),
        source,
    })?;

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(CONNECT_TIMEOUT))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .timeout_recv_response(Some(READ_TIMEOUT))
        .http_status_as_error(true)
        .user_agent(concat!("matnet/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let reporter = Reporter::new(progress);

    // Index into `mirrors` of the one that last delivered a file: tried first.
    let mut preferred: Option<usize> = None;
    for &(name, sha) in &todo {
        let order: Vec<usize> = preferred
            .into_iter()
            .chain((0..mirrors.len()).filter(|&i| Some(i) != preferred))
            .collect();
        let mut attempts = Vec::new();
        let mut done = false;
        for i in order {
            let url = join_url(mirrors[i], name);
            match fetch_one(&agent, &url, dir, name, sha, &reporter)? {
                Ok(()) => {
                    preferred = Some(i);
                    done = true;
                    break;
                }
                Err(kind) => attempts.push(MirrorFailure { url, kind }),
            }
        }
        if !done {
            return Err(DownloadError::AllMirrorsFailed {
                file: name.to_string(),
                dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
                all_files: files.iter().map(|(n, _)| n.to_string()).collect(),
                attempts,
            });
        }
    }
    Ok(())
}

/// Fetches `url` into `dir/name`, verifying its SHA-256. The outer `Result`
/// is a local error that ends the whole download; the inner one is this
/// mirror's failure (the next mirror may do better).
fn fetch_one(
    agent: &ureq::Agent,
    url: &str,
    dir: &Path,
    name: &str,
    expected: &str,
    reporter: &Reporter,
) -> Result<Result<(), FailureKind>, DownloadError> {
    let mut response = match agent.get(url).call() {
        Ok(r) => r,
        Err(e) => {
            let kind = failure_of(e);
            reporter.failed(name, url, &kind);
            return Ok(Err(kind));
        }
    };
    let body = response.body_mut();
    let length = body.content_length();
    let mut reader = body.as_reader();

    let mut part = PartFile::create(dir, name)?;
    let bar = reporter.start(name, url, length);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // `part` is dropped here, which removes the partial file.
                let kind = FailureKind::Network(e.to_string());
                reporter.abandon(&bar, name, url, &kind);
                return Ok(Err(kind));
            }
        };
        hasher.update(&buf[..n]);
        part.write_all(&buf[..n])?;
        total += n as u64;
        bar.inc(n as u64);
    }

    let actual = to_hex(&hasher.finalize());
    if !actual.eq_ignore_ascii_case(expected) {
        let kind = FailureKind::Checksum {
            expected: expected.to_ascii_lowercase(),
            actual,
        };
        reporter.abandon(&bar, name, url, &kind);
        return Ok(Err(kind));
    }
    part.commit()?;
    reporter.finish(&bar, name, total);
    Ok(Ok(()))
}

/// Classifies a client error as this mirror's failure.
fn failure_of(e: ureq::Error) -> FailureKind {
    match e {
        ureq::Error::StatusCode(code) => FailureKind::Status(code),
        other => FailureKind::Network(other.to_string()),
    }
}

/// `base` + `name`, with exactly one `/` between them.
fn join_url(base: &str, name: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A file name must be a plain, non-hidden name: it is joined to a directory
/// and to a URL.
fn check_file_name(name: &str) -> Result<(), DownloadError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name() == Some(OsStr::new(name));
    if ok {
        Ok(())
    } else {
        Err(DownloadError::InvalidInput(format!(
            "{name:?} is not a plain file name"
        )))
    }
}

/// The path of `name` in `dir` under any of its accepted names (with or
/// without `.gz`, `-idx` or `.idx`), if present: the same rule the loader uses.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    nn::dataset::find_mnist_file(dir, name)
}

/// The canonical names of the MNIST files not present in `dir`.
fn missing_mnist_files(dir: &Path) -> Vec<&'static str> {
    MNIST_FILES
        .iter()
        .filter(|f| find_file(dir, f.stem).is_none())
        .map(|f| f.gz)
        .collect()
}

/// A temporary download file that is removed when dropped, unless committed
/// (synced and renamed to its final name).
struct PartFile {
    path: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl PartFile {
    fn create(dir: &Path, name: &str) -> Result<Self, DownloadError> {
        let path = dir.join(format!(".{name}.part-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|source| DownloadError::Io {
                action: "create temporary file",
                path: path.clone(),
                source,
            })?;
        Ok(PartFile {
            path,
            dest: dir.join(name),
            file: Some(file),
        })
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), DownloadError> {
        let file = self.file.as_mut().expect("part file is open until commit");
        file.write_all(data).map_err(|source| DownloadError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        })
    }

    /// Syncs the data to disk and renames the file to its final name.
    fn commit(mut self) -> Result<(), DownloadError> {
        let file = self.file.take().expect("part file is open until commit");
        file.sync_all().map_err(|source| DownloadError::Io {
            action: "sync",
            path: self.path.clone(),
            source,
        })?;
        drop(file);
        fs::rename(&self.path, &self.dest).map_err(|source| DownloadError::Io {
            action: "rename temporary file to",
            path: self.dest.clone(),
            source,
        })?;
        // The rename is done: nothing to clean up any more.
        self.path = PathBuf::new();
        // Make the rename itself durable; not all platforms can sync a directory.
        if let Some(parent) = self.dest.parent() {
            if let Ok(d) = File::open(parent) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Progress reporting on stderr: indicatif bars on a terminal, a plain line
/// per event otherwise, nothing when disabled.
struct Reporter {
    enabled: bool,
    terminal: bool,
}

impl Reporter {
    fn new(enabled: bool) -> Self {
        Reporter {
            enabled,
            terminal: enabled && io::stderr().is_terminal(),
        }
    }

    fn start(&self, name: &str, url: &str, length: Option<u64>) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        if !self.terminal {
            eprintln!("downloading {url}");
            return ProgressBar::hidden();
        }
        let bar = match length {
            Some(len) => {
                let bar = ProgressBar::new(len);
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }
        };
        bar.set_message(name.to_string());
        bar
    }

    fn finish(&self, bar: &ProgressBar, name: &str, bytes: u64) {
        if !self.enabled {
            return;
        }
        if self.terminal {
            bar.finish_with_message(format!("{name} (SHA-256 ok)"));
        } else {
            eprintln!("{name}: {bytes} bytes, SHA-256 ok");
        }
    }

    fn abandon(&self, bar: &ProgressBar, name: &str, url: &str, kind: &FailureKind) {
        if self.terminal {
            bar.abandon_with_message(format!("{name}: {kind}"));
        } else {
            self.failed(name, url, kind);
        }
    }

    fn failed(&self, name: &str, url: &str, kind: &FailureKind) {
        if self.enabled {
            eprintln!("{name}: {url}: {kind}");
        }
    }
}
