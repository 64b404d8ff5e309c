//! The drop folder of `[import] from`: which exports wait there, imported
//! before each scheduled run and each `--run-now`, then moved to `done/`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{import, ImportOptions, ImportSummary};
use crate::config::ImportConfig;
use crate::problems::ReadError;

/// The exports of admin.atlassian.com that `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    /// Directory > Users > Export users.
    Users,
    /// Directory > Managed accounts > Export accounts.
    Managed,
    /// Security > External users > Export.
    External,
}

/// The option of `import` that takes an export of this kind, and its name.
fn option_of(kind: ExportKind) -> (&'static str, &'static str) {
    match kind {
        ExportKind::Users => (
            "--users",
            "the users export (Directory > Users > Export users)",
        ),
        ExportKind::Managed => (
            "--managed",
            "the managed accounts export (Directory > Managed accounts > Export accounts)",
        ),
        ExportKind::External => (
            "--external",
            "the external users export (Security > External users > Export)",
        ),
    }
}

/// When `path`, given with `option`, looks like another export: what it
/// looks like and the option that takes it, in one sentence.
pub(super) fn wrong_export(path: &Path, option: &str) -> Option<String> {
    let kind = kind_of(path)?;
    let (takes_it, name) = option_of(kind);
    (takes_it != option).then(|| {
        let wanted = [ExportKind::Users, ExportKind::Managed, ExportKind::External]
            .into_iter()
            .map(option_of)
            .find(|(o, _)| *o == option)
            .map_or("another export", |(_, name)| name);
        format!("{wanted}; this file looks like {name}: give it with {takes_it}")
    })
}

/// Which export a file of the drop folder is, by its header.
fn kind_of(path: &Path) -> Option<ExportKind> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = reader
        .headers()
        .ok()?
        .iter()
        .map(crate::support::words::header_key)
        .collect();
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("atlassian id") && has("two-step verification") {
        Some(ExportKind::Managed)
    } else if has("atlassian id") && has("user access to products") {
        Some(ExportKind::External)
    } else if (has("user id") || has("id")) && has("email") {
        Some(ExportKind::Users)
    } else {
        None
    }
}

/// The exports waiting in a drop folder: every users export (oldest name
/// first) and the latest managed and external exports.
#[derive(Debug, Default)]
pub struct Waiting {
    pub users: Vec<PathBuf>,
    pub managed: Option<PathBuf>,
    pub external: Option<PathBuf>,
    /// Files that are no export `import` reads (a spreadsheet, a download
    /// not finished): left where they are, and named.
    pub unknown: Vec<PathBuf>,
    /// The admin's `ACCEPT-DROP` file, when present: the next import may
    /// shrink the bundle beyond `max_drop_percent`, once.
    pub accept_drop: Option<PathBuf>,
}

/// The file an admin creates in the drop folder to let the next import
/// take a large drop in accounts with access; removed once used.
pub const ACCEPT_DROP: &str = "ACCEPT-DROP";

impl Waiting {
    pub fn scan(from: &Path) -> anyhow::Result<Self> {
        let mut all: Vec<PathBuf> = std::fs::read_dir(from)
            .with_context(|| format!("reading the drop folder {}", from.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        all.sort();
        let marker = from.join(ACCEPT_DROP);
        let accept_drop = all.contains(&marker).then_some(marker);
        all.retain(|p| Some(p) != accept_drop.as_ref());
        let (files, mut unknown): (Vec<PathBuf>, Vec<PathBuf>) = all
            .into_iter()
            .partition(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")));
        unknown.extend(files.iter().filter(|p| kind_of(p).is_none()).cloned());
        unknown.sort();
        let of_kind = |kind: ExportKind| -> Vec<PathBuf> {
            files
                .iter()
                .filter(|p| kind_of(p) == Some(kind))
                .cloned()
                .collect()
        };
        for file in &unknown {
            tracing::warn!(file = %file.display(), "a file in the drop folder is no export of admin.atlassian.com: left there");
        }
        Ok(Waiting {
            users: of_kind(ExportKind::Users),
            managed: of_kind(ExportKind::Managed).last().cloned(),
            external: of_kind(ExportKind::External).last().cloned(),
            unknown,
            accept_drop,
        })
    }

    /// The file names of the exports waiting, in import order.
    pub fn names(&self) -> Vec<String> {
        let exports = self.users.iter().chain(&self.managed).chain(&self.external);
        exports.map(|p| file_name(p)).collect()
    }

    /// The file names of the files that are no export.
    pub fn unknown_names(&self) -> Vec<String> {
        self.unknown.iter().map(|p| file_name(p)).collect()
    }

    /// Imports each users export, with the managed and external exports,
    /// into `into`; the last import's summary (`None`: no users export).
    pub fn import_users(
        &self,
        settings: &ImportConfig,
        into: &Path,
    ) -> Result<Option<ImportSummary>, ReadError> {
        let mut last = None;
        for users_export in &self.users {
            last = Some(import(&ImportOptions {
                users: users_export.clone(),
                managed: self.managed.clone(),
                external: self.external.clone(),
                verified_domains: settings.verified_domains.clone(),
                into: into.to_path_buf(),
                managed_max_age_days: settings.managed_max_age_days,
                strict_columns: settings.strict_columns,
                max_drop_percent: settings.max_drop_percent,
                accept_drop: self.accept_drop.is_some(),
            })?);
        }
        Ok(last)
    }

    /// Moves every waiting export to `from/done/<today, UTC>/`, never over
    /// another: the raw export of a day is evidence an auditor may ask for.
    /// An `ACCEPT-DROP` file goes with them: it is used once, and kept as
    /// the record that the drop was accepted.
    pub fn move_to_done(&self, from: &Path) -> anyhow::Result<()> {
        let today = chrono::Utc::now().date_naive();
        let done = from.join("done").join(today.to_string());
        std::fs::create_dir_all(&done).with_context(|| format!("creating {}", done.display()))?;
        let files = self
            .users
            .iter()
            .chain(&self.managed)
            .chain(&self.external)
            .chain(&self.accept_drop);
        for path in files {
            let target = free_name(&done, &file_name(path));
            std::fs::rename(path, &target)
                .with_context(|| format!("moving {} to {}", path.display(), target.display()))?;
        }
        Ok(())
    }
}

/// The last part of `path`, as text.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `name` in `folder`, or `name` with `-2`, `-3`… before its extension
/// when a file of that name is there already.
fn free_name(folder: &Path, name: &str) -> PathBuf {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) => (stem, format!(".{extension}")),
        None => (name, String::new()),
    };
    let mut candidate = folder.join(name);
    let mut n = 2;
    while candidate.exists() {
        candidate = folder.join(format!("{stem}-{n}{extension}"));
        n += 1;
    }
    candidate
}
