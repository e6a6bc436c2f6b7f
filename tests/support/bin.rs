//! The example binaries that `cargo test` builds beside the test binaries.

use std::path::PathBuf;

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
