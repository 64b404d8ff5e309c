//! Two calls to the C library the standard library does not offer, each
//! sound for the reason its SAFETY comment gives: swapping two directories
//! in one step, and an exclusive lock that the kernel releases when its
//! holder dies. Every layer that writes or locks uses them from here.

use std::ffi::CString;
use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{bail, Context as _};

/// Swaps two directories in one step (Linux `renameat2` with
/// `RENAME_EXCHANGE`), so the dated path never goes missing.
#[allow(unsafe_code)]
pub fn exchange(a: &Path, b: &Path) -> anyhow::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).context("a path holds a NUL byte");
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if !matches!(err.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
        bail!("replacing {}: {err}", b.display());
    }
    // Filesystems without exchange: move the old report aside first.
    let aside = b.with_file_name(format!(
        ".{}.old-{}",
        b.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    fs::rename(b, &aside).with_context(|| format!("moving aside {}", b.display()))?;
    fs::rename(a, b).with_context(|| format!("moving the report into {}", b.display()))?;
    fs::rename(&aside, a).with_context(|| format!("removing the old {}", b.display()))
}

/// Opens (or makes, 0600) the file a lock is taken on; it keeps the
/// holder's process id.
pub fn lock_file(path: &Path) -> anyhow::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening the lock file {}", path.display()))
}

/// Takes `flock(2)`'s exclusive lock on `file` without waiting: `Ok(false)`
/// when another open file holds it.
#[allow(unsafe_code)]
pub fn try_lock(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a file descriptor that `file` owns for the call.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}
