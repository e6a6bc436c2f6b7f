//! The example binaries that `cargo test` builds beside the test binaries.

use std::path::PathBuf;
use std::process::Output;

/// `target/<profile>/examples/<name>`, next to this test's `deps/` directory.
pub fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built: run through `cargo test`",
        bin.display()
    );
    bin
}

/// A finished run's standard output, as text.
#[allow(dead_code)] // each test binary compiles this file; not all read output
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A finished run's standard error, as text.
#[allow(dead_code)] // each test binary compiles this file; not all read output
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
