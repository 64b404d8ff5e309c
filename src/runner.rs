//! One job: the report run, then the digest when one is asked for, then one
//! log line with what was done. Shared by `run`, `--run-now` and the
//! scheduler.

use std::time::{Duration, Instant};

use std::path::Path;

use crate::bundle;
use crate::config::{Config, DailySource, EmailConfig, Thresholds};
use crate::email::{self, Decision, Evidence};
use crate::error::Error;
use crate::import;
use crate::pipeline::{self, RunControl, RunOutcome, RunRequest};
use crate::problems::{BadInput, ReadError};
use crate::pull;
use crate::reclaim;

/// What bringing the bundle up to date left to say.
#[derive(Debug, Default)]
pub struct Prepared {
    /// For the top of the page and the digest: an export refused, files of
    /// the drop folder that are no export.
    pub notices: Vec<String>,
    /// The refusal of the waiting exports, returned once the report on
    /// the bundle as it was is made and mailed.
    pub refused: Option<Error>,
}

/// Brings the bundle up to date before a scheduled run or `--run-now`:
/// the users exports waiting in `[import] from` first (earlier days'
/// history), then, with `[input] source = "api"`, a pull from the API
/// (today), which takes SSO from a managed accounts export waiting there.
/// An export the import refuses stays in the drop folder and the run goes
/// on with the bundle as it was, its report and digest saying why the data
/// is stale; a failed pull is logged and the run goes on the same way.
/// The one exception to both: there is no bundle yet.
pub fn prepare_bundle(config: &Config, data_dir: &Path) -> Result<Prepared, Error> {
    let waiting = match config.import.as_ref().map(|i| (i, i.from.as_ref())) {
        Some((import, Some(from))) => Some((import, from, import::Waiting::scan(from)?)),
        _ => None,
    };
    let mut prepared = Prepared::default();
    let mut read_exports = false;
    if let Some((import, _, waiting)) = &waiting {
        prepared.notices.extend(unknown_files_notice(waiting));
        match waiting.import_users(import, data_dir) {
            Ok(Some(summary)) => {
                tracing::info!(
                    accounts = summary.accounts,
                    new_activity_rows = summary.new_activity_rows,
                    "exports imported"
                );
                log_update(&summary);
                read_exports = true;
            }
            Ok(None) => {}
            Err(ReadError::Bad(bad)) if bundle::exists(data_dir) => {
                tracing::error!(error = %bad, "the waiting exports were refused: the report uses the bundle as it was");
                prepared.notices.insert(0, refused_notice(waiting, &bad));
                prepared.refused = Some(Error::ExportRefused {
                    exports: waiting.names().join(", "),
                    problems: bad,
                });
            }
            Err(err) => return Err(err.into()),
        }
    }
    if let (DailySource::Api, Some(atlassian)) = (config.source, &config.atlassian) {
        let managed_export = waiting.as_ref().and_then(|(_, _, w)| w.managed.clone());
        let request = pull::PullRequest {
            settings: atlassian,
            key: atlassian.api_key()?,
            into: data_dir,
            managed_export: managed_export.clone(),
            progress: false,
        };
        match pull::pull(&request) {
            Ok(summary) => {
                log_pull(&summary);
                read_exports |= managed_export.is_some();
            }
            Err(err) if bundle::exists(data_dir) => tracing::error!(
                error = %format!("{err:#}"),
                "the pull from Atlassian's API failed: the report uses the bundle as it was"
            ),
            Err(err) => return Err(err.into()),
        }
    }
    if let (Some((_, from, waiting)), true) = (&waiting, read_exports) {
        waiting.move_to_done(from)?;
    }
    Ok(prepared)
}

/// The notice of exports the import refused: which files, the first
/// problem, and that the report shows the data as it was.
fn refused_notice(waiting: &import::Waiting, bad: &BadInput) -> String {
    let first = bad
        .0
        .listed()
        .first()
        .map_or_else(|| bad.to_string(), ToString::to_string);
    format!(
        "Stale data: the exports waiting in the drop folder ({}) were refused, so this report shows the bundle as it was. \
         The reason: {}. They stay in the drop folder: export them again from admin.atlassian.com and save them there \
         (the failure mail lists every problem).",
        waiting.names().join(", "),
        first.trim_end()
    )
}

/// The notice of the files in the drop folder that are no export.
fn unknown_files_notice(waiting: &import::Waiting) -> Option<String> {
    if waiting.unknown.is_empty() {
        return None;
    }
    Some(format!(
        "The drop folder holds files that are no export of admin.atlassian.com, left there unread: {}. \
         Save the users export as CSV (not .xlsx), let downloads finish, and remove what does not belong.",
        waiting.unknown_names().join(", ")
    ))
}

/// One log line for a pull, without names or the key.
pub fn log_pull(summary: &pull::PullSummary) {
    tracing::info!(
        org_id = %summary.org_id,
        users = summary.users,
        domains = summary.domains,
        users_without_id = summary.without_id,
        new_activity_rows = summary.update.new_activity_rows,
        activity_rows = summary.update.activity_rows,
        "pulled from Atlassian's API"
    );
    match &summary.tokens {
        Ok(tokens) => tracing::info!(tokens, "API tokens pulled"),
        Err(reason) => tracing::warn!(%reason, "API tokens not recorded by this source"),
    }
    match &summary.new_events {
        Ok(new_events) => tracing::info!(new_events, "audit log events added"),
        Err(reason) => tracing::warn!(%reason, "the audit log was not read"),
    }
    log_update(&summary.update);
}

/// One warning per product name of an import or a pull that maps to no
/// product key of the contract, and one per note it left for the page.
pub fn log_update(summary: &import::ImportSummary) {
    for name in &summary.unknown_products {
        tracing::warn!(product = %name, "a product name with no known key: kept as a slug");
    }
    for note in &summary.notes {
        tracing::warn!(%note, "noted in the report's data quality");
    }
}

/// The scheduled run, and `--run-now`: the secrets checked before any
/// request, the bundle brought up to date, the report, the digest. A
/// failure is mailed (at most once a day, see [`email::failure`]) besides
/// being returned; a success ends a run of failures.
pub fn run_unattended(
    config: &Config,
    progress: bool,
    control: &RunControl,
) -> Result<RunOutcome, Error> {
    let result = unattended(config, progress, control);
    match &result {
        Ok(_) => email::failure::clear(&config.out_dir),
        Err(Error::Abandoned) => {}
        Err(err) => email::failure::notify(config, err),
    }
    result
}

fn unattended(config: &Config, progress: bool, control: &RunControl) -> Result<RunOutcome, Error> {
    // Every secret before the first network request: the digest's (and
    // the failure mail's) login, then the API key.
    if let Some(email) = &config.email {
        if email.enabled || !email.failures_to.is_empty() {
            email.check_secrets()?;
        }
    }
    let email = config.email.clone().filter(|email| email.enabled);
    if let Some(atlassian) = &config.atlassian {
        atlassian.api_key()?;
    }
    let mut request = RunRequest::from_config(config, progress)?;
    let prepared = prepare_bundle(config, &request.data_dir)?;
    request.source_notices = prepared.notices;
    // Nothing is done to the organization on data known to be stale.
    let (reclaimed, reclaim_failed) = match prepared.refused {
        None => reclaim_on_schedule(config, &request),
        Some(_) => (None, None),
    };
    let mut outcome = pipeline::run(&request, control)?;
    outcome.reclaimed = reclaimed;
    let outcome = mail_and_log(&request, email.as_ref(), control, outcome)?;
    // The report is out; a refused export or a failed apply still fails
    // the job, so that the failure mail and the exit code tell of it.
    match prepared.refused.or(reclaim_failed) {
        Some(err) => Err(err),
        None => Ok(outcome),
    }
}

/// Runs the report and, with `email`, sends the digest.
pub fn run(
    request: &RunRequest,
    email: Option<&EmailConfig>,
    control: &RunControl,
) -> Result<RunOutcome, Error> {
    let outcome = pipeline::run(request, control)?;
    mail_and_log(request, email, control, outcome)
}

/// With `[reclaim] on_schedule = true` (and `enabled`), the scheduled job
/// suspends the plan's accounts before the report, whose Reclaim section
/// and digest then say what was suspended and how to undo it. A failed
/// apply is returned beside, not instead of, the day's report.
fn reclaim_on_schedule(
    config: &Config,
    request: &RunRequest,
) -> (Option<reclaim::Done>, Option<Error>) {
    let Some(settings) = config.reclaim.filter(|r| r.enabled && r.on_schedule) else {
        return (None, None);
    };
    let applied = pipeline::reclaim_plan(request, &settings).and_then(|plan| {
        let file = reclaim::write_plan(&config.out_dir, &plan)?;
        Ok(reclaim::apply(config, &plan, &file)?)
    });
    match applied {
        Ok(done) => (Some(done), None),
        Err(err) => {
            tracing::error!(error = %err, "the scheduled reclaim failed: the report goes on");
            (None, Some(err))
        }
    }
}

fn mail_and_log(
    request: &RunRequest,
    email: Option<&EmailConfig>,
    control: &RunControl,
    outcome: RunOutcome,
) -> Result<RunOutcome, Error> {
    let started = Instant::now();
    let mail = match email {
        Some(settings) if !control.is_cancelled() => {
            let decision = mail_decision(settings, &request.thresholds, &outcome);
            if decision.send {
                Some(email::send_digest(
                    settings,
                    &outcome,
                    decision.why.as_deref(),
                ))
            } else {
                tracing::info!(send = ?settings.send, "digest not sent: nothing to report");
                None
            }
        }
        _ => None,
    };
    log_outcome(&outcome, mail.as_ref().map(|_| started.elapsed()));
    match mail {
        Some(Err(err)) => Err(Error::Mail(err)),
        _ => Ok(outcome),
    }
}

/// Whether `[email] send` asks for a digest after this run, and why.
fn mail_decision(
    settings: &EmailConfig,
    thresholds: &Thresholds,
    outcome: &RunOutcome,
) -> Decision {
    let headlines = outcome.insights.headlines();
    email::decide(
        settings.send,
        &Evidence {
            headlines: &headlines,
            previous: outcome.previous.as_ref(),
            changes: outcome.changes,
            alerts: alerts(settings, outcome),
        },
        thresholds,
    )
}

/// The actions of `[email] alert_on_actions` among the audit log's events
/// after the previous report (the whole window on a first report).
fn alerts(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<(String, usize)> {
    let Some(changes) = &outcome.security_changes else {
        return Vec::new();
    };
    let since = outcome.previous_as_of();
    settings
        .alert_on_actions
        .iter()
        .map(|action| {
            let n = changes
                .events
                .iter()
                .filter(|e| e.action == *action && since.is_none_or(|since| e.day() > since))
                .count();
            (action.clone(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn log_outcome(outcome: &RunOutcome, mail: Option<Duration>) {
    let rows: Vec<String> = outcome
        .rows
        .iter()
        .map(|(table, n)| format!("{}={n}", table.name()))
        .collect();
    let ms = |d: Duration| d.as_millis() as u64;
    tracing::info!(
        as_of = %outcome.as_of,
        rows = %rows.join(" "),
        activity_read = %if outcome.quality.activity_read_again.is_some() {
            "twice"
        } else {
            "once"
        },
        load_ms = ms(outcome.timings.load),
        compute_ms = ms(outcome.timings.compute),
        render_ms = ms(outcome.timings.render),
        write_ms = ms(outcome.timings.write),
        mail_ms = mail.map(ms),
        report = %outcome.report_dir.display(),
        "report written"
    );
}
