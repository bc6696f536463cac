//! Durable file writes: the one place ashlog writes files outside its
//! databases (keys, configs, certificates, policies, saved state, proofs).
//!
//! What it guarantees beyond `std::fs::write`: after Ok, the file holds
//! exactly `contents` and keeps holding it across a crash or power loss;
//! before Ok, a reader sees the old file or no file, never a part of the new
//! one. Secrets are never readable by anyone but their owner, not even for
//! an instant, and an existing secret is never overwritten.
//!
//! [`write_file_atomic`], on the happy path:
//!
//! 1. open the parent directory (kept open: its fsync in step 6 is what
//!    makes the rename durable);
//! 2. create `.<name>.tmp<pid>.<n>` in that directory with
//!    `O_CREAT | O_EXCL` (never someone else's file), mode 0600 when
//!    `private`, else 0666 less the umask;
//! 3. write everything;
//! 4. fsync the file (its bytes are on disk before its name is);
//! 5. rename it over `path` (atomic on POSIX file systems);
//! 6. fsync the directory.
//!
//! [`write_secret_file`] writes the temporary file the same way (mode 0600),
//! then `link`s it to `path` instead of renaming: a link fails if `path`
//! exists, so a key can never replace another one, and the name appears
//! only once the bytes are durable. The temporary name is then removed and
//! the directory fsynced.
//!
//! Assumption: one writer per path. Two processes writing the same path
//! at once each leave a whole file (the last rename wins); nothing here
//! locks. A crash between steps 2 and 5 leaves a `.tmp` file beside the
//! target, which is never read and is safe to delete.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a public file (config, certificate, policy) atomically and
/// durably, replacing any file at `path`. See the module doc for the
/// sequence.
pub fn write_file_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace(path, contents, false)
}

/// Like [`write_file_atomic`], but the file is created mode 0600 (state that
/// is not secret but is nobody else's business, such as a citizen's saved
/// checkpoints or a commitment's working files).
pub fn write_private_file_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace(path, contents, true)
}

/// Writes a secret (a private key PEM) to a new file at `path`, mode 0600,
/// durably; fails with `AlreadyExists` if `path` exists, leaving it as it
/// was.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = open_parent(path)?;
    let tmp = write_temp(path, contents, true)?;
    let linked = std::fs::hard_link(&tmp, path);
    let removed = std::fs::remove_file(&tmp);
    linked?;
    removed?;
    dir.sync_all()
}

/// Fsyncs the directory holding `path`, so that a name created or renamed
/// in it survives a power loss.
pub fn sync_parent_dir(path: &Path) -> std::io::Result<()> {
    open_parent(path)?.sync_all()
}

fn replace(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    let dir = open_parent(path)?;
    let tmp = write_temp(path, contents, private)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    dir.sync_all()
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn open_parent(path: &Path) -> std::io::Result<File> {
    File::open(parent(path))
}

/// Steps 2 to 4: a new, fully written and fsynced temporary file beside
/// `path`. On error nothing is left behind.
fn write_temp(path: &Path, contents: &[u8], private: bool) -> std::io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = parent(path).join(tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_file_is_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_secret_file(&path, b"secret").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let e = write_secret_file(&path, b"other").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        // No temporary file is left behind, on success or refusal.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        write_file_atomic(&path, b"a").unwrap();
        write_file_atomic(&path, b"b").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn private_atomic_write_is_0600_even_over_a_public_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_file_atomic(&path, b"{}").unwrap();
        write_private_file_atomic(&path, b"{\"a\":1}").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn write_into_a_missing_directory_fails_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x");
        assert!(write_file_atomic(&path, b"a").is_err());
        assert!(write_secret_file(&path, b"a").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
