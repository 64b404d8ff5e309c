//! Insight 3: how managed accounts with access authenticate, in three
//! disjoint groups. When the bundle's source does not record single
//! sign-on (an API pull), `sso` is null and the two 2SV groups split all
//! managed accounts with access. A managed account whose sign-in the
//! source did not record (`auth_recorded` false: no managed accounts
//! export has listed it yet) is in no group.

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
pub struct ManagedAuthentication {
    /// `None`: the source does not record single sign-on.
    pub sso: Option<u64>,
    pub two_step_enabled: u64,
    pub two_step_disabled: u64,
}

fn figures(ctx: &Context) -> PolarsResult<ManagedAuthentication> {
    let managed = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("managed")))
        .filter(col("auth_recorded"));
    let sso_recorded = ctx.records_sso();
    let group = when(col("sso").and(lit(sso_recorded)))
        .then(lit("sso"))
        .when(
            col("two_step")
                .eq(lit("on"))
                .or(col("two_step").eq(lit("enforced"))),
        )
        .then(lit("two_step_enabled"))
        .otherwise(lit("two_step_disabled"));
    let by_group = count_by(managed, group)?;
    let get = |key: &str| by_group.get(key).copied().unwrap_or(0);
    Ok(ManagedAuthentication {
        sso: sso_recorded.then(|| get("sso")),
        two_step_enabled: get("two_step_enabled"),
        two_step_disabled: get("two_step_disabled"),
    })
}

impl ManagedAuthentication {
    /// Accounts with SSO or 2SV: the protected ones.
    pub fn protected(&self) -> u64 {
        self.sso.unwrap_or(0) + self.two_step_enabled
    }
}

impl Insight for ManagedAuthentication {
    const TITLE: &'static str = "Authentication of managed accounts";
    const LEAD: &'static str = "How managed accounts with access sign in: with single sign-on, with two-step verification, or with a password alone.";
    const NOUN: &'static str = "authentication of managed accounts";
    const TABLES: &'static [Table] = &[Table::Accounts];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[("group", "Group"), ("accounts", "Accounts")]);
        let accounts = |n: u64| {
            format!(
                "{} {}",
                count_of(n, "managed account"),
                plural(n, "has", "have")
            )
        };
        // A source without SSO (an API pull) has only the two 2SV groups.
        let (categories, values, summary) = match self.sso {
            Some(sso) => {
                table.row(vec![Cell::labelled("sso", "Single sign-on"), Cell::count(sso)]);
                (
                    vec!["single sign-on".into(), "two-step on".into(), "two-step off".into()],
                    vec![sso, self.two_step_enabled, self.two_step_disabled],
                    format!(
                        "{} {} single sign-on, {} two-step verification, and {} neither.",
                        count_of(sso, "managed account"),
                        plural(sso, "uses", "use"),
                        thousands(self.two_step_enabled),
                        thousands(self.two_step_disabled)
                    ),
                )
            }
            None => (
                vec!["two-step on".into(), "two-step off".into()],
                vec![self.two_step_enabled, self.two_step_disabled],
                format!(
                    "{} two-step verification on and {} off; single sign-on is not recorded by this source.",
                    accounts(self.two_step_enabled),
                    thousands(self.two_step_disabled)
                ),
            ),
        };
        table.row(vec![
            Cell::labelled("two_step_enabled", "Two-step verification on"),
            Cell::count(self.two_step_enabled),
        ]);
        table.row(vec![
            Cell::labelled("two_step_disabled", "Two-step verification off"),
            Cell::count(self.two_step_disabled),
        ]);
        Shown {
            summary,
            table,
            chart: Chart::bars(Self::TITLE, "accounts", categories, "accounts", values),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[(
        Figure::ManagedSsoOrTwoStepPercent,
        "Managed with SSO or 2SV (%)",
    )];

    fn headline(&self, _: Figure) -> String {
        format_percent(percent(
            self.protected(),
            self.protected() + self.two_step_disabled,
        ))
    }

    fn trigger(_: Figure, limits: &Thresholds) -> Option<Trigger> {
        Some(Trigger::Below {
            min: limits.managed_two_step_min_percent,
            words: "managed accounts with SSO or 2SV",
        })
    }

    /// Accounts that sign in with a password alone come first of all.
    fn findings(&self, _: &Insights) -> Vec<(u8, String)> {
        if self.two_step_disabled == 0 {
            return Vec::new();
        }
        let (n, has) = (
            self.two_step_disabled,
            plural(self.two_step_disabled, "has", "have"),
        );
        let account = count_of(n, "managed account");
        let text = match self.sso {
            Some(_) => format!(
                "{account} with access {has} neither single sign-on nor two-step verification."
            ),
            None => format!(
                "{account} with access {has} two-step verification off (single sign-on is not recorded by this source)."
            ),
        };
        vec![(10, text)]
    }

    const CONTROL: Option<ControlRule> = Some(ControlRule {
        title: "Managed accounts without single sign-on or two-step verification",
        applies_to: |a| !a.external && a.auth_recorded,
        is_met_by: |a| a.sso == Some(true) || a.two_step_on,
        gap: |a| match a.sso {
            Some(_) => "neither single sign-on nor two-step verification",
            None => "two-step verification off (single sign-on not recorded)",
        },
    });

    fn advise(&self, on: &Advising) -> Vec<String> {
        let target = on.limits.managed_two_step_min_percent;
        let protected = self.protected();
        vec![match percent(protected, protected + self.two_step_disabled) {
            None => "There are no managed accounts with access.".into(),
            Some(p) if p < target => format!(
                "Only {p:.1} % of managed accounts use single sign-on or two-step verification (target {target} %): enforce two-step verification in an authentication policy, or move the remaining {} to single sign-on.",
                count_of(self.two_step_disabled, "account")
            ),
            Some(p) => format!(
                "{p:.1} % of managed accounts use single sign-on or two-step verification, at or above the target of {target} %."
            ),
        }]
    }
}
