//! Insight 4: two-step verification of external users with access.

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalTwoStep {
    /// Turned on by the person.
    pub enabled_self: u64,
    /// Enforced by the organization that manages the account.
    pub enabled_by_other_org: u64,
    pub not_enabled: u64,
}

fn figures(ctx: &Context) -> PolarsResult<ExternalTwoStep> {
    let external = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("external")));
    let by_state = count_by(external, col("two_step"))?;
    let get = |key: &str| by_state.get(key).copied().unwrap_or(0);
    Ok(ExternalTwoStep {
        enabled_self: get("on"),
        enabled_by_other_org: get("enforced"),
        not_enabled: get("off"),
    })
}

impl ExternalTwoStep {
    /// With two-step verification on, by their own choice or enforced.
    pub fn on(&self) -> u64 {
        self.enabled_self + self.enabled_by_other_org
    }
}

impl Insight for ExternalTwoStep {
    const TITLE: &'static str = "Two-step verification of external users";
    const LEAD: &'static str = "External users with access who turned two-step verification on themselves, whose own organization enforces it, or who have it off.";
    const NOUN: &'static str = "two-step verification of external users";
    const TABLES: &'static [Table] = &[Table::Accounts];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx))
    }

    fn show(&self) -> Shown {
        let mut table =
            DataTable::new(&[("state", "Two-step verification"), ("accounts", "Accounts")]);
        table.row(vec![
            Cell::labelled("enabled_self", "Turned on by the user"),
            Cell::count(self.enabled_self),
        ]);
        table.row(vec![
            Cell::labelled("enabled_by_other_org", "Enforced by their own organization"),
            Cell::count(self.enabled_by_other_org),
        ]);
        table.row(vec![
            Cell::labelled("not_enabled", "Off"),
            Cell::count(self.not_enabled),
        ]);
        Shown {
            summary: format!(
                "{} {} two-step verification off; {} turned it on and {} {} it enforced by their organization.",
                count_of(self.not_enabled, "external user"),
                plural(self.not_enabled, "has", "have"),
                thousands(self.enabled_self),
                thousands(self.enabled_by_other_org),
                plural(self.enabled_by_other_org, "has", "have")
            ),
            table,
            chart: Chart::bars(Self::TITLE, "accounts", vec!["on (self)".into(), "enforced by own org".into(), "off".into()], "accounts", vec![self.enabled_self, self.enabled_by_other_org, self.not_enabled]),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] =
        &[(Figure::ExternalTwoStepPercent, "External with 2SV (%)")];

    fn headline(&self, _: Figure) -> String {
        format_percent(percent(self.on(), self.on() + self.not_enabled))
    }

    fn trigger(_: Figure, limits: &Thresholds) -> Option<Trigger> {
        Some(Trigger::Below {
            min: limits.external_two_step_min_percent,
            words: "external users with 2SV",
        })
    }

    /// After the managed accounts and the external user policy.
    fn findings(&self, _: &Insights) -> Vec<(u8, String)> {
        if self.not_enabled == 0 {
            return Vec::new();
        }
        vec![(
            30,
            format!(
                "{} external {} two-step verification turned off.",
                thousands(self.not_enabled),
                plural(self.not_enabled, "user has", "users have"),
            ),
        )]
    }

    const CONTROL: Option<ControlRule> = Some(ControlRule {
        title: "External users without two-step verification",
        applies_to: |a| a.external,
        is_met_by: |a| a.two_step_on,
        gap: |_| "two-step verification off",
    });

    fn advise(&self, on: &Advising) -> Vec<String> {
        let target = on.limits.external_two_step_min_percent;
        vec![match percent(self.on(), self.on() + self.not_enabled) {
            None => "There are no external users with access.".into(),
            Some(p) if p < target => format!(
                "{} two-step verification off ({p:.1} % on, target {target} %): require it in an external user policy.",
                match self.not_enabled {
                    1 => "1 external user has".to_string(),
                    n => format!("{} external users have", thousands(n)),
                }
            ),
            Some(p) => format!(
                "{p:.1} % of external users have two-step verification on, at or above the target of {target} %."
            ),
        }]
    }
}
