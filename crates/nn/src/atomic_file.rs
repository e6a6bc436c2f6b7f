//! Atomic file replacement, shared by model files and IDX files.
//!
//! The bytes go to a temporary file created next to the target with
//! `create_new` (so no two writers ever share one), named
//! `.NAME.tmp-PID-COUNTER-RANDOM`; it is synced, renamed over the target and
//! the directory is synced (best effort). On any error the temporary is
//! removed. A reader of the target sees the old file or the new one, never a
//! mix, and two threads or processes saving to one path each install a
//! complete file (the last rename wins).
//!
//! A save killed between creating its temporary and renaming it leaves the
//! temporary behind. Every save first removes the temporaries of the same
//! target whose process is gone (Linux: no `/proc/PID`); on systems without
//! `/proc` nothing is removed. Files of other targets are never touched.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporaries of one process (several threads may save
/// to one path at once).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many names are tried before giving up when every one already exists.
const CREATE_ATTEMPTS: u32 = 64;

/// The directory holding `path` (`.` for a bare file name) and its file name,
/// or `None` when `path` names no file (`/`, `..`, empty).
pub(crate) fn split(path: &Path) -> Option<(PathBuf, String)> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((dir, name))
}

/// The prefix of every temporary of target `name`: `.NAME.tmp-`.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// Writes the file at `path` atomically: `write` fills a fresh temporary
/// (unbuffered; wrap it in a `BufWriter` for many small writes), which is then
/// synced and renamed over `path`. Stale temporaries of `path` left by killed
/// processes are removed first. A path without a file name is
/// `ErrorKind::InvalidInput`.
pub(crate) fn write_atomically_with<F>(path: &Path, write: F) -> io::Result<()>
where
    F: FnOnce(&mut File) -> io::Result<()>,
{
    let Some((dir, name)) = split(path) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not name a file",
        ));
    };
    remove_stale_temporaries(&dir, &name);
    let (tmp, mut file) = create_temporary(&dir, &name)?;
    let result = (|| {
        write(&mut file)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable (best effort: not every file system
    // lets a directory be opened and synced).
    #[cfg(unix)]
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `.NAME.tmp-PID-COUNTER-RANDOM` in `dir` with `create_new`,
/// trying new names while one already exists.
fn create_temporary(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let prefix = temp_prefix(name);
    let pid = std::process::id();
    let mut last = None;
    for _ in 0..CREATE_ATTEMPTS {
        let tmp = dir.join(format!(
            "{prefix}{pid}-{}-{:08x}",
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file name was free")))
}

/// The PID in a temporary's name after the prefix: `PID-COUNTER-RANDOM`
/// (this module) or `PID-COUNTER` / `PID` (earlier versions).
fn temp_pid(rest: &str) -> Option<u32> {
    rest.split('-').next()?.parse().ok()
}

/// Whether process `pid` may still be running. Without a way to tell
/// (no `/proc`), every process counts as alive, so nothing is removed.
fn may_be_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true; // another thread of this process may be mid-save
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes the regular files `.NAME.tmp-PID...` in `dir` whose process is
/// gone (best effort: errors are ignored, the save goes ahead). Returns how
/// many were removed.
pub(crate) fn remove_stale_temporaries(dir: &Path, name: &str) -> usize {
    let prefix = temp_prefix(name);
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = temp_pid(rest) else {
            continue;
        };
        if may_be_alive(pid) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_read_from_every_naming_scheme() {
        assert_eq!(temp_pid("123-4-deadbeef"), Some(123));
        assert_eq!(temp_pid("123-4"), Some(123));
        assert_eq!(temp_pid("123"), Some(123));
        assert_eq!(temp_pid("x-1"), None);
        assert_eq!(temp_pid(""), None);
    }

    #[test]
    fn stale_temporaries_of_the_target_only_are_removed() {
        let dir = std::env::temp_dir().join(format!("nn-atomic-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // A PID above Linux's maximum (2^22) is never alive.
        let dead = 4_194_999u32;
        let me = std::process::id();
        let stale = [
            format!(".m.bin.tmp-{dead}-0-0000abcd"),
            format!(".m.bin.tmp-{dead}"),
        ];
        let kept = [
            format!(".m.bin.tmp-{me}-7-00000000"), // this process: may be mid-save
            format!(".other.bin.tmp-{dead}-0-1"),  // another target
            ".m.bin.tmp-notapid".to_string(),      // not ours to judge
            "m.bin".to_string(),
        ];
        for n in stale.iter().chain(&kept) {
            fs::write(dir.join(n), b"x").unwrap();
        }
        let removed = remove_stale_temporaries(&dir, "m.bin");
        let left: std::collections::BTreeSet<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
            assert_eq!(removed, 2);
            assert_eq!(left, kept.iter().cloned().collect());
        } else {
            assert_eq!(removed, 0);
        }
        write_atomically_with(&dir.join("m.bin"), |f| io::Write::write_all(f, b"new")).unwrap();
        assert_eq!(fs::read(dir.join("m.bin")).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }
}
