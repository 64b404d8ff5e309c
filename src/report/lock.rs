//! One writer per output directory. Two runs on the same folder (a cron job
//! and a person, two schedulers) must never publish at once: the second
//! waits for the first, up to a limit, then fails with a clear message.
//!
//! The lock is `flock(2)` on `<out>/.org-insights.lock`: the kernel releases
//! it when its holder exits, however it exits, so a crashed run never leaves
//! a stale lock behind.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::support::fs::{lock_file, try_lock};

const FILE: &str = ".org-insights.lock";

/// Held for as long as a report is being published.
pub struct OutputLock {
    _file: File,
}

impl OutputLock {
    pub fn acquire(out: &Path, patience: Duration) -> anyhow::Result<Self> {
        let path = out.join(FILE);
        let mut file = lock_file(&path)?;
        let started = Instant::now();
        let mut told = false;
        loop {
            let locked = try_lock(&file).with_context(|| format!("locking {}", path.display()))?;
            if locked {
                file.set_len(0)?;
                file.rewind()?;
                write!(file, "{}", std::process::id())?;
                return Ok(OutputLock { _file: file });
            }
            if !told {
                tracing::warn!(out = %out.display(), "another run is writing to this folder: waiting");
                told = true;
            }
            if started.elapsed() >= patience {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                bail!(
                    "another org-insights run (process {}) is writing to {}; gave up after {} s",
                    holder.trim(),
                    out.display(),
                    patience.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_then_fails_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path(), Duration::ZERO).unwrap();
        let err = OutputLock::acquire(dir.path(), Duration::from_millis(300))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(OutputLock::acquire(dir.path(), Duration::ZERO).is_ok());
    }
}
