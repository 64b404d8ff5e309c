//! Publishing a report atomically: every file is written into a hidden
//! sibling directory, which is then swapped into place with one rename.
//! A failed or interrupted run leaves earlier reports as they were, and the
//! next run clears what it left behind. Reports hold names and email
//! addresses: directories are created 0700 and files 0600 unless the
//! configuration shares them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDate;

use super::lock::OutputLock;
use super::RenderedReport;
use super::{archive, history, past, retention};
use crate::config::{Access, Retention};
use crate::support::fs::exchange;

/// How long a run waits for another run writing to the same folder.
const LOCK_PATIENCE: Duration = Duration::from_secs(120);

/// Removes a directory when dropped, unless it was moved into place.
struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_dir_all(path);
        }
    }
}

/// Writes `report` as `<out>/<as_of>/`, then updates history.csv and the
/// `latest` link. Returns the report directory.
pub fn publish(
    out: &Path,
    as_of: NaiveDate,
    report: &RenderedReport,
    access: Access,
    retention: &Retention,
) -> anyhow::Result<PathBuf> {
    dir_builder(access)
        .recursive(true)
        .create(out)
        .with_context(|| format!("creating the output directory {}", out.display()))?;
    let _lock = OutputLock::acquire(out, LOCK_PATIENCE)?;
    remove_leftovers(out);
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let staging = out.join(format!(".{as_of}.tmp-{nonce}"));
    dir_builder(access)
        .create(&staging)
        .with_context(|| format!("writing to the output directory {}", out.display()))?;
    let mut scratch = Scratch(Some(staging.clone()));

    for (relative, bytes) in &report.files {
        write_file(&staging.join(relative), bytes, access)?;
    }
    sync_dir(&staging);

    let target = out.join(as_of.to_string());
    if target.exists() {
        // The old report ends up in `staging`, which `scratch` removes.
        exchange(&staging, &target)?;
    } else {
        fs::rename(&staging, &target)
            .with_context(|| format!("moving the report into {}", target.display()))?;
        scratch.0 = None;
    }
    drop(scratch);

    let history_path = out.join("history.csv");
    let history = history::updated(Some(&history_path), &report.history)?;
    replace_file(&history_path, &history, &nonce, access)?;
    point_latest(out, &nonce)?;
    retention::purge(out, retention, &nonce);
    let archive = archive::page(out, &history)?;
    replace_file(&out.join("index.html"), &archive, &nonce, access)?;
    sync_dir(out);
    Ok(target)
}

fn dir_builder(access: Access) -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    builder.mode(access.dir_mode());
    builder
}

fn write_file(path: &Path, bytes: &[u8], access: Access) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        dir_builder(access)
            .recursive(true)
            .create(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(access.file_mode())
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes `path` through a temporary file and a rename.
fn replace_file(path: &Path, bytes: &[u8], nonce: &str, access: Access) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp-{nonce}"));
    write_file(&temporary, bytes, access)?;
    fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))
}

/// Points `<out>/latest` at the newest dated report.
fn point_latest(out: &Path, nonce: &str) -> anyhow::Result<()> {
    let newest = past::dated_reports(out).last().map(NaiveDate::to_string);
    let Some(newest) = newest else {
        return Ok(());
    };
    let link = out.join("latest");
    let temporary = out.join(format!(".latest.tmp-{nonce}"));
    std::os::unix::fs::symlink(&newest, &temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    fs::rename(&temporary, &link).with_context(|| format!("updating {}", link.display()))
}

/// Removes what an interrupted run left: staging directories, half-made
/// links and history files. Only called with the output lock held, so no
/// other run is using them.
fn remove_leftovers(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && (name.contains(".tmp-") || name.contains(".old-")) {
            let path = entry.path();
            let removed = if path.is_dir() && !path.is_symlink() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            if removed.is_ok() {
                tracing::info!(leftover = %name, "removed what an interrupted run left");
            }
        }
    }
}

/// Makes renames in `dir` durable; best effort, as not every filesystem can.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}
