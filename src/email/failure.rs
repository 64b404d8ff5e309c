//! The mail that tells someone an unattended run failed: a scheduled run
//! or `--run-now` that made no report (or could not mail its digest)
//! sends a short plain-text message to `[email] failures_to`, else `to`.
//! At most one a day while failures go on: the day of the last one is
//! kept in a state folder (not the output folder, which a failed run
//! leaves untouched), and a run that succeeds forgets it.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};

use super::send;
use crate::config::Config;
use crate::error::Error;
use crate::report::past;

/// Mails `err` unless a failure mail already went out today (in the
/// schedule's time zone) or nobody is configured to hear of it. A mail
/// that cannot be sent is logged: there is nobody else to tell.
pub fn notify(config: &Config, err: &Error) {
    let Some(settings) = config
        .email
        .as_ref()
        .filter(|e| e.enabled || !e.failures_to.is_empty())
    else {
        tracing::warn!("no failure mail: the configuration has no [email] recipients for it");
        return;
    };
    let today = Utc::now()
        .with_timezone(&config.schedule.timezone())
        .date_naive();
    if sent_on(&config.out_dir) == Some(today) {
        tracing::info!("no failure mail: one was already sent today");
        return;
    }
    let subject = match err {
        Error::ExportRefused { .. } => format!("org-insights: the exports of {today} were refused"),
        _ => format!("org-insights: the report of {today} failed"),
    };
    let text = body(config, err, today);
    match send::send_text(settings, settings.failure_recipients(), &subject, text) {
        Ok(()) => {
            tracing::info!(
                recipients = settings.failure_recipients().len(),
                "failure mail sent"
            );
            if let Err(write) = remember(&config.out_dir, today) {
                tracing::warn!(error = %format!("{write:#}"), "the day of the failure mail was not kept: another may follow today");
            }
        }
        Err(mail) => tracing::error!(
            error = %format!("{mail:#}"),
            "the failure mail could not be sent either"
        ),
    }
}

/// A run succeeded: the next failure is mailed again at once.
pub fn clear(out_dir: &Path) {
    let _ = std::fs::remove_file(sent_on_path(out_dir));
}

/// Where the day of the last failure mail for `out_dir` is kept:
/// systemd's `STATE_DIRECTORY`, else `XDG_STATE_HOME/org-insights`, else
/// `~/.local/state/org-insights`, else the temporary folder; one file per
/// output folder, so that two jobs do not silence each other.
fn sent_on_path(out_dir: &Path) -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let folder = var("STATE_DIRECTORY")
        .map(PathBuf::from)
        .or_else(|| var("XDG_STATE_HOME").map(|d| PathBuf::from(d).join("org-insights")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".local/state/org-insights")))
        .unwrap_or_else(|| std::env::temp_dir().join("org-insights"));
    let out = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    let key = blake3::hash(out.as_os_str().as_encoded_bytes()).to_hex();
    folder.join(format!("failure-mail-{}", &key.as_str()[..16]))
}

fn sent_on(out_dir: &Path) -> Option<NaiveDate> {
    let text = std::fs::read_to_string(sent_on_path(out_dir)).ok()?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn remember(out_dir: &Path, today: NaiveDate) -> std::io::Result<()> {
    let path = sent_on_path(out_dir);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(path, format!("{today}\n"))
}

/// The error in words, the last good report, and what to do.
fn body(config: &Config, err: &Error, today: NaiveDate) -> String {
    let last_good = match past::newest(&config.out_dir) {
        Some(newest) => format!(
            "The last good report is of {} (made {} UTC), in {}.",
            newest.as_of,
            newest.generated_at.format("%Y-%m-%d %H:%M"),
            config.out_dir.join(newest.as_of.to_string()).display()
        ),
        None => format!(
            "No report has been made in {} yet.",
            config.out_dir.display()
        ),
    };
    let lead = match err {
        Error::ExportRefused { exports, .. } => format!(
            "The exports waiting in the drop folder ({exports}) were refused, and nothing was imported. \
             The report of {today} was made on the bundle as it was, marked as stale data."
        ),
        _ => format!("The report of {today} could not be made."),
    };
    format!(
        "{lead}\n\n\
         What went wrong:\n{}\n\n\
         {last_good}\n\n\
         What to do:\n{}\n\n\
         No more of these mails are sent today; the next run that succeeds ends them.\n",
        err.to_string().trim_end(),
        what_to_do(config, err)
    )
}

fn what_to_do(config: &Config, err: &Error) -> String {
    let again = "Then run `org-insights --run-now` (or wait for the next scheduled run).";
    match err {
        Error::BadInput(_) => format!(
            "Fix what is listed above: in the bundle ({}) or in the configuration. \
             `org-insights check --data {}` lists every problem of the bundle. {again}",
            config.data_dir.display(),
            config.data_dir.display()
        ),
        Error::ExportRefused { .. } => format!(
            "The problem is in the export files, not in the bundle, which is unchanged: `org-insights check` \
             would pass. Do what the problem above says; in most cases, download the exports again from \
             admin.atlassian.com and save them in the drop folder ({}) as they come, without opening them in a \
             spreadsheet. The refused files stay there and are tried again at each run. {again}",
            config
                .import
                .as_ref()
                .and_then(|i| i.from.as_ref())
                .map_or_else(|| "[import] from".to_string(), |f| f.display().to_string()),
        ),
        Error::Pull(_) => format!(
            "The pull from Atlassian's API failed as said above, and there was no earlier bundle \
             to fall back on. {again}"
        ),
        Error::Mail(_) | Error::TestMail(_) => {
            "The report was written, but the digest could not be sent: check \
             the [email] settings and the mail server's answer above."
                .to_string()
        }
        Error::Abandoned | Error::Failed(_) => format!(
            "Look at the log of this run for details (for example `journalctl -u org-insights`). \
             A full disk or an output folder the job may not write to are the usual causes. {again}"
        ),
    }
}
