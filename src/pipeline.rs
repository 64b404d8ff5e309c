//! One run of the batch job: load and check the bundle, compute the
//! insights, render the report and publish it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use crate::bundle::{self, Table};
use crate::report::{self, write, RunInfo};
use crate::{data_quality, insights};

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub data_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Overrides the as-of date the contract derives from the data.
    pub as_of: Option<NaiveDate>,
    /// The zone of "today" when the bundle has no activity.
    pub timezone: Tz,
}

/// What a run did, for the log line and the caller.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub as_of: NaiveDate,
    pub report_dir: PathBuf,
    pub rows: BTreeMap<Table, u64>,
    pub load: Duration,
    pub compute: Duration,
    pub render: Duration,
    pub write: Duration,
}

pub fn run(request: &RunRequest) -> anyhow::Result<RunOutcome> {
    let started = Instant::now();
    let bundle = bundle::load(&request.data_dir)?;
    let load = started.elapsed();

    let as_of = request
        .as_of
        .or_else(|| bundle.latest_activity())
        .unwrap_or_else(|| Utc::now().with_timezone(&request.timezone).date_naive());

    let started = Instant::now();
    let computed = insights::compute(&bundle, as_of).context("computing the insights")?;
    let quality = data_quality::assess(&bundle, as_of).context("assessing data quality")?;
    let compute = started.elapsed();

    let started = Instant::now();
    let bundle_name = request.data_dir.display().to_string();
    let run = RunInfo {
        as_of,
        generated_at: Utc::now().fixed_offset(),
        bundle: &bundle_name,
    };
    let rendered = report::render(&run, &computed, &quality)?;
    let render = started.elapsed();

    let started = Instant::now();
    let report_dir = write::publish(&request.out_dir, as_of, &rendered)?;
    let write = started.elapsed();

    let outcome = RunOutcome {
        as_of,
        report_dir,
        rows: bundle.row_counts(),
        load,
        compute,
        render,
        write,
    };
    log_outcome(&outcome);
    Ok(outcome)
}

fn log_outcome(outcome: &RunOutcome) {
    let rows: Vec<String> = outcome
        .rows
        .iter()
        .map(|(table, n)| format!("{}={n}", table.name()))
        .collect();
    tracing::info!(
        as_of = %outcome.as_of,
        rows = %rows.join(" "),
        load_ms = outcome.load.as_millis() as u64,
        compute_ms = outcome.compute.as_millis() as u64,
        render_ms = outcome.render.as_millis() as u64,
        write_ms = outcome.write.as_millis() as u64,
        report = %outcome.report_dir.display(),
        "report written"
    );
}

/// Checks a bundle without writing anything; returns the rows per table.
pub fn check(data_dir: &Path) -> anyhow::Result<BTreeMap<Table, u64>> {
    Ok(bundle::load(data_dir)?.row_counts())
}
