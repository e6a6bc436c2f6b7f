//! End-to-end tests of `support::download` against a real HTTP server on the
//! loopback interface (no mocks of the downloader). Nothing here contacts any
//! address other than 127.0.0.1.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nn::dataset::MNIST_FILES;
use sha2::{Digest, Sha256};
use support::download::{
    download_files, download_mnist, locate_mnist, mirrors_from_env, parse_mirrors,
    resolve_data_dir, DataOrigin, DataSource, DownloadError, FailureKind, DEFAULT_MIRRORS,
    MIRRORS_ENV, MNIST_DIR_ENV,
};

#[path = "support/mnist.rs"]
mod mnist_data;

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 server: one request per connection, then it closes.

/// What the server answers for one path.
#[derive(Clone)]
enum Reply {
    /// 200 with `Content-Length`.
    Ok(Vec<u8>),
    /// 200 without `Content-Length`: the body ends when the connection closes.
    NoLength(Vec<u8>),
    /// 200 announcing the full length, but the connection closes after half.
    Truncated(Vec<u8>),
}

/// Most connections one server accepts, and longest it runs, whatever happens.
const MAX_CONNECTIONS: usize = 64;
const MAX_LIFETIME: Duration = Duration::from_secs(60);

struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    fn start(routes: Vec<(&str, Reply)>) -> Server {
        let routes: HashMap<String, Reply> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (req2, stop2) = (requests.clone(), stop.clone());
        let handle = thread::spawn(move || {
            let deadline = Instant::now() + MAX_LIFETIME;
            let mut served = 0;
            while !stop2.load(Ordering::SeqCst)
                && Instant::now() < deadline
                && served < MAX_CONNECTIONS
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        serve(stream, &routes, &req2);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        Server {
            port,
            requests,
            stop,
            handle: Some(handle),
        }
    }

    /// Base URL of a mirror served under `/prefix/`.
    fn mirror(&self, prefix: &str) -> String {
        format!("http://127.0.0.1:{}/{prefix}/", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(mut stream: TcpStream, routes: &HashMap<String, Reply>, log: &Mutex<Vec<String>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string();
    log.lock().unwrap().push(path.clone());
    let (header, body): (String, &[u8]) = match routes.get(&path) {
        Some(Reply::Ok(b)) => (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                b.len()
            ),
            b,
        ),
        Some(Reply::NoLength(b)) => (
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
                .to_string(),
            b,
        ),
        Some(Reply::Truncated(b)) => (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            ),
            &b[..b.len() / 2],
        ),
        None => (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n".to_string(),
            b"not found",
        ),
    };
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// A base URL on which nothing listens: bind a port, then let it go.
fn dead_mirror() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/mnist/")
}

// ---------------------------------------------------------------------------
// Helpers.

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic fake file contents.
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32 * 7) as u8)
        .collect()
}

/// Names of everything in `dir` (empty if `dir` does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Creates empty files with these names in `dir`.
fn touch(dir: &Path, names: &[&str]) {
    fs::create_dir_all(dir).unwrap();
    for n in names {
        fs::write(dir.join(n), b"").unwrap();
    }
}

const STANDARD_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

// ---------------------------------------------------------------------------
// download_files

#[test]
fn downloads_several_files_and_leaves_no_temp_files() {
    let a = content(1, 100_000);
    let b = content(2, 5_000);
    let c = content(3, 1);
    let server = Server::start(vec![
        ("/m/a.bin", Reply::Ok(a.clone())),
        ("/m/b.bin", Reply::Ok(b.clone())),
        ("/m/c.bin", Reply::Ok(c.clone())),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("data"); // does not exist yet
    let (ha, hb, hc) = (sha256_hex(&a), sha256_hex(&b), sha256_hex(&c));
    let files = [
        ("a.bin", ha.as_str()),
        ("b.bin", hb.as_str()),
        ("c.bin", hc.as_str()),
    ];
    let mirror = server.mirror("m");
    download_files(&dir, &files, &[mirror.as_str()], false).expect("download");
    assert_eq!(fs::read(dir.join("a.bin")).unwrap(), a);
    assert_eq!(fs::read(dir.join("b.bin")).unwrap(), b);
    assert_eq!(fs::read(dir.join("c.bin")).unwrap(), c);
    assert_eq!(entries(&dir), vec!["a.bin", "b.bin", "c.bin"]);
    assert_eq!(server.requests(), vec!["/m/a.bin", "/m/b.bin", "/m/c.bin"]);
}

#[test]
fn downloads_without_content_length_with_progress_on() {
    let a = content(4, 300_000);
    let b = content(5, 2_000);
    let server = Server::start(vec![
        ("/m/a.bin", Reply::NoLength(a.clone())),
        ("/m/b.bin", Reply::Ok(b.clone())),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (ha, hb) = (sha256_hex(&a), sha256_hex(&b));
    let mirror = server.mirror("m");
    download_files(
        &dir,
        &[("a.bin", &ha), ("b.bin", &hb)],
        &[mirror.as_str()],
        true,
    )
    .expect("download");
    assert_eq!(fs::read(dir.join("a.bin")).unwrap(), a);
    assert_eq!(fs::read(dir.join("b.bin")).unwrap(), b);
    assert_eq!(entries(&dir), vec!["a.bin", "b.bin"]);
}

#[test]
fn corrupt_download_is_a_checksum_error_and_leaves_nothing() {
    let good = content(6, 50_000);
    let mut bad = good.clone();
    bad[1234] ^= 0xff;
    let server = Server::start(vec![("/m/a.bin", Reply::Ok(bad.clone()))]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let expected = sha256_hex(&good);
    let mirror = server.mirror("m");
    let err = download_files(&dir, &[("a.bin", &expected)], &[mirror.as_str()], false)
        .expect_err("corrupt file must be rejected");
    assert!(err.is_checksum_mismatch(), "{err}");
    match &err {
        DownloadError::AllMirrorsFailed { file, attempts, .. } => {
            assert_eq!(file, "a.bin");
            assert_eq!(attempts.len(), 1);
            assert_eq!(attempts[0].url, format!("{mirror}a.bin"));
            assert_eq!(
                attempts[0].kind,
                FailureKind::Checksum {
                    expected: expected.clone(),
                    actual: sha256_hex(&bad),
                }
            );
        }
        other => panic!("expected AllMirrorsFailed, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("SHA-256 mismatch"), "{msg}");
    assert!(entries(&dir).is_empty(), "left behind: {:?}", entries(&dir));
}

#[test]
fn truncated_download_is_a_network_error_and_leaves_nothing() {
    let data = content(7, 200_000);
    let server = Server::start(vec![("/m/a.bin", Reply::Truncated(data.clone()))]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let sum = sha256_hex(&data);
    let mirror = server.mirror("m");
    let err = download_files(&dir, &[("a.bin", &sum)], &[mirror.as_str()], false)
        .expect_err("truncated body must be rejected");
    match &err {
        DownloadError::AllMirrorsFailed { attempts, .. } => {
            assert_eq!(attempts.len(), 1);
            assert!(
                matches!(attempts[0].kind, FailureKind::Network(_)),
                "{:?}",
                attempts[0]
            );
        }
        other => panic!("expected AllMirrorsFailed, got {other:?}"),
    }
    assert!(entries(&dir).is_empty(), "left behind: {:?}", entries(&dir));
}

#[test]
fn falls_back_to_the_second_mirror() {
    let a = content(8, 10_000);
    let b = content(9, 20_000);
    let mut b_bad = b.clone();
    b_bad.truncate(b.len() - 1);
    let server = Server::start(vec![
        // first mirror: a is missing (404), b is corrupt
        ("/first/b.bin", Reply::Ok(b_bad)),
        // second mirror: both good
        ("/second/a.bin", Reply::Ok(a.clone())),
        ("/second/b.bin", Reply::Ok(b.clone())),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (ha, hb) = (sha256_hex(&a), sha256_hex(&b));
    let (m1, m2) = (server.mirror("first"), server.mirror("second"));
    let mirrors = [m1.as_str(), m2.as_str()];

    // 404 on the first mirror, then the second.
    download_files(&dir, &[("a.bin", &ha)], &mirrors, false).expect("a from second mirror");
    assert_eq!(fs::read(dir.join("a.bin")).unwrap(), a);
    // corrupt on the first mirror, then the second.
    download_files(&dir, &[("b.bin", &hb)], &mirrors, false).expect("b from second mirror");
    assert_eq!(fs::read(dir.join("b.bin")).unwrap(), b);
    assert_eq!(entries(&dir), vec!["a.bin", "b.bin"]);
    assert_eq!(
        server.requests(),
        vec![
            "/first/a.bin",
            "/second/a.bin",
            "/first/b.bin",
            "/second/b.bin"
        ]
    );
}

#[test]
fn a_mirror_that_delivered_is_tried_first_for_the_next_file() {
    let a = content(10, 1_000);
    let b = content(11, 1_000);
    let server = Server::start(vec![
        ("/second/a.bin", Reply::Ok(a.clone())),
        ("/second/b.bin", Reply::Ok(b.clone())),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (ha, hb) = (sha256_hex(&a), sha256_hex(&b));
    let (m1, m2) = (server.mirror("first"), server.mirror("second"));
    download_files(
        &dir,
        &[("a.bin", &ha), ("b.bin", &hb)],
        &[m1.as_str(), m2.as_str()],
        false,
    )
    .expect("download");
    assert_eq!(
        server.requests(),
        vec!["/first/a.bin", "/second/a.bin", "/second/b.bin"]
    );
    assert_eq!(entries(&dir), vec!["a.bin", "b.bin"]);
}

#[test]
fn servers_down_give_an_error_with_mirrors_and_manual_instructions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (m1, m2) = (dead_mirror(), dead_mirror());
    let files: Vec<(&str, &str)> = MNIST_FILES.iter().map(|f| (f.gz, f.sha256)).collect();
    let err = download_files(&dir, &files, &[m1.as_str(), m2.as_str()], false)
        .expect_err("no server is listening");
    let msg = err.to_string();
    match &err {
        DownloadError::AllMirrorsFailed { attempts, .. } => {
            assert_eq!(attempts.len(), 2, "{msg}");
            for a in attempts {
                assert!(matches!(a.kind, FailureKind::Network(_)), "{a:?}");
            }
        }
        other => panic!("expected AllMirrorsFailed, got {other:?}"),
    }
    assert!(!err.is_checksum_mismatch());
    // each mirror's URL is named
    assert!(msg.contains(&format!("{m1}{}", STANDARD_NAMES[0])), "{msg}");
    assert!(msg.contains(&format!("{m2}{}", STANDARD_NAMES[0])), "{msg}");
    // the manual instructions: where, which files, and the alternatives
    assert!(
        msg.contains(&std::path::absolute(&dir).unwrap().display().to_string()),
        "{msg}"
    );
    for name in STANDARD_NAMES {
        assert!(msg.contains(name), "{name} not in: {msg}");
    }
    assert!(msg.contains("--data DIR"), "{msg}");
    assert!(msg.contains(MNIST_DIR_ENV), "{msg}");
    assert!(entries(&dir).is_empty(), "left behind: {:?}", entries(&dir));
}

#[test]
fn files_already_present_are_not_downloaded_again() {
    let a = content(12, 3_000);
    let b = content(13, 3_000);
    // The server has only b; any request for the others would 404 and fail.
    let server = Server::start(vec![("/m/b.bin", Reply::Ok(b.clone()))]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("a.bin"), &a).unwrap();
    // An MNIST-style file present uncompressed and under the other naming.
    fs::write(dir.join("t10k-labels.idx1-ubyte"), b"present").unwrap();
    let (ha, hb) = (sha256_hex(&a), sha256_hex(&b));
    let hc = "0".repeat(64);
    let mirror = server.mirror("m");
    let files = [
        ("a.bin", ha.as_str()),
        ("t10k-labels-idx1-ubyte.gz", hc.as_str()),
        ("b.bin", hb.as_str()),
    ];
    download_files(&dir, &files, &[mirror.as_str()], false).expect("download");
    assert_eq!(server.requests(), vec!["/m/b.bin"]);
    // Everything present now: a second run makes no request at all.
    download_files(&dir, &files, &[mirror.as_str()], false).expect("second run");
    assert_eq!(server.requests(), vec!["/m/b.bin"]);
    assert_eq!(
        entries(&dir),
        vec!["a.bin", "b.bin", "t10k-labels.idx1-ubyte"]
    );
    assert_eq!(fs::read(dir.join("a.bin")).unwrap(), a);

    // Even with no server at all, present files need no network.
    let dead = dead_mirror();
    download_files(&dir, &files, &[dead.as_str()], false).expect("nothing to fetch");
}

#[test]
fn invalid_requests_are_rejected_before_any_network_or_disk_use() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let good = "a".repeat(64);
    let not_hex = "g".repeat(64);
    let dead = dead_mirror();
    // (files, mirrors)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (vec![("a.bin", good.as_str())], vec![]),
        (vec![("a.bin", "abc")], vec![dead.as_str()]),
        (vec![("a.bin", not_hex.as_str())], vec![dead.as_str()]),
        (vec![("../a.bin", good.as_str())], vec![dead.as_str()]),
        (vec![("x/a.bin", good.as_str())], vec![dead.as_str()]),
        (vec![(".a.bin", good.as_str())], vec![dead.as_str()]),
        (vec![("", good.as_str())], vec![dead.as_str()]),
    ];
    for (files, mirrors) in cases {
        let err = download_files(&dir, &files, &mirrors, false).expect_err("invalid");
        assert!(
            matches!(err, DownloadError::InvalidInput(_)),
            "{files:?} {mirrors:?}: {err:?}"
        );
    }
    assert!(!dir.exists());
}

// ---------------------------------------------------------------------------
// resolve_data_dir

#[test]
fn resolve_prefers_flag_then_env_then_default() {
    let tmp = tempfile::tempdir().unwrap();
    let (flag, env, default) = (
        tmp.path().join("flag"),
        tmp.path().join("env"),
        tmp.path().join("default"),
    );
    for d in [&flag, &env, &default] {
        touch(d, &STANDARD_NAMES);
    }
    let env_os = env.as_os_str();

    assert_eq!(
        resolve_data_dir(Some(&flag), Some(env_os), &default).unwrap(),
        DataSource::Present {
            dir: flag.clone(),
            origin: DataOrigin::Flag
        }
    );
    assert_eq!(
        resolve_data_dir(None, Some(env_os), &default).unwrap(),
        DataSource::Present {
            dir: env.clone(),
            origin: DataOrigin::Env
        }
    );
    assert_eq!(
        resolve_data_dir(None, None, &default).unwrap(),
        DataSource::Present {
            dir: default.clone(),
            origin: DataOrigin::Default
        }
    );
    // An empty MNIST_DIR counts as unset.
    assert_eq!(
        resolve_data_dir(None, Some(OsStr::new("")), &default)
            .unwrap()
            .dir(),
        default.as_path()
    );
}

#[test]
fn resolve_default_without_files_asks_for_a_download() {
    let tmp = tempfile::tempdir().unwrap();
    let default = tmp.path().join("data").join("mnist");
    assert_eq!(
        resolve_data_dir(None, None, &default).unwrap(),
        DataSource::Download {
            dir: default.clone()
        }
    );
    // Three of four present is still a download (of the missing one).
    touch(&default, &STANDARD_NAMES[..3]);
    assert_eq!(
        resolve_data_dir(None, None, &default).unwrap(),
        DataSource::Download {
            dir: default.clone()
        }
    );
}

#[test]
fn resolve_explicit_dir_without_files_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    touch(&good, &STANDARD_NAMES);
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let nonexistent = tmp.path().join("nope");

    // A flag without files is an error even if MNIST_DIR and the default have them.
    for flag in [&empty, &nonexistent] {
        let err = resolve_data_dir(Some(flag), Some(good.as_os_str()), &good).unwrap_err();
        match &err {
            DownloadError::MissingFiles {
                dir,
                origin,
                missing,
            } => {
                assert_eq!(dir, flag);
                assert_eq!(*origin, DataOrigin::Flag);
                assert_eq!(missing, &STANDARD_NAMES.to_vec());
            }
            other => panic!("expected MissingFiles, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(&flag.display().to_string()), "{msg}");
        assert!(msg.contains("--data"), "{msg}");
    }

    // MNIST_DIR without files is an error even if the default has them.
    let err = resolve_data_dir(None, Some(empty.as_os_str()), &good).unwrap_err();
    assert!(
        matches!(
            err,
            DownloadError::MissingFiles {
                origin: DataOrigin::Env,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(MNIST_DIR_ENV), "{err}");

    // Only the missing files are listed.
    let partial = tmp.path().join("partial");
    touch(&partial, &STANDARD_NAMES[1..]);
    match resolve_data_dir(Some(&partial), None, &good).unwrap_err() {
        DownloadError::MissingFiles { missing, .. } => {
            assert_eq!(missing, vec!["train-images-idx3-ubyte.gz"])
        }
        other => panic!("expected MissingFiles, got {other:?}"),
    }
    // Nothing was created in the explicit directories.
    assert!(entries(&empty).is_empty());
    assert!(!nonexistent.exists());
}

#[test]
fn resolve_accepts_both_namings_gzipped_or_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mixed");
    touch(
        &dir,
        &[
            "train-images.idx3-ubyte",    // dot naming, plain
            "train-labels.idx1-ubyte.gz", // dot naming, gzip'd
            "t10k-images-idx3-ubyte",     // dash naming, plain
            "t10k-labels-idx1-ubyte.gz",  // dash naming, gzip'd
        ],
    );
    assert_eq!(
        resolve_data_dir(Some(&dir), None, Path::new("unused")).unwrap(),
        DataSource::Present {
            dir: dir.clone(),
            origin: DataOrigin::Flag
        }
    );
    // A directory named like a file does not count as the file.
    let tricky = tmp.path().join("tricky");
    touch(&tricky, &STANDARD_NAMES[1..]);
    fs::create_dir_all(tricky.join(STANDARD_NAMES[0])).unwrap();
    assert!(resolve_data_dir(Some(&tricky), None, Path::new("unused")).is_err());
}

// ---------------------------------------------------------------------------
// The real MNIST files, found by the tests' shared lookup, served over loopback.

/// The four original (gzip'd) MNIST files, read from the directory the
/// tests' shared lookup finds or downloads (`tests/support/mnist.rs`).
fn real_mnist() -> Vec<(&'static str, Vec<u8>)> {
    let dir = mnist_data::mnist_dir();
    STANDARD_NAMES
        .iter()
        .map(|&n| {
            let bytes = fs::read(dir.join(n)).unwrap_or_else(|e| {
                panic!(
                    "this test serves the original MNIST files and needs {n} in {}: {e}",
                    dir.display()
                )
            });
            (n, bytes)
        })
        .collect()
}

#[test]
fn mirror_lists_split_at_commas_and_drop_empty_entries() {
    assert_eq!(
        parse_mirrors("http://127.0.0.1:8000/, https://m.example/mnist ,,"),
        ["http://127.0.0.1:8000/", "https://m.example/mnist"]
    );
    for empty in ["", ",", " , ", "  "] {
        assert!(parse_mirrors(empty).is_empty(), "{empty:?}");
    }
    assert_eq!(MIRRORS_ENV, "MATNET_MNIST_MIRRORS");
    // Set or not in this environment, the answer is never an empty list.
    assert!(!mirrors_from_env().is_empty());
}

#[test]
fn mnist_constants_are_sane() {
    let names: Vec<&str> = MNIST_FILES.iter().map(|f| f.gz).collect();
    assert_eq!(names, STANDARD_NAMES.to_vec());
    for f in MNIST_FILES {
        assert_eq!(f.sha256.len(), 64);
        assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert!(!DEFAULT_MIRRORS.is_empty());
    for m in DEFAULT_MIRRORS {
        assert!(m.starts_with("http") && m.ends_with('/'), "{m}");
    }
}

#[test]
fn locate_mnist_downloads_the_real_files_into_the_default_dir() {
    let real = real_mnist();
    let routes: Vec<(String, Reply)> = real
        .iter()
        .map(|(n, bytes)| (format!("/mnist/{n}"), Reply::Ok(bytes.clone())))
        .collect();
    let server = Server::start(
        routes
            .iter()
            .map(|(p, r)| (p.as_str(), r.clone()))
            .collect(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let default = tmp.path().join("data").join("mnist");
    let mirror = server.mirror("mnist");

    let dir = locate_mnist(None, None, &default, &[mirror.as_str()], false).expect("locate");
    assert_eq!(dir, default);
    let mut expected: Vec<&str> = STANDARD_NAMES.to_vec();
    expected.sort();
    assert_eq!(entries(&dir), expected);
    for (n, bytes) in &real {
        assert_eq!(&fs::read(dir.join(n)).unwrap(), bytes);
    }
    assert_eq!(server.requests().len(), 4);

    // Now present: found without any request, and download_mnist is a no-op.
    assert_eq!(
        resolve_data_dir(None, None, &default).unwrap(),
        DataSource::Present {
            dir: default.clone(),
            origin: DataOrigin::Default
        }
    );
    download_mnist(&default, &[mirror.as_str()], false).expect("no-op");
    assert_eq!(server.requests().len(), 4);
}
