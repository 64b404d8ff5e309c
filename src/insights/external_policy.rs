//! Insight 5: external users with access covered by an external user policy.

use polars::prelude::*;
use serde::Serialize;

use super::{
    count_by, percent, Advising, Cell, Chart, Context, ControlRule, DataTable, Figure, Insight,
    Insights, Shown, Trigger,
};
use crate::bundle::Table;
use crate::config::Thresholds;
use crate::support::words::format_percent;
use crate::support::words::{count_of, plural, thousands};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalPolicy {
    pub covered: u64,
    pub total: u64,
    /// `covered / total × 100`, one decimal; null when there are none.
    pub percent: Option<f64>,
}

fn figures(ctx: &Context) -> PolarsResult<ExternalPolicy> {
    let external = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("external")));
    let by_coverage = count_by(external, col("external_policy"))?;
    let covered = by_coverage.get("true").copied().unwrap_or(0);
    let total = by_coverage.values().sum();
    Ok(ExternalPolicy {
        covered,
        total,
        percent: percent(covered, total),
    })
}

impl Insight for ExternalPolicy {
    const TITLE: &'static str = "External user policy coverage";
    const LEAD: &'static str = "External users with access who are covered by an external user policy of this organization.";
    const NOUN: &'static str = "external user policy coverage";
    const TABLES: &'static [Table] = &[Table::Accounts];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[
            ("covered", "Covered"),
            ("total", "External users"),
            ("percent", "Covered (%)"),
        ]);
        table.row(vec![
            Cell::count(self.covered),
            Cell::count(self.total),
            Cell::percent(self.percent),
        ]);
        Shown {
            summary: match self.percent {
                Some(p) => format!(
                    "{} of {} ({p:.1} %) {} covered by a policy.",
                    thousands(self.covered),
                    count_of(self.total, "external user"),
                    // "1 of 3 users is", "0 of 1 user is", "2 of 3 users are".
                    plural(if self.total == 1 { 1 } else { self.covered }, "is", "are")
                ),
                None => "There are no external users with access.".to_string(),
            },
            table,
            chart: Chart::bars(
                Self::TITLE,
                "external users",
                vec!["covered".into(), "not covered".into()],
                "external users",
                vec![self.covered, self.total - self.covered],
            ),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[(
        Figure::ExternalPolicyPercent,
        "External users covered by policy (%)",
    )];

    fn headline(&self, _: Figure) -> String {
        format_percent(self.percent)
    }

    fn trigger(_: Figure, limits: &Thresholds) -> Option<Trigger> {
        Some(Trigger::Below {
            min: limits.external_policy_min_percent,
            words: "external policy coverage",
        })
    }

    /// After the managed accounts, before external users' 2SV.
    fn findings(&self, _: &Insights) -> Vec<(u8, String)> {
        let uncovered = self.total - self.covered;
        if uncovered == 0 {
            return Vec::new();
        }
        vec![(
            20,
            format!(
                "{} external {} not covered by an external user policy.",
                thousands(uncovered),
                plural(uncovered, "user is", "users are"),
            ),
        )]
    }

    const CONTROL: Option<ControlRule> = Some(ControlRule {
        title: "External users outside an external user policy",
        applies_to: |a| a.external,
        is_met_by: |a| a.external_policy,
        gap: |_| "not covered by an external user policy",
    });

    fn advise(&self, on: &Advising) -> Vec<String> {
        let target = on.limits.external_policy_min_percent;
        vec![match self.percent {
            None => "There are no external users with access.".into(),
            Some(p) if p < target => format!(
                "{} not covered by an external user policy (target {target} %): create one, or add them to it, to control what they can do and require two-step verification.",
                match self.total - self.covered {
                    1 => "1 external user is".to_string(),
                    n => format!("{} external users are", thousands(n)),
                }
            ),
            Some(_) => format!(
                "External user policy coverage is at or above the target of {target} %."
            ),
        }]
    }
}
