//! One run of the batch job: load and check the bundle, compute the
//! insights, render the report and publish it. `RunControl` lets a
//! shutdown abandon a run without ever leaving a half-written report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use crate::access_review;
use crate::bundle::manifest::Manifest;
use crate::bundle::Tolerance;
use crate::bundle::{self, Table};
use crate::config::{Access, AccessReview, Exception, Retention, Thresholds, Tokens};
use crate::config::{
    Config, Reclaim, DEFAULT_MAX_BAD_ROWS_PERCENT, DEFAULT_SKIP_ADDED_WITHIN_DAYS,
};
use crate::error::Error;
use crate::insights::{self, Context, Insights, SecurityChanges};
use crate::problems::{BadInput, ReadError};
use crate::reclaim::{self, Plan};
use crate::report::write;
use crate::report::{self, RunInfo};
use crate::review::changes::{self, Baseline, Changes};
use crate::review::controls::{self, ToFix};
use crate::review::data_quality::{self, DataQuality};
use crate::review::exceptions::{self, Review};
use crate::review::freshness::{self, Freshness, KeyExpiry};
use crate::review::privacy::Privacy;
use crate::review::seat_reclaim;
use crate::review::snapshot::Snapshot;
use crate::review::tokens::{self, TokensToFix};
use crate::support::progress::Progress;
use crate::tokens::TokenPlan;

/// Shared between a run and whoever may stop it.
#[derive(Debug, Default)]
pub struct RunControl {
    cancelled: AtomicBool,
    /// Held while a report is being published.
    writing: Mutex<()>,
}

impl RunControl {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Permission to publish: `None` once cancelled. While the guard lives,
    /// [`RunControl::wait_for_writes`] waits.
    pub fn begin_write(&self) -> Option<MutexGuard<'_, ()>> {
        let guard = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        (!self.is_cancelled()).then_some(guard)
    }

    /// Returns once no report is being published (call after `cancel`).
    pub fn wait_for_writes(&self) {
        drop(self.writing.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub data_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Overrides the as-of date the contract derives from the data.
    pub as_of: Option<NaiveDate>,
    /// The zone of "today" when the bundle has no activity.
    pub timezone: Tz,
    /// Show the stages on a terminal (runs by hand).
    pub progress: bool,
    /// Who may read the written files.
    pub access: Access,
    /// Which dated reports the output folder keeps.
    pub retention: Retention,
    /// Where the recommendations call for action.
    pub thresholds: Thresholds,
    /// How names and emails appear in everything written.
    pub privacy: Privacy,
    pub exceptions: Vec<Exception>,
    /// Seat reclaim leaves out accounts added fewer days ago.
    pub skip_added_within_days: u64,
    /// When the org API key of `[atlassian]` expires, when known.
    pub key_expiry: Option<KeyExpiry>,
    /// How many bad rows a table may set aside before the run stops.
    pub tolerance: Tolerance,
    /// `[reclaim]`: the report shows its plan.
    pub reclaim: Option<Reclaim>,
    /// What bringing the bundle up to date could not do (an export
    /// refused, files of the drop folder that are no export): said at the
    /// top of the page and in the digest.
    pub source_notices: Vec<String>,
}

impl RunRequest {
    /// The scheduled run of `config`, as of the date the data gives. Fails
    /// when the hash key of `[privacy]` is missing from the environment.
    pub fn from_config(config: &Config, progress: bool) -> Result<Self, BadInput> {
        Ok(RunRequest {
            data_dir: config.data_dir.clone(),
            out_dir: config.out_dir.clone(),
            as_of: None,
            timezone: config.schedule.timezone(),
            progress,
            access: config.access,
            retention: config.retention,
            thresholds: config.thresholds.clone(),
            privacy: Privacy::configured(&config.privacy)?,
            exceptions: config.exceptions.clone(),
            skip_added_within_days: config.skip_added_within_days,
            key_expiry: config.atlassian.as_ref().and_then(|a| {
                Some(KeyExpiry {
                    expires: a.key_expires?,
                    env: a.api_key_env.clone(),
                })
            }),
            tolerance: tolerance(config.max_bad_rows_percent),
            reclaim: config.reclaim,
            source_notices: Vec::new(),
        })
    }

    /// A run of `data_dir` into `out_dir` with every other setting at its
    /// default (tests and tools).
    pub fn new(data_dir: PathBuf, out_dir: PathBuf) -> Self {
        RunRequest {
            data_dir,
            out_dir,
            as_of: None,
            timezone: Tz::UTC,
            progress: false,
            access: Access::Private,
            retention: Retention::default(),
            thresholds: Thresholds::default(),
            privacy: Privacy::show(),
            exceptions: Vec::new(),
            skip_added_within_days: DEFAULT_SKIP_ADDED_WITHIN_DAYS,
            key_expiry: None,
            tolerance: tolerance(DEFAULT_MAX_BAD_ROWS_PERCENT),
            reclaim: None,
            source_notices: Vec::new(),
        }
    }
}

/// `[input] max_bad_rows_percent` as the loader takes it: 0 sets nothing
/// aside.
fn tolerance(max_bad_rows_percent: f64) -> Tolerance {
    if max_bad_rows_percent > 0.0 {
        Tolerance::Percent(max_bad_rows_percent)
    } else {
        Tolerance::Strict
    }
}

impl RunRequest {
    /// `--as-of`, else the latest activity date, else today in the zone.
    fn report_date(&self, bundle: &mut bundle::Bundle) -> Result<NaiveDate, Error> {
        let latest = match (self.as_of, bundle.unchecked_activity()) {
            (Some(as_of), _) => return Ok(as_of),
            (None, Some(activity)) => insights::latest_activity_date(activity),
            (None, None) => bundle.latest_activity(),
        };
        Ok(latest.unwrap_or_else(|| Utc::now().with_timezone(&self.timezone).date_naive()))
    }

    /// A read error as the run reports it: names in its problems concealed
    /// as `[privacy]` says.
    fn read_error(&self, err: ReadError) -> Error {
        match err {
            ReadError::Bad(bad) => Error::BadInput(self.privacy.conceal_problems(bad)),
            ReadError::Failed(failed) => Error::Failed(failed),
        }
    }

    /// How old the bundle's data is, and when the API key expires.
    fn freshness(&self, bundle: &bundle::Bundle) -> Freshness {
        let mut freshness = freshness::assess(
            &bundle.manifest,
            self.key_expiry.as_ref(),
            Utc::now().date_naive(),
        );
        freshness
            .notices
            .splice(0..0, self.source_notices.iter().cloned());
        freshness
    }
}

/// What a run did, for the digest, the log line and the caller.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub as_of: NaiveDate,
    pub report_dir: PathBuf,
    pub rows: BTreeMap<Table, u64>,
    pub insights: Insights,
    pub quality: DataQuality,
    pub timings: Timings,
    /// Account changes against the previous report (`None`: nothing to
    /// compare with).
    pub changes: Option<usize>,
    /// The same changes, group by group, for the digest.
    pub change_groups: Option<Changes>,
    pub exceptions: Review,
    /// The accounts that do not meet each control with figures.
    pub to_fix: Vec<ToFix>,
    /// The audit log's tracked events of the window.
    pub security_changes: Option<SecurityChanges>,
    /// The API tokens that need attention; `None` without `api_tokens`.
    pub tokens: Option<TokensToFix>,
    /// With `[reclaim]`: the accounts a reclaim would suspend.
    pub reclaim: Option<Plan>,
    /// What a scheduled reclaim suspended before the report.
    pub reclaimed: Option<reclaim::Done>,
    /// The page with names masked, for a digest that must not show them
    /// (only when the report itself shows names).
    pub masked_page: Option<Vec<u8>>,
    /// The previous report's row of history.csv, column by column.
    pub previous: Option<BTreeMap<String, String>>,
    /// How old the data is, and what needs attention because of it.
    pub freshness: Freshness,
}

impl RunOutcome {
    /// The date of the previous report, from its row of history.csv.
    pub fn previous_as_of(&self) -> Option<NaiveDate> {
        self.previous.as_ref()?.get("as_of")?.parse().ok()
    }
}

/// Time spent in each stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub load: Duration,
    pub compute: Duration,
    pub render: Duration,
    pub write: Duration,
}

/// Loads, computes, renders and publishes one report. Nothing is written
/// unless every stage before succeeded and `control` still allows it.
pub fn run(request: &RunRequest, control: &RunControl) -> Result<RunOutcome, Error> {
    out_is_a_folder(&request.out_dir)?;
    let progress = Progress::new(request.progress);
    progress.stage("reading and checking the bundle");
    let started = Instant::now();
    let mut bundle = load(request)?;
    let load = started.elapsed();
    let freshness = request.freshness(&bundle);

    let as_of = request.report_date(&mut bundle)?;

    progress.stage("computing the insights");
    let started = Instant::now();
    let context = read_context(request, &mut bundle, as_of)?;
    let (computed, snapshot, seats) = compute_in_turn(request, &context)?;
    let r = review_figures(request, &bundle, &context, &computed, &snapshot)?;
    let compute = started.elapsed();

    progress.stage("drawing the charts and the page");
    let started = Instant::now();
    let bundle_name = request.data_dir.display().to_string();
    let run = RunInfo {
        as_of,
        generated_at: Utc::now().fixed_offset(),
        bundle: &bundle_name,
        freshness: &freshness,
    };
    let rendered = report::render(
        &run,
        report::Extras {
            snapshot: &snapshot,
            changes: r.changes.as_ref(),
            baseline: &r.past.baseline,
            history: &r.past.history,
            presented: r.presented,
            seats: seats.as_ref(),
            exceptions: &r.review,
            privacy: &request.privacy,
            to_fix: &r.to_fix,
            reclaim: r.reclaim_plan.as_ref(),
            tokens: r.tokens.as_ref(),
        },
        &computed,
        &r.quality,
    )?;
    let render = started.elapsed();

    progress.stage("writing the report");
    let started = Instant::now();
    let report_dir = publish(request, control, as_of, &rendered)?;
    let write = started.elapsed();

    Ok(RunOutcome {
        as_of,
        report_dir,
        rows: bundle.row_counts(),
        insights: computed.insights,
        security_changes: computed.security_changes,
        tokens: r.tokens,
        quality: r.quality,
        changes: r.changes.as_ref().map(|c| c.total()),
        change_groups: r.changes,
        exceptions: r.review,
        to_fix: r.to_fix,
        reclaim: r.reclaim_plan,
        reclaimed: None,
        masked_page: rendered.masked_page,
        previous: r.past.history.last().cloned(),
        freshness,
        timings: Timings {
            load,
            compute,
            render,
            write,
        },
    })
}

/// What a run adds to the figures: data quality, exceptions, each
/// insight's words, the reclaim plan, the accounts and tokens to fix, and
/// what changed since the previous report (who did it, where the audit
/// log says).
struct Reviewed {
    quality: DataQuality,
    review: Review,
    presented: Vec<insights::Presented>,
    reclaim_plan: Option<Plan>,
    to_fix: Vec<ToFix>,
    tokens: Option<TokensToFix>,
    past: report::past::Past,
    changes: Option<Changes>,
}

fn review_figures(
    request: &RunRequest,
    bundle: &bundle::Bundle,
    context: &Context,
    computed: &insights::Computed,
    snapshot: &Snapshot,
) -> Result<Reviewed, Error> {
    let quality = timed("data quality", || {
        data_quality::assess(bundle, context, &request.privacy)
    })
    .context("assessing data quality")?;
    for bad in &quality.bad_rows {
        tracing::warn!(problem = %bad.problem, "a row was set aside: the report leaves it out");
    }
    let review = exceptions::review(&request.exceptions, snapshot);
    for unknown in review.unknown() {
        tracing::warn!(exception = %unknown.target, "an exception names no account of the bundle");
    }
    let mut presented = computed
        .insights
        .present(&request.thresholds, snapshot.idle_accounts());
    if let Some(since) = bundle.manifest.recorded_since {
        insights::no_data_before(&mut presented, since);
    }
    let reclaim_plan = request
        .reclaim
        .as_ref()
        .map(|settings| reclaim::plan(context, snapshot, &review, settings))
        .transpose()
        .context("planning the reclaim")?
        .map(|plan| reclaim::with_what_was_done(plan, &request.out_dir));
    let to_fix: Vec<ToFix> = insights::controls()
        .into_iter()
        .filter(|(key, _)| !computed.missing.contains_key(key.as_str()))
        .map(|(key, rule)| controls::accounts_to_fix(key, rule, snapshot, &review))
        .collect();
    let tokens = tokens::tokens_to_fix(context, snapshot, &review, &request.privacy)
        .context("listing the API tokens to look at")?;
    let past = report::past::load(&request.out_dir, context.as_of);
    let mut changes = changes::since(&past.baseline, snapshot);
    if let (Some(changes), Baseline::Previous(previous)) = (changes.as_mut(), &past.baseline) {
        tokens::add_created(changes, context, previous.as_of, snapshot, &request.privacy)
            .context("listing the API tokens created since the previous report")?;
        let events = computed
            .security_changes
            .as_ref()
            .map(|s| s.events.as_slice());
        changes::attribute(
            changes,
            events.unwrap_or_default(),
            previous.as_of,
            &request.privacy,
        );
    }
    Ok(Reviewed {
        quality,
        review,
        presented,
        reclaim_plan,
        to_fix,
        tokens,
        past,
        changes,
    })
}

/// Publishes the report unless the program is stopping; the write is not
/// cancelled once begun.
fn publish(
    request: &RunRequest,
    control: &RunControl,
    as_of: NaiveDate,
    rendered: &report::RenderedReport,
) -> Result<PathBuf, Error> {
    let Some(_writing) = control.begin_write() else {
        return Err(Error::Abandoned);
    };
    Ok(write::publish(
        &request.out_dir,
        as_of,
        rendered,
        request.access,
        &request.retention,
    )?)
}

/// Refuses, before any work, an output path that is (or lies inside) a
/// file rather than a folder: said in words, not as "File exists (os error
/// 17)". Like any output directory that cannot be written, exit 1.
fn out_is_a_folder(out: &Path) -> anyhow::Result<()> {
    let Some(existing) = out.ancestors().find(|path| path.exists()) else {
        return Ok(());
    };
    if existing.is_dir() {
        return Ok(());
    }
    let what = if existing == out {
        "it is a file".to_string()
    } else {
        format!("{} is a file", existing.display())
    };
    anyhow::bail!(
        "{}: expected a folder to write the reports into (--out or out_dir), but {what}",
        out.display()
    )
}

/// Loads and checks the bundle; names in its problems are concealed as
/// `[privacy]` says.
fn load(request: &RunRequest) -> Result<bundle::Bundle, Error> {
    bundle::load_for_computing(&request.data_dir, request.tolerance)
        .map_err(|err| request.read_error(err))
}

/// Reads the tables and activity for `as_of`. Activity is checked in the
/// computing pass's scan, which sets its bad rows aside; what it found is
/// the bundle's, and its problems, when they stop the run, the run's.
fn read_context(
    request: &RunRequest,
    bundle: &mut bundle::Bundle,
    as_of: NaiveDate,
) -> Result<Context, Error> {
    let mut context = timed("tables and activity read", || Context::new(bundle, as_of))
        .context("reading the bundle")?;
    if let Some(problems) = context.take_activity_problems() {
        return Err(Error::BadInput(
            request.privacy.conceal_problems(BadInput(problems)),
        ));
    }
    if let Some(checked) = context.activity_checked() {
        bundle.activity_checked_in_one_pass(
            checked.rows,
            checked.latest,
            checked.set_aside.clone(),
        );
    }
    Ok(context)
}

/// The insights, then the account snapshot with the seats to reclaim, one
/// after the other. Side by side they took a few percent less time, but
/// each held its working memory at once on top of what the context holds:
/// L peaked at 2.1 to 2.3 GiB, against under 2 GiB one after the other
/// (BENCHMARKS.md). The insights go first, before the snapshot is held.
fn compute_in_turn(
    request: &RunRequest,
    context: &Context,
) -> anyhow::Result<(
    insights::Computed,
    Snapshot,
    Option<seat_reclaim::SeatReclaim>,
)> {
    let computed =
        timed("insights", || insights::compute(context)).context("computing the insights")?;
    let snapshot = timed("snapshot", || Snapshot::build(context, &request.privacy))
        .context("taking the account snapshot")?;
    let seats = timed("seats to reclaim", || {
        seat_reclaim::compute(context, &snapshot, request.skip_added_within_days)
    })
    .context("finding seats to reclaim")?;
    Ok((computed, snapshot, seats))
}

/// Runs one step of a stage, logging its time at debug level.
fn timed<T>(step: &str, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = run();
    tracing::debug!(step, ms = started.elapsed().as_millis() as u64, "step done");
    result
}

/// The bundle read as a run reads it for a command that looks at the
/// accounts (reclaim, tokens, the access review): the manifest, the report date,
/// the context, the account snapshot and the exceptions' review.
struct Accounts {
    manifest: Manifest,
    as_of: NaiveDate,
    context: Context,
    snapshot: Snapshot,
    review: exceptions::Review,
}

fn read_accounts(request: &RunRequest) -> Result<Accounts, Error> {
    let mut bundle = load(request)?;
    let as_of = request.report_date(&mut bundle)?;
    let context = read_context(request, &mut bundle, as_of)?;
    let snapshot =
        Snapshot::build(&context, &request.privacy).context("taking the account snapshot")?;
    let review = exceptions::review(&request.exceptions, &snapshot);
    Ok(Accounts {
        manifest: bundle.manifest.clone(),
        as_of,
        context,
        snapshot,
        review,
    })
}

/// The reclaim plan of the bundle as of the report date, computed as a
/// run computes it, writing nothing.
pub fn reclaim_plan(request: &RunRequest, settings: &Reclaim) -> Result<Plan, Error> {
    let read = read_accounts(request)?;
    let plan = reclaim::plan(&read.context, &read.snapshot, &read.review, settings)
        .context("planning the reclaim")?;
    Ok(reclaim::with_what_was_done(plan, &request.out_dir))
}

/// The population of an access review as of the request's date, read as
/// a run reads the bundle, with the last closed review's decisions; and
/// the bundle's manifest, which says where it came from.
pub fn access_review_population(
    request: &RunRequest,
    settings: &AccessReview,
) -> Result<(NaiveDate, Vec<access_review::Access>, Manifest), Error> {
    let read = read_accounts(request)?;
    let previous = access_review::previous_decisions(&request.out_dir, read.as_of);
    let rows = access_review::population(
        &read.context,
        &read.snapshot,
        &read.review,
        &request.privacy,
        &settings.products,
        &previous,
    )
    .context("listing who has access")?;
    Ok((read.as_of, rows, read.manifest))
}

/// The plan of `org-insights tokens`: the bundle read as a run reads it.
pub fn tokens_plan(request: &RunRequest, settings: &Tokens) -> Result<TokenPlan, Error> {
    let read = read_accounts(request)?;
    if read.context.api_tokens().is_none() {
        return Err(BadInput::about(
            "the input",
            crate::problems::Problem::file(
                request.data_dir.display().to_string(),
                "an api_tokens table (pull writes it; see docs/sources.md) to plan from"
                    .to_string(),
            ),
        )
        .into());
    }
    let plan = crate::tokens::plan(
        &read.context,
        &read.snapshot,
        &read.review,
        &request.privacy,
        settings,
    );
    Ok(plan.context("planning the token revocations")?)
}

/// Checks a bundle without writing anything; returns the rows per table.
pub fn check(data_dir: &Path) -> Result<BTreeMap<Table, u64>, ReadError> {
    Ok(bundle::load(data_dir)?.row_counts())
}
