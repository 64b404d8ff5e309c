//! Turning computed insights into the bytes of every report file.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use super::history::HistoryRow;
use super::html;
use super::sections::{self, Section};
use super::security;
use super::tiles;
use super::RunInfo;
use crate::insights::{Computed, DataTable, Insights, Presented, SecurityChanges, WINDOW_DAYS};
use crate::review::changes::{Baseline, Changes};
use crate::review::controls::ToFix;
use crate::review::data_quality::{BadRow, DataQuality};
use crate::review::exceptions::Review;
use crate::review::privacy::Privacy;
use crate::review::reclaim_plan::Plan;
use crate::review::seat_reclaim::SeatReclaim;
use crate::review::snapshot::{self, Snapshot};
use crate::review::tokens::TokensToFix;
use crate::support::csv::csv_file;
use crate::support::words::{count_of, plural};

/// What a report shows beyond the figures of its own bundle.
pub struct Extras<'a> {
    pub snapshot: &'a Snapshot,
    /// Against the previous report, when it kept a snapshot.
    pub changes: Option<&'a Changes>,
    pub baseline: &'a Baseline,
    /// history.csv before the report date, oldest first.
    pub history: &'a [BTreeMap<String, String>],
    /// Each insight's words, figures, chart and advice.
    pub presented: Vec<Presented>,
    /// `None` without `product_access` or `activity`.
    pub seats: Option<&'a SeatReclaim>,
    pub exceptions: &'a Review,
    pub privacy: &'a Privacy,
    /// The accounts to fix of each control with figures.
    pub to_fix: &'a [ToFix],
    /// With `[reclaim]`: its plan.
    pub reclaim: Option<&'a Plan>,
    /// The API tokens to look at; `None` without `api_tokens`.
    pub tokens: Option<&'a TokensToFix>,
}

/// The files of one report, by path relative to the report directory.
pub struct RenderedReport {
    pub files: BTreeMap<String, Vec<u8>>,
    pub history: HistoryRow,
    /// index.html with emails masked, for a digest without names; only
    /// when the report itself shows them.
    pub masked_page: Option<Vec<u8>>,
}

#[derive(Serialize)]
struct InsightsJson<'a> {
    schema_version: u32,
    as_of: String,
    window_days: u64,
    generated_at: String,
    insights: &'a Insights,
    security_changes: Option<SecurityChanges>,
    missing: &'a BTreeMap<String, String>,
    data_quality: &'a DataQuality,
}

pub fn render(
    run: &RunInfo,
    mut extras: Extras,
    computed: &Computed,
    quality: &DataQuality,
) -> anyhow::Result<RenderedReport> {
    let mut files = BTreeMap::new();
    let presented = std::mem::take(&mut extras.presented);
    let sections = finished_sections(presented, &extras, computed, &mut files)?;
    data_files(run, &extras, computed, quality, &mut files)?;
    let security_view = |privacy: &Privacy| {
        security::view(
            computed.security_changes.as_ref(),
            computed
                .missing
                .get(crate::bundle::manifest::SECURITY_CHANGES),
            privacy,
        )
    };
    let security = security_view(extras.privacy);

    let headlines = computed.insights.headlines();
    let tiles = tiles::build(&headlines, extras.history, run.as_of);
    let warnings = warnings(quality, extras.exceptions);
    let page = html::Page {
        sections: &sections,
        tiles: &tiles,
        changes: extras.changes,
        baseline: extras.baseline,
        seats: extras.seats,
        reclaim: extras.reclaim,
        exceptions: extras.exceptions,
        names: extras.privacy.describe(),
        quality,
        warnings: &warnings,
        security: &security,
    };
    files.insert(
        "index.html".to_string(),
        html::page(run, &page)?.into_bytes(),
    );
    let masked_page = if extras.privacy.shows_names() {
        let masked_security = security_view(&Privacy::mask());
        Some(masked(run, &page, &extras, &masked_security)?)
    } else {
        None
    };

    Ok(RenderedReport {
        files,
        history: HistoryRow::new(run.as_of, &headlines),
        masked_page,
    })
}

/// Every file of the report but the page and the charts: the accounts
/// and tokens to fix, the security changes, insights.json, the snapshot,
/// the changes, the seats to reclaim and the rows set aside.
fn data_files(
    run: &RunInfo,
    extras: &Extras,
    computed: &Computed,
    quality: &DataQuality,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> anyhow::Result<()> {
    for to_fix in extras.to_fix {
        files.insert(to_fix.file.clone(), accounts_to_fix_csv(to_fix)?);
    }
    if let Some(tokens) = extras.tokens {
        files.insert(tokens.file.to_string(), tokens_csv(tokens)?);
    }
    if let Some(changes) = &computed.security_changes {
        files.insert(
            security::FILE.to_string(),
            security::csv(changes, extras.privacy)?,
        );
    }
    files.insert(
        "insights.json".to_string(),
        insights_json(run, computed, quality, extras.privacy)?,
    );
    files.insert(
        snapshot::FILE.to_string(),
        extras
            .snapshot
            .to_parquet()
            .context("writing the account snapshot")?,
    );
    files.insert("data/changes.csv".to_string(), changes_csv(extras.changes)?);
    files.insert(
        "data/seat-reclaim.csv".to_string(),
        seat_reclaim_csv(extras.seats)?,
    );
    if !quality.bad_rows.is_empty() {
        files.insert(
            "data/bad_rows.csv".to_string(),
            bad_rows_csv(&quality.bad_rows)?,
        );
    }
    Ok(())
}

/// The page with every name and email masked, for a digest that must not
/// show them.
fn masked(
    run: &RunInfo,
    page: &html::Page,
    extras: &Extras,
    security: &security::SecurityView,
) -> anyhow::Result<Vec<u8>> {
    let mask = Privacy::mask();
    let changes = extras.changes.map(|c| c.concealed(&mask));
    let sections: Vec<Section> = page
        .sections
        .iter()
        .map(|section| Section {
            to_fix: section.to_fix.as_ref().map(|t| t.concealed(&mask)),
            tokens: section.tokens.as_ref().map(|t| t.concealed(&mask)),
            ..section.clone()
        })
        .collect();
    let quality = page.quality.concealed(&mask);
    let reclaim = extras.reclaim.map(|plan| plan.concealed(&mask));
    let masked = html::Page {
        changes: changes.as_ref(),
        sections: &sections,
        quality: &quality,
        reclaim: reclaim.as_ref(),
        security,
        names: mask.describe(),
        ..*page
    };
    Ok(html::page(run, &masked)?.into_bytes())
}

/// The sections with their accessible chart; each chart and its CSV go
/// into `files`.
fn finished_sections(
    presented: Vec<Presented>,
    extras: &Extras,
    computed: &Computed,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> anyhow::Result<Vec<Section>> {
    let mut sections = sections::build(
        presented,
        &computed.missing,
        extras.exceptions,
        extras.to_fix,
    )?;
    for section in &mut sections {
        if section.key == crate::insight_key::InsightKey::ApiTokens.as_str() {
            section.tokens = extras.tokens.cloned();
        }
        if let (Some(svg), Some(table)) = (&section.svg, &section.table) {
            let svg = html::accessible_svg(section, svg, table)?;
            files.insert(
                format!("charts/{}.svg", section.key),
                svg.clone().into_bytes(),
            );
            section.svg = Some(svg);
            files.insert(format!("data/{}.csv", section.key), data_csv(table)?);
        }
        if let Some(narrow) = &section.svg_narrow {
            section.svg_narrow = Some(html::narrow_svg(section, narrow)?);
        }
    }
    Ok(sections)
}

/// insights.json: every figure, and why any is missing.
fn insights_json(
    run: &RunInfo,
    computed: &Computed,
    quality: &DataQuality,
    privacy: &Privacy,
) -> anyhow::Result<Vec<u8>> {
    let json = InsightsJson {
        schema_version: 1,
        as_of: run.as_of.to_string(),
        window_days: WINDOW_DAYS,
        generated_at: run.generated_at.to_rfc3339(),
        insights: &computed.insights,
        security_changes: computed
            .security_changes
            .as_ref()
            .map(|changes| security::concealed(changes, privacy)),
        missing: &computed.missing,
        data_quality: quality,
    };
    let mut bytes = serde_json::to_vec_pretty(&json).context("serializing insights.json")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One sentence per data-quality finding and per exception that names no
/// account of the bundle, for the page.
fn warnings(quality: &DataQuality, exceptions: &Review) -> Vec<String> {
    let mut lines = Vec::new();
    for (table, rows) in &quality.set_aside_rows {
        lines.push(format!(
            "{} of {table} broke the data contract and {} set aside: the figures leave {} out. Each problem is listed below and in data/bad_rows.csv.",
            count_of(*rows, "row"),
            plural(*rows, "was", "were"),
            plural(*rows, "it", "them")
        ));
    }
    if quality.accounts_without_email > 0 {
        let n = quality.accounts_without_email;
        lines.push(format!(
            "{} with access {} no email address: {} counted in every figure but the domains.",
            count_of(n, "account"),
            plural(n, "has", "have"),
            plural(n, "it is", "they are")
        ));
    }
    if quality.auth_not_recorded > 0 {
        let n = quality.auth_not_recorded;
        lines.push(format!(
            "{} with access {} not yet in a managed accounts export: {} single sign-on and two-step verification {} unknown, so {} left out of their authentication and of the accounts to fix.",
            count_of(n, "managed account"),
            plural(n, "is", "are"),
            plural(n, "its", "their"),
            plural(n, "is", "are"),
            plural(n, "it is", "they are")
        ));
    }
    for (table, rows) in &quality.unknown_accounts {
        if *rows > 0 {
            lines.push(format!(
                "{} of {table} {} to accounts missing from accounts; {} left out of the figures.",
                count_of(*rows, "row"),
                plural(*rows, "belongs", "belong"),
                plural(*rows, "it is", "they are")
            ));
        }
    }
    for unknown in &quality.unknown_products {
        lines.push(format!(
            "{} of {} {} the product '{}', which no product_access row names.",
            count_of(unknown.rows, "row"),
            unknown.table,
            plural(unknown.rows, "names", "name"),
            unknown.product
        ));
    }
    if quality.activity_after_as_of > 0 {
        let rows = quality.activity_after_as_of;
        lines.push(format!(
            "{} {} dated after the report date and {} not counted.",
            count_of(rows, "activity row"),
            plural(rows, "is", "are"),
            plural(rows, "is", "are")
        ));
    }
    lines.extend(quality.source_notes.iter().cloned());
    if let Some(why) = &quality.activity_read_again {
        lines.push(format!(
            "Activity was read the slower way: {why}. The figures are the same."
        ));
    }
    lines.extend(exceptions.unknown().map(|r| {
        format!(
            "The exception for {} (owner {}) names no account of the bundle: remove it from the configuration.",
            r.target, r.exception.owner
        )
    }));
    lines
}

/// Every change against the previous report, one row per account (per
/// domain for new domains); only the header on a first report.
fn changes_csv(changes: Option<&Changes>) -> anyhow::Result<Vec<u8>> {
    let rows = changes.iter().flat_map(|c| &c.groups).flat_map(|group| {
        group.entries.iter().map(|entry| {
            vec![
                group.key.to_string(),
                entry.account_id.clone(),
                entry.email.clone(),
                entry.domain.clone(),
                entry.detail.clone(),
            ]
        })
    });
    csv_file(&["change", "account_id", "email", "domain", "detail"], rows)
}

/// Every idle seat as a line of an action plan: `owner` and `due` are left
/// empty for the admin to fill in. Only the header without the tables.
fn seat_reclaim_csv(seats: Option<&SeatReclaim>) -> anyhow::Result<Vec<u8>> {
    let header = [
        "product",
        "site",
        "account_id",
        "email",
        "last_active",
        "days_inactive",
        "owner",
        "due",
    ];
    let rows = seats.iter().flat_map(|s| &s.seats).map(|seat| {
        vec![
            seat.product.clone(),
            seat.site.clone(),
            seat.account_id.clone(),
            seat.email.clone(),
            seat.last_active.map(|d| d.to_string()).unwrap_or_default(),
            seat.days_inactive
                .map(|d| d.to_string())
                .unwrap_or_default(),
            String::new(),
            String::new(),
        ]
    });
    csv_file(&header, rows)
}

/// The accounts that do not meet a control, with the exception that
/// leaves any of them out on purpose.
fn accounts_to_fix_csv(to_fix: &ToFix) -> anyhow::Result<Vec<u8>> {
    let header = [
        "account_id",
        "email",
        "domain",
        "state",
        "last_active",
        "exception_reason",
        "exception_expires",
    ];
    let rows = to_fix.accounts.iter().map(|a| {
        vec![
            a.account_id.clone(),
            a.email.clone(),
            a.domain.clone(),
            a.state.to_string(),
            a.last_active.map(|d| d.to_string()).unwrap_or_default(),
            a.exception
                .as_ref()
                .map(|e| e.reason.clone())
                .unwrap_or_default(),
            a.exception
                .as_ref()
                .map(|e| e.expires.to_string())
                .unwrap_or_default(),
        ]
    });
    csv_file(&header, rows)
}

/// The live API tokens that need attention, each with its reasons and the
/// exception that names its owner.
fn tokens_csv(tokens: &TokensToFix) -> anyhow::Result<Vec<u8>> {
    let header = [
        "token_id",
        "label",
        "account_id",
        "email",
        "reason",
        "created",
        "last_active",
        "expires",
        "exception_reason",
        "exception_expires",
    ];
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let rows = tokens.tokens.iter().map(|t| {
        vec![
            t.token_id.clone(),
            t.label.clone(),
            t.account_id.clone(),
            t.email.clone(),
            t.reasons.clone(),
            day(t.created),
            day(t.last_active),
            day(t.expires),
            t.exception
                .as_ref()
                .map(|e| e.reason.clone())
                .unwrap_or_default(),
            day(t.exception.as_ref().map(|e| e.expires)),
        ]
    });
    csv_file(&header, rows)
}

/// Every problem of the rows set aside, one line each, in table and line
/// order (the contract's `table, line, column, value, expected`).
fn bad_rows_csv(bad_rows: &[BadRow]) -> anyhow::Result<Vec<u8>> {
    let header = ["table", "line", "column", "value", "expected"];
    let rows = bad_rows.iter().map(|bad| {
        vec![
            bad.table.name().to_string(),
            bad.line().to_string(),
            bad.problem.column.clone().unwrap_or_default(),
            bad.problem.value.clone().unwrap_or_default(),
            bad.problem.expected.clone(),
        ]
    });
    csv_file(&header, rows)
}

/// The table behind a chart as CSV: its keys and raw values.
fn data_csv(table: &DataTable) -> anyhow::Result<Vec<u8>> {
    let header: Vec<&str> = table.columns.iter().map(|c| c.key).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| row.iter().map(|cell| cell.raw.clone()).collect());
    csv_file(&header, rows)
}
