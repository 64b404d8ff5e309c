//! The unattended mode: run the report on a cron schedule in a time zone,
//! one run at a time, until SIGINT or SIGTERM.
//!
//! tokio-cron-scheduler's own time-zone jobs capture the zone's UTC offset
//! once, so after a daylight-saving change they fire an hour off. Instead,
//! every next run is computed here with croner in the configured zone (which
//! knows both transitions) and handed to tokio-cron-scheduler as a one-shot
//! job; when it fires, the supervisor loop schedules the next and starts the
//! report.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::Cron;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Mutex};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::Config;
use crate::pipeline::RunControl;
use crate::pipeline::{Abandoned, RunRequest};
use crate::runner;

/// How long a run in progress may take to finish after SIGINT or SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A cron expression (six fields, seconds first) in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    expression: String,
    timezone: Tz,
}

impl Schedule {
    pub fn parse(expression: &str, timezone: Tz) -> Result<Self, String> {
        let fields = expression.split_whitespace().count();
        if fields != 6 {
            return Err(format!("'{expression}' has {fields} fields"));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .build()
            .parse(expression)
            .map_err(|err| format!("'{expression}': {err}"))?;
        Ok(Schedule {
            cron,
            expression: expression.to_string(),
            timezone,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The first run strictly after `now`, by the wall clock of the zone.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&now.with_timezone(&self.timezone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last run at or before `now`.
    pub fn previous_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.timezone), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// What the scheduled jobs share.
struct Daemon {
    config: Config,
    /// Held while a run is going: a tick that finds it taken is skipped.
    busy: Mutex<()>,
    control: Arc<RunControl>,
}

/// Runs until SIGINT or SIGTERM. With `run_now`, or when `catch_up` finds
/// that the newest report missed a scheduled run, runs once at start.
///
/// A supervisor loop owns the schedule: it hands tokio-cron-scheduler one
/// one-shot job at a time, whose only work is to say that it fired; the loop
/// then schedules the next one and starts the run. Job callbacks never call
/// back into the scheduler.
pub async fn serve(config: Config, run_now: bool) -> anyhow::Result<()> {
    let mut scheduler = JobScheduler::new()
        .await
        .context("starting the scheduler")?;
    let daemon = Arc::new(Daemon {
        config,
        busy: Mutex::new(()),
        control: Arc::new(RunControl::default()),
    });
    tracing::info!(
        cron = daemon.config.schedule.expression(),
        timezone = %daemon.config.schedule.timezone(),
        "scheduler started"
    );
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;

    let (fired, mut ticks) = mpsc::unbounded_channel();
    let missed = daemon.config.catch_up && missed_a_run(&daemon.config, Utc::now());
    schedule_after(&scheduler, &daemon.config.schedule, Utc::now(), &fired).await?;
    scheduler.start().await.context("starting the scheduler")?;
    if run_now || missed {
        if missed && !run_now {
            tracing::info!("the newest report missed a scheduled run: running now");
        }
        tokio::spawn(run_guarded(daemon.clone(), "start"));
    }

    loop {
        tokio::select! {
            _ = terminate.recv() => {
                tracing::info!("SIGTERM received");
                break;
            }
            _ = interrupt.recv() => {
                tracing::info!("SIGINT received");
                break;
            }
            Some(at) = ticks.recv() => {
                // Times are kept in whole seconds, rounded down: a job can
                // fire up to a second early. Wait for the exact time.
                if let Ok(early) = (at - Utc::now()).to_std() {
                    tokio::time::sleep(early).await;
                }
                // After a long pause (a suspended machine) missed ticks are
                // not run one after another: the next follows now.
                schedule_after(&scheduler, &daemon.config.schedule, at.max(Utc::now()), &fired).await?;
                tokio::spawn(run_guarded(daemon.clone(), "schedule"));
            }
        }
    }

    tracing::info!("stopping: no new runs");
    daemon.control.cancel();
    let _ = scheduler.shutdown().await;
    // Let a run in progress finish; past the grace period it is abandoned,
    // which never leaves partial output (see RunControl).
    if tokio::time::timeout(SHUTDOWN_GRACE, daemon.busy.lock())
        .await
        .is_err()
    {
        tracing::warn!("a run was still going: abandoned");
    }
    let control = daemon.control.clone();
    tokio::task::spawn_blocking(move || control.wait_for_writes())
        .await
        .context("waiting for the report writer")?;
    tracing::info!("stopped");
    Ok(())
}

/// Hands the scheduler a one-shot job for the first run after `after`; the
/// job reports its time on `fired`. Retried a few times: without a next job
/// the schedule would stop, so failing here stops the program (exit 1, for
/// systemd to restart it) rather than leave it idle.
async fn schedule_after(
    scheduler: &JobScheduler,
    schedule: &Schedule,
    after: DateTime<Utc>,
    fired: &mpsc::UnboundedSender<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let at = schedule
        .next_after(after)
        .context("the cron expression has no future run")?;
    let mut tries = 0;
    loop {
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        let fired = fired.clone();
        let job =
            Job::new_one_shot_at_instant_async(Instant::now() + wait, move |_id, _scheduler| {
                let fired = fired.clone();
                Box::pin(async move {
                    let _ = fired.send(at);
                })
            });
        let added = match job {
            Ok(job) => scheduler.add(job).await.map(|_| ()),
            Err(err) => Err(err),
        };
        match added {
            Ok(()) => {
                tracing::debug!(next = %at, "next run scheduled");
                return Ok(());
            }
            Err(err) if tries < 3 => {
                tracing::warn!(error = %err, "scheduling the next run failed; trying again");
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => return Err(anyhow::anyhow!("scheduling the next run: {err}")),
        }
    }
}

/// Runs the report unless a run is already going. A failed run is logged
/// with its cause; the schedule goes on.
async fn run_guarded(daemon: Arc<Daemon>, trigger: &'static str) {
    let Ok(_busy) = daemon.busy.try_lock() else {
        tracing::warn!(trigger, "skipped: the previous run is still going");
        return;
    };
    tracing::info!(trigger, "run started");
    let config = daemon.config.clone();
    let email = config.email.clone().filter(|email| email.enabled);
    let control = daemon.control.clone();
    let result = tokio::task::spawn_blocking(move || {
        let request = RunRequest::from_config(&config, false)?;
        runner::prepare_bundle(&config, &request.data_dir)?;
        runner::run(&request, email.as_ref(), &control)
    })
    .await;
    match result {
        Ok(Ok(_)) => tracing::info!(trigger, "run finished"),
        Ok(Err(err)) if err.downcast_ref::<Abandoned>().is_some() => {
            tracing::warn!(trigger, "run abandoned: the program is stopping")
        }
        Ok(Err(err)) => tracing::error!(trigger, error = %format!("{err:#}"), "run failed"),
        Err(err) => tracing::error!(trigger, error = %err, "run failed: the run panicked"),
    }
}

/// Whether the newest report was generated before the last scheduled run.
fn missed_a_run(config: &Config, now: DateTime<Utc>) -> bool {
    let Some(previous) = config.schedule.previous_before(now) else {
        return false;
    };
    match newest_report_time(&config.out_dir) {
        Some(generated) => generated < previous,
        None => true,
    }
}

/// `generated_at` of the report `latest` points at.
fn newest_report_time(out_dir: &Path) -> Option<DateTime<Utc>> {
    let json = std::fs::read(out_dir.join("latest").join("insights.json")).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let generated = value.get("generated_at")?.as_str()?;
    DateTime::parse_from_rfc3339(generated)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Berlin;

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Berlin
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// A simulated clock: the runs that follow `start`, one after another.
    fn runs_from(schedule: &Schedule, start: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        let mut runs = Vec::new();
        let mut now = start;
        for _ in 0..count {
            now = schedule.next_after(now).unwrap();
            runs.push(now);
        }
        runs
    }

    #[test]
    fn six_in_the_morning_on_both_sides_of_spring_forward() {
        // Europe/Berlin moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        let runs = runs_from(&daily, berlin(2026, 3, 27, 12, 0), 4);
        assert_eq!(
            runs,
            vec![
                utc(2026, 3, 28, 5, 0), // 06:00 CET
                utc(2026, 3, 29, 4, 0), // 06:00 CEST, the day of the change
                utc(2026, 3, 30, 4, 0),
                utc(2026, 3, 31, 4, 0),
            ]
        );
    }

    #[test]
    fn six_in_the_morning_on_both_sides_of_fall_back() {
        // Europe/Berlin moves from UTC+2 to UTC+1 on 2026-10-25 at 03:00.
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        let runs = runs_from(&daily, berlin(2026, 10, 23, 12, 0), 3);
        assert_eq!(
            runs,
            vec![
                utc(2026, 10, 24, 4, 0), // 06:00 CEST
                utc(2026, 10, 25, 5, 0), // 06:00 CET, the day of the change
                utc(2026, 10, 26, 5, 0),
            ]
        );
    }

    #[test]
    fn a_time_inside_the_spring_gap_runs_once_right_after_it_and_once_in_the_repeated_hour() {
        let at_half_past_two = Schedule::parse("0 30 2 * * *", Berlin).unwrap();
        // 02:30 does not exist on 2026-03-29: the run comes at 03:00 CEST.
        assert_eq!(
            runs_from(&at_half_past_two, berlin(2026, 3, 28, 12, 0), 1),
            vec![utc(2026, 3, 29, 1, 0)]
        );
        // 02:30 happens twice on 2026-10-25: one run, at the first.
        assert_eq!(
            runs_from(&at_half_past_two, berlin(2026, 10, 24, 12, 0), 2),
            vec![utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
        );
    }

    #[test]
    fn the_previous_run_is_found_for_catch_up() {
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        assert_eq!(
            daily.previous_before(berlin(2026, 7, 1, 5, 59)),
            Some(berlin(2026, 6, 30, 6, 0))
        );
        assert_eq!(
            daily.previous_before(berlin(2026, 7, 1, 6, 0)),
            Some(berlin(2026, 7, 1, 6, 0))
        );
    }

    #[test]
    fn five_fields_or_bad_values_are_rejected() {
        assert!(Schedule::parse("0 6 * * *", Berlin).is_err());
        assert!(Schedule::parse("0 0 6 * * * 2026", Berlin).is_err());
        assert!(Schedule::parse("0 0 24 * * *", Berlin).is_err());
        assert!(Schedule::parse("*/2 * * * * *", Berlin).is_ok());
    }
}
