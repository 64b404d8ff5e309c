//! What the digest says, as text and as HTML.

use anyhow::Context as _;
use minijinja::context;
use serde::Serialize;

use crate::config::EmailConfig;
use crate::insights::{action_words, Figure, SecurityEvent};
use crate::pipeline::RunOutcome;
use crate::report::templates::environment;
use crate::review::findings::{findings, set_aside_rows};
use crate::review::privacy::Privacy;
use crate::support::words::{self, count_of, thousands};

/// How many findings the digest names.
const FINDINGS: usize = 3;

pub struct Digest {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// File name and bytes of the attached report.
    pub attachment: Option<(String, Vec<u8>)>,
}

#[derive(Serialize)]
struct Line {
    label: &'static str,
    value: String,
    /// Against the previous report: "+3", "−1.5 pts", "no change", or empty.
    change: String,
}

/// The digest of `outcome`; `why` replaces the usual subject's figures
/// when `[email] send` chose to send for a reason.
pub fn build(
    settings: &EmailConfig,
    outcome: &RunOutcome,
    why: Option<&str>,
) -> anyhow::Result<Digest> {
    let previous = &outcome.previous;
    let lines: Vec<Line> = outcome
        .insights
        .headlines()
        .into_iter()
        .map(|h| Line {
            change: previous
                .as_ref()
                .and_then(|row| row.get(h.key))
                .map(|before| change(h.figure, before, &h.value))
                .unwrap_or_default(),
            label: h.label,
            value: h.value,
        })
        .collect();
    // Rows set aside first, then stale data and a key about to expire,
    // then the figures' findings.
    let findings: Vec<String> = set_aside_rows(&outcome.quality)
        .into_iter()
        .chain(outcome.freshness.notices.iter().cloned())
        .chain(findings(
            &outcome.insights,
            &outcome.quality,
            &outcome.exceptions,
        ))
        .take(FINDINGS)
        .collect();

    let as_of = outcome.as_of.to_string();
    let (location, link) = location(settings, outcome);
    let attachment_name = format!("org-insights-{as_of}.html");
    let attachment = attachment(settings, outcome)?.map(|page| (attachment_name.clone(), page));

    let env = environment()?;
    let values = context! {
        as_of => as_of,
        source => outcome.freshness.source,
        not_recorded => outcome.freshness.not_recorded,
        previous => previous.as_ref().and_then(|row| row.get("as_of").cloned()),
        headlines => lines,
        findings => findings,
        location => location,
        link => link,
        attached => attachment.is_some(),
        attachment_name => attachment_name,
        to_fix => accounts_to_fix(settings, outcome),
        reclaim => reclaim_lines(settings, outcome),
        security => security_lines(settings, outcome),
        changed => change_lines(settings, outcome),
        tokens => token_lines(settings, outcome),
    };
    let users = outcome
        .insights
        .users_with_access
        .as_ref()
        .map(|u| u.total)
        .unwrap_or(0);
    let users = count_of(users, "user");
    let subject = match (why, findings.len()) {
        (Some(why), _) => format!("Organization insights {as_of}: {why}"),
        (None, 0) => format!("Organization insights {as_of}: {users} with access"),
        (None, n) => format!(
            "Organization insights {as_of}: {users} with access, {} to review",
            count_of(n as u64, "finding")
        ),
    };
    Ok(Digest {
        subject,
        text: env.get_template("digest.txt")?.render(&values)?,
        html: env.get_template("digest.html")?.render(&values)?,
        attachment,
    })
}

/// How many accounts to fix of a control, and with `include_names` who.
#[derive(Serialize)]
struct ToFixLine {
    title: &'static str,
    count: usize,
    excepted: usize,
    /// The first few emails (account ids for accounts without one).
    names: Vec<String>,
    more: usize,
    file: String,
}

/// The reclaim plan's counts and, after a scheduled apply, what was
/// suspended and how to undo it; accounts named only with include_names.
fn reclaim_lines(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<String> {
    let Some(plan) = &outcome.reclaim else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "Reclaim plan: {} of {} accounts with access had no view in {} days.",
        thousands(plan.accounts.len() as u64),
        thousands(plan.with_access),
        plan.idle_days
    )];
    if let Some(done) = &outcome.reclaimed {
        let names = if settings.include_names && !done.accounts.is_empty() {
            format!(": {}", done.accounts.join(", "))
        } else {
            String::new()
        };
        lines.push(format!(
            "Suspended {}{names}. To undo: org-insights reclaim --undo {}.",
            count_of(done.accounts.len() as u64, "account"),
            chrono::Utc::now().date_naive()
        ));
    }
    lines
}

/// One group of what changed, as the digest says it: its count is the
/// number of its rows in data/changes.csv.
#[derive(Serialize)]
struct ChangeLine {
    title: &'static str,
    count: usize,
    recorded: bool,
    /// The first few emails, with `[email] include_names` only.
    names: Vec<String>,
    more: usize,
}

/// Every group of what changed since the previous report that has a
/// change, or whose source did not record it.
fn change_lines(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<ChangeLine> {
    let Some(changes) = &outcome.change_groups else {
        return Vec::new();
    };
    changes
        .groups
        .iter()
        .filter(|g| !g.entries.is_empty() || !g.recorded)
        .map(|g| {
            let names: Vec<String> = if settings.include_names {
                g.entries
                    .iter()
                    .take(NAMED)
                    .map(|e| match (e.email.is_empty(), e.account_id.is_empty()) {
                        (false, _) => e.email.clone(),
                        (true, false) => e.account_id.clone(),
                        (true, true) => e.domain.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            ChangeLine {
                title: g.title,
                count: g.entries.len(),
                recorded: g.recorded,
                more: g.entries.len() - names.len(),
                names,
            }
        })
        .collect()
}

/// Security changes named in a digest; the report lists every one.
const SECURITY_NAMED: usize = 10;

/// The audit log's tracked events since the previous report (the whole
/// window on a first report), newest first; actor and subject masked
/// unless `[email] include_names` allows them.
fn security_lines(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<String> {
    let Some(changes) = &outcome.security_changes else {
        return Vec::new();
    };
    let since = outcome.previous_as_of();
    let privacy = if settings.include_names {
        Privacy::show()
    } else {
        Privacy::mask()
    };
    let person = |text: &Option<String>| match text {
        Some(text) if text.contains('@') => privacy.email(text),
        Some(text) => privacy.name(text),
        None => "someone".to_string(),
    };
    let recent: Vec<&SecurityEvent> = changes
        .events
        .iter()
        .filter(|e| since.is_none_or(|since| e.day() > since))
        .collect();
    let mut lines: Vec<String> = recent
        .iter()
        .take(SECURITY_NAMED)
        .map(|e| {
            let to = [
                e.subject.as_ref().map(|_| person(&e.subject)),
                e.target.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            let to = if to.is_empty() {
                String::new()
            } else {
                format!(": {to}")
            };
            format!(
                "{} UTC, {}{to}, by {}",
                e.at.format("%Y-%m-%d %H:%M"),
                action_words(&e.action),
                person(&e.actor)
            )
        })
        .collect();
    if recent.len() > SECURITY_NAMED {
        lines.push(format!(
            "and {} more (data/security_changes.csv)",
            thousands((recent.len() - SECURITY_NAMED) as u64)
        ));
    }
    lines
}

/// Days before expiry within which the digest warns of a token.
const TOKEN_WARNING_DAYS: u64 = 14;

/// The live API tokens that expire within 14 days, by label and owner.
fn token_lines(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<String> {
    let Some(tokens) = &outcome.tokens else {
        return Vec::new();
    };
    let last = outcome
        .as_of
        .checked_add_days(chrono::Days::new(TOKEN_WARNING_DAYS))
        .unwrap_or(chrono::NaiveDate::MAX);
    let soon: Vec<String> = tokens
        .tokens
        .iter()
        .filter(|t| t.expires.is_some_and(|e| e > outcome.as_of && e <= last))
        .map(|t| {
            let label = if t.label.is_empty() {
                &t.token_id
            } else {
                &t.label
            };
            let owner = if settings.include_names && !t.email.is_empty() {
                t.email.clone()
            } else {
                t.account_id.clone()
            };
            let expires = t.expires.map(|d| d.to_string()).unwrap_or_default();
            format!("\"{label}\" of {owner}, on {expires}")
        })
        .collect();
    if soon.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "{} {} within {TOKEN_WARNING_DAYS} days: {}.",
        count_of(soon.len() as u64, "API token"),
        words::plural(soon.len() as u64, "expires", "expire"),
        soon.join("; ")
    )]
}

/// Accounts named per control in a digest.
const NAMED: usize = 10;

/// The accounts to fix of each control that has some; names only when
/// `[email] include_names` allows them.
fn accounts_to_fix(settings: &EmailConfig, outcome: &RunOutcome) -> Vec<ToFixLine> {
    outcome
        .to_fix
        .iter()
        .filter(|t| !t.accounts.is_empty())
        .map(|t| {
            let names: Vec<String> = if settings.include_names {
                t.accounts
                    .iter()
                    .take(NAMED)
                    .map(|a| {
                        if a.email.is_empty() {
                            a.account_id.clone()
                        } else {
                            a.email.clone()
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            ToFixLine {
                title: t.title,
                count: t.accounts.len(),
                excepted: t.excepted,
                more: t.accounts.len() - names.len(),
                names,
                file: t.file.clone(),
            }
        })
        .collect()
}

/// Where the full report is: its address under `report_url`, else its
/// path on this machine; and whether that is a link.
fn location(settings: &EmailConfig, outcome: &RunOutcome) -> (String, bool) {
    match &settings.report_url {
        Some(url) => (
            format!("{}/{}/index.html", url.trim_end_matches('/'), outcome.as_of),
            true,
        ),
        None => {
            // A path the reader can open, whatever the working directory was.
            let dir = std::fs::canonicalize(&outcome.report_dir)
                .unwrap_or_else(|_| outcome.report_dir.clone());
            (dir.join("index.html").display().to_string(), false)
        }
    }
}

/// The page to attach, if any. Without include_names the digest never
/// carries names: a report that shows them travels with its emails masked.
fn attachment(settings: &EmailConfig, outcome: &RunOutcome) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(match (&outcome.masked_page, settings.attach_report) {
        (_, false) => None,
        (Some(masked), true) if !settings.include_names => Some(masked.clone()),
        _ => Some(
            std::fs::read(outcome.report_dir.join("index.html"))
                .context("reading the report to attach")?,
        ),
    })
}

/// The change from `before` to `now` of the headline `figure`, as the
/// page's tiles write it ("+3", "−1", "+8.3 pts", "no change"); empty when
/// either is not a figure.
fn change(figure: Figure, before: &str, now: &str) -> String {
    match (before.parse::<f64>(), now.parse::<f64>()) {
        (Ok(before), Ok(now)) => words::change(now - before, figure.is_percent()).text,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::change;
    use crate::insights::Figure;

    #[test]
    fn changes_are_written_as_the_tiles_write_them() {
        assert_eq!(change(Figure::UsersWithAccess, "5", "8"), "+3");
        assert_eq!(change(Figure::UsersWithAccess, "8", "5"), "\u{2212}3");
        assert_eq!(change(Figure::UsersWithAccess, "5", "5"), "no change");
        assert_eq!(
            change(Figure::ExternalPolicyPercent, "66.7", "75.0"),
            "+8.3 pts"
        );
        assert_eq!(
            change(Figure::ExternalPolicyPercent, "75.0", "75.0"),
            "no change"
        );
        assert_eq!(change(Figure::UsersWithAccess, "", "5"), "");
    }
}
