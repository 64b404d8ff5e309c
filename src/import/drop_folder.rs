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
}

impl Waiting {
    pub fn scan(from: &Path) -> anyhow::Result<Self> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(from)
            .with_context(|| format!("reading the drop folder {}", from.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        let of_kind = |kind: ExportKind| -> Vec<PathBuf> {
            files
                .iter()
                .filter(|p| kind_of(p) == Some(kind))
                .cloned()
                .collect()
        };
        Ok(Waiting {
            users: of_kind(ExportKind::Users),
            managed: of_kind(ExportKind::Managed).last().cloned(),
            external: of_kind(ExportKind::External).last().cloned(),
        })
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
            })?);
        }
        Ok(last)
    }

    /// Moves every waiting export to `from/done/`.
    pub fn move_to_done(&self, from: &Path) -> anyhow::Result<()> {
        let done = from.join("done");
        std::fs::create_dir_all(&done).with_context(|| format!("creating {}", done.display()))?;
        let files = self.users.iter().chain(&self.managed).chain(&self.external);
        for path in files {
            if let Some(name) = path.file_name() {
                std::fs::rename(path, done.join(name))
                    .with_context(|| format!("moving {} to {}", path.display(), done.display()))?;
            }
        }
        Ok(())
    }
}
