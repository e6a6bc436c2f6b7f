//! Kill during save: a child process saves two different models, A and B,
//! to the same path in a loop and is killed with SIGKILL after a random
//! delay. Whatever the moment of the kill, the file on disk must load and be
//! exactly A or exactly B (bytes and parameters): saves are atomic.
//!
//! The child is this test binary run again on the `#[ignore]`d test
//! `child_save_loop`, with `MATNET_SAVE_LOOP=<path>` in its environment.
//!
//! A kill between creating the temporary file and renaming it leaves that
//! file behind, named `.NAME.tmp-PID-COUNTER-RANDOM` after the killed
//! process. The next save of the same file removes it (its process is gone),
//! so after each kill at most one is left: the test checks that and that it is
//! named after a killed child.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nn::model_file::{load_model, save_model};
use nn::{Activation, Init, Loss, Network};
use rand::{rngs::StdRng, Rng, SeedableRng};

const TRIALS: usize = 100;
const FILE_NAME: &str = "model.safetensors";
const STARTED: &str = "MATNET-SAVE-LOOP-STARTED";

/// Two models of different architectures and sizes (1.6 MB and 0.4 MB), so
/// a mix of the two could never pass for either.
fn models() -> (Network<f32>, Network<f32>) {
    let a = Network::mlp(
        784,
        &[512],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let b = Network::mlp(
        100,
        &[300, 200],
        Activation::Tanh,
        7,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut StdRng::seed_from_u64(2),
    )
    .unwrap();
    (a, b)
}

/// The child: saves A, B, A, B, ... to `$MATNET_SAVE_LOOP` until killed (or
/// for at most a minute, so it can never outlive a crashed parent for long).
/// A no-op when run any other way.
#[test]
#[ignore = "the child process of kill_during_save_leaves_a_whole_model"]
fn child_save_loop() {
    let Some(path) = std::env::var_os("MATNET_SAVE_LOOP") else {
        return;
    };
    let path = PathBuf::from(path);
    let (a, b) = models();
    println!("{STARTED}");
    std::io::stdout().flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i = 0u64;
    while Instant::now() < deadline {
        save_model(if i.is_multiple_of(2) { &a } else { &b }, &path).unwrap();
        i += 1;
    }
}

/// Kills the child when dropped, so a failing assertion leaves no process.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn kill_during_save_leaves_a_whole_model() {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("matnet-save-kill-")
        .tempdir()
        .unwrap();
    let path = dir.path().join(FILE_NAME);
    let (a, b) = models();

    // The exact bytes of each model, saved by this process elsewhere.
    let reference = tempfile::tempdir().unwrap();
    let (pa, pb) = (
        reference.path().join("a.safetensors"),
        reference.path().join("b.safetensors"),
    );
    save_model(&a, &pa).unwrap();
    save_model(&b, &pb).unwrap();
    let (bytes_a, bytes_b) = (std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
    assert_ne!(bytes_a, bytes_b);

    // The first child overwrites an existing good file, like every later one.
    save_model(&a, &path).unwrap();

    let exe = std::env::current_exe().unwrap();
    let mut rng = StdRng::seed_from_u64(0x5afe);
    let mut child_pids = BTreeSet::new();
    let (mut found_a, mut found_b, mut mid_save) = (0, 0, 0);
    for trial in 0..TRIALS {
        let mut child = Killed(
            Command::new(&exe)
                .args([
                    "--exact",
                    "child_save_loop",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("MATNET_SAVE_LOOP", &path)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn the child"),
        );
        let pid = child.0.id();
        child_pids.insert(pid);
        // Wait until the child is in its save loop, then a random delay.
        let mut out = BufReader::new(child.0.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            let n = out.read_line(&mut line).unwrap();
            assert!(n > 0, "trial {trial}: the child exited before saving");
            if line.contains(STARTED) {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..40_000)));
        child.0.kill().unwrap(); // SIGKILL on Unix
        let status = child.0.wait().unwrap();
        assert!(!status.success(), "trial {trial}: child was not killed");
        drop(child);

        // The file is whole: exactly A or exactly B.
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("trial {trial}: {} unreadable: {e}", path.display()));
        let mut loaded = load_model(&path)
            .unwrap_or_else(|e| panic!("trial {trial}: the saved model does not load: {e}"));
        if on_disk == bytes_a {
            assert_eq!(loaded.params(), a.params(), "trial {trial}");
            assert_eq!(loaded.layers(), a.layers(), "trial {trial}");
            found_a += 1;
        } else if on_disk == bytes_b {
            assert_eq!(loaded.params(), b.params(), "trial {trial}");
            assert_eq!(loaded.layers(), b.layers(), "trial {trial}");
            found_b += 1;
        } else {
            panic!(
                "trial {trial}: the file ({} bytes) is neither model A ({} bytes) nor B ({} bytes)",
                on_disk.len(),
                bytes_a.len(),
                bytes_b.len()
            );
        }
        // It is usable, not just well-formed.
        let x = matrix::Matrix::from_fn(2, loaded.input_width(), |i, j| (i + j) as f32 * 0.01);
        loaded.predict(x.view(), 2).unwrap();

        // Temporary files: `.model.safetensors.tmp-PID-COUNTER-RANDOM` of a
        // killed child, at most one: this child's first save removed those
        // of earlier children (unless it was killed before that save began,
        // when the previous child's may remain).
        let tmp = temp_files(dir.path());
        for name in &tmp {
            let pid: u32 = name
                .strip_prefix(&format!(".{FILE_NAME}.tmp-"))
                .and_then(|p| p.split('-').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("trial {trial}: unexpected file {name}"));
            assert!(
                child_pids.contains(&pid),
                "trial {trial}: {name} is not from a child"
            );
        }
        assert!(tmp.len() <= 1, "trial {trial}: stale temporaries {tmp:?}");
        if tmp
            .iter()
            .any(|n| n.starts_with(&format!(".{FILE_NAME}.tmp-{pid}-")))
        {
            mid_save += 1;
        }
    }
    let leftovers = temp_files(dir.path()).len();
    eprintln!(
        "kill during save: {TRIALS} trials survived in {:.1?}: file was A {found_a} times, \
         B {found_b} times; {mid_save} kills landed mid-save, {leftovers} temporary \
         file left (stale ones are removed by the next save)",
        started.elapsed()
    );
    assert!(
        found_a > 0 && found_b > 0,
        "the children never completed a save of both models"
    );
}
