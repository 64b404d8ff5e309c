//! Insight 1: accounts with access, managed and external.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, Advising, Cell, Chart, Context, DataTable, Figure, Insight, Shown, Trigger};
use crate::bundle::Table;
use crate::config::Thresholds;
use crate::support::words::{count_of, plural, thousands};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsersWithAccess {
    pub managed: u64,
    pub external: u64,
    pub total: u64,
}

fn figures(ctx: &Context) -> PolarsResult<UsersWithAccess> {
    let by_type = count_by(ctx.accounts_with_access(), col("account_type"))?;
    let managed = by_type.get("managed").copied().unwrap_or(0);
    let external = by_type.get("external").copied().unwrap_or(0);
    Ok(UsersWithAccess {
        managed,
        external,
        total: managed + external,
    })
}

impl Insight for UsersWithAccess {
    const TITLE: &'static str = "Users with access";
    const LEAD: &'static str = "Active accounts that can use at least one product, split into managed accounts (on a domain the organization verified and claimed) and external users.";
    const NOUN: &'static str = "users with access";
    const TABLES: &'static [Table] = &[Table::Accounts];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx))
    }

    fn show(&self) -> Shown {
        let mut table =
            DataTable::new(&[("account_type", "Account type"), ("accounts", "Accounts")]);
        table.row(vec![
            Cell::labelled("managed", "Managed"),
            Cell::count(self.managed),
        ]);
        table.row(vec![
            Cell::labelled("external", "External"),
            Cell::count(self.external),
        ]);
        Shown {
            summary: format!(
                "{} {} access: {} managed and {} external.",
                count_of(self.total, "account"),
                plural(self.total, "has", "have"),
                thousands(self.managed),
                thousands(self.external)
            ),
            table,
            chart: Chart::bars(
                Self::TITLE,
                "accounts",
                vec!["managed".into(), "external".into()],
                "accounts",
                vec![self.managed, self.external],
            ),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[
        (Figure::UsersWithAccess, "Users with access"),
        (Figure::Managed, "Managed"),
        (Figure::External, "External"),
    ];

    fn headline(&self, figure: Figure) -> String {
        match figure {
            Figure::Managed => self.managed,
            Figure::External => self.external,
            _ => self.total,
        }
        .to_string()
    }

    fn trigger(figure: Figure, limits: &Thresholds) -> Option<Trigger> {
        (figure == Figure::External).then_some(Trigger::GrowsBy {
            percent: limits.external_users_max_increase_percent,
            words: "external users",
        })
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        vec![if self.external > 0 {
            format!(
                "Review the access of the {} with access regularly and remove what is no longer needed.",
                count_of(self.external, "external user")
            )
        } else {
            "No external users have access: nothing to do.".to_string()
        }]
    }
}
