//! `<out_dir>/tokens/ledger.jsonl`: every step of every token revocation,
//! one JSON line each, the intent on disk before its request and the
//! outcome after it. One apply at a time holds its lock. A line cut short
//! by a crash can only be the last one: it is passed over and said; any
//! other line that cannot be read stops the apply before anything is sent.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::problems::{BadInput, Location, Problem};
use crate::reclaim::ActError;
use crate::support::fs::{lock_file, try_lock};

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// About to send the DELETE.
    Intent,
    /// Revoked: the API said so, or a read found the token gone.
    Done,
    /// Not live any more before the request (revoked by someone else,
    /// expired): nothing was sent.
    Gone,
    /// Not sent: used since the plan, or a request that never took effect.
    Skipped,
    /// The API refused; the apply stopped there.
    Refused,
}

/// One step, with what the owner needs to be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub phase: Phase,
    pub token_id: String,
    pub account_id: String,
    pub label: String,
    /// As `[privacy] names` showed it in the plan.
    pub owner: String,
    /// The plan file the step carries out.
    pub plan: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The ledger, locked for one apply.
pub struct Ledger {
    path: PathBuf,
    _lock: File,
}

impl Ledger {
    /// Takes the lock of `folder`'s ledger at once, or says which process
    /// holds it (exit 2): two applies never act side by side.
    pub fn lock(folder: &Path) -> Result<Self, ActError> {
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
                        "no other tokens --apply at the same time: process {} holds this lock; nothing was sent",
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
        let ledger = Ledger {
            path: folder.join("ledger.jsonl"),
            _lock: file,
        };
        ledger.set_torn_tail_aside()?;
        Ok(ledger)
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
    pub fn entries(&self) -> Result<Vec<Entry>, ActError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(anyhow::Error::from(err)
                    .context(format!("reading {}", self.path.display()))
                    .into())
            }
        };
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut entries = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str::<Entry>(line.trim_end()) {
                Ok(entry) => entries.push(entry),
                Err(_) if line.trim().is_empty() => {}
                // A crash while writing leaves the last line without its end.
                Err(_) if i + 1 == lines.len() && !line.ends_with('\n') => {
                    tracing::warn!(ledger = %self.path.display(), line = i + 1, "the ledger's last line was cut short by a crash: passed over");
                }
                Err(err) => {
                    return Err(BadInput::about(
                        "the setup",
                        Problem {
                            file: self.path.display().to_string(),
                            location: Location::Line(i as u64 + 1),
                            column: None,
                            value: None,
                            expected: format!(
                                "a ledger entry ({err}): repair or move the ledger; nothing was sent"
                            ),
                        },
                    )
                    .into());
                }
            }
        }
        Ok(entries)
    }

    /// Appends `entry` on a line of its own and waits until it is on disk;
    /// a new ledger's folder is synced too, so the file itself survives.
    pub fn append(&self, entry: &Entry) -> anyhow::Result<()> {
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

/// The last phase the entries give each token, oldest first.
pub fn last_phase(entries: &[Entry], token_id: &str) -> Option<Phase> {
    entries
        .iter()
        .rev()
        .find(|e| e.token_id == token_id)
        .map(|e| e.phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(phase: Phase, token: &str) -> Entry {
        Entry {
            at: Utc::now(),
            phase,
            token_id: token.into(),
            account_id: "a1".into(),
            label: "ci".into(),
            owner: "a***@acme.com".into(),
            plan: "plan-2026-11-10.csv".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn a_torn_last_line_is_passed_over_then_set_aside_and_the_next_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::lock(dir.path()).unwrap();
        ledger.append(&entry(Phase::Intent, "t1")).unwrap();
        let mut text = std::fs::read(dir.path().join("ledger.jsonl")).unwrap();
        text.extend_from_slice(b"{\"at\":\"2026-");
        std::fs::write(dir.path().join("ledger.jsonl"), &text).unwrap();
        assert_eq!(ledger.entries().unwrap().len(), 1);
        drop(ledger);
        // The next apply sets the torn line aside before it appends.
        let ledger = Ledger::lock(dir.path()).unwrap();
        ledger.append(&entry(Phase::Done, "t1")).unwrap();
        let entries = ledger.entries().unwrap();
        assert_eq!(entries.len(), 2, "the torn line does not swallow the next");
        assert_eq!(last_phase(&entries, "t1"), Some(Phase::Done));
        let aside: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("ledger.torn-"))
            .collect();
        assert_eq!(aside.len(), 1, "the torn line is kept as evidence");
        let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
        assert_eq!(kept, b"{\"at\":\"2026-");
    }

    #[test]
    fn a_damaged_line_before_the_last_stops_everything() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::lock(dir.path()).unwrap();
        ledger.append(&entry(Phase::Intent, "t1")).unwrap();
        let mut text = b"not json\n".to_vec();
        text.extend(std::fs::read(dir.path().join("ledger.jsonl")).unwrap());
        std::fs::write(dir.path().join("ledger.jsonl"), &text).unwrap();
        let err = ledger.entries().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn a_second_apply_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Ledger::lock(dir.path()).unwrap();
        let Err(err) = Ledger::lock(dir.path()) else {
            panic!("two applies at once");
        };
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains(&std::process::id().to_string()),
            "{err}"
        );
    }
}
