//! The unattended mode: run the report on a cron schedule in a time zone,
//! one run at a time, until SIGINT or SIGTERM.
//!
//! tokio-cron-scheduler's own time-zone jobs capture the zone's UTC offset
//! once, so after a daylight-saving change they fire an hour off. Instead,
//! every next run is computed here with croner in the configured zone (which
//! knows both transitions) and handed to tokio-cron-scheduler as a one-shot
//! job; when it fires, the supervisor loop schedules the next and starts the
//! report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Mutex};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::{Config, Schedule};
use crate::email;
use crate::error::Error;
use crate::pipeline::RunControl;
use crate::report::past;
use crate::runner;

/// How long a run in progress may take to finish after SIGINT or SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

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
        next = %next_run(&daemon.config.schedule),
        "scheduler started"
    );
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;

    let (fired, mut ticks) = mpsc::unbounded_channel();
    let missed = daemon.config.catch_up && missed_a_run(&daemon.config, Utc::now());
    let mut next = schedule_after(&scheduler, &daemon.config.schedule, Utc::now(), &fired).await?;
    // The scheduler crate can lose a one-shot job added just before its
    // time ("Error getting … from job code"), and the schedule would then
    // stop: past its time and a grace, the loop takes the run as fired.
    let mut handled: Option<DateTime<Utc>> = None;
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
                // A job the loop already took as fired (see below).
                if handled.is_some_and(|handled| at <= handled) {
                    continue;
                }
                // Times are kept in whole seconds, rounded down: a job can
                // fire up to a second early. Wait for the exact time.
                if let Ok(early) = (at - Utc::now()).to_std() {
                    tokio::time::sleep(early).await;
                }
                handled = Some(at);
                next = run_and_schedule_next(&scheduler, &daemon, at, &fired).await?;
            }
            _ = tokio::time::sleep(overdue_in(next)) => {
                tracing::warn!(at = %next, "the scheduler did not fire this run: running it now");
                handled = Some(next);
                next = run_and_schedule_next(&scheduler, &daemon, next, &fired).await?;
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

/// Schedules the run after the one of `at` and starts this one; gives the
/// next run's time. After a long pause (a suspended machine) missed runs
/// are not run one after another: the next follows now.
async fn run_and_schedule_next(
    scheduler: &JobScheduler,
    daemon: &Arc<Daemon>,
    at: DateTime<Utc>,
    fired: &mpsc::UnboundedSender<DateTime<Utc>>,
) -> anyhow::Result<DateTime<Utc>> {
    let after = at.max(Utc::now());
    let next = schedule_after(scheduler, &daemon.config.schedule, after, fired).await?;
    tokio::spawn(run_guarded(daemon.clone(), "schedule"));
    Ok(next)
}

/// How long after a run's time the loop waits for its job to fire before
/// it takes the job as lost.
const FIRE_GRACE: Duration = Duration::from_secs(3);

/// The time from now until the run at `at` is overdue.
fn overdue_in(at: DateTime<Utc>) -> Duration {
    (at - Utc::now()).to_std().unwrap_or_default() + FIRE_GRACE
}

/// Hands the scheduler a one-shot job for the first run after `after`; the
/// job reports its time on `fired`. Gives the run's time. Retried a few
/// times: without a next job the schedule would stop, so failing here
/// stops the program (exit 1, for systemd to restart it) rather than leave
/// it idle.
async fn schedule_after(
    scheduler: &JobScheduler,
    schedule: &Schedule,
    after: DateTime<Utc>,
    fired: &mpsc::UnboundedSender<DateTime<Utc>>,
) -> anyhow::Result<DateTime<Utc>> {
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
                return Ok(at);
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
    let control = daemon.control.clone();
    let result =
        tokio::task::spawn_blocking(move || runner::run_unattended(&config, false, &control)).await;
    match result {
        Ok(Ok(_)) => tracing::info!(trigger, "run finished"),
        Ok(Err(Error::Abandoned)) => {
            tracing::warn!(trigger, "run abandoned: the program is stopping")
        }
        Ok(Err(err)) => tracing::error!(trigger, error = %err, "run failed"),
        Err(err) => {
            tracing::error!(trigger, error = %err, "run failed: the run panicked");
            let crashed =
                anyhow::anyhow!("the run stopped unexpectedly (a bug of org-insights): {err}");
            email::failure::notify(&daemon.config, &Error::Failed(crashed));
        }
    }
    tracing::info!(next = %next_run(&daemon.config.schedule), "next run");
}

/// The next scheduled run after now, in the schedule's zone, in words.
fn next_run(schedule: &Schedule) -> String {
    match schedule.next_after(Utc::now()) {
        Some(at) => at.with_timezone(&schedule.timezone()).to_rfc3339(),
        None => "none: the cron expression has no future run".to_string(),
    }
}

/// Whether the newest report was generated before the last scheduled run.
fn missed_a_run(config: &Config, now: DateTime<Utc>) -> bool {
    let Some(previous) = config.schedule.previous_before(now) else {
        return false;
    };
    match past::newest(&config.out_dir) {
        Some(newest) => newest.generated_at < previous,
        None => true,
    }
}
