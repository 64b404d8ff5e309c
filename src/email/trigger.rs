//! Whether a run mails its digest (`[email] send`), and why: always, when
//! something changed since the previous report, or when a figure crossed
//! one of the `[thresholds]` lines. The reason becomes the subject line.

use std::collections::BTreeMap;

use crate::config::{SendWhen, Thresholds};
use crate::insights::{self, Figure, Headline, Trigger};
use crate::support::words::plural;

/// Whether to send, and why (`None`: the usual subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub send: bool,
    pub why: Option<String>,
}

/// What the decision looks at: this report's headline figures, the
/// previous report's row of history.csv, and the number of account changes
/// against the previous report (`None` without a snapshot to compare).
pub struct Evidence<'a> {
    pub headlines: &'a [Headline],
    pub previous: Option<&'a BTreeMap<String, String>>,
    pub changes: Option<usize>,
    /// Audit log actions of `[email] alert_on_actions` that happened since
    /// the previous report, each with how many times.
    pub alerts: Vec<(String, usize)>,
}

pub fn decide(when: SendWhen, evidence: &Evidence, limits: &Thresholds) -> Decision {
    // A chosen security change mails at once, whatever `send` says.
    if !evidence.alerts.is_empty() {
        let what: Vec<String> = evidence
            .alerts
            .iter()
            .map(|(action, n)| format!("{action} ({n})"))
            .collect();
        return Decision {
            send: true,
            why: Some(format!("security changes: {}", what.join(", "))),
        };
    }
    match when {
        SendWhen::Always => Decision {
            send: true,
            why: None,
        },
        SendWhen::OnChange => on_change(evidence),
        SendWhen::OnThreshold => on_threshold(evidence, limits),
    }
}

fn on_change(evidence: &Evidence) -> Decision {
    let Some(previous) = evidence.previous else {
        return Decision {
            send: true,
            why: Some("first report".to_string()),
        };
    };
    let since = previous.get("as_of").cloned().unwrap_or_default();
    let figures = evidence
        .headlines
        .iter()
        .filter(|h| previous.get(h.key).is_some_and(|before| *before != h.value))
        .count();
    let accounts = evidence.changes.unwrap_or(0);
    let mut parts = Vec::new();
    if accounts > 0 {
        parts.push(format!(
            "{accounts} account {}",
            plural(accounts as u64, "change", "changes")
        ));
    }
    if figures > 0 {
        parts.push(format!(
            "{figures} {} changed",
            plural(figures as u64, "figure", "figures")
        ));
    }
    Decision {
        send: !parts.is_empty(),
        why: Some(format!("{} since {since}", parts.join(", "))),
    }
}

fn on_threshold(evidence: &Evidence, limits: &Thresholds) -> Decision {
    let now = |figure: Figure| -> Option<f64> {
        let headline = evidence.headlines.iter().find(|h| h.figure == figure)?;
        headline.value.parse().ok()
    };
    let before =
        |figure: Figure| -> Option<f64> { evidence.previous?.get(figure.key())?.parse().ok() };
    let crossed = |figure: Figure, trigger: Trigger| -> Option<String> {
        match trigger {
            Trigger::Below { min, words } => {
                let current = now(figure)?;
                let was_below = before(figure).is_some_and(|v| v < min);
                (current < min && !was_below)
                    .then(|| format!("{words} fell to {current:.1} %, below {min} %"))
            }
            Trigger::GrowsBy { percent, words } => {
                let (current, previous) = (now(figure)?, before(figure)?);
                let grew = if previous > 0.0 {
                    (current - previous) / previous * 100.0 > percent
                } else {
                    current > 0.0
                };
                grew.then(|| {
                    format!("{words} grew from {previous} to {current}, more than {percent} %")
                })
            }
        }
    };
    // Coverage falling below its line says more than a count growing.
    let triggers = insights::triggers(limits);
    let (floors, growths): (Vec<_>, Vec<_>) = triggers
        .into_iter()
        .partition(|(_, trigger)| matches!(trigger, Trigger::Below { .. }));
    let crossed: Vec<String> = floors
        .into_iter()
        .chain(growths)
        .filter_map(|(figure, trigger)| crossed(figure, trigger))
        .collect();
    Decision {
        send: !crossed.is_empty(),
        why: (!crossed.is_empty()).then(|| crossed.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headlines(values: &[(Figure, &str)]) -> Vec<Headline> {
        values
            .iter()
            .map(|(figure, value)| Headline {
                figure: *figure,
                label: "x",
                key: figure.key(),
                value: value.to_string(),
            })
            .collect()
    }

    fn row(values: &[(&str, &str)]) -> BTreeMap<String, String> {
        values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn on_change_sends_for_changed_figures_or_accounts_only() {
        let now = headlines(&[(Figure::Managed, "5"), (Figure::External, "3")]);
        let same = row(&[("as_of", "2026-03-10"), ("managed", "5"), ("external", "3")]);
        let evidence = |previous, changes| Evidence {
            headlines: &now,
            previous,
            changes,
            alerts: Vec::new(),
        };
        let quiet = decide(
            SendWhen::OnChange,
            &evidence(Some(&same), Some(0)),
            &Thresholds::default(),
        );
        assert!(!quiet.send);
        let moved = decide(
            SendWhen::OnChange,
            &evidence(Some(&same), Some(2)),
            &Thresholds::default(),
        );
        assert_eq!(
            moved.why.as_deref(),
            Some("2 account changes since 2026-03-10")
        );
        let other = row(&[("as_of", "2026-03-10"), ("managed", "4"), ("external", "3")]);
        let moved = decide(
            SendWhen::OnChange,
            &evidence(Some(&other), Some(0)),
            &Thresholds::default(),
        );
        assert_eq!(
            moved.why.as_deref(),
            Some("1 figure changed since 2026-03-10")
        );
        assert!(
            decide(
                SendWhen::OnChange,
                &evidence(None, None),
                &Thresholds::default()
            )
            .send
        );
    }

    #[test]
    fn on_threshold_sends_when_a_line_is_crossed_not_while_it_stays_crossed() {
        let limits = Thresholds::default(); // 95 %, 100 %, 10 %
        let now = headlines(&[
            (Figure::ManagedSsoOrTwoStepPercent, "93.3"),
            (Figure::External, "11"),
        ]);
        let above = row(&[
            ("managed_sso_or_two_step_percent", "96.0"),
            ("external", "10"),
        ]);
        let below = row(&[
            ("managed_sso_or_two_step_percent", "90.0"),
            ("external", "10"),
        ]);
        let decision = |previous| {
            decide(
                SendWhen::OnThreshold,
                &Evidence {
                    headlines: &now,
                    previous,
                    changes: None,
                    alerts: Vec::new(),
                },
                &limits,
            )
        };
        assert_eq!(
            decision(Some(&above)).why.as_deref(),
            Some("managed accounts with SSO or 2SV fell to 93.3 %, below 95 %")
        );
        // Already below the day before, and 10 → 11 is exactly +10 %.
        assert!(!decision(Some(&below)).send);
        let grown = row(&[
            ("managed_sso_or_two_step_percent", "90.0"),
            ("external", "9"),
        ]);
        assert_eq!(
            decision(Some(&grown)).why.as_deref(),
            Some("external users grew from 9 to 11, more than 10 %")
        );
        // A chosen security change mails, though no line was crossed.
        let alerted = decide(
            SendWhen::OnThreshold,
            &Evidence {
                headlines: &now,
                previous: Some(&below),
                changes: None,
                alerts: vec![("added_org_admin".into(), 2)],
            },
            &limits,
        );
        assert!(alerted.send);
        assert_eq!(
            alerted.why.as_deref(),
            Some("security changes: added_org_admin (2)")
        );
    }
}
