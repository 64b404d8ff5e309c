//! The ledger file of every change to the organization (`reclaim`,
//! `tokens`): one JSON line per step, the intent on disk before its
//! request and the outcome after it. One apply or undo at a time holds its
//! lock. A line cut short by a crash can only be the last one: it is set
//! aside in a file of its own and said; any other line that cannot be read
//! stops the apply or undo before anything is sent.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::marker::PhantomData;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ActError;
use crate::problems::{BadInput, Location, Problem};
use crate::support::fs::{lock_file, try_lock};

/// `folder/ledger.jsonl` of entries `E`, locked while this value lives.
pub struct Journal<E> {
    path: PathBuf,
    _lock: File,
    entry: PhantomData<E>,
}

impl<E: Serialize + DeserializeOwned> Journal<E> {
    /// Takes the lock of `folder`'s ledger at once, or says which process
    /// holds it (exit 2): two applies (`command`, as the admin typed it)
    /// never act side by side.
    pub fn lock(folder: &Path, command: &str) -> Result<Self, ActError> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let lock_path = folder.join(".ledger.lock");
        let mut file = lock_file(&lock_path)?;
        let locked = try_lock(&file).with_context(|| format!("locking {}", lock_path.display()))?;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(BadInput::about(
                "the setup",
                Problem::file(
                    lock_path.display().to_string(),
                    format!(
                        "no other {command} at the same time: process {} holds this lock; nothing was sent",
                        holder.trim()
                    ),
                ),
            )
            .into());
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .context("writing the lock")?;
        write!(file, "{}", std::process::id()).context("writing the lock")?;
        let journal = Journal {
            path: folder.join("ledger.jsonl"),
            _lock: file,
            entry: PhantomData,
        };
        journal.set_torn_tail_aside()?;
        Ok(journal)
    }

    /// A last line without its end was being written when a crash came:
    /// its step never reached the API. It is moved to a file of its own
    /// beside the ledger (kept as evidence, and said), so that the next
    /// entry is not read as its continuation.
    fn set_torn_tail_aside(&self) -> anyhow::Result<()> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Ok(());
        };
        if bytes.is_empty() || bytes.ends_with(b"\n") {
            return Ok(());
        }
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let aside = self.path.with_file_name(format!(
            "ledger.torn-{}.txt",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        std::fs::write(&aside, &bytes[keep..])
            .with_context(|| format!("writing {}", aside.display()))?;
        let file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        file.set_len(keep as u64)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("repairing {}", self.path.display()))?;
        tracing::warn!(ledger = %self.path.display(), torn = %aside.display(), "the ledger's last line was cut short by a crash: set aside");
        Ok(())
    }

    /// Every entry so far, oldest first. A torn last line is passed over
    /// (and logged); an unreadable line before it is an error naming it.
    pub fn entries(&self) -> Result<Vec<E>, ActError> {
        read_entries(&self.path)
    }

    /// The entries of `folder`'s ledger without taking its lock, for a
    /// report that only shows them (an apply may be appending meanwhile:
    /// its last line, not yet ended, is passed over).
    pub fn read(folder: &Path) -> Result<Vec<E>, ActError> {
        read_entries(&folder.join("ledger.jsonl"))
    }

    /// Appends `entry` on a line of its own and waits until it is on disk;
    /// a new ledger's folder is synced too, so the file itself survives.
    pub fn append(&self, entry: &E) -> anyhow::Result<()> {
        let created = !self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        let mut line = Vec::new();
        // After a torn last line, the next entry starts on a fresh line.
        let length = file.metadata()?.len();
        if length > 0 {
            let mut last = [0u8; 1];
            file.seek(std::io::SeekFrom::Start(length - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                line.push(b'\n');
            }
        }
        line.extend(serde_json::to_vec(entry).context("writing a ledger entry")?);
        line.push(b'\n');
        file.write_all(&line)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", self.path.display()))?;
        if created {
            if let Some(folder) = self.path.parent() {
                File::open(folder)
                    .and_then(|dir| dir.sync_all())
                    .with_context(|| format!("syncing {}", folder.display()))?;
            }
        }
        Ok(())
    }
}

/// The entries of the ledger at `path`: see [`Journal::entries`].
fn read_entries<E: DeserializeOwned>(path: &Path) -> Result<Vec<E>, ActError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(anyhow::Error::from(err)
                .context(format!("reading {}", path.display()))
                .into())
        }
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut entries = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<E>(line.trim_end()) {
            Ok(entry) => entries.push(entry),
            Err(_) if line.trim().is_empty() => {}
            // A crash while writing leaves the last line without its end.
            Err(_) if i + 1 == lines.len() && !line.ends_with('\n') => {
                tracing::warn!(ledger = %path.display(), line = i + 1, "the ledger's last line was cut short by a crash: passed over");
            }
            Err(err) => return Err(damaged(path, i as u64 + 1, &err).into()),
        }
    }
    Ok(entries)
}

/// A ledger line that cannot be read, and what to do.
fn damaged(path: &Path, line: u64, err: &serde_json::Error) -> BadInput {
    BadInput::about(
        "the setup",
        Problem {
            file: path.display().to_string(),
            location: Location::Line(line),
            column: None,
            value: None,
            expected: format!(
                "a ledger entry ({err}): repair or move the ledger; nothing was sent"
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Step {
        n: u32,
    }

    fn lock(dir: &Path) -> Journal<Step> {
        Journal::lock(dir, "apply").unwrap()
    }

    #[test]
    fn a_torn_last_line_is_passed_over_then_set_aside_and_the_next_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let journal = lock(dir.path());
        journal.append(&Step { n: 1 }).unwrap();
        let mut text = std::fs::read(dir.path().join("ledger.jsonl")).unwrap();
        text.extend_from_slice(b"{\"n\":");
        std::fs::write(dir.path().join("ledger.jsonl"), &text).unwrap();
        assert_eq!(journal.entries().unwrap(), [Step { n: 1 }]);
        drop(journal);
        // The next apply sets the torn line aside before it appends.
        let journal = lock(dir.path());
        journal.append(&Step { n: 2 }).unwrap();
        assert_eq!(
            journal.entries().unwrap(),
            [Step { n: 1 }, Step { n: 2 }],
            "the torn line does not swallow the next"
        );
        let aside: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("ledger.torn-"))
            .collect();
        assert_eq!(aside.len(), 1, "the torn line is kept as evidence");
        let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
        assert_eq!(kept, b"{\"n\":");
    }

    #[test]
    fn a_damaged_line_before_the_last_stops_everything() {
        let dir = tempfile::tempdir().unwrap();
        let journal = lock(dir.path());
        journal.append(&Step { n: 1 }).unwrap();
        let mut text = b"not json\n".to_vec();
        text.extend(std::fs::read(dir.path().join("ledger.jsonl")).unwrap());
        std::fs::write(dir.path().join("ledger.jsonl"), &text).unwrap();
        let err = journal.entries().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn a_second_apply_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let _first = lock(dir.path());
        let Err(err) = Journal::<Step>::lock(dir.path(), "reclaim --apply or --undo") else {
            panic!("two applies at once");
        };
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(text.contains(&std::process::id().to_string()), "{text}");
        assert!(
            text.contains("no other reclaim --apply or --undo"),
            "{text}"
        );
    }
}
